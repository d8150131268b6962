"""The store: every line of SQL the server runs lives in this package.

`Store` hands work to one writer thread (group commit) and to readers, and wakes
long-polling clients when a write commits.

Reads come in two kinds. A cheap, bounded read (a topic page, a post, who a token
belongs to) runs right on the event loop (`read_inline`): handing it to a thread costs
more than the read itself, because the thread must win the GIL back from the busy
event loop after every SQLite call. A read whose cost grows with the data (search,
resources) runs on a worker thread (`read`), at most `read_threads` at a time, so it
never stalls the loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from server.store import accounts
from server.store.db import (
    ReaderPool,
    Writer,
    connect,
    open_database,
    refresh_statistics,
    run_in_transaction,
)

T = TypeVar("T")

log = logging.getLogger("cohort.store")

PRUNE_EVERY = 1000  # writes between housekeeping passes (pruning, planner statistics)
# An inline read must never hold the event loop for long: it gives up on a locked
# database after this long and is retried on a worker thread, which waits as usual.
INLINE_BUSY_TIMEOUT_MS = 50


def _default_read_threads() -> int:
    """Heavy reads spend their time in SQLite, outside the GIL: one thread per CPU."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 2
    return max(2, min(cpus, 8))


class Store:
    def __init__(
        self, path: Path | str, *, keep_changes: int = 100_000, read_threads: int | None = None
    ) -> None:
        self.path = Path(path)
        self.keep_changes = keep_changes
        self.read_threads = read_threads or _default_read_threads()
        self._write_conn = open_database(self.path)
        self._readers = ReaderPool(self.path)
        self._inline: sqlite3.Connection | None = None
        self._limiter: anyio.CapacityLimiter | None = None
        self._writer: Writer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed = asyncio.Event()
        self._writes = 0

    # -- synchronous use: admin commands, seeding, tests ----------------------------------

    def write_sync(self, fn: Callable[..., T], *args: Any) -> T:
        if self._writer is not None:
            raise RuntimeError("the writer thread owns the connection while the server runs")
        return run_in_transaction(self._write_conn, fn, *args)

    def read_sync(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(self._readers.get(), *args)

    # -- asynchronous use: the server ------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread; call from the event loop that will serve requests.

        First the planner's statistics are brought up to date: a database that was
        never analysed (a forum from an older Cohort, an import, a generated one) plans
        its searches badly. They only make reads faster, so a database another process
        keeps locked does not stop the server: the writer catches up later.
        """
        try:
            run_in_transaction(
                self._write_conn, functools.partial(refresh_statistics, starting=True)
            )
        except sqlite3.OperationalError:
            log.warning("could not refresh the query planner's statistics", exc_info=True)
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._limiter = anyio.CapacityLimiter(self.read_threads)
        self._writer = Writer(self._write_conn, on_commit=self._committed)

    async def stop(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await anyio.to_thread.run_sync(writer.close)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._write_conn.close()
        if self._inline is not None:
            self._inline.close()
            self._inline = None

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._writer is None:
            raise RuntimeError("Store.start() was not called")
        call = functools.partial(fn, **kwargs) if kwargs else fn
        result = await self._writer.run(call, *args)
        self._writes += 1
        # A small feed is pruned as often as it fills, a big one every PRUNE_EVERY writes.
        every = min(PRUNE_EVERY, self.keep_changes)
        if self.keep_changes > 0 and self._writes % every == 0:
            await self._writer.run(accounts.prune, self.keep_changes)
        if self._writes % PRUNE_EVERY == 0:
            try:  # the caller's write is committed: housekeeping must not fail it
                await self._writer.run(refresh_statistics)
            except sqlite3.Error:
                log.warning("could not refresh the query planner's statistics", exc_info=True)
        return result

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(conn, ...)` on a worker thread: for reads whose cost grows with the data."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.read_threads)
        call = functools.partial(self._read_call, fn, args, kwargs)
        return await anyio.to_thread.run_sync(call, limiter=self._limiter)

    async def read_inline(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(conn, ...)` here, on the event loop: only for cheap, bounded reads.

        In WAL mode a reader is practically never locked out; if it is, the read is
        retried on a worker thread rather than stalling the loop for the busy timeout.
        """
        conn = self._inline
        if conn is None:
            conn = self._inline = connect(
                self.path, readonly=True, busy_timeout_ms=INLINE_BUSY_TIMEOUT_MS
            )
        try:
            return fn(conn, *args, **kwargs)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
        return await self.read(fn, *args, **kwargs)

    def _read_call(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        return fn(self._readers.get(), *args, **kwargs)

    def _committed(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def commit_event(self) -> asyncio.Event:
        """An event set by the next commit. Take it before reading, so no commit slips by."""
        return self._changed

    @staticmethod
    async def wait_for(event: asyncio.Event, timeout: float) -> bool:
        """Wait for `event` at most `timeout` seconds; True when it was set."""
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def backup(self, destination: Path | str) -> None:
        """An online, consistent copy of the database, taken while the server runs.

        The copy holds password and token hashes, so it is created 0600 like the
        database, and never over an existing file (FileExistsError)."""
        os.close(os.open(destination, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        target = sqlite3.connect(str(destination))
        try:
            source = sqlite3.connect(str(self.path))
            try:
                source.backup(target)
            finally:
                source.close()
        finally:
            target.close()
