"""Choosing a reaction for a post: the forum's own reaction set, the reader's marked."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui import keymap


class ReactScreen(ModalScreen[str | None]):
    """Dismisses with the reaction's name (toggling it is the caller's business), or None."""

    BINDINGS = keymap.bindings("react")
    DEFAULT_CSS = """
    ReactScreen { align: center middle; }
    ReactScreen > Vertical {
        width: 40; height: auto; max-height: 80%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ReactScreen OptionList { height: auto; max-height: 16; border: none; }
    """

    def __init__(self, reactions: Sequence[str], mine: Sequence[str] = ()) -> None:
        """`reactions`: the forum's set (names, already sanitised); `mine`: those the
        reader has given this post (picking one again takes it back)."""
        super().__init__(name="react")
        self.reactions = list(dict.fromkeys(reactions))
        self.mine = set(mine)

    def compose(self) -> ComposeResult:
        options = [
            Option(
                Content.assemble(
                    ("✓ " if name in self.mine else "  ", "bold $success"),
                    name,
                    (" (take back)" if name in self.mine else "", "$text-muted"),
                ),
                id=name,
            )
            for name in self.reactions
        ]
        with Vertical():
            yield Static(Content.styled("React with…", "bold"))
            yield OptionList(*options, id="reactions")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_pick(self) -> None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is not None:
            self.dismiss(options.get_option_at_index(index).id)

    def action_close(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
