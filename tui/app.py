"""The Cohort TUI application: opens a forum, shows the home screen, closes it on exit."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack

import httpx
from textual import work
from textual.app import App

from tui import keymap
from tui.forum.embedded import EmbeddedForum
from tui.forum.forum_client import ForumClient
from tui.forum.sanitize import clean_line
from tui.resources import stylesheet
from tui.screens.home import HomeScreen
from widgets.formatting import marks_for

OpenForum = Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]]


class CohortApp(App[int]):
    TITLE = "Cohort"
    CSS_PATH = stylesheet()
    BINDINGS = keymap.bindings("app")

    def __init__(
        self, open_forum: OpenForum = EmbeddedForum, *, source: str = EmbeddedForum.label
    ) -> None:
        """`open_forum()` gives an async context manager yielding the forum's httpx client."""
        super().__init__()
        self.open_forum = open_forum
        self.source = source
        self.forum: ForumClient | None = None
        self._resources = AsyncExitStack()
        # Textual draws on stderr; ASCII marks when its encoding cannot carry ✓ and 📌.
        terminal_encoding = getattr(sys.__stderr__, "encoding", None)
        self.home = HomeScreen(source, marks=marks_for(terminal_encoding))

    async def on_mount(self) -> None:
        await self.push_screen(self.home)  # mounted before any answer can arrive for it
        self._connect()

    async def on_unmount(self) -> None:
        await self._resources.aclose()

    @work(exclusive=True, group="connect")
    async def _connect(self) -> None:
        try:
            http = await self._resources.enter_async_context(self.open_forum())
        except Exception as exc:  # shown, not raised: the user can read it and quit
            self.log.error("opening the forum failed", exc)
            self.home.failed(f"cannot open the {self.source}: {clean_line(str(exc))}")
            return
        self.forum = ForumClient(http)
        self.home.attach(self.forum)


def run_app(args: argparse.Namespace) -> int:
    """Run the TUI on the embedded forum until the user quits; the exit status."""
    app = CohortApp()
    app.run()
    return app.return_code or 0
