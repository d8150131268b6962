"""Who liked a Discourse post: the mapping of the real /post_action_users.json answer, and
the one request (within the budget) that `DiscourseBackend.reactors` makes for it."""

from __future__ import annotations

import copy

import httpx
import pytest

from tests.fake_discourse import CLIENT_ID, USER_API_KEY, FakeDiscourse, fixture, serving
from tui.forum.backend import NotFound, ServerError
from tui.forum.discourse import DiscourseBackend, DiscourseCredentials, RequestBudget, mapping
from tui.forum.jsonread import BadData
from tui.forum.models import Reactor, Reactors

LIKERS = "post_action_users__discourse_api.json"
USER = DiscourseCredentials("user_api_key", USER_API_KEY, client_id=CLIENT_ID)


def test_likers_are_listed_newest_first_without_times() -> None:
    # Discourse lists likers oldest first (PostActionUsersController orders by created_at)
    # and says nothing of when, or of display names in this (2013-2020) answer.
    assert mapping.likers(fixture(LIKERS)) == [
        Reactors(name="like", users=(Reactor("jane_smith"), Reactor("john_smith")))
    ]


def test_nobody_liked_gives_no_entry() -> None:
    body = fixture(LIKERS)
    body["post_action_users"] = []
    assert mapping.likers(body) == []


def test_liker_names_are_sanitised() -> None:
    body = copy.deepcopy(fixture(LIKERS))
    body["post_action_users"][0]["username"] = "john\x1b]0;pwned\x07_smith"
    body["post_action_users"][0]["name"] = "John \u202eSmith"
    (likes,) = mapping.likers(body)
    assert likes.users[-1] == Reactor("john]0;pwned_smith", "John Smith")


def test_a_wrong_shape_is_bad_data() -> None:
    with pytest.raises(BadData):
        mapping.likers({"post_action_users": "nobody"})
    with pytest.raises(BadData):
        mapping.likers([])


async def test_one_request_per_post_and_only_when_asked() -> None:
    fake = FakeDiscourse()
    with serving(fake) as running:
        budget = RequestBudget(per_minute=3)
        backend = DiscourseBackend(running.url, credentials=USER, budget=budget)
        try:
            assert fake.requests == []
            found = await backend.reactors(3651)
            assert [u.username for u in found[0].users] == ["jane_smith", "john_smith"]
            assert fake.requests == ["GET /post_action_users.json?id=3651&post_action_type_id=2"]
            with pytest.raises(NotFound):
                await backend.reactors(424242)
            assert len(fake.requests) == 2
            # Both counted against the user key's budget: one turn left this minute.
            await backend.reactors(3651)
            assert budget.ready_in() > 0
        finally:
            await backend.aclose()


async def test_a_broken_answer_is_a_server_error_not_a_crash() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"post_action_users": [{"id": 1}]})  # no username

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        backend = DiscourseBackend(
            "https://forum.example", http=http, budget=RequestBudget(per_minute=None)
        )
        with pytest.raises(ServerError):
            await backend.reactors(1)
