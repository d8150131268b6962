"""Events as an iCalendar file (RFC 5545), for any calendar program to import.

Times are written in UTC (`DTSTART:20261202T173000Z`), so no VTIMEZONE is needed and
every program shows them in its own zone. Text is escaped (backslash, `;`, `,`, line
breaks) and lines are folded at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from tui.forum.community import Event
from tui.forum.sanitize import clean

CRLF = "\r\n"
LINE_OCTETS = 75
PRODID = "-//Cohort//Cohort forum client//EN"


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newline escaped."""
    value = clean(value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line folded (RFC 5545 3.1): no physical line longer than 75 octets,
    continuation lines start with a space, never in the middle of a UTF-8 sequence."""
    parts: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = " ", 1
            limit = LINE_OCTETS
        current += char
        size += width
    parts.append(current)
    return CRLF.join(parts)


def utc_stamp(when: datetime) -> str:
    """DATE-TIME in UTC form: 20261202T173000Z (a naive time is taken as UTC)."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _uid(event: Event, host: str) -> str:
    return f"{event.key}@{host}"


def _is_web_link(link: str) -> bool:
    parts = urlsplit(link)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def vevent(event: Event, *, host: str, stamp: datetime) -> list[str]:
    """The content lines (unfolded) of one VEVENT."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(_uid(event, host))}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"SUMMARY:{escape_text(event.title)}",
    ]
    description = event.description
    if event.group_name:
        description = f"{description}\n\nGroup: {event.group_name}".strip()
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    location = event.location or (event.link if event.link else "")
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if event.link and _is_web_link(event.link):
        lines.append(f"URL:{clean(event.link).strip()}")
    if event.my_rsvp == "going":
        lines.append("STATUS:CONFIRMED")
    lines.append("END:VEVENT")
    return lines


def calendar(
    events: Iterable[Event], *, host: str = "cohort", stamp: datetime | None = None
) -> str:
    """A whole VCALENDAR with one VEVENT per event, CRLF line endings throughout."""
    now = stamp or datetime.now(UTC)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    lines.append("METHOD:PUBLISH")
    for event in events:
        lines.extend(vevent(event, host=host, stamp=now))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)


__all__ = ["calendar", "escape_text", "fold", "utc_stamp", "vevent"]
