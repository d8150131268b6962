"""The resource library's three orders (newest, most shared, most liked), against a real
`cohort serve` process: each order is what it says, and paging through it with a cursor
gives exactly the unpaged list, however the ties fall."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serverproc import ServerProcess, start_server

API = "/api/v1"
SORTS = ("recent", "shared", "liked")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = start_server(tmp_path, unix=False)
    try:
        done = server.admin("add-category", "links", "--name", "Links")
        assert done.returncode == 0, done.stderr
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log, server.log


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def share(client: httpx.Client, title: str, raw: str) -> int:
    """A new topic whose first post shares links; the first post's id."""
    body = {"title": title, "raw": raw, "category": "links"}
    made = ok(client.post(f"{API}/topics", json=body), 201)
    return int(made["posts"][0]["id"])


def listed(client: httpx.Client, sort: str, limit: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = ok(client.get(f"{API}/resources", params=params))
        found += page["resources"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def test_the_three_orders_and_their_pages(server: ServerProcess) -> None:
    alice, bob, carol = (server.client(server.token_for(n)) for n in ("alice", "bob", "carol"))
    try:
        a, b, c, d = (f"https://{name}.example.org/" for name in "abcd")
        first = share(alice, "Resource A", f"[A]({a}) and [D]({d})")
        share(bob, "Resource B", f"[B]({b})")
        share(bob, "B again", f"Still [B]({b})")
        liked = share(carol, "Resource C", f"[C]({c})")
        for client in (alice, bob):
            ok(client.put(f"{API}/posts/{liked}/reactions/like"))
        ok(bob.put(f"{API}/posts/{first}/reactions/like"))  # A and D share one post

        every = {sort: listed(carol, sort, 100) for sort in SORTS}
        assert {r["url"] for r in every["recent"]} == {a, b, c, d}
        # Most liked: the likes of the posts that shared it; ties newest first.
        assert [(r["url"], r["like_count"]) for r in every["liked"]] == [
            (c, 2),
            (d, 1),
            (a, 1),
            (b, 0),
        ]
        # Most shared: how often it was shared; ties newest first.
        assert [(r["url"], r["share_count"]) for r in every["shared"]] == [
            (b, 2),
            (c, 1),
            (d, 1),
            (a, 1),
        ]
        # Newest: the latest share first (B's second share came after A's and D's).
        assert [r["url"] for r in every["recent"]][:2] == [c, b]
        newest = every["recent"][0]
        assert newest["title"] == "C" and newest["first_shared_by"] == "carol"

        for sort in SORTS:  # one a page: the same list, no gap, no repeat
            assert [r["url"] for r in listed(carol, sort, 1)] == [r["url"] for r in every[sort]]

        schema = ok(carol.get(f"{API}/openapi.json"))["paths"][f"{API}/resources"]["get"]
        sort_param = next(p for p in schema["parameters"] if p["name"] == "sort")
        assert sort_param["schema"]["enum"] == list(SORTS)
    finally:
        for client in (alice, bob, carol):
            client.close()
