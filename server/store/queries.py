"""Reads. Every function takes the viewer and hides what the viewer may not see."""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from typing import Any

import orjson

from server.store.common import (
    can_see_topic,
    category_row,
    iso,
    now,
    topic_row,
)
from server.store.errors import CursorExpired, Invalid, NotFound, Unauthorized
from server.store.private import (
    MESSAGES_SLUG,
    PARTICIPATING,
    participants,
    unread_message_count,
)
from server.store.viewer import Viewer, ids_param, visible_category_ids

FIRST_CHUNK = 20
MAX_PAGE = 100
NEW_TOPIC_DAYS = 14


# -- cursors ------------------------------------------------------------------------------


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise Invalid("cursor is not one this server gave out", code="invalid_cursor") from exc
    if not isinstance(values, list) or len(values) != length:
        raise Invalid("cursor is not one this server gave out", code="invalid_cursor")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise Invalid("cursor is not one this server gave out", code="invalid_cursor")
    # SQLite integers are 64-bit: a forged bigger one would raise OverflowError (a 500).
    if not all(-(2**63) <= v < 2**63 for v in values if isinstance(v, int)):
        raise Invalid("cursor is not one this server gave out", code="invalid_cursor")
    return values


def clamp_limit(limit: int | None, default: int = 30) -> int:
    if limit is None:
        return default
    if limit < 1:
        raise Invalid("limit must be at least 1", code="invalid_field")
    return min(limit, MAX_PAGE)


# -- users and categories -----------------------------------------------------------------


def me(conn: sqlite3.Connection, viewer: Viewer) -> dict[str, Any]:
    if viewer.user_id is None:
        raise Unauthorized("not logged in")
    row = conn.execute("SELECT * FROM users WHERE id = ?", (viewer.user_id,)).fetchone()
    groups = [
        r[0]
        for r in conn.execute(
            """SELECT g.name FROM groups g JOIN group_members m ON m.group_id = g.id
               WHERE m.user_id = ? ORDER BY g.name""",
            (viewer.user_id,),
        )
    ]
    unread = unread_notification_count(conn, viewer)
    return {
        "id": row["id"],
        "username": row["username"],
        "name": row["name"],
        "bio": row["bio"],
        "is_moderator": bool(row["is_moderator"]),
        "groups": groups,
        "created_at": iso(row["created_at"]),
        "unread_notifications": unread,
        "unread_messages": unread_message_count(conn, viewer.user_id),
    }


def categories(conn: sqlite3.Connection, viewer: Viewer) -> dict[str, Any]:
    visible = ids_param(visible_category_ids(conn, viewer))
    rows = conn.execute(
        """SELECT c.*,
             (SELECT COUNT(*) FROM topics t WHERE t.category_id = c.id AND t.deleted_at IS NULL)
               AS topic_count,
             (SELECT COALESCE(SUM(t.posts_count), 0) FROM topics t
               WHERE t.category_id = c.id AND t.deleted_at IS NULL) AS post_count,
             (SELECT group_concat(g.name, ',') FROM category_groups cg
               JOIN groups g ON g.id = cg.group_id WHERE cg.category_id = c.id) AS group_names
           FROM categories c WHERE c.id IN (SELECT value FROM json_each(?))
           ORDER BY c.position, c.id""",
        (visible,),
    ).fetchall()
    unread: dict[int, int] = {}
    if viewer.user_id is not None:
        for r in conn.execute(
            """SELECT t.category_id, COUNT(*) FROM topics t
               JOIN read_state rs ON rs.topic_id = t.id AND rs.user_id = ?
               WHERE t.deleted_at IS NULL AND rs.last_read_post_number < t.highest_post_number
               GROUP BY t.category_id""",
            (viewer.user_id,),
        ):
            unread[int(r[0])] = int(r[1])
    return {
        "categories": [
            {
                "id": r["id"],
                "slug": r["slug"],
                "name": r["name"],
                "description": r["description"],
                "guidelines": r["guidelines"],
                "position": r["position"],
                "restricted": r["group_names"] is not None,
                "groups": sorted(r["group_names"].split(",")) if r["group_names"] else [],
                "topic_count": r["topic_count"],
                "post_count": r["post_count"],
                "unread_topics": unread.get(r["id"], 0),
            }
            for r in rows
        ]
    }


# -- topics -------------------------------------------------------------------------------


def _tags_for(conn: sqlite3.Connection, topic_ids: list[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {tid: [] for tid in topic_ids}
    for r in conn.execute(
        """SELECT topic_id, tag FROM topic_tags WHERE topic_id IN (SELECT value FROM json_each(?))
           ORDER BY tag""",
        (ids_param(topic_ids),),
    ):
        tags[int(r[0])].append(r[1])
    return tags


_TOPIC_COLUMNS = """t.*, c.slug AS category_slug, u.username AS author,
    lp.username AS last_poster, rs.last_read_post_number AS last_read,
    (SELECT post_number FROM posts WHERE id = t.solution_post_id) AS solution_post_number"""

_TOPIC_JOINS = """FROM topics t
    JOIN categories c ON c.id = t.category_id
    JOIN users u ON u.id = t.user_id
    LEFT JOIN posts lpp ON lpp.topic_id = t.id AND lpp.post_number = t.highest_post_number
    LEFT JOIN users lp ON lp.id = lpp.user_id
    LEFT JOIN read_state rs ON rs.topic_id = t.id AND rs.user_id = ?"""


def _topic_dict(row: sqlite3.Row, tags: list[str]) -> dict[str, Any]:
    last_read = row["last_read"]
    unread = row["highest_post_number"] - (last_read or 0)
    return {
        "id": row["id"],
        "title": row["title"],
        "category_id": row["category_id"],
        "category_slug": row["category_slug"],
        "username": row["author"],
        "created_at": iso(row["created_at"]),
        "bumped_at": iso(row["bumped_at"]),
        "last_poster": row["last_poster"],
        "posts_count": row["posts_count"],
        "reply_count": max(row["posts_count"] - 1, 0),
        "highest_post_number": row["highest_post_number"],
        "like_count": row["like_count"],
        "closed": bool(row["closed"]),
        "pinned": bool(row["pinned"]),
        "solved": row["solution_post_id"] is not None,
        "solution_post_number": row["solution_post_number"],
        "tags": tags,
        "last_read_post_number": last_read,
        "unread_count": max(unread, 0),
        "seen": last_read is not None,
        "private_message": row["category_slug"] == MESSAGES_SLUG,
    }


def topics_by_ids(
    conn: sqlite3.Connection, viewer: Viewer, topic_ids: list[int]
) -> list[dict[str, Any]]:
    rows = conn.execute(
        f"""SELECT {_TOPIC_COLUMNS} {_TOPIC_JOINS}
            WHERE t.id IN (SELECT value FROM json_each(?))""",
        (viewer.user_id, ids_param(topic_ids)),
    ).fetchall()
    tags = _tags_for(conn, [r["id"] for r in rows])
    by_id = {r["id"]: _topic_dict(r, tags[r["id"]]) for r in rows}
    return [by_id[i] for i in topic_ids if i in by_id]


# (sort key expression, number of keys) for each list filter; keys are compared DESC.
_ORDERS = {
    "latest": (["t.pinned", "t.bumped_at", "t.id"]),
    "new": (["t.created_at", "t.id"]),
    "unread": (["t.bumped_at", "t.id"]),
    "top": (["(t.like_count * 2 + t.posts_count)", "t.id"]),
}


def topic_list(
    conn: sqlite3.Connection,
    viewer: Viewer,
    *,
    filter: str = "latest",
    category: str | None = None,
    tag: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    if filter not in _ORDERS:
        raise Invalid("filter must be one of latest, new, unread, top", code="invalid_field")
    if filter in ("new", "unread") and viewer.user_id is None:
        raise Unauthorized(f"log in to see {filter} topics")
    page = clamp_limit(limit)
    keys = _ORDERS[filter]
    where = ["t.deleted_at IS NULL"]
    params: list[Any] = [viewer.user_id]
    visible = visible_category_ids(conn, viewer)
    if category is not None:
        cat = category_row(conn, viewer, category)
        where.append("t.category_id = ?")
        params.append(cat["id"])
    else:
        where.append("t.category_id IN (SELECT value FROM json_each(?))")
        params.append(ids_param(visible))
    if tag is not None:
        where.append("t.id IN (SELECT topic_id FROM topic_tags WHERE tag = ?)")
        params.append(tag)
    if filter == "new":
        where.append("rs.last_read_post_number IS NULL AND t.created_at > ?")
        params.append(now() - NEW_TOPIC_DAYS * 86400)
    elif filter == "unread":
        where.append("rs.last_read_post_number < t.highest_post_number")
    if cursor:
        values = decode_cursor(cursor, len(keys))
        where.append(f"({', '.join(keys)}) < ({', '.join('?' * len(keys))})")
        params.extend(values)
    order = ", ".join(f"{k} DESC" for k in keys)
    key_select = ", ".join(keys)
    # Two steps in one snapshot: pick the page's topics by their sort keys alone, then
    # fetch their details. Done in one query, the joins (last poster, solution) ran for
    # every topic in the forum before the sort threw all but a page away.
    conn.execute("BEGIN")
    try:
        picked = _tuples(
            conn,
            f"""SELECT t.id, {key_select} FROM topics t
                LEFT JOIN read_state rs ON rs.topic_id = t.id AND rs.user_id = ?
                WHERE {" AND ".join(where)} ORDER BY {order} LIMIT ?""",
            (*params, page + 1),
        )
        more = len(picked) > page
        picked = picked[:page]
        topics = topics_by_ids(conn, viewer, [r[0] for r in picked])
    finally:
        conn.execute("COMMIT")
    return {
        "topics": topics,
        "next_cursor": encode_cursor(list(picked[-1][1:])) if more else None,
    }


# -- posts --------------------------------------------------------------------------------


def _tuples(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[Any]:
    """Rows as plain tuples, for the hot paths: looking a column up by name in a
    sqlite3.Row scans the column names, and a page of posts does hundreds of lookups."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, params).fetchall()


# The columns _post_dicts reads, in this order (a query may add more after them).
_POST_COLUMNS = """p.id, p.topic_id, p.post_number, p.reply_to_post_number, p.user_id,
    u.username, u.name, p.raw, p.created_at, p.updated_at, p.version, p.deleted_at,
    p.like_count, p.reply_count, t.solution_post_id"""
_POST_FROM = "FROM posts p JOIN users u ON u.id = p.user_id JOIN topics t ON t.id = p.topic_id"


def _post_dicts(conn: sqlite3.Connection, viewer: Viewer, rows: list[Any]) -> list[dict[str, Any]]:
    post_ids = [r[0] for r in rows]
    ids = ids_param(post_ids)
    reactions: dict[int, list[dict[str, Any]]] = {pid: [] for pid in post_ids}
    for post_id, name, count, mine, _first in _tuples(
        conn,
        """SELECT post_id, name, COUNT(*) AS n, MAX(user_id = ?) AS mine,
                  MIN(created_at) AS first
           FROM reactions WHERE post_id IN (SELECT value FROM json_each(?))
           GROUP BY post_id, name ORDER BY post_id, first""",
        (viewer.user_id or 0, ids),
    ):
        reactions[int(post_id)].append({"name": name, "count": count, "reacted": bool(mine)})
    bookmarked: set[int] = set()
    if viewer.user_id is not None:
        bookmarked = {
            int(r[0])
            for r in _tuples(
                conn,
                """SELECT post_id FROM bookmarks
                   WHERE user_id = ? AND post_id IN (SELECT value FROM json_each(?))""",
                (viewer.user_id, ids),
            )
        }
    me = viewer.user_id
    moderator = viewer.is_moderator
    out = []
    for r in rows:
        (
            post_id,
            topic_id,
            post_number,
            reply_to,
            user_id,
            username,
            name,
            raw,
            created_at,
            updated_at,
            version,
            deleted_at,
            like_count,
            reply_count,
            solution_post_id,
        ) = r[:15]
        deleted = deleted_at is not None
        mine = me is not None and user_id == me
        out.append(
            {
                "id": post_id,
                "topic_id": topic_id,
                "post_number": post_number,
                "reply_to_post_number": reply_to,
                "username": username,
                "name": name,
                "raw": "" if deleted else raw,
                "created_at": iso(created_at),
                "updated_at": iso(updated_at),
                "version": version,
                "deleted": deleted,
                "like_count": like_count,
                "reply_count": reply_count,
                "reactions": [] if deleted else reactions[post_id],
                "accepted": post_id == solution_post_id,
                "bookmarked": post_id in bookmarked,
                "can_edit": not deleted and (mine or moderator),
            }
        )
    return out


def post(conn: sqlite3.Connection, viewer: Viewer, post_id: int) -> dict[str, Any]:
    """One post; NotFound when it, or its topic, is gone or hidden from the viewer."""
    rows = _tuples(
        conn,
        f"""SELECT {_POST_COLUMNS}, t.category_id {_POST_FROM}
            WHERE p.id = ? AND t.deleted_at IS NULL""",
        (post_id,),
    )
    if not rows or not can_see_topic(conn, viewer, rows[0][1], rows[0][-1]):
        raise NotFound(f"post {post_id} not found")
    return _post_dicts(conn, viewer, rows)[0]


def reactors(conn: sqlite3.Connection, viewer: Viewer, post_id: int) -> dict[str, Any]:
    """Who reacted to a post, and how: each reaction in the order it first appeared (as
    on the post), its people newest first. NotFound exactly where `post` says so; a
    deleted post shows no reactions, as it shows none on the post itself."""
    rows = _tuples(
        conn,
        """SELECT p.deleted_at, t.category_id, t.id FROM posts p JOIN topics t ON t.id = p.topic_id
           WHERE p.id = ? AND t.deleted_at IS NULL""",
        (post_id,),
    )
    if not rows or not can_see_topic(conn, viewer, rows[0][2], rows[0][1]):
        raise NotFound(f"post {post_id} not found")
    if rows[0][0] is not None:
        return {"reactions": []}
    by_name: dict[str, list[dict[str, Any]]] = {}
    for name, username, full_name, created_at in _tuples(
        conn,
        """SELECT r.name, u.username, u.name, r.created_at
           FROM reactions r JOIN users u ON u.id = r.user_id
           WHERE r.post_id = ?
           ORDER BY (SELECT MIN(r2.created_at) FROM reactions r2
                     WHERE r2.post_id = r.post_id AND r2.name = r.name),
                    r.name, r.created_at DESC, r.user_id DESC""",
        (post_id,),
    ):
        by_name.setdefault(name, []).append(
            {"username": username, "name": full_name, "created_at": iso(created_at)}
        )
    return {"reactions": [{"name": n, "users": users} for n, users in by_name.items()]}


def post_id_for_number(conn: sqlite3.Connection, topic_id: int, number: int) -> int:
    row = conn.execute(
        "SELECT id FROM posts WHERE topic_id = ? AND post_number = ?", (topic_id, number)
    ).fetchone()
    if row is None:
        raise Invalid(
            f"post_number {number} is not a post in topic {topic_id}", code="invalid_field"
        )
    return int(row[0])


def topic_view(conn: sqlite3.Connection, viewer: Viewer, topic_id: int) -> dict[str, Any]:
    row = conn.execute(
        f"""SELECT {_TOPIC_COLUMNS} {_TOPIC_JOINS}
            WHERE t.id = ? AND t.deleted_at IS NULL""",
        (viewer.user_id, topic_id),
    ).fetchone()
    # A hidden topic answers exactly like a missing one (as common.topic_row does).
    if row is None or not can_see_topic(conn, viewer, topic_id, row["category_id"]):
        raise NotFound(f"topic {topic_id} not found")
    topic = _topic_dict(row, _tags_for(conn, [topic_id])[topic_id])
    if topic["private_message"]:
        topic["participants"] = participants(conn, topic_id)
    # Every post id, as one JSON array built by SQLite: a long thread has thousands, and
    # a Python object per row costs several times more. SQLite keeps a subquery's ORDER
    # BY under an order-sensitive aggregate (its regression test tkt2942 holds it).
    (ids_json,) = conn.execute(
        """SELECT json_group_array(id) FROM
             (SELECT id FROM posts WHERE topic_id = ? ORDER BY post_number)""",
        (topic_id,),
    ).fetchone()
    rows = _tuples(
        conn,
        f"SELECT {_POST_COLUMNS} {_POST_FROM} WHERE p.topic_id = ? ORDER BY p.post_number LIMIT ?",
        (topic_id, FIRST_CHUNK),
    )
    return {
        "topic": topic,
        "post_ids": orjson.loads(ids_json),
        "posts": _post_dicts(conn, viewer, rows),
        "chunk_size": FIRST_CHUNK,
    }


def topic_posts(
    conn: sqlite3.Connection,
    viewer: Viewer,
    topic_id: int,
    *,
    ids: list[int] | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    topic_row(conn, viewer, topic_id)
    if ids is not None:
        if len(ids) > MAX_PAGE:
            raise Invalid(f"ask for at most {MAX_PAGE} ids at once", code="invalid_field")
        rows = _tuples(
            conn,
            f"""SELECT {_POST_COLUMNS} {_POST_FROM}
                WHERE p.topic_id = ? AND p.id IN (SELECT value FROM json_each(?))
                ORDER BY p.post_number""",
            (topic_id, ids_param(ids)),
        )
    else:
        rows = _tuples(
            conn,
            f"""SELECT {_POST_COLUMNS} {_POST_FROM} WHERE p.topic_id = ? AND p.post_number > ?
                ORDER BY p.post_number LIMIT ?""",
            (topic_id, after or 0, clamp_limit(limit, FIRST_CHUNK)),
        )
    return {"posts": _post_dicts(conn, viewer, rows)}


def bookmarks(conn: sqlite3.Connection, viewer: Viewer) -> dict[str, Any]:
    if viewer.user_id is None:
        raise Unauthorized("log in to see bookmarks")
    visible = ids_param(visible_category_ids(conn, viewer))
    rows = _tuples(
        conn,
        f"""SELECT {_POST_COLUMNS} {_POST_FROM}
            JOIN bookmarks b ON b.post_id = p.id AND b.user_id = ?
            WHERE t.deleted_at IS NULL AND (t.category_id IN (SELECT value FROM json_each(?))
                                            OR t.id IN {PARTICIPATING})
            ORDER BY b.created_at DESC""",
        (viewer.user_id, visible, viewer.user_id),
    )
    posts = _post_dicts(conn, viewer, rows)
    topics = topics_by_ids(conn, viewer, [p["topic_id"] for p in posts])
    titles = {t["id"]: t["title"] for t in topics}
    for p in posts:
        p["topic_title"] = titles.get(p["topic_id"])
    return {"bookmarks": posts}


# -- notifications ------------------------------------------------------------------------


def unread_notification_count(conn: sqlite3.Connection, viewer: Viewer) -> int:
    visible = ids_param(visible_category_ids(conn, viewer))
    row = conn.execute(
        f"""SELECT COUNT(*) FROM notifications n LEFT JOIN topics t ON t.id = n.topic_id
           WHERE n.user_id = ? AND n.read_at IS NULL
             AND (n.topic_id IS NULL OR t.category_id IN (SELECT value FROM json_each(?))
                  OR t.id IN {PARTICIPATING})""",
        (viewer.user_id, visible, viewer.user_id),
    ).fetchone()
    return int(row[0])


def notifications(
    conn: sqlite3.Connection,
    viewer: Viewer,
    *,
    cursor: str | None = None,
    limit: int | None = None,
    unread_only: bool = False,
) -> dict[str, Any]:
    if viewer.user_id is None:
        raise Unauthorized("log in to see notifications")
    page = clamp_limit(limit)
    visible = ids_param(visible_category_ids(conn, viewer))
    where = [
        "n.user_id = ?",
        "(n.topic_id IS NULL OR (t.deleted_at IS NULL"
        " AND (t.category_id IN (SELECT value FROM json_each(?))"
        f" OR t.id IN {PARTICIPATING})))",
    ]
    params: list[Any] = [viewer.user_id, visible, viewer.user_id]
    if unread_only:
        where.append("n.read_at IS NULL")
    if cursor:
        (before,) = decode_cursor(cursor, 1)
        where.append("n.id < ?")
        params.append(before)
    rows = conn.execute(
        f"""SELECT n.*, a.username AS actor, t.title AS topic_title, p.post_number
            FROM notifications n
            LEFT JOIN users a ON a.id = n.actor_id
            LEFT JOIN topics t ON t.id = n.topic_id
            LEFT JOIN posts p ON p.id = n.post_id
            WHERE {" AND ".join(where)} ORDER BY n.id DESC LIMIT ?""",
        (*params, page + 1),
    ).fetchall()
    more = len(rows) > page
    rows = rows[:page]
    return {
        "notifications": [
            {
                "id": r["id"],
                "kind": r["kind"],
                "actor": r["actor"],
                "topic_id": r["topic_id"],
                "topic_title": r["topic_title"],
                "post_id": r["post_id"],
                "post_number": r["post_number"],
                "data": json.loads(r["data"]),
                "created_at": iso(r["created_at"]),
                "read": r["read_at"] is not None,
            }
            for r in rows
        ],
        "next_cursor": encode_cursor([rows[-1]["id"]]) if more else None,
        "unread_count": unread_notification_count(conn, viewer),
    }


# -- links and resources ------------------------------------------------------------------


def topic_links(conn: sqlite3.Connection, viewer: Viewer, topic_id: int) -> dict[str, Any]:
    topic_row(conn, viewer, topic_id)
    visible = ids_param(visible_category_ids(conn, viewer))
    conn.execute("BEGIN")  # one snapshot for the links and their counts
    try:
        rows = conn.execute(
            """SELECT l.*, u.username, p.post_number
               FROM links l JOIN posts p ON p.id = l.post_id JOIN users u ON u.id = l.user_id
               WHERE l.topic_id = ? AND p.deleted_at IS NULL
               ORDER BY p.post_number, l.position""",
            (topic_id,),
        ).fetchall()
        # Counted once per distinct URL (a long thread links the same pages again and
        # again), not once per link.
        counts: dict[str, int] = dict(
            _tuples(
                conn,
                f"""SELECT l2.url, COUNT(*) FROM links l2 JOIN topics t2 ON t2.id = l2.topic_id
                   WHERE l2.url IN (SELECT value FROM json_each(?)) AND t2.deleted_at IS NULL
                     AND (t2.category_id IN (SELECT value FROM json_each(?))
                          OR t2.id IN {PARTICIPATING})
                   GROUP BY l2.url""",
                (json.dumps(sorted({r["url"] for r in rows})), visible, viewer.user_id or -1),
            )
        )
    finally:
        conn.execute("COMMIT")
    return {
        "links": [
            {
                "url": r["url"],
                "title": r["title"],
                "username": r["username"],
                "post_id": r["post_id"],
                "post_number": r["post_number"],
                "topic_id": r["topic_id"],
                "created_at": iso(r["created_at"]),
                "share_count": counts.get(r["url"], 0),
            }
            for r in rows
        ]
    }


def resources(
    conn: sqlite3.Connection,
    viewer: Viewer,
    *,
    category: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    sort: str = "recent",
    cursor: str | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Links shared across the community, one row per URL, with who shared it and how often."""
    if sort not in ("recent", "shared", "liked"):
        raise Invalid("sort must be recent, shared or liked", code="invalid_field")
    page = clamp_limit(limit)
    visible = visible_category_ids(conn, viewer)
    where = ["t.deleted_at IS NULL", "p.deleted_at IS NULL"]
    params: list[Any] = []
    if category is not None:
        where.append("t.category_id = ?")
        params.append(category_row(conn, viewer, category)["id"])
    else:
        where.append("t.category_id IN (SELECT value FROM json_each(?))")
        params.append(ids_param(visible))
    if tag is not None:
        where.append("t.id IN (SELECT topic_id FROM topic_tags WHERE tag = ?)")
        params.append(tag)
    if q:
        where.append(
            "(l.url LIKE ? ESCAPE '\\' OR l.title LIKE ? ESCAPE '\\' OR t.title LIKE ? ESCAPE '\\')"
        )
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        params.extend([pattern, pattern, pattern])
    key = {"recent": "last_at", "shared": "shares", "liked": "likes"}[sort]
    having = ""
    if cursor:
        k, last_id = decode_cursor(cursor, 2)
        having = f"HAVING ({key}, first_id) < (?, ?)"
        params.extend([k, last_id])
    rows = conn.execute(
        f"""SELECT l.url, MIN(l.id) AS first_id, COUNT(*) AS shares,
                  MAX(l.created_at) AS last_at, MIN(l.created_at) AS first_at,
                  COALESCE(SUM(p.like_count), 0) AS likes,
                  COUNT(DISTINCT l.topic_id) AS topic_count
           FROM links l JOIN posts p ON p.id = l.post_id JOIN topics t ON t.id = l.topic_id
           WHERE {" AND ".join(where)}
           GROUP BY l.url {having}
           ORDER BY {key} DESC, first_id DESC LIMIT ?""",
        (*params, page + 1),
    ).fetchall()
    more = len(rows) > page
    rows = rows[:page]
    out = []
    visible_json = ids_param(visible)
    for r in rows:
        shares = conn.execute(
            """SELECT l.title, l.post_id, l.topic_id, l.created_at, p.post_number,
                      u.username, t.title AS topic_title
               FROM links l JOIN posts p ON p.id = l.post_id JOIN users u ON u.id = l.user_id
               JOIN topics t ON t.id = l.topic_id
               WHERE l.url = ? AND t.deleted_at IS NULL AND p.deleted_at IS NULL
                 AND t.category_id IN (SELECT value FROM json_each(?))
               ORDER BY l.created_at, l.id""",
            (r["url"], visible_json),
        ).fetchall()
        titles = [s["title"] for s in shares if s["title"]]
        out.append(
            {
                "url": r["url"],
                "title": titles[-1] if titles else None,
                "share_count": r["shares"],
                "topic_count": r["topic_count"],
                "like_count": r["likes"],
                "first_shared_at": iso(r["first_at"]),
                "last_shared_at": iso(r["last_at"]),
                "first_shared_by": shares[0]["username"] if shares else None,
                "shares": [
                    {
                        "username": s["username"],
                        "topic_id": s["topic_id"],
                        "topic_title": s["topic_title"],
                        "post_id": s["post_id"],
                        "post_number": s["post_number"],
                        "created_at": iso(s["created_at"]),
                    }
                    for s in shares
                ],
            }
        )
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor([last[key], last["first_id"]])
    return {"resources": out, "next_cursor": next_cursor}


# -- change feed --------------------------------------------------------------------------


def last_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
    return int(row[0]) if row else 0


def changes(
    conn: sqlite3.Connection, viewer: Viewer, since: int | None, limit: int = 500
) -> dict[str, Any]:
    """Changes after `since` that the viewer may see; 410 when `since` has been pruned away."""
    conn.execute("BEGIN")  # one snapshot for the cursor checks and the rows
    try:
        current = last_seq(conn)
        if since is None:
            return {"changes": [], "last_seq": current}
        if since < 0 or since > current:
            raise Invalid(f"since must be between 0 and {current}", code="invalid_field")
        oldest = conn.execute("SELECT MIN(seq) FROM changes").fetchone()[0]
        if since < current and (oldest is None or since < oldest - 1):
            raise CursorExpired(
                "changes since that point are no longer kept; reload and start from last_seq"
            )
        visible_ids = visible_category_ids(conn, viewer)
        visible = ids_param(visible_ids)
        rows = conn.execute(
            f"""SELECT * FROM changes WHERE seq > ?
                 AND (category_id IS NULL OR category_id IN (SELECT value FROM json_each(?))
                      OR topic_id IN {PARTICIPATING})
                 AND (user_id IS NULL OR user_id = ?)
               ORDER BY seq LIMIT ?""",
            (since, visible, viewer.user_id or -1, viewer.user_id or -1, limit),
        ).fetchall()
    finally:
        conn.execute("COMMIT")
    # Past the last row when the page is full; otherwise past everything, invisible changes
    # included, so nobody polls over them again.
    new_last = rows[-1]["seq"] if len(rows) == limit else current
    return {
        "changes": [
            {
                "seq": r["seq"],
                "kind": r["kind"],
                "category_id": r["category_id"],
                "topic_id": r["topic_id"],
                "post_id": r["post_id"],
                "data": _visible_data(json.loads(r["data"]), visible_ids),
                "created_at": iso(r["created_at"]),
            }
            for r in rows
        ],
        "last_seq": new_last,
    }


def _visible_data(data: dict[str, Any], visible_ids: list[int]) -> dict[str, Any]:
    """A topic moved into a category the viewer cannot see only says that it left."""
    if data.get("to_category_id") is not None and data["to_category_id"] not in visible_ids:
        del data["to_category_id"]
    return data
