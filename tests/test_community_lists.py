"""The community lists beyond their first answer: study groups apart from access groups
(a shows every group), what a group page says about its category, people and
conversations paged in as the reader nears the end, events following the change feed,
and who answered an event. Pilot on the embedded forum with its sample community."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable

import pytest

from server.store import accounts, events, messages
from server.store.viewer import Viewer
from tests.pilot import settle
from tests.test_community_screens import as_members, go, highlight, screen_text, status
from tui.app import CohortApp
from tui.forum.sync import SyncResult
from tui.messages import ForumChanged
from tui.screens.events import AttendeesScreen, EventsScreen
from tui.screens.group import GroupScreen
from tui.screens.messages import MessagesScreen
from tui.screens.people import PeopleScreen, ProfileScreen
from widgets.community_tables import (
    AttendeeTable,
    ConversationTable,
    EventTable,
    GroupTable,
    PeopleTable,
)

SIZES = [(80, 24), (120, 40)]
STUDY = {"missing-semester", "stats-circle"}  # the sample community's study groups
ACCESS = {"mentors", "organisers"}  # and its groups made with `cohort admin add-group`


# -- study groups and access groups ----------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_the_groups_list_shows_study_groups_and_a_shows_every_group(
    size: tuple[int, int],
) -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await go(pilot, "g", "y")
        table = app.screen.query_one(GroupTable)
        assert {g.slug for g in table.groups} == STUDY
        assert "2 others (a shows them)" in status(app)
        assert "Mentors" not in screen_text(app)

        await go(pilot, "a")
        shown = {g.slug: g for g in table.groups}
        assert set(shown) == STUDY | ACCESS
        assert {shown[s].kind for s in ACCESS} == {"access"}
        assert "Every group" in str(table.border_title)
        await highlight(pilot, table, lambda g: g.slug == "mentors")
        text = screen_text(app)
        assert "Mentors" in text and "access only" in text
        assert "moderators add people" in text

        await go(pilot, "a")
        assert {g.slug for g in table.groups} == STUDY
        assert "Study groups" in str(table.border_title)


async def test_a_group_page_tells_no_category_from_a_members_only_one() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await go(pilot, "g", "y")
        table = app.screen.query_one(GroupTable)
        await highlight(pilot, table, lambda g: g.slug == "missing-semester")
        await go(pilot, "enter")
        assert isinstance(app.screen, GroupScreen)
        assert app.screen.group is not None and not app.screen.group.has_category
        assert "This group has no category of its own" in screen_text(app)
        await go(pilot, "escape")
        await highlight(pilot, table, lambda g: g.slug == "stats-circle")
        await go(pilot, "enter")
        assert isinstance(app.screen, GroupScreen)
        group = app.screen.group
        assert group is not None and group.has_category and group.category_id is None
        text = screen_text(app)
        assert "for its members only" in text and "no category" not in text


# -- paging ------------------------------------------------------------------------------------


async def test_people_are_paged_in_near_the_end_and_the_cursor_stays() -> None:
    def many(conn: sqlite3.Connection, member: Callable[[str], Viewer]) -> None:
        for number in range(60):
            accounts.add_user(conn, f"learner{number:02d}", name=f"Learner {number}")

    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await asyncio.to_thread(as_members, many)
        await go(pilot, "g", "p")
        screen = app.screen
        assert isinstance(screen, PeopleScreen)
        table = screen.query_one(PeopleTable)
        assert len(table.people) == 50  # the server's first page
        assert screen.next_offset == 50 and "(more below)" in status(app)
        await go(pilot, "G")
        last_of_first = table.people[49]
        await settle(pilot)
        assert len(table.people) > 70
        assert len({p.username for p in table.people}) == len(table.people)
        assert screen.next_offset is None and "(more below)" not in status(app)
        assert table.highlighted == last_of_first  # the cursor stayed on its person


async def test_conversations_are_paged_in_and_a_refresh_keeps_them() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.me is not None
        me = app.me.username

        def write(conn: sqlite3.Connection, member: Callable[[str], Viewer]) -> None:
            for number in range(35):
                messages.create_message(
                    conn,
                    member("ben"),
                    participants=[me],
                    title=f"Check-in number {number}",
                    raw="How did this week go?",
                )

        await asyncio.to_thread(as_members, write)
        await go(pilot, "g", "m")
        screen = app.screen
        assert isinstance(screen, MessagesScreen)
        table = screen.query_one(ConversationTable)
        # A first page of 30 fills more than the screen: the rest waits for the reader.
        assert len(table.conversations) == 30 and screen.next_cursor is not None
        await go(pilot, "G")
        last_of_first = table.conversations[29]
        await settle(pilot)
        assert len(table.conversations) == 35 and screen.next_cursor is None
        assert table.highlighted == last_of_first
        # A refresh reads the first page again and keeps the page below it.
        await go(pilot, "r")
        assert len(table.conversations) == 35
        assert table.highlighted is not None and table.highlighted.id == last_of_first.id


# -- events ------------------------------------------------------------------------------------


async def test_events_follow_the_change_feed_quietly_and_list_who_answered() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await go(pilot, "g", "e")
        await go(pilot, "w")
        screen = app.screen
        assert isinstance(screen, EventsScreen)
        table = screen.query_one(EventTable)
        candidates = [e for e in table.events if e.kind == "event"]
        event = await highlight(pilot, table, lambda e: e.key == candidates[-1].key)
        assert event.id is not None

        def ben_goes(conn: sqlite3.Connection, member: Callable[[str], Viewer]) -> None:
            events.set_rsvp(conn, member("ben"), event.id, "going")

        await asyncio.to_thread(as_members, ben_goes)
        screen.post_message(ForumChanged(SyncResult(topic_ids=frozenset(), changes=1)))
        await settle(pilot)
        now = table.highlighted
        assert now is not None and now.key == event.key  # the cursor kept its event
        assert now.rsvp_counts.going == event.rsvp_counts.going + 1
        assert "loading" not in status(app)

        await go(pilot, "a")
        attendees = app.screen
        assert isinstance(attendees, AttendeesScreen)
        listed = attendees.query_one(AttendeeTable)
        assert ("ben", "going") in {(a.username, a.status) for a in listed.items}
        assert "going" in status(app)
        await highlight(pilot, listed, lambda a: a.username == "ben")
        await go(pilot, "enter")
        assert isinstance(app.screen, ProfileScreen) and app.screen.username == "ben"
        await go(pilot, "escape")
        await go(pilot, "escape")
        assert app.screen is screen
