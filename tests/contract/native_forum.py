"""The contract suite's native forum: a real `cohort serve` process on known data.

The data is built once per test session into a template database (the sample community,
a 30-post thread, a topic full of terminal escapes and markup, and a token for a new
member), and each test serves its own copy of it: a file copy and a server start, so the
tests stay independent without paying for seeding each time.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from server import sample
from server.store import Store, accounts, messages, ops
from server.store.viewer import Viewer
from tests.contract.facts import ContractForum, Facts
from tests.serverproc import start_server
from tui.forum.native import NativeBackend

LONG_TOPIC_POSTS = 30
MEMBER = "casey"
HOSTILE_TITLE = "Hostile \x1b]0;pwned\x07 [@click=app.quit]x[/] \u202e title"
HOSTILE_RAW = (
    "Clear screen \x1b[2J then an 8-bit CSI \x9b31m red, a clipboard write "
    "\x1b]52;c;cHduZWQ=\x07 and a bidi \u202e override, and [b]markup[/b] [@click=app.quit]."
)
SEARCH_WORD = "pandas"
CATEGORY_SLUG = "peer-qa"
CONVERSATION_TITLE = "Welcome to the community, Casey"


@dataclass(frozen=True)
class Template:
    path: Path
    token: str
    facts: Facts


_template: Template | None = None
_lock = threading.Lock()


def _one(conn: sqlite3.Connection, sql: str, *args: object) -> int:
    row = conn.execute(sql, args).fetchone()
    assert row is not None and row[0] is not None, f"the sample data has nothing for: {sql}"
    return int(row[0])


def _fill(conn: sqlite3.Connection, token: str) -> Facts:
    """Seed the sample community and add what the contract tests need; return the facts."""
    sample.seed(conn)
    users = {
        r["username"]: (int(r["id"]), bool(r["is_moderator"]))
        for r in conn.execute("SELECT id, username, is_moderator FROM users")
    }

    def as_user(name: str) -> Viewer:
        user_id, moderator = users[name]
        return Viewer(user_id, name, moderator)

    authors = ["ben", "chen", "ola", "dev", "amara"]
    long_view = ops.create_topic(
        conn,
        as_user("tomas"),
        title="A long thread: thirty days of practice",
        raw="Post one of thirty: say what you practised today.",
        category="study-groups",
    )
    long_id = int(long_view["topic"]["id"])
    for number in range(2, LONG_TOPIC_POSTS + 1):
        ops.create_post(
            conn,
            as_user(authors[number % len(authors)]),
            long_id,
            raw=f"Post {number} of thirty: practised for {number} minutes.",
            reply_to_post_number=number - 1 if number % 3 == 0 else None,
        )
    hostile = ops.create_topic(
        conn, as_user("kwame"), title=HOSTILE_TITLE, raw=HOSTILE_RAW, category=CATEGORY_SLUG
    )
    member_id = accounts.add_user(conn, MEMBER, name="Casey Contract")
    accounts.store_token(conn, member_id, token, "contract")
    # Unread notifications for the member, one of them with hostile text in its topic title.
    hostile_id = int(hostile["topic"]["id"])
    mine = ops.create_post(conn, Viewer(member_id, MEMBER), hostile_id, raw="Casey was here.")
    ops.create_post(
        conn,
        as_user("kwame"),
        hostile_id,
        raw=f"@{MEMBER} \x1b[31mhello\x1b[0m",
        reply_to_post_number=int(mine["post_number"]),
    )
    ops.set_reaction(conn, as_user("ben"), int(mine["id"]), "clap", True, ["like", "clap"])
    ops.set_reaction(conn, as_user("ola"), int(mine["id"]), "like", True, ["like", "clap"])
    ops.set_reaction(conn, as_user("chen"), int(mine["id"]), "clap", True, ["like", "clap"])
    messages.create_message(
        conn,
        as_user("ola"),
        participants=[MEMBER],
        title=CONVERSATION_TITLE,
        raw="Hello Casey: say if you would like a mentor, and for what.",
    )
    public = "(SELECT id FROM categories WHERE id NOT IN (SELECT category_id FROM category_groups))"
    topic_id = _one(
        conn,
        f"""SELECT t.id FROM topics t WHERE t.category_id IN {public} AND NOT t.closed
              AND t.deleted_at IS NULL AND t.posts_count >= 3 AND t.id != ?
              AND EXISTS (SELECT 1 FROM posts p WHERE p.topic_id = t.id
                          AND p.reply_to_post_number IS NOT NULL)
            ORDER BY t.id LIMIT 1""",
        long_id,
    )
    solved_id = _one(
        conn,
        f"""SELECT id FROM topics WHERE category_id IN {public}
              AND solution_post_id IS NOT NULL ORDER BY id LIMIT 1""",
    )
    linked_id = _one(
        conn,
        f"""SELECT l.topic_id FROM links l JOIN topics t ON t.id = l.topic_id
            WHERE t.category_id IN {public} ORDER BY l.topic_id LIMIT 1""",
    )
    return Facts(
        name="native",
        category_slug=CATEGORY_SLUG,
        topic_id=topic_id,
        long_topic_id=long_id,
        long_topic_posts=LONG_TOPIC_POSTS,
        search_word=SEARCH_WORD,
        logged_in=True,
        can_write=True,
        idempotent_creates=True,
        has_resources=True,
        has_changes=True,
        hostile_topic_id=hostile_id,
        solved_topic_id=solved_id,
        linked_topic_id=linked_id,
        reacted_post_id=int(mine["id"]),
        reactors=(("clap", ("chen", "ben")), ("like", ("ola",))),
        # The sample community's study groups and mentors (server/sample/community.toml).
        group_slug="missing-semester",
        open_group="missing-semester",
        request_group="stats-circle",
        person="chen",
        conversation_title=CONVERSATION_TITLE,
        unsupported=(),
    )


def _build_template() -> Template:
    folder = Path(tempfile.mkdtemp(prefix="cohort-contract-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "template.db"
    token = "cht_" + secrets.token_urlsafe(32)
    store = Store(path)
    try:
        facts = store.write_sync(_fill, token)
    finally:
        store.close()
    # Fold the WAL back in, so one file is the whole database.
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return Template(path=path, token=token, facts=facts)


def template() -> Template:
    """The session's template database, built on first use."""
    global _template
    with _lock:
        if _template is None:
            _template = _build_template()
        return _template


@asynccontextmanager
async def native_forum(tmp_path: Path) -> AsyncIterator[ContractForum]:
    made = await asyncio.to_thread(template)
    db = tmp_path / "contract.db"
    shutil.copyfile(made.path, db)
    os.chmod(db, 0o600)
    server = await asyncio.to_thread(start_server, tmp_path, unix=False, db=db)
    backend = NativeBackend.for_url(server.base_url, made.token)
    try:
        yield ContractForum(backend=backend, facts=made.facts)
    finally:
        await backend.aclose()
        await asyncio.to_thread(server.stop)
