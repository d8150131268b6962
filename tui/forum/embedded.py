"""The embedded forum: Cohort's own server, run inside the TUI's process.

`make run` should show a living forum with nothing to set up, so the TUI opens the
server's store on a local database (seeding the sample community on first run) and talks
to the server's real ASGI app through `httpx.ASGITransport`. It is in-process on purpose:
there is no child process to leak or orphan and no socket file to clean up, yet every
request takes the same code path as on a real server, and identity follows the same
rule as on the server's Unix socket (`WithPeerUid`): the local user is the forum user.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType

import httpx

from server import sample
from server.app import create_app
from server.peercred import WithPeerUid
from server.settings import Settings
from server.store import Store
from tui.forum.paths import embedded_db_path

BASE_URL = "http://cohort.embedded"


def _seed_if_empty(conn: sqlite3.Connection) -> None:
    # Checked inside the write transaction, so two first starts cannot both seed.
    if sample.is_empty(conn):
        sample.seed(conn)


def _open_store(path: Path) -> Store:
    store = Store(path)
    try:
        store.write_sync(_seed_if_empty)
    except BaseException:
        store.close()
        raise
    return store


async def _opened_store(path: Path) -> Store:
    """Open (migrate, first-run seed) off the event loop; closed even if we are cancelled."""
    opening = asyncio.ensure_future(asyncio.to_thread(_open_store, path))
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        # The thread cannot be stopped; close its store once it is done with it.
        opening.add_done_callback(_close_opened)
        raise


def _close_opened(opening: asyncio.Future[Store]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result().close()


class EmbeddedForum:
    """`async with EmbeddedForum() as http:` gives an httpx client for the local forum."""

    label = "embedded forum"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._stack: AsyncExitStack | None = None

    async def __aenter__(self) -> httpx.AsyncClient:
        path = self.path or embedded_db_path()
        stack = AsyncExitStack()
        try:
            store = await _opened_store(path)
            stack.callback(store.close)
            app = create_app(store, Settings(write_rate=0, read_rate=0))
            # The lifespan starts the store's writer thread and stops it on exit.
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(
                app=WithPeerUid(app, os.getuid()), raise_app_exceptions=False
            )
            http = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url=BASE_URL)
            )
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return http

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()
