"""NativeBackend: its error mapping, request shapes, and every way of reaching a server.

Error mapping and request shapes run against `httpx.MockTransport` (each status, each
transport failure); the constructors run against real `cohort serve` processes and the
in-process embedded forum.
"""

from __future__ import annotations

import json
import os
import pwd
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serverproc import ServerProcess, start_server
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
from tui.forum.models import Category, NotificationKind, Post
from tui.forum.native import NativeBackend, login_with_password
from tui.forum.paths import embedded_db_path

BASE = "http://forum.test"

POST: dict[str, Any] = {
    "id": 7,
    "topic_id": 3,
    "post_number": 2,
    "reply_to_post_number": 1,
    "username": "ben",
    "name": "Ben",
    "raw": "hello",
    "created_at": "2024-05-01T10:00:00.000Z",
    "updated_at": "2024-05-01T10:00:00.000Z",
    "version": 4,
    "deleted": False,
    "like_count": 0,
    "reply_count": 0,
    "reactions": [],
    "accepted": False,
    "bookmarked": False,
    "can_edit": True,
}

Handler = Callable[[httpx.Request], httpx.Response]


def mocked(handler: Handler) -> NativeBackend:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return NativeBackend(http, base_url=BASE)


def answering(status: int, body: Any = None, **kwargs: Any) -> NativeBackend:
    def handler(request: httpx.Request) -> httpx.Response:
        if body is None:
            return httpx.Response(status, **kwargs)
        return httpx.Response(status, json=body, **kwargs)

    return mocked(handler)


def recording(answer: Callable[[httpx.Request], Any]) -> tuple[NativeBackend, list[httpx.Request]]:
    """A backend whose every request is kept, each answered with `answer(request)` as JSON."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer(request))

    return mocked(handler), seen


def error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


# -- statuses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, Rejected),
        (401, AuthError),
        (403, AuthError),
        (404, NotFound),
        (409, Conflict),
        (410, NotFound),
        (412, Conflict),
        (413, Rejected),
        (422, Rejected),
        (428, Rejected),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
    ],
)
async def test_each_status_becomes_its_typed_error(status: int, kind: type[ForumError]) -> None:
    backend = answering(status, error("some_code", "it went \x07wro\x9bng\u202e here"))
    with pytest.raises(kind) as caught:
        await backend.post(7)
    assert type(caught.value) is kind
    assert caught.value.status == status
    assert caught.value.code == "some_code"
    assert "it went wrong here" in caught.value.message  # sanitised, still readable


async def test_a_rejection_reads_well() -> None:
    backend = answering(400, error("missing_field", "missing field: raw"))
    with pytest.raises(Rejected) as caught:
        await backend.reply(3, "", reply_to_post_number=None, key="k")
    assert caught.value.message == "the forum refused: missing field: raw"


async def test_a_stale_edit_carries_the_current_version() -> None:
    backend = answering(412, error("stale_version", "post 7 changed", current_version=6))
    post = Post(id=7, topic_id=3, post_number=2, username="ben", created_at=datetime.now(UTC))
    with pytest.raises(Conflict) as caught:
        await backend.edit_post(post, "new words")
    assert caught.value.current_version == 6


async def test_a_conflict_without_a_version() -> None:
    backend = answering(409, error("conflict", "already", current_version="six"))
    with pytest.raises(Conflict) as caught:
        await backend.post(7)
    assert caught.value.current_version is None


async def test_an_error_without_a_json_body() -> None:
    backend = answering(502, content=b"<html>Bad Gateway\x1b]0;x\x07</html>")
    with pytest.raises(ServerError) as caught:
        await backend.categories()
    assert "HTTP 502" in caught.value.message
    assert "\x1b" not in caught.value.message and "\x07" not in caught.value.message


# -- rate limits ----------------------------------------------------------------------------


async def test_retry_after_header_wins() -> None:
    backend = answering(
        429, error("rate_limited", "slow down", retry_after=30), headers={"Retry-After": "7"}
    )
    with pytest.raises(RateLimited) as caught:
        await backend.categories()
    assert caught.value.retry_after == 7


async def test_retry_after_from_the_body_when_the_header_is_missing() -> None:
    backend = answering(429, error("rate_limited", "slow down", retry_after=3))
    with pytest.raises(RateLimited) as caught:
        await backend.categories()
    assert caught.value.retry_after == 3


async def test_a_plain_text_429_with_retry_after() -> None:
    backend = answering(
        429,
        content=b"Too Many Requests",
        headers={"Retry-After": "12", "Content-Type": "text/plain"},
    )
    with pytest.raises(RateLimited) as caught:
        await backend.categories()
    assert caught.value.retry_after == 12
    assert "Too Many Requests" in caught.value.message


async def test_a_plain_text_429_without_retry_after_still_waits() -> None:
    backend = answering(429, content=b"slow down")
    with pytest.raises(RateLimited) as caught:
        await backend.categories()
    assert caught.value.retry_after > 0


async def test_retry_after_as_an_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    backend = answering(429, content=b"", headers={"Retry-After": when})
    with pytest.raises(RateLimited) as caught:
        await backend.categories()
    assert 60 < caught.value.retry_after <= 120


# -- no answer at all -----------------------------------------------------------------------


def failing(exc_type: type[httpx.TransportError]) -> NativeBackend:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("the network went away", request=request)

    return mocked(handler)


@pytest.mark.parametrize(
    "exc_type",
    # A write that failed or timed out never got the whole request out: nothing happened.
    [
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.PoolTimeout,
        httpx.WriteTimeout,
        httpx.WriteError,
    ],
)
async def test_not_sent_is_not_ambiguous(exc_type: type[httpx.TransportError]) -> None:
    backend = failing(exc_type)
    with pytest.raises(Offline) as caught:
        await backend.reply(3, "hi", reply_to_post_number=None, key="k")
    assert caught.value.ambiguous is False
    with pytest.raises(Offline):
        await backend.categories()


@pytest.mark.parametrize(
    "exc_type",
    [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError],
)
async def test_maybe_sent_is_ambiguous_for_writes(exc_type: type[httpx.TransportError]) -> None:
    backend = failing(exc_type)
    with pytest.raises(Offline) as caught:
        await backend.reply(3, "hi", reply_to_post_number=None, key="k")
    assert caught.value.ambiguous is True
    assert "the network went away" in caught.value.message
    with pytest.raises(Offline) as read:
        await backend.topic(3)
    assert read.value.ambiguous is False  # a read can simply be repeated


# -- bad answers ----------------------------------------------------------------------------


async def test_malformed_json_is_a_server_error() -> None:
    backend = answering(200, content=b"{not json")
    with pytest.raises(ServerError):
        await backend.categories()


@pytest.mark.parametrize(
    "body",
    [
        [1, 2, 3],
        {"categories": "lots"},
        {"categories": [{"id": "one", "slug": "a", "name": "A"}]},
        {"categories": [{"slug": "a", "name": "A"}]},
    ],
)
async def test_wrong_shapes_are_server_errors(body: Any) -> None:
    backend = answering(200, body)
    with pytest.raises(ServerError) as caught:
        await backend.categories()
    assert "cannot read" in caught.value.message or "answer" in caught.value.message


async def test_a_post_without_raw_is_refused() -> None:
    backend = answering(200, {k: v for k, v in POST.items() if k != "raw"})
    with pytest.raises(ServerError):
        await backend.post(7)


async def test_a_site_that_is_not_cohort() -> None:
    backend = answering(200, {"software": "something-else", "name": "X"})
    with pytest.raises(ServerError):
        await backend.site()


# -- request shapes -------------------------------------------------------------------------


async def test_reply_sends_its_idempotency_key_and_the_same_bytes_again() -> None:
    backend, seen = recording(lambda request: POST)
    await backend.reply(3, "héllo", reply_to_post_number=1, key="key-1")
    await backend.reply(3, "héllo", reply_to_post_number=1, key="key-1")
    assert [r.headers["Idempotency-Key"] for r in seen] == ["key-1", "key-1"]
    assert seen[0].content == seen[1].content
    assert json.loads(seen[0].content) == {"raw": "héllo", "reply_to_post_number": 1}
    assert seen[0].url.path == "/api/v1/topics/3/posts" and seen[0].method == "POST"


async def test_create_topic_sends_its_key() -> None:
    view = {
        "topic": {"id": 3, "title": "T", "category_id": 2, "bumped_at": POST["created_at"]},
        "post_ids": [7],
        "posts": [POST],
    }
    backend, seen = recording(lambda request: view)
    category = Category(id=2, slug="peer-qa", name="Peer Q&A")
    page = await backend.create_topic(
        title="T", raw="body", category=category, tags=["sql"], key="key-2"
    )
    assert page.topic.id == 3 and page.post_ids == (7,)
    assert seen[0].headers["Idempotency-Key"] == "key-2"
    assert json.loads(seen[0].content) == {
        "title": "T",
        "raw": "body",
        "category": 2,
        "tags": ["sql"],
    }


async def test_edit_sends_if_match_with_the_version() -> None:
    backend, seen = recording(
        lambda request: {**POST, "version": 5 if request.method == "PATCH" else 4}
    )
    post = await backend.post(7)
    edited = await backend.edit_post(post, "new words")
    assert edited.version == 5
    assert seen[1].method == "PATCH" and seen[1].headers["If-Match"] == '"4"'
    assert json.loads(seen[1].content) == {"raw": "new words"}


async def test_posts_come_in_batches_of_at_most_100_in_order() -> None:
    def answer(request: httpx.Request) -> Any:
        ids = [int(i) for i in request.url.params["ids"].split(",")]
        # The post number is the reverse of the id, so order must come from the numbers.
        return {"posts": [{**POST, "id": i, "post_number": 1000 - i} for i in reversed(ids)]}

    backend, seen = recording(answer)
    posts = await backend.posts(3, list(range(1, 251)))
    assert [len(r.url.params["ids"].split(",")) for r in seen] == [100, 100, 50]
    assert len(posts) == 250
    numbers = [p.post_number for p in posts]
    assert numbers == sorted(numbers)
    assert await backend.posts(3, []) == [] and len(seen) == 3


async def test_posts_after_asks_by_number() -> None:
    backend, seen = recording(lambda request: {"posts": [POST]})
    await backend.posts_after(3, 20, limit=5)
    assert seen[0].url.params["after"] == "20" and seen[0].url.params["limit"] == "5"


async def test_reactions_bookmarks_solutions_and_read_state() -> None:
    topic = {"id": 3, "title": "T", "category_id": 2, "bumped_at": POST["created_at"]}
    backend, seen = recording(lambda request: POST if "/posts/" in request.url.path else topic)
    await backend.react(7, "+1", True)
    await backend.react(7, "like", False)
    await backend.bookmark(7, True)
    await backend.bookmark(7, False)
    await backend.set_solution(3, 7)
    await backend.set_solution(3, None)
    await backend.set_read(3, 12)
    calls = [(r.method, r.url.raw_path.decode()) for r in seen]
    assert calls == [
        ("PUT", "/api/v1/posts/7/reactions/%2B1"),
        ("DELETE", "/api/v1/posts/7/reactions/like"),
        ("PUT", "/api/v1/posts/7/bookmark"),
        ("DELETE", "/api/v1/posts/7/bookmark"),
        ("PUT", "/api/v1/topics/3/solution"),
        ("DELETE", "/api/v1/topics/3/solution"),
        ("PUT", "/api/v1/topics/3/read"),
    ]
    assert json.loads(seen[4].content) == {"post_id": 7}
    assert json.loads(seen[6].content) == {"post_number": 12}


async def test_mark_notifications_read() -> None:
    backend, seen = recording(lambda request: {"marked": 1, "unread_count": 0})
    await backend.mark_notifications_read([4, 5])
    await backend.mark_notifications_read(None)
    await backend.mark_notifications_read([])  # nothing to do: no request
    assert [json.loads(r.content) for r in seen] == [{"ids": [4, 5]}, {"all": True}]


async def test_notifications_map_kinds_and_reaction_names() -> None:
    base = {"created_at": POST["created_at"], "read": False, "actor": "ben", "topic_id": 3}
    body = {
        "notifications": [
            {**base, "id": 1, "kind": "reaction", "data": {"reaction": "clap\x1b"}},
            {**base, "id": 2, "kind": "badge_granted", "data": {}},
            {**base, "id": 3, "kind": "reply", "data": {}, "topic_title": "Hi \u202ethere"},
        ],
        "next_cursor": None,
        "unread_count": 3,
    }
    backend = answering(200, body)
    listed = await backend.notifications()
    kinds = [n.kind for n in listed.notifications]
    assert kinds == [NotificationKind.REACTION, NotificationKind.OTHER, NotificationKind.REPLY]
    assert listed.notifications[0].detail == "clap"
    assert listed.notifications[2].topic_title == "Hi there"
    assert listed.unread_count == 3


async def test_the_change_poll_outlasts_its_wait() -> None:
    backend, seen = recording(lambda request: {"changes": [], "last_seq": 9})
    batch = await backend.changes("9", wait=25)
    assert batch.cursor == "9" and not batch.reset
    assert seen[0].url.params["since"] == "9" and float(seen[0].url.params["wait"]) == 25
    timeout = seen[0].extensions["timeout"]
    assert timeout["read"] > 25


async def test_changes_map_and_sanitise() -> None:
    body = {
        "changes": [
            {
                "seq": 10,
                "kind": "post.created",
                "category_id": 2,
                "topic_id": 3,
                "post_id": 7,
                "data": {"post_number": 2, "note": "x\x1b[2Jy", "deep": [{"k": "\x9b"}]},
                "created_at": POST["created_at"],
            }
        ],
        "last_seq": 10,
    }
    backend = answering(200, body)
    batch = await backend.changes("9")
    (change,) = batch.changes
    assert (change.kind, change.topic_id, change.post_id, change.seq) == ("post.created", 3, 7, 10)
    assert change.data == {"post_number": 2, "note": "x[2Jy", "deep": [{"k": ""}]}
    assert batch.cursor == "10"


async def test_an_expired_cursor_resets() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "since" in request.url.params:
            return httpx.Response(410, json=error("cursor_expired", "too old"))
        return httpx.Response(200, json={"changes": [], "last_seq": 77})

    batch = await mocked(handler).changes("1")
    assert batch == type(batch)(changes=(), cursor="77", reset=True)


async def test_given_client_is_not_closed_owned_one_is() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    given = NativeBackend(http, base_url=BASE)
    await given.aclose()
    assert not http.is_closed
    await http.aclose()
    owned = NativeBackend.for_url("https://forum.example/")
    assert owned.base_url == "https://forum.example"
    await owned.aclose()
    assert owned.http.is_closed


def test_for_url_refuses_other_schemes() -> None:
    with pytest.raises(ValueError):
        NativeBackend.for_url("ftp://forum.example")


def test_it_is_a_forum_backend() -> None:
    backend = NativeBackend(httpx.AsyncClient(), base_url=BASE)
    assert isinstance(backend, ForumBackend)
    assert backend.kind == "cohort"


# -- real servers ---------------------------------------------------------------------------


def add_category(server: ServerProcess, slug: str = "general") -> None:
    done = server.admin("add-category", slug, "--name", slug.title())
    assert done.returncode == 0, done.stderr


def login_name() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


async def test_unix_socket(unix_server: ServerProcess) -> None:
    assert unix_server.socket is not None
    add_category(unix_server)
    backend = NativeBackend.for_socket(unix_server.socket)
    try:
        me = await backend.me()
        assert me is not None and me.username.startswith((login_name(), "uid"))
        (category,) = await backend.categories()
        key = str(uuid.uuid4())
        page = await backend.create_topic(
            title="Over the socket", raw="first post", category=category, tags=[], key=key
        )
        again = await backend.create_topic(
            title="Over the socket", raw="first post", category=category, tags=[], key=key
        )
        assert again.topic.id == page.topic.id
        listed = await backend.topics("latest")
        assert [t.id for t in listed.topics] == [page.topic.id]
        assert page.posts[0].username == me.username
    finally:
        await backend.aclose()
    assert backend.http.is_closed


async def test_a_socket_nobody_listens_on_is_offline(tmp_path: Path) -> None:
    backend = NativeBackend.for_socket(tmp_path / "nobody.sock")
    try:
        with pytest.raises(Offline) as caught:
            await backend.reply(1, "hi", reply_to_post_number=None, key="k")
        assert caught.value.ambiguous is False
    finally:
        await backend.aclose()


async def test_url_with_a_token(tcp_server: ServerProcess) -> None:
    add_category(tcp_server)
    token = tcp_server.token_for("alice")
    backend = NativeBackend.for_url(tcp_server.base_url, token)
    other = NativeBackend.for_url(tcp_server.base_url, tcp_server.token_for("zoe"))
    try:
        me = await backend.me()
        assert me is not None and me.username == "alice"
        (category,) = await backend.categories()
        page = await backend.create_topic(
            title="Hello", raw="first", category=category, tags=[], key=str(uuid.uuid4())
        )
        topic_id = page.topic.id
        reply = await other.reply(topic_id, "an answer", reply_to_post_number=1, key="r1")
        edited = await other.edit_post(reply, "a better answer")
        with pytest.raises(Conflict) as stale:
            await other.edit_post(reply, "from a stale copy")
        assert stale.value.current_version == edited.version
        liked = await backend.react(reply.id, "like", True)
        assert [(r.name, r.count, r.reacted) for r in liked.reactions] == [("like", 1, True)]
        with pytest.raises(AuthError):
            await other.react(reply.id, "like", True)  # one's own post
        await backend.set_solution(topic_id, reply.id)
        solved = await backend.topic(topic_id)
        assert solved.topic.solved and [p.accepted for p in solved.posts] == [False, True]
        await backend.bookmark(reply.id, True)
        (mark,) = await backend.bookmarks()
        assert mark.post.id == reply.id and mark.topic_title == "Hello"
        await backend.set_read(topic_id, 2)
        notes = await backend.notifications()
        assert {n.kind for n in notes.notifications} == {NotificationKind.REPLY}
        await backend.mark_notifications_read(None)
        assert (await backend.notifications()).unread_count == 0
        await other.delete_post(reply.id)
        assert (await backend.post(reply.id)).deleted
        with pytest.raises(NotFound):
            await backend.topic(topic_id + 1000)
    finally:
        await backend.aclose()
        await other.aclose()


async def test_find_own_post_compares_sanitised_text(tcp_server: ServerProcess) -> None:
    add_category(tcp_server)
    mine = NativeBackend.for_url(tcp_server.base_url, tcp_server.token_for("alice"))
    theirs = NativeBackend.for_url(tcp_server.base_url, tcp_server.token_for("zoe"))
    try:
        (category,) = await mine.categories()
        page = await theirs.create_topic(
            title="T", raw="first", category=category, tags=[], key="t"
        )
        text = "did it \x1b[31marrive\x1b[0m?"
        await theirs.reply(page.topic.id, text, reply_to_post_number=None, key="z")
        assert await mine.find_own_post(page.topic.id, text, since_post_number=1) is None
        posted = await mine.reply(page.topic.id, text, reply_to_post_number=None, key="a")
        found = await mine.find_own_post(page.topic.id, text, since_post_number=1)
        assert found is not None and found.id == posted.id
        assert await mine.find_own_post(page.topic.id, text, since_post_number=3) is None
    finally:
        await mine.aclose()
        await theirs.aclose()


async def test_anonymous_and_revoked(tcp_server: ServerProcess) -> None:
    anonymous = NativeBackend.for_url(tcp_server.base_url)
    wrong = NativeBackend.for_url(tcp_server.base_url, "cht_not-a-real-token")
    try:
        assert await anonymous.me() is None
        assert (await anonymous.site()).software == "cohort"
        with pytest.raises(AuthError):
            await anonymous.categories()  # this server does not allow anonymous reading
        with pytest.raises(AuthError):
            await wrong.me()
    finally:
        await anonymous.aclose()
        await wrong.aclose()


async def test_login_with_password(tcp_server: ServerProcess) -> None:
    done = tcp_server.admin("add-user", "bob", "--password-stdin", input="secret-password\n")
    assert done.returncode == 0, done.stderr
    token = await login_with_password(tcp_server.base_url + "/", "bob", "secret-password")
    backend = NativeBackend.for_url(tcp_server.base_url, token)
    try:
        me = await backend.me()
        assert me is not None and me.username == "bob"
    finally:
        await backend.aclose()
    with pytest.raises(AuthError):
        await login_with_password(tcp_server.base_url, "bob", "wrong-password")


async def test_login_to_nothing_is_offline() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Offline) as caught:
        await login_with_password(f"http://127.0.0.1:{port}", "bob", "x")
    assert caught.value.ambiguous is False


async def test_embedded(isolated_xdg: Path) -> None:
    async with NativeBackend.embedded() as backend:
        site = await backend.site()
        me = await backend.me()
        categories = await backend.categories()
        latest = await backend.topics("latest")
    assert site.software == "cohort" and backend.kind == "cohort"
    assert me is not None and me.username.startswith((login_name(), "uid"))
    assert categories and latest.topics  # seeded with the sample community on first use
    assert embedded_db_path().is_file() and embedded_db_path().is_relative_to(isolated_xdg)


async def test_embedded_at_a_path(tmp_path: Path) -> None:
    path = tmp_path / "mine" / "forum.db"
    async with NativeBackend.embedded(path) as backend:
        assert await backend.categories()
    assert path.exists()


async def test_changes_against_a_real_server(tmp_path: Path) -> None:
    server = start_server(tmp_path, unix=False, args=("--keep-changes", "5"))
    try:
        add_category(server)
        backend = NativeBackend.for_url(server.base_url, server.token_for("alice"))
        try:
            start = await backend.changes(None)
            assert start.changes == () and not start.reset
            (category,) = await backend.categories()
            page = await backend.create_topic(
                title="News", raw="first", category=category, tags=[], key="n"
            )
            batch = await backend.changes(start.cursor)
            assert any(
                c.kind == "topic.created" and c.topic_id == page.topic.id for c in batch.changes
            )
            for n in range(11):
                await backend.reply(
                    page.topic.id, f"reply {n}", reply_to_post_number=None, key=f"{n}"
                )
            current = await backend.changes(None)
            expired = await backend.changes("1")
            assert expired.reset and expired.changes == ()
            assert expired.cursor == current.cursor
            ahead = await backend.changes(str(int(current.cursor) + 1000))
            assert ahead.reset and ahead.cursor == current.cursor
            recent = await backend.changes(str(int(current.cursor) - 1))
            assert not recent.reset
            assert [(c.kind, c.topic_id) for c in recent.changes] == [
                ("post.created", page.topic.id)
            ]
        finally:
            await backend.aclose()
    finally:
        server.stop()
