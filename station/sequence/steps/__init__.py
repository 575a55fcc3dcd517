"""The steps of a run, declared as data: the engine walks a list of them.

A step is one function of the :class:`~station.sequence.run.Run`: it returns a summary (the
step passed) or raises (the engine turns that into its failure). What a recipe does is which
list it runs: a FlashStream recipe applies its stream instead of the planned writes, and a recipe
without production keys has no key step. A new kind of step (a calibration) is one more entry in
a list, not a branch inside every step: a recipe with a [calibration] section calibrates between
the reset and verify.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from station.recipe.product.recipe_model import Recipe
from station.sequence.events import StepId
from station.sequence.run import Run
from station.sequence.steps.apply import apply_flashstream, apply_parameters, reset
from station.sequence.steps.calibrate import calibrate
from station.sequence.steps.finish import install_keys, print_label, seal, verify
from station.sequence.steps.prepare import backup, identify, unseal


@dataclass(frozen=True)
class Step:
    """One step of a run: what it is, and what it does to the run."""

    id: StepId
    action: Callable[[Run], str]
    #: whether the operator's abort is honoured as the step starts (never once sealed)
    safe_point: bool = True


IDENTIFY = Step(StepId.IDENTIFY, identify)
UNSEAL = Step(StepId.UNSEAL, unseal)
BACKUP = Step(StepId.BACKUP, backup)
APPLY_PARAMETERS = Step(StepId.APPLY, apply_parameters)
APPLY_FLASHSTREAM = Step(StepId.APPLY, apply_flashstream)
RESET = Step(StepId.RESET, reset)
CALIBRATE = Step(StepId.CALIBRATE, calibrate)
VERIFY = Step(StepId.VERIFY, verify)
INSTALL_KEYS = Step(StepId.KEYS, install_keys)
SEAL = Step(StepId.SEAL, seal)
LABEL = Step(StepId.LABEL, print_label)

#: a parameter or image recipe
PARAMETER_STEPS: tuple[Step, ...] = (
    IDENTIFY,
    UNSEAL,
    BACKUP,
    APPLY_PARAMETERS,
    RESET,
    VERIFY,
    SEAL,
    LABEL,
)
#: a FlashStream recipe: its stream, then the per-unit fields
FLASHSTREAM_STEPS: tuple[Step, ...] = (
    IDENTIFY,
    UNSEAL,
    BACKUP,
    APPLY_FLASHSTREAM,
    RESET,
    VERIFY,
    SEAL,
    LABEL,
)


def pack_steps(recipe: Recipe) -> tuple[Step, ...]:
    """The steps that touch the pack for ``recipe``, in order (the scan before them and the
    record after them are the engine's own)."""
    steps: tuple[Step, ...] = FLASHSTREAM_STEPS if recipe.mode == "flashstream" else PARAMETER_STEPS
    if recipe.calibration is not None:
        # after the reset (the gauge runs the recipe's values), before verify (which then
        # judges the constants written too)
        at = steps.index(VERIFY)
        steps = (*steps[:at], CALIBRATE, *steps[at:])
    if recipe.security.production_key_set:
        at = steps.index(SEAL)
        steps = (*steps[:at], INSTALL_KEYS, *steps[at:])
    return steps


__all__ = ["Step", "pack_steps"]
