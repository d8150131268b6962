"""The community features (study groups, people, private conversations, events), the same
for every backend: what a forum has works, and what it lacks answers with the sentence a
screen shows (`unsupported()`, then `NotSupported` carrying it), never another error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.contract.facts import ContractForum
from tests.contract.test_reading import assert_safe
from tui.forum.community import (
    FEATURES,
    GROUP_KINDS,
    Community,
    Conversation,
    Event,
    NotSupported,
    Person,
    StudyGroup,
    community_of,
)

SOMEONE = "someone"  # a username for calls that must be refused before it matters


def community(forum: ContractForum) -> Community:
    found = community_of(forum.backend)
    assert isinstance(found, Community), f"{forum.facts.name} has no community adapter"
    return found


def a_slug(forum: ContractForum) -> str:
    slug = forum.facts.group_slug
    assert slug is not None, f"{forum.facts.name}: no group is known"
    return slug


def an_event() -> Event:
    """An event no forum has: a call on it must be refused before the forum is asked."""
    now = datetime.now(UTC)
    return Event(key="event:1", id=1, kind="event", title="x", starts_at=now, ends_at=now)


def calls(forum: ContractForum, c: Community) -> dict[str, list[Callable[[], Awaitable[Any]]]]:
    """Each feature's calls, to make when the forum lacks it."""
    slug = forum.facts.group_slug or "group"
    return {
        "groups": [lambda: c.groups(), lambda: c.group(slug)],
        "join": [lambda: c.join(forum.facts.open_group or slug)],
        "request": [lambda: c.request_to_join(forum.facts.request_group or slug)],
        "leave": [lambda: c.leave(slug)],
        "approve": [lambda: c.join_requests(slug), lambda: c.approve(slug, SOMEONE)],
        "events": [lambda: c.events(), lambda: c.event(an_event())],
        "rsvp": [lambda: c.rsvp(an_event(), "going")],
        "people": [lambda: c.people()],
        "mentors": [lambda: c.people(mentors=True)],
        "expertise": [lambda: c.people(expertise="python")],
        "conversations": [lambda: c.conversations()],
    }


# -- what a forum lacks ------------------------------------------------------------------------


async def test_every_feature_is_either_supported_or_said_plainly(forum: ContractForum) -> None:
    c = community(forum)
    assert c.kind == forum.backend.kind
    lacking = {f for f in FEATURES if c.unsupported(f) is not None}
    assert lacking == set(forum.facts.unsupported)
    for feature in lacking:
        reason = c.unsupported(feature)
        assert isinstance(reason, str) and reason.strip()
        assert "\n" not in reason and reason[0].isupper() and reason.endswith(".")
        assert_safe(reason)


async def test_what_a_forum_lacks_answers_with_its_sentence(forum: ContractForum) -> None:
    c = community(forum)
    every = calls(forum, c)
    assert set(every) == set(FEATURES)  # every feature has a call here
    for feature in forum.facts.unsupported:
        for call in every[feature]:
            with pytest.raises(NotSupported) as refused:
                await call()
            assert refused.value.message == c.unsupported(feature), feature


# -- study groups ------------------------------------------------------------------------------


async def test_groups_are_listed(forum: ContractForum) -> None:
    groups = await community(forum).groups()
    assert groups and all(isinstance(g, StudyGroup) for g in groups)
    assert len({g.slug for g in groups}) == len(groups)
    assert a_slug(forum) in {g.slug for g in groups}
    assert {g.kind for g in groups} <= set(GROUP_KINDS)
    assert any(g.is_study_group for g in groups)
    assert all(g.name and g.member_count >= 0 for g in groups)
    assert_safe(groups)


async def test_a_group_with_its_members(forum: ContractForum) -> None:
    group = await community(forum).group(a_slug(forum))
    assert group.slug == a_slug(forum)
    assert group.members and all(m.username for m in group.members)
    assert len({m.username for m in group.members}) == len(group.members)
    assert set(group.organisers) <= {m.username for m in group.members}
    if group.category_id is not None:
        assert group.has_category
    assert_safe(group)


async def test_join_and_leave_an_open_group(forum: ContractForum) -> None:
    slug = forum.facts.open_group
    if slug is None or "join" in forum.facts.unsupported:
        pytest.skip(f"{forum.facts.name}: no group to join")
    c = community(forum)
    before = await c.group(slug)
    assert not before.is_member and before.admission == "open"
    joined = await c.join(slug)
    assert joined.slug == slug and joined.is_member
    assert slug in {g.slug for g in await c.groups(mine=True)}
    left = await c.leave(slug)
    assert left.slug == slug and left.my_status == "none"
    assert slug not in {g.slug for g in await c.groups(mine=True)}


async def test_ask_to_join_a_group_that_admits_on_request(forum: ContractForum) -> None:
    slug = forum.facts.request_group
    if slug is None or "request" in forum.facts.unsupported:
        pytest.skip(f"{forum.facts.name}: no group admitting on request")
    c = community(forum)
    before = await c.group(slug)
    assert before.admission == "request" and before.my_status == "none"
    asked = await c.request_to_join(slug, "I would like to read along.")
    assert asked.slug == slug and asked.my_status == "requested"


# -- people ------------------------------------------------------------------------------------


async def test_people_and_one_profile(forum: ContractForum) -> None:
    c = community(forum)
    page = await c.people()
    assert page.people and all(isinstance(p, Person) and p.username for p in page.people)
    assert len({p.username for p in page.people}) == len(page.people)
    assert_safe(page)
    if page.next_offset is not None:
        more = await c.people(offset=page.next_offset)
        assert not {p.username for p in page.people} & {p.username for p in more.people}
    assert forum.facts.person is not None
    person = await c.person(forum.facts.person)
    assert person.username == forum.facts.person
    assert_safe(person)


async def test_mentors_by_expertise(forum: ContractForum) -> None:
    if "mentors" in forum.facts.unsupported:
        pytest.skip(f"{forum.facts.name} has no mentoring profiles")
    c = community(forum)
    mentors = await c.people(mentors=True)
    assert mentors.people and all(p.open_to_mentoring for p in mentors.people)
    assert mentors.expertise
    tag = mentors.expertise[0].tag
    found = await c.people(expertise=tag)
    assert found.people
    assert all(tag.lower() in {t.lower() for t in p.expertise} for p in found.people)


# -- private conversations -----------------------------------------------------------------------


async def test_my_conversations(forum: ContractForum) -> None:
    if "conversations" in forum.facts.unsupported or not forum.facts.logged_in:
        pytest.skip(f"{forum.facts.name}: no private messages to read")
    listed = await community(forum).conversations()
    assert all(isinstance(c, Conversation) for c in listed.conversations)
    titles = {c.title for c in listed.conversations}
    assert forum.facts.conversation_title in titles
    assert all(c.topic.archetype == "private_message" for c in listed.conversations)
    assert all(c.participants for c in listed.conversations)
    assert 0 <= listed.unread_topics <= len(listed.conversations)
    assert_safe(listed)


# -- events ------------------------------------------------------------------------------------


async def test_events_with_attendees_and_an_answer(forum: ContractForum) -> None:
    if "events" in forum.facts.unsupported:
        pytest.skip(f"{forum.facts.name} has no events")
    c = community(forum)
    now = datetime.now(UTC)
    events = await c.events(now, now + timedelta(days=30))
    assert events and all(e.starts_at.tzinfo and e.ends_at >= e.starts_at for e in events)
    assert [e.starts_at for e in events] == sorted(e.starts_at for e in events)
    assert_safe(events)
    event = next(e for e in events if e.kind == "event")
    again = await c.event(event)
    assert again.key == event.key and isinstance(again.attendees, tuple)
    going = await c.rsvp(event, "going")
    assert going.my_rsvp == "going"
    me = await forum.backend.me()
    assert me is not None
    seen = await c.event(event)
    assert (me.username, "going") in {(a.username, a.status) for a in seen.attendees}
    back = await c.rsvp(event, None)
    assert back.my_rsvp is None
