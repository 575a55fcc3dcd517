"""Reading and creating the station's own files safely.

Configuration, recipes, profiles and key stores are read only from regular files and only up to
a size that fits what they are: ``/dev/zero``, a FIFO or a runaway log given by mistake is
refused at once instead of being read for ever. Output files are created exclusively and never
through a symbolic link, so a file someone else owns is never written by accident.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

KIB = 1024
MIB = 1024 * KIB

#: Size limits by kind of file: generous for what a real file holds, small against a mistake.
CONFIG_LIMIT = 1 * MIB
KEY_STORE_LIMIT = 1 * MIB
RECIPE_LIMIT = 4 * MIB
PROFILE_LIMIT = 16 * MIB
#: TI exports and images may carry a whole firmware beside the data flash.
IMPORT_LIMIT = 64 * MIB


class FileRefused(OSError):
    """A file that is not a regular file, or is larger than its kind allows; ``strerror`` says
    which, in words (existing ``except OSError`` handlers show it as they are)."""

    def __init__(self, path: Path, reason: str, code: int = errno.EINVAL) -> None:
        super().__init__(code, reason, str(path))


def _size_text(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit >= MIB else f"{limit // KIB} KiB"


def read_limited(path: Path | str, limit: int, *, what: str = "file") -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises :class:`FileRefused` for a device, FIFO, socket or folder, or a file over the limit,
    and the usual ``OSError`` (``FileNotFoundError``...) when it cannot be opened.
    """
    # O_NONBLOCK: opening a FIFO with no writer must not hang before it can be refused.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(
                Path(path),
                f"{what} {path} is not a regular file (it is a "
                f"{_kind(info.st_mode)}); give the path of the file itself",
            )
        if info.st_size > limit:
            raise FileRefused(
                Path(path),
                f"{what} {path} is {info.st_size} bytes, more than the {_size_text(limit)} a "
                f"{what} may have; check that this is the right file",
                errno.EFBIG,
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(MIB, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                # It grew while being read.
                raise FileRefused(
                    Path(path),
                    f"{what} {path} is more than the {_size_text(limit)} a {what} may have",
                    errno.EFBIG,
                )
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text_limited(
    path: Path | str, limit: int, *, what: str = "file", encoding: str = "utf-8"
) -> str:
    """:func:`read_limited`, decoded (``UnicodeDecodeError`` when it is not that encoding)."""
    return read_limited(path, limit, what=what).decode(encoding)


class TomlUnreadable(Exception):
    """Why a TOML file could not be read. ``why`` completes "<what> <path> ..." and never quotes
    the file's content (a key store's words must not reach a screen); ``toml_error`` is set when
    the text is not valid TOML, ``missing`` when there is no such file."""

    def __init__(
        self,
        why: str,
        *,
        toml_error: tomllib.TOMLDecodeError | None = None,
        missing: bool = False,
    ) -> None:
        super().__init__(why)
        self.why = why
        self.toml_error = toml_error
        self.missing = missing


def read_toml_limited(path: Path | str, limit: int, *, what: str) -> tuple[str, dict[str, Any]]:
    """The text of a UTF-8 TOML file of at most ``limit`` bytes, and its tables;
    :class:`TomlUnreadable` says why not."""
    try:
        text = read_text_limited(path, limit, what=what)
    except OSError as exc:
        raise TomlUnreadable(
            f"cannot be read: {exc.strerror or exc.__class__.__name__}",
            missing=isinstance(exc, FileNotFoundError),
        ) from None
    except UnicodeDecodeError:
        raise TomlUnreadable("is not UTF-8 text") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message names a line and column, never the offending value.
        raise TomlUnreadable(f"is not valid TOML: {exc}", toml_error=exc) from None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def create_exclusive(path: Path, data: bytes, *, mode: int = 0o644, force: bool = False) -> None:
    """Create ``path`` holding ``data`` with ``mode`` from the first byte.

    Without ``force`` an existing path (a file, or a symbolic link wherever it points) is refused
    with ``FileExistsError``. With ``force`` an existing regular file is replaced as a whole (a
    new file renamed over it), never written through: a symbolic link at ``path`` is replaced by
    the file, not followed, and the file it pointed to is left alone.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    if not force:
        fd = os.open(path, flags, mode)
        _write_all(fd, data, mode, path)
        return
    if path.is_dir() and not path.is_symlink():
        raise IsADirectoryError(errno.EISDIR, "a folder is in the way", str(path))
    temp = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(temp, flags, mode)
    try:
        _write_all(fd, data, mode, temp)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def _write_all(fd: int, data: bytes, mode: int, path: Path) -> None:
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    os.close(fd)
