"""The key hints at the foot of every screen: Textual's Footer, without its leak.

The Footer rebuilds its keys whenever the screen's bindings change (on the line screen: at every
phase of every pack). Each new key binds itself to the footer's ``compact`` setting, and Textual
forgets the keys it removed only when ``compact`` changes, which it never does here: a shift of
500 packs kept some 6 000 dead key widgets alive. After each rebuild the footer re-announces its
``compact`` value, which is when Textual drops the watchers of removed keys.
"""

from __future__ import annotations

from textual.widgets import Footer


class StationFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        self.mutate_reactive(Footer.compact)
