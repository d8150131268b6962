"""A list of topics: title (with solved / pinned / closed marks), category, replies,
last activity and unread posts.

Display only: the screen hands in already-sanitised `TopicSummary` models, and every
cell is a rich `Text` (never a markup string), so a title like "[@click=app.quit]x[/]"
shows as typed and does nothing. The title column takes whatever width is left.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from rich.text import Text
from textual.events import Resize
from textual.widgets import DataTable

from tui.forum.models import TopicSummary
from widgets.formatting import UNICODE_MARKS, Marks, ago

CATEGORY_WIDTH = (10, 20)  # narrowest and widest; a fifth of the table in between
REPLIES_WIDTH = 3
AGE_WIDTH = 4
UNREAD_WIDTH = 3
MIN_TITLE_WIDTH = 12


class TopicTable(DataTable[Text]):
    def __init__(self, *, id: str | None = None, marks: Marks = UNICODE_MARKS) -> None:
        super().__init__(id=id, cursor_type="row")
        self.marks = marks
        self.topics: list[TopicSummary] = []
        self._category_names: dict[int, str] = {}
        self._show_category = True
        self._now = datetime.now(UTC)
        self._width = 0

    def show(
        self,
        topics: list[TopicSummary],
        category_names: Mapping[int, str],
        *,
        show_category: bool = True,
        now: datetime | None = None,
    ) -> None:
        """Display `topics`; `show_category` is off when they all share one category."""
        keep = self.highlighted
        self.topics = list(topics)
        self._category_names = dict(category_names)
        self._show_category = show_category
        self._now = now or datetime.now(UTC)
        self._render_rows(keep)

    @property
    def highlighted(self) -> TopicSummary | None:
        if not self.topics or not 0 <= self.cursor_row < len(self.topics):
            return None
        return self.topics[self.cursor_row]

    def on_resize(self, event: Resize) -> None:
        if self.scrollable_content_region.width != self._width:
            self._render_rows(self.highlighted)

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

    def _render_rows(self, keep: TopicSummary | None) -> None:
        """Rebuild the rows for the current width, keeping the cursor on `keep` if listed."""
        self._width = self.scrollable_content_region.width
        self.clear(columns=True)
        padding = 2 * self.cell_padding
        fixed = [
            ("replies", "Re", REPLIES_WIDTH),
            ("age", "Last", AGE_WIDTH),
            ("unread", "New", UNREAD_WIDTH),
        ]
        if self._show_category:
            low, high = CATEGORY_WIDTH
            fixed.insert(0, ("category", "Category", min(max(self._width // 5, low), high)))
        used = sum(width + padding for _, _, width in fixed) + padding
        self.add_column(Text("Topic"), width=max(self._width - used, MIN_TITLE_WIDTH), key="title")
        for key, label, width in fixed:
            label_text = Text(label) if key == "category" else Text(label, justify="right")
            self.add_column(label_text, width=width, key=key)
        for topic in self.topics:
            cells = [self.title_cell(topic)]
            if self._show_category:
                name = self._category_names.get(topic.category_id, "")
                cells.append(Text(name, no_wrap=True, overflow="ellipsis", style="dim"))
            cells += [
                Text(str(topic.reply_count), justify="right", no_wrap=True),
                Text(ago(topic.bumped_at, self._now), justify="right", no_wrap=True),
                Text(
                    str(topic.unread_count) if topic.unread_count else "",
                    justify="right",
                    no_wrap=True,
                    style="bold",
                ),
            ]
            self.add_row(*cells, key=str(topic.id))
        if keep is not None:
            for index, topic in enumerate(self.topics):
                if topic.id == keep.id:
                    self.move_cursor(row=index, animate=False)
