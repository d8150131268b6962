"""The feedback inbox: one row per notification (unread mark, what happened, who, in which
topic, when), newest first, and a preview of the highlighted one in full.

Display only: the screen hands in already-sanitised `Notification` models; every cell is
a rich `Text` and the preview a `Content`, never a markup string, so a topic titled
"[@click=app.quit]x[/]" shows as typed and does nothing. A `RowTable` draws only the
rows on screen, and marking one read redraws only its row.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from rich.text import Text
from textual.content import Content

from tui.forum.models import Notification, NotificationKind
from widgets.formatting import ago, describe_notification
from widgets.row_table import Column, RowTable

MARK_WIDTH = 1
KIND_WIDTH = 9  # "@ mention", "↩ reply", "♥ like"
WHO_WIDTH = (6, 14)  # narrowest and widest; an eighth of the table in between
AGE_WIDTH = 4
MIN_TITLE_WIDTH = 12


class InboxIcons(NamedTuple):
    """The symbols of the list: the unread mark and one per kind of notification."""

    unread: str
    kinds: dict[NotificationKind, str]


UNICODE_ICONS = InboxIcons(
    unread="●",
    kinds={
        NotificationKind.REPLY: "↩",
        NotificationKind.MENTION: "@",
        NotificationKind.QUOTED: "❝",
        NotificationKind.REACTION: "♥",
        NotificationKind.SOLVED: "✓",
        NotificationKind.OTHER: "•",
    },
)
ASCII_ICONS = InboxIcons(
    unread="*",
    kinds={
        NotificationKind.REPLY: "<",
        NotificationKind.MENTION: "@",
        NotificationKind.QUOTED: '"',
        NotificationKind.REACTION: "+",
        NotificationKind.SOLVED: "+",
        NotificationKind.OTHER: "-",
    },
)
LABELS = {
    NotificationKind.REPLY: "reply",
    NotificationKind.MENTION: "mention",
    NotificationKind.QUOTED: "quote",
    NotificationKind.REACTION: "reaction",
    NotificationKind.SOLVED: "solved",
    NotificationKind.OTHER: "other",
}


def kind_label(notification: Notification) -> str:
    """The kind as a word ("reply", "mention"); a reaction says which ("like") when known."""
    if notification.kind is NotificationKind.REACTION and notification.detail:
        return notification.detail
    return LABELS[notification.kind]


def newest_first(notifications: Sequence[Notification]) -> list[Notification]:
    """The forum's list, newest first whatever order it came in (ties: higher id first)."""
    return sorted(notifications, key=lambda n: (n.created_at, n.id), reverse=True)


class InboxList(RowTable[Notification]):
    def __init__(self, *, id: str | None = None, icons: InboxIcons = UNICODE_ICONS) -> None:
        super().__init__(id=id)
        self.icons = icons
        self._now = datetime.now(UTC)

    @property
    def notifications(self) -> list[Notification]:
        return self.items

    def show(
        self,
        notifications: Sequence[Notification],
        *,
        now: datetime | None = None,
        new_list: bool = False,
    ) -> None:
        """Display `notifications` newest first; the highlighted one keeps the cursor."""
        self._now = now or datetime.now(UTC)
        self.show_items(newest_first(notifications), new_list=new_list)

    @property
    def unread_count(self) -> int:
        return sum(not n.read for n in self.items)

    # -- RowTable ---------------------------------------------------------------------------

    def item_key(self, item: Notification) -> Hashable:
        return item.id

    def columns_for(self, width: int) -> list[Column]:
        padding = 2 * self.cell_padding
        low, high = WHO_WIDTH
        who = Column("who", Text("Who"), min(max(width // 8, low), high))
        mark = Column("mark", Text(""), MARK_WIDTH)
        kind = Column("kind", Text("What"), KIND_WIDTH)
        age = Column("age", Text("When", justify="right"), AGE_WIDTH)
        used = sum(c.width + padding for c in (mark, kind, who, age)) + padding
        title = Column("title", Text("Topic"), max(width - used, MIN_TITLE_WIDTH))
        return [mark, kind, who, title, age]

    def row_cells(self, item: Notification) -> list[Text]:
        style = "bold" if not item.read else "dim"
        icon = self.icons.kinds.get(item.kind, self.icons.kinds[NotificationKind.OTHER])
        return [
            Text(self.icons.unread if not item.read else "", style="bold", no_wrap=True),
            Text(f"{icon} {kind_label(item)}", no_wrap=True, overflow="ellipsis", style=style),
            Text(item.actor or "someone", no_wrap=True, overflow="ellipsis", style=style),
            Text(item.topic_title, no_wrap=True, overflow="ellipsis", style=style),
            Text(ago(item.created_at, self._now), justify="right", no_wrap=True),
        ]


def preview(notification: Notification | None, now: datetime | None = None) -> Content:
    """The highlighted notification in full: what happened, where, and whether it is read."""
    if notification is None:
        return Content("")
    now = now or datetime.now(UTC)
    where: list[Content | str | tuple[str, str]] = []
    if notification.post_number is not None:
        where.append((f"post #{notification.post_number} · ", "$text-muted"))
    age = ago(notification.created_at, now)
    where.append(("just now" if age == "now" else f"{age} ago", "$text-muted"))
    where.append((" · read" if notification.read else " · unread", "$text-muted"))
    if notification.topic_id is None:
        where.append((" · nothing to open", "$text-muted"))
    return Content("\n").join(
        [Content(describe_notification(notification)), Content.assemble(*where)]
    )
