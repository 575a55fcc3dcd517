"""Writing the files an import makes: created with their mode from the start, never through a
symbolic link, never over a file already there unless asked, and never over a key store with
anything but keys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from station.files import KEY_STORE_LIMIT, create_exclusive, read_limited
from station.recipe import tomltext
from station.recipe.errors import Problem, ProblemsError
from station.recipe.profile.profile_loader import load_profile
from station.recipe.profile.profile_model import Profile
from station.recipe.profile.table import table_text


class OutputRefused(ProblemsError):
    """An import would overwrite what is there (or a key store): nothing was written."""

    failure_code = "IMPORT_REFUSED"
    headline = "import refused, nothing was written"


def slug(text: str) -> str:
    """``text`` made a file name: letters, digits, ``.``, ``_``, ``-`` (at most 60)."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.").lower()
    return s[:60] or "imported"


def write_private_text(path: Path, text: str, mode: int = 0o644, *, force: bool = False) -> None:
    """Create ``path`` holding ``text`` with ``mode`` from the start (no moment with wider
    rights), exclusively and never through a symbolic link; an existing file is replaced (as a
    whole, the link itself rather than what it points to) only with ``force``."""
    create_exclusive(path, text.encode("utf-8"), mode=mode, force=force)


def copy_beside(source: Path, data: bytes, out_dir: Path, *, force: bool) -> Path:
    """``source``'s bytes into ``out_dir`` under its own name (unless it is already there)."""
    target = out_dir / source.name
    if target.resolve() != source.resolve():
        create_exclusive(target, data, mode=0o644, force=force)
    return target


def copy_targets(source: Path, out_dir: Path) -> list[Path]:
    """What :func:`copy_beside` would write."""
    target = out_dir / source.name
    return [] if target.resolve() == source.resolve() else [target]


def profile_table_lines(profile: Profile) -> list[str]:
    """The ``[profile]`` table of a header written for an in-memory profile (unsigned)."""
    return [
        "[profile]",
        f"id = {tomltext.basic_string(profile.id)}",
        f"description = {tomltext.basic_string(profile.description)}",
        f'device_type = "0x{profile.device_type:04X}"',
        f"firmware = {tomltext.value(list(profile.firmware))}",
        'verified_by = ""',
        'verified_on = ""',
        f"table = {tomltext.basic_string(profile.id + '.csv')}",
        f"runtime_classes = {tomltext.value(list(profile.runtime_classes))}",
        f"calibration_classes = {tomltext.value(list(profile.calibration_classes))}",
    ]


def write_profile_files(profile: Profile, out_dir: Path, *, force: bool = False) -> Path:
    """A header + table for an in-memory profile, created exclusively (replaced only with
    ``force``); returns the header path."""
    sources = dict(profile.sources) or {"import": "imported"}
    back = {text: key for key, text in sources.items()}
    lines = [
        "# Gauge profile made from a bqStudio export. Every address is unverified until an",
        "# engineer confirms it on the firmware named here and records it in a [[signoff]] entry.",
        *profile_table_lines(profile),
        "",
        "[sources]",
        *(f"{tomltext.key(k)} = {tomltext.basic_string(v)}" for k, v in sources.items()),
        "",
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    header = out_dir / f"{profile.id}.toml"
    table = out_dir / f"{profile.id}.csv"
    check_targets([header, table], force=force)
    write_private_text(table, table_text(profile.parameters, back), force=force)
    write_private_text(header, "\n".join(lines), force=force)
    load_profile(header)  # what was written must load
    return header


def write_key_file(
    path: Path, key_set_id: str, keys: dict[str, int], *, force: bool = False
) -> None:
    """A key-store file (``station.keys`` format), readable by its owner only (mode 600 from its
    first byte), created exclusively (replaced only with ``force``)."""
    lines = [
        "# Security keys imported from a bqStudio export. Keep this file private (mode 600);",
        "# point the station at it with --keys or STATION_KEYS.",
        f"[key_sets.{tomltext.key(key_set_id)}]",
    ]
    if "unseal" in keys:
        lines.append(f'unseal = "0x{keys["unseal"]:08X}"')
    if "full_access" in keys:
        lines.append(f'full_access = "0x{keys["full_access"]:08X}"')
    write_private_text(path, "\n".join(lines) + "\n", mode=0o600, force=force)


def _holds_keys(path: Path) -> bool:
    """Whether ``path`` is a key store (a file with key sets), read without following a link."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        return b"[key_sets" in read_limited(path, KEY_STORE_LIMIT, what="key store")
    except OSError:
        return False


def check_targets(paths: Sequence[Path], *, force: bool, key_files: Sequence[Path] = ()) -> None:
    """Refuse, before anything is written, outputs that would overwrite a file (without
    ``force``), a folder, or a key store with anything but keys (even with ``force``)."""
    problems = []
    for path in paths:
        if not (path.exists() or path.is_symlink()):
            continue
        if path.is_dir() and not path.is_symlink():
            problems.append(Problem(str(path), None, "a folder is in the way; nothing written"))
        elif path not in key_files and _holds_keys(path):
            problems.append(
                Problem(
                    str(path),
                    None,
                    "holds security keys (a key store): an import never replaces it with "
                    "something else, even with --force; choose another --name or --out",
                )
            )
        elif not force:
            kind = "a symbolic link" if path.is_symlink() else "a file"
            problems.append(
                Problem(
                    str(path),
                    None,
                    f"{kind} is already there; nothing was written: choose another --out or "
                    "--name, or give --force to replace it (a link is replaced, never followed)",
                )
            )
    if problems:
        raise OutputRefused(problems)
