"""The home screen: categories on the left, topics on the right, a status line below.

All forum I/O happens in workers, so the screen never blocks: group "load" (exclusive: a
newer request cancels an older one) fetches the categories and the first pages of the
topic list; group "more" fetches the next page when the reader nears the end of the
table. Reads go through the repository: what was cached paints at once (stale), then
the forum's answer replaces it (fresh), or the status line says the forum is unreachable
(offline). Failures land there as text.

The topic table shows one list at a time: latest, new, unread or top (f cycles), of
every category or of the one opened (enter), optionally only topics with a tag (t).
Neither a refresh, nor a page appended, nor another list moves the cursor off the topic
under it while that topic is still listed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from tui import keymap
from tui.forum.cache import Cache
from tui.forum.models import Category, Freshness, TopicList, TopicSummary
from tui.forum.repository import Answer, Repository
from tui.forum.sanitize import clean_line
from tui.messages import ForumChanged, InboxChanged, OutboxUpdate
from tui.table_keys import TableKeys
from widgets.category_table import CategoryInfo, CategoryTable
from widgets.formatting import UNICODE_MARKS, Marks, state_content
from widgets.row_table import RowTable
from widgets.topic_table import TopicTable

FILTERS = ("latest", "new", "unread", "top")
FILTER_TITLES = {"latest": "Latest", "new": "New", "unread": "Unread", "top": "Top"}
# A refresh refetches the pages already shown; this many more at most while looking for
# the topic under the cursor (pushed down by new topics), so the cursor can stay on it.
EXTRA_REFRESH_PAGES = 2


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ListKey:
    """Which topic list is meant: a refresh of the same key keeps its pages."""

    filter: str
    category_id: int | None
    tag: str | None


class HomeScreen(TableKeys, Screen[None]):
    KEY_CONTEXT = "home"
    BINDINGS = keymap.bindings("home")

    def __init__(self, source: str, *, marks: Marks = UNICODE_MARKS) -> None:
        super().__init__(name="home")
        self.source = source  # how the status line names the forum: "embedded forum", ...
        self.marks = marks
        self.repo: Repository | None = None
        self._first_cache: Cache | None = None  # painted as the screen mounts
        self.username = ""
        self.unread_notifications = 0
        self.unread_messages = 0
        self.filter = FILTERS[0]
        self.category: Category | None = None  # None: topics of every category
        self.tag: str | None = None
        self.clock: Callable[[], datetime] = _utc_now  # what "3h ago" counts from
        self.list_title = Content(FILTER_TITLES[self.filter])
        self._state = Content.styled("opening…", "$text-muted")
        self._categories_loaded = False
        # The list the topic table shows: its key, the pages fetched, where the next starts.
        self._shown: ListKey | None = None
        self._pages: list[tuple[TopicSummary, ...]] = []
        self._next_cursor: str | None = None
        self._loading = 0  # the "load" run in progress (0: none)
        self._runs = 0
        self._paging: object | None = None  # the "more" run in progress
        self._paging_failed = False  # the next page could not be had: wait for a refresh

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield CategoryTable(id="categories")
                yield CategoryInfo(id="category-info")
            with Vertical(id="right"):
                yield Input(placeholder="tag (enter: filter, escape: clear)", id="tag")
                yield TopicTable(id="topics", marks=self.marks)
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(CategoryTable).border_title = "Categories"
        self._show_title()
        self.query_one(CategoryTable).focus()
        self._show_status()
        if self._first_cache is not None:
            self.paint_cached(self._first_cache)
            self._first_cache = None
        if self.repo is not None:
            self.load(with_categories=True)

    # -- called by the app ------------------------------------------------------------------

    def first_paint_from(self, cache: Cache) -> None:
        """Paint what `cache` holds as the screen mounts (at once if it already has)."""
        if self.is_mounted:
            self.paint_cached(cache)
        else:
            self._first_cache = cache

    def paint_cached(self, cache: Cache) -> None:
        """Show what the cache holds before the forum is open (the first frame of a
        start); the repository's answers later refresh it in place."""
        try:
            categories = cache.get_categories()
            me = cache.get_me()
            key = self._list_key()
            cached = cache.get_topic_list(cache.list_key(key.filter, key.category_id, key.tag))
        except Exception as exc:  # a damaged cache is rebuilt by the repository later
            self.log.error("reading the cache failed", exc)
            return
        if me is not None:
            self.username = me.username
        if categories:
            table = self.query_one(CategoryTable)
            table.show(categories)
            self._categories_loaded = True
            self.query_one(CategoryInfo).show(table.highlighted)
        if cached is not None:
            self._show_topics(cached.topics, new_list=True)
            self._shown, self._pages = key, [cached.topics]
            self._next_cursor = cached.next_cursor
        self._set_state(loading=True)

    def attach(self, repo: Repository) -> None:
        """Start showing the forum `repo` reads."""
        self.repo = repo
        if self.is_mounted:
            self.refresh_bindings()
            self.load(with_categories=True)

    def failed(self, message: str) -> None:
        """The forum could not be opened at all."""
        self._set_state(error=message)

    def show_latest(self) -> None:
        """The latest topics of every category, with no tag, topics focused (g l)."""
        self._close_tag_input()
        changed = (self.filter, self.category, self.tag) != (FILTERS[0], None, None)
        self.filter, self.category, self.tag = FILTERS[0], None, None
        self.query_one(TopicTable).focus()
        if changed:
            self._reload_list()

    def focus_categories(self) -> None:
        """The category list takes the keys (g c)."""
        self._close_tag_input()
        self.query_one(CategoryTable).focus()

    # -- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            # A category or a topic; elsewhere (the tag field) enter keeps its meaning.
            if isinstance(self.focused, TopicTable):
                return self.focused.highlighted is not None
            return isinstance(self.focused, CategoryTable) and self.repo is not None
        if action == "show_all":
            return self.category is not None or self.tag is not None or self._tag_input_open
        if action in ("refresh", "next_filter", "tag"):
            return self.repo is not None
        if action == "guidelines":
            return self._guidelines_category() is not None
        return True

    def action_quit(self) -> None:
        self.app.exit(0)

    def action_refresh(self) -> None:
        self._paging_failed = False
        self.load(with_categories=True)

    def action_open(self) -> None:
        """Enter: the highlighted topic's thread, or the highlighted category's topics."""
        topics = self.query_one(TopicTable)
        if self.focused is topics:
            topic = topics.highlighted
            if topic is not None:
                from tui.screens.thread import ThreadScreen  # this method alone opens threads

                self.app.push_screen(ThreadScreen(topic.id))
            return
        category = self.query_one(CategoryTable).highlighted
        if category is not None:
            self._open(category)

    def action_show_all(self) -> None:
        """Back out one level: the tag filter first, then the category."""
        if self.tag is not None or self._tag_input_open:
            self._close_tag_input()
            if self.tag is not None:
                self.tag = None
                self._reload_list()
            return
        self._open(None)

    def action_next_filter(self) -> None:
        """Latest, new, unread, top, and round again."""
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]
        self._reload_list()

    def action_tag(self) -> None:
        """Ask for a tag; only topics with it are listed (empty or escape: every topic)."""
        field = self.query_one("#tag", Input)
        field.value = self.tag or ""
        field.display = True
        field.focus()
        self.refresh_bindings()

    def action_guidelines(self) -> None:
        from tui.screens.guidelines import GuidelinesScreen  # Markdown: not needed to start

        category = self._guidelines_category()
        if category is not None:
            self.app.push_screen(GuidelinesScreen(category))

    def action_new_topic(self) -> None:
        """Write a new topic (c), in the category open here if one is."""
        from tui.screens.compose import ComposeRequest, ComposeScreen

        category = self.category.id if self.category is not None else None
        self.app.push_screen(ComposeScreen(ComposeRequest("topic", category_id=category)))

    @on(OutboxUpdate)
    def _outbox_moved(self, event: OutboxUpdate) -> None:
        """A new topic sent shows in the list; one the forum refused goes back into the
        composer with its text and the reason (threads do the same for replies)."""
        from tui.forum.outbox import OutboxKind, OutboxState

        topics = [o.item for o in event.outcomes if o.item.kind is OutboxKind.TOPIC]
        if any(item.state is OutboxState.SENT for item in topics) and self.repo is not None:
            self.load(with_categories=False)
        offered = getattr(self.app, "problems_offered", None)
        refused = [i for i in topics if i.problem and isinstance(offered, set)]
        if refused and self.is_current and isinstance(offered, set):
            from tui.screens.compose import ComposeRequest, ComposeScreen

            item = refused[0]
            if item.id not in offered:
                offered.add(item.id)
                self.app.push_screen(ComposeScreen(ComposeRequest.for_problem(item)))

    @on(ForumChanged)
    def _forum_changed(self, event: ForumChanged) -> None:
        """New topics and replies elsewhere: the list is read again (the cursor stays)."""
        if self.repo is not None and not self._loading:
            self.load(with_categories=event.result.categories_changed)

    @on(InboxChanged)
    def _inbox_changed(self, event: InboxChanged) -> None:
        self.unread_notifications = event.notifications.unread_count
        self.unread_messages = event.unread_messages or 0
        self._show_status()

    def action_share(self) -> None:
        """Share a resource (s): a new topic, in the category open here if one is."""
        from tui.screens.share import ShareScreen

        self.app.push_screen(ShareScreen(category=self.category))

    def keyed_table(self) -> RowTable[Any] | None:
        return self._focused_table()

    @on(RowTable.RowSelected, "#categories")
    def _category_clicked(self, event: RowTable.RowSelected) -> None:
        self.action_open()

    @on(RowTable.RowSelected, "#topics")
    def _topic_clicked(self, event: RowTable.RowSelected) -> None:
        if self.focused is event.table:
            self.action_open()

    @on(RowTable.RowHighlighted, "#categories")
    def _category_highlighted(self, event: RowTable.RowHighlighted) -> None:
        self.query_one(CategoryInfo).show(self.query_one(CategoryTable).highlighted)

    @on(Input.Submitted, "#tag")
    def _tag_entered(self, event: Input.Submitted) -> None:
        event.stop()
        tag = clean_line(event.value).strip().lstrip("#").strip() or None
        self._close_tag_input()
        self.query_one(TopicTable).focus()
        if tag != self.tag:
            self.tag = tag
            self._reload_list()

    @on(TopicTable.NearEnd)
    def _near_end(self, event: TopicTable.NearEnd) -> None:
        if self._next_cursor is None or self._paging_failed:
            return
        if self._loading or self._paging is not None or self._shown != self._list_key():
            return
        self.load_more()

    def _open(self, category: Category | None) -> None:
        self.category = category
        topics = self.query_one(TopicTable)
        (self.query_one(CategoryTable) if category is None else topics).focus()
        self._reload_list()

    def _reload_list(self) -> None:
        """Another list was chosen (filter, category or tag): title now, rows when loaded."""
        self._show_title()
        self.refresh_bindings()
        self.load(with_categories=False)

    def _focused_table(self) -> CategoryTable | TopicTable | None:
        focused = self.focused
        return focused if isinstance(focused, CategoryTable | TopicTable) else None

    def _guidelines_category(self) -> Category | None:
        """The highlighted category when the category list has the focus; else the one
        open (or, with every category listed, the highlighted one)."""
        tables = self.query(CategoryTable)
        highlighted = tables.first().highlighted if tables else None
        if isinstance(self.focused, CategoryTable):
            return highlighted
        return self.category or highlighted

    @property
    def _tag_input_open(self) -> bool:
        return any(field.display for field in self.query("#tag"))

    def _close_tag_input(self) -> None:
        field = self.query_one("#tag", Input)
        if field.has_focus:
            self.query_one(TopicTable).focus()
        field.display = False
        self.refresh_bindings()

    def _list_key(self) -> ListKey:
        return ListKey(self.filter, self.category.id if self.category else None, self.tag)

    def _show_title(self) -> None:
        parts: list[Content | str | tuple[str, str]] = [FILTER_TITLES[self.filter]]
        if self.category is not None:
            parts += [" · ", Content(self.category.name)]
        if self.tag is not None:
            parts += [" · ", ("#" + self.tag, "bold")]
        self.list_title = Content.assemble(*parts)
        self.query_one(TopicTable).border_title = self.list_title

    def _show_topics(self, topics: Sequence[TopicSummary], *, new_list: bool = False) -> None:
        names = {c.id: c.name for c in self.query_one(CategoryTable).categories}
        self.query_one(TopicTable).show(
            list(topics),
            names,
            show_category=self.category is None,
            now=self.clock(),
            new_list=new_list,
        )

    # -- loading ------------------------------------------------------------------------------

    @work(exclusive=True, group="load")
    async def load(self, *, with_categories: bool) -> None:
        """Show what the screen needs: the cached state first, then the forum's answer."""
        repo = self.repo
        if repo is None:
            return
        self.workers.cancel_group(self, "more")  # a page of an older list must not land
        self._paging = None
        self._runs += 1
        run = self._loading = self._runs
        self._set_state(loading=True)
        categories = self.query_one(CategoryTable)
        try:
            if not self.username:
                async for user in repo.me():
                    if user.value is not None:
                        self.username = user.value.username
                        self._show_status()
            if with_categories or not self._categories_loaded:
                async for answer in repo.categories():
                    if answer.value is not None:
                        categories.show(answer.value)
                        self._categories_loaded = True
                        self.query_one(CategoryInfo).show(categories.highlighted)
                        self.refresh_bindings()  # the guidelines (i) can be shown now
            await self._load_topics(repo)
        except Exception as exc:  # a bug must not take the whole TUI down; say what broke
            self.log.error("loading failed", exc)
            self._set_state(error=f"{type(exc).__name__}: {clean_line(str(exc))}")
        finally:
            if self._loading == run:
                self._loading = 0
        self.query_one(TopicTable).check_near_end()

    async def _load_topics(self, repo: Repository) -> None:
        """The first page of the list, or, for a refresh, as many pages as were shown.

        While a refresh is under way the rows not refetched yet stay, and the rows do not
        change at all until the topic under the cursor has been seen again (a new topic
        may have pushed it to a later page); a topic that is gone leaves the cursor on
        its row."""
        key = self._list_key()
        table = self.query_one(TopicTable)
        refresh = key == self._shown
        wanted = max(len(self._pages), 1) if refresh else 1
        keep = table.highlighted if refresh else None
        old = list(table.topics) if refresh else []
        pages: list[tuple[TopicSummary, ...]] = []
        cursor: str | None = None
        while True:
            last: TopicList | None = None
            async for answer in repo.topics(
                key.filter, category=self.category, tag=key.tag, cursor=cursor
            ):
                if answer.value is not None:
                    last = answer.value
                    fetched = [t for page in pages for t in page] + list(last.topics)
                    if _holds(fetched, keep):
                        partial = len(pages) + 1 < wanted  # later pages: keep the old rows
                        self._show_topics(
                            fetched + old if partial else fetched, new_list=not refresh
                        )
                        self._shown, refresh = key, True
                if not self._report(answer):
                    if self._shown != key:  # nothing to show for the list asked for
                        self._show_topics([], new_list=True)
                        self._shown, self._pages, self._next_cursor = key, [], None
                    return
            if last is None:
                return
            pages = [*pages, last.topics]
            cursor = last.next_cursor
            self._pages, self._next_cursor = pages, cursor
            found = _holds([t for page in pages for t in page], keep)
            if cursor is None or len(pages) >= wanted + (0 if found else EXTRA_REFRESH_PAGES):
                break
        # Exactly the pages fetched (only what changed is redrawn).
        self._show_topics([t for page in pages for t in page], new_list=not refresh)
        self._shown = key

    @work(exclusive=True, group="more")
    async def load_more(self) -> None:
        """Append the next page of the list shown (the cursor stays where it is)."""
        repo, key, cursor = self.repo, self._shown, self._next_cursor
        if repo is None or key is None or cursor is None:
            return
        token = self._paging = object()
        self._set_state(loading=True)
        try:
            async for answer in repo.topics(
                key.filter, category=self.category, tag=key.tag, cursor=cursor
            ):
                if (self._shown, self._next_cursor) != (key, cursor):
                    return  # reloaded meanwhile: this page belongs to an older list
                if answer.value is not None:
                    shown = [t for page in self._pages for t in page]
                    self._show_topics([*shown, *answer.value.topics])
                    if answer.freshness is not Freshness.STALE:
                        self._pages = [*self._pages, answer.value.topics]
                        self._next_cursor = answer.value.next_cursor
                if not self._report(answer):
                    self._paging_failed = True
                    return
                if answer.value is None:
                    self._paging_failed = True
        except Exception as exc:
            self.log.error("loading more failed", exc)
            self._set_state(error=f"{type(exc).__name__}: {clean_line(str(exc))}")
            self._paging_failed = True
        finally:
            if self._paging is token:
                self._paging = None
        self.query_one(TopicTable).check_near_end()

    def _report(self, answer: Answer[TopicList]) -> bool:
        """Put an answer's freshness or error on the status line; False on an error
        that left nothing to show (an offline answer from the cache is not one)."""
        offline = answer.freshness is Freshness.OFFLINE and answer.value is not None
        if answer.error is not None and not offline:
            self._set_state(error=answer.error.message)
            return False
        self._set_state(freshness=answer.freshness)
        return True

    # -- status line --------------------------------------------------------------------------

    def _set_state(
        self, *, loading: bool = False, error: str = "", freshness: Freshness | None = None
    ) -> None:
        self._state = state_content(loading=loading, error=error, freshness=freshness)
        self._show_status()

    def _show_status(self) -> None:
        parts: list[Content | str | tuple[str, str]] = [(self.source, "bold")]
        if self.username:
            parts += [" · you are ", (self.username, "bold")]
        if self.unread_notifications:
            parts += [" · ", (f"{self.unread_notifications} unread in your inbox (g i)", "bold")]
        if self.unread_messages:
            unread = self.unread_messages
            plural = "" if unread == 1 else "s"
            parts += [" · ", (f"{unread} unread conversation{plural} (g m)", "bold")]
        if self._categories_loaded:
            count = len(self.query_one(CategoryTable).categories)
            parts.append(f" · {count} categor{'y' if count == 1 else 'ies'}")
        parts += [" · ", self._state]
        self.query_one("#status", Static).update(Content.assemble(*parts))


def _holds(topics: Sequence[TopicSummary], wanted: TopicSummary | None) -> bool:
    """Whether `wanted` (None: nothing in particular) is among `topics`."""
    return wanted is None or any(t.id == wanted.id for t in topics)
