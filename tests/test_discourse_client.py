"""DiscourseBackend beyond the contract suite: the request budget and 429s (on a fake
clock), error mapping, anonymous reads, batching, paging, plugins, writes and MessageBus.

Two kinds of forum stand in for Discourse: the fake Discourse on loopback
(tests/fake_discourse.py, serving the real fixtures) and, where a test needs one exact
answer (a 429, a redirect, a broken connection), an httpx.MockTransport that answers with
a fixture file or a shape from Discourse's source.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.fake_discourse import (
    ADMIN_API_KEY,
    ADMIN_USERNAME,
    CLIENT_ID,
    USER_API_KEY,
    FakeDiscourse,
    RunningFake,
    fixture,
    start_fake,
)
from tui.forum.backend import (
    AuthError,
    Conflict,
    ForumBackend,
    ForumError,
    NotFound,
    Offline,
    RateLimited,
    Rejected,
    ServerError,
)
from tui.forum.discourse import DiscourseBackend, DiscourseCredentials, RequestBudget
from tui.forum.discourse.budget import USER_KEY_PER_DAY, USER_KEY_PER_MINUTE
from tui.forum.models import Category

BASE = "https://forum.example"
USER = DiscourseCredentials("user_api_key", USER_API_KEY, client_id=CLIENT_ID)
ADMIN = DiscourseCredentials("api_key", ADMIN_API_KEY, username=ADMIN_USERNAME)
PLAIN_429 = (
    "Slow down, too many requests from this IP address.\n"
    "Please retry again in 10 seconds.\n"
    "Error id: ip_10_secs_limit."
)  # Middleware::RequestTracker's per-IP answer (text/plain)


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


Handler = Callable[[httpx.Request], httpx.Response]


@asynccontextmanager
async def mocked(
    handler: Handler,
    *,
    credentials: DiscourseCredentials | None = USER,
    budget: RequestBudget | None = None,
    **options: Any,
) -> AsyncIterator[DiscourseBackend]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        yield DiscourseBackend(
            BASE,
            credentials=credentials,
            http=http,
            budget=budget or RequestBudget(per_minute=None),
            **options,
        )


def answer(status: int = 200, body: Any = None, **options: Any) -> httpx.Response:
    return httpx.Response(status, json=body, **options)


@pytest.fixture
def serve() -> Iterator[Callable[..., RunningFake]]:
    """Start fake Discourses (each with its own options); all are stopped afterwards."""
    started: list[RunningFake] = []

    def start(**options: Any) -> RunningFake:
        running = start_fake(FakeDiscourse(**options))
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@asynccontextmanager
async def backend_on(
    running: RunningFake, credentials: DiscourseCredentials | None = USER
) -> AsyncIterator[DiscourseBackend]:
    backend = DiscourseBackend(
        running.url, credentials=credentials, budget=RequestBudget(per_minute=None)
    )
    try:
        yield backend
    finally:
        await backend.aclose()


def test_it_is_a_forum_backend() -> None:
    backend = DiscourseBackend(BASE)
    assert isinstance(backend, ForumBackend)
    assert backend.kind == "discourse" and backend.base_url == BASE


# -- credentials -------------------------------------------------------------------------------


def test_credentials_headers() -> None:
    assert USER.headers() == {"User-Api-Key": USER_API_KEY, "User-Api-Client-Id": CLIENT_ID}
    assert ADMIN.headers() == {"Api-Key": ADMIN_API_KEY, "Api-Username": ADMIN_USERNAME}
    assert USER_API_KEY not in repr(USER)  # the key is a secret
    with pytest.raises(ValueError):
        DiscourseCredentials("api_key", "k")  # an admin key needs a username
    with pytest.raises(ValueError):
        DiscourseCredentials("user_api_key", "k\r\nX-Evil: 1")


# -- the request budget ------------------------------------------------------------------------


async def test_budget_never_lets_more_than_the_limit_into_any_minute() -> None:
    clock = FakeClock()
    budget = RequestBudget(USER_KEY_PER_MINUTE, margin=0.5, clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    for _ in range(65):
        await budget.acquire()
        sent.append(clock.now)
    assert clock.sleeps, "the 21st request should have waited"
    assert sent[:20] == [1_000.0] * 20  # a burst within the limit goes at once
    for first, twenty_first in zip(sent, sent[20:], strict=False):
        assert twenty_first - first >= 60.5  # never 21 in a window (plus the margin)


async def test_budget_keeps_order_among_concurrent_callers() -> None:
    clock = FakeClock()
    budget = RequestBudget(3, margin=0.0, clock=clock, sleep=clock.sleep)
    done: list[tuple[int, float]] = []

    async def call(n: int) -> None:
        await budget.acquire()
        done.append((n, clock.now))

    await asyncio.gather(*(call(n) for n in range(7)))
    assert [n for n, _ in done] == list(range(7))
    assert [t for _, t in done] == [1000.0] * 3 + [1060.0] * 3 + [1120.0]


async def test_budget_daily_limit_and_hold() -> None:
    clock = FakeClock()
    budget = RequestBudget(None, per_day=2, margin=0.0, clock=clock, sleep=clock.sleep)
    await budget.acquire()
    await budget.acquire()
    assert budget.ready_in() == 86_400.0
    await budget.acquire()
    assert clock.sleeps == [86_400.0]
    open_budget = RequestBudget(None, clock=clock, sleep=clock.sleep)
    open_budget.hold(7.5)
    await open_budget.acquire()
    assert clock.sleeps[-1] == 7.5 and open_budget.waited == 7.5


def test_budget_per_credential_kind() -> None:
    user = RequestBudget.for_kind("user_api_key")
    assert (user.per_minute, user.per_day) == (USER_KEY_PER_MINUTE, USER_KEY_PER_DAY)
    assert RequestBudget.for_kind("api_key").per_minute == 60
    assert RequestBudget.for_kind(None).per_minute == 60
    assert DiscourseBackend(BASE, credentials=USER).budget.per_minute == 20
    with pytest.raises(ValueError):
        RequestBudget(0)


# -- 429s --------------------------------------------------------------------------------------


def sequence(*responses: httpx.Response) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering these in turn (the last one again after that)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses[min(len(seen) - 1, len(responses) - 1)]

    return handler, seen


SITE_OK = answer(200, fixture("site__core.json")["site"])


@pytest.mark.parametrize(
    ("limited", "expected_wait"),
    [
        # Discourse's JSON 429 (RateLimiter): extras.wait_seconds says how long.
        (answer(429, fixture("error_rate_limit_429__core_test.json")), 10.0),
        # Retry-After wins over the body.
        (
            answer(
                429, fixture("error_rate_limit_429__core_test.json"), headers={"Retry-After": "3"}
            ),
            3.0,
        ),
        # The per-IP 429 is plain text; without a Retry-After it gets the default.
        (httpx.Response(429, text=PLAIN_429, headers={"Content-Type": "text/plain"}), 10.0),
        (
            httpx.Response(
                429, text=PLAIN_429, headers={"Content-Type": "text/plain", "Retry-After": "4"}
            ),
            4.0,
        ),
    ],
)
async def test_a_429_waits_as_told_then_retries(
    limited: httpx.Response, expected_wait: float
) -> None:
    clock = FakeClock()
    handler, seen = sequence(limited, SITE_OK)
    budget = RequestBudget(None, clock=clock, sleep=clock.sleep)
    async with mocked(handler, budget=budget) as backend:
        categories = await backend.categories()
    assert len(categories) == 21
    assert len(seen) == 2 and clock.sleeps == [expected_wait]


async def test_a_429_that_persists_becomes_rate_limited() -> None:
    clock = FakeClock()
    handler, seen = sequence(
        httpx.Response(429, text=PLAIN_429, headers={"Content-Type": "text/plain"})
    )
    budget = RequestBudget(None, clock=clock, sleep=clock.sleep)
    async with mocked(handler, budget=budget, max_retries=2) as backend:
        with pytest.raises(RateLimited) as caught:
            await backend.categories()
    assert len(seen) == 3  # the first try and two retries
    assert caught.value.retry_after == 10.0 and caught.value.status == 429
    assert "Slow down, too many requests from this IP address." in caught.value.message
    assert "\n" not in caught.value.message


async def test_a_long_429_is_not_waited_out() -> None:
    clock = FakeClock()
    handler, seen = sequence(answer(429, {"errors": ["wait"]}, headers={"Retry-After": "3600"}))
    budget = RequestBudget(None, clock=clock, sleep=clock.sleep)
    async with mocked(handler, budget=budget) as backend:
        with pytest.raises(RateLimited) as caught:
            await backend.site()
    assert len(seen) == 1 and caught.value.retry_after == 3600.0
    assert budget.ready_in() == 3600.0  # every other call holds off too


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (401, {"errors": ["Bad key"]}, AuthError, "Bad key"),
        (
            403,
            {"errors": ["You are not permitted to view the requested resource."]},
            AuthError,
            "You are not permitted",
        ),
        (404, {"errors": ["Gone."], "error_type": "not_found"}, NotFound, "Gone."),
        (409, {"errors": ["Edited by someone else"]}, Conflict, "Edited by someone else"),
        (422, {"errors": ["Title is too short", "Body is too short"]}, Rejected, "; "),
        (400, {"errors": ["param is missing"]}, Rejected, "param is missing"),
        (413, {"errors": ["too big"]}, Rejected, "too big"),
        (500, {"errors": ["boom"]}, ServerError, "boom"),
        (503, {"errors": ["read only"], "error_type": "read_only"}, ServerError, "read only"),
    ],
)
async def test_error_statuses(
    status: int, body: dict[str, Any], error: type[ForumError], message: str
) -> None:
    handler, _ = sequence(answer(status, body))
    async with mocked(handler) as backend:
        with pytest.raises(error) as caught:
            await backend.post(1)
    assert type(caught.value) is error and caught.value.status == status
    assert message in caught.value.message


async def test_error_messages_are_sanitised() -> None:
    handler, _ = sequence(answer(422, {"errors": ["bad \x1b[2J\u202etitle\x9b"]}))
    async with mocked(handler) as backend:
        with pytest.raises(Rejected) as caught:
            await backend.reply(1, "x", reply_to_post_number=None, key="k")
    assert caught.value.message == "the forum refused: bad [2Jtitle"


async def test_a_missing_topic_is_not_found_even_as_html() -> None:
    # TopicsController#show answers a missing topic with its HTML page, not JSON.
    page = "<html><body><h1>Oops! That page does not exist</h1></body></html>"
    handler, _ = sequence(httpx.Response(404, text=page, headers={"Content-Type": "text/html"}))
    async with mocked(handler) as backend:
        with pytest.raises(NotFound) as caught:
            await backend.topic(5)
    assert "<" not in caught.value.message


@pytest.mark.parametrize(
    ("exc", "write", "ambiguous"),
    [
        (httpx.ConnectError("refused"), True, False),
        (httpx.ConnectTimeout("slow"), True, False),
        (httpx.ReadTimeout("no answer"), True, True),
        (httpx.RemoteProtocolError("dropped"), True, True),
        (httpx.ReadTimeout("no answer"), False, False),
    ],
)
async def test_transport_failures_are_offline(
    exc: httpx.HTTPError, write: bool, ambiguous: bool
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    async with mocked(handler) as backend:
        with pytest.raises(Offline) as caught:
            if write:
                await backend.reply(1, "hello", reply_to_post_number=None, key="k")
            else:
                await backend.post(1)
    assert caught.value.ambiguous is ambiguous


async def test_nothing_listens() -> None:
    backend = DiscourseBackend("http://127.0.0.1:9", budget=RequestBudget(None))
    try:
        with pytest.raises(Offline) as caught:
            await backend.site()
    finally:
        await backend.aclose()
    assert not caught.value.ambiguous


async def test_answers_that_are_not_discourse_json() -> None:
    handler, _ = sequence(httpx.Response(200, text="<html>a login page</html>"))
    async with mocked(handler) as backend:
        with pytest.raises(ServerError, match="not JSON"):
            await backend.site()
    handler, _ = sequence(answer(200, {"topic_list": {"topics": [{"id": "seven"}]}}))
    async with mocked(handler) as backend:
        with pytest.raises(ServerError, match="cannot read"):
            await backend.topics()


async def test_redirects_stay_on_the_forum() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.host == "forum.example" and request.url.path == "/c/2/l/latest.json":
            return httpx.Response(301, headers={"Location": "/c/feature/2/l/latest.json"})
        if request.url.path == "/c/feature/2/l/latest.json":
            return answer(200, fixture("category_feature_latest__core.json"))
        if request.url.path == "/t/1.json":
            return httpx.Response(302, headers={"Location": "https://evil.example/steal"})
        return answer(404, {"errors": ["no"]})

    async with mocked(handler) as backend:
        moved = Category(id=2, slug="", name="feature")
        listing = await backend.topics("latest", category=moved)
        assert len(listing.topics) == 30
        with pytest.raises(ServerError, match="another site"):
            await backend.topic(1)
    assert not any("evil.example" in url for url in seen)


# -- who is asking -----------------------------------------------------------------------------


async def test_anonymous_reads_send_no_credentials(serve: Callable[..., RunningFake]) -> None:
    running = serve()
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request)

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
        backend = DiscourseBackend(running.url, http=http, budget=RequestBudget(None))
        assert await backend.me() is None
        site = await backend.site()
        listing = await backend.topics()
        page = await backend.topic(280)
        await backend.set_read(280, 5)  # no read state to keep: nothing is sent
        assert await backend.bookmarks() == []
        with pytest.raises(AuthError):
            await backend.notifications()
        with pytest.raises(AuthError):
            await backend.reply(280, "hi", reply_to_post_number=None, key="k")
    assert site.name == "Discourse" and listing.topics and page.posts
    assert seen and all(
        not ({"user-api-key", "api-key", "api-username"} & {k.lower() for k in r.headers})
        for r in seen
    )
    assert not any(r.url.path in ("/session/current.json", "/topics/timings") for r in seen)


async def test_admin_api_key(serve: Callable[..., RunningFake]) -> None:
    async with backend_on(serve(), ADMIN) as backend:
        me = await backend.me()
        assert me is not None and me.username == "eviltrout"


async def test_a_bad_key_is_an_auth_error(serve: Callable[..., RunningFake]) -> None:
    bad = DiscourseCredentials("user_api_key", "revoked", client_id=CLIENT_ID)
    async with backend_on(serve(), bad) as backend:
        with pytest.raises(AuthError, match="not permitted"):
            await backend.me()


async def test_me_is_asked_once(serve: Callable[..., RunningFake]) -> None:
    running = serve()
    async with backend_on(running) as backend:
        first = await backend.me()
        assert first is not None and first.id == 19
        assert await backend.me() == first
    assert running.fake.requests.count("GET /session/current.json") == 1


# -- reading -----------------------------------------------------------------------------------


async def test_site_learns_plugins_from_what_it_reads(serve: Callable[..., RunningFake]) -> None:
    async with backend_on(serve()) as backend:
        before = await backend.site()
        assert before.name == "Discourse" and before.reactions == ("like",)
        assert "reactions" not in before.features
        await backend.topic(374)  # a topic of a forum with discourse-reactions
        after = await backend.site()
    assert after.reactions[0] == "like" and "laughing" in after.reactions
    assert "heart" not in after.reactions  # the main reaction is the like
    assert "reactions" in after.features


async def test_missing_posts_come_in_batches_of_twenty(serve: Callable[..., RunningFake]) -> None:
    running = serve(chunk_size=5)
    async with backend_on(running) as backend:
        page = await backend.topic(280)
        assert len(page.posts) == 5 and page.post_ids is not None
        missing = list(page.post_ids[5:])
        # 15 real ids and 30 the forum does not have (deleted, or hidden from us).
        wanted = missing + list(range(500_000, 500_030))
        posts = await backend.posts(280, wanted)
    assert [p.id for p in posts] == missing
    assert [p.post_number for p in posts] == list(range(6, 21))
    batches = [r for r in running.fake.requests if r.startswith("GET /t/280/posts.json")]
    sizes = [r.count("post_ids") for r in batches]
    assert sizes == [20, 20, 5]


async def test_a_topic_without_a_stream_is_paged_by_post_number(
    serve: Callable[..., RunningFake],
) -> None:
    running = serve(chunk_size=6, drop_stream_of=frozenset({280}))
    async with backend_on(running) as backend:
        page = await backend.topic(280)
        assert page.post_ids is None  # as Discourse answers for 10,000+ posts
        posts = list(page.posts)
        while True:
            more = await backend.posts_after(280, posts[-1].post_number, limit=4)
            if not more:
                break
            assert len(more) <= 4
            posts += more
    assert [p.post_number for p in posts] == list(range(1, 21))
    asked = [r for r in running.fake.requests if "post_number=" in r]
    assert asked and all("asc=true" in r for r in asked)


async def test_posts_after_reads_past_one_batch(serve: Callable[..., RunningFake]) -> None:
    async with backend_on(serve()) as backend:
        posts = await backend.posts_after(280, 0, limit=50)
        assert [p.post_number for p in posts] == list(range(1, 21))
        assert await backend.posts_after(280, 20) == []


async def test_list_paths() -> None:
    paths: list[str] = []
    site = fixture("site__core.json")["site"]
    listing = fixture("latest__discourse_api.json")
    listing["topic_list"]["more_topics_url"] = "/latest?no_definitions=true&page=1"

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        if request.url.path == "/site.json":
            return answer(200, site)
        return answer(200, listing)

    async with mocked(handler) as backend:
        by_slug = {c.slug: c for c in await backend.categories()}
        first = await backend.topics("latest")
        assert first.next_cursor == "/latest?no_definitions=true&page=1"
        await backend.topics("latest", cursor=first.next_cursor)
        await backend.topics("top", category=by_slug["spec"])
        await backend.topics("new", tag="how to")
        await backend.topics("latest", category=by_slug["feature"], tag="x")
        with pytest.raises(Rejected):
            await backend.topics("hot")
        with pytest.raises(Rejected):
            await backend.topics(cursor="https://evil.example/latest.json")
    assert paths[1:] == [
        "/latest.json",
        "/latest.json?no_definitions=true&page=1",  # newer Discourse leaves off the .json
        "/c/feature/spec/26/l/top.json",  # a subcategory, under its parent
        "/tag/how%20to/l/new.json",
        "/tags/c/feature/2/x/l/latest.json",
    ]


async def test_a_forum_under_a_subfolder(serve: Callable[..., RunningFake]) -> None:
    seen: list[str] = []
    listing = fixture("latest__discourse_api.json")
    listing["topic_list"]["more_topics_url"] = "/forum/latest?page=1"

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return answer(200, listing)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        backend = DiscourseBackend(f"{BASE}/forum/", http=http, budget=RequestBudget(None))
        first = await backend.topics()
        await backend.topics(cursor=first.next_cursor)
    assert seen == ["/forum/latest.json", "/forum/latest.json"]


async def test_links_reuse_the_topic_just_read(serve: Callable[..., RunningFake]) -> None:
    running = serve()
    async with backend_on(running) as backend:
        await backend.topic(280)
        links = await backend.topic_links(280)
        assert len(links) == 43
        other = await backend.topic_links(57)
    assert running.fake.requests.count("GET /t/280.json?include_raw=true") == 1
    assert {link.topic_id for link in other} == {57}


async def test_search_pages(serve: Callable[..., RunningFake]) -> None:
    running = serve()
    async with backend_on(running) as backend:
        found = await backend.search("dev")
        assert len(found.results) == 5 and found.next_offset == 50
        await backend.search("dev", offset=found.next_offset or 0)
        nothing = await backend.search("zebra")
    assert nothing.results == () and nothing.next_offset is None
    assert "GET /search.json?q=dev&page=2" in running.fake.requests


async def test_notifications_and_marking_them_read(serve: Callable[..., RunningFake]) -> None:
    running = serve()
    async with backend_on(running) as backend:
        listed = await backend.notifications()
        assert listed.unread_count == 5
        await backend.mark_notifications_read([123])
        after_one = await backend.notifications()
        assert [n.read for n in after_one.notifications] == [True, False, False, False, False]
        await backend.mark_notifications_read()
        assert (await backend.notifications()).unread_count == 0


async def test_resources_say_discourse_has_none() -> None:
    async with mocked(sequence(answer(200, {}))[0]) as backend:
        with pytest.raises(ForumError, match="no resource library"):
            await backend.resources()


# -- writing -----------------------------------------------------------------------------------


async def test_a_stale_edit_is_a_conflict_from_the_forum(serve: Callable[..., RunningFake]) -> None:
    running = serve()
    async with backend_on(running) as backend:
        made = await backend.reply(280, "first words", reply_to_post_number=3, key="k")
        read = await backend.post(made.id)
        assert read.raw == "first words" and read.reply_to_post_number == 3
        edited = await backend.edit_post(read, "second words")
        assert edited.raw == "second words" and edited.version == 2
        with pytest.raises(Conflict) as caught:
            await backend.edit_post(read, "third words")  # made from "first words"
        assert "edited by another user" in caught.value.message
    edits = [r for r in running.fake.requests if r.startswith("PUT /posts/")]
    assert len(edits) == 2  # the second was refused by the forum (409), not guessed here


async def test_a_post_held_for_approval_is_not_a_success() -> None:
    handler, _ = sequence(answer(200, fixture("post_create_enqueued__core_test.json")))
    async with mocked(handler) as backend:
        with pytest.raises(Rejected) as caught:
            await backend.reply(1, "enqueue this content please", reply_to_post_number=None, key="")
    assert caught.value.code == "pending_approval"


async def test_create_topic(serve: Callable[..., RunningFake]) -> None:
    running = serve()
    async with backend_on(running) as backend:
        start = await backend.changes(None)
        category = Category(id=2, slug="feature", name="feature")
        page = await backend.create_topic(
            title="Study group for week 3",
            raw="Who is in?",
            category=category,
            tags=["week3"],
            key="",
        )
        assert page.topic.title == "Study group for week 3" and page.topic.category_id == 2
        assert page.topic.tags == ("week3",) and page.topic.username == "eviltrout"
        assert [p.post_number for p in page.posts] == [1]
        news = await backend.changes(start.cursor)
    kinds = {(c.kind, c.topic_id) for c in news.changes}
    assert ("topic.created", page.topic.id) in kinds and ("topic.updated", page.topic.id) in kinds
    posted = [r for r in running.fake.requests if r == "POST /posts.json"]
    assert len(posted) == 1


async def test_likes_are_idempotent(serve: Callable[..., RunningFake]) -> None:
    running = serve()
    async with backend_on(running) as backend:
        liked = await backend.react(398, "like", True)
        again = await backend.react(398, "like", True)  # the forum refuses a second like
        assert liked.reactions == again.reactions
        assert any(r.name == "like" and r.reacted and r.count == 1 for r in again.reactions)
        unliked = await backend.react(398, "like", False)
        assert not any(r.reacted for r in unliked.reactions)
        assert (await backend.react(398, "like", False)).like_count == 0
        with pytest.raises(AuthError):
            mine = await backend.reply(280, "mine", reply_to_post_number=None, key="")
            await backend.react(mine.id, "like", True)  # not your own post


async def test_plugin_reactions(serve: Callable[..., RunningFake]) -> None:
    running = serve()
    async with backend_on(running) as backend:
        await backend.topic(374)
        laughing = await backend.react(1076, "laughing", True)
        assert any(r.name == "laughing" and r.reacted for r in laughing.reactions)
        toggles = sum("toggle.json" in r for r in running.fake.requests)
        same = await backend.react(1076, "laughing", True)  # already so: nothing to toggle
        assert sum("toggle.json" in r for r in running.fake.requests) == toggles
        assert same.reactions == laughing.reactions
        gone = await backend.react(1076, "laughing", False)
        assert not any(r.name == "laughing" for r in gone.reactions)
        with pytest.raises(Rejected):
            await backend.react(1076, "confetti_ball", True)  # not one of this forum's


async def test_reactions_need_the_plugin(serve: Callable[..., RunningFake]) -> None:
    async with backend_on(serve()) as backend:
        with pytest.raises(Rejected, match="no reaction"):
            await backend.react(398, "laughing", True)  # a post without `reactions`


async def test_accepted_answers(serve: Callable[..., RunningFake]) -> None:
    async with backend_on(serve()) as backend:
        await backend.set_solution(280, 419)
        solved = await backend.topic(280)
        assert solved.topic.solved and solved.topic.solution_post_number == 2
        assert [p.id for p in solved.posts if p.accepted] == [419]
        assert "solved" in (await backend.site()).features
        await backend.set_solution(280, None)
        unsolved = await backend.topic(280)
        assert not unsolved.topic.solved and not any(p.accepted for p in unsolved.posts)
        await backend.set_solution(280, None)  # nothing accepted: nothing to do


async def test_bookmarks(serve: Callable[..., RunningFake]) -> None:
    async with backend_on(serve()) as backend:
        await backend.bookmark(3651, True)
        assert (await backend.post(3651)).bookmarked
        await backend.bookmark(3651, False)
        assert not (await backend.post(3651)).bookmarked
        await backend.bookmark(3651, False)  # not bookmarked: nothing to do
        (listed,) = await backend.bookmarks()
    assert listed.topic_title == "Yelling topic title :/"


async def test_read_state(serve: Callable[..., RunningFake]) -> None:
    running = serve()
    async with backend_on(running) as backend:
        await backend.set_read(280, 12)
        page = await backend.topic(280)
    assert page.topic.last_read_post_number == 12


async def test_find_own_post(serve: Callable[..., RunningFake]) -> None:
    async with backend_on(serve()) as backend:
        assert await backend.find_own_post(280, "lost?", since_post_number=20) is None
        made = await backend.reply(280, "lost?\n", reply_to_post_number=None, key="")
        found = await backend.find_own_post(280, "lost?", since_post_number=20)
        assert found is not None and found.id == made.id
        await backend.delete_post(made.id)
        assert await backend.find_own_post(280, "lost?", since_post_number=20) is None
    async with backend_on(serve(), credentials=None) as anonymous:
        assert await anonymous.find_own_post(280, "lost?", since_post_number=0) is None


# -- staying up to date ------------------------------------------------------------------------


async def test_changes_wait_for_news_and_come_back_empty(serve: Callable[..., RunningFake]) -> None:
    running = serve(long_poll_seconds=0.2)
    async with backend_on(running) as backend:
        start = await backend.changes(None)
        quiet = await backend.changes(start.cursor, wait=5)
        assert quiet.changes == () and not quiet.reset
        assert json.loads(quiet.cursor) == json.loads(start.cursor)
        await backend.reply(299, "news", reply_to_post_number=None, key="")
        news = await backend.changes(quiet.cursor, wait=5)
    assert [(c.kind, c.topic_id, c.category_id) for c in news.changes] == [
        ("topic.updated", 299, 1)
    ]
    polls = [r for r in running.fake.requests if r.startswith("POST /message-bus/")]
    assert "dlp=t" in polls[0] and "dlp=t" not in polls[1]  # the first only asks where we are


async def test_changes_notice_a_lost_backlog(serve: Callable[..., RunningFake]) -> None:
    async with backend_on(serve()) as backend:
        ahead = json.dumps({"mode": "bus", "channels": {"/latest": 99, "/new": 0}})
        batch = await backend.changes(ahead)
        assert batch.reset  # the forum's /latest is behind us: news may have been lost
        assert json.loads(batch.cursor)["channels"]["/latest"] == 0
        assert (await backend.changes("not a cursor")).reset
        assert not (await backend.changes(batch.cursor)).reset


async def test_changes_without_message_bus_poll_the_latest_list() -> None:
    first = fixture("latest_can_create_topic__core.json")
    later = fixture("latest_can_create_topic__core.json")
    later["topic_list"]["topics"][1].update(
        highest_post_number=6, bumped_at="2020-04-29T10:00:00.000Z"
    )
    answers = iter([first, later, later])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/message-bus/"):
            return answer(404, {"errors": ["no"], "error_type": "not_found"})
        if request.url.path == "/session/current.json":
            return answer(200, fixture("session_current__core.json"))
        return answer(200, next(answers))

    async with mocked(handler) as backend:
        start = await backend.changes(None)
        assert start.changes == () and json.loads(start.cursor)["mode"] == "latest"
        batch = await backend.changes(start.cursor)
        assert [(c.kind, c.topic_id) for c in batch.changes] == [("topic.updated", 29)]
        assert (await backend.changes(batch.cursor)).changes == ()
