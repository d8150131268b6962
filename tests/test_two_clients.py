"""End to end: two people, each in their own Cohort, on a real server process over TCP.

Ada and Ben each run the TUI (two apps, each with its own cache and state file), open
the same thread, and reply to each other through the composer and the outbox; each sees
the other's reply arrive live (the server's change feed) without touching a key, and
Ada's inbox tells her Ben answered her.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.pilot import settle
from tests.serverproc import ServerProcess
from tui.app import CohortApp
from tui.forum.backend import ForumBackend
from tui.forum.community import community_of
from tui.forum.models import Post
from tui.forum.native import NativeBackend
from tui.screens.compose import ComposeScreen
from tui.screens.thread import ThreadScreen


def forum_at(url: str, token: str) -> Callable[[], contextlib.AbstractAsyncContextManager[Any]]:
    @contextlib.asynccontextmanager
    async def open_forum() -> AsyncIterator[ForumBackend]:
        backend = NativeBackend.for_url(url, token)
        try:
            yield backend
        finally:
            await backend.aclose()

    return open_forum


def person(server: ServerProcess, name: str, tmp: Path) -> CohortApp:
    return CohortApp(
        forum_at(server.base_url, server.token_for(name)),
        source=name,
        cache_file=tmp / f"{name}-cache.db",
        state_file=tmp / f"{name}-state.db",
        profile=name,
    )


async def until(pilots: list[Pilot[Any]], condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        for pilot in pilots:
            await pilot.pause(0.02)


def thread_of(app: CohortApp) -> ThreadScreen:
    screen = app.screen
    assert isinstance(screen, ThreadScreen), screen
    return screen


def says(app: CohortApp, text: str) -> bool:
    screen = app.screen
    return isinstance(screen, ThreadScreen) and any(
        p.raw == text and not p.pending for p in screen.view.posts
    )


async def reply(pilot: Pilot[Any], app: CohortApp, text: str) -> None:
    await pilot.press("c")
    await until([pilot], lambda: isinstance(app.screen, ComposeScreen), "the composer")
    await pilot.press(*text)
    await pilot.press("ctrl+s")
    await until([pilot], lambda: isinstance(app.screen, ThreadScreen), "the thread")


async def test_two_people_see_each_others_replies_live(
    tcp_server: ServerProcess, tmp_path: Path
) -> None:
    done = tcp_server.admin("add-category", "study", "--name", "Study group")
    assert done.returncode == 0, done.stderr
    ada, ben = person(tcp_server, "ada", tmp_path), person(tcp_server, "ben", tmp_path)
    async with forum_at(tcp_server.base_url, tcp_server.token_for("ada"))() as backend:
        category = next(c for c in await backend.categories() if c.slug == "study")
        page = await backend.create_topic(
            title="Week 3 reading",
            raw="Who has read chapter 3?",
            category=category,
            tags=[],
            key="wk3",
        )
    topic_id = page.topic.id
    async with ada.run_test(size=(120, 40)) as ada_pilot, ben.run_test(size=(120, 40)) as ben_pilot:
        pilots: list[Pilot[Any]] = [ada_pilot, ben_pilot]
        await until(pilots, lambda: ada.me is not None and ben.me is not None, "logins")
        await ada.open_thread(topic_id)
        await ben.open_thread(topic_id)
        await settle(ada_pilot)
        await settle(ben_pilot)

        await reply(ben_pilot, ben, "I have, the proofs were hard.")
        await until(pilots, lambda: says(ben, "I have, the proofs were hard."), "Ben's own")
        await until(pilots, lambda: says(ada, "I have, the proofs were hard."), "Ada sees")

        await reply(ada_pilot, ada, "Same here, shall we meet?")
        await until(pilots, lambda: says(ben, "Same here, shall we meet?"), "Ben sees it")

        # Nobody moved: each is still on the post they had selected.
        for app in (ada, ben):
            selected = thread_of(app).view.selected
            assert isinstance(selected, Post) and selected.post_number == 1
        # Ada's inbox heard that Ben answered her topic.
        await until(pilots, lambda: ada.unread_notifications >= 1, "Ada's notice")
        assert any("ben" in n.message for n in ada._notifications)

        # A private word from Ben: Ada's home status line counts it.
        community = community_of(ben.backend) if ben.backend is not None else None
        assert community is not None
        await community.start_conversation(["ada"], "Notes", "Can you share yours?", key="n1")
        await until(pilots, lambda: ada.unread_messages == 1, "Ada's unread conversation")
        await until(
            pilots,
            lambda: "1 unread conversation (g m)" in str(ada.home.query_one("#status").render()),
            "the count on Ada's home screen",
        )
