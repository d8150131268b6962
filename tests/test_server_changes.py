"""The change feed (/changes): cursors, paging, long polls, privacy and pruning, against a
real server process with several members writing over TCP at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.serverproc import ServerProcess, start_server

API = "/api/v1"
PAGE = 500  # the server's page size for /changes


@dataclass
class Feed:
    server: ServerProcess
    tokens: dict[str, str]

    def client(self, username: str) -> httpx.Client:
        return self.server.client(self.tokens[username])


def mint(server: ServerProcess, *names: str) -> dict[str, str]:
    with ThreadPoolExecutor(len(names)) as pool:
        return dict(zip(names, pool.map(server.token_for, names), strict=True))


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Feed]:
    server = start_server(tmp_path_factory.mktemp("changes"), unix=False)
    try:
        done = server.admin("add-category", "general", "--name", "General")
        assert done.returncode == 0, done.stderr
        yield Feed(server, mint(server, "alice", "bob", "carol"))
    finally:
        server.stop()
    assert "Traceback" not in server.log, server.log


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def last_seq(client: httpx.Client) -> int:
    body = ok(client.get(f"{API}/changes"))
    assert body["changes"] == []
    return int(body["last_seq"])


def read_feed(client: httpx.Client, since: int) -> tuple[list[dict[str, Any]], int, list[int]]:
    """Everything after `since`, page by page: (changes, final cursor, each page's size)."""
    seen: list[dict[str, Any]] = []
    sizes: list[int] = []
    while True:
        body = ok(client.get(f"{API}/changes", params={"since": since}))
        changes = body["changes"]
        sizes.append(len(changes))
        assert body["last_seq"] >= since
        if not changes:
            return seen, since, sizes
        if len(changes) == PAGE:  # a full page ends at its last row, so nothing is skipped
            assert body["last_seq"] == changes[-1]["seq"]
        else:
            assert body["last_seq"] >= changes[-1]["seq"]
        seen.extend(changes)
        since = body["last_seq"]
        assert len(sizes) < 100, "the feed never ends"


def new_topic(client: httpx.Client, title: str) -> int:
    body = {"title": title, "raw": "first post", "category": "general"}
    return int(ok(client.post(f"{API}/topics", json=body), 201)["topic"]["id"])


def test_without_since_only_the_cursor(feed: Feed) -> None:
    with feed.client("alice") as alice:
        before = last_seq(alice)
        tid = new_topic(alice, "Cursor moves")
        after = last_seq(alice)
        assert after > before
        changes, cursor, _ = read_feed(alice, before)
    assert cursor == after
    created = [c for c in changes if c["kind"] == "topic.created"]
    assert [c["topic_id"] for c in created] == [tid]
    assert created[0]["category_id"] is not None and created[0]["post_id"] is not None
    assert created[0]["created_at"].endswith("Z")


def test_parallel_writers_every_change_exactly_once(feed: Feed) -> None:
    with feed.client("carol") as carol:
        cursor = last_seq(carol)
    topics = {
        name: new_topic(feed.client(name), f"{name}'s busy topic") for name in ("alice", "bob")
    }
    acknowledged: list[int] = []
    lock = threading.Lock()

    def write(job: tuple[str, int]) -> None:
        name, worker = job
        mine: list[int] = []
        with feed.client(name) as client:
            for n in range(80):
                # Each writes in their own topic and in the other's (which notifies).
                tid = topics[name] if n % 2 else topics["bob" if name == "alice" else "alice"]
                body = {"raw": f"{name} worker {worker} post {n}"}
                mine.append(ok(client.post(f"{API}/topics/{tid}/posts", json=body), 201)["id"])
        with lock:
            acknowledged.extend(mine)

    jobs = [(name, worker) for name in ("alice", "bob") for worker in range(4)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        list(pool.map(write, jobs))
    assert len(acknowledged) == 640

    with feed.client("carol") as carol:
        changes, end, sizes = read_feed(carol, cursor)
        assert end == last_seq(carol)
    seqs = [c["seq"] for c in changes]
    assert seqs == sorted(set(seqs)), "out of order or repeated"
    assert sizes[0] == PAGE and len(sizes) >= 3  # 640 posts do not fit one page
    posts = [c["post_id"] for c in changes if c["kind"] == "post.created"]
    assert sorted(posts) == sorted(acknowledged)
    # The notifications the writers caused are alice's and bob's business, not carol's.
    assert not [c for c in changes if c["kind"].startswith("notification")]

    # Re-reading from any point in the middle delivers exactly the tail.
    middle = seqs[len(seqs) // 3]
    with feed.client("carol") as carol:
        tail, _, _ = read_feed(carol, middle)
    assert [c["seq"] for c in tail] == [s for s in seqs if s > middle]


def test_long_poll_returns_when_someone_writes(feed: Feed) -> None:
    with feed.client("bob") as bob:
        cursor = last_seq(bob)
    result: dict[str, Any] = {}

    def poll() -> None:
        with feed.client("bob") as bob:
            started = time.monotonic()
            result["body"] = ok(bob.get(f"{API}/changes", params={"since": cursor, "wait": 10}))
            result["elapsed"] = time.monotonic() - started

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.5)  # let the poll start waiting
    with feed.client("alice") as alice:
        tid = new_topic(alice, "Wake up")
    poller.join(timeout=30)
    assert not poller.is_alive()
    assert result["elapsed"] < 10, "the poll waited out its timeout instead of waking"
    kinds = [(c["kind"], c["topic_id"]) for c in result["body"]["changes"]]
    assert ("topic.created", tid) in kinds


def test_long_poll_times_out_empty(feed: Feed) -> None:
    with feed.client("bob") as bob:
        cursor = last_seq(bob)
        started = time.monotonic()
        body = ok(bob.get(f"{API}/changes", params={"since": cursor, "wait": 1}))
        elapsed = time.monotonic() - started
    assert body == {"changes": [], "last_seq": cursor}
    assert elapsed >= 0.9  # it did wait


def test_personal_changes_stay_personal(feed: Feed) -> None:
    alice, bob = feed.client("alice"), feed.client("bob")
    with alice, bob:
        tid = new_topic(bob, "Bob's question")
        cursor = last_seq(alice)
        post = ok(alice.post(f"{API}/topics/{tid}/posts", json={"raw": "alice answers"}), 201)
        ok(bob.put(f"{API}/posts/{post['id']}/bookmark"))
        ok(bob.put(f"{API}/topics/{tid}/read", json={"post_number": 2}))
        ok(bob.post(f"{API}/notifications/read", json={"all": True}))

        bob_sees = {c["kind"] for c in read_feed(bob, cursor)[0]}
        alice_sees = {c["kind"] for c in read_feed(alice, cursor)[0]}
        with feed.client("carol") as carol:
            carol_sees = {c["kind"] for c in read_feed(carol, cursor)[0]}
    personal = {"notification.created", "bookmark.changed", "read.changed", "notifications.read"}
    assert personal <= bob_sees
    assert "post.created" in bob_sees and "post.created" in alice_sees
    assert not personal & alice_sees
    assert not personal & carol_sees and "post.created" in carol_sees


@pytest.mark.parametrize(
    "params",
    [
        {"since": "0", "wait": "-1"},
        {"since": "0", "wait": "9999"},
        {"since": "0", "wait": "nan"},
        {"since": "0", "wait": "inf"},
        {"since": "0", "wait": "soon"},
        {"since": "-1"},
        {"since": "abc"},
        {"since": "99999999"},
    ],
)
def test_bad_parameters_are_400(feed: Feed, params: dict[str, str]) -> None:
    with feed.client("alice") as alice:
        response = alice.get(f"{API}/changes", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_field"


def test_anonymous_cannot_read_the_feed(feed: Feed) -> None:
    with feed.server.client() as anonymous:
        assert anonymous.get(f"{API}/changes").status_code == 401


# -- pruning ------------------------------------------------------------------------------


def test_pruned_cursor_is_410(tmp_path_factory: pytest.TempPathFactory) -> None:
    """With --keep-changes 5, housekeeping runs every 5 writes: a cursor from the start is
    gone (410 cursor_expired) while a recent one still works."""
    server = start_server(
        tmp_path_factory.mktemp("prune"), unix=False, args=("--keep-changes", "5")
    )
    try:
        done = server.admin("add-category", "general", "--name", "General")
        assert done.returncode == 0, done.stderr
        token = server.token_for("alice")
        with server.client(token) as alice:
            tid = new_topic(alice, "Prune me")
            for n in range(20):
                ok(alice.post(f"{API}/topics/{tid}/posts", json={"raw": f"post {n}"}), 201)

        with server.client(token) as alice:
            expired = alice.get(f"{API}/changes", params={"since": 1})
            assert expired.status_code == 410, expired.text
            assert expired.json()["error"]["code"] == "cursor_expired"
            assert alice.get(f"{API}/changes", params={"since": 0}).status_code == 410
            current = last_seq(alice)
            recent = ok(alice.get(f"{API}/changes", params={"since": current - 3}))
            assert [c["seq"] for c in recent["changes"]] == [current - 2, current - 1, current]
            assert ok(alice.get(f"{API}/changes", params={"since": current}))["changes"] == []
    finally:
        server.stop()
    assert "Traceback" not in server.log, server.log
