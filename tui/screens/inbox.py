"""The feedback inbox: the replies, mentions, quotes, reactions and accepted answers your
posts received, newest first, the unread ones marked.

The list is read through the repository (what the cache holds at once, then the forum's),
and follows the app's own look at the notifications (`InboxChanged`) while it is open.
Enter opens the thread at the post and marks that notification read; m marks the
highlighted one read, M all of them. A mark shows at once and is undone, with the reason,
when the forum refuses it or cannot be reached; the list itself is never lost to a
failure.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui import keymap
from tui.forum.backend import ForumError, Offline
from tui.forum.models import Freshness, Notification, NotificationList
from tui.forum.repository import Answer, Repository, repository_of
from tui.forum.sanitize import clean_line
from tui.messages import InboxChanged
from tui.table_keys import TableKeys
from widgets.formatting import ASCII_MARKS, marks_for, state_content
from widgets.inbox_list import ASCII_ICONS, UNICODE_ICONS, InboxList, preview
from widgets.row_table import RowTable


class InboxScreen(TableKeys, Screen[None]):
    BINDINGS = keymap.bindings("inbox")
    KEY_CONTEXT = "inbox"

    DEFAULT_CSS = """
    InboxScreen #inbox-list {
        height: 1fr;
        background: $surface;
        border-top: solid $panel-lighten-2;
        border-title-color: $text-muted;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
    }
    InboxScreen #inbox-list:focus {
        border-top: solid $accent;
        border-title-color: $text;
        border-title-style: bold;
    }
    InboxScreen #inbox-empty {
        display: none;
        height: auto;
        padding: 1 2;
        background: $surface;
    }
    InboxScreen #inbox-preview {
        height: auto;
        max-height: 3;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        border-top: solid $panel-lighten-2;
        background: $surface;
    }
    InboxScreen #inbox-status {
        height: auto;
        padding: 0 1;
        background: $panel;
        color: $text;
    }
    """

    def __init__(self) -> None:
        super().__init__(name="inbox")
        self.latest: NotificationList | None = None  # the last list the forum or cache gave
        self.loaded = False  # whether any list has been shown
        # Marked read here: shown read whatever an older answer says, until the forum
        # refuses the mark (then it is taken back).
        self.read_here: set[int] = set()
        self._state = Content.styled("opening…", "$text-muted")
        self._notice = Content("")

    def compose(self) -> ComposeResult:
        # Textual draws on stderr; ASCII symbols when its encoding cannot carry ●.
        ascii_only = marks_for(getattr(sys.__stderr__, "encoding", None)) is ASCII_MARKS
        yield InboxList(id="inbox-list", icons=ASCII_ICONS if ascii_only else UNICODE_ICONS)
        yield Static(id="inbox-empty")
        yield Static(id="inbox-preview")
        yield Static(id="inbox-status")
        yield Footer()

    @property
    def table(self) -> InboxList:
        return self.query_one(InboxList)

    def on_mount(self) -> None:
        self._show_title()
        self._show_status()
        self.table.focus()
        self.load()

    def repo(self) -> Repository | None:
        return repository_of(self.app)

    # -- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            return self.table.highlighted is not None
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_open(self) -> None:
        """The thread at the post the highlighted notification is about; it is read now."""
        notification = self.table.highlighted
        if notification is None:
            return
        if notification.topic_id is None:
            self._say("this notification is about no post: nothing to open")
            return
        if not notification.read:
            self.mark([notification.id])
        self._open_thread(notification.topic_id, notification.post_number)

    def action_mark_read(self) -> None:
        notification = self.table.highlighted
        if notification is None:
            return
        if notification.read:
            self._say("already read")
            return
        self.mark([notification.id])

    def action_mark_all_read(self) -> None:
        if not self.table.unread_count:
            self._say("nothing unread")
            return
        self.mark(None)

    def action_refresh(self) -> None:
        self.load()

    def keyed_table(self) -> RowTable[Any] | None:
        return self.table

    # -- events -------------------------------------------------------------------------------

    @on(RowTable.RowSelected, "#inbox-list")
    def _clicked(self, event: RowTable.RowSelected) -> None:
        self.action_open()

    @on(RowTable.RowHighlighted, "#inbox-list")
    def _highlighted(self, event: RowTable.RowHighlighted) -> None:
        self._show_preview()

    def on_inbox_changed(self, message: InboxChanged) -> None:
        """The app read the notifications afresh (a new reply came, say): show them."""
        self._paint(message.notifications)
        self._set_state(state_content(freshness=Freshness.FRESH))

    # -- loading ------------------------------------------------------------------------------

    @work(exclusive=True, group="inbox")
    async def load(self) -> None:
        """The cached list first, then the forum's; the cursor stays on its notification."""
        repo = self.repo()
        while repo is None:  # opened before the forum was
            self._set_state(Content.styled("waiting for the forum…", "$text-muted"))
            await asyncio.sleep(0.05)
            repo = self.repo()
        self._set_state(state_content(loading=True))
        try:
            async for answer in repo.notifications():
                if answer.value is not None:
                    self._paint(answer.value)
                self._answered(answer)
        except Exception as exc:  # a bug must not take the whole TUI down; say what broke
            self.log.error("loading the inbox failed", exc)
            self._set_state(
                Content.styled(f"error: {type(exc).__name__}: {clean_line(str(exc))}", "$error")
            )

    def _answered(self, answer: Answer[NotificationList]) -> None:
        error = answer.error
        if error is None:
            self._set_state(state_content(freshness=answer.freshness))
        elif answer.value is not None and answer.freshness is Freshness.OFFLINE:
            self._set_state(state_content(freshness=Freshness.OFFLINE))
        elif isinstance(error, Offline):
            kept = "the list as last shown" if self.loaded else "nothing cached to show"
            self._set_state(
                Content.styled(f"offline: the forum cannot be reached; {kept}", "$warning")
            )
        else:
            self._set_state(Content.styled(f"error: {error.message}", "$error"))

    def _paint(self, notifications: NotificationList) -> None:
        self.latest = notifications
        first = not self.loaded
        self.loaded = True
        self.table.show(self._as_read_here(notifications.notifications), new_list=first)
        self._show_list()

    def _as_read_here(self, notifications: Iterable[Notification]) -> list[Notification]:
        return [
            replace(n, read=True) if n.id in self.read_here and not n.read else n
            for n in notifications
        ]

    # -- marking read -------------------------------------------------------------------------

    @work(group="inbox-mark")
    async def mark(self, ids: list[int] | None) -> None:
        """Mark `ids` read (None: every notification), on the screen at once and then on
        the forum; taken back, with the reason, if the forum does not take it."""
        repo = self.repo()
        if repo is None:
            self._say("the forum is not open yet: nothing marked")
            return
        targets = {n.id for n in self.table.notifications if not n.read}
        if ids is not None:
            targets &= set(ids)
        added = targets - self.read_here
        self.read_here |= added
        self._repaint()
        try:
            await repo.backend.mark_notifications_read(ids)
        except Exception as exc:
            self.read_here -= added
            self._repaint()
            if isinstance(exc, Offline):
                self._say("offline: not marked read; try again once the forum is back")
            elif isinstance(exc, ForumError):
                self._say(f"not marked read: {exc.message}")
            else:  # a bug must not take the whole TUI down; say what broke
                self.log.error("marking notifications read failed", exc)
                self._say(f"not marked read: {type(exc).__name__}: {clean_line(str(exc))}")
            return
        self._say("all marked read" if ids is None else "marked read")
        await self._remember(repo)

    async def _remember(self, repo: Repository) -> None:
        """What the forum now holds, in the cache (so the next look starts from it) and in
        the app's unread count."""
        shown = self.table.notifications
        unread = sum(not n.read for n in shown)
        if hasattr(self.app, "unread_notifications"):
            self.app.unread_notifications = unread
        latest = self.latest
        if latest is None:
            return
        kept = NotificationList(
            notifications=tuple(self._as_read_here(latest.notifications)),
            unread_count=unread,
            next_cursor=latest.next_cursor,
        )
        await asyncio.to_thread(repo.cache.put_notifications, kept)

    def _repaint(self) -> None:
        if self.latest is not None:
            self.table.show(self._as_read_here(self.latest.notifications))
        self._show_list()

    # -- helpers ------------------------------------------------------------------------------

    def _open_thread(self, topic_id: int, post_number: int | None) -> None:
        open_thread = getattr(self.app, "open_thread", None)
        if callable(open_thread):
            self.run_worker(open_thread(topic_id, post_number))
            return
        from tui.screens.thread import ThreadScreen

        self.app.push_screen(ThreadScreen(topic_id, post_number=post_number))

    # -- display ------------------------------------------------------------------------------

    def _show_title(self) -> None:
        unread = self.table.unread_count
        title = "Inbox · newest first"
        if self.loaded:
            title += f" · {unread} unread" if unread else " · all read"
        self.table.border_title = Content(title)

    def _show_list(self) -> None:
        """The rows, or where there are none, why."""
        empty = self.query_one("#inbox-empty", Static)
        nothing = self.loaded and not self.table.notifications
        if nothing:
            empty.update(
                Content(
                    "Nothing yet. Replies, mentions, quotes, reactions and accepted answers "
                    "to your posts will be listed here."
                )
            )
        empty.display = nothing
        self._show_title()
        self._show_preview()
        self._show_status()

    def _show_preview(self) -> None:
        self.query_one("#inbox-preview", Static).update(
            preview(self.table.highlighted, datetime.now(UTC))
        )

    def _say(self, message: str) -> None:
        self._notice = Content(message)
        self._show_status()

    def _set_state(self, state: Content) -> None:
        self._state = state
        self._show_status()

    def _show_status(self) -> None:
        parts: list[Content | str | tuple[str, str]] = [
            (str(getattr(self.app, "source", "")), "bold"),
            " · inbox",
        ]
        if self.loaded:
            count = len(self.table.notifications)
            parts.append(f" · {count} notification{'' if count == 1 else 's'}")
        parts += [" · ", self._state]
        if self._notice.plain:
            parts += ["\n", self._notice]
        self.query_one("#inbox-status", Static).update(Content.assemble(*parts))
