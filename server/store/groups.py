"""Study groups: who is in them, how one gets in, when they meet, and the category they own.

A study group is a row of `groups` (the table restricted categories already use), so
its members see the category it owns through the usual category rules. Its `name` is
the handle, shown as `slug` (as Discourse's group name is); `full_name` is what people
read. Admission is open (join at once), request (an organiser approves) or invite (only
organisers add people). Organisers are members holding the role "organiser"; moderators
may do whatever organisers may. A group keeps at least one organiser once it has one.

That is also what tells the two kinds of group apart: a study group is run by organisers
(made through POST /groups, `cohort admin add-group --organiser`, or seeded as one); a
group without any, made with `cohort admin add-group NAME`, only grants access to the
categories it is given ("access": Mentors, Organisers), and moderators manage it.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

from server.store import accounts
from server.store.checks import integer, no_controls, string_list, text, web_link
from server.store.common import can_see_category, iso, now, record_change, require_user
from server.store.errors import Conflict, Forbidden, Invalid, NotFound
from server.store.times import (
    WEEKDAYS,
    Meeting,
    Weekly,
    local_iso,
    parse_clock,
    parse_weekday,
    zone,
)
from server.store.viewer import Viewer

ADMISSIONS = ("open", "request", "invite")
KINDS = ("study", "access")
ORGANISER = "organiser"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_NAME = 80
MAX_GOAL = 2000
MAX_EXPECTATIONS = 4000
MAX_PLACE = 200
MAX_MESSAGE = 1000
MAX_ROLE = 30
MAX_ROLES = 10
DEFAULT_MINUTES = 60
MAX_MINUTES = 12 * 60


# -- reading a group ------------------------------------------------------------------------


def group_row(conn: sqlite3.Connection, slug: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM groups WHERE name = ?", (slug,)).fetchone()
    if row is None:
        raise NotFound(f"no group {slug!r}")
    return row  # type: ignore[no-any-return]


def weekly(row: sqlite3.Row) -> Weekly | None:
    """The group's weekly schedule, or None when it has none."""
    if row["meeting_weekday"] is None or not row["meeting_time"] or not row["meeting_timezone"]:
        return None
    return Weekly(
        int(row["meeting_weekday"]),
        row["meeting_time"],
        ZoneInfo(row["meeting_timezone"]),
        int(row["meeting_minutes"] or DEFAULT_MINUTES),
    )


def display_name(row: sqlite3.Row) -> str:
    return str(row["full_name"] or row["name"])


def meeting_times(meeting: Meeting, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "date": meeting.date.isoformat(),
        "starts_at": iso(meeting.starts_at),
        "ends_at": iso(meeting.ends_at),
        "starts_at_local": local_iso(meeting.starts_at, tz),
        "ends_at_local": local_iso(meeting.ends_at, tz),
    }


def _schedule(row: sqlite3.Row) -> dict[str, Any] | None:
    if weekly(row) is None:
        return None
    return {
        "weekday": WEEKDAYS[int(row["meeting_weekday"])],
        "time": row["meeting_time"],
        "timezone": row["meeting_timezone"],
        "duration_minutes": int(row["meeting_minutes"] or DEFAULT_MINUTES),
        "place": row["meeting_place"],
        "link": row["meeting_link"],
    }


def roles_of(value: str | None) -> list[str]:
    return list(json.loads(value or "[]"))


def membership(conn: sqlite3.Connection, group_id: int, user_id: int | None) -> list[str] | None:
    """The member's roles, or None when they are not a member."""
    if user_id is None:
        return None
    row = conn.execute(
        "SELECT roles FROM group_members WHERE group_id = ? AND user_id = ?", (group_id, user_id)
    ).fetchone()
    return None if row is None else roles_of(row[0])


def can_manage(conn: sqlite3.Connection, viewer: Viewer, group: sqlite3.Row) -> bool:
    """Organisers and moderators manage a group."""
    if viewer.is_moderator:
        return True
    roles = membership(conn, group["id"], viewer.user_id)
    return roles is not None and ORGANISER in roles


def _require_manager(
    conn: sqlite3.Connection, viewer: Viewer, group: sqlite3.Row, what: str
) -> None:
    require_user(viewer)
    if not can_manage(conn, viewer, group):
        raise Forbidden(f"only the group's organisers (or a moderator) can {what}")


def category_visible(conn: sqlite3.Connection, viewer: Viewer, group: sqlite3.Row) -> bool:
    """Whether what belongs to the group (its events, its meetings) shows to the viewer:
    always, unless the group owns a category the viewer cannot see."""
    return group["category_id"] is None or can_see_category(conn, viewer, group["category_id"])


def _members(conn: sqlite3.Connection, group_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        """SELECT u.username, u.name, gm.roles, gm.joined_at
           FROM group_members gm JOIN users u ON u.id = gm.user_id
           WHERE gm.group_id = ?
           ORDER BY NOT EXISTS (SELECT 1 FROM json_each(gm.roles) WHERE value = 'organiser'),
                    gm.joined_at, u.username""",
        (group_id,),
    ).fetchall()
    return [
        {
            "username": r["username"],
            "name": r["name"],
            "roles": roles_of(r["roles"]),
            "joined_at": iso(r["joined_at"]),
        }
        for r in rows
    ]


def _organiser_ids(conn: sqlite3.Connection, group_id: int) -> list[int]:
    return [
        int(r[0])
        for r in conn.execute(
            """SELECT user_id FROM group_members gm WHERE group_id = ?
                 AND EXISTS (SELECT 1 FROM json_each(gm.roles) WHERE value = 'organiser')""",
            (group_id,),
        )
    ]


def group_dict(
    conn: sqlite3.Connection, viewer: Viewer, row: sqlite3.Row, *, detail: bool = False
) -> dict[str, Any]:
    group_id = int(row["id"])
    roles = membership(conn, group_id, viewer.user_id)
    requested = (
        roles is None
        and viewer.user_id is not None
        and conn.execute(
            "SELECT 1 FROM group_requests WHERE group_id = ? AND user_id = ?",
            (group_id, viewer.user_id),
        ).fetchone()
        is not None
    )
    manage = can_manage(conn, viewer, row) if viewer.user_id is not None else False
    schedule = weekly(row)
    category = None
    if row["category_id"] is not None and can_see_category(conn, viewer, row["category_id"]):
        cat = conn.execute(
            "SELECT id, slug, name FROM categories WHERE id = ?", (row["category_id"],)
        ).fetchone()
        category = {"id": cat["id"], "slug": cat["slug"], "name": cat["name"]}
    organisers = [
        r[0]
        for r in conn.execute(
            """SELECT u.username FROM group_members gm JOIN users u ON u.id = gm.user_id
               WHERE gm.group_id = ?
                 AND EXISTS (SELECT 1 FROM json_each(gm.roles) WHERE value = 'organiser')
               ORDER BY gm.joined_at, u.username""",
            (group_id,),
        )
    ]
    (member_count,) = conn.execute(
        "SELECT COUNT(*) FROM group_members WHERE group_id = ?", (group_id,)
    ).fetchone()
    pending = None
    if manage:
        (pending,) = conn.execute(
            "SELECT COUNT(*) FROM group_requests WHERE group_id = ?", (group_id,)
        ).fetchone()
    out: dict[str, Any] = {
        "slug": row["name"],
        "name": display_name(row),
        "kind": "study" if organisers else "access",
        "goal": row["goal"],
        "expectations": row["expectations"],
        "admission": row["admission"],
        "schedule": _schedule(row),
        "next_meeting": (
            meeting_times(schedule.next_after(now()), schedule.tz) if schedule else None
        ),
        "has_category": row["category_id"] is not None,
        "category": category,
        "member_count": member_count,
        "organisers": organisers,
        "my_status": "member" if roles is not None else "requested" if requested else "none",
        "my_roles": roles or [],
        "can_manage": manage,
        "pending_requests": pending,
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"] or row["created_at"]),
    }
    if detail:
        out["members"] = _members(conn, group_id)
    return out


def list_groups(
    conn: sqlite3.Connection,
    viewer: Viewer,
    *,
    q: str | None = None,
    mine: bool = False,
    admission: str | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    where: list[str] = []
    params: list[Any] = []
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            "(g.name LIKE ? ESCAPE '\\' OR g.full_name LIKE ? ESCAPE '\\'"
            " OR g.goal LIKE ? ESCAPE '\\')"
        )
        params.extend([pattern] * 3)
    if mine:
        require_user(viewer)
        where.append("g.id IN (SELECT group_id FROM group_members WHERE user_id = ?)")
        params.append(viewer.user_id)
    if admission is not None:
        if admission not in ADMISSIONS:
            raise Invalid(f"admission must be one of {', '.join(ADMISSIONS)}", code="invalid_field")
        where.append("g.admission = ?")
        params.append(admission)
    if kind is not None:
        if kind not in KINDS:
            raise Invalid(f"kind must be one of {', '.join(KINDS)}", code="invalid_field")
        where.append(
            ("" if kind == "study" else "NOT ")
            + """EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id
                 AND EXISTS (SELECT 1 FROM json_each(gm.roles) WHERE value = 'organiser'))"""
        )
    sql = "SELECT g.* FROM groups g"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = conn.execute(sql + " ORDER BY COALESCE(NULLIF(g.full_name, ''), g.name)", params)
    return {"groups": [group_dict(conn, viewer, r) for r in rows.fetchall()]}


def group(conn: sqlite3.Connection, viewer: Viewer, slug: str) -> dict[str, Any]:
    return group_dict(conn, viewer, group_row(conn, slug), detail=True)


def members(conn: sqlite3.Connection, viewer: Viewer, slug: str) -> dict[str, Any]:
    return {"members": _members(conn, int(group_row(conn, slug)["id"]))}


def requests(conn: sqlite3.Connection, viewer: Viewer, slug: str) -> dict[str, Any]:
    row = group_row(conn, slug)
    _require_manager(conn, viewer, row, "see requests to join")
    return {
        "requests": [
            {
                "username": r["username"],
                "name": r["name"],
                "message": r["message"],
                "created_at": iso(r["created_at"]),
            }
            for r in conn.execute(
                """SELECT u.username, u.name, gr.message, gr.created_at
                   FROM group_requests gr JOIN users u ON u.id = gr.user_id
                   WHERE gr.group_id = ? ORDER BY gr.created_at, u.username""",
                (row["id"],),
            )
        ]
    }


# -- checking what people send -----------------------------------------------------------


def parse_schedule(value: Any, name: str = "schedule") -> dict[str, Any]:
    """A weekly schedule as the group's columns (all None when `value` is None: no schedule)."""
    if value is None:
        return {
            "meeting_weekday": None,
            "meeting_time": None,
            "meeting_timezone": None,
            "meeting_minutes": None,
            "meeting_place": "",
            "meeting_link": "",
        }
    if not isinstance(value, dict):
        raise Invalid(
            f"field {name} must be an object with weekday, time and timezone (or null)",
            code="invalid_field",
        )
    for key in ("weekday", "time", "timezone"):
        if value.get(key) is None:
            raise Invalid(f"missing field: {name}.{key}", code="missing_field")
    tz = zone(value["timezone"], f"{name}.timezone")
    return {
        "meeting_weekday": parse_weekday(value["weekday"], f"{name}.weekday"),
        "meeting_time": parse_clock(value["time"], f"{name}.time"),
        "meeting_timezone": tz.key,
        "meeting_minutes": integer(
            {f"{name}.duration_minutes": value.get("duration_minutes")},
            f"{name}.duration_minutes",
            1,
            MAX_MINUTES,
            default=DEFAULT_MINUTES,
        ),
        "meeting_place": text({f"{name}.place": value.get("place")}, f"{name}.place", MAX_PLACE),
        "meeting_link": web_link(value.get("link"), f"{name}.link"),
    }


def check_roles(value: Any, name: str = "roles") -> list[str]:
    """Named roles: each a short line; 'organizer' is spelled 'organiser'; no repeats."""
    names = string_list({name: value}, name, MAX_ROLES) or []
    roles: list[str] = []
    for raw in names:
        role = raw.strip()
        if role.lower() in ("organiser", "organizer"):
            role = ORGANISER
        if not role or len(role) > MAX_ROLE or not no_controls(role):
            raise Invalid(
                f"field {name}: each role is 1-{MAX_ROLE} characters on one line",
                code="invalid_field",
            )
        if role.lower() not in (r.lower() for r in roles):
            roles.append(role)
    return roles


def _admission(value: Any) -> str:
    if value not in ADMISSIONS:
        raise Invalid(
            f"field admission must be one of {', '.join(ADMISSIONS)}", code="invalid_field"
        )
    return str(value)


def _user(conn: sqlite3.Connection, username: Any, name: str = "username") -> sqlite3.Row:
    if not isinstance(username, str) or not username:
        raise Invalid(f"missing field: {name}", code="missing_field")
    row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        raise NotFound(f"no user named {username!r}", code="unknown_user")
    return row  # type: ignore[no-any-return]


# -- writes -------------------------------------------------------------------------------


def notify_user(
    conn: sqlite3.Connection, user_id: int, kind: str, actor_id: int | None, data: dict[str, Any]
) -> None:
    """A notification about something other than a post (a request to join, say)."""
    if user_id == actor_id:
        return
    cur = conn.execute(
        """INSERT INTO notifications (user_id, kind, actor_id, data, created_at)
           VALUES (?, ?, ?, ?, ?)""",
        (user_id, kind, actor_id, json.dumps(data), now()),
    )
    record_change(
        conn,
        "notification.created",
        user_id=user_id,
        data={"notification_id": cur.lastrowid, "kind": kind},
    )


def _changed(conn: sqlite3.Connection, row: sqlite3.Row, **data: Any) -> None:
    record_change(conn, "group.updated", data={"group": row["name"], **data})


def _membership_changed(
    conn: sqlite3.Connection, row: sqlite3.Row, user_id: int, status: str
) -> None:
    """Tell the person whose membership changed (their categories may have, too)."""
    record_change(
        conn, "group.membership", user_id=user_id, data={"group": row["name"], "status": status}
    )


def _own_category(
    conn: sqlite3.Connection, group: sqlite3.Row, spec: Any, name: str, full_name: str
) -> int:
    """A category restricted to the group, which the group owns."""
    if spec is True:
        spec = {}
    if not isinstance(spec, dict):
        raise Invalid(
            "field category must be true or an object with slug, name and description",
            code="invalid_field",
        )
    slug = spec.get("slug") if spec.get("slug") is not None else name
    if not isinstance(slug, str):
        raise Invalid("field category.slug must be a string", code="invalid_field")
    category_id = accounts.add_category(
        conn,
        slug,
        text(spec, "name", MAX_NAME) or full_name,
        description=text(spec, "description", MAX_GOAL),
        guidelines=text(spec, "guidelines", MAX_EXPECTATIONS),
        groups=[name],
    )
    conn.execute("UPDATE groups SET category_id = ? WHERE id = ?", (category_id, group["id"]))
    return category_id


def enrol(
    conn: sqlite3.Connection, group: sqlite3.Row, user_id: int, roles: list[str], when: float
) -> None:
    conn.execute(
        "INSERT INTO group_members (group_id, user_id, roles, joined_at) VALUES (?, ?, ?, ?)",
        (group["id"], user_id, json.dumps(roles), when),
    )
    conn.execute(
        "DELETE FROM group_requests WHERE group_id = ? AND user_id = ?", (group["id"], user_id)
    )
    _membership_changed(conn, group, user_id, "member")
    _changed(conn, group, member_count=True)


def create_group(
    conn: sqlite3.Connection,
    viewer: Viewer,
    fields: dict[str, Any],
    *,
    created_at: float | None = None,
) -> dict[str, Any]:
    """A new study group; whoever makes it is its first organiser."""
    user_id = require_user(viewer)
    slug = fields.get("slug")
    if slug is None:
        raise Invalid("missing field: slug", code="missing_field")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise Invalid(
            "field slug: 1-40 lowercase letters, digits and '-', starting with a letter or digit",
            code="invalid_field",
        )
    if conn.execute("SELECT 1 FROM groups WHERE name = ?", (slug,)).fetchone():
        raise Conflict(f"a group {slug!r} already exists", code="exists")
    full_name = text(fields, "name", MAX_NAME, required=True)
    admission = _admission(fields.get("admission", "open"))
    schedule = parse_schedule(fields.get("schedule"))
    when = created_at if created_at is not None else now()
    cur = conn.execute(
        """INSERT INTO groups (name, full_name, goal, expectations, admission, meeting_weekday,
                               meeting_time, meeting_timezone, meeting_minutes, meeting_place,
                               meeting_link, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            slug,
            full_name,
            text(fields, "goal", MAX_GOAL),
            text(fields, "expectations", MAX_EXPECTATIONS),
            admission,
            schedule["meeting_weekday"],
            schedule["meeting_time"],
            schedule["meeting_timezone"],
            schedule["meeting_minutes"],
            schedule["meeting_place"],
            schedule["meeting_link"],
            when,
            when,
        ),
    )
    row = conn.execute("SELECT * FROM groups WHERE id = ?", (cur.lastrowid,)).fetchone()
    conn.execute(
        "INSERT INTO group_members (group_id, user_id, roles, joined_at) VALUES (?, ?, ?, ?)",
        (row["id"], user_id, json.dumps([ORGANISER]), when),
    )
    if fields.get("category") not in (None, False):
        _own_category(conn, row, fields["category"], slug, full_name)
    record_change(conn, "group.created", data={"group": slug})
    _membership_changed(conn, row, user_id, "member")
    return group(conn, viewer, slug)


def create_for(
    conn: sqlite3.Connection, organisers: list[str], fields: dict[str, Any]
) -> dict[str, Any]:
    """A study group made by an administrator for the people who will run it."""
    if not organisers:
        raise Invalid("a study group needs an organiser", code="missing_field")
    first, *others = (_user(conn, name, "organiser") for name in organisers)
    viewer = accounts.viewer_for(first)
    made = create_group(conn, viewer, fields)
    row = group_row(conn, made["slug"])
    for user in others:
        if membership(conn, row["id"], user["id"]) is None:
            enrol(conn, row, user["id"], [ORGANISER], now())
    return group(conn, viewer, made["slug"])


def update_group(
    conn: sqlite3.Connection, viewer: Viewer, slug: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Change a group's name, goal, expectations, admission or schedule; give it its own
    category (once)."""
    row = group_row(conn, slug)
    _require_manager(conn, viewer, row, "change the group")
    columns: dict[str, Any] = {}
    if "name" in fields:
        columns["full_name"] = text(fields, "name", MAX_NAME, required=True)
    if "goal" in fields:
        columns["goal"] = text(fields, "goal", MAX_GOAL)
    if "expectations" in fields:
        columns["expectations"] = text(fields, "expectations", MAX_EXPECTATIONS)
    if "admission" in fields:
        columns["admission"] = _admission(fields["admission"])
    if "schedule" in fields:
        columns.update(parse_schedule(fields["schedule"]))
    wants_category = fields.get("category") not in (None, False)
    if not columns and not wants_category:
        raise Invalid(
            "nothing to change: send name, goal, expectations, admission, schedule or category",
            code="missing_field",
        )
    if wants_category and row["category_id"] is not None:
        raise Conflict("the group already has its category", code="has_category")
    if columns:
        assignments = ", ".join(f"{column} = ?" for column in columns)
        conn.execute(
            f"UPDATE groups SET {assignments}, updated_at = ? WHERE id = ?",
            (*columns.values(), now(), row["id"]),
        )
    if wants_category:
        _own_category(conn, row, fields["category"], row["name"], display_name(row))
    _changed(conn, row, fields=sorted(k for k in fields if k in _EDITABLE))
    return group(conn, viewer, slug)


_EDITABLE = ("name", "goal", "expectations", "admission", "schedule", "category")


def join(conn: sqlite3.Connection, viewer: Viewer, slug: str) -> dict[str, Any]:
    """Join an open group (already a member: nothing changes)."""
    user_id = require_user(viewer)
    row = group_row(conn, slug)
    if membership(conn, row["id"], user_id) is not None:
        return group(conn, viewer, slug)
    if row["admission"] == "request":
        raise Forbidden(
            "this group admits people by request: ask to join it", code="request_required"
        )
    if row["admission"] == "invite":
        raise Forbidden("this group is invite-only: its organisers add members", code="invite_only")
    enrol(conn, row, user_id, [], now())
    return group(conn, viewer, slug)


def request_to_join(
    conn: sqlite3.Connection, viewer: Viewer, slug: str, message: str = ""
) -> dict[str, Any]:
    """Ask to join a request-to-join group; its organisers are notified (asking again only
    updates the message)."""
    user_id = require_user(viewer)
    row = group_row(conn, slug)
    if len(message) > MAX_MESSAGE:
        raise Invalid(
            f"field message must be at most {MAX_MESSAGE} characters", code="invalid_field"
        )
    if membership(conn, row["id"], user_id) is not None:
        raise Conflict("you are already a member", code="already_member")
    if row["admission"] == "open":
        raise Conflict("this group is open: join it instead", code="open_group")
    if row["admission"] == "invite":
        raise Forbidden("this group is invite-only: its organisers add members", code="invite_only")
    cur = conn.execute(
        """INSERT INTO group_requests (group_id, user_id, message, created_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (group_id, user_id) DO UPDATE SET message = excluded.message""",
        (row["id"], user_id, message, now()),
    )
    if cur.rowcount:
        for organiser in _organiser_ids(conn, row["id"]):
            notify_user(
                conn,
                organiser,
                "group_request",
                user_id,
                {
                    "group": row["name"],
                    "group_name": display_name(row),
                    "username": viewer.username,
                },
            )
        _membership_changed(conn, row, user_id, "requested")
    return group(conn, viewer, slug)


def approve(conn: sqlite3.Connection, viewer: Viewer, slug: str, username: str) -> dict[str, Any]:
    row = group_row(conn, slug)
    _require_manager(conn, viewer, row, "approve requests")
    user = _user(conn, username)
    pending = conn.execute(
        "SELECT 1 FROM group_requests WHERE group_id = ? AND user_id = ?", (row["id"], user["id"])
    ).fetchone()
    if pending is None:
        raise NotFound(f"{username} has not asked to join", code="no_request")
    enrol(conn, row, user["id"], [], now())
    notify_user(
        conn,
        user["id"],
        "group_approved",
        viewer.user_id,
        {"group": row["name"], "group_name": display_name(row)},
    )
    return group(conn, viewer, slug)


def deny(conn: sqlite3.Connection, viewer: Viewer, slug: str, username: str) -> dict[str, Any]:
    """Turn a request down (organisers), or withdraw one's own."""
    user_id = require_user(viewer)
    row = group_row(conn, slug)
    user = _user(conn, username)
    if user["id"] != user_id and not can_manage(conn, viewer, row):
        raise Forbidden("only the group's organisers (or a moderator) can turn requests down")
    cur = conn.execute(
        "DELETE FROM group_requests WHERE group_id = ? AND user_id = ?", (row["id"], user["id"])
    )
    if not cur.rowcount:
        raise NotFound(f"{username} has not asked to join", code="no_request")
    _membership_changed(conn, row, user["id"], "none")
    return group(conn, viewer, slug)


def add_member(
    conn: sqlite3.Connection,
    viewer: Viewer,
    slug: str,
    username: Any,
    roles: list[str] | None = None,
) -> dict[str, Any]:
    """Organisers invite someone in: they become a member at once and are told so."""
    row = group_row(conn, slug)
    _require_manager(conn, viewer, row, "add members")
    if not isinstance(username, str) or not username:
        raise Invalid("missing field: username", code="missing_field")
    user = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    if user is None:
        raise Invalid(f"field username: no user named {username!r}", code="unknown_user")
    if membership(conn, row["id"], user["id"]) is not None:
        raise Conflict(f"{username} is already a member", code="already_member")
    enrol(conn, row, user["id"], roles or [], now())
    notify_user(
        conn,
        user["id"],
        "group_added",
        viewer.user_id,
        {"group": row["name"], "group_name": display_name(row)},
    )
    return group(conn, viewer, slug)


def _keep_an_organiser(conn: sqlite3.Connection, row: sqlite3.Row, user_id: int) -> None:
    if _organiser_ids(conn, row["id"]) == [user_id]:
        raise Conflict(
            "the group's last organiser cannot step down: make someone else an organiser first",
            code="last_organiser",
        )


def remove_member(
    conn: sqlite3.Connection, viewer: Viewer, slug: str, username: str
) -> dict[str, Any]:
    """Leave a group, or (organisers) remove someone from it."""
    user_id = require_user(viewer)
    row = group_row(conn, slug)
    user = _user(conn, username)
    if user["id"] != user_id and not can_manage(conn, viewer, row):
        raise Forbidden("only the group's organisers (or a moderator) can remove members")
    roles = membership(conn, row["id"], user["id"])
    if roles is None:
        raise NotFound(f"{username} is not a member", code="not_member")
    if ORGANISER in roles:
        _keep_an_organiser(conn, row, user["id"])
    conn.execute(
        "DELETE FROM group_members WHERE group_id = ? AND user_id = ?", (row["id"], user["id"])
    )
    _membership_changed(conn, row, user["id"], "none")
    _changed(conn, row, member_count=True)
    return group(conn, viewer, slug)


def set_roles(
    conn: sqlite3.Connection, viewer: Viewer, slug: str, username: str, roles: Any
) -> dict[str, Any]:
    row = group_row(conn, slug)
    _require_manager(conn, viewer, row, "give roles")
    if roles is None:
        raise Invalid("missing field: roles", code="missing_field")
    wanted = check_roles(roles)
    user = _user(conn, username)
    current = membership(conn, row["id"], user["id"])
    if current is None:
        raise NotFound(f"{username} is not a member", code="not_member")
    if ORGANISER in current and ORGANISER not in wanted:
        _keep_an_organiser(conn, row, user["id"])
    conn.execute(
        "UPDATE group_members SET roles = ? WHERE group_id = ? AND user_id = ?",
        (json.dumps(wanted), row["id"], user["id"]),
    )
    _changed(conn, row, roles=user["username"])
    return group(conn, viewer, slug)
