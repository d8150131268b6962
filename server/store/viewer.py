"""Who is asking, and which categories that person may see."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: int | None
    username: str | None = None
    is_moderator: bool = False

    @property
    def anonymous(self) -> bool:
        return self.user_id is None


ANONYMOUS = Viewer(None)


def visible_category_ids(conn: sqlite3.Connection, viewer: Viewer) -> list[int]:
    """Public categories, plus restricted ones the viewer belongs to (moderators see all).

    The category holding private messages (kind 'messages') is no one's: its topics are
    shown to their participants one by one (common.can_see_topic), moderators included.
    """
    if viewer.is_moderator:
        rows = conn.execute("SELECT id FROM categories WHERE kind = 'forum'").fetchall()
    elif viewer.user_id is None:
        rows = conn.execute(
            """SELECT id FROM categories WHERE kind = 'forum'
                 AND id NOT IN (SELECT category_id FROM category_groups)"""
        ).fetchall()
    else:
        rows = conn.execute(
            """SELECT id FROM categories
               WHERE kind = 'forum'
                 AND (id NOT IN (SELECT category_id FROM category_groups)
                      OR id IN (SELECT cg.category_id FROM category_groups cg
                                JOIN group_members gm ON gm.group_id = cg.group_id
                                WHERE gm.user_id = ?))""",
            (viewer.user_id,),
        ).fetchall()
    return [int(r[0]) for r in rows]


def ids_param(ids: list[int]) -> str:
    """A list of ids as one SQL parameter, used as `IN (SELECT value FROM json_each(?))`."""
    return json.dumps([int(i) for i in ids])
