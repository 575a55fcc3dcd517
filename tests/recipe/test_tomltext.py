"""Key positions in TOML text (for file:line errors) and values written back."""

from __future__ import annotations

import tomllib

from hypothesis import given
from hypothesis import strategies as st

from station.recipe import tomltext

TEXT = """# comment
[recipe]
name = "x"
cells = 4   # four

[parameters]
"DA Configuration" = { cells = 4, SLEEP = true }
'COV Threshold Low Temp' = "4250 mV"
list = [
  1,
  2,
]
note = \"\"\"
fake = 1
\"\"\"
after = 1

[[change]]
what = 1
[[change]]
what = 2
"""


def test_key_lines() -> None:
    lines = tomltext.key_lines(TEXT)
    assert lines[("recipe",)] == 2
    assert lines[("recipe", "cells")] == 4
    assert lines[("parameters", "DA Configuration")] == 7
    assert lines[("parameters", "DA Configuration", "SLEEP")] == 7
    assert lines[("parameters", "COV Threshold Low Temp")] == 8
    assert lines[("parameters", "after")] == 16
    assert ("parameters", "fake") not in lines
    assert lines[("change", "1", "what")] == 21
    assert tomltext.line_of(lines, "parameters", "missing") == 6


PLAIN = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x2FF), max_size=30)


@given(st.dictionaries(PLAIN, st.one_of(PLAIN, st.integers(), st.booleans()), max_size=5))
def test_written_values_read_back(values: dict[str, object]) -> None:
    text = "\n".join(f"{tomltext.key(k)} = {tomltext.value(v)}" for k, v in values.items())
    assert tomllib.loads(text) == values


@given(PLAIN)
def test_literal_or_basic_strings_read_back(text: str) -> None:
    assert tomllib.loads(f"v = {tomltext.literal_or_basic(text)}")["v"] == text
