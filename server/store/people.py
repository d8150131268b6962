"""People and their profiles: a short bio, expertise tags, and whether (and for how many
hours a month) they are open to mentoring, so members can find a mentor who fits.

A profile's recent posts are the ones the viewer may read: never a private message, nor
a post in a category hidden from the viewer.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from server.store import groups
from server.store.checks import flag, integer, string_list, text
from server.store.common import iso, record_change, require_user
from server.store.errors import Forbidden, Invalid, NotFound
from server.store.viewer import Viewer, ids_param, visible_category_ids

MAX_NAME = 80
MAX_BIO = 2000
MAX_EXPERTISE = 10
MAX_HOURS = 744  # hours in the longest month
RECENT_POSTS = 10
EXCERPT = 200
DEFAULT_PAGE = 50
MAX_PAGE = 100
_TAG = re.compile(r"^[^\s,#@]{1,40}$")


def _expertise(conn: sqlite3.Connection, user_ids: list[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {uid: [] for uid in user_ids}
    for user_id, tag in conn.execute(
        """SELECT user_id, tag FROM user_expertise
           WHERE user_id IN (SELECT value FROM json_each(?)) ORDER BY user_id, position, tag""",
        (ids_param(user_ids),),
    ):
        tags[int(user_id)].append(tag)
    return tags


def _person(row: sqlite3.Row, expertise: list[str]) -> dict[str, Any]:
    return {
        "username": row["username"],
        "name": row["name"],
        "bio": row["bio"],
        "expertise": expertise,
        "open_to_mentoring": bool(row["open_to_mentoring"]),
        "mentoring_hours": row["mentoring_hours"],
        "is_moderator": bool(row["is_moderator"]),
        "created_at": iso(row["created_at"]),
    }


def people(
    conn: sqlite3.Connection,
    viewer: Viewer,
    *,
    expertise: str | None = None,
    mentors: bool = False,
    q: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> dict[str, Any]:
    """People by name, filtered by an expertise tag, by being open to mentoring, by words
    in their name or bio; with every expertise tag and how many (listed) people have it."""
    if limit is not None and limit < 1:
        raise Invalid("limit must be at least 1", code="invalid_field")
    if offset < 0:
        raise Invalid("offset must not be negative", code="invalid_field")
    page = min(limit or DEFAULT_PAGE, MAX_PAGE)
    where: list[str] = []
    params: list[Any] = []
    if mentors:
        where.append("u.open_to_mentoring = 1")
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            "(u.username LIKE ? ESCAPE '\\' OR u.name LIKE ? ESCAPE '\\'"
            " OR u.bio LIKE ? ESCAPE '\\')"
        )
        params.extend([pattern] * 3)
    # The tags, counted among everyone the other filters let through.
    others = " WHERE " + " AND ".join(where) if where else ""
    counts = conn.execute(
        f"""SELECT e.tag, COUNT(*) AS n FROM user_expertise e
            WHERE e.user_id IN (SELECT u.id FROM users u{others})
            GROUP BY e.tag COLLATE NOCASE ORDER BY n DESC, e.tag COLLATE NOCASE""",
        params,
    ).fetchall()
    if expertise:
        where.append("u.id IN (SELECT user_id FROM user_expertise WHERE tag = ?)")
        params.append(expertise)
    condition = " WHERE " + " AND ".join(where) if where else ""
    rows = conn.execute(
        f"""SELECT u.* FROM users u{condition}
            ORDER BY u.username COLLATE NOCASE LIMIT ? OFFSET ?""",
        (*params, page + 1, offset),
    ).fetchall()
    more = len(rows) > page
    rows = rows[:page]
    tags = _expertise(conn, [r["id"] for r in rows])
    return {
        "people": [_person(r, tags[r["id"]]) for r in rows],
        "next_offset": offset + page if more else None,
        "expertise": [{"tag": r[0], "count": r[1]} for r in counts],
    }


def _user_row(conn: sqlite3.Connection, username: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        raise NotFound(f"no user named {username!r}")
    return row  # type: ignore[no-any-return]


def profile(conn: sqlite3.Connection, viewer: Viewer, username: str) -> dict[str, Any]:
    """A person, their groups, and their most recent posts the viewer may read."""
    row = _user_row(conn, username)
    user_id = int(row["id"])
    out = _person(row, _expertise(conn, [user_id])[user_id])
    out["groups"] = [
        {"slug": g["name"], "name": groups.display_name(g), "roles": groups.roles_of(g["roles"])}
        for g in conn.execute(
            """SELECT g.*, gm.roles FROM groups g JOIN group_members gm ON gm.group_id = g.id
               WHERE gm.user_id = ? ORDER BY COALESCE(NULLIF(g.full_name, ''), g.name)""",
            (user_id,),
        )
    ]
    visible = ids_param(visible_category_ids(conn, viewer))
    readable = """FROM posts p JOIN topics t ON t.id = p.topic_id
        WHERE p.user_id = ? AND p.deleted_at IS NULL AND t.deleted_at IS NULL
          AND t.category_id IN (SELECT value FROM json_each(?))"""
    (out["post_count"],) = conn.execute(
        f"SELECT COUNT(*) {readable}", (user_id, visible)
    ).fetchone()
    out["recent_posts"] = [
        {
            "id": r["id"],
            "topic_id": r["topic_id"],
            "topic_title": r["title"],
            "post_number": r["post_number"],
            "created_at": iso(r["created_at"]),
            "excerpt": r["raw"][:EXCERPT],
        }
        for r in conn.execute(
            f"""SELECT p.id, p.topic_id, p.post_number, p.raw, p.created_at, t.title {readable}
                ORDER BY p.created_at DESC, p.id DESC LIMIT ?""",
            (user_id, visible, RECENT_POSTS),
        )
    ]
    return out


def check_expertise(value: Any) -> list[str]:
    tags: list[str] = []
    for tag in string_list({"expertise": value}, "expertise", MAX_EXPERTISE) or []:
        tag = tag.strip()
        if not _TAG.match(tag):
            raise Invalid(
                f"field expertise: {tag!r} must be 1-40 characters without spaces, commas, # or @",
                code="invalid_field",
            )
        if tag.lower() not in (t.lower() for t in tags):
            tags.append(tag)
    return tags


def update_profile(
    conn: sqlite3.Connection, viewer: Viewer, username: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Edit one's own profile (moderators may edit anyone's)."""
    require_user(viewer)
    row = _user_row(conn, username)
    if row["id"] != viewer.user_id and not viewer.is_moderator:
        raise Forbidden("you can only edit your own profile")
    columns: dict[str, Any] = {}
    if "name" in fields:
        columns["name"] = text(fields, "name", MAX_NAME)
    if "bio" in fields:
        columns["bio"] = text(fields, "bio", MAX_BIO)
    if "open_to_mentoring" in fields:
        columns["open_to_mentoring"] = int(bool(flag(fields, "open_to_mentoring")))
    if "mentoring_hours" in fields:
        columns["mentoring_hours"] = integer(fields, "mentoring_hours", 0, MAX_HOURS)
    tags = check_expertise(fields["expertise"]) if "expertise" in fields else None
    if not columns and tags is None:
        raise Invalid(
            "nothing to change: send name, bio, expertise, open_to_mentoring or mentoring_hours",
            code="missing_field",
        )
    if columns:
        assignments = ", ".join(f"{column} = ?" for column in columns)
        conn.execute(f"UPDATE users SET {assignments} WHERE id = ?", (*columns.values(), row["id"]))
    if tags is not None:
        set_expertise(conn, int(row["id"]), tags)
    record_change(conn, "user.updated", data={"username": row["username"]})
    return profile(conn, viewer, row["username"])


def set_expertise(conn: sqlite3.Connection, user_id: int, tags: list[str]) -> None:
    conn.execute("DELETE FROM user_expertise WHERE user_id = ?", (user_id,))
    conn.executemany(
        "INSERT INTO user_expertise (user_id, tag, position) VALUES (?, ?, ?)",
        [(user_id, tag, n) for n, tag in enumerate(tags)],
    )
