"""Short texts shared by the screens: durations, yields, outcomes."""

from __future__ import annotations


def seconds(value: float | None) -> str:
    """``4.2 s``, ``1 min 03 s``; ``-`` when unknown."""
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f} s"
    minutes, secs = divmod(round(value), 60)
    return f"{minutes} min {secs:02d} s"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def with_article(word: str) -> str:
    """``an operator``, ``an engineer``, ``a supervisor``."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 problem``, ``2 problems``, ``1 byte``."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
