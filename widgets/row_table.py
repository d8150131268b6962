"""A list of models, one row each, drawn line by line, that updates in place so the
reader is never moved.

Every list in Cohort is one of these: topics, categories, the inbox, the library, search
results and the community lists. It is a `ScrollView` on Textual's Line API, like the
thread view: `render_line` draws one screen line from a cache of rendered rows, so only
the rows on screen are ever rendered, each once, and a row is a single `Text` laid out
in columns, not a grid of cells each rendered on its own. A list painted from the cache
as the app starts is in the very first frame: nothing waits for the widget to be
measured first (Textual's DataTable built every cell twice before the first frame, about
a quarter of the app's start).

Refreshes, pages appended while scrolling and a changed list all go through
`show_items`: rows are keyed by position and only rows whose cells changed are redrawn,
so a refresh that changed nothing writes nothing. When the highlighted item moves to
another row (a new topic arrived above it), the cursor follows it and the view scrolls
by the same amount, so the item stays on the same screen line. Moving the cursor redraws
two lines.

Display only: subclasses turn models into rich `Text` cells, never markup strings, so a
title like "[@click=app.quit]x[/]" shows as typed and clicking it only moves the cursor.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

ItemT = TypeVar("ItemT")

MIN_LOOKAHEAD = 5  # rows before the end that already count as "near the end"


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


def same_cells(a: list[Text], b: list[Text]) -> bool:
    return len(a) == len(b) and all(same_text(x, y) for x, y in zip(a, b, strict=True))


def fit_cell(cell: Text, width: int) -> Text:
    """`cell` cut (with an ellipsis unless it says otherwise) or padded to `width`
    cells, placed as its `justify` says."""
    fitted = cell.copy()
    if "\n" in fitted.plain:  # one line per row: a line break would split the table
        fitted = Text(" ").join(fitted.split("\n", allow_blank=True))
    fitted.truncate(width, overflow=cell.overflow or "ellipsis")
    gap = width - fitted.cell_len
    if gap > 0:
        if cell.justify == "right":
            fitted.pad_left(gap)
        elif cell.justify == "center":
            fitted.pad_left(gap // 2)
            fitted.pad_right(gap - gap // 2)
        else:
            fitted.pad_right(gap)
    return fitted


class RowMessage(Message):
    """Something happened on a table's row `cursor_row`."""

    def __init__(self, table: RowTable[Any], cursor_row: int) -> None:
        super().__init__()
        self.table = table
        self.cursor_row = cursor_row

    @property
    def control(self) -> RowTable[Any]:
        return self.table


class RowTable(ScrollView, Generic[ItemT], can_focus=True, inherit_bindings=False):
    """Rows of `ItemT` under a header; subclasses say what the columns are and what a row
    shows. A `PAGED` table posts `NearEnd` when the reader comes within a screenful of
    the last row, so the screen can fetch the next page."""

    PAGED: ClassVar[bool] = False
    KEYS_BY_BINDING_ONLY: ClassVar[bool] = True  # see tui/keys.py: keys run in typing order

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First", show=False),
        Binding("end,ctrl+end", "last", "Last", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"row-table--header", "row-table--cursor"}

    DEFAULT_CSS = """
    RowTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .row-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .row-table--header { background-tint: $foreground 5%; }
        }
        & > .row-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .row-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .row-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class RowHighlighted(RowMessage):
        """The cursor is on another row, or the row under it shows another item."""

    class RowSelected(RowMessage):
        """Enter on a row, or a click on the highlighted one."""

    class NearEnd(Message):
        """The reader is within a screenful of a paged list's last row."""

        def __init__(self, table: RowTable[Any]) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> RowTable[Any]:
            return self.table

    def __init__(self, *, id: str | None = None, cell_padding: int = 1) -> None:
        super().__init__(id=id)
        self.cell_padding = cell_padding
        self.items: list[ItemT] = []
        self._cells: list[list[Text]] = []  # what each row shows, to diff against
        self._columns: list[Column] = []
        self._width = -1  # the width the columns were laid out for
        self._cursor = 0
        self._announced: tuple[int, ItemT | None] | None = None
        self._strips: dict[tuple[int, bool], Strip] = {}
        self._header: Strip | None = None
        self._base = Style()  # the widget's own style, as of the latest drawing

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
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def row_count(self) -> int:
        return len(self.items)

    @property
    def highlighted(self) -> ItemT | None:
        if not 0 <= self._cursor < len(self.items):
            return None
        return self.items[self._cursor]

    def get_row_at(self, row: int) -> list[Text]:
        """The cells row `row` shows."""
        return self._cells[row]

    def show_items(self, items: Iterable[ItemT], *, new_list: bool = False) -> None:
        """Display `items` (duplicates dropped, first kept), keeping the highlighted
        item under the cursor. If it is gone, the cursor keeps its row, or goes to the
        top when `new_list` (a different list, not a refresh of this one)."""
        keep = self.highlighted
        row, scroll = self._cursor, round(self.scroll_y)
        seen: set[Hashable] = set()
        self.items = []
        for item in items:
            key = self.item_key(item)
            if key not in seen:
                seen.add(key)
                self.items.append(item)
        cells = [self.row_cells(item) for item in self.items]
        changed = [
            index
            for index, row_cells in enumerate(cells)
            if index >= len(self._cells) or not same_cells(self._cells[index], row_cells)
        ]
        changed += range(len(cells), len(self._cells))  # rows that are gone
        self._cells = cells
        for index in changed:
            self._strips.pop((index, False), None)
            self._strips.pop((index, True), None)
        if self._width >= 0 and self.columns_for(self._width) != self._columns:
            self._width = -1  # relaid out when next drawn (the columns changed)
        self._update_virtual_size()

        found = self._index_of(keep)
        fallback = 0 if new_list else min(row, max(len(self.items) - 1, 0))
        target = fallback if found is None else found
        on_screen = 0 if found is None and new_list else row - scroll  # the cursor's line
        self._cursor = target
        new_scroll = max(target - on_screen, 0)
        if self._width < 0:
            self.refresh()
        else:
            for index in {*changed, *((row, target) if row != target else ())}:
                self._refresh_row(index)
        if new_scroll != scroll:
            self.scroll_to(y=new_scroll, animate=False, force=True)
        self._announce()

    def move_cursor(
        self,
        *,
        row: int | None = None,
        column: int | None = None,
        animate: bool = False,
        scroll: bool = True,
    ) -> None:
        """Put the cursor on `row` (kept within the list), scrolling it into view."""
        del column, animate  # one cursor per row, and moves are never animated
        if row is None:
            return
        old = self._cursor
        self._cursor = max(0, min(row, len(self.items) - 1))
        if self._cursor != old:
            self._refresh_row(old)
            self._refresh_row(self._cursor)
        if scroll:
            self._scroll_to_cursor()
        self._announce()
        if self._cursor != old:
            self._near_end(self._cursor)

    def check_near_end(self) -> None:
        """Post `NearEnd` if the cursor is near the end (also true of a list shorter than
        the screen: the next page would fill it)."""
        self._near_end(self._cursor)

    # -- actions and events ---------------------------------------------------------------

    def action_select_cursor(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.RowSelected(self, self._cursor))

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self._cursor + 1)

    def action_page_up(self) -> None:
        self._page(-1)

    def action_page_down(self) -> None:
        self._page(1)

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self.items) - 1)

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor to the row; a click on the highlighted row selects it."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = round(self.scroll_y) + offset.y - 1
        if not 0 <= row < len(self.items):
            return
        event.stop()
        if row == self._cursor:
            self.action_select_cursor()
        else:
            self.move_cursor(row=row, scroll=False)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value > old_value:  # the bottom line of the view stands for the cursor
            self._near_end(round(new_value) + self._body_height() - 1)

    def notify_style_update(self) -> None:
        """A theme or focus change: drop everything drawn with the old styles."""
        super().notify_style_update()
        self._strips.clear()
        self._header = None

    # -- drawing ------------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        width = self.scrollable_content_region.width
        if width != self._width:
            self._layout(width)
        self._base = self.rich_style  # worked out from every ancestor: once a pass
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = max(self._width, 0)
        if y == 0:
            if self._header is None:
                self._header = self._draw(
                    [column.label for column in self._columns],
                    self.get_component_rich_style("row-table--header"),
                )
            return self._header
        row = round(self.scroll_y) + y - 1
        if not 0 <= row < len(self._cells):
            return Strip.blank(width, self._base)
        cursor = row == self._cursor
        strip = self._strips.get((row, cursor))
        if strip is None:
            style = self._base
            if cursor:
                style += self.get_component_rich_style("row-table--cursor")
            strip = self._strips[(row, cursor)] = self._draw(self._cells[row], style)
        return strip

    def _draw(self, cells: list[Text], style: Style) -> Strip:
        """One line: each cell fitted to its column, with the padding around it."""
        pad = " " * self.cell_padding
        line = Text(no_wrap=True, end="")
        for column, cell in zip(self._columns, cells, strict=False):
            line.append(pad)
            line.append_text(fit_cell(cell, column.width))
            line.append(pad)
        strip = Strip(list(line.render(self.app.console)), line.cell_len)
        width = max(self._width, 0)
        return strip.apply_style(style).crop_extend(0, width, style)

    def _layout(self, width: int) -> None:
        self._width = width
        self._columns = self.columns_for(width) if width > 0 else []
        self._strips.clear()
        self._header = None
        self._update_virtual_size()

    def _update_virtual_size(self) -> None:
        width = sum(column.width + 2 * self.cell_padding for column in self._columns)
        size = Size(min(width, max(self._width, 0)), len(self.items) + 1)
        if self.virtual_size != size:
            self.virtual_size = size

    # -- internals ----------------------------------------------------------------------------

    def _body_height(self) -> int:
        """Rows on screen (the header takes a line)."""
        return max(self.scrollable_content_region.height - 1, 0)

    def _refresh_row(self, row: int) -> None:
        line = row - round(self.scroll_y) + 1
        if 1 <= line <= self._body_height():
            self.refresh(Region(0, line, self.scrollable_content_region.width, 1))

    def _scroll_to_cursor(self) -> None:
        height = self._body_height()
        if not height:
            return
        top = round(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, force=True)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False, force=True)

    def _page(self, direction: int) -> None:
        """A screenful up or down, the cursor keeping its line on screen."""
        height = max(self._body_height(), 1)
        line = self._cursor - round(self.scroll_y)
        target = max(0, min(self._cursor + direction * height, len(self.items) - 1))
        self.move_cursor(row=target, scroll=False)
        self.scroll_to(y=max(self._cursor - line, 0), animate=False, force=True)
        self._scroll_to_cursor()

    def _announce(self) -> None:
        now = (self._cursor, self.highlighted)
        if self._announced is None or now[0] != self._announced[0] or now[1] != self._announced[1]:
            self._announced = now
            if now[1] is not None:
                self.post_message(self.RowHighlighted(self, self._cursor))

    def _near_end(self, row: int) -> None:
        if not self.PAGED:
            return
        lookahead = max(MIN_LOOKAHEAD, self._body_height())
        if self.items and row >= len(self.items) - lookahead:
            self.post_message(self.NearEnd(self))

    def _index_of(self, item: ItemT | None) -> int | None:
        if item is None:
            return None
        key = self.item_key(item)
        for index, candidate in enumerate(self.items):
            if self.item_key(candidate) == key:
                return index
        return None
