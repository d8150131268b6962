"""Who takes part in a private message: the one rule every read and write consults.

A private message is a topic in the single category of kind 'messages'. No one sees
that category as a category (moderators neither: there is no staff override), so every
list, count, search and feed that goes by visible categories leaves private messages
out by itself; the reads of one topic, and the per-person lists (notifications,
bookmarks, the change feed), let its participants in through `PARTICIPATING`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from server.store.common import now

MESSAGES_SLUG = "_messages"  # not a slug anyone can make: slugs start with a letter or digit

# The topics a person takes part in, as SQL with one parameter (their user id, or -1).
PARTICIPATING = "(SELECT topic_id FROM topic_participants WHERE user_id = ?)"


def messages_category_id(conn: sqlite3.Connection, *, create: bool = False) -> int | None:
    """The category holding every private message; made on the first one when `create`."""
    row = conn.execute("SELECT id FROM categories WHERE kind = 'messages' LIMIT 1").fetchone()
    if row is not None:
        return int(row[0])
    if not create:
        return None
    cur = conn.execute(
        """INSERT INTO categories (slug, name, description, position, created_at, kind)
           VALUES (?, 'Private messages', 'Conversations only their participants see',
                   0, ?, 'messages')""",
        (MESSAGES_SLUG, now()),
    )
    return int(cur.lastrowid or 0)


def participant_ids(conn: sqlite3.Connection, topic_id: int) -> list[int]:
    """Everyone in a private message (none for a public topic)."""
    return [
        int(r[0])
        for r in conn.execute(
            "SELECT user_id FROM topic_participants WHERE topic_id = ? ORDER BY added_at, user_id",
            (topic_id,),
        )
    ]


def participants(conn: sqlite3.Connection, topic_id: int) -> list[dict[str, Any]]:
    return [
        {"username": r[0], "name": r[1]}
        for r in conn.execute(
            """SELECT u.username, u.name
               FROM topic_participants tp JOIN users u ON u.id = tp.user_id
               WHERE tp.topic_id = ? ORDER BY tp.added_at, u.id""",
            (topic_id,),
        )
    ]


# Posts by others after the participant's last read post: what is new to them (their own
# replies never are).
UNREAD_POSTS = """(SELECT COUNT(*) FROM posts up
    WHERE up.topic_id = t.id AND up.deleted_at IS NULL AND up.user_id != tp.user_id
      AND up.post_number > COALESCE(
        (SELECT rs.last_read_post_number FROM read_state rs
         WHERE rs.topic_id = t.id AND rs.user_id = tp.user_id), 0))"""


def unread_message_count(conn: sqlite3.Connection, user_id: int | None) -> int:
    """How many of a person's private messages have posts they have not read."""
    if user_id is None:
        return 0
    row = conn.execute(
        f"""SELECT COUNT(*) FROM topic_participants tp JOIN topics t ON t.id = tp.topic_id
            WHERE tp.user_id = ? AND t.deleted_at IS NULL AND {UNREAD_POSTS} > 0""",
        (user_id,),
    ).fetchone()
    return int(row[0])
