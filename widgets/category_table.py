"""The list of categories, and a small panel describing the highlighted one.

Display only: the screen hands in already-sanitised `Category` models, and every cell
is a rich `Text` (never a markup string), so a name like "[b]x[/b]" shows as typed.
"""

from __future__ import annotations

from collections.abc import Hashable

from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from tui.forum.models import Category
from widgets.row_table import Column, RowTable

COUNT_WIDTH = 4  # three digits and the gap before them (the table has no cell padding)
MIN_NAME_WIDTH = 8


class CategoryTable(RowTable[Category]):
    """Categories, one row each: name, topic count and topics with unread posts (the
    name bold when something in it is unread)."""

    def __init__(self, *, id: str | None = None) -> None:
        # No padding between cells: at 80 columns every cell counts for the names. The
        # count columns are one wider than their numbers instead (see the stylesheet).
        super().__init__(id=id, cell_padding=0)

    @property
    def categories(self) -> list[Category]:
        return self.items

    def show(self, categories: list[Category]) -> None:
        self.show_items(categories)

    def item_key(self, item: Category) -> Hashable:
        return item.id

    def columns_for(self, width: int) -> list[Column]:
        padding = 2 * self.cell_padding
        name_width = max(width - 2 * COUNT_WIDTH - 3 * padding, MIN_NAME_WIDTH)
        return [
            Column("name", Text("Category"), name_width),
            Column("count", Text("#", justify="right"), COUNT_WIDTH),
            Column("unread", Text("New", justify="right"), COUNT_WIDTH),
        ]

    def row_cells(self, item: Category) -> list[Text]:
        unread = item.unread_topics
        return [
            Text(item.name, style="bold" if unread else "", no_wrap=True, overflow="ellipsis"),
            Text(str(item.topic_count), justify="right", no_wrap=True),
            Text(str(unread) if unread else "", justify="right", no_wrap=True, style="bold"),
        ]


class CategoryInfo(Static):
    """The highlighted category's description."""

    def show(self, category: Category | None) -> None:
        if category is None:
            self.update(Content(""))
            return
        description = category.description.strip() or "No description."
        self.update(Content.assemble((category.name, "bold"), "\n", description))
