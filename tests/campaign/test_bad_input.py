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
import string
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner
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
from station.recipe.recipe import load_recipe
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
