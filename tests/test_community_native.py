"""NativeCommunity against a real `cohort serve --sample` process on 127.0.0.1, with
tokens for several of the sample community's people."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.fake_backend import FakeBackend
from tests.serverproc import ServerProcess, start_server
from tui.forum.backend import AuthError, NotFound, Rejected
from tui.forum.community import FEATURES, Community, community_of
from tui.forum.native import NativeBackend
from tui.forum.native_community import NativeCommunity, group_from


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One sample forum for the module: each test changes only what it owns."""
    tmp: Path = tmp_path_factory.mktemp("community")
    running = start_server(tmp, unix=False, args=("--sample",))
    try:
        yield running
    finally:
        running.stop()


@asynccontextmanager
async def as_user(server: ServerProcess, username: str) -> AsyncIterator[NativeCommunity]:
    backend = NativeBackend.for_url(server.base_url, server.token_for(username))
    community = community_of(backend)
    assert isinstance(community, NativeCommunity)
    try:
        yield community
    finally:
        await backend.aclose()


def test_which_backends_have_a_community() -> None:
    assert community_of(FakeBackend()) is None
    backend = NativeBackend.for_url("http://127.0.0.1:9")
    community = community_of(backend)
    assert isinstance(community, Community)
    assert all(community.unsupported(f) is None for f in FEATURES)


async def test_list_join_an_open_group_and_leave(server: ServerProcess) -> None:
    async with as_user(server, "amara") as amara:
        listed = {g.slug: g for g in await amara.groups()}
        assert {"missing-semester", "stats-circle"} <= set(listed)
        open_group = listed["missing-semester"]
        assert open_group.admission == "open" and open_group.my_status == "none"
        assert open_group.schedule is not None
        assert open_group.schedule.timezone == "Europe/Berlin"
        assert open_group.organisers == ("kwame",)
        before = open_group.member_count
        joined = await amara.join("missing-semester")
        assert joined.my_status == "member" and joined.member_count == before + 1
        mine = {g.slug for g in await amara.groups(mine=True)}
        assert "missing-semester" in mine
        full = await amara.group("missing-semester")
        assert "amara" in {m.username for m in full.members}
        assert ("kwame", ("organiser",)) in {(m.username, m.roles) for m in full.members}
        left = await amara.leave("missing-semester")
        assert left.my_status == "none" and left.member_count == before
        found = await amara.groups(query="statistics")
        assert [g.slug for g in found] == ["stats-circle"]


async def test_study_groups_access_groups_and_their_categories(server: ServerProcess) -> None:
    async with as_user(server, "sofia") as sofia:
        kinds = {g.slug: (g.kind, g.has_category) for g in await sofia.groups()}
        assert kinds["missing-semester"] == ("study", False)
        assert kinds["stats-circle"] == ("study", True)  # members only: sofia cannot see it
        assert kinds["mentors"] == kinds["organisers"] == ("access", False)
        circle = await sofia.group("stats-circle")
        assert circle.has_category and circle.category_id is None
    async with as_user(server, "amara") as amara:  # a member sees the category
        circle = await amara.group("stats-circle")
        assert circle.has_category and circle.category_id is not None
    assert group_from({"slug": "old"}).kind == "study"  # a server from before the marker


async def test_request_to_join_and_an_organiser_approves(server: ServerProcess) -> None:
    async with as_user(server, "hana") as hana, as_user(server, "tomas") as tomas:
        with pytest.raises(AuthError):
            await hana.join("stats-circle")  # request-to-join: joining outright is refused
        asked = await hana.request_to_join("stats-circle", "May I sit in from chapter 7?")
        assert asked.my_status == "requested"
        requests = {r.username: r for r in await tomas.join_requests("stats-circle")}
        assert requests["hana"].message == "May I sit in from chapter 7?"
        async with as_user(server, "ben") as ben:
            with pytest.raises(AuthError):
                await ben.approve("stats-circle", "hana")  # a member, not an organiser
        approved = await tomas.approve("stats-circle", "hana")
        assert "hana" in {m.username for m in approved.members} or approved.member_count >= 6
        now = await hana.group("stats-circle")
        assert now.my_status == "member"
        assert now.category_slug == "stats-circle"  # the members-only category, now visible


async def test_a_missing_group_is_not_found(server: ServerProcess) -> None:
    async with as_user(server, "ben") as ben:
        with pytest.raises(NotFound):
            await ben.group("no-such-group")


async def test_events_in_their_time_zones_and_rsvp(server: ServerProcess) -> None:
    start = datetime.now(UTC)
    async with as_user(server, "priya") as priya:
        found = await priya.events(start, start + timedelta(days=30))
        assert found == sorted(found, key=lambda e: e.starts_at)
        office = next(e for e in found if e.title.startswith("Mentor office hours"))
        assert office.kind == "event" and office.id is not None
        assert office.timezone == "Europe/London"
        assert office.starts_at.utcoffset() == timedelta(0)
        assert office.starts_at_local is not None
        london = office.starts_at.astimezone(ZoneInfo("Europe/London"))
        assert office.starts_at_local == office.starts_at
        assert office.starts_at_local.utcoffset() == london.utcoffset()
        assert (office.starts_at_local.hour, office.starts_at_local.minute) == (17, 0)
        going_before = office.rsvp_counts.going
        answered = await priya.rsvp(office, "going")
        assert answered.my_rsvp == "going" and answered.rsvp_counts.going == going_before + 1
        mine = await priya.events(start, start + timedelta(days=30), going_only=True)
        assert office.key in {e.key for e in mine}
        assert all(e.my_rsvp == "going" for e in mine)
        detail = await priya.event(office)
        assert "priya" in {a.username for a in detail.attendees if a.status == "going"}
        interested = await priya.rsvp(office, "interested")
        assert interested.my_rsvp == "interested"
        withdrawn = await priya.rsvp(office, None)
        assert withdrawn.my_rsvp is None and withdrawn.rsvp_counts.going == going_before
        with pytest.raises(Rejected):
            await priya.rsvp(office, "maybe")


async def test_a_groups_weekly_meeting_in_berlin_time(server: ServerProcess) -> None:
    start = datetime.now(UTC)
    async with as_user(server, "sofia") as sofia:
        found = await sofia.events(start, start + timedelta(days=14), group="missing-semester")
        assert found and all(e.group_slug == "missing-semester" for e in found)
        meeting = found[0]
        assert meeting.kind == "meeting" and meeting.id is None and meeting.recurring
        assert meeting.occurrence is not None
        assert meeting.starts_at_local is not None
        berlin = meeting.starts_at.astimezone(ZoneInfo("Europe/Berlin"))
        assert (berlin.hour, berlin.minute) == (18, 30)  # the schedule's wall-clock time
        assert meeting.starts_at_local.utcoffset() == berlin.utcoffset()
        assert meeting.starts_at_local.strftime("%A").lower() == "wednesday"
        answered = await sofia.rsvp(meeting, "going")
        assert answered.my_rsvp == "going" and answered.key == meeting.key
        again = await sofia.events(start, start + timedelta(days=14), going_only=True)
        assert meeting.key in {e.key for e in again}


async def test_people_and_mentors(server: ServerProcess) -> None:
    async with as_user(server, "ben") as ben:
        mentors = await ben.people(mentors=True)
        assert {p.username for p in mentors.people} == {"chen", "ola", "priya", "hana"}
        assert all(p.open_to_mentoring for p in mentors.people)
        assert any(e.tag == "career-change" and e.count == 2 for e in mentors.expertise)
        changers = await ben.people(mentors=True, expertise="career-change")
        assert {p.username for p in changers.people} == {"ola", "priya"}
        ola = await ben.person("ola")
        assert ola.mentoring_hours == 3 and "statistics" in ola.expertise
        assert ("stats-circle", ("facilitator",)) in {(g.slug, g.roles) for g in ola.groups}
        assert ola.recent_posts and ola.post_count
        everyone = await ben.people(q="Ola")
        assert "ola" in {p.username for p in everyone.people}
        with pytest.raises(NotFound):
            await ben.person("nobody-here")


async def test_private_messages_only_for_their_participants(server: ServerProcess) -> None:
    async with as_user(server, "ben") as ben, as_user(server, "amara") as amara:
        (checkin,) = (await ben.conversations()).conversations
        assert {p.username for p in checkin.participants} == {"ben", "ola"}
        assert checkin.topic.archetype == "private_message"
        assert (await amara.conversations()).conversations == ()
        page = await amara.start_conversation(
            ["chen"], "Could you look at my first PR?", "It's small, promise.", key="pm-1"
        )
        assert page.topic.archetype == "private_message"
        again = await amara.start_conversation(
            ["chen"], "Could you look at my first PR?", "It's small, promise.", key="pm-1"
        )
        assert again.topic.id == page.topic.id  # the same key: not sent twice
        async with as_user(server, "chen") as chen:
            ids = [c.id for c in (await chen.conversations()).conversations]
            assert page.topic.id in ids
        assert page.topic.id not in [c.id for c in (await ben.conversations()).conversations]
        with pytest.raises(NotFound):
            await ben.backend.topic(page.topic.id)
        listed = await amara.conversations()
        assert [c.id for c in listed.conversations] == [page.topic.id]
