"""The home screen: categories on the left, topics on the right, a status line below.

All forum I/O happens in workers (group "load", exclusive: a newer request cancels an
older one), so the screen never blocks. Reads go through the repository: what was
cached paints at once (stale), then the forum's answer replaces it (fresh), or the
status line says the forum is unreachable (offline). Failures land there as text.
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
from tui.forum.models import Category, Freshness
from tui.forum.repository import Repository
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
        self.repo: Repository | None = None
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
        if self.repo is not None:
            self.load(with_categories=True)

    # -- called by the app ------------------------------------------------------------------

    def attach(self, repo: Repository) -> None:
        """Start showing the forum `repo` reads."""
        self.repo = repo
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
            return isinstance(self.focused, CategoryTable) and self.repo is not None
        if action == "show_all":
            return self.category is not None
        if action == "refresh":
            return self.repo is not None
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
        """Show what the screen needs: the cached state first, then the forum's answer."""
        repo = self.repo
        if repo is None:
            return
        self._set_state(loading=True)
        category = self.category
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
            names = {c.id: c.name for c in categories.categories}
            async for listed in repo.topics("latest", category=category):
                if listed.value is not None:
                    self.query_one(TopicTable).show(
                        list(listed.value.topics),
                        names,
                        show_category=category is None,
                        now=datetime.now(UTC),
                    )
                offline = listed.freshness is Freshness.OFFLINE and listed.value is not None
                if listed.error is not None and not offline:
                    self._set_state(error=listed.error.message)
                    return
                self._set_state(freshness=listed.freshness)
        except Exception as exc:  # a bug must not take the whole TUI down; say what broke
            self.log.error("loading failed", exc)
            self._set_state(error=f"{type(exc).__name__}: {clean_line(str(exc))}")

    # -- status line --------------------------------------------------------------------------

    def _set_state(
        self, *, loading: bool = False, error: str = "", freshness: Freshness | None = None
    ) -> None:
        if error:
            self._state = Content.styled(f"error: {error}", "$error")
        elif freshness is Freshness.OFFLINE:
            self._state = Content.styled("offline: showing what was cached", "$warning")
        elif freshness is Freshness.STALE:
            self._state = Content.styled("cached · refreshing…", "$text-muted")
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
