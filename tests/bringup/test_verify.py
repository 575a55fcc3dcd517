"""A profile checked against a bqStudio export of an emulated reference pack and its data flash."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.emulator.ggexport import gg_csv_text
from station.recipe.errors import FileFormatError
from station.recipe.profile.library import ProfileLibrary
from station.recipe.ti.ggcsv import parse_gg_csv
from station.recipe.ti.verify import Status, verify_export
from tests.bringup.helpers import (
    CREATED,
    distinct_value,
    emulated_pack,
    export_of,
    free_address,
    image_of,
    load,
    profile_copy,
)

SHIPPED = ProfileLibrary().get("bq40z50-r1")


def status_of(v: object, key: str) -> Status:
    from station.recipe.ti.verify import Verification

    assert isinstance(v, Verification)
    return next(f.status for f in v.findings if f.parameter.key == key)


def test_an_export_of_the_emulated_reference_pack_confirms_every_role_of_the_shipped_profile() -> (
    None
):
    device = emulated_pack("reference")
    v = verify_export(SHIPPED, export_of(device), "0" * 64, image_of(device))
    assert v.unconfirmed(v.profile.roles.keys()) == []
    assert v.pack_checked
    assert v.method == "reference-pack"
    assert status_of(v, "Settings:Manufacturing:Mfg Status Init") is Status.CONFIRMED
    # the address sources disagree on: confirmed at the table's address, yet not signable
    assert status_of(v, "Settings:Configuration:IO Config") is Status.DISPUTED
    assert "Settings:Configuration:IO Config" not in v.confirmed_keys()


def test_values_found_everywhere_confirm_weakly_until_changed_and_exported_again() -> None:
    device = emulated_pack("default")  # factory pack: Mfg Status Init and the date are 0
    mfg = SHIPPED.get("Mfg Status Init")
    first = verify_export(SHIPPED, export_of(device), "0" * 64, image_of(device))
    assert status_of(first, mfg.key) is Status.WEAK
    assert mfg.key not in first.confirmed_keys()
    device.df_set(mfg.key, distinct_value(mfg))
    second = verify_export(SHIPPED, export_of(device), "1" * 64, image_of(device))
    assert status_of(second, mfg.key) is Status.CONFIRMED


def test_a_profile_copy_with_one_wrong_address_is_caught_and_only_that_parameter(
    tmp_path: Path,
) -> None:
    cuv = SHIPPED.get("CUV Threshold")
    wrong = free_address(SHIPPED, cuv.size)
    copy = load(profile_copy(tmp_path, relocate={cuv.key: wrong}))
    device = emulated_pack("reference")
    v = verify_export(copy, export_of(device), "0" * 64, image_of(device))
    finding = next(f for f in v.findings if f.parameter.key == cuv.key)
    assert finding.status is Status.ADDRESS_DIFFERS
    assert f"profile says 0x{wrong:04X}, export says 0x{cuv.address:04X}" in finding.detail
    assert cuv.key not in v.confirmed_keys()
    assert v.with_status(Status.ADDRESS_DIFFERS) == [finding]


def test_the_pack_must_hold_the_exported_value_at_the_profiles_address() -> None:
    device = emulated_pack("reference")
    export = export_of(device)
    design = SHIPPED.get("Design Capacity mAh")
    device.df_set(design.key, 4321)  # the pack changed after the export
    v = verify_export(SHIPPED, export, "0" * 64, image_of(device))
    finding = next(f for f in v.findings if f.parameter.key == design.key)
    assert finding.status is Status.PACK_DIFFERS
    assert "the pack holds 4321 mAh" in finding.detail


def test_without_a_pack_the_exports_layout_alone_confirms() -> None:
    device = emulated_pack("default")
    v = verify_export(SHIPPED, export_of(device), "0" * 64, None)
    assert not v.pack_checked
    assert v.method == "bqstudio-export"
    assert status_of(v, "Settings:Manufacturing:Mfg Status Init") is Status.CONFIRMED


def test_a_type_or_length_the_export_disagrees_with_is_named() -> None:
    text = gg_csv_text(emulated_pack("default"), created=CREATED)
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("Protections,CUV,Threshold,"))
    lines[i] = lines[i].replace(",I,2,", ",I,4,")
    v = verify_export(SHIPPED, parse_gg_csv("\n".join(lines), "x.gg.csv"), "0" * 64, None)
    finding = next(f for f in v.findings if f.parameter.key == "Protections:CUV:Threshold")
    assert finding.status is Status.TYPE_DIFFERS
    assert "profile says I2, export says I4" in finding.detail


def test_a_parameter_the_export_lacks_is_not_confirmed() -> None:
    text = gg_csv_text(emulated_pack("default"), created=CREATED)
    kept = [line for line in text.splitlines() if not line.startswith("Protections,CUV,Delay,")]
    v = verify_export(SHIPPED, parse_gg_csv("\n".join(kept), "x.gg.csv"), "0" * 64, None)
    assert status_of(v, "Protections:CUV:Delay") is Status.NOT_IN_EXPORT


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("* Firmware Version 2.01", "FIRMWARE_MISMATCH"),
        ("* Device Number 4600", "DEVICE_MISMATCH"),
    ],
)
def test_an_export_of_another_firmware_or_device_is_refused(header: str, code: str) -> None:
    text = gg_csv_text(emulated_pack("default"), created=CREATED)
    field = header.split(" ", 2)[1]
    lines = [header if line.startswith(f"* {field}") else line for line in text.splitlines()]
    with pytest.raises(FileFormatError) as caught:
        verify_export(SHIPPED, parse_gg_csv("\n".join(lines), "x.gg.csv"), "0" * 64, None)
    assert caught.value.problems[0].code == code


def _as_f32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


_WRITABLE = [p for p in SHIPPED.parameters if p.dtype.kind in "IUHF" and not SHIPPED.disputes_of(p)]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_value_the_pack_holds_reads_back_through_the_export(data: st.DataObject) -> None:
    """Whatever a parameter holds (decimal steps, hexadecimal, floats, signed), the export shows
    it so that it reads back as the same stored value: confirmed, or weakly when its bytes are
    all alike, never 'pack differs'."""
    p = data.draw(st.sampled_from(_WRITABLE))
    lo = p.minimum if p.minimum is not None else p.dtype.raw_min
    hi = p.maximum if p.maximum is not None else p.dtype.raw_max
    if p.dtype.kind == "F":
        # A limit such as 0.1 has no exact 32-bit form: draw in 64 bits, keep the 32-bit values
        # inside the limits (what the pack can hold).
        value: float | int = data.draw(
            st.floats(float(lo), float(hi), allow_nan=False)
            .map(_as_f32)
            .filter(lambda v: float(lo) <= v <= float(hi))
        )
    else:
        value = data.draw(st.integers(int(lo), int(hi)))
    device = emulated_pack("default")
    device.df_set(p.key, value)
    v = verify_export(SHIPPED, export_of(device), "0" * 64, image_of(device))
    assert status_of(v, p.key) in (Status.CONFIRMED, Status.WEAK)
