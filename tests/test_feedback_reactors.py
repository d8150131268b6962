"""Who reacted, in the Feedback pane: `FeedbackPane.show_reactors` names the people under
the selected post's reactions, as many as the pane's width holds.

The pane is hosted in a tiny App for most tests (its width is the test's to choose); the
last test runs the whole app on the embedded forum and hands the pane what the forum's
own reactors endpoint answers, as the thread screen does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

from tests.pilot import settle
from tui.app import CohortApp
from tui.forum.models import Post, Reaction, Reactor, Reactors, Topic, TopicPage
from tui.forum.native import NativeBackend
from tui.screens.thread import ThreadScreen
from widgets.feedback_pane import FeedbackPane, reactor_line
from widgets.thread_view import ThreadView

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CLICK = "[@click=app.quit]x[/]"


def post(number: int, *reactions: Reaction, topic_id: int = 7) -> Post:
    return Post(
        id=1000 * topic_id + number,
        topic_id=topic_id,
        post_number=number,
        username=f"user{number}",
        created_at=NOW - timedelta(minutes=100 - number),
        raw=f"Post {number}.",
        reactions=reactions,
    )


def page_of(posts: Sequence[Post], topic_id: int = 7) -> TopicPage:
    topic = Topic(
        id=topic_id,
        title="A thread",
        category_id=1,
        username="user1",
        posts_count=len(posts),
        reply_count=len(posts) - 1,
        bumped_at=NOW,
    )
    return TopicPage(topic, tuple(p.id for p in posts), tuple(posts))


def people(name: str, *usernames: str) -> Reactors:
    return Reactors(name=name, users=tuple(Reactor(u) for u in usernames))


class PaneApp(App[None]):
    """Just the pane, `width` cells wide."""

    CSS = "FeedbackPane { width: 30; height: 1fr; }"

    def __init__(self, width: int) -> None:
        super().__init__()
        self.pane_width = width

    def compose(self) -> ComposeResult:
        yield FeedbackPane(id="feedback")

    def on_mount(self) -> None:
        self.query_one(FeedbackPane).styles.width = self.pane_width


LIKED = post(1, Reaction("like", 5), Reaction("eyes", 1, reacted=True))
OTHER = post(2, Reaction("like", 2))
POSTS = (LIKED, OTHER)
FIVE = people("like", "alice", "bob", "carol", "dave", "erin")


def plain(pane: FeedbackPane) -> str:
    return pane.text.plain


# -- the line itself -----------------------------------------------------------------------


def test_names_that_fit_then_how_many_more() -> None:
    names = ["alice", "bob", "carol", "dave", "erin"]
    assert reactor_line("like", 5, names, 33).plain == "  ♥ like — alice, bob and 3 more"
    assert reactor_line("like", 5, names, 80).plain == (
        "  ♥ like — alice, bob, carol, dave and erin"
    )
    for width in range(10, 80):
        line = reactor_line("like", 5, names, width).plain
        assert line.startswith("  ♥ like — alice")  # always at least one name
        assert len(line) <= width or line.count(",") == 0


def test_the_forum_may_list_fewer_people_than_reacted() -> None:
    # Discourse lists at most 200 likers: the count on the post is the truth.
    assert reactor_line("like", 250, ["alice", "bob"], 80).plain == (
        "  ♥ like — alice, bob and 248 more"
    )


def test_one_or_two_names_and_your_own_reaction() -> None:
    assert reactor_line("eyes", 1, ["alice"], 40).plain == "  • eyes — alice"
    assert reactor_line("tada", 2, ["me", "bob"], 40, mine=True).plain == (
        "  • tada — me and bob (you)"
    )


# -- the pane --------------------------------------------------------------------------------


async def test_counts_until_the_reactors_arrive_then_names() -> None:
    app = PaneApp(40)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(FeedbackPane)
        pane.show(LIKED, page_of(POSTS), POSTS)
        await pilot.pause()
        assert "  like 5" in plain(pane) and "  eyes 1 (you)" in plain(pane)

        pane.show_reactors(LIKED.id, [FIVE, people("eyes", "me")])
        await pilot.pause()
        text = plain(pane)
        assert "  ♥ like — alice, bob, carol and 2 more" in text  # 40 cells hold three
        assert "  • eyes — me (you)" in text
        assert "like 5" not in text
        # What the terminal shows is the same text, not markup.
        assert any("♥ like — alice" in line for line in _lines(app))


async def test_a_wide_pane_names_everyone_and_a_resize_follows() -> None:
    app = PaneApp(80)
    async with app.run_test(size=(100, 24)) as pilot:
        pane = app.query_one(FeedbackPane)
        pane.show(LIKED, page_of(POSTS), POSTS)
        pane.show_reactors(LIKED.id, [FIVE])
        await pilot.pause()
        assert "  ♥ like — alice, bob, carol, dave and erin" in plain(pane)

        pane.styles.width = 24
        await pilot.pause()
        await pilot.pause()
        assert "  ♥ like — alice and 4 more" in plain(pane)


async def test_reactors_of_another_post_wait_until_it_is_selected() -> None:
    app = PaneApp(60)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(FeedbackPane)
        pane.show(LIKED, page_of(POSTS), POSTS)
        before = plain(pane)
        pane.show_reactors(OTHER.id, [people("like", "zoe", "yan")])
        await pilot.pause()
        assert plain(pane) == before  # not the selected post: nothing changes
        assert pane.reactors_of(OTHER.id) == (people("like", "zoe", "yan"),)
        assert pane.reactors_of(LIKED.id) is None

        pane.show(OTHER, page_of(POSTS), POSTS)  # the selection moves there
        assert "  ♥ like — zoe and yan" in plain(pane)
        pane.show(LIKED, page_of(POSTS), POSTS)  # and back: only counts, as before
        assert "  like 5" in plain(pane)


async def test_another_thread_forgets_the_last_ones_reactors() -> None:
    app = PaneApp(60)
    async with app.run_test(size=(80, 24)):
        pane = app.query_one(FeedbackPane)
        pane.show(LIKED, page_of(POSTS), POSTS)
        pane.show_reactors(LIKED.id, [FIVE])
        elsewhere = (post(1, Reaction("like", 5), topic_id=8),)
        pane.show(elsewhere[0], page_of(elsewhere, topic_id=8), elsewhere)
        assert pane.reactors_of(LIKED.id) is None


async def test_no_reactors_keeps_the_counts() -> None:
    app = PaneApp(60)
    async with app.run_test(size=(80, 24)):
        pane = app.query_one(FeedbackPane)
        pane.show(OTHER, page_of(POSTS), POSTS)
        pane.show_reactors(OTHER.id, [])  # e.g. the reactions were taken back meanwhile
        assert "  like 2" in plain(pane)
        bare = post(3)
        pane.show(bare, page_of((bare,)), (bare,))
        pane.show_reactors(bare.id, [])
        assert "  none yet" in plain(pane)


async def test_names_are_text_never_markup() -> None:
    app = PaneApp(60)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(FeedbackPane)
        pane.show(OTHER, page_of(POSTS), POSTS)
        pane.show_reactors(OTHER.id, [people("like", CLICK, "[b]bold[/b]")])
        await pilot.pause()
        assert f"{CLICK} and [b]bold[/b]" in plain(pane)
        assert f"{CLICK} and [b]bold[/b]" in "\n".join(_lines(app))


def _lines(app: App[None]) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


# -- with the embedded forum -------------------------------------------------------------------


async def test_the_thread_screens_pane_names_who_reacted_on_the_forum() -> None:
    app = CohortApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        backend = app.backend
        assert isinstance(backend, NativeBackend)
        topics = (await backend.topics("latest")).topics
        # A post of the sample community that several people reacted to.
        best: tuple[int, Post] | None = None
        for topic in topics[:10]:
            for candidate in (await backend.topic(topic.id)).posts:
                total = sum(r.count for r in candidate.reactions)
                if best is None or total > best[0]:
                    best = (total, candidate)
        assert best is not None and best[0] >= 2
        target = best[1]
        app.push_screen(ThreadScreen(target.topic_id, post_number=target.post_number))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ThreadScreen)
        selected = screen.query_one(ThreadView).selected
        assert selected is not None and selected.id == target.id

        found = await backend.reactors(target.id)
        pane = screen.query_one(FeedbackPane)
        pane.show_reactors(target.id, found)
        await pilot.pause()
        text = plain(pane)
        for entry in found:
            assert f" {entry.name} — {entry.users[0].username}" in text  # newest first
            reaction = next(r for r in target.reactions if r.name == entry.name)
            assert reaction.count == len(entry.users)
