"""The Cohort TUI application: opens a forum, shows the home screen, closes it on exit.

The forum is whatever backend the profile names (the embedded forum by default); the
screens read it through a `Repository`, so the last-seen state paints from the cache
before the network answers.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from pathlib import Path

from textual import work
from textual.app import App

from tui import keymap
from tui.forum.backend import ForumBackend
from tui.forum.cache import Cache, cache_path
from tui.forum.native import NativeBackend
from tui.forum.repository import Repository
from tui.forum.sanitize import clean_line
from tui.resources import stylesheet
from tui.screens.home import HomeScreen
from widgets.formatting import marks_for

OpenForum = Callable[[], AbstractAsyncContextManager[ForumBackend]]


def embedded() -> AbstractAsyncContextManager[ForumBackend]:
    return NativeBackend.embedded()


class CohortApp(App[int]):
    TITLE = "Cohort"
    CSS_PATH = stylesheet()
    BINDINGS = keymap.bindings("app")

    def __init__(
        self,
        open_forum: OpenForum = embedded,
        *,
        source: str = "embedded forum",
        cache_file: Path | None = None,
    ) -> None:
        """`open_forum()` gives an async context manager yielding the forum's backend;
        `cache_file` is this forum's cache (by default the embedded profile's)."""
        super().__init__()
        self.open_forum = open_forum
        self.source = source
        self.cache_file = cache_file
        self.backend: ForumBackend | None = None
        self.repo: Repository | None = None
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
            cache = Cache(self.cache_file or cache_path("embedded"))
            self._resources.callback(cache.close)
            backend = await self._resources.enter_async_context(self.open_forum())
        except Exception as exc:  # shown, not raised: the user can read it and quit
            self.log.error("opening the forum failed", exc)
            self.home.failed(f"cannot open the {self.source}: {clean_line(str(exc))}")
            return
        self.backend = backend
        self.repo = Repository(backend, cache)
        self.home.attach(self.repo)


def run_app(args: argparse.Namespace) -> int:
    """Run the TUI on the chosen forum (the default profile) until the user quits."""
    from tui.forum.config import ConfigError, load_config, profile_for
    from tui.forum.connect import open_backend
    from tui.forum.secrets import SecretError, SecretStore

    try:
        config = load_config()
        forum = getattr(args, "forum", None)
        profile = config.profile() if forum is None else profile_for(config, forum)
        secrets = SecretStore(backend=config.secret_store)
    except (ConfigError, SecretError) as exc:
        print(f"cohort: {clean_line(str(exc))}", file=sys.stderr)
        return 2
    source = "embedded forum" if profile.kind == "embedded" else profile.name
    app = CohortApp(
        lambda: open_backend(profile, secrets), source=source, cache_file=cache_path(profile.name)
    )
    app.run()
    return app.return_code or 0
