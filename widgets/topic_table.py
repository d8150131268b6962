"""A list of topics: title (with solved / pinned / closed marks), category, replies,
last activity and unread posts.

Display only: the screen hands in already-sanitised `TopicSummary` models, and every
cell is a rich `Text` (never a markup string), so a title like "[@click=app.quit]x[/]"
shows as typed and does nothing. The title column takes whatever width is left.

The list grows by pages: when the cursor (or the scroll) comes within a screenful of the
last row, the table posts `NearEnd` and the screen may `show` a longer list; appending
never moves the cursor.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import UTC, datetime

from rich.text import Text

from tui.forum.models import TopicSummary
from widgets.formatting import UNICODE_MARKS, Marks, ago
from widgets.row_table import Column, RowTable

CATEGORY_WIDTH = (10, 20)  # narrowest and widest; a fifth of the table in between
REPLIES_WIDTH = 3
AGE_WIDTH = 4
UNREAD_WIDTH = 3
MIN_TITLE_WIDTH = 12


class TopicTable(RowTable[TopicSummary]):
    PAGED = True

    def __init__(self, *, id: str | None = None, marks: Marks = UNICODE_MARKS) -> None:
        super().__init__(id=id)
        self.marks = marks
        self._category_names: dict[int, str] = {}
        self._show_category = True
        self._now = datetime.now(UTC)

    @property
    def topics(self) -> list[TopicSummary]:
        return self.items

    def show(
        self,
        topics: list[TopicSummary],
        category_names: Mapping[int, str],
        *,
        show_category: bool = True,
        now: datetime | None = None,
        new_list: bool = False,
    ) -> None:
        """Display `topics`; `show_category` is off when they all share one category;
        `now` is the time the "Last" column counts from."""
        self._category_names = dict(category_names)
        self._show_category = show_category
        self._now = now or datetime.now(UTC)
        self.show_items(topics, new_list=new_list)

    # -- RowTable ---------------------------------------------------------------------------

    def item_key(self, item: TopicSummary) -> Hashable:
        return item.id

    def columns_for(self, width: int) -> list[Column]:
        padding = 2 * self.cell_padding
        fixed = [
            Column("replies", Text("Re", justify="right"), REPLIES_WIDTH),
            Column("age", Text("Last", justify="right"), AGE_WIDTH),
            Column("unread", Text("New", justify="right"), UNREAD_WIDTH),
        ]
        if self._show_category:
            low, high = CATEGORY_WIDTH
            fixed.insert(0, Column("category", Text("Category"), min(max(width // 5, low), high)))
        used = sum(column.width + padding for column in fixed) + padding
        title = Column("title", Text("Topic"), max(width - used, MIN_TITLE_WIDTH))
        return [title, *fixed]

    def row_cells(self, item: TopicSummary) -> list[Text]:
        cells = [self.title_cell(item)]
        if self._show_category:
            name = self._category_names.get(item.category_id, "")
            cells.append(Text(name, no_wrap=True, overflow="ellipsis", style="dim"))
        cells += [
            Text(str(item.reply_count), justify="right", no_wrap=True),
            Text(ago(item.bumped_at, self._now), justify="right", no_wrap=True),
            Text(
                str(item.unread_count) if item.unread_count else "",
                justify="right",
                no_wrap=True,
                style="bold",
            ),
        ]
        return cells

    def title_cell(self, topic: TopicSummary) -> Text:
        title = Text(no_wrap=True, overflow="ellipsis", style="dim" if topic.closed else "")
        for flag, mark in (
            (topic.pinned, self.marks.pinned),
            (topic.solved, self.marks.solved),
            (topic.closed, self.marks.closed),
        ):
            if flag:
                title.append(mark + " ", style="bold")
        title.append(topic.title, style="bold" if topic.unread_count else "")
        return title
