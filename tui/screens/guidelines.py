"""A category's description and guidelines, shown over the home screen on request (i).

It closes like the help screen (the same keymap action, so remapping one remaps both),
and scrolls with the usual keys when the guidelines are longer than the box.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import keymap
from tui.forum import markdown
from tui.forum.models import Category
from widgets.guidelines import CategoryGuidelines


class GuidelinesScreen(ModalScreen[None]):
    BINDINGS = keymap.bindings("help")

    def __init__(self, category: Category) -> None:
        super().__init__(name="guidelines")
        self.category = category

    def compose(self) -> ComposeResult:
        text = CategoryGuidelines(self.category, markdown.parse(self.category.guidelines))
        with VerticalScroll(id="guidelines-box") as box:
            box.border_title = "Guidelines"
            yield Static(text, id="guidelines-text")

    def on_mount(self) -> None:
        self.query_one("#guidelines-box").focus()

    def action_close(self) -> None:
        self.dismiss(None)
