"""Search results: one row per matching post (topic, post number, author, age), and a
preview of the highlighted one (its whole title and the matching words).

Display only: the screen hands in already-sanitised `SearchResult` models; every cell is
a rich `Text` and the preview a `Content`, never a markup string, so a title like
"[@click=app.quit]x[/]" shows as typed and does nothing. The topic column takes whatever
width the others leave, so the table never needs horizontal scrolling.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rich.text import Text
from textual.content import Content
from textual.events import Resize
from textual.widgets import DataTable

from tui.forum.models import SearchResult
from widgets.formatting import UNICODE_MARKS, Marks, ago

NUMBER_WIDTH = 5
USER_WIDTH = (6, 14)  # narrowest and widest; an eighth of the table in between
AGE_WIDTH = 4
MIN_TITLE_WIDTH = 12


class SearchResults(DataTable[Text]):
    def __init__(self, *, id: str | None = None, marks: Marks = UNICODE_MARKS) -> None:
        super().__init__(id=id, cursor_type="row")
        self.marks = marks
        self.results: list[SearchResult] = []
        self._now = datetime.now(UTC)
        self._width = 0

    def show(self, results: Sequence[SearchResult], *, now: datetime | None = None) -> None:
        """Display `results` in the forum's order (best match first)."""
        self.results = list(results)
        self._now = now or datetime.now(UTC)
        self._render_rows()
        if self.results:
            self.move_cursor(row=0, animate=False)

    def add(self, results: Sequence[SearchResult]) -> None:
        """Append the next page of results; the cursor stays where it is."""
        start = len(self.results)
        self.results.extend(results)
        for index, result in enumerate(results, start):
            self.add_row(*self._cells(result), key=str(index))

    @property
    def highlighted(self) -> SearchResult | None:
        if not self.results or not 0 <= self.cursor_row < len(self.results):
            return None
        return self.results[self.cursor_row]

    def on_resize(self, event: Resize) -> None:
        if self.scrollable_content_region.width != self._width:
            row = self.cursor_row
            self._render_rows()
            if self.results:
                self.move_cursor(row=min(row, len(self.results) - 1), animate=False)

    def _render_rows(self) -> None:
        self._width = width = self.scrollable_content_region.width
        self.clear(columns=True)
        padding = 2 * self.cell_padding
        low, high = USER_WIDTH
        user_width = min(max(width // 8, low), high)
        used = NUMBER_WIDTH + user_width + AGE_WIDTH + 4 * padding
        self.add_column(Text("Topic"), width=max(width - used, MIN_TITLE_WIDTH), key="title")
        self.add_column(Text("Post", justify="right"), width=NUMBER_WIDTH, key="post")
        self.add_column(Text("By"), width=user_width, key="user")
        self.add_column(Text("When", justify="right"), width=AGE_WIDTH, key="age")
        for index, result in enumerate(self.results):
            self.add_row(*self._cells(result), key=str(index))

    def _cells(self, result: SearchResult) -> list[Text]:
        return [
            self.title_cell(result),
            Text(f"#{result.post_number}", justify="right", no_wrap=True),
            Text(result.username, no_wrap=True, overflow="ellipsis", style="dim"),
            Text(
                ago(result.created_at, self._now) if result.created_at else "",
                justify="right",
                no_wrap=True,
            ),
        ]

    def title_cell(self, result: SearchResult) -> Text:
        title = Text(no_wrap=True, overflow="ellipsis")
        if result.accepted or result.solved:
            title.append(self.marks.solved + " ", style="bold")
        title.append(result.topic_title, style="bold" if result.accepted else "")
        return title


def preview(result: SearchResult | None, marks: Marks = UNICODE_MARKS) -> Content:
    """The highlighted result in full: title, where it is, and the matching words."""
    if result is None:
        return Content("")
    head = Content.assemble((result.topic_title, "bold"))
    where = Content.assemble(
        (f"post #{result.post_number}", "$text-muted"),
        (" by ", "$text-muted"),
        (result.username, "italic"),
    )
    if result.accepted:
        where += Content.styled(f" · {marks.solved} accepted answer", "$success")
    elif result.solved:
        where += Content.styled(f" · {marks.solved} solved topic", "$success")
    blurb = " ".join(result.blurb.split())
    return Content("\n").join([head, where, Content(blurb)] if blurb else [head, where])
