"""The command palette's commands (ctrl+p), made from the keymap: every action of the
screen the palette was opened on, and the app's, each shown with its key.

An action is offered only where it would run: its screen (or the app) has the method and
`check_action` allows it now, so the palette never lists what a key could not do.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.dom import DOMNode

from tui import keymap
from tui.keys import context_of


class KeymapCommands(Provider):
    def commands(self) -> list[tuple[keymap.Action, DOMNode, str]]:
        """(action, the node it runs on, its keys) for each action valid here now."""
        screen, app = self.screen, self.app
        check = getattr(app, "keymap_check", None)
        overrides = check.applied if isinstance(check, keymap.KeymapCheck) else {}
        context = context_of(screen)
        here = keymap.actions(context) if context not in (None, "app") else []
        found: list[tuple[keymap.Action, DOMNode, str]] = []
        for action in [*here, *keymap.actions("app")]:
            node: DOMNode = app if action.context == "app" else screen
            runs = callable(getattr(node, f"action_{action.name}", None))
            if runs and node.check_action(action.name, ()):
                found.append((action, node, keymap.keys_of(action, overrides)))
        return found

    def _prompt(self, title: Content, keys: str) -> Content:
        return Content.assemble(title, "  ", (keymap.display_key(keys), "$text-muted"))

    def _runner(self, node: DOMNode, name: str) -> Callable[[], Coroutine[Any, Any, None]]:
        async def run() -> None:
            await self.app.run_action(name, node)

        return run

    async def discover(self) -> Hits:
        for action, node, keys in self.commands():
            yield DiscoveryHit(
                self._prompt(Content(action.description), keys),
                self._runner(node, action.name),
                text=action.description,
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action, node, keys in self.commands():
            score = matcher.match(action.description)
            if score > 0:
                yield Hit(
                    score,
                    self._prompt(matcher.highlight(action.description), keys),
                    self._runner(node, action.name),
                    text=action.description,
                )
