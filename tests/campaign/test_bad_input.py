"""Bad-input campaign: every parser the station feeds from outside gives a clear error or a valid
object, never a traceback.

Parsers already fuzzed elsewhere (recipe values, TRM/profile tables, gg.csv, FlashStream,
S-records, ZPL escaping) are not repeated here. Covered here: the station configuration (file and
environment), the key store, serial patterns and scanned serials, bus specs, printer specs, label
stocks, and ``station program``'s arguments.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import string
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from station.bus.errors import BusOpenError
from station.bus.spec import open_bus, parse_bus_spec
from station.cli import cli
from station.config import ENV_OVERRIDES, ConfigError, StationConfig, load_config
from station.keys import KeyStore, KeyStoreError
from station.labels import LabelStock, PrinterSpecError, parse_printer_spec, parse_stock
from station.labels.errors import LabelStockError
from station.recipe.errors import RecipeError, SerialRejected
from station.recipe.product.recipe_loader import load_recipe
from station.sequence import open_service
from station.store import Store
from tests.campaign.harness import full_sweep, recipe_4s
from tests.sequence.conftest import RECIPE_4S

T = TypeVar("T")
EXAMPLES = 300 if full_sweep() else 60
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: Text with the characters that break parsers: separators, quotes, digits of other scripts,
#: superscripts, controls, surrogates' neighbours.
NASTY = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(string.printable)),
        st.sampled_from(list("²³¹٣٠۵߀०\u00a0\u2028\ufeff€°µ\x00\x7f")),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
)
BIG_NUMBER = st.integers(4301, 6000).map(lambda n: "9" * n)  # past int()'s digit limit


def attempt(call: Callable[[], T], error: type[Exception]) -> tuple[T | None, str | None]:
    """``call()``, or the message of the clear ``error`` it raised (anything else propagates)."""
    try:
        return call(), None
    except error as exc:
        return None, str(exc)


def _toml_value() -> st.SearchStrategy[str]:
    scalars = st.one_of(
        st.integers(-(2**63), 2**63 - 1).map(str),
        st.floats().map(lambda f: repr(f).replace("inf", "inf").replace("nan", "nan")),
        st.sampled_from(["inf", "-inf", "nan", "true", "false", "1979-05-27", "0x7f", "1e400"]),
        NASTY.map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
        st.just('"' + "9" * 5000 + '"'),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
            st.dictionaries(st.sampled_from(["a", "bus", "seed"]), inner, max_size=2).map(
                lambda d: "{" + ", ".join(f"{k} = {v}" for k, v in d.items()) + "}"
            ),
        ),
        max_leaves=4,
    )


SETTING = st.sampled_from([*(f.name for f in StationConfig.__dataclass_fields__.values()), "x"])


@st.composite
def config_files(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=120))
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.integers(0, 4)) == 0:
            lines.append(f"[{draw(st.sampled_from(['shift', 'station', 'a.b', 'x']))}]")
        lines.append(f"{draw(SETTING)} = {draw(_toml_value())}")
    return "\n".join(lines).encode("utf-8", "surrogatepass")


# == station configuration =======================================================================


@FUZZ
@example(b"bus_speed_hz = inf\n", {})  # was an OverflowError
@example(b"[station]\nbus_speed_hz = -inf\npec = nan\n", {})
@example(b"", {"STATION_BUS_SPEED_HZ": "9" * 5000})
@given(
    config_files(),
    st.dictionaries(st.sampled_from(sorted(ENV_OVERRIDES)), NASTY | BIG_NUMBER, max_size=3),
)
def test_station_config_file_and_environment(data: bytes, env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "station.toml"
        path.write_bytes(data)
        config, problem = attempt(lambda: load_config(path, environ=env), ConfigError)
        if problem is not None:
            assert problem.strip()
            return
    assert isinstance(config, StationConfig)
    assert 10_000 <= config.bus_speed_hz <= 1_000_000
    assert config.database
    assert config.bus


# == key store ===================================================================================


def _key(draw: st.DrawFn) -> str:
    return draw(
        st.one_of(
            _toml_value(),
            st.integers(-5, 2**33).map(str),
            st.integers(0, 2**17).map(lambda n: f'"0x{n:04X}"'),
            st.tuples(st.integers(0, 2**17), st.integers(-1, 2**16)).map(
                lambda p: f'["0x{p[0]:04X}", "{p[1]}"]'
            ),
        )
    )


@st.composite
def key_files(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.binary(max_size=120))
    lines = []
    for n in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(["acme", "ti-default", '"a b"', "x.y"])) + str(n)
        lines.append(f"[key_sets.{name}]")
        for entry in draw(st.lists(st.sampled_from(["unseal", "full_access", "other"]))):
            lines.append(f"{entry} = {_key(draw)}")
    if draw(st.integers(0, 6)) == 0:
        lines.insert(0, f"key_sets = {_key(draw)}")
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@FUZZ
@given(key_files())
def test_key_store_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "keys.toml"
        path.write_bytes(data)
        os.chmod(path, 0o600)
        try:
            store = KeyStore.load(path)
        except KeyStoreError as exc:
            message = str(exc)
            assert message
            # A key value never shows in the message, even a wrong one.
            for word in re.findall(r"0x[0-9A-Fa-f]{4,}", data.decode("utf-8", "replace")):
                assert word not in message
            return
    assert "ti-default" in store.ids()
    for key_id in store.ids():
        assert store.get(key_id).unseal is not None


def test_key_store_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text('[key_sets.acme]\nunseal = ["0x1234", "0x5678"]\n', encoding="utf-8")
    os.chmod(path, 0o644)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        KeyStore.load(path)


# == serials =====================================================================================

SERIALS = st.one_of(
    NASTY,
    st.from_regex(r"PK4S-\d{6}", fullmatch=True),  # \d: digits of every script
    st.from_regex(r"PK4S-[0-9]{6}", fullmatch=True),
    st.text(alphabet="PK4S-0123456789 \t\n", max_size=14),
)


@FUZZ
@given(SERIALS)
def test_scanned_serials_are_accepted_or_clearly_rejected(serial: str) -> None:
    recipe = recipe_4s()
    unit, problem = attempt(lambda: recipe.identify(serial), SerialRejected)
    if problem is not None:
        assert problem.strip()
        return
    # Accepted: a serial a barcode can carry, and the SBS number it writes.
    assert re.fullmatch(r"PK4S-[0-9]{6}", serial)
    assert unit.sbs_serial == int(serial[5:]) % 65536
    assert unit.manufacturer_info_a == serial


@FUZZ
@given(
    st.one_of(
        NASTY,
        st.sampled_from(
            [r"^PK(?P<unit>\d+)$", r"(?P<unit>[0-9]{2,6})", "(", "[", r"(?P<x>.)*", r"\d{6}"]
        ),
    ),
    st.one_of(NASTY, st.sampled_from(["PK123", "12", "PK4S-000123"])),
    SERIALS | BIG_NUMBER.map(lambda n: "PK" + n),
    st.booleans(),
)
@example(r"^PK4S-(?P<unit>\d{6})$", "PK4S-000123", "PK4S-٠٠٠١٢٣", False)  # Arabic-Indic digits
def test_recipe_serial_patterns_and_serials(
    pattern: str, example: str, serial: str, info_a: bool
) -> None:
    text = RECIPE_4S.read_text(encoding="utf-8")
    if not info_a:
        text = re.sub(r"(?m)^manufacturer_info_a = .*$", "", text)
    text = re.sub(r"(?m)^pattern = .*$", lambda _: "pattern = " + _toml_string(pattern), text)
    text = re.sub(r"(?m)^example = .*$", lambda _: "example = " + _toml_string(example), text)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recipe.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        recipe, problem = attempt(lambda: load_recipe(path), RecipeError)
        if problem is not None:
            assert problem.strip()
            return
    unit, problem = attempt(lambda: recipe.identify(serial), SerialRejected)
    if problem is not None:
        assert problem.strip()
        return
    assert unit.serial == serial
    assert serial.isascii()
    assert unit.sbs_serial is None or 0 <= unit.sbs_serial <= 0xFFFF


def _toml_string(text: str) -> str:
    escaped = "".join(
        c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}"
        for c in text
        if not 0xD800 <= ord(c) <= 0xDFFF and ord(c) <= 0xFFFF
    )
    return f'"{escaped}"'


# == bus, printer, label stock ===================================================================

BUS_SPECS = st.one_of(
    NASTY,
    st.builds(
        lambda scenario, query: f"sim{scenario}{query}",
        st.sampled_from(["", ":default", ":flaky", ":nope", ":", ":default:x"]),
        st.lists(
            st.tuples(
                st.sampled_from(["seed", "realtime", "state", "x", ""]),
                st.one_of(NASTY, BIG_NUMBER, st.sampled_from(["nan", "inf", "-1", "1e400", ""])),
            ),
            max_size=3,
        ).map(lambda kv: ("?" + "&".join(f"{k}={v}" for k, v in kv)) if kv else ""),
    ),
    st.sampled_from(["/dev/i2c-99", "a.b:c", "a:b:c", "1x:y", "/", "sim?"]),
)


@FUZZ
@example("sim?realtime=inf")  # was an OverflowError from the clock's sleep
@example("sim?realtime=1e300")  # ... or a station asleep for ever
@example("sim?realtime=nan")
@example("sim?realtime=-1")
@example("sim?seed=" + "9" * 5000)
@given(BUS_SPECS)
def test_bus_specs(text: str) -> None:
    spec, problem = attempt(lambda: parse_bus_spec(text), BusOpenError)
    if problem is not None:
        assert problem.strip()
        return
    assert spec.kind in ("i2c-dev", "sim", "plugin")
    if spec.kind != "sim" or spec.options.get("state"):
        return  # opening a device or a state file is not a parser's business
    opened, problem = attempt(lambda: open_bus(text), BusOpenError)
    if problem is not None:
        assert problem.strip()
        return
    try:
        assert opened.emulated
        # A realtime factor that is accepted must not hang or break the clock.
        opened.clock.sleep(0.001)
    finally:
        opened.close()


def test_an_emulator_state_file_that_cannot_be_written_is_a_bus_open_error(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    with pytest.raises(BusOpenError, match="state file cannot be written"):
        open_bus(f"sim?state={blocked}/pack.json")
    damaged = tmp_path / "damaged.json"
    damaged.write_text("{not json", encoding="utf-8")
    with pytest.raises(BusOpenError, match="not JSON"):
        open_bus(f"sim?state={damaged}")


@FUZZ
@example("zpl-tcp:host:²")  # was a ValueError: isdigit() takes superscripts, int() does not
@example("zpl-tcp:host:" + "9" * 5000)  # ... and more than 4300 digits
@example("zpl-tcp:[::1]:٣")
@given(
    st.one_of(
        NASTY,
        st.builds(
            lambda kind, rest: f"{kind}:{rest}",
            st.sampled_from(["file", "zpl-tcp", "cups", "lp", "ZPL-TCP"]),
            st.one_of(
                NASTY,
                BIG_NUMBER.map(lambda n: "host:" + n),
                st.sampled_from(["host:²", "host:٣", "[::1]:²", "[::1]", "h:0", "h:65536"]),
            ),
        ),
    )
)
def test_printer_specs(text: str) -> None:
    spec, problem = attempt(lambda: parse_printer_spec(text), PrinterSpecError)
    if problem is not None:
        assert problem.strip()
        return
    assert spec.kind in ("file", "zpl-tcp", "cups")
    if spec.kind == "zpl-tcp":
        assert spec.port is not None
        assert 1 <= spec.port <= 65535


@FUZZ
@example("62x29mm@" + "9" * 5000)  # was a ValueError from int()
@example("٦٢x29mm")  # other scripts' digits are not a label size
@given(
    st.one_of(
        NASTY,
        st.builds(
            lambda w, h, unit, dpi, orient: f"{w}x{h}{unit}{dpi}{orient}",
            st.one_of(st.sampled_from(["62", "0", "4.5", "٦٢", "²"]), BIG_NUMBER),
            st.sampled_from(["29", "1000", "0.1", "٢٩", "1e3"]),
            st.sampled_from(["mm", "in", "MM", "cm", ""]),
            st.one_of(
                st.sampled_from(["", "@300", "@0", "@٣٠٠", "@²", "@"]),
                BIG_NUMBER.map(lambda n: "@" + n),
            ),
            st.sampled_from(["", ",portrait", ",LANDSCAPE", ",sideways"]),
        ),
    )
)
def test_label_stocks(text: str) -> None:
    stock, problem = attempt(lambda: parse_stock(text), LabelStockError)
    if problem is not None:
        assert problem.strip()
        return
    assert isinstance(stock, LabelStock)
    assert 5 <= stock.width_mm <= 300
    assert re.match(r"\s*[0-9]", text)


# == station program's arguments =================================================================


@settings(
    max_examples=max(EXAMPLES // 3, 15),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    serial=SERIALS.filter(lambda s: "\x00" not in s),
    operator=st.one_of(NASTY, st.sampled_from(["OP-1", "", "-", "a" * 40])).filter(
        lambda s: "\x00" not in s
    ),
)
def test_station_program_arguments(tmp_path: Path, serial: str, operator: str) -> None:
    env = {k: "" for k in os.environ if k.startswith("STATION_")}
    args = [
        "program",
        "--bus",
        "sim",
        "--db",
        f"sqlite:///{tmp_path / 'station.sqlite3'}",
        "--printer",
        f"file:{tmp_path / 'labels'}",
        "--recipe",
        str(RECIPE_4S),
        "--serial",
        serial,
        "--operator",
        operator,
    ]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code in (0, 1, 2), result.output
    # click turns a clean error into SystemExit; anything else is a traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        assert result.output.strip()


# == files that are not what their setting says ====================================================


def _not_a_file(kind: str, tmp: Path) -> Path:
    """A path a careless setting may name: a device, a folder, a pipe, or a runaway file."""
    if kind == "device":
        return Path("/dev/zero")
    if kind == "folder":
        folder = tmp / "folder.toml"
        folder.mkdir()
        return folder
    if kind == "pipe":
        pipe = tmp / "pipe.toml"
        os.mkfifo(pipe)
        return pipe
    huge = tmp / "huge.toml"
    with huge.open("wb") as handle:
        handle.truncate(256 * 1024 * 1024)  # sparse: costs no disk
    return huge


NOT_FILES = pytest.mark.parametrize("kind", ["device", "folder", "pipe", "huge"])


def _in_subprocess(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter: a read that never ends shows as a time-out there
    instead of taking this test process down."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


#: how each file a setting names is loaded, and the error that says it was refused
LOADERS = {
    "configuration": (
        "import os\nfrom station.config import load_config, ConfigError as Refused\n"
        "def load(path):\n    os.environ['STATION_CONFIG'] = path\n    load_config()\n"
    ),
    "key store": (
        "from station.keys import KeyStore, KeyStoreError as Refused\n"
        "def load(path):\n    KeyStore.load(Path(path), require_private=False)\n"
    ),
}


@NOT_FILES
@pytest.mark.parametrize("what", sorted(LOADERS))
def test_a_setting_that_names_no_regular_file_is_refused_at_once(
    tmp_path: Path, kind: str, what: str
) -> None:
    path = _not_a_file(kind, tmp_path)
    done = _in_subprocess(
        "from pathlib import Path\n"
        + LOADERS[what]
        + f"try:\n    load({str(path)!r})\nexcept Refused as exc:\n    print('REFUSED', exc)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "REFUSED" in done.stdout
    assert ("not a regular file" in done.stdout) or ("more than the" in done.stdout), done.stdout


@NOT_FILES
def test_a_recipe_or_profile_that_is_not_a_regular_file_is_a_listed_problem(
    tmp_path: Path, kind: str
) -> None:
    folder = tmp_path / "recipes"
    folder.mkdir()
    shutil.copy(RECIPE_4S, folder / "good.toml")
    bad = _not_a_file(kind, tmp_path)
    (folder / "bad.toml").symlink_to(bad)
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "odd.toml").symlink_to(bad)
    done = _in_subprocess(
        "import sys\nfrom pathlib import Path\n"
        "from station.recipe.profile.library import ProfileLibrary\n"
        "from station.sequence.recipes import RecipeLibrary\n"
        f"lib = RecipeLibrary(Path({str(folder)!r}), ProfileLibrary([Path({str(profiles)!r})]))\n"
        "print('LOADED', sorted(r.name for r in lib.scan()))\n"
        "for path, problem in lib.problems.items():\n    print('PROBLEM', path.name, problem)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "LOADED ['pk4s3p-3500']" in done.stdout
    assert "PROBLEM bad.toml" in done.stdout
    assert ("not a regular file" in done.stdout) or ("more than the" in done.stdout), done.stdout


def test_a_socket_name_the_database_cannot_keep_is_refused_where_it_is_read() -> None:
    with pytest.raises(ConfigError, match="socket"):
        load_config(environ={"STATION_SOCKET": "S" * 40})
    with pytest.raises(ConfigError, match="socket"):
        load_config(environ={"STATION_SOCKET": "A B"})
    assert load_config(environ={"STATION_SOCKET": "B-2"}).socket == "B-2"


# == a bad recipe file among good ones =============================================================


def _bad_recipe(folder: Path, name: str, value: str) -> Path:
    text = RECIPE_4S.read_text(encoding="utf-8")
    text = re.sub(r'^"CUV Threshold" = .*$', f'"CUV Threshold" = {value}', text, flags=re.M)
    path = folder / name
    path.write_text(text.replace('name = "pk4s3p-3500"', f'name = "{path.stem}"'), "utf-8")
    return path


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", '"1e99999 mV"'])
def test_inf_or_nan_in_a_recipe_is_a_problem_not_a_traceback(tmp_path: Path, value: str) -> None:
    bad = _bad_recipe(tmp_path, "bad.toml", value)
    done = CliRunner().invoke(cli, ["recipe", "validate", str(bad)])
    assert done.exit_code == 1, done.output
    assert "CUV Threshold" in done.output
    assert "Traceback" not in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)


def test_one_bad_recipe_file_leaves_the_others_usable_on_every_face(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in list(os.environ):
        if var.startswith("STATION_") and var != "STATION_TEST_PG_URL":
            monkeypatch.delenv(var)
    folder = tmp_path / "recipes"
    folder.mkdir()
    shutil.copy(RECIPE_4S, folder / "good.toml")
    _bad_recipe(folder, "bad-inf.toml", "inf")
    _bad_recipe(folder, "bad-nan.toml", "nan")
    config = StationConfig(
        database=f"sqlite:///{tmp_path}/db.sqlite3",
        printer=f"file:{tmp_path}/labels",
        recipes=str(folder),
    )
    # The emulator demo starts, releases the good recipe and lists the bad files with why.
    service = open_service(config, demo=True)
    assert [c.name for c in service.released_recipes()] == ["pk4s3p-3500"]
    problems = {p.file: p.problem for p in service.recipe_problems()}
    assert set(problems) == {"bad-inf.toml", "bad-nan.toml"}
    assert "CUV Threshold" in problems["bad-inf.toml"]
    service.socket.store.close()
    # station program with the good recipe passes.
    done = CliRunner().invoke(
        cli,
        [
            "program",
            "--bus",
            "sim",
            "--recipe",
            str(folder / "good.toml"),
            "--serial",
            "PK4S-000321",
            "--operator",
            "OP-1",
            "--db",
            config.database,
            "--printer",
            config.printer,
        ],
        env={"STATION_RECIPES": str(folder)},
    )
    assert done.exit_code == 0, done.output
    # config check names each bad file as a problem (exit 1), nothing else.
    check = CliRunner().invoke(
        cli,
        ["config", "check"],
        env={"STATION_RECIPES": str(folder), "STATION_DB": config.database},
    )
    assert check.exit_code == 1, check.output
    assert "PROBLEM recipe bad-inf.toml" in check.output
    assert "PROBLEM recipe bad-nan.toml" in check.output
    assert "1 recipe file(s) load" in check.output


# == recipe import --out: never overwrite, never through a link ====================================

GG_EXPORT = Path(__file__).resolve().parents[1] / "recipe" / "fixtures" / "pk4s-export.gg.csv"


def _import(out: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["recipe", "import", str(GG_EXPORT), "--out", str(out), "--profile", "bq40z50-r1", *extra],
    )


def test_an_import_never_overwrites_a_key_file_nor_follows_a_link(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _import(out)
    assert first.exit_code == 0, first.output
    keys = out / "pk4s-export.keys.toml"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    before = keys.read_bytes()
    # Someone edits the key file; a second import must not overwrite it.
    keys.write_bytes(before + b"# edited\n")
    again = _import(out)
    assert again.exit_code == 1, again.output
    assert "already there" in again.output
    assert keys.read_bytes() == before + b"# edited\n"
    # A symbolic link where the key file goes, pointing at a file someone else owns.
    victim = tmp_path / "someone-elses.txt"
    victim.write_text("not yours\n", encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    (other / "pk4s-export.keys.toml").symlink_to(victim)
    linked = _import(other)
    assert linked.exit_code == 1, linked.output
    assert victim.read_text(encoding="utf-8") == "not yours\n"
    assert not (other / "pk4s-export.toml").exists()  # nothing half-written
    # --force replaces the link itself, never what it points to; the key file is mode 600.
    forced = _import(other, "--force")
    assert forced.exit_code == 0, forced.output
    assert victim.read_text(encoding="utf-8") == "not yours\n"
    replaced = other / "pk4s-export.keys.toml"
    assert not replaced.is_symlink()
    assert stat.S_IMODE(replaced.stat().st_mode) == 0o600


def test_an_import_never_replaces_a_key_store_with_a_recipe(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _import(out).exit_code == 0
    store = out / "pk4s-export.keys.toml"
    kept = store.read_bytes()
    # A recipe named so that it lands on the key store, even with --force.
    done = _import(out, "--name", "pk4s-export.keys", "--force")
    assert done.exit_code == 1, done.output
    assert "holds security keys" in done.output
    assert store.read_bytes() == kept


# == control characters are never echoed raw =======================================================


@pytest.mark.parametrize("serial", ["PK4S-000700\x1b[2J", "PK4S\x07\x9b31m", "PK4S\u202e007"])
def test_control_characters_from_outside_are_shown_escaped(tmp_path: Path, serial: str) -> None:
    db = f"sqlite:///{tmp_path}/db.sqlite3"
    Store.open(db).close()
    done = CliRunner().invoke(cli, ["trace", serial, "--db", db])
    assert done.exit_code == 1
    raw = [c for c in serial if c not in string.printable or c in "\x07\x1b"]
    for char in raw:
        assert char not in done.output, repr(done.output)
    assert "PK4S" in done.output
    assert "\\x1b" in done.output or "\\x07" in done.output or "\\u202e" in done.output


# == a station clock that lost its time ============================================================


def test_a_station_clock_before_this_software_was_made_is_refused(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from tests.sequence.conftest import make_bench

    bench = make_bench(tmp_path)
    bench.socket.now = lambda: datetime(2000, 1, 1, tzinfo=UTC)
    result = bench.run()
    assert result.failure is not None
    assert result.failure.code == "CLOCK_IMPLAUSIBLE"
    assert "2000-01-01" in result.failure.reason
    assert bench.device.transaction_count == 0  # the pack was never touched
    assert bench.store.pack_history("PK4S-000123") == []


def test_a_station_clock_far_from_the_database_servers_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from tests.sequence.conftest import make_bench

    bench = make_bench(tmp_path)
    server = bench.socket.now() + timedelta(days=3)
    monkeypatch.setattr(bench.store, "server_time", lambda: server)
    result = bench.run()
    assert result.failure is not None
    assert result.failure.code == "CLOCK_IMPLAUSIBLE"
    assert "behind the database server's" in result.failure.reason
    assert bench.device.transaction_count == 0
