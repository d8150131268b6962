"""The study-group, event, people and private-message screens (g y, g e, g p, g m),
driven through Textual's Pilot on the embedded forum with its sample community.

The local user (the OS login) belongs to nothing; where a test needs them to be an
organiser, or another member to write to them, the forum's store does it as those
members would (the same database file, a second writer). Refusals come from a wrapper
around the real community adapter that refuses on cue, or from a forum that cannot be
reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from server.store import accounts, groups, messages
from server.store.db import open_database, run_in_transaction
from server.store.viewer import Viewer
from tests.fake_backend import FakeBackend
from tests.pilot import settle
from tui.app import CohortApp
from tui.forum.backend import ForumBackend, Rejected
from tui.forum.community import Community, Event, community_of
from tui.forum.native import NativeBackend
from tui.forum.outbox import OutboxKind, OutboxState
from tui.forum.paths import embedded_db_path
from tui.screens import community_base
from tui.screens.community_base import CommunityScreen
from tui.screens.compose import ComposeScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.events import EventsScreen, with_rsvp
from tui.screens.group import GroupScreen
from tui.screens.groups import GroupsScreen
from tui.screens.messages import MessagesScreen
from tui.screens.people import PeopleScreen, ProfileScreen
from tui.screens.thread import ThreadScreen
from widgets.community_tables import (
    ConversationTable,
    EventTable,
    GroupTable,
    PeopleTable,
    RequestTable,
    TopicRows,
)

SIZES = [(80, 24), (120, 40)]


# -- helpers -----------------------------------------------------------------------------------


def status(app: CohortApp) -> str:
    return str(app.screen.query_one(".community-status", Static).content)


def screen_text(app: CohortApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def community(app: CohortApp) -> Community:
    assert app.backend is not None
    found = community_of(app.backend)
    assert found is not None
    return found


async def go(pilot: Pilot[Any], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def highlight(pilot: Pilot[Any], table: Any, found: Callable[[Any], bool]) -> Any:
    """Move the cursor of `table` to the first item `found` accepts."""
    index = next(i for i, item in enumerate(table.items) if found(item))
    table.move_cursor(row=index)
    await settle(pilot)
    return table.items[index]


def as_members(work: Callable[[sqlite3.Connection, Callable[[str], Viewer]], Any]) -> Any:
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


class Refusing:
    """The real community adapter, but the methods named in `refuse` raise their error."""

    def __init__(self, real: Community, refuse: dict[str, Exception], unsupported: dict[str, str]):
        self.real = real
        self.refuse = refuse
        self.reasons = unsupported
        self.kind = real.kind

    def unsupported(self, feature: str) -> str | None:
        return self.reasons.get(feature) or self.real.unsupported(feature)

    def __getattr__(self, name: str) -> Any:
        if name in self.refuse:
            error = self.refuse[name]

            async def refused(*args: Any, **kwargs: Any) -> Any:
                raise error

            return refused
        return getattr(self.real, name)


def refusing(
    monkeypatch: pytest.MonkeyPatch,
    refuse: dict[str, Exception] | None = None,
    unsupported: dict[str, str] | None = None,
) -> None:
    def patched(backend: ForumBackend) -> Any:
        real = community_of(backend)
        assert real is not None
        return Refusing(real, refuse or {}, unsupported or {})

    monkeypatch.setattr(community_base, "community_of", patched)


def unreachable_forum() -> Any:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to host", request=request)

    @contextlib.asynccontextmanager
    async def offline() -> AsyncIterator[ForumBackend]:
        transport = httpx.MockTransport(refuse)
        async with httpx.AsyncClient(transport=transport, base_url="http://gone.test") as http:
            yield NativeBackend(http, base_url="http://gone.test")

    return offline


# -- study groups ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_join_ask_and_leave_from_the_groups_list(size: tuple[int, int]) -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await go(pilot, "g", "y")
        screen = app.screen
        assert isinstance(screen, GroupsScreen)
        table = screen.query_one(GroupTable)
        names = [g.name for g in table.groups]
        assert "Missing Semester Reading Group" in names and "Stats Circle" in names
        assert "fresh" in status(app) and "groups" in status(app)
        assert "Missing Semester Reading Group" in screen_text(app)

        # Open: J joins at once.
        await highlight(pilot, table, lambda g: g.slug == "missing-semester")
        await go(pilot, "J")
        assert "joined Missing Semester Reading Group" in status(app)
        assert table.highlighted is not None and table.highlighted.is_member
        assert (await community(app).group("missing-semester")).is_member

        # On request: J says how, A asks.
        await highlight(pilot, table, lambda g: g.slug == "stats-circle")
        await go(pilot, "J")
        assert "admits on request: A asks to join" in status(app)
        await go(pilot, "A")
        assert "asked to join" in status(app)
        assert (await community(app).group("stats-circle")).my_status == "requested"
        await go(pilot, "A")
        assert "you have asked already" in status(app)

        # Leaving asks first; no keeps the membership, yes leaves.
        await highlight(pilot, table, lambda g: g.slug == "missing-semester")
        await go(pilot, "L")
        assert isinstance(app.screen, ConfirmScreen)
        await go(pilot, "n")
        assert "still a member" in status(app)
        assert (await community(app).group("missing-semester")).is_member
        await go(pilot, "L")
        await go(pilot, "y")
        assert "left Missing Semester Reading Group" in status(app)
        assert not (await community(app).group("missing-semester")).is_member
        assert table.highlighted is not None and not table.highlighted.is_member


async def test_find_groups_by_words() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, "g", "y")
        await go(pilot, "f")
        field = app.screen.query_one("#groups-filter", Input)
        assert field.has_focus
        field.value = "statistics"
        await go(pilot, "enter")
        table = app.screen.query_one(GroupTable)
        assert [g.slug for g in table.groups] == ["stats-circle"]
        assert "statistics" in str(table.border_title)


async def test_a_refused_join_changes_nothing_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    refusing(monkeypatch, refuse={"join": Rejected("the group is full", code="full")})
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, "g", "y")
        table = app.screen.query_one(GroupTable)
        await highlight(pilot, table, lambda g: g.slug == "missing-semester")
        await go(pilot, "J")
        assert "not joined: the group is full" in status(app)
        assert table.highlighted is not None and not table.highlighted.is_member


@pytest.mark.parametrize("size", SIZES)
async def test_a_group_page_and_an_organiser_approving(size: tuple[int, int]) -> None:
    def make_organiser(conn: sqlite3.Connection, member: Callable[[str], Viewer]) -> str:
        me = conn.execute(
            "SELECT username FROM users WHERE username NOT IN "
            "(SELECT username FROM users WHERE id IN (SELECT user_id FROM group_members))"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone()[0]
        groups.add_member(conn, member("tomas"), "stats-circle", me, ["organiser"])
        return str(me)

    app = CohortApp(live=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert app.me is not None
        await asyncio.to_thread(as_members, make_organiser)
        await go(pilot, "g", "y")
        table = app.screen.query_one(GroupTable)
        await highlight(pilot, table, lambda g: g.slug == "stats-circle")
        await go(pilot, "enter")
        page = app.screen
        assert isinstance(page, GroupScreen)
        text = screen_text(app)
        assert "Read OpenStax Introductory Statistics" in text  # the goal
        assert "Sundays 16:00 UTC" in text  # the schedule, in the group's zone
        assert "Next:" in text and "your time" in text
        members = {m.username: m.roles for m in page.group.members} if page.group else {}
        assert members["ola"] == ("facilitator",)
        assert "organiser" in members[app.me.username]
        # The members-only category is the organiser's to read now: its threads show.
        assert page.query_one(TopicRows).items
        # kwame asked to join in the sample community: approve him.
        requests = page.query_one(RequestTable)
        assert [r.username for r in requests.items] == ["kwame"]
        await go(pilot, "a")
        assert "approved: welcome kwame" in status(app)
        group = await community(app).group("stats-circle")
        assert "kwame" in {m.username for m in group.members}
        assert not page.query_one(RequestTable).items


async def test_a_non_organiser_cannot_approve() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, "g", "y")
        table = app.screen.query_one(GroupTable)
        await highlight(pilot, table, lambda g: g.slug == "stats-circle")
        await go(pilot, "enter")
        await go(pilot, "a")
        assert "only the group's organisers approve" in status(app)
        assert "Its threads and resources" in screen_text(app)


# -- events --------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_rsvp_with_one_key_and_wider_window(size: tuple[int, int]) -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await go(pilot, "g", "e")
        screen = app.screen
        assert isinstance(screen, EventsScreen)
        table = screen.query_one(EventTable)
        week = list(table.events)
        assert week, "the sample community has events this week"
        assert "this week" in str(table.border_title)
        await go(pilot, "w")
        assert "30 days" in str(table.border_title)
        assert len(table.events) > len(week)
        assert any(e.title == "Northern Open Data Conference" for e in table.events)

        event = await highlight(pilot, table, lambda e: e.kind == "event")
        await go(pilot, "y")
        assert table.highlighted is not None and table.highlighted.my_rsvp == "going"
        assert table.highlighted.rsvp_counts.going == event.rsvp_counts.going + 1
        assert "going" in status(app)
        fresh = await community(app).event(event)
        assert fresh.my_rsvp == "going"
        # The same answer again takes it back.
        await go(pilot, "y")
        assert (await community(app).event(event)).my_rsvp is None
        await go(pilot, "i")
        assert (await community(app).event(event)).my_rsvp == "interested"


async def test_a_refused_rsvp_is_rolled_back(monkeypatch: pytest.MonkeyPatch) -> None:
    refusing(monkeypatch, refuse={"rsvp": Rejected("the event is full", code="full")})
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, "g", "e")
        table = app.screen.query_one(EventTable)
        before = table.highlighted
        assert before is not None and before.my_rsvp is None
        await go(pilot, "y")
        after = table.highlighted
        assert after is not None and after.my_rsvp is None
        assert after.rsvp_counts == before.rsvp_counts
        assert "rolled back, not answered: the event is full" in status(app)


async def test_rsvp_of_a_group_meeting(monkeypatch: pytest.MonkeyPatch) -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await go(pilot, "g", "e")
        table = app.screen.query_one(EventTable)
        meeting = await highlight(pilot, table, lambda e: e.kind == "meeting")
        await go(pilot, "n")
        assert (await community(app).event(meeting)).my_rsvp == "not_going"


async def test_ics_export_of_the_events_you_go_to(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(downloads))
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, "g", "e")
        await go(pilot, "e")
        assert "nothing exported: you are going to no upcoming event" in status(app)
        assert not downloads.exists()
        table = app.screen.query_one(EventTable)
        event = await highlight(pilot, table, lambda e: e.kind == "event")
        await go(pilot, "y")
        await go(pilot, "e")
        path = downloads / "cohort-events.ics"
        assert f"1 event exported to {path}" in status(app)
        data = path.read_bytes().decode("utf-8")
        assert data.startswith("BEGIN:VCALENDAR\r\n") and data.endswith("END:VCALENDAR\r\n")
        assert data.count("BEGIN:VEVENT") == 1
        unfolded = data.replace("\r\n ", "")
        assert f"UID:{event.key}@" in unfolded
        assert "SUMMARY:" + event.title.replace(",", "\\,").replace(";", "\\;") in unfolded
        assert "DTSTART:" + event.starts_at.strftime("%Y%m%dT%H%M%SZ") in unfolded


def test_an_answer_shows_in_the_counts() -> None:
    from datetime import UTC, datetime

    from tui.forum.community import RsvpCounts

    now = datetime.now(UTC)
    event = Event(
        key="event:1", id=1, kind="event", title="t", starts_at=now, ends_at=now,
        rsvp_counts=RsvpCounts(going=2, interested=1), my_rsvp="interested",
    )  # fmt: skip
    going = with_rsvp(event, "going")
    assert going.rsvp_counts == RsvpCounts(going=3, interested=0)
    assert with_rsvp(going, None).rsvp_counts == RsvpCounts(going=2, interested=0)


# -- people ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_find_mentors_and_read_a_profile(size: tuple[int, int]) -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await go(pilot, "g", "p")
        screen = app.screen
        assert isinstance(screen, PeopleScreen)
        table = screen.query_one(PeopleTable)
        everyone = {p.username for p in table.people}
        assert {"chen", "ola", "amara"} <= everyone
        await go(pilot, "o")
        mentors = {p.username for p in table.people}
        assert mentors == {"chen", "ola", "priya", "hana"}
        assert all(p.open_to_mentoring for p in table.people)
        assert "Mentors" in str(table.border_title)
        # An expertise tag filters by it.
        await go(pilot, "f")
        screen.query_one("#people-filter", Input).value = "statistics"
        await go(pilot, "enter")
        assert [p.username for p in table.people] == ["ola"]
        assert "#statistics" in str(table.border_title)
        assert "mentors 3 h/month" in screen_text(app)

        await go(pilot, "enter")
        profile = app.screen
        assert isinstance(profile, ProfileScreen)
        text = screen_text(app)
        assert "Expertise: statistics" in text and "Stats Circle" in text
        assert profile.person is not None and profile.person.recent_posts
        post = profile.person.recent_posts[0]
        await go(pilot, "enter")
        thread = app.screen
        assert isinstance(thread, ThreadScreen)
        assert thread.topic_id == post.topic_id


async def until(pilot: Pilot[Any], condition: Callable[[], object], what: str) -> None:
    for _ in range(1500):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def inbox_of(name: str) -> list[dict[str, Any]]:
    """`name`'s private messages, as the forum shows them to that person."""
    found = as_members(lambda c, member: messages.inbox(c, member(name))["messages"])
    return list(found)


async def test_start_a_conversation_in_one_step() -> None:
    """m on a person: the composer, addressed to them; sent through the outbox, the
    conversation is theirs to read (and nobody else's)."""
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, "g", "p")
        people = app.screen
        table = people.query_one(PeopleTable)
        await highlight(pilot, table, lambda p: p.username == "ola")
        await go(pilot, "m")
        composer = app.screen
        assert isinstance(composer, ComposeScreen) and composer.request.kind == "message"
        assert composer.key == "message:ola"
        assert composer.query_one("#compose-to", Input).value == "ola"
        assert composer.query_one("#compose-title", Input).has_focus
        await pilot.press(*"Mentoring?", "tab")
        await pilot.press(*"Hi Ola, could we talk R?")
        await settle(pilot)
        assert app.drafts is not None
        draft = app.drafts.load("message:ola")
        assert draft is not None and draft.participants == ("ola",)
        assert (draft.title, draft.raw) == ("Mentoring?", "Hi Ola, could we talk R?")
        await go(pilot, "ctrl+s")
        assert app.screen is people
        box = app.outbox
        assert box is not None
        [item] = box.items()
        assert item.kind is OutboxKind.MESSAGE and item.participants == ("ola",)
        await until(pilot, lambda: box.get(item.id).state is OutboxState.SENT, "delivery")
        sent = box.get(item.id)
        assert app.drafts.load("message:ola") is None
        assert app.me is not None
        me = app.me.username
        theirs = [m for m in await asyncio.to_thread(inbox_of, "ola") if m["id"] == sent.topic_id]
        assert [m["title"] for m in theirs] == ["Mentoring?"]
        assert {p["username"] for p in theirs[0]["participants"]} == {me, "ola"}
        others = await asyncio.to_thread(inbox_of, "hana")
        assert sent.topic_id not in [m["id"] for m in others]

        await go(pilot, "g", "m")
        assert isinstance(app.screen, MessagesScreen)
        rows = app.screen.query_one(ConversationTable).conversations
        assert any(c.title == "Mentoring?" for c in rows)


async def test_a_new_conversation_from_the_list_opens_once_sent() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await go(pilot, "g", "m")
        screen = app.screen
        assert isinstance(screen, MessagesScreen)
        await go(pilot, "c")
        composer = app.screen
        assert isinstance(composer, ComposeScreen) and composer.key == "message:"
        to = composer.query_one("#compose-to", Input)
        assert to.has_focus and to.value == ""
        await pilot.press(*"@hana, chen", "tab", *"CV help", "tab", *"Could you both look?")
        await go(pilot, "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ThreadScreen), "the conversation")
        thread = app.screen
        assert isinstance(thread, ThreadScreen)
        box = app.outbox
        assert box is not None
        [item] = box.items()
        assert item.participants == ("hana", "chen") and thread.topic_id == item.topic_id
        await until(pilot, lambda: thread.page is not None, "the thread")
        assert thread.page is not None and thread.page.topic.title == "CV help"
        for name in ("hana", "chen"):
            mine = await asyncio.to_thread(inbox_of, name)
            assert item.topic_id in [m["id"] for m in mine], name
        await go(pilot, "escape")
        assert app.screen is screen
        assert any(c.id == item.topic_id for c in screen.table.conversations)


async def test_a_conversation_written_offline_waits_in_the_outbox() -> None:
    """Offline, the conversation is queued with its text (nothing is lost); the next run
    with the forum back sends it."""
    app = CohortApp(unreachable_forum(), source="gone forum", live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, "g", "m")
        await go(pilot, "c")
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        await pilot.press(*"ola", "tab", *"Notes", "tab", *"Can you share yours?")
        await go(pilot, "ctrl+s")
        assert isinstance(app.screen, MessagesScreen)
        box = app.outbox
        assert box is not None
        [item] = box.items()
        await until(pilot, lambda: box.get(item.id).attempts > 0, "a first attempt")
        waiting = box.get(item.id)
        assert waiting.state is OutboxState.QUEUED and waiting.reason
        assert (waiting.raw, waiting.title, waiting.participants) == (
            "Can you share yours?",
            "Notes",
            ("ola",),
        )
        assert app.drafts is not None and app.drafts.load("message:") is not None
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        box = app.outbox
        assert box is not None
        await until(pilot, lambda: box.get(item.id).state is OutboxState.SENT, "delivery")
        assert app.drafts is not None and app.drafts.load("message:") is None
        theirs = await asyncio.to_thread(inbox_of, "ola")
        assert [m["title"] for m in theirs if m["id"] == box.get(item.id).topic_id] == ["Notes"]


async def test_a_refused_conversation_comes_back_to_be_fixed() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, "g", "m")
        screen = app.screen
        await go(pilot, "c")
        await pilot.press(*"nosuchperson", "tab", *"Hello", "tab", *"Kept text")
        await go(pilot, "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen), "the refusal")
        again = app.screen
        assert isinstance(again, ComposeScreen) and again.request.problem is not None
        problem = str(again.query_one("#compose-problem", Static).content)
        assert "no user named" in problem and "nosuchperson" in problem
        assert again.editor.text == "Kept text"
        to = again.query_one("#compose-to", Input)
        assert to.value == "nosuchperson"
        to.value = "ola"
        await go(pilot, "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ThreadScreen), "the conversation")
        box = app.outbox
        assert box is not None
        [item] = box.items()  # the refused one was replaced, not kept beside it
        assert item.state is OutboxState.SENT and item.participants == ("ola",)
        await go(pilot, "escape")
        assert app.screen is screen


# -- private messages ---------------------------------------------------------------------------


async def test_unread_conversations_are_listed_and_open_in_the_thread_view() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.me is not None
        me = app.me.username

        def ben_writes(conn: sqlite3.Connection, member: Callable[[str], Viewer]) -> int:
            view = messages.create_message(
                conn,
                member("ben"),
                participants=[me],
                title="Welcome to the stats circle [@click=app.quit]x[/]",
                raw="Glad you're joining us.",
            )
            return int(view["topic"]["id"])

        topic_id = await asyncio.to_thread(as_members, ben_writes)
        await go(pilot, "g", "m")
        screen = app.screen
        assert isinstance(screen, MessagesScreen)
        table = screen.query_one(ConversationTable)
        row = next(c for c in table.conversations if c.id == topic_id)
        assert row.unread_count == 1
        assert "1 with unread posts" in status(app)
        text = screen_text(app)
        assert "Welcome to the stats circle [@click=app.quit]x[/]" in text  # shown as typed
        assert "ben" in text
        await highlight(pilot, table, lambda c: c.id == topic_id)
        await go(pilot, "enter")
        thread = app.screen
        assert isinstance(thread, ThreadScreen) and thread.topic_id == topic_id
        await go(pilot, "escape")
        assert app.screen is screen


# -- when the forum cannot ---------------------------------------------------------------------


def fake_forum(forum: FakeBackend) -> Any:
    @contextlib.asynccontextmanager
    async def open_forum() -> AsyncIterator[ForumBackend]:
        yield forum

    return open_forum


@pytest.mark.parametrize(
    ("keys", "said"),
    [
        (("g", "y"), "No study groups here"),
        (("g", "e"), "No events here"),
        (("g", "p"), "No people directory here"),
        (("g", "m"), "No private messages here"),
    ],
)
async def test_a_forum_without_community_features_says_so(keys: tuple[str, ...], said: str) -> None:
    app = CohortApp(fake_forum(FakeBackend()), source="fake forum", live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, *keys)
        assert isinstance(app.screen, CommunityScreen)
        text = " ".join(screen_text(app).split())  # wrapped at 80 columns
        assert said in text and community_base.NO_COMMUNITY in text
        assert "unsupported" in status(app)


async def test_a_feature_the_forum_lacks_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    refusing(
        monkeypatch,
        unsupported={"events": "this Discourse has no event plugin (discourse-post-event)"},
    )
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, "g", "e")
        text = " ".join(screen_text(app).split())
        assert "No events here: this Discourse has no event plugin" in text
        assert "unsupported" in status(app)


async def test_offline_is_said_in_the_status_line() -> None:
    app = CohortApp(unreachable_forum(), source="gone forum", live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for keys in (("g", "y"), ("g", "e"), ("g", "p"), ("g", "m")):
            await go(pilot, *keys)
            assert "offline: the forum cannot be reached" in status(app), keys
            await go(pilot, "escape")
