"""Drafts, saved as they are typed, so a crash or kill -9 loses nothing acknowledged.

The composer calls `save` on every change; each is one small UPSERT committed on its
own. The connection runs WAL with synchronous=NORMAL: a commit has been written to the
WAL (so it is in the operating system's hands) before `save` returns, which a killed
process cannot undo; only a power cut can lose the last few, and never corrupts the
file. That keeps a save in the tens of microseconds instead of an fsync's milliseconds.

Keys say what a draft is for: "reply:{topic_id}", "reply:{topic_id}:{post_number}",
"new:{category_id or 'any'}", "edit:{post_id}" and "message:{usernames}" (a new private
conversation, by the people it was opened for, sorted; "message:" for nobody yet); use the
helpers below to build them. Like a new topic's category, the people a conversation is
for can change while it is written: the draft keeps them in its own `participants`
column, and its key stays the one it was opened with.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.forum import statedb
from tui.forum.sanitize import clean, clean_line

_KEY = re.compile(
    r"reply:(\d+)(?::(\d+))?|new:(\d+|any)|edit:(\d+)|message:((?:[\w.-]+)(?:,[\w.-]+)*)?"
)
_USERNAME = re.compile(r"[\w.-]+")


def reply_key(topic_id: int, post_number: int | None = None) -> str:
    """A reply to a topic, or to one post of it."""
    if post_number is None:
        return f"reply:{topic_id}"
    return f"reply:{topic_id}:{post_number}"


def new_topic_key(category_id: int | None) -> str:
    """A new topic, in a category or not yet placed."""
    return f"new:{'any' if category_id is None else category_id}"


def edit_key(post_id: int) -> str:
    """An edit of an existing post."""
    return f"edit:{post_id}"


def message_key(participants: Iterable[str]) -> str:
    """A new private conversation with these people (order, case and @ do not matter).
    ValueError for a name no forum allows (a username is letters, digits, _ . -)."""
    names = sorted({p.strip().lstrip("@").casefold() for p in participants} - {""})
    for name in names:
        if not _USERNAME.fullmatch(name):
            raise ValueError(f"not a username: {name!r}")
    return f"message:{','.join(names)}"


def check_key(key: str) -> re.Match[str]:
    """The parts of a draft key; ValueError for anything else (a bug in the caller)."""
    found = _KEY.fullmatch(key)
    if found is None:
        raise ValueError(f"not a draft key: {key!r}")
    return found


@dataclass(frozen=True, slots=True)
class Draft:
    """Text the user is writing and has not sent (or whose sending has not finished)."""

    key: str
    raw: str
    updated_at: datetime
    created_at: datetime
    title: str | None = None
    category: int | None = None  # category id, for new topics
    tags: tuple[str, ...] = ()
    reply_to_post_number: int | None = None
    topic_id: int | None = None
    participants: tuple[str, ...] = ()  # new conversations: whom it is for
    updated_ns: int = 0  # the exact save time, to tell a later save from this one

    @property
    def kind(self) -> str:
        """What it is for: reply, new, edit or message (the key's first part)."""
        return self.key.partition(":")[0]


_UPSERT = """
INSERT INTO drafts (profile, key, raw, title, category_id, tags, reply_to_post_number,
                    topic_id, participants, created_ns, updated_ns)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (profile, key) DO UPDATE SET
    raw = excluded.raw, title = excluded.title, category_id = excluded.category_id,
    tags = excluded.tags, reply_to_post_number = excluded.reply_to_post_number,
    topic_id = excluded.topic_id, participants = excluded.participants,
    updated_ns = excluded.updated_ns
"""
_COLUMNS = (
    "key, raw, title, category_id, tags, reply_to_post_number, topic_id, participants, "
    "created_ns, updated_ns"
)


class Drafts:
    """The drafts of one forum profile, in the shared state file."""

    def __init__(self, db_path: Path | str, profile: str) -> None:
        self.path = Path(db_path)
        self.profile = profile
        self._conn = statedb.connect(self.path, synchronous="NORMAL")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Drafts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def save(
        self,
        key: str,
        *,
        raw: str,
        title: str | None = None,
        category: int | None = None,
        tags: tuple[str, ...] | list[str] = (),
        reply_to_post_number: int | None = None,
        topic_id: int | None = None,
        participants: tuple[str, ...] | list[str] = (),
    ) -> None:
        """Keep what is typed so far; an empty text and title removes the draft.

        The topic and the post replied to default to what the key says, and so do the
        people a new conversation is for.
        """
        parts = check_key(key)
        if not raw.strip() and not (title or "").strip():
            self.delete(key)
            return
        if parts[1] is not None:
            if topic_id is None:
                topic_id = int(parts[1])
            if reply_to_post_number is None and parts[2] is not None:
                reply_to_post_number = int(parts[2])
        elif parts[3] is not None and category is None and parts[3] != "any":
            category = int(parts[3])
        elif key.startswith("message:") and not participants and parts[5]:
            participants = parts[5].split(",")
        now = time.time_ns()
        self._conn.execute(
            _UPSERT,
            (
                self.profile,
                key,
                raw,
                title,
                category,
                json.dumps(list(tags)) if tags else "[]",
                reply_to_post_number,
                topic_id,
                json.dumps(list(participants)) if participants else "[]",
                now,
                now,
            ),
        )

    def load(self, key: str) -> Draft | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM drafts WHERE profile = ? AND key = ?",
            (self.profile, key),
        ).fetchone()
        return None if row is None else _draft(row)

    def delete(self, key: str) -> None:
        self._conn.execute("DELETE FROM drafts WHERE profile = ? AND key = ?", (self.profile, key))

    def all(self) -> list[Draft]:
        """Every draft of this profile, the most recently changed first."""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM drafts WHERE profile = ? ORDER BY updated_ns DESC, key",
            (self.profile,),
        ).fetchall()
        return [_draft(row) for row in rows]


def _time(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)


def _draft(row: tuple[Any, ...]) -> Draft:
    """A Draft from a row; the file is outside our process, so its text is sanitised."""
    key, raw, title, category, tags, reply_to, topic_id, people, created_ns, updated_ns = row
    return Draft(
        key=str(key),
        raw=clean(str(raw)),
        title=None if title is None else clean_line(str(title)),
        category=_opt_int(category),
        tags=_names(tags),
        participants=_names(people),
        reply_to_post_number=_opt_int(reply_to),
        topic_id=_opt_int(topic_id),
        created_at=_time(int(created_ns)),
        updated_at=_time(int(updated_ns)),
        updated_ns=int(updated_ns),
    )


def _names(text: object) -> tuple[str, ...]:
    """A JSON list of names (tags, usernames), sanitised; () when it is not one."""
    try:
        names = json.loads(str(text))
    except ValueError:
        return ()
    if not isinstance(names, list):
        return ()
    return tuple(clean_line(n) for n in names if isinstance(n, str))


def _opt_int(value: object) -> int | None:
    return value if isinstance(value, int) else None
