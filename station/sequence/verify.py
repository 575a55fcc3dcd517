"""Reading data-flash blocks back and measuring the pack against the recipe's checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from station.gauge import Gauge
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile.image import BLOCK_SIZE, DataFlashImage
from station.sequence.events import Measurement, Verdict

#: A connected Li-ion cell never reads below this; a configured but absent cell reads near 0 V.
CELL_PRESENT_MV = 500


def contiguous_runs(blocks: Iterable[int]) -> list[tuple[int, int]]:
    """Aligned block addresses → (start, number of blocks) runs, for auto-increment reads."""
    runs: list[tuple[int, int]] = []
    for b in sorted(set(blocks)):
        if runs and runs[-1][0] + runs[-1][1] * BLOCK_SIZE == b:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((b, 1))
    return runs


def read_blocks(
    gauge: Gauge,
    blocks: Iterable[int],
    progress: Callable[[int, int], None] | None,
    checkpoint: Callable[[], None] | None,
    *,
    confirm: Iterable[int] = (),
) -> DataFlashImage:
    """Read aligned blocks, one address write per contiguous run (the gauge auto-increments).

    Without PEC the blocks in ``confirm`` are read again until two reads agree: rows whose bytes
    will be written back, and every row a verify judges."""
    runs = contiguous_runs(blocks)
    total = sum(n for _, n in runs) * BLOCK_SIZE
    done = 0
    image = DataFlashImage()
    if progress is not None:
        progress(0, total)
    for start, count in runs:
        if checkpoint is not None:
            checkpoint()
        base = done

        def step(read: int, _total: int, base: int = base) -> None:
            if progress is not None:
                progress(base + read, total)

        data = gauge.read_df(start, count * BLOCK_SIZE, progress=step)
        for i in range(count):
            image.set_block(start + i * BLOCK_SIZE, data[i * BLOCK_SIZE : (i + 1) * BLOCK_SIZE])
        done += count * BLOCK_SIZE
    wanted = {b: image.blocks[b] for b in confirm if b in image.blocks}
    if wanted and not gauge.pec:
        if checkpoint is not None:
            checkpoint()
        for address, data in gauge.confirm_rows(wanted).items():
            image.set_block(address, data)
    return image


def evaluate_checks(gauge: Gauge, recipe: Recipe) -> list[tuple[Measurement, str]]:
    """Measure the pack and judge it with the recipe's checks: (measurement, failure code)."""
    checks = recipe.checks
    cells = [int(v.value) for v in gauge.cell_voltages(4) if isinstance(v.value, int | float)]
    temperature = gauge.temperature()
    temp_c = float(temperature.value) if isinstance(temperature.value, int | float) else 0.0
    safety = gauge.safety_status().raw
    pf = gauge.pf_status().raw
    mfg = gauge.manufacturing_status().raw
    seen = sum(1 for v in cells if v >= CELL_PRESENT_MV)
    out: list[tuple[Measurement, str]] = []
    for i, mv in enumerate(cells[: max(checks.cells, seen)], start=1):
        # A reading: the recipe judges the cells together (cell voltage, imbalance) below.
        out.append((Measurement(f"cell {i} voltage", float(mv), "mV"), ""))
    for result in checks.evaluate(
        cells_seen=seen,
        cell_voltages_mv=cells,
        temperatures_c=[temp_c],
        safety_status=safety,
        pf_status=pf,
        manufacturing_status=mfg,
    ):
        verdict = Verdict.of(result.passed)
        m = _numeric(result.name, verdict, recipe, cells, seen, temp_c)
        if m is None:
            m = Measurement(
                result.name,
                None,
                verdict=verdict,
                text=f"{result.measured} (expected {result.expected})",
            )
        out.append((m, result.failure_code))
    return out


def _numeric(
    name: str, verdict: Verdict, recipe: Recipe, cells: list[int], seen: int, temp_c: float
) -> Measurement | None:
    checks = recipe.checks
    if name == "cells":
        return Measurement("cells seen", float(seen), "", checks.cells, checks.cells, verdict)
    if name == "cell voltage" and checks.cell_voltage_mv is not None:
        lo, hi = checks.cell_voltage_mv
        used = cells[: checks.cells] or [0]
        # Show the cell that broke a limit, else the lowest one.
        worst = max(used) if max(used) > hi and min(used) >= lo else min(used)
        return Measurement("cell voltage (worst)", float(worst), "mV", lo, hi, verdict)
    if name == "cell imbalance" and checks.max_cell_imbalance_mv is not None:
        used = cells[: checks.cells] or [0]
        spread = max(used) - min(used)
        return Measurement(
            "cell imbalance", float(spread), "mV", 0, checks.max_cell_imbalance_mv, verdict
        )
    if name == "temperature" and checks.temperature_c is not None:
        t_lo, t_hi = checks.temperature_c
        return Measurement("temperature", round(temp_c, 1), "°C", float(t_lo), float(t_hi), verdict)
    return None
