"""The help screen (?): every action of the keymap with its keys, grouped by screen.

The screen it was opened from comes first, then the keys that work everywhere, then
the rest. Keys are the ones in force: the user's where their `[keys]` table remapped an
action. Entries of that table that were not applied are listed at the top, with why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui import keymap
from tui.forum.sanitize import clean_line
from tui.keys import KeysMixin

TITLES = {
    "app": "Everywhere",
    "home": "Home: categories and topics",
    "thread": "A thread",
    "search": "Search",
    "help": "This help",
}
KEYS_WIDTH = (8, 18)  # the keys column: at least, at most


def ordered_contexts(first: str | None) -> list[str]:
    """Every context, `first` (the screen help was opened from) leading, then "app"."""
    lead = [c for c in (first, "app") if c is not None and c != "help"]
    rest = [c for c in keymap.contexts() if c not in lead]
    return list(dict.fromkeys([*lead, *rest]))


class HelpScreen(KeysMixin, Screen[None]):
    KEY_CONTEXT = "help"
    BINDINGS = keymap.bindings("help")

    def __init__(
        self,
        context: str | None = None,
        *,
        overrides: Mapping[str, str] | None = None,
        problems: Sequence[str] = (),
    ) -> None:
        """`context`: the keymap context of the screen below; `overrides`: the user's keys
        in force (action id -> keys); `problems`: their entries that were not applied."""
        super().__init__(name="help")
        self.context = context
        self.overrides = dict(overrides or {})
        self.problems = list(problems)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Keys"
            yield Static(
                Content.styled(
                    "A number before a key is a count (5 j, 12 G). "
                    "ctrl+p finds any command by name. escape, q or ? closes this help.",
                    "$text-muted",
                ),
                id="help-intro",
            )
            if self.problems:
                yield Static(self._problems(), id="help-problems")
            for context in ordered_contexts(self.context):
                yield Static(self.section(context), classes="help-section", name=context)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def keys_of(self, action: keymap.Action) -> str:
        return keymap.display_key(keymap.keys_of(action, self.overrides))

    def section(self, context: str) -> Content:
        """One context's actions: keys, then what they do."""
        shown = [(self.keys_of(a), a) for a in keymap.actions(context)]
        low, high = KEYS_WIDTH
        width = min(max([low, *(len(keys) for keys, _ in shown)]), high)
        title = TITLES.get(context, context.capitalize())
        if context == self.context:
            title += " (this screen)"
        lines: list[Content] = [Content.styled(title, "bold $accent")]
        for keys, action in shown:
            # The user's keys come from their file: Content, never markup.
            line = [Content.styled(f"  {keys:<{width}} ", "bold"), Content(action.description)]
            if action.id in self.overrides:
                line.append(Content.styled("  (your key)", "$text-muted"))
            lines.append(Content.assemble(*line))
        return Content("\n").join(lines)

    def _problems(self) -> Content:
        lines = [Content.styled("Your [keys] table: not applied", "bold $warning")]
        lines += [Content(f"  {clean_line(problem)}") for problem in self.problems]
        return Content("\n").join(lines)
