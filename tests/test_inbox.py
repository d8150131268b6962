"""The feedback inbox (g i), driven through Textual's Pilot.

Most tests run on the real embedded forum: the local user writes through the app's own
backend, and other members of the sample community answer through the forum's store (the
same database file, as a second writer would), so every notification is one the server
made itself. The failure cases use tests/fake_backend.py, which can refuse on cue.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from textual.pilot import Pilot
from textual.widgets import Static

from server.store import accounts, ops
from server.store.db import open_database, run_in_transaction
from server.store.viewer import Viewer
from tests.fake_backend import FakeBackend
from tests.pilot import settle
from tui.app import CohortApp
from tui.forum.backend import AuthError, ForumBackend, Offline, Rejected
from tui.forum.models import Notification, NotificationKind, NotificationList
from tui.forum.native import NativeBackend
from tui.forum.paths import embedded_db_path
from tui.messages import InboxChanged
from tui.screens.inbox import InboxScreen
from tui.screens.thread import ThreadScreen
from widgets.inbox_list import InboxList, newest_first
from widgets.thread_view import ThreadView

CATEGORY = "peer-qa"
CLICK = "[@click=app.quit]x[/]"


# -- helpers -----------------------------------------------------------------------------------


def backend(app: CohortApp) -> NativeBackend:
    assert isinstance(app.backend, NativeBackend)
    return app.backend


def inbox(app: CohortApp) -> InboxScreen:
    screen = app.screen
    assert isinstance(screen, InboxScreen), screen
    return screen


def rows(app: CohortApp) -> list[Notification]:
    return list(inbox(app).query_one(InboxList).notifications)


def highlighted(app: CohortApp) -> Notification:
    found = inbox(app).query_one(InboxList).highlighted
    assert found is not None
    return found


def status(app: CohortApp) -> str:
    return str(inbox(app).query_one("#inbox-status", Static).content)


def screen_text(app: CohortApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def open_inbox(pilot: Pilot[Any]) -> InboxScreen:
    await pilot.press("g", "i")
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, CohortApp)
    return inbox(app)


def as_others(work: Callable[[sqlite3.Connection, Callable[[str], Viewer]], Any]) -> Any:
    """Run `work` in one transaction on the embedded forum's database, as its members."""
    conn = open_database(embedded_db_path())
    try:

        def job(c: sqlite3.Connection) -> Any:
            def member(name: str) -> Viewer:
                return accounts.viewer_for(accounts.user_by_name(c, name))

            return work(c, member)

        return run_in_transaction(conn, job)
    finally:
        conn.close()


@dataclass(frozen=True)
class Feedback:
    me: str
    mine: int  # the local user's topic
    theirs: int  # ben's topic, where the local user answered
    answer_number: int  # the local user's answer in it
    kinds: list[NotificationKind]  # what the local user was told, oldest first


async def receive_feedback(app: CohortApp) -> Feedback:
    """The local user asks and answers; five members reply, react, mention, quote and
    accept, each giving the local user one notification (oldest first in `kinds`)."""
    forum = backend(app)
    me = await forum.me()
    assert me is not None
    category = next(c for c in await forum.categories() if c.slug == CATEGORY)
    asked = await forum.create_topic(
        title="Inbox test: how do I keep revising?",
        raw="My question, in my own words.",
        category=category,
        tags=[],
        key="inbox-test-topic",
    )
    mine = asked.topic.id

    def ben_asks(conn: sqlite3.Connection, member: Callable[[str], Viewer]) -> int:
        view = ops.create_topic(
            conn,
            member("ben"),
            title=f"Ben asks about joins {CLICK}",
            raw="How do SQL joins work?",
            category=CATEGORY,
        )
        return int(view["topic"]["id"])

    theirs = await asyncio.to_thread(as_others, ben_asks)
    answer = await forum.reply(theirs, "Like zips, mostly.", reply_to_post_number=1, key="a1")

    def respond(conn: sqlite3.Connection, member: Callable[[str], Viewer]) -> None:
        ops.create_post(
            conn, member("ben"), mine, raw="Try spaced repetition.", reply_to_post_number=1
        )
        first = asked.posts[0].id
        ops.set_reaction(conn, member("ola"), first, "like", True, ["like"])
        ops.create_post(conn, member("chen"), theirs, raw=f"@{me.username} knows this one.")
        ops.create_post(
            conn,
            member("priya"),
            theirs,
            raw=f'[quote="{me.username}, post:{answer.post_number}, topic:{theirs}"]\n'
            "Like zips, mostly.\n[/quote]\n\nNicely put.",
        )
        ops.set_solution(conn, member("ben"), theirs, answer.id)

    await asyncio.to_thread(as_others, respond)
    return Feedback(
        me=me.username,
        mine=mine,
        theirs=theirs,
        answer_number=answer.post_number,
        kinds=[
            NotificationKind.REPLY,
            NotificationKind.REACTION,
            NotificationKind.MENTION,
            NotificationKind.QUOTED,
            NotificationKind.SOLVED,
        ],
    )


def unreachable_forum() -> Any:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to host", request=request)

    @contextlib.asynccontextmanager
    async def offline() -> AsyncIterator[ForumBackend]:
        transport = httpx.MockTransport(refuse)
        async with httpx.AsyncClient(transport=transport, base_url="http://gone.test") as http:
            yield NativeBackend(http, base_url="http://gone.test")

    return offline


def fake_forum(forum: FakeBackend) -> Any:
    @contextlib.asynccontextmanager
    async def open_forum() -> AsyncIterator[ForumBackend]:
        yield forum

    return open_forum


def fake_with_notifications() -> tuple[FakeBackend, list[Notification]]:
    forum = FakeBackend()
    topic = forum.add_topic("A question of mine", username="me")
    reply = forum.add_post(topic.id, "An answer", username="bob", reply_to=1)
    made = [
        forum.add_notification(
            NotificationKind.REPLY, actor="bob", topic_id=topic.id, post_id=reply.id
        ),
        forum.add_notification(NotificationKind.OTHER, actor="system"),  # about no post
        forum.add_notification(
            NotificationKind.REACTION,
            actor="carol",
            topic_id=topic.id,
            post_id=reply.id,
            detail="heart",
        ),
    ]
    return forum, made


# -- on the embedded forum ---------------------------------------------------------------------


async def test_newest_first_with_unread_marks_at_80x24() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        feedback = await receive_feedback(app)
        screen = await open_inbox(pilot)
        listed = rows(app)
        assert [n.kind for n in listed] == list(reversed(feedback.kinds))
        stamps = [n.created_at for n in listed]
        assert stamps == sorted(stamps, reverse=True)
        assert all(not n.read for n in listed)
        assert [n.actor for n in listed] == ["ben", "priya", "chen", "ola", "ben"]
        assert listed[0].topic_id == feedback.theirs
        assert listed[0].post_number == feedback.answer_number

        shown = screen_text(app)
        assert "5 unread" in shown and "fresh" in status(app)
        lines = shown.splitlines()
        assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
        # Each kind with its icon and word, the unread mark, who, and the topic.
        for word in ("✓ solved", "❝ quote", "@ mention", "♥ like", "↩ reply"):
            assert word in shown, word
        marked = [line for line in lines if "●" in line]
        assert len(marked) == 5
        assert f"Ben asks about joins {CLICK}"[:20] in shown  # a title, as text
        assert "Inbox test: how do I" in shown
        # The preview says the highlighted one in full.
        preview = str(screen.query_one("#inbox-preview", Static).content)
        assert preview.startswith("ben accepted your answer in “Ben asks about joins")
        assert f"post #{feedback.answer_number}" in preview and "unread" in preview

        await pilot.press("j", "j")
        assert highlighted(app).kind is NotificationKind.MENTION
        await pilot.press("G")
        assert highlighted(app).kind is NotificationKind.REPLY
        await pilot.press("g", "g")
        assert highlighted(app).kind is NotificationKind.SOLVED
        await pilot.press("3", "G")
        assert highlighted(app).kind is NotificationKind.MENTION
        await pilot.press("k")
        assert highlighted(app).kind is NotificationKind.QUOTED


async def test_enter_opens_the_thread_at_the_post_and_marks_it_read() -> None:
    app = CohortApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        feedback = await receive_feedback(app)
        await open_inbox(pilot)
        await pilot.press("j")  # the quote, post 4 of ben's topic
        chosen = highlighted(app)
        assert chosen.kind is NotificationKind.QUOTED and chosen.post_number == 4
        await pilot.press("enter")
        await settle(pilot)

        thread = app.screen
        assert isinstance(thread, ThreadScreen) and thread.topic_id == feedback.theirs
        selected = thread.query_one(ThreadView).selected
        assert selected is not None and selected.post_number == 4

        on_forum = {n.id: n.read for n in (await backend(app).notifications()).notifications}
        assert on_forum[chosen.id] is True
        assert sum(not read for read in on_forum.values()) == 4

        await pilot.press("escape")
        await settle(pilot)
        assert [n.id for n in rows(app) if n.read] == [chosen.id]
        assert "4 unread" in screen_text(app)


async def test_mark_one_then_all_read_on_the_forum_too() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await receive_feedback(app)
        await open_inbox(pilot)
        await pilot.press("j")
        target = highlighted(app)
        await pilot.press("m")
        await settle(pilot)
        assert highlighted(app).id == target.id and highlighted(app).read  # the cursor stays
        assert "marked read" in status(app)
        forum = await backend(app).notifications()
        assert [n.id for n in forum.notifications if n.read] == [target.id]
        assert forum.unread_count == 4

        await pilot.press("m")  # again: nothing to do
        await settle(pilot)
        assert "already read" in status(app)

        await pilot.press("M")
        await settle(pilot)
        assert all(n.read for n in rows(app))
        assert "all read" in screen_text(app) and "●" not in screen_text(app)
        forum = await backend(app).notifications()
        assert forum.unread_count == 0 and all(n.read for n in forum.notifications)
        assert app.unread_notifications == 0

        await pilot.press("M")
        await settle(pilot)
        assert "nothing unread" in status(app)

        await pilot.press("q")
        await settle(pilot)
        assert not isinstance(app.screen, InboxScreen)


async def test_offline_the_cached_inbox_shows_and_marks_are_refused() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await receive_feedback(app)
        await open_inbox(pilot)
        await pilot.press("m")
        await settle(pilot)
        seen = [(n.id, n.read) for n in rows(app)]
        assert sum(read for _, read in seen) == 1

    app = CohortApp(unreachable_forum())  # same profile, so the same cache
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_inbox(pilot)
        assert [(n.id, n.read) for n in rows(app)] == seen
        assert status(app).rstrip().endswith("offline: showing what was cached")

        await pilot.press("M")
        await settle(pilot)
        assert [(n.id, n.read) for n in rows(app)] == seen  # taken back
        assert "offline: not marked read" in status(app)

        await pilot.press("j", "enter")  # still opens the cached thread
        await settle(pilot)
        assert isinstance(app.screen, ThreadScreen)
        assert app.is_running


async def test_nothing_cached_and_offline_says_so() -> None:
    app = CohortApp(unreachable_forum())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_inbox(pilot)
        assert rows(app) == []
        assert "offline: the forum cannot be reached; nothing cached to show" in status(app)
        await pilot.press("j", "k", "G", "m", "M", "enter", "r")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, InboxScreen)


# -- failures, on a fake forum -----------------------------------------------------------------


async def test_a_refused_mark_is_taken_back_and_the_list_kept(tmp_path: Path) -> None:
    forum, made = fake_with_notifications()
    app = CohortApp(fake_forum(forum), cache_file=tmp_path / "cache.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_inbox(pilot)
        assert [n.id for n in rows(app)] == [n.id for n in reversed(made)]
        assert "♥ heart" in screen_text(app)

        forum.fail_next("mark_notifications_read", Rejected("the forum said no", status=422))
        await pilot.press("m")
        await settle(pilot)
        assert not any(n.read for n in rows(app)) and len(rows(app)) == 3
        assert "not marked read: the forum said no" in status(app)
        assert not any(n.read for n in forum.notification_rows)

        forum.fail_next("mark_notifications_read", Offline("gone"))
        await pilot.press("M")
        await settle(pilot)
        assert not any(n.read for n in rows(app))
        assert "offline: not marked read" in status(app)

        await pilot.press("M")  # and when the forum is back, it works
        await settle(pilot)
        assert all(n.read for n in forum.notification_rows)


async def test_a_notification_about_no_post_opens_nothing(tmp_path: Path) -> None:
    forum, _ = fake_with_notifications()
    app = CohortApp(fake_forum(forum), cache_file=tmp_path / "cache.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_inbox(pilot)
        await pilot.press("j")
        assert highlighted(app).topic_id is None
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        assert "nothing to open" in status(app)
        assert forum.calls["mark_notifications_read"] == 0


async def test_an_error_with_nothing_cached_is_said(tmp_path: Path) -> None:
    forum, _ = fake_with_notifications()
    forum.fail_next("notifications", AuthError("log in to see notifications", status=401))
    app = CohortApp(fake_forum(forum), cache_file=tmp_path / "cache.db", live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_inbox(pilot)
        assert rows(app) == []
        assert "error: log in to see notifications" in status(app)
        await pilot.press("r")  # the forum answers now
        await settle(pilot)
        assert len(rows(app)) == 3 and "fresh" in status(app)


async def test_the_apps_own_look_at_the_inbox_updates_the_list(tmp_path: Path) -> None:
    forum, made = fake_with_notifications()
    app = CohortApp(fake_forum(forum), cache_file=tmp_path / "cache.db", live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_inbox(pilot)
        await pilot.press("j")
        kept = highlighted(app)
        newer = forum.add_notification(
            NotificationKind.MENTION, actor="dave", topic_id=made[0].topic_id
        )
        fresh = await forum.notifications()
        screen.post_message(InboxChanged(fresh, [newer.id], None))
        await settle(pilot)
        assert rows(app)[0].id == newer.id and len(rows(app)) == len(made) + 1
        assert highlighted(app).id == kept.id  # the reader's row stays under the cursor


async def test_hostile_text_shows_as_typed(tmp_path: Path) -> None:
    forum = FakeBackend()
    # Markup-like text (the fake, unlike a real backend, does not sanitise: no escapes here).
    topic = forum.add_topic(f"Evil {CLICK} title", username="me")
    forum.add_notification(NotificationKind.REPLY, actor="[b]mallory[/b]", topic_id=topic.id)
    app = CohortApp(fake_forum(forum), cache_file=tmp_path / "cache.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_inbox(pilot)
        shown = screen_text(app)
        assert "[b]mallory[/b]" in shown and f"Evil {CLICK}" in shown
        assert app.is_running


def test_notification_list_newest_first_helper() -> None:
    _, made = fake_with_notifications()
    listed = NotificationList(notifications=tuple(made))
    assert [n.id for n in newest_first(listed.notifications)] == [n.id for n in reversed(made)]
