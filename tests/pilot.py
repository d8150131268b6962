"""Helpers for Pilot tests of the TUI."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from textual.pilot import Pilot
from textual.worker import Worker, WorkerState

# The app's workers that run for as long as it does (the outbox sender, the change feed).
LIFELONG = frozenset({"deliver", "follow"})
IDLE_LOOKS = 3


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker is pending or running (one answer often starts another),
    apart from the app's lifelong ones, which only sleep between rounds."""
    app = pilot.app
    busy: list[Worker[Any]] = []
    idle = 0
    for _ in range(400):
        await pilot.pause()
        busy = [
            w
            for w in app.workers
            if w.state in (WorkerState.PENDING, WorkerState.RUNNING) and w.group not in LIFELONG
        ]
        if not busy:
            # Idle a few times running: a message in flight (the change feed's, a worker's
            # answer) may be about to start another worker.
            idle += 1
            if idle >= IDLE_LOOKS:
                return
            await pilot.pause(0.02)
            continue
        idle = 0
        await asyncio.wait([asyncio.ensure_future(_ended(w)) for w in busy], timeout=0.5)
    raise AssertionError(f"workers still busy: {busy}")


async def _ended(worker: Worker[Any]) -> None:
    with contextlib.suppress(Exception):  # failed or cancelled: ended all the same
        await worker.wait()
