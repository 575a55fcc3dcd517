"""Fault injection: what a bad cable, a flaky gauge or a dying pack does to the bus.

Transaction indices are 0-based and count every ``i2c_rdwr`` call since the device was opened
(``device.transaction_count`` is the index of the next one). Data-flash write numbers are 1-based
and count the data-flash block writes the host attempted since the device was opened.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class FaultPlan:
    """Faults to inject; mutable so a test can arm one between transactions."""

    #: NACK (address stage) the transactions with these indices.
    nack_at: set[int] = field(default_factory=set)
    #: Flip one bit in these transactions: in the response (reads) or in what the gauge received
    #: (writes). A host read then fails its PEC check; a host write with PEC is NACKed; a host
    #: write without PEC is applied corrupted.
    corrupt_at: set[int] = field(default_factory=set)
    #: Which bit of a read's answer flips, by transaction index: (data byte, bit). Unlisted
    #: corrupted reads flip bit 4 of their last data byte.
    corrupt_where: dict[int, tuple[int, int]] = field(default_factory=dict)
    #: The pack is gone from this transaction index on (everything NACKs).
    gone_from: int | None = None
    #: The bus is stuck from this transaction index on (a clock line held low, a hung adapter):
    #: every transaction times out, whatever the address.
    stuck_from: int | None = None
    #: Data-flash writes NACK from the k-th one on.
    df_write_nack_from: int | None = None
    #: These data-flash write attempts NACK (a gauge busy or refusing for a moment).
    df_write_nack_at: set[int] = field(default_factory=set)
    #: The pack vanishes at the k-th data-flash write (that write and everything after NACK).
    df_write_gone_at: int | None = None
    #: These data-flash writes are acknowledged but do not take.
    df_write_lost: set[int] = field(default_factory=set)
    #: Random NACK / corruption probabilities per transaction, drawn from ``rng``.
    nack_rate: float = 0.0
    corrupt_rate: float = 0.0
    seed: int = 0
    rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("nack_rate", "corrupt_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} is a probability (0-1), not {rate}")
        self.rng = random.Random(self.seed)

    def reseed(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)

    def is_gone(self, index: int) -> bool:
        return self.gone_from is not None and index >= self.gone_from

    def is_stuck(self, index: int) -> bool:
        return self.stuck_from is not None and index >= self.stuck_from

    def draw_nack(self, index: int) -> bool:
        """Whether transaction ``index`` is NACKed by plan or by chance."""
        if index in self.nack_at:
            return True
        return self.nack_rate > 0 and self.rng.random() < self.nack_rate

    def draw_corrupt(self, index: int) -> bool:
        if index in self.corrupt_at:
            return True
        return self.corrupt_rate > 0 and self.rng.random() < self.corrupt_rate
