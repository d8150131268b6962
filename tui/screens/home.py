"""The home screen: categories on the left, topics on the right, a status line below.

All forum I/O happens in workers (group "load", exclusive: a newer request cancels an
older one), so the screen never blocks; failures land in the status line as text.
"""

from __future__ import annotations

from datetime import UTC, datetime

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui import keymap
from tui.forum.forum_client import ForumClient, ForumError
from tui.forum.models import Category
from tui.forum.sanitize import clean_line
from widgets.category_table import CategoryInfo, CategoryTable
from widgets.formatting import UNICODE_MARKS, Marks
from widgets.topic_table import TopicTable


class HomeScreen(Screen[None]):
    BINDINGS = keymap.bindings("home")

    def __init__(self, source: str, *, marks: Marks = UNICODE_MARKS) -> None:
        super().__init__(name="home")
        self.source = source  # how the status line names the forum: "embedded forum", ...
        self.marks = marks
        self.client: ForumClient | None = None
        self.username = ""
        self.category: Category | None = None  # None: latest topics of every category
        self._state = Content.styled("opening…", "$text-muted")
        self._categories_loaded = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield CategoryTable(id="categories")
                yield CategoryInfo(id="category-info")
            yield TopicTable(id="topics", marks=self.marks)
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(CategoryTable).border_title = "Categories"
        self.query_one(TopicTable).border_title = "Latest"
        self.query_one(CategoryTable).focus()
        self._show_status()
        if self.client is not None:
            self.load(with_categories=True)

    # -- called by the app ------------------------------------------------------------------

    def attach(self, client: ForumClient) -> None:
        """Start showing the forum `client` talks to."""
        self.client = client
        if self.is_mounted:
            self.refresh_bindings()
            self.load(with_categories=True)

    def failed(self, message: str) -> None:
        """The forum could not be opened at all."""
        self._set_state(error=message)

    # -- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            # Only the category list opens something yet; elsewhere enter keeps its meaning.
            return isinstance(self.focused, CategoryTable) and self.client is not None
        if action == "show_all":
            return self.category is not None
        if action == "refresh":
            return self.client is not None
        return True

    def action_refresh(self) -> None:
        self.load(with_categories=True)

    def action_open(self) -> None:
        category = self.query_one(CategoryTable).highlighted
        if category is not None:
            self._open(category)

    def action_show_all(self) -> None:
        self._open(None)

    @on(DataTable.RowSelected, "#categories")
    def _category_clicked(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    @on(DataTable.RowHighlighted, "#categories")
    def _category_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.query_one(CategoryInfo).show(self.query_one(CategoryTable).highlighted)

    def _open(self, category: Category | None) -> None:
        self.category = category
        topics = self.query_one(TopicTable)
        topics.border_title = Content(category.name) if category else "Latest"
        (self.query_one(CategoryTable) if category is None else topics).focus()
        self.refresh_bindings()
        self.load(with_categories=False)

    # -- loading ------------------------------------------------------------------------------

    @work(exclusive=True, group="load")
    async def load(self, *, with_categories: bool) -> None:
        """Fetch what the screen shows and hand it to the widgets."""
        client = self.client
        if client is None:
            return
        self._set_state(loading=True)
        category = self.category
        try:
            if not self.username:
                self.username = await client.me()
            categories = self.query_one(CategoryTable)
            if with_categories or not self._categories_loaded:
                categories.show(await client.categories())
                self._categories_loaded = True
                self.query_one(CategoryInfo).show(categories.highlighted)
            topics, _next = await client.topics(
                "latest", category=category.id if category else None
            )
        except ForumError as exc:
            self._set_state(error=exc.message)
            return
        except Exception as exc:  # a bug must not take the whole TUI down; say what broke
            self.log.error("loading failed", exc)
            self._set_state(error=f"{type(exc).__name__}: {clean_line(str(exc))}")
            return
        names = {c.id: c.name for c in categories.categories}
        self.query_one(TopicTable).show(
            topics, names, show_category=category is None, now=datetime.now(UTC)
        )
        self._set_state()

    # -- status line --------------------------------------------------------------------------

    def _set_state(self, *, loading: bool = False, error: str = "") -> None:
        if error:
            self._state = Content.styled(f"error: {error}", "$error")
        elif loading:
            self._state = Content.styled("loading…", "$text-muted")
        else:
            self._state = Content.styled("fresh", "$success")
        self._show_status()

    def _show_status(self) -> None:
        parts: list[Content | str | tuple[str, str]] = [(self.source, "bold")]
        if self.username:
            parts += [" · you are ", (self.username, "bold")]
        if self._categories_loaded:
            count = len(self.query_one(CategoryTable).categories)
            parts.append(f" · {count} categor{'y' if count == 1 else 'ies'}")
        parts += [" · ", self._state]
        self.query_one("#status", Static).update(Content.assemble(*parts))
