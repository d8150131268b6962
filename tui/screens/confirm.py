"""A yes/no question over the current screen (deleting a post asks first)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tui import keymap


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True for yes (y), False for no (n or escape)."""

    BINDINGS = keymap.bindings("confirm")
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: auto; max-width: 70; height: auto;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmScreen #confirm-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, question: Content) -> None:
        """`question` is Content, so quoted forum text can never be read as markup."""
        super().__init__(name="confirm")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="confirm-question")
            yield Static("y: yes   n / escape: no", id="confirm-hint")
        yield Footer()

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
