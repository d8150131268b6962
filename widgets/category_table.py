"""The list of categories, and a small panel describing the highlighted one.

Display only: the screen hands in already-sanitised `Category` models, and every cell
is a rich `Text` (never a markup string), so a name like "[b]x[/b]" shows as typed.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.events import Resize
from textual.widgets import DataTable, Static

from tui.forum.models import Category

COUNT_WIDTH = 3


class CategoryTable(DataTable[Text]):
    """Categories, one row each: name and topic count (bold when something is unread)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row")
        self.categories: list[Category] = []
        self._width = 0

    def show(self, categories: list[Category]) -> None:
        keep = self.highlighted
        self.categories = list(categories)
        self._render_rows(keep)

    @property
    def highlighted(self) -> Category | None:
        if not self.categories or not 0 <= self.cursor_row < len(self.categories):
            return None
        return self.categories[self.cursor_row]

    def on_resize(self, event: Resize) -> None:
        if self.scrollable_content_region.width != self._width:
            self._render_rows(self.highlighted)

    def _render_rows(self, keep: Category | None) -> None:
        """Rebuild the rows for the current width, keeping the cursor on `keep` if listed."""
        self._width = self.scrollable_content_region.width
        self.clear(columns=True)
        padding = 2 * self.cell_padding
        name_width = max(self._width - COUNT_WIDTH - 2 * padding, 8)
        self.add_column(Text("Category"), width=name_width, key="name")
        self.add_column(Text("#", justify="right"), width=COUNT_WIDTH, key="count")
        for category in self.categories:
            style = "bold" if category.unread_topics else ""
            self.add_row(
                Text(category.name, style=style, no_wrap=True, overflow="ellipsis"),
                Text(str(category.topic_count), justify="right", no_wrap=True),
                key=str(category.id),
            )
        if keep is not None:
            for index, category in enumerate(self.categories):
                if category.id == keep.id:
                    self.move_cursor(row=index, animate=False)


class CategoryInfo(Static):
    """The highlighted category's description."""

    def show(self, category: Category | None) -> None:
        if category is None:
            self.update(Content(""))
            return
        description = category.description.strip() or "No description."
        self.update(Content.assemble((category.name, "bold"), "\n", description))
