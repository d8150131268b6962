"""A table of models, one row each, that updates in place so the reader is never moved.

Refreshes, pages appended while scrolling and a changed list all go through
`RowTable.show_items`: rows are keyed by position, and only the cells whose text changed are
replaced (no clear, so the cursor and the scroll position stay where they were). When
the highlighted item moves to another row (a new topic arrived above it), the cursor
follows it and the view scrolls by the same amount, so the item stays on the same screen
line. Columns are rebuilt only when their layout changes (a resize).

Display only: subclasses turn models into rich `Text` cells, never markup strings.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, NamedTuple, TypeVar

from rich.text import Text
from textual.events import Resize
from textual.widgets import DataTable

ItemT = TypeVar("ItemT")


class Column(NamedTuple):
    key: str
    label: Text
    width: int


def same_text(a: Text, b: Text) -> bool:
    """Whether two cells look the same (rich's `==` ignores the base style and justify)."""
    return (
        a.plain == b.plain
        and a.style == b.style
        and a.spans == b.spans
        and a.justify == b.justify
        and a.overflow == b.overflow
    )


class RowTable(DataTable[Text], Generic[ItemT]):
    """Rows of `ItemT`; subclasses say what the columns are and what a row shows."""

    def __init__(self, *, id: str | None = None, cell_padding: int = 1) -> None:
        super().__init__(id=id, cursor_type="row", cell_padding=cell_padding)
        self.items: list[ItemT] = []
        self._cells: list[list[Text]] = []  # what each row shows now, to diff against
        self._columns: list[Column] = []
        self._width = -1
        self._unsized: tuple[ItemT | None, bool] | None = None  # shown before it had a size

    # -- for subclasses ---------------------------------------------------------------------

    def item_key(self, item: ItemT) -> Hashable:
        """What identifies an item across refreshes (its id)."""
        raise NotImplementedError

    def columns_for(self, width: int) -> list[Column]:
        """The columns for a table whose rows are `width` cells wide."""
        raise NotImplementedError

    def row_cells(self, item: ItemT) -> list[Text]:
        """One cell per column of `columns_for`, in order."""
        raise NotImplementedError

    # -- for the screen ---------------------------------------------------------------------

    @property
    def highlighted(self) -> ItemT | None:
        if not self.items or not 0 <= self.cursor_row < len(self.items):
            return None
        return self.items[self.cursor_row]

    def show_items(self, items: Iterable[ItemT], *, new_list: bool = False) -> None:
        """Display `items` (duplicates dropped, first kept), keeping the highlighted
        item under the cursor. If it is gone, the cursor keeps its row, or goes to the
        top when `new_list` (a different list, not a refresh of this one)."""
        keep = self.highlighted
        seen: set[Hashable] = set()
        self.items = []
        for item in items:
            key = self.item_key(item)
            if key not in seen:
                seen.add(key)
                self.items.append(item)
        if not self.scrollable_content_region.width:
            # Not laid out yet (a screen painting from the cache as it mounts): the rows
            # are built once, at the real width, when the table gets its size.
            self._unsized = (
                (keep, new_list or self._unsized[1])
                if self._unsized
                else (
                    keep,
                    new_list,
                )
            )
            return
        self._unsized = None
        self._sync(keep, new_list=new_list)

    def on_resize(self, event: Resize) -> None:
        if self._unsized is not None and self.scrollable_content_region.width:
            keep, new_list = self._unsized
            self._unsized = None
            self._sync(keep, new_list=new_list)
        elif self.scrollable_content_region.width != self._width:
            self._sync(self.highlighted, new_list=False)

    # -- internals ----------------------------------------------------------------------------

    def _sync(self, keep: ItemT | None, *, new_list: bool) -> None:
        row, scroll = self.cursor_row, round(self.scroll_y)
        self._width = self.scrollable_content_region.width
        columns = self.columns_for(self._width)
        rebuilt = columns != self._columns
        if rebuilt:
            self.clear(columns=True)  # resets the cursor and the scroll: restored below
            self._columns = columns
            self._cells = []
            for column in columns:
                self.add_column(column.label, width=column.width, key=column.key)
        rows = [self.row_cells(item) for item in self.items]
        for index, cells in enumerate(rows):
            if index >= len(self._cells):
                self.add_row(*cells, key=str(index))
                continue
            for column, old, new in zip(columns, self._cells[index], cells, strict=True):
                if not same_text(old, new):
                    self.update_cell(str(index), column.key, new)
        if len(rows) < len(self._cells):
            self.move_cursor(row=min(row, max(len(rows) - 1, 0)), scroll=False)
            for index in range(len(self._cells) - 1, len(rows) - 1, -1):
                self.remove_row(str(index))
        self._cells = rows

        found = self._index_of(keep)
        # Gone from the list: the same row, or the top of another list.
        fallback = 0 if new_list else min(row, max(len(rows) - 1, 0))
        target = fallback if found is None else found
        if target == row and not rebuilt:
            return
        on_screen = 0 if found is None and new_list else row - scroll  # the cursor's line
        self.move_cursor(row=target, scroll=False)
        # After the table has measured its new rows (DataTable does it when idle).
        self.call_after_refresh(self._scroll_back, max(target - on_screen, 0))

    def _index_of(self, item: ItemT | None) -> int | None:
        if item is None:
            return None
        key = self.item_key(item)
        for index, candidate in enumerate(self.items):
            if self.item_key(candidate) == key:
                return index
        return None

    def _scroll_back(self, y: int) -> None:
        self.scroll_to(y=y, animate=False, force=True, immediate=True)
