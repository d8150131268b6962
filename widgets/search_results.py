"""Search results: one row per matching post (topic, post number, author, age), and a
preview of the highlighted one (its whole title and the matching words).

Display only: the screen hands in already-sanitised `SearchResult` models; every cell is
a rich `Text` and the preview a `Content`, never a markup string, so a title like
"[@click=app.quit]x[/]" shows as typed and does nothing. The topic column takes whatever
width the others leave, so the table never needs horizontal scrolling.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import UTC, datetime

from rich.text import Text
from textual.content import Content

from tui.forum.models import SearchResult
from widgets.formatting import UNICODE_MARKS, Marks, ago
from widgets.row_table import Column, RowTable

NUMBER_WIDTH = 5
USER_WIDTH = (6, 14)  # narrowest and widest; an eighth of the table in between
AGE_WIDTH = 4
MIN_TITLE_WIDTH = 12


class SearchResults(RowTable[SearchResult]):
    def __init__(self, *, id: str | None = None, marks: Marks = UNICODE_MARKS) -> None:
        super().__init__(id=id)
        self.marks = marks
        self._now = datetime.now(UTC)

    @property
    def results(self) -> list[SearchResult]:
        return self.items

    def show(self, results: Sequence[SearchResult], *, now: datetime | None = None) -> None:
        """Display `results` in the forum's order (best match first), the cursor on the
        first."""
        self._now = now or datetime.now(UTC)
        self.show_items(results, new_list=True)
        self.move_cursor(row=0)

    def add(self, results: Sequence[SearchResult]) -> None:
        """Append the next page of results; the cursor stays where it is (a post already
        listed, moved into the next page by a new post, is not listed twice)."""
        self.show_items([*self.items, *results])

    # -- RowTable ---------------------------------------------------------------------------

    def item_key(self, item: SearchResult) -> Hashable:
        return (item.topic_id, item.post_number)

    def columns_for(self, width: int) -> list[Column]:
        padding = 2 * self.cell_padding
        low, high = USER_WIDTH
        user_width = min(max(width // 8, low), high)
        used = NUMBER_WIDTH + user_width + AGE_WIDTH + 4 * padding
        return [
            Column("title", Text("Topic"), max(width - used, MIN_TITLE_WIDTH)),
            Column("post", Text("Post", justify="right"), NUMBER_WIDTH),
            Column("user", Text("By"), user_width),
            Column("age", Text("When", justify="right"), AGE_WIDTH),
        ]

    def row_cells(self, item: SearchResult) -> list[Text]:
        result = item
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
