"""Helpers for the tests of the community API (groups, events, people, messages): a real
server over TCP with members who hold bearer tokens."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from server.store import accounts
from server.store.db import open_database, run_in_transaction
from tests.serverproc import ServerProcess, start_server

API = "/api/v1"


def add_user(db: Path, username: str, *, moderator: bool = False, name: str = "") -> str:
    """A user and a bearer token, written straight into the database (no CLI start)."""
    conn = open_database(db)
    try:

        def work(c: sqlite3.Connection) -> str:
            user_id = accounts.add_user(c, username, name=name, moderator=moderator)
            token = "cht_" + secrets.token_urlsafe(32)
            accounts.store_token(c, user_id, token, "test")
            return token

        return run_in_transaction(conn, work)
    finally:
        conn.close()


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]  # type: ignore[no-any-return]


def admin_ok(server: ServerProcess, *args: str) -> str:
    done = server.admin(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Forum:
    server: ServerProcess
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def __getitem__(self, name: str) -> httpx.Client:
        return self.clients[name]

    def add(self, name: str, *, moderator: bool = False) -> httpx.Client:
        client = self.server.client(add_user(self.server.db, name, moderator=moderator))
        self.clients[name] = client
        return client

    def topic(self, who: str, title: str, category: str, raw: str = "The opening post.") -> Any:
        body = {"title": title, "raw": raw, "category": category}
        return ok(self[who].post(f"{API}/topics", json=body), 201)

    def reply(self, who: str, topic_id: int, raw: str) -> Any:
        return ok(self[who].post(f"{API}/topics/{topic_id}/posts", json={"raw": raw}), 201)

    def group(self, who: str, slug: str, **fields: Any) -> Any:
        body = {"slug": slug, "name": fields.pop("name", slug.title()), **fields}
        return ok(self[who].post(f"{API}/groups", json=body), 201)

    def last_seq(self, who: str) -> int:
        return int(ok(self[who].get(f"{API}/changes"))["last_seq"])

    def changes(self, who: str, since: int) -> list[dict[str, Any]]:
        return ok(self[who].get(f"{API}/changes", params={"since": since}))["changes"]  # type: ignore[no-any-return]


@contextmanager
def running_forum(
    tmp: Path, members: tuple[str, ...], moderators: tuple[str, ...] = ("mod",), **kwargs: Any
) -> Iterator[Forum]:
    """A server with a public category `general` and the given members and moderators."""
    server = start_server(tmp, unix=False, **kwargs)
    forum = Forum(server)
    try:
        admin_ok(server, "add-category", "general", "--name", "General")
        for name in members:
            forum.add(name)
        for name in moderators:
            forum.add(name, moderator=True)
        yield forum
    finally:
        for client in forum.clients.values():
            client.close()
        server.stop()
