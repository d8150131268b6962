"""The Cohort TUI application: opens a forum, shows the home screen, closes it on exit.

The forum is whatever backend the profile names (the embedded forum by default); the
screens read it through a `Repository`, so the last-seen state paints from the cache
before the network answers. The first frame needs only the cache: the home screen paints
what it holds, and the forum is opened behind it (its modules imported off the event
loop), so a start costs about what a bare Textual app's does.

Once the forum is open the app keeps three things going for every screen: the outbox
sender (drafts become posts; offline they wait, and go when the forum is back), the
change feed (new posts land in the cache and open screens hear `ForumChanged`), and the
inbox watch (a new reply or mention gives a short notice, and a bell when asked for).

The app owns what every screen shares: the keys of the "app" context (help, search,
latest, categories), the user's `[keys]` table (checked, then applied with
`set_keymap`), the command palette's commands, and the first look at every key, so a
screen's count prefix and chords (tui/keys.py) come before Textual's bindings.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import os
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from tui import keymap
from tui.forum.backend import ForumBackend
from tui.forum.cache import Cache, cache_path
from tui.forum.models import Freshness, Notification, User
from tui.forum.sanitize import clean_line
from tui.keys import KeysMixin, context_of
from tui.resources import stylesheet
from tui.screens.home import HomeScreen
from tui.terminal import ANSI_THEMES
from widgets.formatting import describe_notification, marks_for

if TYPE_CHECKING:
    # Not needed for the first frame: imported where used, after it.
    from textual.command import Provider
    from textual.message import Message

    from tui.forum.drafts import Drafts
    from tui.forum.outbox import Outbox, Outcome
    from tui.forum.repository import Repository
    from tui.forum.sync import SyncResult
    from tui.terminal import Startup

OpenForum = Callable[[], AbstractAsyncContextManager[ForumBackend]]
# Imported off the event loop before the forum opens (the embedded one needs the server).
BACKEND_MODULES: tuple[str, ...] = ("tui.forum.native", "tui.forum.connect")
EMBEDDED_MODULES: tuple[str, ...] = ("tui.forum.embedded", "server.app", "server.store")
# Seconds between looks at the notifications while changes arrive. Discourse counts every
# request against a user key's budget (20 a minute), which the change feed also draws on.
INBOX_EVERY = {"cohort": 5.0, "discourse": 60.0}
NOTICES_AT_ONCE = 3  # new notifications told one by one; more are summed up


def embedded() -> AbstractAsyncContextManager[ForumBackend]:
    from tui.forum.native import NativeBackend

    return NativeBackend.embedded()


def keymap_commands() -> type[Provider]:
    """The palette's commands (imported when the palette first opens)."""
    from tui.commands import KeymapCommands

    return KeymapCommands


def _import(names: tuple[str, ...]) -> None:
    for name in names:
        importlib.import_module(name)


class CohortApp(App[int]):
    TITLE = "Cohort"
    CSS_PATH = stylesheet()
    BINDINGS = keymap.bindings("app")
    COMMANDS = App.COMMANDS | {keymap_commands}
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
        profile: str = "embedded",
        state_file: Path | None = None,
        bell: bool = False,
        live: bool = True,
    ) -> None:
        """`open_forum()` gives an async context manager yielding the forum's backend;
        `cache_file` is this forum's cache (by default the profile's).

        `keys` is the user's keymap (action id -> keys), checked before it is applied;
        `theme` a Textual theme's name (None: Textual's default); `open_topic` a topic id
        and post number to start on, over the home screen (`cohort open TOPIC`).
        `profile` names the forum's drafts and outbox in `state_file` (the user's state
        file by default); `bell` rings on a new notification; `live` follows the forum's
        change feed while open."""
        # An ANSI theme renders in the terminal's own colours; said before the App is
        # built so that NO_COLOR then strips colours rather than turning them grey.
        super().__init__(ansi_color=True if theme in ANSI_THEMES else None)
        if theme is not None:
            self.theme = theme
        self.open_forum = open_forum
        self.source = source
        self.cache_file = cache_file
        self.open_topic = open_topic
        self.profile = profile
        self.state_file = state_file
        self.ring_bell = bell
        self.live = live
        self.backend: ForumBackend | None = None
        self.repo: Repository | None = None
        self.cache: Cache | None = None
        self.drafts: Drafts | None = None
        self.outbox: Outbox | None = None
        self.me: User | None = None
        self.unread_notifications = 0
        self.unread_messages: int | None = None  # None: the forum has no private messages
        self.problems_offered: set[int] = set()  # refused outbox items reopened this run
        self._seen_notifications: set[int] | None = None
        self._inbox_checked = 0.0
        self._inbox_due = False  # a look at the notifications is scheduled
        self._heard_before = False  # whether the change feed has answered in this run
        self._inbox_every = INBOX_EVERY["cohort"]
        self._wake = asyncio.Event()  # the outbox has something new to send
        self._resources = AsyncExitStack()
        self.keymap_check = keymap.check_user_keys(keys or {})
        self.set_keymap(self.keymap_check.applied)
        # Textual draws on stderr; ASCII marks when its encoding cannot carry ✓ and 📌.
        terminal_encoding = getattr(sys.__stderr__, "encoding", None)
        self.home = HomeScreen(source, marks=marks_for(terminal_encoding))

    def get_default_screen(self) -> Screen[Any]:
        """The home screen is the app's first screen, with the cache opened before it
        mounts, so its very first frame shows what the cache holds. As the default
        screen it is composed in Textual's start-up batch and drawn once that ends;
        pushed from `on_mount` instead, it was drawn inside the batch, and Textual threw
        that frame away (some 50 ms of a start)."""
        self._open_local()
        return self.home

    async def on_mount(self) -> None:
        if self.open_topic is not None:
            await self.open_thread(*self.open_topic)  # it waits for the forum by itself
        self.call_after_refresh(self._after_first_frame)
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

    # -- opening: the local files first, then the forum ------------------------------------------

    def _open_local(self) -> None:
        """The cache (painted at once) and the state file (drafts and the outbox)."""
        try:
            cache = Cache(self.cache_file or cache_path(self.profile))
        except Exception as exc:  # the home screen says it; quitting still works
            self.log.error("opening the cache failed", exc)
            self.home.failed(f"cannot open the cache: {clean_line(str(exc))}")
            return
        self.cache = cache
        self._resources.callback(cache.close)
        self.home.first_paint_from(cache)

    def _open_state(self) -> None:
        from tui.forum import statedb
        from tui.forum.drafts import Drafts
        from tui.forum.outbox import Outbox

        try:
            state = self.state_file or statedb.default_path()
            self.drafts = Drafts(state, self.profile)
            self._resources.callback(self.drafts.close)
            self.outbox = Outbox(state, self.profile)
            self._resources.callback(self.outbox.close)
        except Exception as exc:  # reading still works; writing must not pretend to
            self.log.error("opening the state file failed", exc)
            self.notify(
                f"Drafts and sending are off: {clean_line(str(exc))}",
                title="Cannot keep drafts",
                severity="error",
                timeout=15,
                markup=False,
            )

    def _after_first_frame(self) -> None:
        """The forum opens once the first frame (the cached state) is out: importing its
        modules, even in a thread, holds the interpreter's lock and would slow that frame
        by a third. The `cohort` command starts with the garbage collector off (see
        tui/__main__.py): it is on again from here, and what the start made, which lives
        as long as the app, is left out of every later collection."""
        if not gc.isenabled():
            gc.freeze()
            gc.enable()
        self._connect()

    @work(exclusive=True, group="connect")
    async def _connect(self) -> None:
        cache = self.cache
        if cache is None:
            return
        embedded = self.source == "embedded forum"
        modules = BACKEND_MODULES + (EMBEDDED_MODULES if embedded else ())
        try:
            await asyncio.to_thread(_import, modules)
        except Exception as exc:  # reported below, by opening the forum
            self.log.error("importing the backend failed", exc)
        self._open_state()
        try:
            backend = await self._resources.enter_async_context(self.open_forum())
        except Exception as exc:  # shown, not raised: the user can read it and quit
            self.log.error("opening the forum failed", exc)
            self._back_home()  # a thread opened by `cohort open` would wait for nothing
            self.home.failed(f"cannot open the {self.source}: {clean_line(str(exc))}")
            return
        from tui.forum.repository import Repository

        self.backend = backend
        self.repo = Repository(backend, cache)
        self.home.attach(self.repo)
        self._warm_up()
        async for user in self.repo.me():
            if user.value is not None:
                self.me = user.value
        async for site in self.repo.site():
            if site.value is not None:
                self._inbox_every = INBOX_EVERY.get(site.value.software, INBOX_EVERY["discourse"])
        self._deliver()
        if self.live:
            self._follow()

    @work(thread=True, group="warm-up")
    def _warm_up(self) -> None:
        """Load the Markdown parser and highlighters now, so the first thread opened does
        not pay for them (over 100 ms)."""
        from widgets.post_render import warm_up

        warm_up()

    # -- the outbox sender ----------------------------------------------------------------------

    def deliver(self) -> None:
        """Send what was just queued (and anything waiting) now."""
        if self.outbox is not None:
            self.outbox.wake()
        self._wake.set()

    @work(exclusive=True, group="deliver")
    async def _deliver(self) -> None:
        """Send due items, then sleep until the next is due or `deliver()` is called."""
        while True:
            outbox, backend = self.outbox, self.backend
            if outbox is None or backend is None:
                return
            self._wake.clear()
            try:
                outcomes = await outbox.send_due(backend)
            except Exception as exc:  # a bug here must not stop the TUI; the text is kept
                self.log.error("sending the outbox failed", exc)
                outcomes = []
            if outcomes:
                from tui.messages import OutboxUpdate

                await self._remember(outcomes)
                self._tell(OutboxUpdate(outcomes))
                self._say_outcomes(outcomes)
            due = outbox.next_due()
            timeout = 3600.0 if due is None else max(0.05, due - time.time())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            except TimeoutError:
                pass

    async def _remember(self, outcomes: list[Outcome]) -> None:
        """What the forum made of sent items goes into the cache, so screens show it
        before the change feed tells of it."""
        from tui.forum.models import Post, TopicPage

        repo = self.repo
        if repo is None:
            return
        for outcome in outcomes:
            result = outcome.item.result
            try:
                if isinstance(result, Post):
                    await repo.remember_post(result)
                elif isinstance(result, TopicPage):
                    await repo.remember_topic(result)
            except Exception as exc:  # the cache is a copy; the next read mends it
                self.log.error("caching a sent post failed", exc)

    def _say_outcomes(self, outcomes: list[Outcome]) -> None:
        from tui.forum.outbox import OutboxState

        for outcome in outcomes:
            item = outcome.item
            if item.state is OutboxState.SENT and outcome.recovered:
                self.notify("A post sent before was found on the forum: not sent again.")
            elif item.problem:
                what = {
                    "edit": "Your edit",
                    "topic": "Your new topic",
                    "message": "Your private message",
                }.get(item.kind, "Your post")
                where = {"topic": "the home screen", "message": "your messages (g m)"}.get(
                    item.kind, "its thread"
                )
                self.notify(
                    f"{what} was not accepted: {item.reason or 'refused'}. Its text is kept: "
                    f"the composer opens on it in {where}, to change it and send it again.",
                    title="Not sent",
                    severity="warning",
                    timeout=12,
                    markup=False,
                )

    # -- live updates ---------------------------------------------------------------------------

    @work(exclusive=True, group="follow")
    async def _follow(self) -> None:
        """Apply the forum's change feed to the cache while the app runs."""
        from tui.forum.sync import Syncer

        backend, cache = self.backend, self.cache
        if backend is None or cache is None:
            return
        await self._check_inbox()
        stop = asyncio.Event()
        try:
            await Syncer(backend, cache).run(stop, on_result=self._heard)
        finally:
            stop.set()

    async def _heard(self, result: SyncResult) -> None:
        from tui.messages import ForumChanged

        first, self._heard_before = not self._heard_before, True
        if first and result.reset and not result.topic_ids:
            # The first step of a cache that had no cursor: it only learns where the feed
            # stands. The screens read the forum as they opened; nothing to reread.
            return
        self._tell(ForumChanged(result))
        wait = self._inbox_every - (time.monotonic() - self._inbox_checked)
        if wait <= 0:
            await self._check_inbox()
        elif not self._inbox_due:  # at most one look per interval, but never skipped
            self._inbox_due = True
            self.set_timer(wait, self._look_at_inbox)

    @work(exclusive=True, group="inbox")
    async def _look_at_inbox(self) -> None:
        self._inbox_due = False
        await self._check_inbox()

    async def _check_inbox(self) -> None:
        repo = self.repo
        if repo is None:
            return
        self._inbox_checked = time.monotonic()
        latest = None
        try:
            async for answer in repo.notifications():
                if answer.value is not None and answer.freshness is Freshness.FRESH:
                    latest = answer.value
        except Exception as exc:  # notices are a courtesy; reading goes on without them
            self.log.error("reading the notifications failed", exc)
            return
        if latest is None:
            return
        unread = [n for n in latest.notifications if not n.read]
        seen = self._seen_notifications
        fresh: list[Notification] = [] if seen is None else [n for n in unread if n.id not in seen]
        self._seen_notifications = (seen or set()) | {n.id for n in latest.notifications}
        self.unread_notifications = latest.unread_count
        self.unread_messages = await self._unread_conversations()
        from tui.messages import InboxChanged

        self._tell(InboxChanged(latest, [n.id for n in fresh], self.unread_messages))
        for notification in fresh[:NOTICES_AT_ONCE]:
            self.notify(describe_notification(notification), timeout=6, markup=False)
        if len(fresh) > NOTICES_AT_ONCE:
            self.notify(f"… and {len(fresh) - NOTICES_AT_ONCE} more in your inbox (g i).")
        if fresh and self.ring_bell:
            self.bell()

    async def _unread_conversations(self) -> int | None:
        """Private conversations with unread posts, where the forum has them."""
        from tui.forum.backend import ForumError
        from tui.forum.community import community_of

        backend = self.backend
        community = community_of(backend) if backend is not None else None
        if community is None or community.unsupported("conversations") is not None:
            return None
        try:
            return (await community.conversations()).unread_topics
        except ForumError as exc:  # the count is a courtesy; keep the last one known
            self.log.info("counting unread messages failed", exc.message)
            return self.unread_messages

    def _tell(self, message: Message) -> None:
        """Post `message` to every screen on the stack (hidden ones keep up too)."""
        for screen in self.screen_stack:
            screen.post_message(message)

    # -- the app's actions (keymap context "app") -----------------------------------------

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen  # not needed for the first frame

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

    def action_inbox(self) -> None:
        """The feedback inbox (g i), over the screen it was asked from."""
        from tui.screens.inbox import InboxScreen  # not needed to start

        if not isinstance(self.screen, InboxScreen):
            self.push_screen(InboxScreen())

    def action_categories(self) -> None:
        home = self._back_home()
        focus_categories = getattr(home, "focus_categories", None)
        if callable(focus_categories):
            focus_categories()
        else:
            home.query_one("#categories").focus()

    def action_groups(self) -> None:
        """Study groups (g y), over the screen they were asked from."""
        from tui.screens.groups import GroupsScreen  # not needed to start

        if not isinstance(self.screen, GroupsScreen):
            self.push_screen(GroupsScreen())

    def action_events(self) -> None:
        """Upcoming events and group meetings (g e)."""
        from tui.screens.events import EventsScreen  # not needed to start

        if not isinstance(self.screen, EventsScreen):
            self.push_screen(EventsScreen())

    def action_people(self) -> None:
        """People and mentors (g p)."""
        from tui.screens.people import PeopleScreen  # not needed to start

        if not isinstance(self.screen, PeopleScreen):
            self.push_screen(PeopleScreen())

    def action_messages(self) -> None:
        """Private conversations (g m)."""
        from tui.screens.messages import MessagesScreen  # not needed to start

        if not isinstance(self.screen, MessagesScreen):
            self.push_screen(MessagesScreen())

    def action_add_forum(self) -> None:
        """Log in to another forum and save it as a profile (g f); this one stays open."""
        from tui.forum.config import Profile
        from tui.screens.login import LoginScreen  # not needed to start

        def added(profile: Profile | None) -> None:
            if profile is not None:
                self.notify(
                    f"Added {profile.name}; run `cohort --forum {profile.name}` "
                    "(or restart) to use it",
                    title="Forum added",
                    markup=False,
                    timeout=10,
                )

        if not isinstance(self.screen, LoginScreen):
            self.push_screen(LoginScreen(), callback=added)

    def action_library(self) -> None:
        """The community's resource library (g r), over the screen it was asked from."""
        from tui.screens.library import LibraryScreen  # not needed to start

        if not isinstance(self.screen, LibraryScreen):
            self.push_screen(LibraryScreen())

    def _back_home(self) -> HomeScreen:
        """Close every screen above the home screen."""
        while self.screen is not self.home and len(self.screen_stack) > 1:
            self.pop_screen()
        return self.home

    async def open_thread(self, topic_id: int, post_number: int | None = None) -> None:
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

    from tui.forum.config import ConfigError, Profile, profile_for
    from tui.forum.secrets import SecretError, SecretStore
    from tui.terminal import StartupError, choose_theme, prepare

    try:
        startup = startup or prepare(args)
        config = startup.config
        theme = choose_theme(startup.options, os.environ, BUILTIN_THEMES)
        forum = getattr(args, "forum", None)
        open_topic: tuple[int, int | None] | None = None
        if getattr(args, "command", None) == "open":
            from tui.plain import CliError, parse_topic  # the plain CLI needs httpx: only here

            try:
                topic_id, post_number, forum_url = parse_topic(args.topic)
            except CliError as exc:
                raise StartupError(str(exc)) from None
            open_topic = (topic_id, post_number)
            forum = forum or forum_url
        profile = config.profile() if forum is None else profile_for(config, forum)
        secrets = SecretStore(backend=config.secret_store)
    except (StartupError, ConfigError, SecretError) as exc:
        print(f"cohort: {clean_line(str(exc))}", file=sys.stderr)
        return 2
    source = "embedded forum" if profile.kind == "embedded" else profile.name

    def open_forum(
        profile: Profile = profile, secrets: SecretStore = secrets
    ) -> AbstractAsyncContextManager[ForumBackend]:
        from tui.forum.connect import open_backend  # httpx: imported after the first frame

        return open_backend(profile, secrets)

    app = CohortApp(
        open_forum,
        source=source,
        cache_file=cache_path(profile.name),
        keys=config.keys,
        theme=theme,
        open_topic=open_topic,
        profile=profile.name,
        bell=config.bell,
    )
    app.run()
    return app.return_code or 0
