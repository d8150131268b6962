"""Taking part from the thread screen: replies through the outbox (offline too), edits
and their conflicts, deletes, likes, reactions, bookmarks and accepted answers with
their roll-back, drafts surviving a killed app, live updates and read marks.

Most tests run on FakeBackend (failures on demand); the like test and the draft test
run on the real embedded forum.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.fake_backend import FakeBackend
from tests.pilot import settle
from tui.app import CohortApp
from tui.forum.backend import ForumBackend, Offline, Rejected
from tui.forum.drafts import reply_key
from tui.forum.models import Post
from tui.screens.compose import ComposeScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.react import ReactScreen
from tui.screens.thread import ThreadScreen
from widgets.thread_view import ThreadView

ROOT = Path(__file__).resolve().parent.parent


def fake_forum(forum: FakeBackend) -> Any:
    @contextlib.asynccontextmanager
    async def open_forum() -> AsyncIterator[ForumBackend]:
        yield forum

    return open_forum


async def until(pilot: Pilot[Any], condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def a_forum() -> tuple[FakeBackend, int]:
    """A topic by "me" with replies by bob (2, 3) and one by me (4)."""
    forum = FakeBackend()
    topic = forum.add_topic("Which book first?", username="me")
    forum.add_post(topic.id, "Start with the short one.", username="bob", reply_to=1)
    forum.add_post(topic.id, "Or the exercises.", username="bob", reply_to=1)
    forum.add_post(topic.id, "Thanks, both.", username="me", reply_to=2)
    return forum, topic.id


async def opened(pilot: Pilot[Any], topic_id: int, post_number: int = 1) -> ThreadScreen:
    app = pilot.app
    assert isinstance(app, CohortApp)
    await until(pilot, lambda: app.repo is not None and app.me is not None, "the forum")
    await app.push_screen(ThreadScreen(topic_id, post_number=post_number))
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ThreadScreen)
    assert screen.view.selected is not None
    assert screen.view.selected.post_number == post_number
    return screen


def shown(screen: ThreadScreen, post_number: int) -> Post:
    post = next((p for p in screen.view.posts if p.post_number == post_number), None)
    assert post is not None, post_number
    return post


def status(screen: ThreadScreen) -> str:
    return str(screen.query_one("#thread-status", Static).content)


def likes(post: Post) -> tuple[int, bool]:
    like = next((r for r in post.reactions if r.name == "like"), None)
    return (like.count, like.reacted) if like is not None else (0, False)


# -- feedback: at once, and rolled back when refused -----------------------------------------------


async def test_a_like_shows_at_once_and_reaches_the_forum() -> None:
    forum, topic_id = a_forum()
    app = CohortApp(fake_forum(forum), live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, topic_id, 2)
        await pilot.press("l")
        assert likes(shown(screen, 2)) == (1, True)  # before the forum has answered
        assert "liked" in status(screen)
        await settle(pilot)
        assert forum.reactions_by_post[shown(screen, 2).id]["like"] == {"me"}
        await pilot.press("l")  # again: taken back
        assert likes(shown(screen, 2)) == (0, False)
        await settle(pilot)
        assert forum.reactions_by_post[shown(screen, 2).id]["like"] == set()


async def test_a_refused_like_is_rolled_back_with_the_reason() -> None:
    forum, topic_id = a_forum()
    app = CohortApp(fake_forum(forum), live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, topic_id, 4)  # my own post: the forum refuses
        await pilot.press("l")
        await settle(pilot)
        assert likes(shown(screen, 4)) == (0, False)
        assert "rolled back" in status(screen) and "your own post" in status(screen)
        assert any("not recorded" in n.message for n in app._notifications)


async def test_a_reaction_is_picked_from_the_forums_own_set() -> None:
    forum, topic_id = a_forum()
    app = CohortApp(fake_forum(forum), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, topic_id, 3)
        await pilot.press("plus")
        await until(pilot, lambda: isinstance(app.screen, ReactScreen), "the reaction picker")
        picker = app.screen
        assert isinstance(picker, ReactScreen) and picker.reactions == ["like", "heart", "laugh"]
        await pilot.press("down", "enter")  # heart
        await settle(pilot)
        assert app.screen is screen
        post = shown(screen, 3)
        assert any(r.name == "heart" and r.reacted for r in post.reactions)
        assert forum.reactions_by_post[post.id]["heart"] == {"me"}


async def test_a_refused_bookmark_and_a_refused_answer_roll_back() -> None:
    forum, topic_id = a_forum()
    app = CohortApp(fake_forum(forum), live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, topic_id, 2)
        forum.fail_next("bookmark", Offline("the forum cannot be reached"))
        await pilot.press("b")
        await settle(pilot)
        assert not shown(screen, 2).bookmarked and "bookmark rolled back" in status(screen)
        forum.fail_next("set_solution", Rejected("solutions are off here", status=422))
        await pilot.press("a")
        await settle(pilot)
        assert not shown(screen, 2).accepted and "solutions are off here" in status(screen)
        await pilot.press("b", "a")  # and now both go through
        await settle(pilot)
        assert shown(screen, 2).bookmarked and shown(screen, 2).accepted
        assert shown(screen, 2).id in forum.bookmarked
        page = await forum.topic(topic_id)
        assert page.topic.solution_post_number == 2


async def test_only_the_topics_author_may_accept_an_answer() -> None:
    forum, _ = a_forum()
    theirs = forum.add_topic("Bob's question", username="bob")
    forum.add_post(theirs.id, "An answer.", username="carol")
    app = CohortApp(fake_forum(forum), live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, theirs.id, 2)
        await pilot.press("a")
        assert "only the topic's author" in status(screen)
        assert not shown(screen, 2).accepted and forum.calls["set_solution"] == 0


async def test_the_feedback_pane_names_who_liked_the_selected_post() -> None:
    forum, topic_id = a_forum()
    post_id = next(p.id for p in forum.thread_posts(topic_id) if p.post_number == 2)
    forum.add_reaction(post_id, "like", username="carol")
    forum.add_reaction(post_id, "like", username="dave")
    app = CohortApp(fake_forum(forum), live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, topic_id, 2)
        await until(pilot, lambda: screen.feedback.reactors_of(post_id) is not None, "reactors")
        names = {u.username for r in screen.feedback.reactors_of(post_id) or () for u in r.users}
        assert names == {"carol", "dave"}


# -- writing: through the outbox ----------------------------------------------------------------


async def test_a_reply_written_offline_shows_as_pending_then_is_delivered() -> None:
    forum, topic_id = a_forum()
    app = CohortApp(fake_forum(forum), live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, topic_id, 3)
        forum.offline = True
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen), "the composer")
        await pilot.press(*"Offline words.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen, "the thread again")
        await until(pilot, lambda: any(p.pending for p in screen.view.posts), "the pending reply")
        pending = next(p for p in screen.view.posts if p.pending)
        assert pending.raw == "Offline words." and pending.reply_to_post_number == 3
        assert "⧗" in "\n".join(screen.view.line_texts())
        assert len(forum.thread_posts(topic_id)) == 4  # not on the forum yet
        forum.offline = False
        app.deliver()
        await until(pilot, lambda: len(forum.thread_posts(topic_id)) == 5, "the reply on the forum")
        await until(
            pilot,
            lambda: (
                not any(p.pending for p in screen.view.posts)
                and any(p.raw == "Offline words." for p in screen.view.posts)
            ),
            "the delivered reply in place of the pending one",
        )
        sent = forum.thread_posts(topic_id)[-1]
        assert sent.raw == "Offline words." and sent.reply_to_post_number == 3


async def test_an_edit_conflict_reopens_the_composer_with_the_text_and_reason() -> None:
    forum, topic_id = a_forum()
    mine = next(p for p in forum.thread_posts(topic_id) if p.post_number == 4)
    app = CohortApp(fake_forum(forum), live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, topic_id, 4)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen), "the composer")
        await pilot.press("end", *" Edited here.")
        forum.edit(mine.id, "Changed meanwhile elsewhere.")  # the post moves on
        await pilot.press("ctrl+s")
        await until(
            pilot,
            lambda: isinstance(app.screen, ComposeScreen) and app.screen.request.problem,
            "the composer reopened with the problem",
        )
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        assert composer.editor.text == "Thanks, both. Edited here."
        reason = composer.request.problem.reason if composer.request.problem else ""
        assert reason and "changed" in reason
        assert screen.is_mounted


async def test_a_refused_edit_of_someone_elses_post_is_not_offered() -> None:
    forum, topic_id = a_forum()
    app = CohortApp(fake_forum(forum), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, topic_id, 2)
        await pilot.press("e")
        assert "only your own posts" in status(screen)
        await pilot.press("D")
        assert "only your own posts" in status(screen)
        assert app.screen is screen


async def test_deleting_asks_first_then_leaves_a_tombstone() -> None:
    forum, topic_id = a_forum()
    app = CohortApp(fake_forum(forum), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, topic_id, 4)
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen and not shown(screen, 4).deleted
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await settle(pilot)
        assert shown(screen, 4).deleted
        assert forum.post_rows[shown(screen, 4).id].deleted


async def test_quote_reply_and_reply_to_topic_open_the_composer_for_them() -> None:
    forum, topic_id = a_forum()
    app = CohortApp(fake_forum(forum), live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, topic_id, 2)
        await pilot.press("Q")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen), "the composer")
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        assert composer.request.reply_to is not None
        assert composer.request.reply_to.post_number == 2
        assert '[quote="bob, post:2' in composer.editor.text
        await pilot.press("escape")
        await settle(pilot)
        if not isinstance(app.screen, ThreadScreen):  # asked whether to keep the draft
            await pilot.press("d")
            await settle(pilot)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen), "the composer")
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        assert composer.request.reply_to is None and composer.request.kind == "reply"


# -- live: the change feed ------------------------------------------------------------------


async def test_a_new_post_appears_without_moving_the_reader() -> None:
    forum, topic_id = a_forum()
    app = CohortApp(fake_forum(forum))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, topic_id, 3)
        forum.add_post(topic_id, "Arrived while reading.", username="carol", reply_to=2)
        await until(
            pilot,
            lambda: any(p.raw == "Arrived while reading." for p in screen.view.posts),
            "the new post",
        )
        assert screen.query_one(ThreadView).selected is not None
        assert screen.view.selected is not None and screen.view.selected.post_number == 3


# -- a draft outlives a killed app ----------------------------------------------------------------

KILLED_APP = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from tui.app import CohortApp
    from tui.screens.compose import ComposeScreen
    from tui.screens.thread import ThreadScreen

    async def main() -> None:
        app = CohortApp(live=False)
        async with app.run_test(size=(100, 30)) as pilot:
            while app.repo is None or app.me is None:
                await pilot.pause(0.05)
            topics = (await app.repo.backend.topics("latest")).topics
            topic_id = topics[0].id
            await app.push_screen(ThreadScreen(topic_id))
            while not isinstance(app.screen, ThreadScreen) or app.screen.page is None:
                await pilot.pause(0.05)
            await pilot.press("c")
            while not isinstance(app.screen, ComposeScreen):
                await pilot.pause(0.05)
            await pilot.press(*"half a thought")
            await pilot.pause(0.2)
            print(topic_id, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(main())
    """
)


async def test_a_draft_is_offered_again_after_the_app_was_killed() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", KILLED_APP],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    topic_id = int(done.stdout.split()[-1])
    app = CohortApp(live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(pilot, topic_id, 1)
        assert app.drafts is not None
        draft = app.drafts.load(reply_key(topic_id))
        assert draft is not None and draft.raw == "half a thought"
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen), "the composer")
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        await until(pilot, lambda: composer.editor.text == "half a thought", "the draft")


@pytest.mark.parametrize("key", ["r", "l", "b"])
async def test_nothing_is_written_before_the_thread_has_loaded(key: str) -> None:
    forum, topic_id = a_forum()
    forum.offline = True  # nothing cached, nothing fetched: the thread never loads
    app = CohortApp(fake_forum(forum), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.repo is not None, "the forum")
        await app.push_screen(ThreadScreen(topic_id))
        await settle(pilot)
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, ThreadScreen)
        assert forum.calls["react"] == forum.calls["bookmark"] == 0
