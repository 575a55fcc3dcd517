"""A refusal reads as one; a station defect never does.

Every face shows a :class:`~station.refusal.Refused` with its reason and shows anything else as a
station fault (logged with its traceback). A refusal used to be a ``ValueError``, so a defect deep
in the code (a ``ValueError`` from a bad conversion) surfaced as a polite refusal and nobody looked
at the log.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from station.labels import LabelStockError, PrinterSpecError, parse_printer_spec, parse_stock
from station.refusal import Refused
from station.sequence.line import LineStation
from station.store import Store, StoreInputError
from tests.station_cli import clean_environment, db_of, station

SERIAL = "PK4S-000123"


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_environment(monkeypatch, tmp_path)


def test_a_value_error_inside_the_service_is_a_station_fault_not_a_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: LineStation, serial: str) -> object:
        raise ValueError("invalid literal for int() with base 10: 'x'")

    monkeypatch.setattr(LineStation, "label_artwork", broken)
    done = station("label", "preview", "--serial", SERIAL, "--out", "-", "--db", db_of(tmp_path))
    assert done.exit_code == 1
    assert "station fault: unexpected ValueError" in done.output
    assert "call a technician" in done.output


def test_a_refusal_from_the_service_is_shown_as_its_reason(tmp_path: Path) -> None:
    done = station("label", "preview", "--serial", SERIAL, "--out", "-", "--db", db_of(tmp_path))
    assert done.exit_code == 1
    assert f"pack {SERIAL} has no PASS: there is no label to preview" in done.output
    assert "station fault" not in done.output


@pytest.mark.parametrize(
    ("refuse", "kind"),
    [
        (lambda: parse_printer_spec("carrier-pigeon:7"), PrinterSpecError),
        (lambda: parse_stock("napkin"), LabelStockError),
    ],
)
def test_label_refusals_are_refusals_and_not_value_errors(refuse, kind) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(kind) as caught:
        refuse()
    assert isinstance(caught.value, Refused)
    assert not isinstance(caught.value, ValueError)


def test_a_value_the_store_cannot_keep_is_a_refusal_and_not_a_value_error(tmp_path: Path) -> None:
    with Store.open(db_of(tmp_path)) as store, pytest.raises(StoreInputError) as caught:
        store.release_recipe("", "1.0", "ab" * 32, "text", "ENG-1")
    assert isinstance(caught.value, Refused)
    assert not isinstance(caught.value, ValueError)
