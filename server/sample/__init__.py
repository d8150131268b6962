"""The sample peer-learning community a new forum can be seeded with.

The content lives in `community.toml`; times in it are relative ("days ago"), so the
community always looks lived-in on the day it is seeded.
"""

from __future__ import annotations

import sqlite3
import tomllib
from importlib import resources
from typing import Any

from server.store import accounts, ops
from server.store.common import now
from server.store.viewer import Viewer


def load() -> dict[str, Any]:
    text = resources.files("server.sample").joinpath("community.toml").read_text("utf-8")
    return tomllib.loads(text)


def is_empty(conn: sqlite3.Connection) -> bool:
    return int(conn.execute("SELECT COUNT(*) FROM categories").fetchone()[0]) == 0


def _fill(raw: str, topic_id: int) -> str:
    return raw.replace("{topic}", str(topic_id)).replace("{{", "{").replace("}}", "}")


def seed(conn: sqlite3.Connection, data: dict[str, Any] | None = None) -> dict[str, int]:
    """Write the sample community into an empty forum (inside the caller's transaction)."""
    if not is_empty(conn):
        raise ValueError("the forum already has categories; the sample goes only into a new one")
    data = data or load()
    reactions: list[str] = data["reactions"]
    start = now()
    viewers: dict[str, Viewer] = {}
    for user in data["users"]:
        user_id = accounts.add_user(
            conn,
            user["username"],
            name=user.get("name", ""),
            bio=user.get("bio", ""),
            moderator=bool(user.get("moderator")),
            created_at=start - 90 * 86400,
        )
        viewers[user["username"]] = Viewer(user_id, user["username"], bool(user.get("moderator")))
    for group in data.get("groups", []):
        accounts.add_group(conn, group["name"])
        for member in group.get("members", []):
            accounts.add_group_member(conn, group["name"], member)
    for position, cat in enumerate(data["categories"], start=1):
        accounts.add_category(
            conn,
            cat["slug"],
            cat["name"],
            description=cat.get("description", ""),
            guidelines=cat.get("guidelines", ""),
            groups=cat.get("groups") or [],
            position=position,
        )
    moderator = next(v for v in viewers.values() if v.is_moderator)
    counts = {"topics": 0, "posts": 0, "reactions": 0}
    for topic in sorted(data["topics"], key=lambda t: -float(t["days_ago"])):
        created = start - float(topic["days_ago"]) * 86400
        author = viewers[topic["author"]]
        view = ops.create_topic(
            conn,
            _as_member(author),
            title=topic["title"],
            raw=topic["raw"],
            category=topic["category"],
            tags=topic.get("tags", []),
            created_at=created,
        )
        topic_id = int(view["topic"]["id"])
        conn.execute(
            "UPDATE posts SET raw = ? WHERE id = ?",
            (_fill(topic["raw"], topic_id), view["posts"][0]["id"]),
        )
        post_ids = [int(view["posts"][0]["id"])]
        for reply in topic.get("replies", []):
            post = ops.create_post(
                conn,
                _as_member(viewers[reply["author"]]),
                topic_id,
                raw=_fill(reply["raw"], topic_id),
                reply_to_post_number=reply.get("reply_to"),
                created_at=created + float(reply["hours_later"]) * 3600,
            )
            post_ids.append(int(post["id"]))
        posts = [topic, *topic.get("replies", [])]
        for post_id, source in zip(post_ids, posts, strict=True):
            for name, users in (source.get("reactions") or {}).items():
                for username in users:
                    ops.set_reaction(
                        conn, _as_member(viewers[username]), post_id, name, True, reactions
                    )
                    counts["reactions"] += 1
        if topic.get("solution"):
            ops.set_solution(conn, moderator, topic_id, post_ids[int(topic["solution"]) - 1])
        flags = {k: bool(topic[k]) for k in ("pinned", "closed") if topic.get(k)}
        if flags:
            ops.update_topic(conn, moderator, topic_id, flags)
        counts["topics"] += 1
        counts["posts"] += len(post_ids)
    # Seeding is history, not news: nobody should be notified of it on first start.
    conn.execute("UPDATE notifications SET read_at = created_at")
    return counts


def _as_member(viewer: Viewer) -> Viewer:
    """Seeded posts are written as their authors; moderators see restricted categories too."""
    return Viewer(viewer.user_id, viewer.username, True)
