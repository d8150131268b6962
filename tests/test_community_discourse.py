"""DiscourseCommunity against the fake Discourse, which answers with Discourse's own
responses (../shared/discourse/fixtures): groups, members, join/leave/ask, the user
directory, profiles, private messages, and the features Discourse does not have."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fake_discourse import (
    CLIENT_ID,
    USER_API_KEY,
    FakeDiscourse,
    RunningFake,
    fixture,
    start_fake,
)
from tui.forum.community import FEATURES, Community, NotSupported, community_of
from tui.forum.discourse import DiscourseBackend, DiscourseCredentials, RequestBudget
from tui.forum.discourse.community import (
    NO_EVENTS,
    NO_MENTORING,
    DiscourseCommunity,
    conversations_from,
    groups_from,
)

USER = DiscourseCredentials("user_api_key", USER_API_KEY, client_id=CLIENT_ID)


@pytest.fixture
def running() -> Iterator[RunningFake]:
    fake = start_fake(FakeDiscourse())
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
async def community(running: RunningFake) -> AsyncIterator[DiscourseCommunity]:
    backend = DiscourseBackend(running.url, credentials=USER, budget=RequestBudget(per_minute=None))
    found = community_of(backend)
    assert isinstance(found, DiscourseCommunity)
    try:
        yield found
    finally:
        await backend.aclose()


def test_it_is_a_community_and_says_what_discourse_lacks() -> None:
    backend = DiscourseBackend("https://forum.example", credentials=USER)
    community = community_of(backend)
    assert isinstance(community, Community)
    assert community.unsupported("events") == NO_EVENTS
    assert community.unsupported("rsvp") == NO_EVENTS
    assert community.unsupported("mentors") == NO_MENTORING
    assert community.unsupported("expertise") == NO_MENTORING
    assert "website" in (community.unsupported("approve") or "")
    for feature in ("groups", "join", "request", "leave", "people", "conversations"):
        assert community.unsupported(feature) is None
    assert set(FEATURES) >= {"events", "mentors", "approve"}


def test_anonymous_readers_are_told_to_log_in() -> None:
    community = community_of(DiscourseBackend("https://forum.example"))
    assert community is not None
    assert "Log in" in (community.unsupported("join") or "")
    assert "Log in" in (community.unsupported("conversations") or "")
    assert community.unsupported("groups") is None


def test_both_shapes_of_the_group_list() -> None:
    old = groups_from(fixture("groups__discourse_api.json"))
    assert [(g.slug, g.member_count, g.id) for g in old] == [
        ("group_1", 17, 101),
        ("group_2", 4, 102),
    ]
    new = groups_from(fixture("groups__core.json"))
    by_slug = {g.slug: g for g in new}
    assert by_slug["discourse"].name == "Awesome Team"
    assert by_slug["discourse"].admission == "open"  # public_admission
    assert by_slug["Macdonald"].admission == "request"  # allow_membership_requests
    assert by_slug["Macdonald"].name == "Macdonald"  # no full_name: the handle
    assert all(g.my_status == "none" for g in new)


def test_joinable_groups_are_study_groups_and_the_rest_grant_access() -> None:
    new = {g.slug: g for g in groups_from(fixture("groups__core.json"))}
    assert new["discourse"].kind == "study"  # public admission
    assert new["Macdonald"].kind == "study"  # membership requests
    assert all(not g.has_category for g in new.values())  # Discourse groups own no category
    old = groups_from(fixture("groups__discourse_api.json"))  # neither: closed groups
    assert {g.kind for g in old} == {"access"}
    body = fixture("groups__core.json")
    body["groups"][0]["automatic"] = True  # as trust_level_0 and staff are
    assert groups_from(body)[0].kind == "access"


async def test_groups_group_and_members(community: DiscourseCommunity) -> None:
    listed = await community.groups()
    assert {g.slug for g in listed} == {"discourse", "Macdonald"}
    group = await community.group("group_1")  # an older forum's {"basic_group": ...}
    assert group.id == 101 and group.member_count == 17
    assert len(group.members) == 100
    assert group.members[0].username == "Test_0" and group.members[0].name == "Test 0"
    assert group.organisers == ()


async def test_join_leave_and_ask_to_join(
    community: DiscourseCommunity, running: RunningFake
) -> None:
    await community.groups()  # learns the groups' ids
    joined = await community.join("discourse")
    assert joined.my_status == "member"
    assert running.fake.joined_groups == {41}
    assert any(r.startswith("PUT /groups/41/members.json") for r in running.fake.requests)
    mine = await community.groups(mine=True)
    assert [g.slug for g in mine] == ["discourse"]
    left = await community.leave("discourse")
    assert left.my_status == "none" and running.fake.joined_groups == set()
    asked = await community.request_to_join("Macdonald", "Please add me")
    assert asked.my_status == "requested"
    assert running.fake.membership_requests == {"Macdonald": "Please add me"}


async def test_a_group_id_is_looked_up_when_not_known(
    community: DiscourseCommunity, running: RunningFake
) -> None:
    joined = await community.join("Macdonald")
    assert joined.my_status == "member" and running.fake.joined_groups == {42}


async def test_people_from_the_directory_and_a_profile(community: DiscourseCommunity) -> None:
    page = await community.people()
    assert page.people[0].username == "codinghorror"
    assert page.people[0].post_count == 12263
    assert all(not p.open_to_mentoring and not p.expertise for p in page.people)
    person = await community.person("eviltrout")
    assert person.name == "Robin Ward" and person.post_count == 1987
    assert person.bio.startswith("Co-founder of Discourse.")
    assert person.is_moderator
    assert {g.slug for g in person.groups} == {"ubuntu", "discourse"}
    plain = await community.person("test_user")
    assert plain.name == "Test User" and plain.bio == "" and plain.groups == ()


async def test_mentors_and_events_are_refused_plainly(community: DiscourseCommunity) -> None:
    with pytest.raises(NotSupported) as caught:
        await community.people(mentors=True)
    assert caught.value.message == NO_MENTORING
    with pytest.raises(NotSupported):
        await community.people(expertise="python")
    with pytest.raises(NotSupported) as caught:
        await community.events()
    assert caught.value.message == NO_EVENTS
    with pytest.raises(NotSupported):
        await community.approve("discourse", "sam")
    with pytest.raises(NotSupported):
        await community.join_requests("discourse")


def test_the_message_list_names_its_participants() -> None:
    listed = conversations_from(fixture("private_messages__discourse_api.json"))
    (only,) = listed.conversations
    assert only.id == 11 and only.title == "Welcome to Discourse!"
    assert only.topic.archetype == "private_message"
    assert [p.username for p in only.participants] == ["test_user", "batman"]
    assert listed.unread_topics == 0


async def test_conversations_and_starting_one(
    community: DiscourseCommunity, running: RunningFake
) -> None:
    listed = await community.conversations()
    assert [c.id for c in listed.conversations] == [11]
    asked = running.fake.requests
    assert any(r.startswith("GET /topics/private-messages/eviltrout.json") for r in asked)
    page = await community.start_conversation(
        ["sam", "neil"], "A mentoring check-in", "How did the interview go?", key="k1"
    )
    assert page.topic.archetype == "private_message"
    assert page.topic.title == "A mentoring check-in"
    assert running.fake.pm_recipients[page.topic.id] == "sam,neil"
    first = page.posts[0]
    assert "How did the interview go?" in (first.raw or first.cooked or "")


async def test_a_missing_group_is_not_found(community: DiscourseCommunity) -> None:
    from tui.forum.backend import NotFound

    with pytest.raises(NotFound):
        await community.group("nope")
