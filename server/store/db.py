"""SQLite connections: one writer with group commit, readers on their own connections.

The writer is a single thread that owns the only write connection. Requests hand it
small functions; it runs every function waiting in its queue inside one transaction
(each in its own savepoint, so one failure rolls back only itself) and commits once.
With `synchronous=FULL` every acknowledged write is on disk, and group commit turns
many concurrent writers into one fsync instead of one each.
"""

from __future__ import annotations

import asyncio
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from server.store.schema import check_not_too_new, migrate

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
MAX_BATCH = 256
# Page cache per reader connection (SQLite's default is 2 MiB). A search touching a few
# thousand posts otherwise re-reads pages from the OS on every query: tag:python on a
# 100,000-post forum takes 9.6 ms with 2 MiB, 6.8 ms with 16. Filled only as used.
READER_CACHE_KIB = 16_384


def connect(
    path: Path | str, *, readonly: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> sqlite3.Connection:
    """Open a connection configured the way every part of the server expects."""
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    if readonly:
        conn.execute("PRAGMA query_only = 1")
        conn.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
    return conn


def open_database(path: Path | str) -> sqlite3.Connection:
    """Create or open the database file (mode 0600), switch to WAL and migrate it."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    conn = connect(path)
    try:
        check_not_too_new(conn)  # before WAL: switching modes rewrites the file's header
    except BaseException:
        conn.close()
        raise
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        conn.close()
        raise RuntimeError(f"{path}: SQLite refused WAL mode (got {mode!r}); use a local disk")
    migrate(conn)
    return conn


def refresh_statistics(conn: sqlite3.Connection, *, starting: bool = False) -> bool:
    """Keep the query planner's statistics (sqlite_stat1) in step with the forum's size.

    Without them SQLite guesses, and guesses badly for filter-only searches (a status:
    search sorted every post: 100 ms instead of 2). ANALYZE when there are none yet or
    the posts table has doubled since they were taken (a full pass: about 0.1 s per
    100,000 posts, so rare enough); otherwise PRAGMA optimize, which SQLite advises
    running now and then. Returns whether it analysed.

    `starting`, on a forum never analysed (made by an older Cohort, imported, or
    generated in bulk), also merges each full-text index into one segment: a bulk load
    leaves large segments half-merged, and FTS5 makes every later post pay part of that
    merge (about 1 ms a post over the next thousands of posts, 0.1 ms once merged).
    """
    posts = int(conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM posts").fetchone()[0])
    known = 0
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        row = conn.execute(
            "SELECT stat FROM sqlite_stat1 WHERE tbl = 'posts' AND idx = 'posts_created'"
        ).fetchone()
        known = int(str(row[0]).split()[0]) if row else 0
    if posts > 0 and posts >= 2 * known:
        if starting and known == 0:
            conn.execute("INSERT INTO posts_fts(posts_fts) VALUES ('optimize')")
            conn.execute("INSERT INTO topics_fts(topics_fts) VALUES ('optimize')")
        conn.execute("ANALYZE")
        return True
    conn.execute("PRAGMA optimize")
    return False


def run_in_transaction(conn: sqlite3.Connection, fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(conn, *args)` in one immediate transaction (used outside the server)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn, *args)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


class _Job:
    __slots__ = ("args", "fn", "future", "loop")

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[Any],
    ) -> None:
        self.fn = fn
        self.args = args
        self.loop = loop
        self.future = future


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Writer:
    """The single writer thread with group commit."""

    def __init__(self, conn: sqlite3.Connection, on_commit: Callable[[], None] | None = None):
        self._conn = conn
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._on_commit = on_commit
        self._thread = threading.Thread(target=self._run, name="cohort-writer", daemon=True)
        self._thread.start()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(fn, args, loop, future))
        return await future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        conn = self._conn
        stop = False
        while not stop:
            job = self._queue.get()
            if job is None:
                break
            batch = [job]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            outcomes = self._commit(conn, batch)
            for item, (result, error) in zip(batch, outcomes, strict=True):
                item.loop.call_soon_threadsafe(_settle, item.future, result, error)
            if self._on_commit is not None:
                self._on_commit()

    @staticmethod
    def _commit(
        conn: sqlite3.Connection, batch: list[_Job]
    ) -> list[tuple[Any, BaseException | None]]:
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            return [(None, exc)] * len(batch)
        for item in batch:
            conn.execute("SAVEPOINT job")
            try:
                result = item.fn(conn, *item.args)
            except Exception as exc:
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                outcomes.append((None, exc))
            else:
                conn.execute("RELEASE job")
                outcomes.append((result, None))
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return [(None, exc)] * len(batch)
        return outcomes


class ReaderPool:
    """One read-only connection per thread, opened on first use."""

    def __init__(self, path: Path | str) -> None:
        self._path = path
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self._path, readonly=True)
            self._local.conn = conn
        return conn
