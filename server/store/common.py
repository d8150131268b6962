"""Small pieces shared by the store's reads and writes: time, lookups, permission checks."""

from __future__ import annotations

import json
import math
import sqlite3
import time
from datetime import date
from typing import Any

from server.store.errors import Forbidden, NotFound, Unauthorized
from server.store.viewer import Viewer, visible_category_ids


def now() -> float:
    return time.time()


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAYS: dict[int, str] = {}  # days since the epoch -> "YYYY-MM-DD"; one per day the forum saw
_MINUTES = [f"T{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
_SECONDS = [f"{s:02d}." for s in range(60)]
_MILLIS = [f"{ms:03d}Z" for ms in range(1000)]


def iso(ts: float | None) -> str | None:
    """`ts` as UTC ISO 8601 with milliseconds: exactly what
    `datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")` gives (with Z),
    from lookup tables, because a page of posts formats dozens of these."""
    if ts is None:
        return None
    whole = math.floor(ts)
    micros = round((ts - whole) * 1e6)  # datetime rounds to microseconds half-even, too
    if micros >= 1_000_000:
        whole += 1
        micros -= 1_000_000
    day, secs = divmod(whole, 86400)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = date.fromordinal(_EPOCH_ORDINAL + day).isoformat()
    minute, sec = divmod(secs, 60)
    return prefix + _MINUTES[minute] + _SECONDS[sec] + _MILLIS[micros // 1000]


def require_user(viewer: Viewer) -> int:
    if viewer.user_id is None:
        raise Unauthorized("log in to do this")
    return viewer.user_id


def can_see_category(conn: sqlite3.Connection, viewer: Viewer, category_id: int) -> bool:
    return category_id in visible_category_ids(conn, viewer)


def can_see_topic(
    conn: sqlite3.Connection, viewer: Viewer, topic_id: int, category_id: int
) -> bool:
    """A topic shows where its category does; a private message (whose category no one
    sees) only to its participants (see store/private.py)."""
    if can_see_category(conn, viewer, category_id):
        return True
    if viewer.user_id is None:
        return False
    row = conn.execute(
        "SELECT 1 FROM topic_participants WHERE topic_id = ? AND user_id = ?",
        (topic_id, viewer.user_id),
    ).fetchone()
    return row is not None


def topic_row(conn: sqlite3.Connection, viewer: Viewer, topic_id: int) -> sqlite3.Row:
    """The topic, or NotFound when it does not exist, was deleted, or is hidden from the viewer.

    A hidden topic answers exactly like a missing one, so its existence does not leak.
    """
    row = conn.execute(
        "SELECT * FROM topics WHERE id = ? AND deleted_at IS NULL", (topic_id,)
    ).fetchone()
    if row is None or not can_see_topic(conn, viewer, topic_id, row["category_id"]):
        raise NotFound(f"topic {topic_id} not found")
    return row  # type: ignore[no-any-return]


def post_row(conn: sqlite3.Connection, viewer: Viewer, post_id: int) -> sqlite3.Row:
    row = conn.execute(
        """SELECT p.*, t.category_id FROM posts p JOIN topics t ON t.id = p.topic_id
           WHERE p.id = ? AND t.deleted_at IS NULL""",
        (post_id,),
    ).fetchone()
    if row is None or not can_see_topic(conn, viewer, row["topic_id"], row["category_id"]):
        raise NotFound(f"post {post_id} not found")
    return row  # type: ignore[no-any-return]


def category_row(conn: sqlite3.Connection, viewer: Viewer, ref: int | str) -> sqlite3.Row:
    """A category by id or slug, if the viewer can see it."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        row = conn.execute("SELECT * FROM categories WHERE id = ?", (int(ref),)).fetchone()
    else:
        row = conn.execute("SELECT * FROM categories WHERE slug = ?", (ref,)).fetchone()
    if row is None or not can_see_category(conn, viewer, row["id"]):
        raise NotFound(f"category {ref!s} not found")
    return row  # type: ignore[no-any-return]


def require_owner_or_moderator(viewer: Viewer, owner_id: int, what: str) -> None:
    require_user(viewer)
    if viewer.user_id != owner_id and not viewer.is_moderator:
        raise Forbidden(f"only its author or a moderator can {what}")


def record_change(
    conn: sqlite3.Connection,
    kind: str,
    *,
    category_id: int | None = None,
    topic_id: int | None = None,
    post_id: int | None = None,
    user_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """Append to the change feed inside the caller's transaction; returns the sequence number."""
    cur = conn.execute(
        """INSERT INTO changes (kind, category_id, topic_id, post_id, user_id, data, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (kind, category_id, topic_id, post_id, user_id, json.dumps(data or {}), now()),
    )
    return int(cur.lastrowid or 0)


def get_setting(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else default
