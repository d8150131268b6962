"""The store: every line of SQL the server runs lives in this package.

`Store` hands work to one writer thread (group commit) and to per-thread readers, and
wakes long-polling clients when a write commits.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

from server.store import accounts
from server.store.db import ReaderPool, Writer, open_database, run_in_transaction

T = TypeVar("T")

PRUNE_EVERY = 1000  # writes between housekeeping passes


class Store:
    def __init__(self, path: Path | str, *, keep_changes: int = 100_000) -> None:
        self.path = Path(path)
        self.keep_changes = keep_changes
        self._write_conn = open_database(self.path)
        self._readers = ReaderPool(self.path)
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
        """Start the writer thread; call from the event loop that will serve requests."""
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
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
        return result

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        call = functools.partial(self._read_call, fn, args, kwargs)
        return await anyio.to_thread.run_sync(call)

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
