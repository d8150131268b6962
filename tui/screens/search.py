"""Search: the forum's search with its filter syntax, or the cached posts when the forum
cannot be reached; enter on a result opens its thread at the matching post.

The query runs in an exclusive worker (a newer query cancels an older one); the status
line says whether the results are the forum's or only what the cache holds.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.events import Key
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import WorkerState

from tui import keymap
from tui.forum.models import Freshness, SearchResult
from tui.forum.repository import Repository, repository_of
from tui.forum.sanitize import clean_line
from tui.keys import KeysMixin
from tui.screens.thread import ThreadScreen
from widgets.formatting import marks_for
from widgets.row_table import RowTable
from widgets.search_results import SearchResults, preview

MORE_AHEAD = 3  # rows before the end at which the next page of results is fetched
HINT = (
    "words, and filters: @user #category tag:name in:title status:solved|unsolved "
    "before:YYYY-MM-DD after:YYYY-MM-DD · enter searches, tab/↓ to the results"
)


class SearchScreen(KeysMixin, Screen[None]):
    BINDINGS = keymap.bindings("search")
    KEY_CONTEXT = "search"  # the app's chords (g l, g c) work from the results

    def __init__(self, query: str = "") -> None:
        super().__init__(name="search")
        self.query_text = query
        self.searched = ""  # the query the results answer
        self.next_offset: int | None = None  # where the next page of results starts
        self._state = Content.styled("type a query, then enter", "$text-muted")

    def compose(self) -> ComposeResult:
        yield Input(
            self.query_text,
            placeholder="search the forum…",
            id="search-input",
            select_on_focus=False,
        )
        yield Static(Content.styled(HINT, "$text-muted"), id="search-hint")
        # Textual draws on stderr; ASCII marks when its encoding cannot carry ✓.
        marks = marks_for(getattr(sys.__stderr__, "encoding", None))
        yield SearchResults(id="search-results", marks=marks)
        yield Static(id="search-preview")
        yield Static(id="search-status")
        yield Footer()

    @property
    def results(self) -> SearchResults:
        return self.query_one(SearchResults)

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._show_status()
        if self.query_text.strip():
            self.search(self.query_text)

    def repo(self) -> Repository | None:
        return repository_of(self.app)

    # -- actions ------------------------------------------------------------------------------

    def action_back(self) -> None:
        """From the results back to the query; from the query back to where search began."""
        if self.focused is self.results:
            self.query_one(Input).focus()
        else:
            self.dismiss(None)

    def action_open(self) -> None:
        result = self.results.highlighted
        if result is not None and self.focused is self.results:
            self.app.push_screen(ThreadScreen(result.topic_id, post_number=result.post_number))

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self.search(event.value)

    @on(RowTable.RowSelected, "#search-results")
    def _chosen(self, event: RowTable.RowSelected) -> None:
        self.action_open()

    @on(RowTable.RowHighlighted, "#search-results")
    def _highlighted(self, event: RowTable.RowHighlighted) -> None:
        self._show_preview(self.results.highlighted)
        near_end = event.cursor_row >= len(self.results.results) - MORE_AHEAD
        if near_end and self.next_offset is not None and not self._searching():
            self.search(self.searched, more=True)

    def _searching(self) -> bool:
        return any(
            w.group == "search" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for w in self.workers
        )

    def on_key(self, event: Key) -> None:
        """Down from the query moves into the results (tab does too)."""
        if event.key == "down" and self.focused is self.query_one(Input) and self.results.results:
            self.results.focus()
            event.stop()

    # -- searching ------------------------------------------------------------------------------

    @work(exclusive=True, group="search")
    async def search(self, query: str, *, more: bool = False) -> None:
        """Run `query`; with `more`, fetch its next page and add it to the results."""
        query = query.strip()
        if not query or (more and self.next_offset is None):
            return
        repo = self.repo()
        while repo is None:  # searching before the forum was opened
            self._set_state(Content.styled("waiting for the forum…", "$text-muted"))
            await asyncio.sleep(0.05)
            repo = self.repo()
        offset = (self.next_offset or 0) if more else 0
        self._set_state(Content.styled("searching…", "$text-muted"))
        try:
            async for answer in repo.search(query, offset=offset):
                page = answer.value
                if page is not None:
                    if more:
                        self.results.add(page.results)
                    else:
                        self.searched = query
                        self.results.show(page.results, now=datetime.now(UTC))
                        self._show_preview(self.results.highlighted)
                    self.next_offset = page.next_offset if page.results else None
                count = len(self.results.results)
                found = f"{count} result{'' if count == 1 else 's'}"
                if self.next_offset is not None:
                    found += " (more below)"
                if answer.freshness is Freshness.OFFLINE and page is not None:
                    state = Content.styled(f"{found} · offline: cached posts only", "$warning")
                elif answer.error is not None:
                    state = Content.styled(f"error: {answer.error.message}", "$error")
                else:
                    state = Content.assemble(found, " · ", ("fresh", "$success"))
                self._set_state(state)
        except Exception as exc:  # a bug must not take the whole TUI down; say what broke
            self.log.error("search failed", exc)
            self._set_state(
                Content.styled(f"error: {type(exc).__name__}: {clean_line(str(exc))}", "$error")
            )
            return
        if self.results.results and self.focused is self.query_one(Input):
            self.results.focus()

    # -- status ------------------------------------------------------------------------------

    def _show_preview(self, result: SearchResult | None) -> None:
        self.query_one("#search-preview", Static).update(preview(result, self.results.marks))

    def _set_state(self, state: Content) -> None:
        self._state = state
        self._show_status()

    def _show_status(self) -> None:
        parts: list[Content | str | tuple[str, str]] = [
            (str(getattr(self.app, "source", "")), "bold"),
            " · search",
        ]
        if self.searched:
            parts += [" ", ("“" + self.searched + "”", "italic")]
        parts += [" · ", self._state]
        self.query_one("#search-status", Static).update(Content.assemble(*parts))
