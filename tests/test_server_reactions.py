"""Who reacted to a post (GET /posts/{id}/reactions), against a real `cohort serve` process.

One server on a loopback port serves the module; members get bearer tokens written
straight into its database, and a restricted category shows that the list hides exactly
what GET /posts/{id} hides.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.store import accounts
from server.store.db import open_database, run_in_transaction
from tests.serverproc import ServerProcess, start_server

API = "/api/v1"
NAMES = {"alice": "Alice Adams", "bob": "Bob Brown", "carol": "Carol Chu", "dave": ""}


def _add_user(db: Path, username: str, name: str) -> str:
    conn = open_database(db)
    try:

        def work(c: sqlite3.Connection) -> str:
            user_id = accounts.add_user(c, username, name=name)
            token = "cht_" + secrets.token_urlsafe(32)
            accounts.store_token(c, user_id, token, "test")
            return token

        return run_in_transaction(conn, work)
    finally:
        conn.close()


def _admin(server: ServerProcess, *args: str) -> None:
    done = server.admin(*args)
    assert done.returncode == 0, done.stderr


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@dataclass
class Forum:
    server: ServerProcess
    clients: dict[str, httpx.Client]

    def __getitem__(self, name: str) -> httpx.Client:
        return self.clients[name]

    def topic(self, who: str, title: str, category: str = "general") -> dict[str, Any]:
        body = {"title": title, "raw": "The opening post.", "category": category}
        return ok(self[who].post(f"{API}/topics", json=body), 201)  # type: ignore[no-any-return]

    def react(self, who: str, post_id: int, name: str) -> None:
        ok(self[who].put(f"{API}/posts/{post_id}/reactions/{name}"))
        time.sleep(0.002)  # distinct timestamps, so "newest first" is well defined

    def reactors(self, who: str, post_id: int) -> httpx.Response:
        return self[who].get(f"{API}/posts/{post_id}/reactions")


@pytest.fixture(scope="module")
def forum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forum]:
    server = start_server(tmp_path_factory.mktemp("reactors"), unix=False)
    clients: dict[str, httpx.Client] = {}
    try:
        _admin(server, "add-category", "general", "--name", "General")
        for username, name in NAMES.items():
            clients[username] = server.client(_add_user(server.db, username, name))
        clients["anonymous"] = server.client()
        _admin(server, "add-group", "staff")
        _admin(server, "add-to-group", "staff", "alice", "bob")
        _admin(server, "add-category", "staff", "--name", "Staff", "--group", "staff")
        yield Forum(server, clients)
    finally:
        for client in clients.values():
            client.close()
        server.stop()
    assert "Traceback" not in server.log, server.log


def _names(answer: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(r["name"], [u["username"] for u in r["users"]]) for r in answer["reactions"]]


def test_who_reacted_newest_first_within_each_reaction(forum: Forum) -> None:
    post_id = forum.topic("alice", "Who liked this")["posts"][0]["id"]
    forum.react("bob", post_id, "like")
    forum.react("carol", post_id, "tada")
    forum.react("carol", post_id, "like")
    forum.react("dave", post_id, "like")

    answer = ok(forum.reactors("alice", post_id))
    # Reactions in the order they first appeared (as the post lists them); people newest first.
    assert _names(answer) == [("like", ["dave", "carol", "bob"]), ("tada", ["carol"])]
    post = ok(forum["alice"].get(f"{API}/posts/{post_id}"))
    assert [r["name"] for r in post["reactions"]] == [r["name"] for r in answer["reactions"]]
    assert [r["count"] for r in post["reactions"]] == [len(r["users"]) for r in answer["reactions"]]

    like = answer["reactions"][0]["users"]
    assert [u["name"] for u in like] == ["", "Carol Chu", "Bob Brown"]
    stamps = [datetime.fromisoformat(u["created_at"]) for u in like]
    assert stamps == sorted(stamps, reverse=True)
    assert stamps[0].tzinfo is not None


def test_taking_a_reaction_back_takes_the_name_off(forum: Forum) -> None:
    post_id = forum.topic("alice", "Changed my mind")["posts"][0]["id"]
    forum.react("bob", post_id, "like")
    forum.react("carol", post_id, "eyes")
    ok(forum["bob"].delete(f"{API}/posts/{post_id}/reactions/like"))
    assert _names(ok(forum.reactors("dave", post_id))) == [("eyes", ["carol"])]
    ok(forum["carol"].delete(f"{API}/posts/{post_id}/reactions/eyes"))
    assert ok(forum.reactors("dave", post_id)) == {"reactions": []}


def test_a_post_without_reactions_has_an_empty_list(forum: Forum) -> None:
    post_id = forum.topic("bob", "Nobody reacted")["posts"][0]["id"]
    assert ok(forum.reactors("alice", post_id)) == {"reactions": []}


def test_a_restricted_post_is_404_for_a_non_member(forum: Forum) -> None:
    post_id = forum.topic("alice", "Staff only", category="staff")["posts"][0]["id"]
    forum.react("bob", post_id, "like")
    assert _names(ok(forum.reactors("bob", post_id))) == [("like", ["bob"])]

    for outsider in ("carol", "dave"):
        hidden = forum.reactors(outsider, post_id)
        missing = forum.reactors(outsider, post_id + 10_000)
        assert hidden.status_code == missing.status_code == 404, hidden.text
        assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
        # Exactly what GET /posts/{id} says about the same post.
        assert forum[outsider].get(f"{API}/posts/{post_id}").status_code == 404


def test_a_deleted_post_shows_no_reactors_and_a_deleted_topic_none_at_all(forum: Forum) -> None:
    view = forum.topic("alice", "Going away")
    topic_id, first = view["topic"]["id"], view["posts"][0]["id"]
    reply = ok(
        forum["bob"].post(f"{API}/topics/{topic_id}/posts", json={"raw": "A reply to delete"}),
        201,
    )
    forum.react("carol", reply["id"], "like")
    ok(forum["bob"].delete(f"{API}/posts/{reply['id']}"))
    assert ok(forum.reactors("alice", reply["id"])) == {"reactions": []}

    forum.react("bob", first, "like")
    ok(forum["alice"].delete(f"{API}/posts/{first}"))  # deleting post 1 deletes the topic
    assert forum.reactors("bob", first).status_code == 404


def test_anonymous_readers_need_the_forum_to_allow_them(forum: Forum) -> None:
    post_id = forum.topic("alice", "Anonymous asks")["posts"][0]["id"]
    answer = forum.reactors("anonymous", post_id)
    assert answer.status_code == 401, answer.text
