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


def connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open a connection configured the way every part of the server expects."""
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    if readonly:
        conn.execute("PRAGMA query_only = 1")
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
