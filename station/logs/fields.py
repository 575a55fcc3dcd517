"""The structured fields a station record carries, and the context that fills them in.

A run binds its serial, attempt id and current step for the thread that runs it; every record
logged in that thread until the run ends (the engine's, the gauge driver's, the store's) then
carries them, so one query on ``ATTEMPT=1234`` tells one pack's story. Code may also pass a field
explicitly: ``log.info(..., extra={"failure_code": "BUS_NACK"})``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

#: Field names, in the order the file format shows them; the journal spells them in capitals.
FIELD_NAMES: tuple[str, ...] = ("station", "socket", "attempt", "serial", "step", "failure_code")

#: Attribute a :class:`FieldsFilter` sets on each record it passes.
RECORD_ATTRIBUTE = "station_fields"

_EMPTY: Mapping[str, str] = MappingProxyType({})
# Per thread of execution (a run's worker thread, the UI thread): logging context, not state
# shared between runs.
_bound: ContextVar[Mapping[str, str]] = ContextVar("station_log_fields", default=_EMPTY)


def _clean(fields: Mapping[str, object]) -> dict[str, str]:
    unknown = set(fields) - set(FIELD_NAMES)
    if unknown:
        raise ValueError(f"unknown log field(s) {sorted(unknown)}; known: {FIELD_NAMES}")
    return {k: str(v) for k, v in fields.items() if v is not None and str(v) != ""}


@contextmanager
def bind(**fields: object) -> Iterator[None]:
    """Attach ``fields`` to every record logged in this context until the block ends."""
    merged = {**_bound.get(), **_clean(fields)}
    token = _bound.set(MappingProxyType(merged))
    try:
        yield
    finally:
        _bound.reset(token)


def update(**fields: object) -> None:
    """Change bound fields inside a :func:`bind` block (the attempt id once the attempt is open,
    the step as the run moves on); ``None`` removes a field. The block's end undoes it."""
    merged = dict(_bound.get())
    for name in fields:
        merged.pop(name, None)
    merged.update(_clean(fields))
    _bound.set(MappingProxyType(merged))


def bound() -> dict[str, str]:
    """The fields bound in this context now."""
    return dict(_bound.get())


def run_fields(record: logging.LogRecord) -> dict[str, str]:
    """The fields of ``record`` as set by the :class:`FieldsFilter` (empty if none ran)."""
    fields = getattr(record, RECORD_ATTRIBUTE, None)
    return dict(fields) if isinstance(fields, dict) else {}


class FieldsFilter(logging.Filter):
    """Sets ``record.station_fields``: the station's own fields, then what the context binds,
    then fields passed with the record itself. Never drops a record."""

    def __init__(self, static: Mapping[str, str]) -> None:
        super().__init__()
        self._static = _clean(static)

    def filter(self, record: logging.LogRecord) -> bool:
        fields = dict(self._static)
        fields.update(_bound.get())
        for name in FIELD_NAMES:
            value = record.__dict__.get(name)
            if value is not None and str(value) != "":
                fields[name] = str(value)
        setattr(record, RECORD_ATTRIBUTE, fields)
        return True
