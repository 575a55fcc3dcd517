"""Export records as CSV text, as ``station export --format csv`` writes them: a header line, then
one line per record; times in ISO 8601 with their offset, nothing for a missing value.

Produced in chunks, so a web response can stream millions of rows without holding them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from enum import Enum
from typing import Any

#: records written per chunk
CHUNK = 500


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def csv_chunks(columns: tuple[str, ...], records: Iterable[Any]) -> Iterator[str]:
    """The CSV text of ``records`` (objects with an attribute per column), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    pending = 0
    for record in records:
        writer.writerow([_cell(getattr(record, c)) for c in columns])
        pending += 1
        if pending == CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()
