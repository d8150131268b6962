"""j / k / g g / G on a screen's list, the same on every screen that shows one.

A count prefix moves that many rows, and before G names the row to go to (1 is the
first), as in vim. The screen says which table the keys move (`keyed_table`), usually
the focused one; the counts come from `tui.keys.KeysMixin`.
"""

from __future__ import annotations

from typing import Any

from tui.keys import KeysMixin
from widgets.row_table import RowTable


class TableKeys(KeysMixin):
    """A screen's counts and chords (KeysMixin) and its list's four moves; the screen
    binds the actions and says which table they move."""

    def keyed_table(self) -> RowTable[Any] | None:
        """The table the keys move now (None: none)."""
        raise NotImplementedError

    def action_down(self) -> None:
        table = self.keyed_table()
        if table is not None and table.row_count:
            table.move_cursor(row=min(table.cursor_row + self.count_or(1), table.row_count - 1))

    def action_up(self) -> None:
        table = self.keyed_table()
        if table is not None:
            table.move_cursor(row=max(table.cursor_row - self.count_or(1), 0))

    def action_first(self) -> None:
        table = self.keyed_table()
        if table is not None:
            table.move_cursor(row=0)

    def action_last(self) -> None:
        table = self.keyed_table()
        if table is not None and table.row_count:
            row = table.row_count if self.count is None else self.count
            table.move_cursor(row=min(max(row, 1), table.row_count) - 1)
