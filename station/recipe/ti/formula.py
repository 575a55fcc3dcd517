"""bqStudio read/write formulas (``x``, ``x*10``, ``x/2``, ``(x-2731)/10``...), evaluated safely.

A small parser accepts numbers, ``x``, ``+ - * /``, unary minus and parentheses, and only
formulas that are linear in ``x`` (``a·x + b``). Anything else is refused by name; nothing is ever
handed to ``eval``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

MAX_LENGTH = 120
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)(?:[eE]([-+]?\d+))?|([xX])|([-+*/()]))")


class FormulaError(ValueError):
    """A formula the station will not evaluate; the message says why."""


@dataclass(frozen=True)
class Affine:
    """``a·x + b`` with exact coefficients."""

    a: Fraction
    b: Fraction

    def apply(self, x: Fraction) -> Fraction:
        return self.a * x + self.b


def _tokens(text: str) -> list[str | Fraction]:
    out: list[str | Fraction] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FormulaError(f"cannot read {text[pos : pos + 10]!r} in the formula {text!r}")
        if m.group(1) is not None:
            value = Fraction(m.group(1))
            if m.group(2) is not None:
                exponent = int(m.group(2))
                if abs(exponent) > 12:
                    raise FormulaError(f"exponent {exponent} is out of range in {text!r}")
                value *= Fraction(10) ** exponent
            out.append(value)
        elif m.group(3) is not None:
            out.append("x")
        else:
            out.append(m.group(4))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> str | Fraction | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> str | Fraction | None:
        t = self.peek()
        self.i += 1
        return t

    def parse(self) -> Affine:
        if not self.tokens:
            raise FormulaError("the formula is empty")
        result = self.expr()
        if self.peek() is not None:
            raise FormulaError(f"unexpected {self.peek()!s} in {self.text!r}")
        return result

    def expr(self) -> Affine:
        left = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            right = self.term()
            sign = 1 if op == "+" else -1
            left = Affine(left.a + sign * right.a, left.b + sign * right.b)
        return left

    def term(self) -> Affine:
        left = self.factor()
        while self.peek() in ("*", "/"):
            op = self.take()
            right = self.factor()
            if op == "*":
                if left.a and right.a:
                    raise FormulaError(f"{self.text!r} multiplies x by x: only linear formulas")
                left = Affine(left.a * right.b + right.a * left.b, left.b * right.b)
            else:
                if right.a:
                    raise FormulaError(f"{self.text!r} divides by x: only linear formulas")
                if right.b == 0:
                    raise FormulaError(f"{self.text!r} divides by zero")
                left = Affine(left.a / right.b, left.b / right.b)
        return left

    def factor(self) -> Affine:
        t = self.take()
        if t == "-":
            inner = self.factor()
            return Affine(-inner.a, -inner.b)
        if t == "+":
            return self.factor()
        if t == "x":
            return Affine(Fraction(1), Fraction(0))
        if isinstance(t, Fraction):
            return Affine(Fraction(0), t)
        if t == "(":
            self.depth += 1
            if self.depth > 8:
                raise FormulaError(f"{self.text!r} nests parentheses too deeply")
            inner = self.expr()
            if self.take() != ")":
                raise FormulaError(f"missing ) in {self.text!r}")
            self.depth -= 1
            return inner
        raise FormulaError(f"unexpected {'end' if t is None else t} in {self.text!r}")


def parse_formula(text: str) -> Affine:
    """The linear function a formula describes; :class:`FormulaError` for anything else."""
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"a formula of {len(text)} characters is not a bqStudio formula")
    return _Parser(text).parse()
