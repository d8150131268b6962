"""The resource library: every link the community has shared, one row per URL.

It reads the forum's link index (`ForumBackend.resources`) page by page as the reader
scrolls, filtered by category (c cycles, a count picks one), by a topic tag (t) and by
words in the URL or title (f), sorted newest, most shared or most liked (S cycles).
Enter opens the discussion the resource was shared in (a count picks which, when it
was shared in several), o opens the link (or copies it where no browser can be shown,
as the thread screen does), y copies it, and s shares a new one.

The library is not cached: it is the forum's answer or nothing. When the forum cannot be
reached the list loaded before stays and the status line says offline; a forum with no
link index (Discourse) is said to have none, plainly, and sharing still works there.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import WorkerState

from tui import keymap
from tui.forum.backend import ForumBackend, ForumError, Offline
from tui.forum.models import Category, Resource, ResourceList, ResourceShare
from tui.forum.outbox import OutboxItem, OutboxState
from tui.forum.repository import Repository, repository_of
from tui.forum.sanitize import clean_line
from tui.forum.sharing import read_share
from tui.links import open_link
from tui.messages import OutboxUpdate
from tui.table_keys import TableKeys
from widgets.formatting import state_content
from widgets.resource_library import ResourceTable, preview
from widgets.row_table import RowTable

SORTS = ("recent", "shared", "liked")  # the forum's names for the orders
SORT_TITLES = {"recent": "newest", "shared": "most shared", "liked": "most liked"}
UNSUPPORTED = "unsupported"  # the error code of a forum without a link index
FilterMode = Literal["tag", "find"]
PLACEHOLDERS: dict[FilterMode, str] = {
    "tag": "tag (enter: filter, empty: any tag, escape: cancel)",
    "find": "words in the URL or title (enter: filter, empty: all, escape: cancel)",
}


@dataclass(frozen=True, slots=True)
class LibraryKey:
    """Which list is meant: a refresh of the same key keeps the reader's place."""

    category_id: int | None
    tag: str | None
    text: str | None
    sort: str


class LibraryScreen(TableKeys, Screen[None]):
    BINDINGS = keymap.bindings("library")
    KEY_CONTEXT = "library"

    DEFAULT_CSS = """
    LibraryScreen #library-filter {
        display: none;
        height: 3;
        border: tall $accent;
    }
    LibraryScreen #library-list {
        height: 1fr;
        background: $surface;
        border-top: solid $panel-lighten-2;
        border-title-color: $text-muted;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
    }
    LibraryScreen #library-list:focus {
        border-top: solid $accent;
        border-title-color: $text;
        border-title-style: bold;
    }
    LibraryScreen #library-empty {
        display: none;
        height: auto;
        padding: 1 2;
        background: $surface;
    }
    LibraryScreen #library-preview {
        height: auto;
        max-height: 7;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        border-top: solid $panel-lighten-2;
        background: $surface;
    }
    LibraryScreen #library-status {
        height: auto;
        padding: 0 1;
        background: $panel;
        color: $text;
    }
    """

    def __init__(self, *, category: Category | None = None) -> None:
        super().__init__(name="library")
        self.category = category
        self.categories: list[Category] = []
        self.tag: str | None = None
        self.text: str | None = None
        self.sort = SORTS[0]
        self.filter_mode: FilterMode | None = None
        self.next_cursor: str | None = None
        self.unsupported = ""  # the forum's word when it has no resource library
        self._shown: LibraryKey | None = None
        self._paging_failed = False  # the next page could not be had: wait for a refresh
        self._loading = 0  # the "library" run in progress (0: none)
        self._runs = 0
        self._paging: object | None = None  # the "library-more" run in progress
        self._waiting_for: OutboxItem | None = None  # a share queued from here
        self._highlight_url: str | None = None  # ... and delivered: put the cursor on it
        self._state = Content.styled("opening…", "$text-muted")
        self._notice = Content("")

    def compose(self) -> ComposeResult:
        yield Input(id="library-filter", select_on_focus=False)
        yield ResourceTable(id="library-list")
        yield Static(id="library-empty")
        yield Static(id="library-preview")
        yield Static(id="library-status")
        yield Footer()

    @property
    def table(self) -> ResourceTable:
        return self.query_one(ResourceTable)

    def on_mount(self) -> None:
        self._show_title()
        self._show_status()
        self.table.focus()
        self.load()

    def repo(self) -> Repository | None:
        return repository_of(self.app)

    # -- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":  # elsewhere (the filter field) enter keeps its meaning
            return self.focused is self.table and self.table.highlighted is not None
        return True

    def action_back(self) -> None:
        """Out of the filter field first (nothing changes); then off the screen."""
        if self.filter_mode is not None:
            self._close_filter()
        else:
            self.dismiss(None)

    def action_open(self) -> None:
        """The discussion the highlighted resource was shared in: where it was first
        shared, or with a count the share of that number (as the preview numbers them)."""
        resource = self.table.highlighted
        if resource is None:
            return
        share = self._chosen_share(resource, self.count)
        if share is not None:
            self._open_share(share)

    def action_open_link(self) -> None:
        resource = self.table.highlighted
        if resource is None:
            self._say("no resource is highlighted")
            return
        open_link(self, resource.url, self._say)

    def action_copy_link(self) -> None:
        resource = self.table.highlighted
        if resource is None:
            self._say("no resource is highlighted")
            return
        self.app.copy_to_clipboard(resource.url)
        self._say("copied ", resource.url)

    def action_share(self) -> None:
        from tui.screens.share import ShareScreen

        self.app.push_screen(ShareScreen(category=self.category), self._shared)

    def action_next_category(self) -> None:
        """Every category, then each in the forum's order, and round again; a count
        picks the category of that number (as the home screen lists them)."""
        if not self.categories:
            self._say("the categories are not loaded yet")
            return
        choices: list[Category | None] = [None, *self.categories]
        if self.count is not None:
            if not 1 <= self.count <= len(self.categories):
                self._say(f"the categories are 1 to {len(self.categories)}")
                return
            self.category = self.categories[self.count - 1]
        else:
            ids = [c.id if c else None for c in choices]
            now = ids.index(self.category.id) if self.category and self.category.id in ids else 0
            self.category = choices[(now + 1) % len(choices)]
        self._reload()

    def action_tag(self) -> None:
        self._open_filter("tag", self.tag or "")

    def action_find(self) -> None:
        self._open_filter("find", self.text or "")

    def action_next_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._reload()

    def action_refresh(self) -> None:
        self._paging_failed = False
        self.load()

    def keyed_table(self) -> RowTable[Any] | None:
        return self.table

    # -- events -------------------------------------------------------------------------------

    @on(RowTable.RowSelected, "#library-list")
    def _clicked(self, event: RowTable.RowSelected) -> None:
        if self.focused is self.table:
            self.action_open()

    @on(RowTable.RowHighlighted, "#library-list")
    def _highlighted(self, event: RowTable.RowHighlighted) -> None:
        self._show_preview()
        self.refresh_bindings()  # enter opens a discussion only when a row is highlighted

    @on(ResourceTable.NearEnd)
    def _near_end(self, event: ResourceTable.NearEnd) -> None:
        if self.next_cursor is None or self._paging_failed:
            return
        if self._loading or self._paging is not None:
            return  # the page coming will look again once it is shown
        self.load_more()

    @on(Input.Submitted, "#library-filter")
    def _filter_entered(self, event: Input.Submitted) -> None:
        event.stop()
        mode = self.filter_mode
        value = " ".join(clean_line(event.value).split()) or None
        if mode == "tag" and value is not None:
            value = value.lstrip("#").strip() or None
        self._close_filter()
        if mode == "tag" and value != self.tag:
            self.tag = value
            self._reload()
        elif mode == "find" and value != self.text:
            self.text = value
            self._reload()

    def on_outbox_update(self, message: OutboxUpdate) -> None:
        """A resource shared from here was delivered: list it (it is the newest)."""
        waiting = self._waiting_for
        if waiting is None:
            return
        for outcome in message.outcomes:
            item = outcome.item
            if item.id != waiting.id:
                continue
            if item.state is OutboxState.SENT:
                self._waiting_for = None
                self._highlight_url = read_share(item.raw, item.title or "")[0] or None
                self._say("shared: ", item.title or "")
                self.load()
            elif item.problem:
                self._waiting_for = None
                self._say(f"not shared ({item.reason or 'refused'}): ", item.title or "")

    def _shared(self, item: OutboxItem | None) -> None:
        if item is None:
            return
        self._waiting_for = item
        self._say("queued, listed once the forum has it: ", item.title or "")

    # -- loading ------------------------------------------------------------------------------

    def _key(self) -> LibraryKey:
        category_id = self.category.id if self.category else None
        return LibraryKey(category_id, self.tag, self.text, self.sort)

    def _reload(self) -> None:
        """Another list was asked for: its title now, its rows when they come."""
        self._paging_failed = False
        self._show_title()
        self.load()

    @property
    def busy(self) -> bool:
        """Whether a page of the list is being fetched (or about to be)."""
        return any(
            w.group in ("library", "library-more")
            and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for w in self.workers
        )

    async def _backend(self) -> ForumBackend:
        """The forum, once the app has opened it."""
        repo = self.repo()
        while repo is None:
            self._set_state(Content.styled("waiting for the forum…", "$text-muted"))
            await asyncio.sleep(0.05)
            repo = self.repo()
        if not self.categories:
            async for answer in repo.categories():
                if answer.value:
                    self.categories = answer.value
                    if self.category is not None:  # the same category, as the forum has it
                        self.category = next(
                            (c for c in self.categories if c.id == self.category.id), self.category
                        )
        return repo.backend

    @work(exclusive=True, group="library")
    async def load(self) -> None:
        """The first page of the list asked for (a refresh keeps the reader's row)."""
        self.workers.cancel_group(self, "library-more")  # a page of an older list must not land
        self._paging = None
        self._runs += 1
        run = self._loading = self._runs
        self._set_state(Content.styled("loading…", "$text-muted"))
        try:
            backend = await self._backend()
            key = self._key()
            page = await self._fetch(backend, key, None)
            if page is None:
                return
            refresh = key == self._shown
            self._shown = key
            self.next_cursor = page.next_cursor
            self.unsupported = ""
            if not refresh:  # another order or filter: read it from its top
                self.table.show([], new_list=True)
            self.table.show(page.resources, now=datetime.now(UTC), new_list=not refresh)
            self._highlight_shared()
            self._show_list()
            self._set_state(state_content())
        except Exception as exc:  # a bug must not take the whole TUI down; say what broke
            self.log.error("loading the library failed", exc)
            self._failed(exc)
            return
        finally:
            if self._loading == run:
                self._loading = 0
        self.table.check_near_end()  # a first page shorter than the screen: fill it

    @work(exclusive=True, group="library-more")
    async def load_more(self) -> None:
        """Append the next page of the list shown; the cursor stays where it is."""
        key, cursor = self._shown, self.next_cursor
        if key is None or cursor is None:
            return
        token = self._paging = object()
        self._set_state(Content.styled("loading more…", "$text-muted"))
        try:
            page = await self._fetch(await self._backend(), key, cursor)
            if (self._shown, self.next_cursor) != (key, cursor):
                return  # another list was asked for meanwhile
            if page is None:
                self._paging_failed = True
                return
            self.next_cursor = page.next_cursor
            self.table.show([*self.table.resources, *page.resources], now=datetime.now(UTC))
            self._show_list()
            self._set_state(state_content())
        except Exception as exc:
            self.log.error("loading more of the library failed", exc)
            self._failed(exc)
            self._paging_failed = True
            return
        finally:
            if self._paging is token:
                self._paging = None
        self.table.check_near_end()

    async def _fetch(
        self, backend: ForumBackend, key: LibraryKey, cursor: str | None
    ) -> ResourceList | None:
        """One page; None (and the status says why) when the forum did not give it."""
        category = self.category if key.category_id is not None else None
        try:
            return await backend.resources(
                category=category, tag=key.tag, query=key.text, sort=key.sort, cursor=cursor
            )
        except Offline:
            shown = "the list as last loaded" if self._shown is not None else "nothing to show"
            self._set_state(
                Content.styled(f"offline: the forum cannot be reached; {shown}", "$warning")
            )
        except ForumError as exc:
            if exc.code == UNSUPPORTED:
                self.unsupported = exc.message
                self._shown = key
                self.next_cursor = None
                self.table.show([], new_list=True)
                self._show_list()
                self._set_state(Content.styled("unsupported", "$warning"))
            else:
                self._set_state(Content.styled(f"error: {exc.message}", "$error"))
        return None

    def _failed(self, exc: Exception) -> None:
        self._set_state(
            Content.styled(f"error: {type(exc).__name__}: {clean_line(str(exc))}", "$error")
        )

    # -- helpers ------------------------------------------------------------------------------

    def _highlight_shared(self) -> None:
        """Put the cursor on the resource just shared from here, once it is listed."""
        url, self._highlight_url = self._highlight_url, None
        index = next((i for i, r in enumerate(self.table.resources) if r.url == url), None)
        if index is not None:
            self.table.move_cursor(row=index)

    def _chosen_share(self, resource: Resource, count: int | None) -> ResourceShare | None:
        shares = resource.shares
        if not shares:
            self._say("the forum did not say where it was shared: ", resource.url)
            return None
        number = count or 1
        if not 1 <= number <= len(shares):
            self._say(f"it was shared in [1] to [{len(shares)}]")
            return None
        return shares[number - 1]

    def _open_share(self, share: ResourceShare) -> None:
        open_thread = getattr(self.app, "open_thread", None)
        if callable(open_thread):
            self.run_worker(open_thread(share.topic_id, share.post_number))
            return
        from tui.screens.thread import ThreadScreen

        self.app.push_screen(ThreadScreen(share.topic_id, post_number=share.post_number))

    def _open_filter(self, mode: FilterMode, value: str) -> None:
        field = self.query_one("#library-filter", Input)
        self.filter_mode = mode
        field.placeholder = PLACEHOLDERS[mode]
        field.value = value
        field.display = True
        field.focus()
        self.refresh_bindings()

    def _close_filter(self) -> None:
        field = self.query_one("#library-filter", Input)
        self.filter_mode = None
        field.display = False
        self.table.focus()
        self.refresh_bindings()

    # -- display ------------------------------------------------------------------------------

    def _show_title(self) -> None:
        parts: list[Content | str | tuple[str, str]] = [
            "Resources · ",
            Content(self.category.name) if self.category else "every category",
        ]
        if self.tag is not None:
            parts += [" · ", ("#" + self.tag, "bold")]
        if self.text is not None:
            parts += [" · ", ("“" + self.text + "”", "italic")]
        parts += [" · ", SORT_TITLES[self.sort], " first"]
        self.table.border_title = Content.assemble(*parts)

    def _show_list(self) -> None:
        """The rows, or where there are none, why."""
        empty = self.query_one("#library-empty", Static)
        if self.unsupported:
            empty.update(
                Content.assemble(
                    ("This forum has no resource library", "bold"),
                    f" ({self.unsupported}).\n\n",
                    "Links shared in a thread are listed in its Resources pane (R), "
                    "and s still shares a link here, as a new topic.",
                )
            )
        elif not self.table.resources:
            filtered = self.category or self.tag or self.text
            empty.update(
                Content(
                    "No resource matches these filters (c, t and f change them)."
                    if filtered
                    else "No links have been shared yet: s shares the first."
                )
            )
        empty.display = bool(self.unsupported or not self.table.resources)
        self.table.display = not self.unsupported
        self._show_preview()
        self._show_status()

    def _show_preview(self) -> None:
        self.query_one("#library-preview", Static).update(preview(self.table.highlighted))

    def _say(self, message: str, detail: str = "") -> None:
        """A note for the reader; `detail` (a URL or title, maybe from the forum) is text."""
        self._notice = Content.assemble(message, (detail, "underline") if detail else "")
        self._show_status()

    def _set_state(self, state: Content) -> None:
        self._state = state
        self._show_status()

    def _show_status(self) -> None:
        parts: list[Content | str | tuple[str, str]] = [
            (str(getattr(self.app, "source", "")), "bold"),
            " · resource library",
        ]
        if self._shown is not None and not self.unsupported:
            count = len(self.table.resources)
            parts.append(f" · {count} resource{'' if count == 1 else 's'}")
            if self.next_cursor is not None:
                parts.append(" (more below)")
        parts += [" · ", self._state]
        if self._notice.plain:
            parts += ["\n", self._notice]
        self.query_one("#library-status", Static).update(Content.assemble(*parts))
