"""The registry of every user action: its id, default keys, description and context.

Screens build their Textual `BINDINGS` from here rather than declaring keys inline, so
one table drives the keys, the footer and (later) the help screen and the command
palette. Each `Binding` carries `id=action.id`, which is what `App.set_keymap` matches,
so user remapping needs no change to any screen.

Focus movement (tab / shift+tab) and the command palette (ctrl+p) are Textual built-ins
and are not repeated here.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Action:
    id: str  # "<context>.<name>"; the binding runs `action_<name>` on the context's node
    keys: str  # Textual key string; a comma separates alternatives
    description: str
    context: str  # "app" (CohortApp) or a screen's name ("home")
    show: bool = True  # shown in the footer
    priority: bool = False  # checked before the focused widget's own bindings

    @property
    def name(self) -> str:
        return self.id.rpartition(".")[2]


ACTIONS: tuple[Action, ...] = (
    Action("app.quit", "q", "Quit", "app"),
    Action("home.refresh", "r", "Refresh", "home"),
    # Priority, so enter opens a category rather than only moving the table's cursor.
    Action("home.open", "enter", "Open", "home", priority=True),
    Action("home.show_all", "escape", "All topics", "home"),
)


def actions(context: str) -> list[Action]:
    return [a for a in ACTIONS if a.context == context]


def bindings(context: str) -> list[BindingType]:
    """The Textual bindings of one context, each with its action's id for remapping."""
    return [
        Binding(a.keys, a.name, a.description, show=a.show, priority=a.priority, id=a.id)
        for a in actions(context)
    ]
