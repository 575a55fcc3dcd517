"""One way from a database row to a record: a record's fields are read from the row's columns of
the same names, so each mapper says only what it converts (an enum, a copy of a JSON mapping)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

from station.store.models import Measurement

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")

#: what a measurement holds, in the order of :class:`MeasurementRecord`'s fields (and of the
#: measurement export's last columns)
MEASURED = (
    Measurement.name,
    Measurement.value,
    Measurement.text_value,
    Measurement.unit,
    Measurement.low_limit,
    Measurement.high_limit,
    Measurement.outcome,
)


def from_row(record: type[R], row: Any, **given: Any) -> R:
    """A ``record`` from ``row`` (an ORM object or a Core row): each field is ``given`` or the
    row's attribute of that name."""
    values = {
        f.name: given[f.name] if f.name in given else getattr(row, f.name)
        for f in dataclasses.fields(record)
    }
    return record(**values)


def to_values(record: DataclassInstance, **extra: Any) -> dict[str, Any]:
    """The record's fields (not copied deeper) and ``extra``, as an insert's values."""
    return {**{f.name: getattr(record, f.name) for f in dataclasses.fields(record)}, **extra}
