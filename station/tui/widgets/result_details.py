"""Under the verdict: why it stopped, what to do, what state the pack is in, the label."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from station.sequence.events import STEP_TITLES, LabelResult, RunResult
from station.tui.formatting import seconds


def label_line(label: LabelResult | None, *, passed: bool) -> Content:
    if label is None:
        text = "not printed (only a passed pack gets a label)" if not passed else "not printed"
        return Content.from_markup("[dim]$t[/]", t=text)
    if label.printed:
        return Content.from_markup(
            "[$success]printed[/] on $p [dim]($d)[/]", p=label.printer, d=label.detail
        )
    return Content.from_markup(
        "[b $error]NOT printed[/] on $p: $d", p=label.printer, d=label.detail
    )


def details_content(result: RunResult, reprint: Content | None = None) -> Content:
    rows: list[tuple[str, Content | str]] = []
    failure = result.failure
    if failure is not None:
        rows.append(
            (
                "Step",
                Content.from_markup(
                    "$step   [dim]code[/] [b]$code[/]",
                    step=STEP_TITLES.get(failure.step, failure.step.value),
                    code=failure.code,
                ),
            )
        )
        rows.append(("Reason", Content.from_markup("[b]$r[/]", r=failure.reason)))
        rows.append(("Do", Content.from_markup("[b $accent]$a[/]", a=failure.action)))
        if failure.pack_state:
            rows.append(("Pack", failure.pack_state))
    else:
        sealed = "sealed" if result.sealed else "NOT sealed"
        rows.append(("Pack", f"{sealed}, cycle {seconds(result.cycle_time_s)}"))
    rows.append(("Label", label_line(result.label, passed=result.passed)))
    if reprint is not None:
        rows.append(("Reprint", reprint))
    lines = [Content.assemble((f"{name:<7}", "dim"), " ", value) for name, value in rows]
    return Content("\n").join(lines)


class ResultDetails(Static):
    DEFAULT_CSS = """
    ResultDetails {
        height: auto;
        padding: 0 1;
        margin: 1 0 0 0;
    }
    """

    def show(self, result: RunResult, reprint: Content | None = None) -> None:
        self.update(details_content(result, reprint))
