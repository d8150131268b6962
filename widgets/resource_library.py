"""The community's resource library: one row per shared link (title and host, who shared
it first, how often it was shared, its likes, when it was last shared), and a preview of
the highlighted one with every discussion it was shared in, numbered.

Display only: the screen hands in already-sanitised `Resource` models; every cell is a
rich `Text` and the preview a `Content`, never a markup string, so a title like
"[@click=app.quit]x[/]" shows as typed and does nothing. A `RowTable` draws only the
rows on screen, so a long library costs no more than a short one. The list grows by
pages: near its end the table posts `NearEnd`, as the topic list does.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from rich.text import Text
from textual.content import Content

from tui.forum.models import Resource
from widgets.formatting import ago
from widgets.row_table import Column, RowTable

BY_WIDTH = (6, 14)  # narrowest and widest; an eighth of the table in between
SHARED_WIDTH = 6
LIKES_WIDTH = 5
AGE_WIDTH = 4
MIN_TITLE_WIDTH = 16
PREVIEW_SHARES = 3  # discussions listed in the preview; the rest are counted


def host_of(url: str) -> str:
    """The host a link points to ("git-scm.com"), for the list's second glance."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


class ResourceTable(RowTable[Resource]):
    PAGED = True

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._now = datetime.now(UTC)

    @property
    def resources(self) -> list[Resource]:
        return self.items

    def show(
        self, resources: Sequence[Resource], *, now: datetime | None = None, new_list: bool = False
    ) -> None:
        """Display `resources` in the forum's order; `now` is what "When" counts from."""
        self._now = now or datetime.now(UTC)
        self.show_items(resources, new_list=new_list)

    # -- RowTable ---------------------------------------------------------------------------

    def item_key(self, item: Resource) -> Hashable:
        return item.url

    def columns_for(self, width: int) -> list[Column]:
        padding = 2 * self.cell_padding
        low, high = BY_WIDTH
        fixed = [
            Column("by", Text("By"), min(max(width // 8, low), high)),
            Column("shared", Text("Shared", justify="right"), SHARED_WIDTH),
            Column("likes", Text("Likes", justify="right"), LIKES_WIDTH),
            Column("age", Text("When", justify="right"), AGE_WIDTH),
        ]
        used = sum(column.width + padding for column in fixed) + padding
        title = Column("title", Text("Resource"), max(width - used, MIN_TITLE_WIDTH))
        return [title, *fixed]

    def row_cells(self, item: Resource) -> list[Text]:
        when = item.last_shared_at or item.first_shared_at
        return [
            title_cell(item),
            Text(item.first_shared_by or "", no_wrap=True, overflow="ellipsis", style="dim"),
            Text(str(item.share_count), justify="right", no_wrap=True),
            Text(str(item.like_count) if item.like_count else "", justify="right", no_wrap=True),
            Text(ago(when, self._now) if when else "", justify="right", no_wrap=True),
        ]


def title_cell(resource: Resource) -> Text:
    """The title it was shared under, then its host, dimmed (the URL when it has no title)."""
    cell = Text(no_wrap=True, overflow="ellipsis")
    if resource.title:
        cell.append(resource.title, style="bold")
        host = host_of(resource.url)
        if host:
            cell.append("  " + host, style="dim")
    else:
        cell.append(resource.url)
    return cell


def preview(resource: Resource | None, now: datetime | None = None) -> Content:
    """The highlighted resource in full: title, URL, counts, and the discussions it was
    shared in, numbered as a count before enter picks them."""
    if resource is None:
        return Content("")
    now = now or datetime.now(UTC)
    lines = []
    if resource.title:
        lines.append(Content.styled(resource.title, "bold"))
    lines.append(Content.styled(resource.url, "underline"))
    shares, topics = resource.share_count, resource.topic_count
    counts = f"shared {'once' if shares == 1 else f'{shares} times'}"
    counts += f" in {topics} topic{'' if topics == 1 else 's'}"
    likes = resource.like_count
    counts += f" · {likes} like{'' if likes == 1 else 's'}"
    lines.append(Content.styled(counts, "$text-muted"))
    for number, share in enumerate(resource.shares[:PREVIEW_SHARES], 1):
        when = f" {ago(share.created_at, now)}" if share.created_at else ""
        # Who and when first: a long topic title is what gets cut at the edge.
        lines.append(
            Content.assemble(
                (f"[{number}] ", "$text-muted"),
                (share.username, "bold"),
                (f"{when} in ", "$text-muted"),
                (share.topic_title, "italic"),
                (f" #{share.post_number}", "$text-muted"),
            )
        )
    more = len(resource.shares) - PREVIEW_SHARES
    if more > 0:
        lines.append(Content.styled(f"… and {more} more (a count before enter opens one)", "dim"))
    return Content("\n").join(lines)
