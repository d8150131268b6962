"""Private messages: topics between two or more people, seen by them alone.

A private message is an ordinary topic (posts, replies, reactions, bookmarks, read
state all work as for any topic) in the category of kind 'messages', which no one sees
as a category; store/private.py holds the rule that lets its participants, and no one
else, read it. Moderators are not let in: there is no staff override (as on a Discourse
forum whose staff do not look at members' messages), unless they are participants.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from server.store import ops, queries
from server.store.common import now, record_change, require_user, topic_row
from server.store.errors import Invalid, NotFound
from server.store.links import analyse
from server.store.private import (
    UNREAD_POSTS,
    messages_category_id,
    participant_ids,
    participants,
    unread_message_count,
)
from server.store.viewer import Viewer

MAX_PARTICIPANTS = 20  # besides the sender


def _people(
    conn: sqlite3.Connection, value: Any, *, name: str, exclude: int | None = None
) -> list[sqlite3.Row]:
    """Users by username, each once (and never `exclude`); 400 naming the field otherwise."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"field {name} must be a list of usernames", code="invalid_field")
    rows: list[sqlite3.Row] = []
    for username in value:
        row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        if row is None:
            raise Invalid(f"field {name}: no user named {username!r}", code="unknown_user")
        if row["id"] != exclude and row["id"] not in (r["id"] for r in rows):
            rows.append(row)
    if len(rows) > MAX_PARTICIPANTS:
        raise Invalid(
            f"field {name}: at most {MAX_PARTICIPANTS} people besides you", code="invalid_field"
        )
    return rows


def create_message(
    conn: sqlite3.Connection,
    viewer: Viewer,
    *,
    participants: Any,
    title: str,
    raw: str,
    created_at: float | None = None,
) -> dict[str, Any]:
    """Start a private conversation with one or more people; each of them is notified."""
    user_id = require_user(viewer)
    if participants is None:
        raise Invalid("missing field: participants", code="missing_field")
    others = _people(conn, participants, name="participants", exclude=user_id)
    if not others:
        raise Invalid(
            "field participants must name at least one person besides you", code="invalid_field"
        )
    ops._check_title(title)
    ops._check_raw(raw)
    category_id = messages_category_id(conn, create=True)
    when = created_at if created_at is not None else now()
    cur = conn.execute(
        """INSERT INTO topics (category_id, user_id, title, created_at, bumped_at)
           VALUES (?, ?, ?, ?, ?)""",
        (category_id, user_id, title, when, when),
    )
    topic_id = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT INTO topic_participants (topic_id, user_id, added_at) VALUES (?, ?, ?)",
        [(topic_id, uid, when) for uid in [user_id, *(r["id"] for r in others)]],
    )
    topic = conn.execute("SELECT * FROM topics WHERE id = ?", (topic_id,)).fetchone()
    text = analyse(raw)
    post = ops._insert_post(conn, topic, user_id, raw, None, when, text.links)
    record_change(
        conn,
        "topic.created",
        category_id=category_id,
        topic_id=topic_id,
        post_id=post["id"],
        data={"private_message": True},
    )
    ops._notify_for_post(
        conn, topic, post["id"], user_id, text, None, participants=[r["id"] for r in others]
    )
    return queries.topic_view(conn, viewer, topic_id)


def inbox(
    conn: sqlite3.Connection,
    viewer: Viewer,
    *,
    cursor: str | None = None,
    limit: int | None = None,
    unread_only: bool = False,
) -> dict[str, Any]:
    """The viewer's private messages, most recently active first. Each one's
    `unread_count` counts the posts by others they have not read yet (their own replies
    are never unread); `unread_topics` is how many have any."""
    user_id = require_user(viewer)
    page = queries.clamp_limit(limit)
    where = ["tp.user_id = ?", "t.deleted_at IS NULL"]
    params: list[Any] = [user_id]
    if unread_only:
        where.append(f"{UNREAD_POSTS} > 0")
    if cursor:
        bumped, last_id = queries.decode_cursor(cursor, 2)
        where.append("(t.bumped_at, t.id) < (?, ?)")
        params.extend([bumped, last_id])
    rows = conn.execute(
        f"""SELECT t.id, t.bumped_at, {UNREAD_POSTS} AS unread
            FROM topic_participants tp JOIN topics t ON t.id = tp.topic_id
            WHERE {" AND ".join(where)} ORDER BY t.bumped_at DESC, t.id DESC LIMIT ?""",
        (*params, page + 1),
    ).fetchall()
    more = len(rows) > page
    rows = rows[:page]
    unread = {int(r["id"]): int(r["unread"]) for r in rows}
    topics = queries.topics_by_ids(conn, viewer, [int(r["id"]) for r in rows])
    for topic in topics:
        topic["participants"] = participants(conn, topic["id"])
        topic["unread_count"] = unread[topic["id"]]
    return {
        "messages": topics,
        "next_cursor": (
            queries.encode_cursor([rows[-1]["bumped_at"], rows[-1]["id"]]) if more else None
        ),
        "unread_topics": unread_message_count(conn, user_id),
    }


def add_participants(
    conn: sqlite3.Connection, viewer: Viewer, topic_id: int, usernames: Any
) -> dict[str, Any]:
    """Bring more people into a conversation (any participant may); they see all of it."""
    user_id = require_user(viewer)
    topic = topic_row(conn, viewer, topic_id)
    present = participant_ids(conn, topic_id)
    if not present:
        raise NotFound(f"topic {topic_id} is not a private message", code="not_a_message")
    if usernames is None:
        raise Invalid("missing field: usernames", code="missing_field")
    newcomers = [r for r in _people(conn, usernames, name="usernames") if r["id"] not in present]
    if len(present) - 1 + len(newcomers) > MAX_PARTICIPANTS:
        raise Invalid(
            f"field usernames: a conversation has at most {MAX_PARTICIPANTS + 1} people",
            code="invalid_field",
        )
    when = now()
    first = conn.execute(
        "SELECT id FROM posts WHERE topic_id = ? AND post_number = 1", (topic_id,)
    ).fetchone()
    for row in newcomers:
        conn.execute(
            "INSERT INTO topic_participants (topic_id, user_id, added_at) VALUES (?, ?, ?)",
            (topic_id, row["id"], when),
        )
        ops._notify(
            conn,
            row["id"],
            "private_message",
            actor_id=user_id,
            topic=topic,
            post_id=first[0] if first else None,
            data={"added": True},
        )
    if newcomers:
        record_change(
            conn,
            "topic.updated",
            category_id=topic["category_id"],
            topic_id=topic_id,
            data={"fields": ["participants"]},
        )
    return {"topic_id": topic_id, "participants": participants(conn, topic_id)}
