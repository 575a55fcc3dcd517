"""The line station: :class:`~station.sequence.service.StationService` for one socket.

This is where the operator terminal's and the ``station`` commands' questions get their answers;
each answer is a rule of the line (who may do what, released recipes only, duplicate serials,
emulated runs kept apart) and is tested here, without a screen.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from station import __version__
from station.config import StationConfig
from station.database_urls import mask_url_password
from station.labels import LabelArtwork, parse_stock, render
from station.recipe.errors import RecipeError
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.refusal import Refused
from station.sequence import engineering
from station.sequence.authority import Authority, Privilege
from station.sequence.engine import PackRun
from station.sequence.events import (
    CancelToken,
    Event,
    LabelResult,
    RunFinished,
    RunResult,
)
from station.sequence.failures import station_error_result
from station.sequence.guards import refuse_emulation_on_production
from station.sequence.labelling import label_data, print_pass_label
from station.sequence.readiness import socket_readiness
from station.sequence.recipes import RecipeLibrary, RecipeNotAvailable
from station.sequence.releases import release
from station.sequence.runlog import RunLog
from station.sequence.serial_check import check_serial
from station.sequence.service import (
    Badge,
    Credentials,
    HistoryRow,
    Readiness,
    RecipeChoice,
    RecipeProblem,
    Release,
    ReworkAuthorisation,
    RunRequest,
    Section,
    SerialCheck,
    Shift,
    ShiftCounters,
    StationInfo,
)
from station.sequence.shifts import (
    ShiftRefused,
    active_recipe,
    checked_lot,
    pick_release,
    recipe_choice,
    reference_check,
)
from station.sequence.socket_context import SocketContext
from station.sequence.tracing import trace_sections
from station.store import AttemptSummary

log = logging.getLogger("station.line")


@dataclass
class LineStation:
    """One station socket running released recipes."""

    socket: SocketContext
    recipes: RecipeLibrary
    demo: bool = False
    authority: Authority | None = None
    _shift_recipes: dict[str, Recipe] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.authority is None:
            self.authority = Authority(self.socket.config, self.socket.store, demo=self.demo)

    @property
    def rules(self) -> Authority:
        """Who may do what (the one rule every face uses)."""
        assert self.authority is not None
        return self.authority

    # == set-up ================================================================================

    @property
    def config(self) -> StationConfig:
        return self.socket.config

    def info(self) -> StationInfo:
        return StationInfo(
            station_id=self.config.station_id,
            socket=self.config.socket,
            bus=self.config.bus,
            emulated=self.socket.emulated,
            database=mask_url_password(self.config.database),
            printer=self.config.printer,
            software_version=__version__,
            reference_check=self.config.reference_check,
        )

    def badge(self, code: str) -> Badge:
        return self.rules.identify(code)

    def recipe_problems(self) -> list[RecipeProblem]:
        """Files in the recipes folder that cannot be run, and released recipes whose file is
        not there, each with what is wrong."""
        list(self.recipes.scan())
        out = [RecipeProblem(path.name, text) for path, text in self.recipes.problems.items()]
        for released in self.socket.store.released_recipes():
            try:
                self.recipes.by_hash(released.hash, released.text)
            except RecipeNotAvailable as exc:
                out.append(RecipeProblem(f"{released.name} {released.version}", str(exc)))
        return sorted(out, key=lambda p: p.file)

    def released_recipes(self) -> list[RecipeChoice]:
        out = []
        for released in self.socket.store.released_recipes():
            try:
                recipe = self.recipes.by_hash(released.hash, released.text)
            except RecipeNotAvailable:
                continue
            out.append(recipe_choice(released, recipe))
        return sorted(out, key=lambda c: (c.name, c.version))

    def find_released(self, name_or_hash: str) -> RecipeChoice:
        """The one released recipe a lock names: a full hash, a hash prefix of 6+ characters,
        or a name released once. Anything else is refused: a lock must not drift to another
        release by itself."""
        return pick_release(self.released_recipes(), name_or_hash)

    def start_shift(self, operator: Badge, recipe_hash: str, lot: str) -> Shift:
        lot = checked_lot(lot)
        released = self.socket.store.get_released(recipe_hash)
        if released is None:
            raise ShiftRefused(
                f"recipe {recipe_hash[:12]} is not released: the line runs released recipes only"
            )
        try:
            recipe = self.recipes.by_hash(recipe_hash, released.text)
        except RecipeNotAvailable as exc:
            raise ShiftRefused(str(exc)) from None
        self._shift_recipes[recipe.content_hash] = recipe
        reference_check(self.socket, self.recipes.profiles, operator, may_read=True)
        return Shift(operator=operator, recipe=active_recipe(recipe), lot=lot)

    def shift_for_file(self, path: Path, operator: str, lot: str) -> Shift:
        """For ``station program``: the recipe file must be released, except on the emulator
        with a database that is not a production one, where the demo releases what it is given
        (audited)."""
        refuse_emulation_on_production(self.socket)
        recipe = load_recipe(path, self.recipes.profiles, known_key_sets=self.socket.keys.ids())
        self.recipes.add(recipe)
        if not self.socket.store.is_released(recipe.content_hash):
            if not self.socket.emulated:
                raise ShiftRefused(
                    f"recipe {recipe.name} {recipe.version} ({recipe.content_hash[:12]}) is not "
                    "released; an engineer releases it with: station recipe release "
                    f"{path} --by NAME"
                )
            release(
                self.socket.store,
                recipe,
                by="emulator-demo",
                note="released automatically for a run on the emulator",
                station=self.config.station_id,
            )
        operator_badge = self.badge(operator)
        reference_check(self.socket, self.recipes.profiles, operator_badge, may_read=False)
        return self.start_shift(operator_badge, recipe.content_hash, lot)

    # == one pack ==============================================================================

    def _recipe(self, shift: Shift) -> Recipe:
        recipe = self._shift_recipes.get(shift.recipe.hash)
        if recipe is None:
            recipe = self.recipes.by_hash(shift.recipe.hash)
            self._shift_recipes[recipe.content_hash] = recipe
        return recipe

    def check_serial(self, shift: Shift, serial: str) -> SerialCheck:
        return check_serial(self.socket, self._recipe(shift), serial, self.readiness)

    def readiness(self) -> Readiness:
        return socket_readiness(self.socket)

    def partial_serial_ok(self, shift: Shift, text: str) -> bool:
        """Whether ``text`` can still become a valid serial: completed with the rest of the
        recipe's example serial, it must match the pattern (serials have a fixed format)."""
        if not text:
            return True
        example = shift.recipe.serial_example
        pattern = re.compile(shift.recipe.serial_pattern)
        if pattern.fullmatch(text):
            return True
        return len(text) < len(example) and bool(pattern.fullmatch(text + example[len(text) :]))

    def authorise_rework(
        self, shift: Shift, serial: str, supervisor: Credentials, reason: str
    ) -> ReworkAuthorisation:
        if not reason.strip():
            raise Refused("a rework needs a reason")
        badge = self.rules.authorise(Privilege.REWORK, supervisor, operator=shift.operator.code)
        stored = self.socket.store.authorise_rework(
            serial.strip(), badge.code, reason.strip(), station=self.config.station_id
        )
        return ReworkAuthorisation(stored.serial, stored.authorised_by, stored.reason)

    def run(
        self,
        shift: Shift,
        request: RunRequest,
        on_event: Callable[[Event], None],
        cancel: CancelToken,
    ) -> RunResult:
        story = RunLog(
            self.config.station_id, self.config.socket, shift.operator.code, shift.lot, on_event
        )
        with story.scope(request.serial.strip()):
            try:
                return self._pack_run(shift, request, story, cancel).execute()
            except Exception as exc:
                # The engine turns every pack and station problem into a result; reaching this
                # is a station defect, and the screen must still say something true (a defect's
                # traceback is logged by failure_from; the run log records the result).
                result = station_error_result(
                    request.serial, exc, "unknown: check the pack before running it again"
                )
                story(RunFinished(result))
                return result

    def _pack_run(
        self, shift: Shift, request: RunRequest, story: RunLog, cancel: CancelToken
    ) -> PackRun:
        rework = None
        if request.rework is not None:
            rework = self.socket.store.pending_rework(request.serial)
        self.socket.instrument_ask = request.ask
        return PackRun(
            socket=self.socket,
            recipe=self._recipe(shift),
            serial=request.serial.strip(),
            operator=shift.operator.code,
            lot=shift.lot,
            rework=rework,
            on_event=story,
            cancel=cancel,
        )

    def reprint_label(
        self, shift: Shift | None, serial: str, reason: str, by: Credentials
    ) -> LabelResult:
        if not reason.strip():
            raise Refused("a reprint needs a reason (it is written to the audit log)")
        serial = serial.strip()
        store = self.socket.store
        last = self._last_pass(serial)
        if last is None:
            raise Refused(f"pack {serial} has no PASS: there is no label to reprint")
        latest = store.last_attempt(serial, emulated=last.emulated)
        if latest is not None and latest.id != last.id:
            # A later attempt (a rework killed mid-run, a failed retest) may have left the pack
            # unsealed or half written: a PASS label would lie about it.
            raise Refused(
                f"pack {serial}'s latest attempt ({latest.id}) ended {latest.outcome.value}, "
                f"after its PASS (attempt {last.id}): the pack may no longer be what that label "
                "says; run it again (rework) and print the label of that run"
            )
        operator = shift.operator.code if shift is not None else last.operator
        badge = self.rules.authorise(Privilege.REPRINT, by, operator=operator)
        released = self.socket.store.get_released(last.recipe_hash)
        recipe = self.recipes.by_hash(last.recipe_hash, released.text if released else None)
        made = (last.ended_at or last.started_at).astimezone().date()
        return print_pass_label(
            self.socket,
            recipe,
            last.serial,
            last.id,
            badge.code,
            made=made,
            reprint_reason=reason.strip(),
        )

    def _last_pass(self, serial: str) -> AttemptSummary | None:
        """The pack's PASS a label stands for: the real pack's, else (a training database) the
        emulator's."""
        store = self.socket.store
        return store.last_pass(serial) or store.last_pass(serial, emulated=True)

    def label_artwork(self, serial: str) -> LabelArtwork:
        """The label of ``serial``'s last PASS, rendered (for a preview: nothing is printed or
        recorded). Refused when there is none."""
        serial = serial.strip()
        store = self.socket.store
        last = self._last_pass(serial)
        if last is None:
            raise Refused(f"pack {serial} has no PASS: there is no label to preview")
        released = store.get_released(last.recipe_hash)
        try:
            recipe = self.recipes.by_hash(last.recipe_hash, released.text if released else None)
        except RecipeNotAvailable as exc:
            raise Refused(str(exc)) from None
        made = (last.ended_at or last.started_at).astimezone().date()
        return render(
            label_data(self.socket, recipe, last.serial, made), parse_stock(recipe.label.stock)
        )

    # == history ===============================================================================

    def shift_history(self, shift: Shift, since: dt.datetime, limit: int = 20) -> list[HistoryRow]:
        summary = self.socket.store.shift_summary(self.config.station_id, since, last=limit)
        return [
            HistoryRow(
                p.attempt_id,
                p.serial,
                p.outcome.value,
                p.failure_code or "",
                p.cycle_time_s,
                p.started_at,
            )
            for p in summary.recent
        ]

    def shift_counters(self, shift: Shift, since: dt.datetime) -> ShiftCounters:
        s = self.socket.store.shift_summary(self.config.station_id, since, last=0)
        return ShiftCounters(
            s.passed,
            s.failed - s.errors,
            s.errors,
            s.first_pass_yield,
            aborted=s.aborted,
            interrupted=s.interrupted,
        )

    def trace(self, serial: str) -> list[Section]:
        return trace_sections(self.socket.store.trace(serial.strip()), serial.strip())

    # == engineer mode =========================================================================

    def engineer_mode(self, engineer: Credentials) -> Badge:
        return self.rules.authorise(Privilege.ENGINEER_MODE, engineer)

    def authorise_recipe_change(self, shift: Shift, supervisor: Credentials) -> Badge:
        return self.rules.authorise(
            Privilege.CHANGE_RECIPE, supervisor, operator=shift.operator.code
        )

    def change_recipe(self, shift: Shift, recipe_hash: str, supervisor: Credentials) -> Shift:
        badge = self.authorise_recipe_change(shift, supervisor)
        changed = self.start_shift(shift.operator, recipe_hash, shift.lot)
        log.info("recipe changed to %s by %s", changed.recipe.name, badge.code)
        return changed

    def gauge_snapshot(self, shift: Shift | None) -> list[Section]:
        return engineering.gauge_snapshot(self.socket, self._recipe(shift) if shift else None)

    def recipe_details(self, shift: Shift) -> list[Section]:
        return engineering.recipe_details(self._recipe(shift))

    def recipe_diff_against_pack(self, shift: Shift) -> list[Section]:
        return engineering.diff_against_pack(self.socket, self._recipe(shift))

    def release_recipe(self, path: Path, by: Credentials) -> Release:
        badge = self.rules.authorise(Privilege.RELEASE, by)
        try:
            recipe = load_recipe(path, self.recipes.profiles, known_key_sets=self.socket.keys.ids())
        except RecipeError as exc:
            raise Refused(str(exc)) from None
        done = release(self.socket.store, recipe, by=badge.code, station=self.config.station_id)
        self.recipes.add(recipe)
        return Release(recipe_choice(done.row, recipe), already_released=done.already)
