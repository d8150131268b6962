"""Events and a group's weekly meetings, and who is going to them.

An event is stored with UTC start and end and the time zone it is shown in. A study
group's regular meetings are NOT stored: they are computed from its schedule whenever
a window of time is listed (virtual occurrences). So a changed schedule moves every
future meeting at once, nothing has to be generated ahead or cleaned up, and a meeting
can never disagree with its group's schedule. An answer (RSVP) to a meeting is stored
against the group and the meeting's local date; it shows again as long as the group
still meets on that date.

What belongs to a group that owns a restricted category (its events, its meetings, the
changes about them) shows only to those who see that category: its members, and
moderators, who see every category.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.store import groups
from server.store.checks import text, web_link
from server.store.common import (
    can_see_topic,
    iso,
    now,
    record_change,
    require_user,
    topic_row,
)
from server.store.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from server.store.times import Meeting, local_iso, parse_instant, zone
from server.store.viewer import Viewer, ids_param, visible_category_ids

STATUSES = ("going", "interested", "not_going")
MAX_TITLE = 255
MAX_DESCRIPTION = 10_000
MAX_LOCATION = 255
DEFAULT_MINUTES = 60
MAX_DAYS = 31  # the longest event (a conference, a summer school)
DEFAULT_WINDOW_DAYS = 30
MAX_WINDOW_DAYS = 366
DEFAULT_LIMIT = 200
MAX_LIMIT = 500


def _zone_of(name: str) -> ZoneInfo:
    """A stored zone; UTC if this machine's time zone database no longer knows it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _counts(
    rows: list[tuple[Any, str, int]],
) -> dict[Any, dict[str, int]]:
    counts: dict[Any, dict[str, int]] = {}
    for key, status, n in rows:
        counts.setdefault(key, dict.fromkeys(STATUSES, 0))[status] = n
    return counts


# -- events ---------------------------------------------------------------------------------


_EVENT_SELECT = """SELECT e.*, u.username AS creator, g.name AS group_slug,
    COALESCE(NULLIF(g.full_name, ''), g.name) AS group_name, g.category_id AS group_category,
    t.title AS topic_title, t.category_id AS topic_category, t.deleted_at AS topic_deleted
    FROM events e JOIN users u ON u.id = e.user_id
    LEFT JOIN groups g ON g.id = e.group_id
    LEFT JOIN topics t ON t.id = e.topic_id"""


def _visible_clause(viewer_categories: list[int]) -> tuple[str, str]:
    return (
        "(g.category_id IS NULL OR g.category_id IN (SELECT value FROM json_each(?)))",
        ids_param(viewer_categories),
    )


def _can_edit(conn: sqlite3.Connection, viewer: Viewer, row: sqlite3.Row) -> bool:
    if viewer.user_id is None:
        return False
    if viewer.is_moderator or row["user_id"] == viewer.user_id:
        return True
    if row["group_id"] is None:
        return False
    group = conn.execute("SELECT * FROM groups WHERE id = ?", (row["group_id"],)).fetchone()
    return groups.can_manage(conn, viewer, group)


def _event_dicts(
    conn: sqlite3.Connection, viewer: Viewer, rows: list[sqlite3.Row]
) -> list[dict[str, Any]]:
    ids = ids_param([r["id"] for r in rows])
    counts = _counts(
        conn.execute(
            """SELECT event_id, status, COUNT(*) FROM event_rsvps
               WHERE event_id IN (SELECT value FROM json_each(?)) GROUP BY event_id, status""",
            (ids,),
        ).fetchall()
    )
    mine: dict[int, str] = {}
    if viewer.user_id is not None:
        mine = {
            int(r[0]): r[1]
            for r in conn.execute(
                """SELECT event_id, status FROM event_rsvps
                   WHERE user_id = ? AND event_id IN (SELECT value FROM json_each(?))""",
                (viewer.user_id, ids),
            )
        }
    out = []
    for r in rows:
        tz = _zone_of(r["timezone"])
        topic_shown = (
            r["topic_id"] is not None
            and r["topic_deleted"] is None
            and can_see_topic(conn, viewer, r["topic_id"], r["topic_category"])
        )
        out.append(
            {
                "key": f"event:{r['id']}",
                "id": r["id"],
                "kind": "event",
                "title": r["title"],
                "description": r["description"],
                "starts_at": iso(r["starts_at"]),
                "ends_at": iso(r["ends_at"]),
                "timezone": r["timezone"],
                "starts_at_local": local_iso(r["starts_at"], tz),
                "ends_at_local": local_iso(r["ends_at"], tz),
                "location": r["location"],
                "link": r["link"],
                "group": (
                    {"slug": r["group_slug"], "name": r["group_name"]}
                    if r["group_id"] is not None
                    else None
                ),
                "topic_id": r["topic_id"] if topic_shown else None,
                "topic_title": r["topic_title"] if topic_shown else None,
                "created_by": r["creator"],
                "recurring": False,
                "occurrence": None,
                "rsvp_counts": counts.get(r["id"], dict.fromkeys(STATUSES, 0)),
                "my_rsvp": mine.get(r["id"]),
                "can_edit": _can_edit(conn, viewer, r),
                "created_at": iso(r["created_at"]),
                "updated_at": iso(r["updated_at"]),
            }
        )
    return out


def _event_row(conn: sqlite3.Connection, viewer: Viewer, event_id: int) -> sqlite3.Row:
    """The event, or NotFound when it is missing, deleted or hidden from the viewer."""
    clause, visible = _visible_clause(visible_category_ids(conn, viewer))
    row = conn.execute(
        f"{_EVENT_SELECT} WHERE e.id = ? AND e.deleted_at IS NULL AND {clause}",
        (event_id, visible),
    ).fetchone()
    if row is None:
        raise NotFound(f"event {event_id} not found")
    return row  # type: ignore[no-any-return]


def _attendees(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    order = {status: n for n, status in enumerate(STATUSES)}
    rows = conn.execute(sql, params).fetchall()
    people = [
        {
            "username": r["username"],
            "name": r["name"],
            "status": r["status"],
            "updated_at": iso(r["updated_at"]),
        }
        for r in rows
    ]
    return sorted(people, key=lambda p: (order[p["status"]], p["username"].lower()))


def event(conn: sqlite3.Connection, viewer: Viewer, event_id: int) -> dict[str, Any]:
    """One event with who answered how."""
    row = _event_row(conn, viewer, event_id)
    out = _event_dicts(conn, viewer, [row])[0]
    out["attendees"] = _attendees(
        conn,
        """SELECT u.username, u.name, r.status, r.updated_at
           FROM event_rsvps r JOIN users u ON u.id = r.user_id WHERE r.event_id = ?""",
        (event_id,),
    )
    return out


def _times(
    fields: dict[str, Any],
    *,
    tz_name: str | None,
    starts: float | None = None,
    ends: float | None = None,
) -> tuple[float, float, str]:
    """Start, end and zone from the fields, falling back on the current ones (an edit)."""
    tz = zone(fields["timezone"]) if fields.get("timezone") is not None else None
    if tz is None and tz_name is not None:
        tz = _zone_of(tz_name)
    if fields.get("starts_at") is not None:
        new_start = parse_instant(fields["starts_at"], tz, "starts_at")
        duration = (ends - starts) if starts is not None and ends is not None else None
        starts = new_start
        if fields.get("ends_at") is None:
            ends = starts + (duration or DEFAULT_MINUTES * 60)
    elif starts is None:
        raise Invalid("missing field: starts_at", code="missing_field")
    if fields.get("ends_at") is not None:
        ends = parse_instant(fields["ends_at"], tz, "ends_at")
    assert starts is not None and ends is not None
    if ends <= starts:
        raise Invalid("field ends_at must be after starts_at", code="invalid_field")
    if ends - starts > MAX_DAYS * 86400:
        raise Invalid(f"an event lasts at most {MAX_DAYS} days", code="invalid_field")
    return starts, ends, tz.key if tz is not None else "UTC"


def _topic_for_event(conn: sqlite3.Connection, viewer: Viewer, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("field topic_id must be a topic id", code="invalid_field")
    return int(topic_row(conn, viewer, value)["id"])


def _scope(conn: sqlite3.Connection, group_id: int | None) -> int | None:
    """The category whose readers may hear about the event: its group's, if any."""
    if group_id is None:
        return None
    row = conn.execute("SELECT category_id FROM groups WHERE id = ?", (group_id,)).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def create_event(
    conn: sqlite3.Connection,
    viewer: Viewer,
    fields: dict[str, Any],
    *,
    created_at: float | None = None,
) -> dict[str, Any]:
    """Any member may post an event; a group's events are its organisers' to post."""
    user_id = require_user(viewer)
    title = text(fields, "title", MAX_TITLE, required=True)
    starts, ends, tz_name = _times(fields, tz_name=None)
    group_id = None
    if fields.get("group") is not None:
        if not isinstance(fields["group"], str):
            raise Invalid("field group must be a group's slug", code="invalid_field")
        group = groups.group_row(conn, fields["group"])
        if not groups.can_manage(conn, viewer, group):
            raise Forbidden("only the group's organisers (or a moderator) can add its events")
        group_id = int(group["id"])
    when = created_at if created_at is not None else now()
    cur = conn.execute(
        """INSERT INTO events (title, description, starts_at, ends_at, timezone, location, link,
                               group_id, topic_id, user_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            title,
            text(fields, "description", MAX_DESCRIPTION),
            starts,
            ends,
            tz_name,
            text(fields, "location", MAX_LOCATION),
            web_link(fields.get("link"), "link"),
            group_id,
            _topic_for_event(conn, viewer, fields.get("topic_id")),
            user_id,
            when,
            when,
        ),
    )
    event_id = int(cur.lastrowid or 0)
    record_change(
        conn, "event.created", category_id=_scope(conn, group_id), data={"event_id": event_id}
    )
    return event(conn, viewer, event_id)


def update_event(
    conn: sqlite3.Connection, viewer: Viewer, event_id: int, fields: dict[str, Any]
) -> dict[str, Any]:
    """Change an event (its author, its group's organisers, moderators). Moving the start
    keeps the length unless ends_at is sent; a new timezone alone changes only how the
    times are shown."""
    require_user(viewer)
    row = _event_row(conn, viewer, event_id)
    if not _can_edit(conn, viewer, row):
        raise Forbidden("only the event's author, its group's organisers or a moderator can")
    columns: dict[str, Any] = {}
    if "title" in fields:
        columns["title"] = text(fields, "title", MAX_TITLE, required=True)
    for name, limit in (("description", MAX_DESCRIPTION), ("location", MAX_LOCATION)):
        if name in fields:
            columns[name] = text(fields, name, limit)
    if "link" in fields:
        columns["link"] = web_link(fields["link"], "link")
    if "topic_id" in fields:
        columns["topic_id"] = _topic_for_event(conn, viewer, fields["topic_id"])
    if any(fields.get(k) is not None for k in ("starts_at", "ends_at", "timezone")):
        starts, ends, tz_name = _times(
            fields, tz_name=row["timezone"], starts=row["starts_at"], ends=row["ends_at"]
        )
        columns.update(starts_at=starts, ends_at=ends, timezone=tz_name)
    if not columns:
        raise Invalid(
            "nothing to change: send title, description, starts_at, ends_at, timezone, "
            "location, link or topic_id",
            code="missing_field",
        )
    assignments = ", ".join(f"{column} = ?" for column in columns)
    conn.execute(
        f"UPDATE events SET {assignments}, updated_at = ? WHERE id = ?",
        (*columns.values(), now(), event_id),
    )
    record_change(
        conn,
        "event.updated",
        category_id=_scope(conn, row["group_id"]),
        data={"event_id": event_id, "fields": sorted(columns)},
    )
    return event(conn, viewer, event_id)


def delete_event(conn: sqlite3.Connection, viewer: Viewer, event_id: int) -> dict[str, Any]:
    require_user(viewer)
    row = _event_row(conn, viewer, event_id)
    if not _can_edit(conn, viewer, row):
        raise Forbidden("only the event's author, its group's organisers or a moderator can")
    conn.execute("UPDATE events SET deleted_at = ? WHERE id = ?", (now(), event_id))
    record_change(
        conn,
        "event.deleted",
        category_id=_scope(conn, row["group_id"]),
        data={"event_id": event_id},
    )
    return {"id": event_id, "deleted": True}


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise Invalid(
            f"field status must be one of {', '.join(STATUSES)}",
            code="invalid_field" if value is not None else "missing_field",
        )
    return str(value)


def set_rsvp(
    conn: sqlite3.Connection, viewer: Viewer, event_id: int, status: Any
) -> dict[str, Any]:
    """Answer going / interested / not_going (one answer a person, changed at will);
    status None takes the answer back."""
    user_id = require_user(viewer)
    row = _event_row(conn, viewer, event_id)
    if status is not None:
        status = _status(status)
    if row["ends_at"] <= now():
        raise Conflict("this event is over", code="event_over")
    if status is None:
        cur = conn.execute(
            "DELETE FROM event_rsvps WHERE event_id = ? AND user_id = ?", (event_id, user_id)
        )
    else:
        cur = conn.execute(
            """INSERT INTO event_rsvps (event_id, user_id, status, updated_at)
               VALUES (?, ?, ?, ?)
               ON CONFLICT (event_id, user_id) DO UPDATE
                 SET status = excluded.status, updated_at = excluded.updated_at
                 WHERE status != excluded.status""",
            (event_id, user_id, status, now()),
        )
    if cur.rowcount:
        record_change(
            conn,
            "rsvp.changed",
            category_id=_scope(conn, row["group_id"]),
            data={"event_id": event_id},
        )
    return event(conn, viewer, event_id)


# -- a group's meetings ----------------------------------------------------------------------


def _meeting_dicts(
    conn: sqlite3.Connection,
    viewer: Viewer,
    group: sqlite3.Row,
    meetings: list[Meeting],
) -> list[dict[str, Any]]:
    schedule = groups.weekly(group)
    assert schedule is not None
    dates = json.dumps([m.date.isoformat() for m in meetings])
    counts = _counts(
        conn.execute(
            """SELECT occurrence, status, COUNT(*) FROM meeting_rsvps
               WHERE group_id = ? AND occurrence IN (SELECT value FROM json_each(?))
               GROUP BY occurrence, status""",
            (group["id"], dates),
        ).fetchall()
    )
    mine: dict[str, str] = {}
    if viewer.user_id is not None:
        mine = {
            r[0]: r[1]
            for r in conn.execute(
                """SELECT occurrence, status FROM meeting_rsvps WHERE group_id = ? AND user_id = ?
                     AND occurrence IN (SELECT value FROM json_each(?))""",
                (group["id"], viewer.user_id, dates),
            )
        }
    name = groups.display_name(group)
    out = []
    for meeting in meetings:
        day = meeting.date.isoformat()
        out.append(
            {
                "key": f"meeting:{group['name']}:{day}",
                "id": None,
                "kind": "meeting",
                "title": f"{name}: weekly meeting",
                "description": group["goal"],
                "starts_at": iso(meeting.starts_at),
                "ends_at": iso(meeting.ends_at),
                "timezone": schedule.tz.key,
                "starts_at_local": local_iso(meeting.starts_at, schedule.tz),
                "ends_at_local": local_iso(meeting.ends_at, schedule.tz),
                "location": group["meeting_place"],
                "link": group["meeting_link"],
                "group": {"slug": group["name"], "name": name},
                "topic_id": None,
                "topic_title": None,
                "created_by": None,
                "recurring": True,
                "occurrence": day,
                "rsvp_counts": counts.get(day, dict.fromkeys(STATUSES, 0)),
                "my_rsvp": mine.get(day),
                "can_edit": False,
                "created_at": None,
                "updated_at": None,
            }
        )
    return out


def _meeting_on(
    conn: sqlite3.Connection, viewer: Viewer, slug: str, day: str
) -> tuple[sqlite3.Row, Meeting]:
    group = groups.group_row(conn, slug)
    try:
        when = date.fromisoformat(day)
    except ValueError as exc:
        raise Invalid("the date must be YYYY-MM-DD", code="invalid_field") from exc
    schedule = groups.weekly(group)
    # A meeting of a group whose category the viewer cannot see answers like no meeting.
    if (
        schedule is None
        or when.weekday() != schedule.weekday
        or not groups.category_visible(conn, viewer, group)
    ):
        raise NotFound(f"{slug} has no meeting on {day}", code="no_meeting")
    return group, schedule.on(when)


def meeting(conn: sqlite3.Connection, viewer: Viewer, slug: str, day: str) -> dict[str, Any]:
    """One of a group's meetings with who answered how."""
    group, found = _meeting_on(conn, viewer, slug, day)
    out = _meeting_dicts(conn, viewer, group, [found])[0]
    out["attendees"] = _attendees(
        conn,
        """SELECT u.username, u.name, r.status, r.updated_at
           FROM meeting_rsvps r JOIN users u ON u.id = r.user_id
           WHERE r.group_id = ? AND r.occurrence = ?""",
        (group["id"], found.date.isoformat()),
    )
    return out


def set_meeting_rsvp(
    conn: sqlite3.Connection, viewer: Viewer, slug: str, day: str, status: Any
) -> dict[str, Any]:
    """Answer for one meeting of a group (status None takes the answer back)."""
    user_id = require_user(viewer)
    group, found = _meeting_on(conn, viewer, slug, day)
    if status is not None:
        status = _status(status)
    if found.ends_at <= now():
        raise Conflict("this meeting is over", code="event_over")
    occurrence = found.date.isoformat()
    if status is None:
        cur = conn.execute(
            "DELETE FROM meeting_rsvps WHERE group_id = ? AND occurrence = ? AND user_id = ?",
            (group["id"], occurrence, user_id),
        )
    else:
        cur = conn.execute(
            """INSERT INTO meeting_rsvps (group_id, occurrence, user_id, status, updated_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (group_id, occurrence, user_id) DO UPDATE
                 SET status = excluded.status, updated_at = excluded.updated_at
                 WHERE status != excluded.status""",
            (group["id"], occurrence, user_id, status, now()),
        )
    if cur.rowcount:
        record_change(
            conn,
            "rsvp.changed",
            category_id=_scope(conn, group["id"]),
            data={"group": group["name"], "occurrence": occurrence},
        )
    return meeting(conn, viewer, slug, day)


# -- listing -----------------------------------------------------------------------------------


def upcoming(
    conn: sqlite3.Connection,
    viewer: Viewer,
    *,
    start: str | None = None,
    end: str | None = None,
    group: str | None = None,
    rsvp: str | None = None,
    meetings: bool = True,
    limit: int | None = None,
) -> dict[str, Any]:
    """Events and meetings overlapping a window (from now, 30 days, by default), in order
    of start. `rsvp`: only those the viewer answered so (`any`: answered at all)."""
    begin = parse_instant(start, None, "from") if start else now()
    finish = parse_instant(end, None, "to") if end else begin + DEFAULT_WINDOW_DAYS * 86400
    if finish <= begin:
        raise Invalid("to must be after from", code="invalid_field")
    if finish - begin > MAX_WINDOW_DAYS * 86400:
        raise Invalid(f"a window is at most {MAX_WINDOW_DAYS} days", code="invalid_field")
    if rsvp is not None and rsvp not in (*STATUSES, "any"):
        raise Invalid(f"rsvp must be one of {', '.join(STATUSES)} or any", code="invalid_field")
    if rsvp is not None and viewer.user_id is None:
        raise Unauthorized("log in to see the events you answered")
    if limit is not None and limit < 1:
        raise Invalid("limit must be at least 1", code="invalid_field")
    most = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
    visible = visible_category_ids(conn, viewer)
    clause, visible_json = _visible_clause(visible)
    where = ["e.deleted_at IS NULL", "e.ends_at > ?", "e.starts_at < ?", clause]
    params: list[Any] = [begin, finish, visible_json]
    group_row = None
    if group is not None:
        group_row = groups.group_row(conn, group)
        where.append("e.group_id = ?")
        params.append(group_row["id"])
    if rsvp is not None:
        answered = "SELECT event_id FROM event_rsvps WHERE user_id = ?"
        params.append(viewer.user_id)
        if rsvp != "any":
            answered += " AND status = ?"
            params.append(rsvp)
        where.append(f"e.id IN ({answered})")
    rows = conn.execute(
        f"{_EVENT_SELECT} WHERE {' AND '.join(where)} ORDER BY e.starts_at, e.id LIMIT ?",
        (*params, most + 1),
    ).fetchall()
    found = _event_dicts(conn, viewer, rows)
    if meetings:
        scheduled = conn.execute(
            """SELECT * FROM groups WHERE meeting_weekday IS NOT NULL
                 AND (category_id IS NULL OR category_id IN (SELECT value FROM json_each(?)))
                 AND (? IS NULL OR id = ?)""",
            (ids_param(visible), *([group_row["id"]] * 2 if group_row else [None, None])),
        ).fetchall()
        for row in scheduled:
            schedule = groups.weekly(row)
            if schedule is None:
                continue
            items = _meeting_dicts(conn, viewer, row, schedule.between(begin, finish))
            if rsvp is not None:
                items = [m for m in items if m["my_rsvp"] and rsvp in ("any", m["my_rsvp"])]
            found.extend(items)
    found.sort(key=lambda item: (item["starts_at"], item["key"]))
    return {
        "events": found[:most],
        "from": iso(begin),
        "to": iso(finish),
        "truncated": len(found) > most,
    }
