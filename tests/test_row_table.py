"""RowTable, the Line-API list every screen uses: how a row is laid out in its columns,
what the keys and the mouse do, what is redrawn when the list changes, and that the
rows are in the very first frame. Pilot on a minimal app at 40x12."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.message import Message

from widgets.row_table import Column, RowTable, fit_cell

SIZE = (40, 12)  # a header and 11 rows on screen (no border)


@dataclass(frozen=True)
class Item:
    id: int
    name: str
    count: int = 0


class Items(RowTable[Item]):
    PAGED = True

    def item_key(self, item: Item) -> Hashable:
        return item.id

    def columns_for(self, width: int) -> list[Column]:
        padding = 2 * self.cell_padding
        return [
            Column("name", Text("Name"), width - 4 - 2 * padding),
            Column("count", Text("N", justify="right"), 4),
        ]

    def row_cells(self, item: Item) -> list[Text]:
        return [Text(item.name), Text(str(item.count), justify="right")]


def items(count: int, start: int = 0) -> list[Item]:
    return [Item(i, f"item {i}", i % 10) for i in range(start, start + count)]


class ListApp(App[None]):
    def __init__(self, shown: list[Item]) -> None:
        super().__init__()
        self.shown = shown
        self.heard: list[Message] = []

    def compose(self) -> ComposeResult:
        table = Items(id="items")
        table.show_items(self.shown)  # before it has a size, as the home screen does
        yield table

    def on_mount(self) -> None:
        self.table.focus()

    @property
    def table(self) -> Items:
        return self.query_one(Items)

    def on_row_table_row_highlighted(self, message: RowTable.RowHighlighted) -> None:
        self.heard.append(message)

    def on_row_table_row_selected(self, message: RowTable.RowSelected) -> None:
        self.heard.append(message)

    def on_row_table_near_end(self, message: RowTable.NearEnd) -> None:
        self.heard.append(message)


def screen_lines(app: ListApp) -> list[str]:
    return [strip.text.rstrip() for strip in app.screen._compositor.render_strips()]


def heard(app: ListApp, kind: type[Message]) -> list[Any]:
    return [m for m in app.heard if isinstance(m, kind)]


# -- one row, laid out ----------------------------------------------------------------------


def test_a_cell_is_cut_with_an_ellipsis_or_padded_as_it_is_justified() -> None:
    assert fit_cell(Text("a long title here"), 8).plain == "a long …"
    assert fit_cell(Text("7", justify="right"), 4).plain == "   7"
    assert fit_cell(Text("ab", justify="center"), 6).plain == "  ab  "
    assert fit_cell(Text("ab"), 4).plain == "ab  "
    assert fit_cell(Text("cut", overflow="crop"), 2).plain == "cu"


def test_wide_characters_are_cut_on_cell_boundaries() -> None:
    cell = fit_cell(Text("日本語のタイトル"), 7)
    assert cell.cell_len == 7
    assert cell.plain.startswith("日本語")


def test_a_line_break_in_a_cell_never_splits_the_row() -> None:
    cell = fit_cell(Text("two\nlines"), 12)
    assert "\n" not in cell.plain and cell.plain.startswith("two lines")


def test_a_cells_own_styles_are_kept() -> None:
    source = Text("bold name", style="dim")
    source.stylize("bold", 0, 4)
    cell = fit_cell(source, 6)
    assert cell.style == "dim"
    assert any(span.style == "bold" and span.start == 0 for span in cell.spans)


# -- drawn ----------------------------------------------------------------------------------


async def test_the_rows_are_in_the_first_frame_under_a_header() -> None:
    app = ListApp(items(30))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = screen_lines(app)
        assert "Name" in lines[0] and lines[0].endswith("N")
        assert "item 0" in lines[1] and lines[1].rstrip().endswith("0")
        assert "item 9" in lines[10] and lines[10].rstrip().endswith("9")
        assert app.table.highlighted == Item(0, "item 0", 0)
        assert [m.cursor_row for m in heard(app, RowTable.RowHighlighted)] == [0]


async def test_the_header_stays_when_the_rows_scroll() -> None:
    app = ListApp(items(30))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end")
        await pilot.pause()
        lines = screen_lines(app)
        assert "Name" in lines[0]
        assert "item 29" in lines[-1]
        assert app.table.cursor_row == 29


# -- keys and the mouse ---------------------------------------------------------------------


async def test_keys_move_the_cursor_and_enter_selects() -> None:
    app = ListApp(items(30))
    async with app.run_test(size=SIZE) as pilot:
        table = app.table
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        await pilot.press("up")
        assert table.cursor_row == 1
        await pilot.press("pagedown")
        assert table.cursor_row == 12  # a screenful (11 rows) further
        assert table.cursor_row - round(table.scroll_y) == 1  # on the same screen line
        await pilot.press("pageup")
        assert table.cursor_row == 1
        await pilot.press("end")
        assert table.cursor_row == 29
        await pilot.press("down")  # already on the last row
        assert table.cursor_row == 29
        await pilot.press("home")
        assert table.cursor_row == 0 and round(table.scroll_y) == 0
        await pilot.press("down", "enter")
        await pilot.pause()
        (selected,) = heard(app, RowTable.RowSelected)
        assert selected.cursor_row == 1 and selected.control is table


async def test_a_click_moves_the_cursor_and_a_second_click_selects() -> None:
    app = ListApp(items(30))
    async with app.run_test(size=SIZE) as pilot:
        table = app.table
        assert await pilot.click(Items, offset=(2, 4))  # line 4: the header, then rows 0-3
        assert table.cursor_row == 3
        assert not heard(app, RowTable.RowSelected)
        assert await pilot.click(Items, offset=(2, 4))
        await pilot.pause()
        assert [m.cursor_row for m in heard(app, RowTable.RowSelected)] == [3]
        assert await pilot.click(Items, offset=(2, 0))  # the header selects nothing
        assert table.cursor_row == 3


# -- changes --------------------------------------------------------------------------------


def spy_on_refreshes(table: RowTable[Any], monkeypatch: pytest.MonkeyPatch) -> list[Region]:
    regions: list[Region] = []
    real = table.refresh

    def refresh(*found: Region, **options: Any) -> Any:
        regions.extend(found or [table.size.region])
        return real(*found, **options)

    monkeypatch.setattr(table, "refresh", refresh)
    return regions


async def test_a_refresh_that_changes_nothing_redraws_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = ListApp(items(30))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.table
        before = len(heard(app, RowTable.RowHighlighted))
        regions = spy_on_refreshes(table, monkeypatch)
        table.show_items(items(30))
        assert regions == []
        assert len(heard(app, RowTable.RowHighlighted)) == before


async def test_a_changed_row_is_the_only_line_redrawn(monkeypatch: pytest.MonkeyPatch) -> None:
    app = ListApp(items(30))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.table
        regions = spy_on_refreshes(table, monkeypatch)
        changed = items(30)
        changed[4] = Item(4, "item 4 renamed", 4)
        table.show_items(changed)
        assert [(r.y, r.height) for r in regions] == [(5, 1)]  # row 4, under the header
        await pilot.pause()
        assert "item 4 renamed" in screen_lines(app)[5]


async def test_a_cursor_move_redraws_two_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    app = ListApp(items(30))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        regions = spy_on_refreshes(app.table, monkeypatch)
        await pilot.press("down")
        assert sorted((r.y, r.height) for r in regions) == [(1, 1), (2, 1)]


async def test_the_highlighted_item_keeps_its_screen_line_when_rows_arrive_above() -> None:
    app = ListApp(items(30, start=10))
    async with app.run_test(size=SIZE) as pilot:
        table = app.table
        await pilot.press("pagedown", "down", "down")
        chosen, line = table.highlighted, table.cursor_row - round(table.scroll_y)
        table.show_items([*items(5), *items(30, start=10)])  # five new items on top
        await pilot.pause()
        assert table.highlighted == chosen
        assert table.cursor_row - round(table.scroll_y) == line
        # A new list (not a refresh) starts at its top when the item is not in it.
        table.show_items(items(3, start=100), new_list=True)
        assert table.cursor_row == 0 and table.highlighted == Item(100, "item 100", 0)


async def test_a_list_that_shrinks_keeps_the_cursor_inside_it() -> None:
    app = ListApp(items(30))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end")
        app.table.show_items(items(5, start=50))
        await pilot.pause()
        assert app.table.cursor_row == 4
        assert "item 54" in "\n".join(screen_lines(app))
        app.table.show_items([])
        await pilot.pause()
        assert app.table.highlighted is None and app.table.row_count == 0
        await pilot.press("down", "enter")
        assert not heard(app, RowTable.RowSelected)


async def test_a_paged_list_asks_for_more_near_its_end() -> None:
    app = ListApp(items(40))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not heard(app, RowTable.NearEnd)  # 40 rows: more than a screenful ahead
        await pilot.press(*["down"] * 20)
        await pilot.pause()
        assert not heard(app, RowTable.NearEnd)
        await pilot.press(*["down"] * 10)  # row 30: within a screenful (11) of the end
        await pilot.pause()
        assert heard(app, RowTable.NearEnd)
