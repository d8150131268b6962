"""The Cohort TUI application: opens a forum, shows the home screen, closes it on exit.

The forum is whatever backend the profile names (the embedded forum by default); the
screens read it through a `Repository`, so the last-seen state paints from the cache
before the network answers.

The app owns what every screen shares: the keys of the "app" context (help, search,
latest, categories), the user's `[keys]` table (checked, then applied with
`set_keymap`), the command palette's commands, and the first look at every key, so a
screen's count prefix and chords (tui/keys.py) come before Textual's bindings.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding

from tui import keymap
from tui.commands import KeymapCommands
from tui.forum.backend import ForumBackend
from tui.forum.cache import Cache, cache_path
from tui.forum.native import NativeBackend
from tui.forum.repository import Repository
from tui.forum.sanitize import clean_line
from tui.keys import KeysMixin, context_of
from tui.resources import stylesheet
from tui.screens.help import HelpScreen
from tui.screens.home import HomeScreen
from tui.terminal import ANSI_THEMES
from widgets.formatting import marks_for

if TYPE_CHECKING:
    from tui.terminal import Startup

OpenForum = Callable[[], AbstractAsyncContextManager[ForumBackend]]


def embedded() -> AbstractAsyncContextManager[ForumBackend]:
    return NativeBackend.embedded()


class CohortApp(App[int]):
    TITLE = "Cohort"
    CSS_PATH = stylesheet()
    BINDINGS = keymap.bindings("app")
    COMMANDS = App.COMMANDS | {KeymapCommands}
    READS_KEYS_FIRST: ClassVar[bool] = True  # see on_event; tui/keys.py relies on it

    def __init__(
        self,
        open_forum: OpenForum = embedded,
        *,
        source: str = "embedded forum",
        cache_file: Path | None = None,
        keys: Mapping[str, str] | None = None,
        theme: str | None = None,
        open_topic: tuple[int, int | None] | None = None,
    ) -> None:
        """`open_forum()` gives an async context manager yielding the forum's backend;
        `cache_file` is this forum's cache (by default the embedded profile's).

        `keys` is the user's keymap (action id -> keys), checked before it is applied;
        `theme` a Textual theme's name (None: Textual's default); `open_topic` a topic id
        and post number to start on, over the home screen (`cohort open TOPIC`)."""
        # An ANSI theme renders in the terminal's own colours; said before the App is
        # built so that NO_COLOR then strips colours rather than turning them grey.
        super().__init__(ansi_color=True if theme in ANSI_THEMES else None)
        if theme is not None:
            self.theme = theme
        self.open_forum = open_forum
        self.source = source
        self.cache_file = cache_file
        self.open_topic = open_topic
        self.backend: ForumBackend | None = None
        self.repo: Repository | None = None
        self._resources = AsyncExitStack()
        self.keymap_check = keymap.check_user_keys(keys or {})
        self.set_keymap(self.keymap_check.applied)
        # Textual draws on stderr; ASCII marks when its encoding cannot carry ✓ and 📌.
        terminal_encoding = getattr(sys.__stderr__, "encoding", None)
        self.home = HomeScreen(source, marks=marks_for(terminal_encoding))

    async def on_mount(self) -> None:
        await self.push_screen(self.home)  # mounted before any answer can arrive for it
        if self.open_topic is not None:
            await self._open_thread(*self.open_topic)  # it waits for the forum by itself
        self._connect()
        problems = self.keymap_check.problems
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.notify(
                f"{problems[0]}{more}. Press ? to see them all.",
                title="Your [keys] table",
                severity="warning",
                timeout=10,
                markup=False,  # the text quotes the user's file
            )

    async def on_event(self, event: events.Event) -> None:
        # A screen reading counts and chords sees each key before Textual's bindings,
        # priority ones included (see tui/keys.py).
        if isinstance(event, events.Key) and not event.is_forwarded:
            screen = self.screen
            if isinstance(screen, KeysMixin) and await screen.read_key(event):
                return
        await super().on_event(event)

    def get_key_display(self, binding: Binding) -> str:
        """Keys as people read them, chords included: "g g", "?", "^p"."""
        return binding.key_display or keymap.display_key(binding.key)

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
            self._back_home()  # a thread opened by `cohort open` would wait for nothing
            self.home.failed(f"cannot open the {self.source}: {clean_line(str(exc))}")
            return
        self.backend = backend
        self.repo = Repository(backend, cache)
        self.home.attach(self.repo)

    # -- the app's actions (keymap context "app") -----------------------------------------

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(
            HelpScreen(
                context_of(self.screen),
                overrides=self.keymap_check.applied,
                problems=self.keymap_check.problems,
            )
        )

    def action_search(self) -> None:
        try:
            from tui.screens.search import SearchScreen
        except ModuleNotFoundError as exc:
            if exc.name != "tui.screens.search":
                raise
            self.notify("Search is not available yet.", severity="warning")
            return
        if not isinstance(self.screen, SearchScreen):
            self.push_screen(SearchScreen())

    def action_latest(self) -> None:
        """The latest topics of every category, on the home screen."""
        home = self._back_home()
        show_latest = getattr(home, "show_latest", None)
        if callable(show_latest):
            show_latest()
        else:  # until the home screen has show_latest: every category, topics focused
            if home.category is not None:
                home.action_show_all()
            home.query_one("#topics").focus()

    def action_categories(self) -> None:
        home = self._back_home()
        focus_categories = getattr(home, "focus_categories", None)
        if callable(focus_categories):
            focus_categories()
        else:
            home.query_one("#categories").focus()

    def _back_home(self) -> HomeScreen:
        """Close every screen above the home screen."""
        while self.screen is not self.home and len(self.screen_stack) > 1:
            self.pop_screen()
        return self.home

    async def _open_thread(self, topic_id: int, post_number: int | None) -> None:
        try:
            from tui.screens.thread import ThreadScreen
        except ModuleNotFoundError as exc:
            if exc.name != "tui.screens.thread":
                raise
            self.notify("Threads cannot be shown yet.", severity="warning")
            return
        # Mounted before the forum is opened, so a failure can close it whole.
        await self.push_screen(ThreadScreen(topic_id, post_number=post_number))


def run_app(args: argparse.Namespace, startup: Startup | None = None) -> int:
    """Run the TUI on the chosen forum (the default profile) until the user quits.

    `startup` is what `tui.terminal.prepare` made of the config and the flags; the
    `cohort` command prepares it before importing Textual, which reads --color and --fps
    only then. Without it, it is prepared here (too late for those two).
    """
    from textual.theme import BUILTIN_THEMES

    from tui.forum.config import ConfigError, profile_for
    from tui.forum.connect import open_backend
    from tui.forum.secrets import SecretError, SecretStore
    from tui.plain import CliError, parse_topic
    from tui.terminal import StartupError, choose_theme, prepare

    try:
        startup = startup or prepare(args)
        config = startup.config
        theme = choose_theme(startup.options, os.environ, BUILTIN_THEMES)
        forum = getattr(args, "forum", None)
        open_topic: tuple[int, int | None] | None = None
        if getattr(args, "command", None) == "open":
            topic_id, post_number, forum_url = parse_topic(args.topic)
            open_topic = (topic_id, post_number)
            forum = forum or forum_url
        profile = config.profile() if forum is None else profile_for(config, forum)
        secrets = SecretStore(backend=config.secret_store)
    except (StartupError, ConfigError, SecretError, CliError) as exc:
        print(f"cohort: {clean_line(str(exc))}", file=sys.stderr)
        return 2
    source = "embedded forum" if profile.kind == "embedded" else profile.name
    app = CohortApp(
        lambda: open_backend(profile, secrets),
        source=source,
        cache_file=cache_path(profile.name),
        keys=config.keys,
        theme=theme,
        open_topic=open_topic,
    )
    app.run()
    return app.return_code or 0
