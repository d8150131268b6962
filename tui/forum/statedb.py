"""The client's durable state: drafts and the outbox, in one SQLite file per user.

Unlike the cache, this file holds text the user wrote and nobody else has: it is never
rebuilt. A file that is damaged, belongs to something else, or was written by a newer
Cohort is refused with an error that names it, and is left exactly as it was, so the
user (or a newer Cohort) can still recover it. Migrations never lose what it holds.

One file serves every forum: rows carry a `profile` column. WAL mode lets the drafts
connection (synchronous=NORMAL: a commit is in the WAL, so in the OS, before it
returns, which survives kill -9) and the outbox connection (synchronous=FULL: also
survives power loss) write side by side.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from tui.forum import paths

FILE_NAME = "state.db"
APPLICATION_ID = 0x43_6F_53_74  # "CoSt": marks the file as Cohort's state
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000

# The outbox's columns as migration 1 made them: migration 2 copies each one.
_OUTBOX_V1_COLUMNS = (
    "id, profile, kind, state, idempotency_key, raw, title, topic_id, post_id, "
    "reply_to_post_number, category_id, category_slug, tags, base_post, since_post_number, "
    "draft_key, attempts, failures, ambiguous, next_attempt_at, reason, reason_code, "
    "current_version, result_kind, result, claimed_by, claimed_at, created_ns, updated_ns, "
    "sent_at"
)

# Each migration: statements applied in one transaction, recorded in PRAGMA user_version.
# Only ever append; a migration never loses user text: a table is dropped only after
# every row and column of it was copied into its replacement (a test checks).
MIGRATIONS: list[list[str]] = [
    # 1: drafts and the outbox.
    [
        f"PRAGMA application_id = {APPLICATION_ID}",
        """CREATE TABLE drafts (
            profile TEXT NOT NULL,
            key TEXT NOT NULL,
            raw TEXT NOT NULL,
            title TEXT,
            category_id INTEGER,
            tags TEXT NOT NULL DEFAULT '[]',
            reply_to_post_number INTEGER,
            topic_id INTEGER,
            created_ns INTEGER NOT NULL,
            updated_ns INTEGER NOT NULL,
            PRIMARY KEY (profile, key)
        )""",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            profile TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('reply', 'topic', 'edit')),
            state TEXT NOT NULL CHECK (
                state IN ('queued', 'sending', 'sent', 'conflict', 'rejected', 'failed')),
            idempotency_key TEXT NOT NULL UNIQUE,
            raw TEXT NOT NULL,
            title TEXT,
            topic_id INTEGER,
            post_id INTEGER,
            reply_to_post_number INTEGER,
            category_id INTEGER,
            category_slug TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            base_post TEXT,
            since_post_number INTEGER,
            draft_key TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            ambiguous INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            reason TEXT,
            reason_code TEXT,
            current_version INTEGER,
            result_kind TEXT,
            result TEXT,
            claimed_by TEXT,
            claimed_at REAL,
            created_ns INTEGER NOT NULL,
            updated_ns INTEGER NOT NULL,
            sent_at REAL
        )""",
        "CREATE INDEX outbox_due ON outbox(profile, state, next_attempt_at)",
        "CREATE INDEX outbox_topic ON outbox(profile, topic_id, state)",
    ],
    # 2: private messages. SQLite cannot change a CHECK in place, so the outbox is
    # rebuilt (SQLite's documented procedure): the new table is made, every row copied,
    # the AUTOINCREMENT counter carried over (an id discarded is never given again), and
    # only then the old table dropped; all in the migration's one transaction.
    [
        """CREATE TABLE outbox_v2 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            profile TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('reply', 'topic', 'edit', 'message')),
            state TEXT NOT NULL CHECK (
                state IN ('queued', 'sending', 'sent', 'conflict', 'rejected', 'failed')),
            idempotency_key TEXT NOT NULL UNIQUE,
            raw TEXT NOT NULL,
            title TEXT,
            topic_id INTEGER,
            post_id INTEGER,
            reply_to_post_number INTEGER,
            category_id INTEGER,
            category_slug TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            base_post TEXT,
            since_post_number INTEGER,
            draft_key TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            ambiguous INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            reason TEXT,
            reason_code TEXT,
            current_version INTEGER,
            result_kind TEXT,
            result TEXT,
            claimed_by TEXT,
            claimed_at REAL,
            created_ns INTEGER NOT NULL,
            updated_ns INTEGER NOT NULL,
            sent_at REAL,
            participants TEXT NOT NULL DEFAULT '[]'
        )""",
        "INSERT INTO sqlite_sequence (name, seq) "
        "SELECT 'outbox_v2', seq FROM sqlite_sequence WHERE name = 'outbox'",
        f"INSERT INTO outbox_v2 ({_OUTBOX_V1_COLUMNS}) SELECT {_OUTBOX_V1_COLUMNS} FROM outbox",
        "DROP TABLE outbox",
        "ALTER TABLE outbox_v2 RENAME TO outbox",
        "CREATE INDEX outbox_due ON outbox(profile, state, next_attempt_at)",
        "CREATE INDEX outbox_topic ON outbox(profile, topic_id, state)",
        # A new conversation's draft keeps whom it is for (its key names only the people
        # it was opened for, as a new topic's names the category it was opened in).
        "ALTER TABLE drafts ADD COLUMN participants TEXT NOT NULL DEFAULT '[]'",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)

Synchronous = Literal["FULL", "NORMAL"]


class StateDbError(Exception):
    """The state file cannot be used as it is; it has been left untouched."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"{path}: {problem}. Cohort keeps your drafts and unsent posts in this file, "
            "so it has not changed it; move it aside to start afresh."
        )
        self.path = path
        self.problem = problem


def default_path() -> Path:
    """The state file in the user's data folder (not the cache: it is never rebuilt)."""
    return paths.data_dir() / FILE_NAME


def connect(path: Path | str, *, synchronous: Synchronous = "FULL") -> sqlite3.Connection:
    """Open (creating or migrating it if needed) the state file, in autocommit mode.

    Callers group each change in `transaction(conn)`. Raises StateDbError, leaving the
    file as it was, when it is not ours, damaged, or from a newer Cohort.
    """
    path = Path(path)
    _create_private(path)
    _check_header(path)
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _check_contents(conn, path)
        # Only now, with the file known to be ours, change anything in it.
        conn.execute("PRAGMA journal_mode = WAL")  # SQLite keeps its rollback journal if it must
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    with contextlib.suppress(OSError):
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One durable transaction (BEGIN IMMEDIATE: take the write lock up front)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _create_private(path: Path) -> None:
    """Create the file 0600 before SQLite does (its -wal and -shm files copy the mode)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _check_header(path: Path) -> None:
    try:
        size = path.stat().st_size
        if size == 0:
            return  # new (or all still in the WAL): SQLite starts it
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as e:
        raise StateDbError(path, f"cannot be read ({e.strerror or e})") from e
    if head != SQLITE_HEADER:
        raise StateDbError(path, "is not a SQLite database")


def _check_contents(conn: sqlite3.Connection, path: Path) -> None:
    """Read-only checks: whose file it is, which schema, whether it is intact."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id not in (0, APPLICATION_ID) or (app_id == 0 and (version or tables)):
            raise StateDbError(path, "is a SQLite database, but not Cohort's state")
        if version > SCHEMA_VERSION:
            raise StateDbError(
                path,
                f"was written by a newer Cohort (schema {version}; this one knows "
                f"{SCHEMA_VERSION}): upgrade Cohort to use it",
            )
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    except sqlite3.DatabaseError as e:
        raise StateDbError(path, f"is damaged ({e})") from e
    if problems != ["ok"]:
        raise StateDbError(path, f"is damaged ({'; '.join(map(str, problems))})")


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    while True:
        with transaction(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:  # another process got there first, and is newer
                raise StateDbError(path, f"was written by a newer Cohort (schema {version})")
            if version == SCHEMA_VERSION:
                return
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
