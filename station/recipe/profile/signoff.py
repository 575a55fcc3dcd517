"""Writing an engineer's sign-off into a profile: one ``[[signoff]]`` entry appended to its
header, the only thing that makes parameters writable on real packs.

The header is changed by appending text (the engineer's comments and layout stay as written),
in one replace of the whole file; the result must load, else the file is put back as it was.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from station.recipe import tomltext
from station.recipe.errors import ProblemsError, RecipeError
from station.recipe.profile.library import package_profile_dir
from station.recipe.profile.profile_loader import load_profile
from station.recipe.profile.profile_model import SIGNOFF_METHODS, Profile


class SignOffRefused(RecipeError):
    """The sign-off cannot be written; nothing was changed."""

    failure_code = "SIGNOFF_REFUSED"


@dataclass(frozen=True)
class SignOffEntry:
    """What one ``[[signoff]]`` entry says."""

    by: str
    on: str  # YYYY-MM-DD
    method: str
    evidence: str
    parameters: tuple[str, ...]

    def toml(self) -> str:
        names = ",\n".join(f"    {tomltext.basic_string(k)}" for k in self.parameters)
        return (
            "\n[[signoff]]\n"
            f"by = {tomltext.basic_string(self.by)}\n"
            f"on = {tomltext.basic_string(self.on)}\n"
            f"method = {tomltext.basic_string(self.method)}\n"
            f"evidence = {tomltext.basic_string(self.evidence)}\n"
            f"parameters = [\n{names},\n]\n"
        )


def check_signable(profile: Profile) -> Path:
    """The header file a sign-off goes into; :class:`SignOffRefused` when there is none, or it
    is the copy shipped inside the installed software (replaced by every upgrade)."""
    path = profile.header_path
    if path is None:
        raise SignOffRefused(f"profile {profile.id} has no header file to sign")
    shipped = package_profile_dir().resolve()
    if path.resolve().parent == shipped:
        raise SignOffRefused(
            f"profile {profile.id} is the one shipped inside the station software ({path}); an "
            "upgrade would drop the sign-off. Copy its .toml and .csv into your profiles folder, "
            "give the copy its own id in [profile], and verify that copy (--profiles DIR)"
        )
    return path


def append_signoff(profile: Profile, entry: SignOffEntry) -> Profile:
    """Append ``entry`` to the profile's header and return the profile as it loads now."""
    if entry.method not in SIGNOFF_METHODS:
        raise SignOffRefused(f"method {entry.method!r} is not one of {', '.join(SIGNOFF_METHODS)}")
    if not entry.parameters:
        raise SignOffRefused("nothing was confirmed: there is nothing to sign off")
    path = check_signable(profile)
    before = path.read_text(encoding="utf-8")
    text = before if before.endswith("\n") else before + "\n"
    replace_text(path, text + entry.toml())
    try:
        return load_profile(path)
    except ProblemsError as exc:
        replace_text(path, before)
        raise SignOffRefused(
            f"the signed profile would not load, so {path} was left as it was: "
            + "; ".join(str(p) for p in exc.problems[:3])
        ) from None


def replace_text(path: Path, text: str) -> None:
    """The whole file at once: a crash leaves the old header or the new one, never half."""
    tmp = path.with_name(f".{path.name}.signing")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(text.encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
