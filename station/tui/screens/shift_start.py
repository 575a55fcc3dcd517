"""Start of shift: badge, recipe, lot. Supervisor locks (config or flags) fill and freeze fields;
when all three are locked and accepted the screen goes straight on to the line."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Key, ScreenResume, ScreenSuspend
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from station.refusal import Refused
from station.sequence.service import Badge, RecipeChoice, RecipeProblem, Role, Shift
from station.tui.background import call_service
from station.tui.context import LineContext
from station.tui.fields import BADGE_MAX, LOT_MAX, SERIAL_MAX, BoundedInput
from station.tui.screens.engineer import open_engineer_mode
from station.tui.screens.line_screen import LineScreen
from station.tui.screens.sockets import SocketsScreen
from station.tui.text import markup, plain
from station.tui.widgets import StationFooter, StationHeader

BADGE_LABEL = "1  Scan your badge"
RECIPE_LABEL = "2  Choose the recipe (↑ ↓ then Enter)"
#: shown when the shift starts with the reference-pack self-test (``reference_check``)
REFERENCE_NOTE = "The shift starts with the self-test: put the line's reference pack in the fixture"


def recipe_option(choice: RecipeChoice) -> Option:
    prompt = markup(
        "[b]$name[/] $version  [dim]$hash[/]\n  $description",
        name=choice.name,
        version=choice.version,
        hash=choice.short_hash,
        description=choice.description,
    )
    return Option(prompt, id=choice.hash)


def problem_option(problem: RecipeProblem) -> Option:
    """A recipe file that cannot be run: listed, greyed out, with what is wrong (plain text)."""
    prompt = markup("[b $error]⚠ $file[/]  cannot be used", file=problem.file)
    prompt = prompt.append("\n  ").append(plain(problem.problem))
    return Option(prompt, id=f"problem:{problem.file}", disabled=True)


#: released recipes, the one a lock names, why the lock was refused, the files that are broken
Loaded = tuple[list[RecipeChoice], RecipeChoice | None, str, list[RecipeProblem]]


class ShiftStartScreen(Screen[None]):
    CSS_PATH = "shift_start.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f9", "engineer", "Engineer", key_display="F9", priority=True)
    ]

    def __init__(self, ctx: LineContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.operator: Badge | None = None
        self.recipe: RecipeChoice | None = None
        self.choices: list[RecipeChoice] = []
        self.starting = False
        self.recipes_asked = False
        self.left = False  # another screen (the line, engineer mode) covered this one
        #: keys a scanner typed while a locked shift was starting, for the line screen
        self.typed = ""
        self.on_line = False  # a shift is running on the line screen above this one
        opts = ctx.options
        self.auto = bool(opts.operator and opts.recipe and opts.lot)

    def compose(self) -> ComposeResult:
        opts = self.ctx.options
        yield StationHeader(self.ctx.info)
        with Vertical(id="shift-form"):
            yield Static("Start of shift", classes="screen-title")
            yield Static(BADGE_LABEL, id="badge-label", classes="field-label")
            yield BoundedInput(
                limit=BADGE_MAX,
                value=opts.operator,
                placeholder="operator badge",
                id="badge",
                disabled=bool(opts.operator),
            )
            yield Static(RECIPE_LABEL, id="recipe-label", classes="field-label")
            yield OptionList(id="recipes", disabled=bool(opts.recipe))
            yield Static("3  Scan or type the work order / lot", classes="field-label")
            yield BoundedInput(
                limit=LOT_MAX,
                value=opts.lot,
                placeholder="work order or lot",
                id="lot",
                disabled=bool(opts.lot),
            )
            yield Static("", id="shift-message")
        yield StationFooter()

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        if self.ctx.options.operator:
            self._look_up_badge(self.ctx.options.operator)
        else:
            self.query_one("#badge", Input).focus()
        self._say("")
        self._load_recipes()

    def on_screen_suspend(self, event: ScreenSuspend) -> None:
        self.left = True

    def on_screen_resume(self, event: ScreenResume) -> None:
        # Back from another screen: an engineer may have released a recipe meanwhile. (The
        # first resume, right after mounting, must not load twice: two loads of a locked shift
        # would start it twice.)
        if self.left:
            self.left = False
            self.starting = False
            if self.on_line:
                self._shift_ended()
            if self.recipes_asked:
                self._load_recipes()

    # -- badge ----------------------------------------------------------------------------------
    @on(Input.Submitted, "#badge")
    def _badge_scanned(self, event: Input.Submitted) -> None:
        code = event.value.strip()
        if code:
            self._look_up_badge(code)

    def _look_up_badge(self, code: str) -> None:
        call_service(
            self, lambda: self.ctx.service.badge(code), self._badge_ok, self._badge_refused
        )

    def _badge_ok(self, badge: Badge) -> None:
        self.operator = badge
        role = "" if badge.role is Role.OPERATOR else f" ({badge.role.value}, as operator)"
        self._status("#badge-label", BADGE_LABEL, f"✔ {badge.code}{role}")
        self._say("")
        self._next_field()

    def _badge_refused(self, reason: str) -> None:
        self.operator = None
        self.auto = False
        field = self.query_one("#badge", Input)
        field.disabled = False
        field.value = ""
        self._status("#badge-label", BADGE_LABEL, "")
        self._say(reason, error=True)
        field.focus()

    # -- recipe ---------------------------------------------------------------------------------
    def _load_recipes(self) -> None:
        self.recipes_asked = True
        wanted = self.recipe.hash if self.recipe else self.ctx.options.recipe

        def fetch() -> Loaded:
            # Which release a lock names is the service's rule; the screen only shows it.
            choices = self.ctx.service.released_recipes()
            broken = self.ctx.service.recipe_problems()
            if not wanted or not choices:
                return choices, None, "", broken
            try:
                return choices, self.ctx.service.find_released(wanted), "", broken
            except Refused as exc:
                return choices, None, f"{exc}: choose one below", broken

        call_service(self, fetch, self._recipes_loaded, self._recipes_failed)

    def _recipes_loaded(self, loaded: Loaded) -> None:
        choices, locked, problem, broken = loaded
        self.choices = choices
        listing = self.query_one("#recipes", OptionList)
        listing.clear_options()
        listing.add_options(recipe_option(c) for c in choices)
        # After the choices, so an option's index is its choice's index.
        listing.add_options(problem_option(p) for p in broken)
        if not choices:
            self._say(
                "No recipe is released on this station. An engineer must release one "
                "(F9, engineer mode).",
                error=True,
            )
            return
        if locked is not None:
            self._choose(locked)
            return
        if problem:
            self.auto = False
            listing.disabled = False
            self._say(problem, error=True)
        listing.highlighted = 0
        self._next_field()

    def _recipes_failed(self, reason: str) -> None:
        self._say(reason, error=True)

    @on(OptionList.OptionSelected, "#recipes")
    def _recipe_selected(self, event: OptionList.OptionSelected) -> None:
        for choice in self.choices:
            if choice.hash == event.option.id:
                self._choose(choice)
                self._say("")
                self._next_field()

    def _choose(self, choice: RecipeChoice) -> None:
        self.recipe = choice
        listing = self.query_one("#recipes", OptionList)
        index = next(i for i, c in enumerate(self.choices) if c.hash == choice.hash)
        listing.highlighted = index
        self._status(
            "#recipe-label", RECIPE_LABEL, f"✔ {choice.name} {choice.version}  {choice.short_hash}"
        )
        self._next_field()

    # -- lot and start ------------------------------------------------------------------------
    @on(Input.Submitted, "#lot")
    def _lot_given(self, event: Input.Submitted) -> None:
        self.start()

    def _next_field(self) -> None:
        """Focus the first field still to fill; start by itself when the screen is locked."""
        if self.operator is None:
            self._focus_if_enabled("#badge")
        elif self.recipe is None:
            self._focus_if_enabled("#recipes")
        else:
            lot = self.query_one("#lot", Input)
            if lot.value.strip() and (self.auto or lot.disabled):
                self.start()  # the lot is locked: nothing left to ask
            else:
                lot.focus()

    def _focus_if_enabled(self, selector: str) -> None:
        widget = self.query_one(selector)
        if not widget.disabled:
            widget.focus()

    def start(self) -> None:
        lot = self.query_one("#lot", Input).value.strip()
        if self.operator is None:
            self._say("Scan your badge first", error=True)
            self._focus_if_enabled("#badge")
            return
        if self.recipe is None:
            self._say("Choose the recipe first", error=True)
            self._focus_if_enabled("#recipes")
            return
        if not lot:
            self._say("Scan or type the work order / lot", error=True)
            self._focus_if_enabled("#lot")
            return
        if self.starting:
            return
        self.starting = True
        operator, recipe_hash = self.operator, self.recipe.hash
        self._say(
            "Reading the reference pack…"
            if self.ctx.info.reference_check
            else "Starting the shift…"
        )
        call_service(
            self,
            lambda: self.ctx.service.start_shift(operator, recipe_hash, lot),
            self._started,
            self._start_refused,
        )

    def on_key(self, event: Key) -> None:
        """While a locked shift starts no field takes keys: a scan typed meanwhile is kept for
        the line screen instead of being lost, whichever widget has the focus then (a list
        being filled may have it for a moment, and would swallow the scan's first key)."""
        if not self.auto:
            return
        focused = self.focused
        if isinstance(focused, Input) and not focused.disabled:
            return  # a field that takes the keys (none does while a locked shift starts)
        if event.is_printable and event.character is not None:
            self.typed = (self.typed + event.character)[-4 * SERIAL_MAX :]
            event.stop()
        elif event.key == "enter":
            self.typed += "\n"
            event.stop()

    def _started(self, shift: Shift) -> None:
        # Keys already queued for this screen are taken (into ``typed``) before the hand-over,
        # which waits behind them in this screen's queue; keys from now on are held by the app
        # until the line screen's scan field takes them. None is lost or reordered.
        self.ctx.key_hold.start()
        self.call_later(self._hand_over, shift)

    def _hand_over(self, shift: Shift) -> None:
        # ``starting`` stays set until this screen is shown again, so a late recipe load cannot
        # start the same shift a second time.
        typed, self.typed = self.typed, ""
        self.on_line = True
        board = self.ctx.board
        if board is not None:
            self.app.push_screen(SocketsScreen(self.ctx, board, shift, typed))
        else:
            self.app.push_screen(LineScreen(self.ctx, shift, typed))

    def _shift_ended(self) -> None:
        """Back from the line at the end of a shift: the next one starts from its badge."""
        self.on_line = False
        opts = self.ctx.options
        if not opts.operator:
            self.operator = None
            self.query_one("#badge", BoundedInput).value = ""
            self._status("#badge-label", BADGE_LABEL, "")
        if not opts.recipe:
            self.recipe = None
            self._status("#recipe-label", RECIPE_LABEL, "")
        if not opts.lot:
            self.query_one("#lot", BoundedInput).value = ""
        self._say("Shift ended. Scan the badge of the next shift.")
        if self.operator is None:
            self.query_one("#badge", BoundedInput).focus()

    def _start_refused(self, reason: str) -> None:
        self.starting = False
        self.auto = False
        # A refused lock must be correctable here: unfreeze the fields.
        for field in self.query(Input):
            field.disabled = False
        self.query_one("#recipes", OptionList).disabled = False
        self._say(reason, error=True)
        self.query_one("#lot", Input).focus()

    # -- engineer -------------------------------------------------------------------------------
    def action_engineer(self) -> None:
        open_engineer_mode(self, self.ctx, None)

    # -- helpers --------------------------------------------------------------------------------
    def _status(self, selector: str, label: str, status: str) -> None:
        self.query_one(selector, Static).update(markup("$l   [b $success]$s[/]", l=label, s=status))

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#shift-message", Static)
        if not text and self.ctx.info.reference_check:
            text = REFERENCE_NOTE  # the instruction stays until something else is to be said
        message.update(plain(text))
        message.set_class(error, "-error")
