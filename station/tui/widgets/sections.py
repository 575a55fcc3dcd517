"""Titled blocks of label/value rows: the trace view, gauge values, recipe details."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from station.sequence.service import Section
from station.tui.text import markup, plain, printable


def section_content(section: Section) -> Content:
    width = max((len(label) for label, _ in section.rows), default=0)
    lines = [markup("[b $accent]$title[/]", title=section.title)]
    for label, value in section.rows:
        lines.append(
            Content.assemble((printable(f"  {label:<{width}}"), "dim"), "  ", printable(value))
        )
    return Content("\n").join(lines)


class SectionsView(VerticalScroll):
    """Shows a list of sections, or one line saying why there is nothing to show."""

    DEFAULT_CSS = """
    SectionsView { height: 1fr; padding: 0 1; }
    SectionsView > Static { margin-bottom: 1; }
    SectionsView > Static.-message { color: $text-muted; }
    SectionsView > Static.-error { color: $error; text-style: bold; }
    """

    def show(self, sections: list[Section], empty: str = "Nothing to show") -> None:
        self.remove_children()
        if not sections:
            self.mount(Static(plain(empty), classes="-message"))
            return
        self.mount_all(Static(section_content(s), classes="section") for s in sections)
        self.scroll_home(animate=False)

    def message(self, text: str, *, error: bool = False) -> None:
        self.remove_children()
        self.mount(Static(plain(text), classes="-error" if error else "-message"))

    def text(self) -> str:
        """Everything shown, as plain text (for tests and logs)."""
        return "\n".join(str(s.content) for s in self.query(Static))
