"""The gauge profiles a station can use: those shipped with it and those in engineers' folders."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from station.files import PROFILE_LIMIT, read_text_limited
from station.recipe.errors import ProfileNotFound
from station.recipe.profile.profile_loader import load_profile
from station.recipe.profile.profile_model import Profile


def package_profile_dir() -> Path:
    """Where the profiles shipped with the station live."""
    return Path(str(resources.files("station.recipe.profile").joinpath("shipped")))


class ProfileLibrary:
    """Profiles shipped with the station plus those in engineers' folders (``--profiles DIR``).

    One library per command or socket; it caches what it loaded.
    """

    def __init__(self, extra_dirs: Sequence[Path] = (), *, include_package: bool = True) -> None:
        self.dirs: list[Path] = [*extra_dirs]
        if include_package:
            self.dirs.append(package_profile_dir())
        self._cache: dict[Path, Profile] = {}

    def headers(self) -> dict[str, list[Path]]:
        """{profile id: header files declaring it} for every profile header in the folders."""
        found: dict[str, list[Path]] = {}
        for d in self.dirs:
            if not d.is_dir():
                continue
            for path in sorted(d.glob("*.toml")):
                try:
                    text = read_text_limited(path, PROFILE_LIMIT, what="profile")
                    head = tomllib.loads(text).get("profile")
                except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                    continue
                if isinstance(head, dict) and isinstance(head.get("id"), str):
                    found.setdefault(head["id"], []).append(path)
        return found

    def ids(self) -> list[str]:
        return sorted(self.headers())

    def load(self, path: Path) -> Profile:
        resolved = path.resolve()
        if resolved not in self._cache:
            self._cache[resolved] = load_profile(path)
        return self._cache[resolved]

    def get(self, id_or_path: str) -> Profile:
        """A profile by id, or by the path of its header file."""
        candidate = Path(id_or_path)
        if id_or_path.endswith(".toml") or candidate.is_file():
            return self.load(candidate)
        found = self.headers()
        paths = found.get(id_or_path, [])
        if not paths:
            known = ", ".join(sorted(found)) or "none"
            raise ProfileNotFound(
                f"no gauge profile {id_or_path!r} (known: {known}); add its folder with "
                "--profiles DIR or import one with `station profile import`"
            )
        if len(paths) > 1:
            listed = ", ".join(str(p) for p in paths)
            raise ProfileNotFound(
                f"profile id {id_or_path!r} is declared twice ({listed}); a recipe must name "
                "exactly one layout: rename one of them"
            )
        return self.load(paths[0])
