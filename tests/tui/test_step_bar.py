"""A socket tile's step bar: whole cells, from the width it has when drawn."""

from __future__ import annotations

from textual.app import App, ComposeResult

from station.tui.widgets.step_bar import StepBar


class BarApp(App[None]):
    CSS = "StepBar { width: 20; display: none; } StepBar.-shown { display: block; }"

    def compose(self) -> ComposeResult:
        yield StepBar()


async def test_a_bar_shown_after_its_steps_ended_draws_them_at_its_width() -> None:
    app = BarApp()
    async with app.run_test(size=(40, 3)) as pilot:
        bar = app.query_one(StepBar)
        bar.show(4, 10)  # the steps end while the bar is not laid out yet
        bar.add_class("-shown")
        await pilot.pause()
        line = bar.render()
        assert line.plain == "━" * 20
        done = line.spans[0]
        assert (done.start, done.end) == (0, 8)  # 4 of 10 steps: 8 of 20 cells
        bar.show(12, 10)  # more steps than the run has: full, never past the end
        await pilot.pause()
        assert (bar.render().spans[0].start, bar.render().spans[0].end) == (0, 20)
