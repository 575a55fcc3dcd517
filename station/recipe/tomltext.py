"""Small TOML helpers the standard library lacks: where each key is written, and writing values.

``tomllib`` parses but forgets positions; :func:`key_lines` finds the line of every key so a
validation error can name ``file:line``. It understands tables, arrays of tables, dotted and quoted
keys, inline tables on one line, multi-line strings and arrays: what recipe and profile files use.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from decimal import Decimal

KeyPath = tuple[str, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _parse_key(text: str) -> KeyPath:
    """``a."b c".d`` → ("a", "b c", "d"). Tolerant: odd input gives its best reading."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t.":
            i += 1
            continue
        if c in "\"'":
            j = i + 1
            buf = []
            while j < n and text[j] != c:
                if c == '"' and text[j] == "\\" and j + 1 < n:
                    buf.append(text[j + 1])
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            parts.append("".join(buf))
            i = j + 1
            continue
        m = _BARE.match(text, i)
        if not m:
            break
        parts.append(m.group(0))
        i = m.end()
    return tuple(parts)


def _split_assignment(line: str) -> tuple[str, str] | None:
    """Split ``key = value`` at the first ``=`` outside quotes."""
    quote = ""
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "=":
            return line[:i], line[i + 1 :]
        elif c == "#":
            return None
    return None


def _bracket_delta(text: str) -> int:
    """Net open brackets in ``text``, ignoring strings and comments."""
    depth = 0
    quote = ""
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "#":
            break
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        i += 1
    return depth


def key_lines(text: str) -> dict[KeyPath, int]:
    """{key path: 1-based line} for every table header and key in ``text``.

    Arrays of tables get their index as a path element: ``[[change]]`` → ("change", "0").
    Keys inside a one-line inline table get the line of that table.
    """
    out: dict[KeyPath, int] = {}
    table: KeyPath = ()
    counts: dict[KeyPath, int] = {}
    multiline = ""
    depth = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        if multiline:
            if multiline in line:
                multiline = ""
            continue
        if depth > 0:
            depth = max(0, depth + _bracket_delta(line))
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[["):
            path = _parse_key(stripped[2 : stripped.find("]]")])
            index = counts.get(path, -1) + 1
            counts[path] = index
            table = (*path, str(index))
            out.setdefault(table, lineno)
            continue
        if stripped.startswith("["):
            table = _parse_key(stripped[1 : stripped.rfind("]")])
            out.setdefault(table, lineno)
            continue
        split = _split_assignment(stripped)
        if split is None:
            continue
        key_text, value = split
        full = table + _parse_key(key_text)
        out.setdefault(full, lineno)
        value = value.strip()
        for triple in ('"""', "'''"):
            if value.startswith(triple) and value.count(triple) == 1:
                multiline = triple
        if value.startswith("{"):
            for m in re.finditer(r"""[{,]\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""", value):
                out.setdefault((*full, _parse_key(m.group(1))[0]), lineno)
        if not multiline:
            depth = max(0, _bracket_delta(value))
    return out


def error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    """The line a ``tomllib`` error names (its text is the only place that says it)."""
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None


def line_of(lines: Mapping[KeyPath, int], *path: str) -> int | None:
    """The line of ``path``, else of its nearest written parent, else None."""
    p: KeyPath = tuple(path)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return None


def show_value(value: object) -> str:
    """How a TOML value reads in an error message."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {show_value(v)}" for k, v in value.items()) + " }"
    return str(value)


# -- writing --------------------------------------------------------------------------------


def key(text: str) -> str:
    return text if _BARE.fullmatch(text) else basic_string(text)


def basic_string(text: str) -> str:
    out = ['"']
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def literal_or_basic(text: str) -> str:
    """A literal string ('...') when possible: regular expressions read better without escapes."""
    if "'" not in text and all(ord(c) >= 0x20 and ord(c) != 0x7F for c in text):
        return f"'{text}'"
    return basic_string(text)


def value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError("TOML files written by the station hold finite numbers only")
        return repr(v)
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, str):
        return basic_string(v)
    if isinstance(v, Mapping):
        inner = ", ".join(f"{key(str(k))} = {value(x)}" for k, x in v.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(v, Sequence):
        return "[" + ", ".join(value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")
