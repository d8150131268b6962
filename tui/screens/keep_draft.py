"""The question asked when the composer is cancelled with text in it: keep the draft
(the default: enter), discard it, or go back to writing."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui import keymap


class KeepDraftScreen(ModalScreen[str]):
    """Dismissed with "keep", "discard" or "back"."""

    BINDINGS = keymap.bindings("draft")
    KEY_CONTEXT = "draft"

    DEFAULT_CSS = """
    KeepDraftScreen {
        align: center middle;
    }
    #keep-box {
        width: 52;
        max-width: 100%;
        height: auto;
        padding: 0 1;
        background: $surface;
        border: round $accent;
    }
    #keep-buttons {
        height: auto;
        margin-top: 1;
    }
    #keep-buttons Button {
        margin-right: 2;
    }
    """

    def __init__(self) -> None:
        super().__init__(name="draft")

    def compose(self) -> ComposeResult:
        with Vertical(id="keep-box"):
            yield Static("Keep what you wrote as a draft?")
            yield Static(
                Content.styled("enter or k keeps it · d discards it · escape: back", "$text-muted")
            )
            with Horizontal(id="keep-buttons"):
                yield Button("Keep draft", id="keep", variant="primary", compact=True)
                yield Button("Discard", id="discard", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "keep")

    def action_keep(self) -> None:
        self.dismiss("keep")

    def action_discard(self) -> None:
        self.dismiss("discard")

    def action_back(self) -> None:
        self.dismiss("back")
