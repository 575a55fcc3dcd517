"""Packs per hour with 1, 2, 4 and 8 sockets, behind one emulated mux and on separate adapters.

Every socket programs the same recipe (4S3P) into factory packs at 100 kHz, the sockets side by
side in virtual time (:class:`station.clock.VirtualScheduler`): waits overlap, and on a shared
adapter every transaction (with its channel select) and every key pair takes the bus in turn.
The shared adapter's occupancy is the fraction of the run its bus carried something: the limit
of what more sockets on it can add. ``python -m tests.bench.sockets_bench``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.sockets.fleet import fleet

SOCKETS = (1, 2, 4, 8)
#: packs each socket programs in a measured run
PACKS = 5


@dataclass(frozen=True)
class Throughput:
    sockets: int
    behind_mux: bool
    packs: int
    passed: int
    elapsed_s: float
    #: fraction of the run the shared adapter's bus was busy (behind a mux only)
    occupancy: float | None
    lock_waits: int
    #: bus time per pack on the shared adapter, channel selects included (behind a mux only)
    bus_s_per_pack: float | None = None
    host_pec: bool = False
    #: mux channel selects per pack (behind a mux only): each a 3-byte write on the shared bus
    selects_per_pack: float | None = None

    @property
    def packs_per_hour(self) -> float:
        return self.packs / self.elapsed_s * 3600


def measure_one(
    tmp: Path, sockets: int, *, behind_mux: bool, packs: int = PACKS, host_pec: bool = False
) -> Throughput:
    station = fleet(tmp, sockets, behind_mux=behind_mux, host_pec=host_pec)
    start = station.clock.monotonic()
    results = station.run(packs)
    elapsed = station.clock.monotonic() - start
    done = [r for runs in results.values() for r in runs]
    passed = sum(1 for r in done if r.passed)
    occupancy = station.mux.stats.bus_time_s / elapsed if behind_mux else None
    bus = station.mux.stats.bus_time_s / len(done) if behind_mux and done else None
    selects = station.mux.stats.selects / len(done) if behind_mux and done else None
    waits = sum(lock.waits for lock in station.registry.adapter_locks())
    if behind_mux:
        assert station.mux.stats.stray == 0, "a transaction reached another socket's pack"
    return Throughput(
        sockets, behind_mux, len(done), passed, elapsed, occupancy, waits, bus, host_pec, selects
    )


def measure(packs: int = PACKS) -> list[Throughput]:
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-sockets-") as tmp:
        for behind_mux in (True, False):
            for n in SOCKETS:
                where = Path(tmp) / f"{'mux' if behind_mux else 'sep'}-{n}"
                out.append(measure_one(where, n, behind_mux=behind_mux, packs=packs))
        # The bus time one pack takes, when its reads need no second read (the pack sends PEC).
        out.append(measure_one(Path(tmp) / "pec", 1, behind_mux=True, packs=packs, host_pec=True))
    return out


TARGETS = {(4, False): 3.6, (8, True): 5.0}


def table(figures: list[Throughput]) -> list[tuple[str, str, str, str]]:
    one = {f.behind_mux: f.packs_per_hour for f in figures if f.sockets == 1 and not f.host_pec}
    rows = []
    for f in figures:
        if f.host_pec:
            continue
        where = "behind one mux" if f.behind_mux else "on separate adapters"
        speedup = f.packs_per_hour / one[f.behind_mux]
        target = TARGETS.get((f.sockets, f.behind_mux))
        ratio = f"{speedup:.2f}x one socket"
        if target is not None:
            ratio += f" (target >= {target:g}x)"
        comparison = f"{f.passed}/{f.packs} PASS"
        if f.occupancy is not None:
            comparison += f", shared bus busy {100 * f.occupancy:.0f} %"
        if f.selects_per_pack is not None and f.sockets > 1:
            comparison += f", {f.selects_per_pack:.0f} channel selects per pack"
        rows.append(
            (
                f"packs per hour, {f.sockets} socket{'s' if f.sockets > 1 else ''} {where}",
                f"{f.packs_per_hour:.0f}",
                comparison,
                ratio,
            )
        )
    for f in figures:
        if f.sockets == 1 and f.bus_s_per_pack is not None:
            pec = "PEC (one read decides)" if f.host_pec else "no PEC (deciding reads read twice)"
            rows.append(
                (
                    f"bus time per pack, one socket, {pec}",
                    f"{1000 * f.bus_s_per_pack:.0f} ms",
                    f"{f.passed}/{f.packs} PASS",
                    f"{f.elapsed_s / f.packs:.3f} s per pack",
                )
            )
    return rows


def main() -> None:
    for row in table(measure()):
        print(" | ".join(row))


if __name__ == "__main__":
    main()
