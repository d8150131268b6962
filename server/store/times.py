"""Time zones and weekly meetings: what an event's times mean and when a group meets next.

Instants are stored as UTC timestamps; a time zone is kept beside them only to show
them (and to compute wall-clock schedules). A weekly schedule is a weekday and a
wall-clock time in an IANA zone, so a meeting at 18:00 in Berlin stays at 18:00 across
the change to and from summer time (its UTC instant moves). A wall-clock time that the
clocks skip on the day of the change (02:30 on the last Sunday of March in Berlin) is
held an hour later that day, as calendars do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.store.errors import Invalid

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
MAX_ZONE_NAME = 64
MIN_YEAR, MAX_YEAR = 1971, 9998  # far from datetime's limits, so conversions never overflow


def zone(value: Any, field: str = "timezone") -> ZoneInfo:
    """An IANA time zone by name; 400 naming the field when it is not one."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"field {field} must be an IANA time zone name", code="invalid_field")
    if len(value) > MAX_ZONE_NAME or "\x00" in value:
        raise Invalid(f"field {field}: {value[:80]!r} is not a time zone", code="invalid_field")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise Invalid(
            f"field {field}: {value!r} is not a time zone (use a name like Europe/Berlin)",
            code="invalid_field",
        ) from exc


def parse_instant(value: Any, tz: ZoneInfo | None, field: str) -> float:
    """An ISO 8601 date-time as a UTC timestamp: with an offset (or Z) it is exact;
    without one it is a wall-clock time in `tz`, which must then be given and must
    exist there (not skipped by a change of clocks)."""
    if not isinstance(value, str):
        raise Invalid(f"field {field} must be an ISO 8601 date-time", code="invalid_field")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise Invalid(
            f"field {field}: {value[:80]!r} is not an ISO 8601 date-time "
            "(like 2026-03-28T18:00:00+01:00, or 2026-03-28T18:00 with a timezone)",
            code="invalid_field",
        ) from exc
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise Invalid(f"field {field}: the year is out of range", code="invalid_field")
    if moment.tzinfo is None:
        if tz is None:
            raise Invalid(
                f"field {field} has no UTC offset: add one, or send a timezone",
                code="invalid_field",
            )
        local = moment.replace(tzinfo=tz)
        if datetime.fromtimestamp(local.timestamp(), tz).replace(tzinfo=None) != moment:
            raise Invalid(
                f"field {field}: {value} does not exist in {tz.key} (the clocks skip it)",
                code="invalid_field",
            )
        moment = local
    return moment.timestamp()


def parse_clock(value: Any, field: str) -> str:
    """A wall-clock time as HH:MM (24-hour)."""
    if not isinstance(value, str) or not _CLOCK.match(value):
        raise Invalid(f"field {field} must be a time of day as HH:MM", code="invalid_field")
    return value


def parse_weekday(value: Any, field: str) -> int:
    """A weekday by its English name (any case): 0 for Monday .. 6 for Sunday."""
    if isinstance(value, str) and value.strip().lower() in WEEKDAYS:
        return WEEKDAYS.index(value.strip().lower())
    raise Invalid(f"field {field} must be one of {', '.join(WEEKDAYS)}", code="invalid_field")


def local_iso(ts: float, tz: ZoneInfo) -> str:
    """The instant as wall-clock time in `tz`, with its offset (2026-03-28T18:00:00+01:00)."""
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds")


def local_date(ts: float, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(ts, tz).date()


@dataclass(frozen=True, slots=True)
class Meeting:
    """One meeting of a weekly schedule: its local date and its UTC start and end."""

    date: date
    starts_at: float
    ends_at: float


@dataclass(frozen=True, slots=True)
class Weekly:
    weekday: int
    clock: str
    tz: ZoneInfo
    minutes: int

    def on(self, day: date) -> Meeting:
        """The meeting on `day` (which must be the schedule's weekday)."""
        hour, minute = (int(p) for p in self.clock.split(":"))
        # fold=0: an ambiguous time (clocks going back) is its first occurrence, and a
        # skipped one is read with the offset before the change, an hour later in wall time.
        starts = datetime.combine(day, time(hour, minute), tzinfo=self.tz).timestamp()
        return Meeting(day, starts, starts + self.minutes * 60)

    def between(self, start: float, end: float) -> list[Meeting]:
        """Every meeting that overlaps [start, end), in order."""
        first = local_date(start - self.minutes * 60, self.tz) - timedelta(days=1)
        last = local_date(end, self.tz) + timedelta(days=1)
        day = first + timedelta(days=(self.weekday - first.weekday()) % 7)
        found: list[Meeting] = []
        while day <= last:
            meeting = self.on(day)
            if meeting.ends_at > start and meeting.starts_at < end:
                found.append(meeting)
            day += timedelta(days=7)
        return found

    def next_after(self, moment: float) -> Meeting:
        """The first meeting not over at `moment` (one under way counts until it ends)."""
        return self.between(moment, moment + 15 * 86400)[0]
