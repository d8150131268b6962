"""A state file written by an earlier Cohort opens with everything in it: the file in
tests/state_files/ was written by schema 1's own code (see the README there)."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tui.forum import statedb
from tui.forum.drafts import Drafts
from tui.forum.models import Post
from tui.forum.outbox import Outbox, OutboxKind, OutboxState

V1_FILE = Path(__file__).resolve().parent / "state_files" / "v1.state"
T0 = 1_700_000_000.0  # the clock the file was written with


def rows(path: Path, sql: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    copy = tmp_path / "state.db"
    shutil.copyfile(V1_FILE, copy)
    copy.chmod(0o600)
    return copy


def test_a_v1_file_keeps_every_item_and_draft(v1: Path) -> None:
    assert rows(v1, "PRAGMA user_version") == [{"user_version": 1}]
    outbox_before = rows(v1, "SELECT * FROM outbox ORDER BY id")
    drafts_before = rows(v1, "SELECT * FROM drafts ORDER BY key")
    assert [r["state"] for r in outbox_before] == ["queued", "queued", "queued", "rejected", "sent"]

    outbox = Outbox(v1, "home", clock=lambda: T0)
    assert rows(v1, "PRAGMA user_version") == [{"user_version": statedb.SCHEMA_VERSION}]
    after = rows(v1, "SELECT * FROM outbox ORDER BY id")
    assert [{k: r[k] for k in outbox_before[0]} for r in after] == outbox_before
    assert all(r["participants"] == "[]" for r in after)
    drafts_after = rows(v1, "SELECT * FROM drafts ORDER BY key")
    assert [{k: r[k] for k in drafts_before[0]} for r in drafts_after] == drafts_before

    # The items read as they were queued, and the queue is as it was.
    reply, topic, edit, refused, sent = outbox.items()
    assert (reply.kind, reply.state, reply.raw, reply.ambiguous) == (
        OutboxKind.REPLY,
        OutboxState.QUEUED,
        "Queued reply",
        True,
    )
    assert (reply.topic_id, reply.reply_to_post_number, reply.draft_key) == (3, 1, "reply:3")
    assert (topic.title, topic.category_slug, topic.tags) == (
        "Queued topic",
        "help",
        ("python", "sql"),
    )
    assert isinstance(edit.base_post, Post) and edit.base_post.raw == "Old text"
    assert refused.state is OutboxState.REJECTED and refused.reason == "too short"
    assert isinstance(sent.result, Post) and sent.result.raw == "Sent reply"
    assert [i.id for i in outbox.pending()] == [reply.id, topic.id, edit.id]
    assert all(i.participants == () for i in outbox.items())

    # A message can be queued now; ids go on past the last one ever given (5 was discarded).
    message = outbox.enqueue_message(["ola"], "Hello", "A new conversation")
    assert message.id == 7 and message.participants == ("ola",)
    outbox.close()
    with Drafts(v1, "home") as drafts:
        draft = drafts.load("new:4")
        assert draft is not None and draft.title == "Draft title" and draft.tags == ("python",)
        assert draft.participants == ()
        drafts.save("message:ola", raw="hi", title="Hello")
        kept = drafts.load("message:ola")
        assert kept is not None and kept.participants == ("ola",)
    # Opened again, nothing migrates twice.
    with Outbox(v1, "home", clock=lambda: T0) as again:
        assert [i.id for i in again.items()] == [1, 2, 3, 4, 6, 7]


def test_migrations_never_lose_a_row_or_a_column() -> None:
    """Statements only add, except that a table may be dropped once every column of it
    was copied into its replacement within the same migration."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for migration in statedb.MIGRATIONS:
        copied: set[str] = set()
        for statement in migration:
            assert not re.search(r"\b(DELETE|UPDATE|REPLACE)\b", statement, re.I), statement
            copy = re.match(r"INSERT INTO \w+ \((.*?)\) SELECT (.*?) FROM (\w+)$", statement, re.S)
            if copy:
                into = [c.strip() for c in copy[1].split(",")]
                taken = [c.strip() for c in copy[2].split(",")]
                table = copy[3]
                columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
                assert into == taken and sorted(taken) == sorted(columns), statement
                copied.add(table)
            dropped = re.match(r"DROP TABLE (\w+)$", statement)
            if dropped:
                assert dropped[1] in copied, f"{statement}: its rows were not copied first"
            conn.execute(statement)
    conn.close()
