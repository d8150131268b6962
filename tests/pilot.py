"""Helpers for Pilot tests of the TUI."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerState


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker is pending or running (one answer often starts another)."""
    app = pilot.app
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        busy = [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
        if not busy:
            return
    raise AssertionError(f"workers still busy: {busy}")
