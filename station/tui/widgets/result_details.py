"""Under the verdict: why it stopped, what to do, what state the pack is in, the label."""

from __future__ import annotations

from textual.containers import Grid
from textual.content import Content
from textual.widgets import Static

from station.sequence.events import STEP_TITLES, LabelResult, RunResult
from station.tui.formatting import seconds
from station.tui.text import markup, plain


def label_line(label: LabelResult | None, *, passed: bool) -> Content:
    if label is None:
        text = "not printed (only a passed pack gets a label)" if not passed else "not printed"
        return markup("[dim]$t[/]", t=text)
    if label.printed:
        return markup("[$success]printed[/] on $p [dim]($d)[/]", p=label.printer, d=label.detail)
    return markup("[b $error]NOT printed[/] on $p: $d", p=label.printer, d=label.detail)


def details_rows(result: RunResult, reprint: Content | None = None) -> list[tuple[str, Content]]:
    rows: list[tuple[str, Content]] = []
    failure = result.failure
    if failure is not None:
        rows.append(
            (
                "Step",
                markup(
                    "$step   [dim]code[/] [b]$code[/]",
                    step=STEP_TITLES.get(failure.step, failure.step.value),
                    code=failure.code,
                ),
            )
        )
        rows.append(("Reason", markup("[b]$r[/]", r=failure.reason)))
        rows.append(("Do", markup("[b $accent]$a[/]", a=failure.action)))
        if failure.pack_state:
            rows.append(("Pack", plain(failure.pack_state)))
    else:
        sealed = "sealed" if result.sealed else "NOT sealed"
        rows.append(("Pack", Content(f"{sealed}, cycle {seconds(result.cycle_time_s)}")))
    rows.append(("Label", label_line(result.label, passed=result.passed)))
    if reprint is not None:
        rows.append(("Reprint", reprint))
    return rows


class ResultDetails(Grid):
    """Label / value rows; long reasons wrap inside their column."""

    DEFAULT_CSS = """
    ResultDetails {
        grid-size: 2;
        grid-columns: 8 1fr;
        grid-rows: auto;
        height: auto;
        padding: 0 1;
        margin: 1 0 0 0;
    }
    ResultDetails > .name { color: $text-muted; }
    ResultDetails > Static { height: auto; }
    """

    def show(self, result: RunResult, reprint: Content | None = None) -> None:
        self.remove_children()
        widgets: list[Static] = []
        for name, value in details_rows(result, reprint):
            widgets.append(Static(name, classes="name"))
            widgets.append(Static(value, classes="value"))
        self.mount_all(widgets)

    def text(self) -> str:
        """What the rows say, as plain text (one ``name value`` line per row)."""
        cells = [str(s.render()) for s in self.query(Static)]
        return "\n".join(f"{n} {v}" for n, v in zip(cells[::2], cells[1::2], strict=False))
