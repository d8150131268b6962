"""What the study-group, event, people and message screens share: finding the forum's
community features, saying plainly when it has none, and the status line.

The community answers are not cached: each screen shows the forum's answer, keeps what it
showed when a refresh fails, and says why in its status line (offline, refused, or not
something this forum does).
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from tui.forum.backend import ForumBackend, ForumError, Offline
from tui.forum.community import Community, NotSupported, community_of
from tui.forum.sanitize import clean_line
from tui.table_keys import TableKeys
from widgets.formatting import state_content
from widgets.row_table import RowTable

NO_COMMUNITY = "this forum has no study groups, events, people directory or private messages"

STATUS_CSS = """
    height: auto;
    padding: 0 1;
    background: $panel;
    color: $text;
"""
LIST_CSS = """
    height: 1fr;
    background: $surface;
    border-top: solid $panel-lighten-2;
    border-title-color: $text-muted;
    scrollbar-gutter: stable;
    scrollbar-size-vertical: 1;
    overflow-x: hidden;
"""
EMPTY_CSS = """
    display: none;
    height: auto;
    padding: 1 2;
    background: $surface;
"""


def why(exc: BaseException, doing: str) -> str:
    """A failure in a sentence for the status line: "offline: not joined", and so on."""
    if isinstance(exc, Offline):
        return f"offline: the forum cannot be reached; {doing}"
    if isinstance(exc, NotSupported):
        return exc.message
    if isinstance(exc, ForumError):
        return f"{doing}: {exc.message}"
    return f"{doing}: {type(exc).__name__}: {clean_line(str(exc))}"


class CommunityScreen(TableKeys, Screen[None]):
    """A screen over one community feature. Subclasses name it in `FEATURE` (one of
    `tui.forum.community.FEATURES`) and `WHAT` (its words in the status line)."""

    FEATURE: ClassVar[str] = ""
    WHAT: ClassVar[str] = ""

    def __init__(self, name: str) -> None:
        super().__init__(name=name)
        self.unsupported = ""  # why this forum cannot do it, when it cannot
        self._state = Content.styled("opening…", "$text-muted")
        self._notice = Content("")

    # -- the forum ----------------------------------------------------------------------------

    async def backend(self) -> ForumBackend:
        """The forum, once the app has opened it."""
        backend = getattr(self.app, "backend", None)
        while backend is None:
            self._set_state(Content.styled("waiting for the forum…", "$text-muted"))
            await asyncio.sleep(0.05)
            backend = getattr(self.app, "backend", None)
        assert isinstance(backend, ForumBackend)
        return backend

    async def community(self, feature: str | None = None) -> Community | None:
        """The forum's community features; None (and the screen says why) when it lacks
        them, or `feature` (default: this screen's)."""
        community = community_of(await self.backend())
        if community is None:
            self.show_unsupported(NO_COMMUNITY)
            return None
        reason = community.unsupported(feature or self.FEATURE)
        if reason:
            self.show_unsupported(reason)
            return None
        return community

    def show_unsupported(self, reason: str) -> None:
        self.unsupported = clean_line(reason)
        self._set_state(Content.styled("unsupported", "$warning"))
        self.show_empty()

    def show_empty(self) -> None:
        """Subclasses show their list, or why there is none."""

    def failed(self, exc: BaseException, doing: str) -> None:
        """A load failed: the status line says why; what was shown stays."""
        if isinstance(exc, NotSupported):
            self.show_unsupported(exc.message)
            return
        if not isinstance(exc, ForumError):  # a bug must not take the whole TUI down
            self.log.error(f"{doing} failed", exc)
        style = "$warning" if isinstance(exc, Offline) else "$error"
        self._set_state(Content.styled(why(exc, doing), style))

    def loaded(self) -> None:
        self._set_state(state_content())

    # -- j / k / g g / G (tui/table_keys.py) move the focused list ------------------------------

    def keyed_table(self) -> RowTable[Any] | None:
        focused = self.focused
        return focused if isinstance(focused, RowTable) else None

    def action_back(self) -> None:
        self.dismiss(None)

    def open_thread(self, topic_id: int, post_number: int | None = None) -> None:
        """The thread (a conversation too) over this screen, at `post_number`."""
        open_thread = getattr(self.app, "open_thread", None)
        if callable(open_thread):  # on the app: this screen may be closing
            self.app.run_worker(open_thread(topic_id, post_number))
            return
        from tui.screens.thread import ThreadScreen

        self.app.push_screen(ThreadScreen(topic_id, post_number=post_number))

    # -- the status line ------------------------------------------------------------------------

    def say(self, message: str, detail: str = "") -> None:
        """A note for the reader; `detail` (a name from the forum) is text, never markup."""
        self._notice = Content.assemble(message, (detail, "bold") if detail else "")
        self._show_status()

    @property
    def notice(self) -> str:
        return self._notice.plain

    def _set_state(self, state: Content) -> None:
        self._state = state
        self._show_status()

    def status_words(self) -> str:
        """What the screen shows, counted (" · 3 groups")."""
        return ""

    def _show_status(self) -> None:
        if not self.is_mounted:
            return
        parts: list[Content | str | tuple[str, str]] = [
            (str(getattr(self.app, "source", "")), "bold"),
            f" · {self.WHAT}",
            "" if self.unsupported else self.status_words(),
            " · ",
            self._state,
        ]
        if self._notice.plain:
            parts += ["\n", self._notice]
        for status in self.query(".community-status").results(Static):
            status.update(Content.assemble(*parts))
