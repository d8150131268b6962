"""Writes made on behalf of forum members. Each runs inside the writer's transaction and
records its change in the feed in that same transaction."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from server.store import queries
from server.store.common import (
    can_see_topic,
    category_row,
    iso,
    now,
    post_row,
    record_change,
    require_owner_or_moderator,
    require_user,
    topic_row,
)
from server.store.errors import Forbidden, Invalid, NotFound, StaleVersion
from server.store.links import Link, PostText, analyse
from server.store.private import participant_ids
from server.store.viewer import Viewer

MAX_TITLE = 255
MAX_TAGS = 5
_TAG = re.compile(r"^[^\s,#@]{1,40}$")

# A reply outranks a quote, which outranks a mention, which outranks the notice every
# participant of a private message gets: one notice per person per post.
_NOTICE_RANK = {"reply": 4, "quoted": 3, "mention": 2, "private_message": 1}


def _check_title(title: str) -> None:
    if not title.strip():
        raise Invalid("title must not be empty", code="invalid_field")
    if len(title) > MAX_TITLE:
        raise Invalid(f"title must be at most {MAX_TITLE} characters", code="invalid_field")


def _check_raw(raw: str) -> None:
    if not raw.strip():
        raise Invalid("raw must not be empty", code="invalid_field")


def _check_tags(tags: list[str]) -> list[str]:
    if len(tags) > MAX_TAGS:
        raise Invalid(f"at most {MAX_TAGS} tags", code="invalid_field")
    seen: list[str] = []
    for tag in tags:
        if not _TAG.match(tag):
            raise Invalid(
                f"tag {tag!r} must be 1-40 characters without spaces, commas, # or @",
                code="invalid_field",
            )
        if tag.lower() not in (s.lower() for s in seen):
            seen.append(tag)
    return seen


def _save_links(
    conn: sqlite3.Connection,
    post: sqlite3.Row | dict[str, Any],
    links: list[Link],
    when: float | None = None,
) -> None:
    """`when`: the post's own time when it is created (a seeded post shares its links
    then, not at seeding time, and has none to replace yet); an edit shares them now."""
    at = now() if when is None else when
    if when is None:
        conn.execute("DELETE FROM links WHERE post_id = ?", (post["id"],))
    for position, link in enumerate(links):
        conn.execute(
            """INSERT INTO links (post_id, topic_id, user_id, url, title, position, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (post["id"], post["topic_id"], post["user_id"], link.url, link.title, position, at),
        )


def _notify(
    conn: sqlite3.Connection,
    user_id: int,
    kind: str,
    *,
    actor_id: int,
    topic: sqlite3.Row,
    post_id: int | None,
    data: dict[str, Any] | None = None,
) -> None:
    """Notify one person, if they can still see the topic."""
    if user_id == actor_id:
        return
    target = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    if target is None:
        return
    who = Viewer(target["id"], target["username"], bool(target["is_moderator"]))
    if not can_see_topic(conn, who, topic["id"], topic["category_id"]):
        return
    cur = conn.execute(
        """INSERT INTO notifications (user_id, kind, actor_id, topic_id, post_id, data, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (user_id, kind, actor_id, topic["id"], post_id, json.dumps(data or {}), now()),
    )
    record_change(
        conn,
        "notification.created",
        category_id=topic["category_id"],
        topic_id=topic["id"],
        post_id=post_id,
        user_id=user_id,
        data={"notification_id": cur.lastrowid, "kind": kind},
    )


def _notify_for_post(
    conn: sqlite3.Connection,
    topic: sqlite3.Row,
    post_id: int,
    author_id: int,
    text: PostText,
    reply_to_user: int | None,
    already: set[int] | None = None,
    participants: list[int] | None = None,
) -> None:
    """`participants`: the people in a private message, each told of a new post."""
    notices: dict[int, str] = {}

    def offer(user_id: int, kind: str) -> None:
        if _NOTICE_RANK[kind] > _NOTICE_RANK.get(notices.get(user_id, ""), 0):
            notices[user_id] = kind

    for user_id in participants or ():
        offer(user_id, "private_message")
    if reply_to_user is not None:
        offer(reply_to_user, "reply")
    for name in text.quoted:
        row = conn.execute("SELECT id FROM users WHERE username = ?", (name,)).fetchone()
        if row:
            offer(row[0], "quoted")
    for name in text.mentions:
        row = conn.execute("SELECT id FROM users WHERE username = ?", (name,)).fetchone()
        if row:
            offer(row[0], "mention")
    for user_id, kind in notices.items():
        if already and user_id in already:
            continue
        _notify(conn, user_id, kind, actor_id=author_id, topic=topic, post_id=post_id)


def _insert_post(
    conn: sqlite3.Connection,
    topic: sqlite3.Row,
    user_id: int,
    raw: str,
    reply_to: int | None,
    created_at: float,
    links: list[Link],
) -> dict[str, Any]:
    number = topic["highest_post_number"] + 1
    cur = conn.execute(
        """INSERT INTO posts (topic_id, post_number, reply_to_post_number, user_id, raw,
                              created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (topic["id"], number, reply_to, user_id, raw, created_at, created_at),
    )
    post = {"id": int(cur.lastrowid or 0), "topic_id": topic["id"], "user_id": user_id}
    conn.execute(
        """UPDATE topics SET highest_post_number = ?, posts_count = posts_count + 1,
             bumped_at = ? WHERE id = ?""",
        (number, created_at, topic["id"]),
    )
    if reply_to is not None:
        conn.execute(
            "UPDATE posts SET reply_count = reply_count + 1 WHERE topic_id = ? AND post_number = ?",
            (topic["id"], reply_to),
        )
    _save_links(conn, post, links, created_at)
    return {**post, "post_number": number}


def create_topic(
    conn: sqlite3.Connection,
    viewer: Viewer,
    *,
    title: str,
    raw: str,
    category: int | str,
    tags: list[str] | None = None,
    created_at: float | None = None,
) -> dict[str, Any]:
    user_id = require_user(viewer)
    _check_title(title)
    _check_raw(raw)
    tag_list = _check_tags(tags or [])
    cat = category_row(conn, viewer, category)
    when = created_at if created_at is not None else now()
    cur = conn.execute(
        """INSERT INTO topics (category_id, user_id, title, created_at, bumped_at)
           VALUES (?, ?, ?, ?, ?)""",
        (cat["id"], user_id, title, when, when),
    )
    topic_id = int(cur.lastrowid or 0)
    for tag in tag_list:
        conn.execute("INSERT INTO topic_tags (topic_id, tag) VALUES (?, ?)", (topic_id, tag))
    topic = conn.execute("SELECT * FROM topics WHERE id = ?", (topic_id,)).fetchone()
    text = analyse(raw)
    post = _insert_post(conn, topic, user_id, raw, None, when, text.links)
    record_change(
        conn, "topic.created", category_id=cat["id"], topic_id=topic_id, post_id=post["id"]
    )
    _notify_for_post(conn, topic, post["id"], user_id, text, None)
    return queries.topic_view(conn, viewer, topic_id)


def create_post(
    conn: sqlite3.Connection,
    viewer: Viewer,
    topic_id: int,
    *,
    raw: str,
    reply_to_post_number: int | None = None,
    created_at: float | None = None,
) -> dict[str, Any]:
    user_id = require_user(viewer)
    _check_raw(raw)
    topic = topic_row(conn, viewer, topic_id)
    if topic["closed"] and not viewer.is_moderator:
        raise Forbidden("this topic is closed to new replies", code="topic_closed")
    reply_to_user = None
    if reply_to_post_number is not None:
        parent = conn.execute(
            "SELECT user_id FROM posts WHERE topic_id = ? AND post_number = ?",
            (topic_id, reply_to_post_number),
        ).fetchone()
        if parent is None:
            raise Invalid(
                f"reply_to_post_number {reply_to_post_number} is not a post in this topic",
                code="invalid_field",
            )
        reply_to_user = parent["user_id"]
    else:
        reply_to_user = topic["user_id"]
    when = created_at if created_at else now()
    text = analyse(raw)
    post = _insert_post(conn, topic, user_id, raw, reply_to_post_number, when, text.links)
    record_change(
        conn,
        "post.created",
        category_id=topic["category_id"],
        topic_id=topic_id,
        post_id=post["id"],
        data={"post_number": post["post_number"]},
    )
    _notify_for_post(
        conn,
        topic,
        post["id"],
        user_id,
        text,
        reply_to_user,
        participants=participant_ids(conn, topic_id),
    )
    # What queries.post would read back, known without reading: a post this new has no
    # reactions, bookmarks, replies or likes yet, and its author may edit it.
    author = conn.execute("SELECT username, name FROM users WHERE id = ?", (user_id,)).fetchone()
    stamp = iso(when)
    return {
        "id": post["id"],
        "topic_id": topic_id,
        "post_number": post["post_number"],
        "reply_to_post_number": reply_to_post_number,
        "username": author["username"],
        "name": author["name"],
        "raw": raw,
        "created_at": stamp,
        "updated_at": stamp,
        "version": 1,
        "deleted": False,
        "like_count": 0,
        "reply_count": 0,
        "reactions": [],
        "accepted": post["id"] == topic["solution_post_id"],
        "bookmarked": False,
        "can_edit": True,
    }


def edit_post(
    conn: sqlite3.Connection, viewer: Viewer, post_id: int, *, raw: str, expected_version: int
) -> dict[str, Any]:
    row = post_row(conn, viewer, post_id)
    require_owner_or_moderator(viewer, row["user_id"], "edit this post")
    if row["deleted_at"] is not None:
        raise NotFound(f"post {post_id} was deleted", code="deleted")
    if row["version"] != expected_version:
        raise StaleVersion(
            f"post {post_id} changed since you loaded it (now version {row['version']})",
            current_version=row["version"],
        )
    _check_raw(raw)
    conn.execute(
        "UPDATE posts SET raw = ?, version = version + 1, updated_at = ? WHERE id = ?",
        (raw, now(), post_id),
    )
    text = analyse(raw)
    _save_links(conn, row, text.links)
    topic = conn.execute("SELECT * FROM topics WHERE id = ?", (row["topic_id"],)).fetchone()
    record_change(
        conn,
        "post.edited",
        category_id=topic["category_id"],
        topic_id=topic["id"],
        post_id=post_id,
        data={"version": row["version"] + 1},
    )
    # Only people newly mentioned or quoted hear about an edit.
    before = analyse(row["raw"])
    old = {n.lower() for n in before.mentions + before.quoted}
    old_ids = (
        {
            r[0]
            for r in conn.execute("SELECT id, username FROM users").fetchall()
            if r[1].lower() in old
        }
        if old
        else set()
    )
    _notify_for_post(conn, topic, post_id, row["user_id"], text, None, already=old_ids)
    return queries.post(conn, viewer, post_id)


def delete_post(conn: sqlite3.Connection, viewer: Viewer, post_id: int) -> dict[str, Any]:
    """Leave a tombstone: the post keeps its place (and its text, for moderators' records)
    so replies to it still hang off the tree; deleting the first post deletes the topic."""
    row = post_row(conn, viewer, post_id)
    require_owner_or_moderator(viewer, row["user_id"], "delete this post")
    if row["deleted_at"] is not None:
        return queries.post(conn, viewer, post_id)
    when = now()
    conn.execute(
        "UPDATE posts SET deleted_at = ?, deleted_by = ? WHERE id = ?",
        (when, viewer.user_id, post_id),
    )
    conn.execute("DELETE FROM links WHERE post_id = ?", (post_id,))
    conn.execute("DELETE FROM bookmarks WHERE post_id = ?", (post_id,))
    topic = conn.execute("SELECT * FROM topics WHERE id = ?", (row["topic_id"],)).fetchone()
    if topic["solution_post_id"] == post_id:
        conn.execute("UPDATE topics SET solution_post_id = NULL WHERE id = ?", (topic["id"],))
    if row["post_number"] == 1:
        conn.execute("UPDATE topics SET deleted_at = ? WHERE id = ?", (when, topic["id"]))
        record_change(
            conn,
            "topic.deleted",
            category_id=topic["category_id"],
            topic_id=topic["id"],
            post_id=post_id,
        )
        return {"id": post_id, "topic_id": topic["id"], "deleted": True, "topic_deleted": True}
    record_change(
        conn,
        "post.deleted",
        category_id=topic["category_id"],
        topic_id=topic["id"],
        post_id=post_id,
    )
    return queries.post(conn, viewer, post_id)


def update_topic(
    conn: sqlite3.Connection, viewer: Viewer, topic_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    topic = topic_row(conn, viewer, topic_id)
    require_user(viewer)
    mod_only = {"closed", "pinned", "category"} & changes.keys()
    if mod_only and not viewer.is_moderator:
        raise Forbidden(f"only a moderator can change {', '.join(sorted(mod_only))}")
    require_owner_or_moderator(viewer, topic["user_id"], "edit this topic")
    if "title" in changes:
        _check_title(changes["title"])
        conn.execute("UPDATE topics SET title = ? WHERE id = ?", (changes["title"], topic_id))
    if "tags" in changes:
        tags = _check_tags(changes["tags"])
        conn.execute("DELETE FROM topic_tags WHERE topic_id = ?", (topic_id,))
        for tag in tags:
            conn.execute("INSERT INTO topic_tags (topic_id, tag) VALUES (?, ?)", (topic_id, tag))
    for flag in ("closed", "pinned"):
        if flag in changes:
            conn.execute(
                f"UPDATE topics SET {flag} = ? WHERE id = ?", (int(bool(changes[flag])), topic_id)
            )
    old_category = topic["category_id"]
    if "category" in changes:
        if participant_ids(conn, topic_id):
            raise Forbidden("a private message stays private: it cannot be moved")
        cat = category_row(conn, viewer, changes["category"])
        conn.execute("UPDATE topics SET category_id = ? WHERE id = ?", (cat["id"], topic_id))
        if cat["id"] != old_category:
            # Members of the old category hear that the topic left it.
            record_change(
                conn,
                "topic.moved",
                category_id=old_category,
                topic_id=topic_id,
                data={"to_category_id": cat["id"]},
            )
    new = conn.execute("SELECT category_id FROM topics WHERE id = ?", (topic_id,)).fetchone()
    record_change(
        conn,
        "topic.updated",
        category_id=new[0],
        topic_id=topic_id,
        data={"fields": sorted(changes)},
    )
    return queries.topics_by_ids(conn, viewer, [topic_id])[0]


def set_reaction(
    conn: sqlite3.Connection,
    viewer: Viewer,
    post_id: int,
    name: str,
    on: bool,
    allowed: list[str],
) -> dict[str, Any]:
    user_id = require_user(viewer)
    if name not in allowed:
        raise NotFound(
            f"no reaction named {name!r}; this forum has {', '.join(allowed)}",
            code="unknown_reaction",
        )
    row = post_row(conn, viewer, post_id)
    if row["deleted_at"] is not None:
        raise NotFound(f"post {post_id} was deleted", code="deleted")
    if row["user_id"] == user_id:
        raise Forbidden("you cannot react to your own post")
    if on:
        cur = conn.execute(
            """INSERT OR IGNORE INTO reactions (post_id, user_id, name, created_at)
               VALUES (?, ?, ?, ?)""",
            (post_id, user_id, name, now()),
        )
    else:
        cur = conn.execute(
            "DELETE FROM reactions WHERE post_id = ? AND user_id = ? AND name = ?",
            (post_id, user_id, name),
        )
    if cur.rowcount:
        if name == "like":
            delta = 1 if on else -1
            conn.execute(
                "UPDATE posts SET like_count = like_count + ? WHERE id = ?", (delta, post_id)
            )
            conn.execute(
                "UPDATE topics SET like_count = like_count + ? WHERE id = ?",
                (delta, row["topic_id"]),
            )
        topic = conn.execute("SELECT * FROM topics WHERE id = ?", (row["topic_id"],)).fetchone()
        record_change(
            conn,
            "reaction.changed",
            category_id=topic["category_id"],
            topic_id=topic["id"],
            post_id=post_id,
            data={"name": name, "on": on},
        )
        if on:
            _notify(
                conn,
                row["user_id"],
                "reaction",
                actor_id=user_id,
                topic=topic,
                post_id=post_id,
                data={"reaction": name},
            )
    return queries.post(conn, viewer, post_id)


def set_solution(
    conn: sqlite3.Connection, viewer: Viewer, topic_id: int, post_id: int | None
) -> dict[str, Any]:
    topic = topic_row(conn, viewer, topic_id)
    require_user(viewer)
    if viewer.user_id != topic["user_id"] and not viewer.is_moderator:
        raise Forbidden("only the topic's author or a moderator can accept an answer")
    if post_id is not None:
        row = post_row(conn, viewer, post_id)
        if row["topic_id"] != topic_id:
            raise Invalid(f"post {post_id} is not in topic {topic_id}", code="invalid_field")
        if row["post_number"] == 1:
            raise Invalid("the question itself cannot be its answer", code="invalid_field")
        if row["deleted_at"] is not None:
            raise Invalid(f"post {post_id} was deleted", code="invalid_field")
    if topic["solution_post_id"] != post_id:
        conn.execute("UPDATE topics SET solution_post_id = ? WHERE id = ?", (post_id, topic_id))
        record_change(
            conn,
            "solution.changed",
            category_id=topic["category_id"],
            topic_id=topic_id,
            post_id=post_id,
        )
        if post_id is not None:
            author = conn.execute("SELECT user_id FROM posts WHERE id = ?", (post_id,)).fetchone()
            _notify(
                conn,
                author[0],
                "solved",
                actor_id=viewer.user_id or 0,
                topic=topic,
                post_id=post_id,
            )
    return queries.topics_by_ids(conn, viewer, [topic_id])[0]


def set_read(
    conn: sqlite3.Connection, viewer: Viewer, topic_id: int, post_number: int
) -> dict[str, Any]:
    user_id = require_user(viewer)
    topic = topic_row(conn, viewer, topic_id)
    if post_number < 0:
        raise Invalid("post_number must not be negative", code="invalid_field")
    post_number = min(post_number, topic["highest_post_number"])
    cur = conn.execute(
        """INSERT INTO read_state (user_id, topic_id, last_read_post_number, updated_at)
           VALUES (?, ?, ?, ?)
           ON CONFLICT (user_id, topic_id) DO UPDATE
             SET last_read_post_number = excluded.last_read_post_number,
                 updated_at = excluded.updated_at
             WHERE excluded.last_read_post_number > read_state.last_read_post_number""",
        (user_id, topic_id, post_number, now()),
    )
    if cur.rowcount:
        record_change(
            conn,
            "read.changed",
            category_id=topic["category_id"],
            topic_id=topic_id,
            user_id=user_id,
            data={"post_number": post_number},
        )
    row = conn.execute(
        "SELECT last_read_post_number FROM read_state WHERE user_id = ? AND topic_id = ?",
        (user_id, topic_id),
    ).fetchone()
    return {"topic_id": topic_id, "last_read_post_number": row[0] if row else 0}


def set_bookmark(
    conn: sqlite3.Connection, viewer: Viewer, post_id: int, on: bool
) -> dict[str, Any]:
    user_id = require_user(viewer)
    row = post_row(conn, viewer, post_id)
    if on:
        if row["deleted_at"] is not None:
            raise NotFound(f"post {post_id} was deleted", code="deleted")
        cur = conn.execute(
            "INSERT OR IGNORE INTO bookmarks (user_id, post_id, created_at) VALUES (?, ?, ?)",
            (user_id, post_id, now()),
        )
    else:
        cur = conn.execute(
            "DELETE FROM bookmarks WHERE user_id = ? AND post_id = ?", (user_id, post_id)
        )
    if cur.rowcount:
        record_change(
            conn,
            "bookmark.changed",
            category_id=row["category_id"],
            topic_id=row["topic_id"],
            post_id=post_id,
            user_id=user_id,
            data={"on": on},
        )
    return {"post_id": post_id, "bookmarked": on}


def mark_notifications_read(
    conn: sqlite3.Connection, viewer: Viewer, ids: list[int] | None
) -> dict[str, Any]:
    user_id = require_user(viewer)
    if ids is None:
        cur = conn.execute(
            "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
            (now(), user_id),
        )
    else:
        cur = conn.execute(
            """UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL
               AND id IN (SELECT value FROM json_each(?))""",
            (now(), user_id, json.dumps(ids)),
        )
    if cur.rowcount:
        record_change(conn, "notifications.read", user_id=user_id, data={"ids": ids})
    return {"marked": cur.rowcount, "unread_count": queries.unread_notification_count(conn, viewer)}
