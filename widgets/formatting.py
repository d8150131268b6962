"""Small display formats shared by widgets (pure functions: no I/O, no state)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from textual.content import Content

from tui.forum.models import Freshness, Notification, NotificationKind

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY
YEAR = 365 * DAY


def ago(when: datetime, now: datetime) -> str:
    """A compact age, at most 4 cells wide: "now", "5m", "3h", "2d", "3w", "4mo", "2y"."""
    seconds = max(0.0, (now - when).total_seconds())
    if seconds < MINUTE:
        return "now"
    for limit, unit, suffix in (
        (HOUR, MINUTE, "m"),
        (DAY, HOUR, "h"),
        (WEEK, DAY, "d"),
        (MONTH, WEEK, "w"),
        (YEAR, MONTH, "mo"),
    ):
        if seconds < limit:
            return f"{int(seconds // unit)}{suffix}"
    return f"{int(seconds // YEAR)}y"


class Marks(NamedTuple):
    """The little symbols in front of a topic's title."""

    solved: str
    pinned: str
    closed: str


UNICODE_MARKS = Marks(solved="✓", pinned="📌", closed="🔒")
ASCII_MARKS = Marks(solved="+", pinned="^", closed="#")


def marks_for(encoding: str | None) -> Marks:
    """Unicode marks when the terminal's encoding can carry them, ASCII ones otherwise."""
    try:
        "".join(UNICODE_MARKS).encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return ASCII_MARKS
    return UNICODE_MARKS


def state_content(
    *, loading: bool = False, error: str = "", freshness: Freshness | None = None
) -> Content:
    """The status line's word on what the screen shows: fresh, cached, offline or an error."""
    if error:
        return Content.styled(f"error: {error}", "$error")
    if freshness is Freshness.OFFLINE:
        return Content.styled("offline: showing what was cached", "$warning")
    if freshness is Freshness.STALE:
        return Content.styled("cached · refreshing…", "$text-muted")
    if loading:
        return Content.styled("loading…", "$text-muted")
    return Content.styled("fresh", "$success")


_NOTIFICATION_VERBS = {
    NotificationKind.REPLY: "replied to your post",
    NotificationKind.MENTION: "mentioned you",
    NotificationKind.QUOTED: "quoted you",
    NotificationKind.REACTION: "reacted to your post",
    NotificationKind.SOLVED: "accepted your answer",
}


def describe_notification(notification: Notification) -> str:
    """One line saying what happened, as plain text (the caller shows it without markup):
    "alice replied to your post in “Title”"."""
    actor = notification.actor or "someone"
    verb = _NOTIFICATION_VERBS.get(notification.kind, "notified you")
    if notification.kind is NotificationKind.REACTION and notification.detail:
        verb = f"reacted {notification.detail} to your post"
    where = f" in “{notification.topic_title}”" if notification.topic_title else ""
    return f"{actor} {verb}{where}"
