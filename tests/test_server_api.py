"""The forum API end to end, against a real `cohort serve` process on a loopback port.

One server serves the whole module (tests use their own topics, or their own category
when they count things), with members alice, bob and carol and a moderator, each with a
bearer token, so every multi-user scenario runs exactly as it would over the network.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.serverproc import ServerProcess, start_server

API = "/api/v1"
USERS = ("alice", "bob", "carol")
CATEGORIES = ("general", "python", "paging", "unread", "tagged", "links")


@dataclass
class Forum:
    server: ServerProcess
    tokens: dict[str, str]
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def __getitem__(self, username: str) -> httpx.Client:
        if username not in self.clients:
            self.clients[username] = self.server.client(self.tokens[username])
        return self.clients[username]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def add_category(server: ServerProcess, slug: str) -> None:
    done = server.admin("add-category", slug, "--name", slug.title())
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def forum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forum]:
    server = start_server(tmp_path_factory.mktemp("api"), unix=False)
    forum = Forum(server, {})
    try:
        with ThreadPoolExecutor(4) as pool:  # admin commands are safe to run side by side
            made = [pool.submit(add_category, server, slug) for slug in CATEGORIES]
            minted = pool.map(
                lambda name: (name, server.token_for(name, moderator=name == "mod")),
                (*USERS, "mod"),
            )
            forum.tokens.update(minted)
            for future in made:
                future.result()
        yield forum
    finally:
        forum.close()
        server.stop()
    assert "Traceback" not in server.log, server.log


# -- helpers ------------------------------------------------------------------------------


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["code"] == code, body
    return dict(body)


def new_topic(
    client: httpx.Client,
    title: str = "A topic",
    raw: str = "The first post.",
    category: str | int = "general",
    tags: list[str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"title": title, "raw": raw, "category": category}
    if tags is not None:
        body["tags"] = tags
    return dict(ok(client.post(f"{API}/topics", json=body), 201))


def reply(client: httpx.Client, topic_id: int, raw: str, to: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"raw": raw}
    if to is not None:
        body["reply_to_post_number"] = to
    return dict(ok(client.post(f"{API}/topics/{topic_id}/posts", json=body), 201))


def topic(client: httpx.Client, topic_id: int) -> dict[str, Any]:
    return dict(ok(client.get(f"{API}/topics/{topic_id}"))["topic"])


def list_all(client: httpx.Client, **params: Any) -> tuple[list[int], int]:
    """Every topic id of a list, following cursors; also the number of pages."""
    ids: list[int] = []
    pages = 0
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = ok(client.get(f"{API}/topics", params=query))
        pages += 1
        ids.extend(t["id"] for t in page["topics"])
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, pages
        assert pages < 50, "the cursor never ends"


def notifications_for(client: httpx.Client, topic_id: int) -> list[dict[str, Any]]:
    found = ok(client.get(f"{API}/notifications", params={"limit": 100}))["notifications"]
    return [n for n in found if n["topic_id"] == topic_id]


def mark_all_read(client: httpx.Client) -> None:
    assert ok(client.post(f"{API}/notifications/read", json={"all": True}))["unread_count"] == 0


# -- topics and posts ---------------------------------------------------------------------


def test_create_view_and_reply(forum: Forum) -> None:
    created = new_topic(
        forum["alice"],
        "How do closures work?",
        "Explain closures, please.",
        category="python",
        tags=["closures", "beginner"],
    )
    t = created["topic"]
    assert t["title"] == "How do closures work?"
    assert t["category_slug"] == "python" and t["username"] == "alice"
    assert t["tags"] == ["beginner", "closures"]
    assert t["posts_count"] == 1 and t["reply_count"] == 0 and t["highest_post_number"] == 1
    assert [p["post_number"] for p in created["posts"]] == [1]
    assert created["posts"][0]["raw"] == "Explain closures, please."
    assert created["posts"][0]["can_edit"] is True

    tid = t["id"]
    second = reply(forum["bob"], tid, "A closure keeps its variables.")
    third = reply(forum["carol"], tid, "Good answer, bob.", to=2)
    assert (second["post_number"], second["reply_to_post_number"]) == (2, None)
    assert (third["post_number"], third["reply_to_post_number"]) == (3, 2)
    assert third["username"] == "carol" and third["topic_id"] == tid

    view = ok(forum["bob"].get(f"{API}/topics/{tid}"))
    assert view["post_ids"] == [created["posts"][0]["id"], second["id"], third["id"]]
    assert [p["post_number"] for p in view["posts"]] == [1, 2, 3]
    assert [p["username"] for p in view["posts"]] == ["alice", "bob", "carol"]
    assert view["posts"][1]["reply_count"] == 1  # carol answered post 2
    assert [p["can_edit"] for p in view["posts"]] == [False, True, False]
    t = view["topic"]
    assert (t["posts_count"], t["reply_count"], t["highest_post_number"]) == (3, 2, 3)
    assert t["last_poster"] == "carol"

    err = error(
        forum["bob"].post(
            f"{API}/topics/{tid}/posts", json={"raw": "to nowhere", "reply_to_post_number": 9}
        ),
        400,
    )
    assert "reply_to_post_number" in err["message"]
    error(forum["bob"].get(f"{API}/topics/{tid + 1000}"), 404, "not_found")


def test_long_topic_first_chunk_and_paging(forum: Forum) -> None:
    created = new_topic(forum["alice"], "A long thread", "post 1")
    tid = created["topic"]["id"]
    ids = [created["posts"][0]["id"]]
    for n in range(2, 46):
        ids.append(reply(forum["bob" if n % 2 else "carol"], tid, f"post {n}")["id"])

    view = ok(forum["alice"].get(f"{API}/topics/{tid}"))
    assert view["post_ids"] == ids
    assert view["chunk_size"] == 20
    assert [p["post_number"] for p in view["posts"]] == list(range(1, 21))
    assert [p["raw"] for p in view["posts"]] == [f"post {n}" for n in range(1, 21)]
    assert view["topic"]["posts_count"] == 45

    wanted = [ids[44], ids[30], ids[22]]
    by_ids = ok(
        forum["alice"].get(f"{API}/topics/{tid}/posts", params={"ids": ",".join(map(str, wanted))})
    )["posts"]
    assert [p["post_number"] for p in by_ids] == [23, 31, 45]  # in topic order
    after = ok(forum["alice"].get(f"{API}/topics/{tid}/posts", params={"after": 20, "limit": 10}))
    assert [p["post_number"] for p in after["posts"]] == list(range(21, 31))
    rest = ok(forum["alice"].get(f"{API}/topics/{tid}/posts", params={"after": 40}))
    assert [p["id"] for p in rest["posts"]] == ids[40:]
    # A post id from another topic is not served through this topic.
    other = new_topic(forum["alice"], "Elsewhere")["posts"][0]["id"]
    stray = ok(forum["alice"].get(f"{API}/topics/{tid}/posts", params={"ids": str(other)}))
    assert stray["posts"] == []


# -- topic lists --------------------------------------------------------------------------


def test_topic_lists_page_without_gaps_or_duplicates(forum: Forum) -> None:
    alice, bob = forum["alice"], forum["bob"]
    made = [
        new_topic(alice, f"Paging topic {i}", category="paging")["topic"]["id"] for i in range(35)
    ]
    newest_first = list(reversed(made))

    # new: newest first, only topics bob has never opened.
    ids, pages = list_all(bob, filter="new", category="paging", limit=10)
    assert ids == newest_first and pages == 4

    # latest: by last activity; a reply bumps a topic to the top.
    reply(bob, made[10], "bump")
    ids, pages = list_all(bob, filter="latest", category="paging", limit=10)
    assert ids == [made[10]] + [i for i in newest_first if i != made[10]]
    assert pages == 4

    # A pinned topic stays above every bumped one.
    ok(forum["mod"].patch(f"{API}/topics/{made[3]}", json={"pinned": True}))
    ids, _ = list_all(bob, filter="latest", category="paging", limit=10)
    assert ids[:2] == [made[3], made[10]]
    assert sorted(ids) == sorted(made) and len(ids) == 35

    # top: likes count twice, then posts; ties by id, newest first.
    first_post = ok(alice.get(f"{API}/topics/{made[7]}"))["posts"][0]["id"]
    ok(bob.put(f"{API}/posts/{first_post}/reactions/like"))
    reply(bob, made[20], "another")
    reply(bob, made[20], "and another")
    score = {tid: 1 for tid in made}
    score[made[7]] = 1 + 2
    score[made[10]] = 2
    score[made[20]] = 3
    expected = sorted(made, key=lambda tid: (score[tid], tid), reverse=True)
    ids, pages = list_all(bob, filter="top", category="paging", limit=10)
    assert ids == expected and pages == 4

    # Pages are disjoint and each page has exactly `limit` topics until the last.
    page = ok(bob.get(f"{API}/topics", params={"category": "paging", "limit": 10}))
    assert len(page["topics"]) == 10 and page["next_cursor"]
    second = ok(
        bob.get(
            f"{API}/topics",
            params={"category": "paging", "limit": 10, "cursor": page["next_cursor"]},
        )
    )
    assert not {t["id"] for t in page["topics"]} & {t["id"] for t in second["topics"]}


def test_unread_list_pages_by_latest_activity(forum: Forum) -> None:
    alice, bob = forum["alice"], forum["bob"]
    made = [new_topic(alice, f"Unread {i}", category="unread")["topic"]["id"] for i in range(15)]
    followed = made[:12]  # bob opens these; the last three he never opens
    for tid in followed:
        ok(bob.put(f"{API}/topics/{tid}/read", json={"post_number": 1}))
    assert list_all(bob, filter="unread", category="unread")[0] == []

    order = [followed[i] for i in (5, 0, 11, 3, 8, 1, 10, 2, 7, 4, 9, 6)]
    for tid in order:
        reply(alice, tid, "news")
    ids, pages = list_all(bob, filter="unread", category="unread", limit=5)
    assert ids == list(reversed(order)) and pages == 3
    topics = ok(bob.get(f"{API}/topics", params={"filter": "unread", "category": "unread"}))
    assert all(t["unread_count"] == 1 for t in topics["topics"])

    ok(bob.put(f"{API}/topics/{order[-1]}/read", json={"post_number": 2}))
    ids, _ = list_all(bob, filter="unread", category="unread", limit=5)
    assert ids == list(reversed(order[:-1]))
    # alice's own list is untouched by bob's reading.
    assert list_all(alice, filter="unread", category="unread")[0] == []


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),  # wrong length for latest
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        base64.urlsafe_b64encode(b'[0, "x", 1]').decode(),
        base64.urlsafe_b64encode(b"[0, 1.5, 99999999999999999999999]").decode(),
    ],
)
def test_bad_cursor_is_400(forum: Forum, cursor: str) -> None:
    error(forum["bob"].get(f"{API}/topics", params={"cursor": cursor}), 400, "invalid_cursor")


def test_bad_filter_is_400(forum: Forum) -> None:
    error(forum["bob"].get(f"{API}/topics", params={"filter": "hot"}), 400, "invalid_field")


def test_category_and_tag_filters(forum: Forum) -> None:
    alice = forum["alice"]
    a = new_topic(alice, "Tagged one", category="tagged", tags=["alpha"])["topic"]
    b = new_topic(alice, "Tagged two", category="tagged", tags=["alpha", "beta"])["topic"]
    c = new_topic(alice, "Elsewhere but alpha", category="general", tags=["alpha"])["topic"]

    by_slug, _ = list_all(alice, category="tagged")
    by_id, _ = list_all(alice, category=a["category_id"])
    assert by_slug == by_id == [b["id"], a["id"]]
    beta, _ = list_all(alice, tag="beta")
    assert beta == [b["id"]]
    alpha, _ = list_all(alice, tag="alpha")
    assert alpha == [c["id"], b["id"], a["id"]]
    both, _ = list_all(alice, tag="alpha", category="general")
    assert both == [c["id"]]
    none, _ = list_all(alice, tag="no-such-tag")
    assert none == []
    error(alice.get(f"{API}/topics", params={"category": "no-such-category"}), 404)


# -- read state ---------------------------------------------------------------------------


def test_read_state_moves_only_forward(forum: Forum) -> None:
    alice, bob = forum["alice"], forum["bob"]
    tid = new_topic(alice, "Reading matters")["topic"]["id"]
    reply(alice, tid, "second")
    reply(alice, tid, "third")

    t = topic(bob, tid)
    assert (t["last_read_post_number"], t["unread_count"], t["seen"]) == (None, 3, False)
    unread, _ = list_all(bob, filter="unread", limit=100)
    assert tid not in unread  # never opened: it is "new", not "unread"
    new, _ = list_all(bob, filter="new", limit=100)
    assert tid in new

    assert ok(bob.put(f"{API}/topics/{tid}/read", json={"post_number": 2})) == {
        "topic_id": tid,
        "last_read_post_number": 2,
    }
    t = topic(bob, tid)
    assert (t["last_read_post_number"], t["unread_count"], t["seen"]) == (2, 1, True)
    unread, _ = list_all(bob, filter="unread", limit=100)
    new, _ = list_all(bob, filter="new", limit=100)
    assert tid in unread and tid not in new

    # Reading an earlier post (another device, an old tab) never moves the marker back.
    assert (
        ok(bob.put(f"{API}/topics/{tid}/read", json={"post_number": 1}))["last_read_post_number"]
        == 2
    )
    assert topic(bob, tid)["last_read_post_number"] == 2

    # Past the end is clamped to the last post.
    assert (
        ok(bob.put(f"{API}/topics/{tid}/read", json={"post_number": 99}))["last_read_post_number"]
        == 3
    )
    t = topic(bob, tid)
    assert (t["last_read_post_number"], t["unread_count"]) == (3, 0)
    unread, _ = list_all(bob, filter="unread", limit=100)
    assert tid not in unread

    # A new reply makes it unread again, for bob only.
    reply(alice, tid, "fourth")
    assert topic(bob, tid)["unread_count"] == 1
    unread, _ = list_all(bob, filter="unread", limit=100)
    assert tid in unread
    assert topic(forum["carol"], tid)["last_read_post_number"] is None
    error(bob.put(f"{API}/topics/{tid}/read", json={"post_number": -1}), 400)


# -- reactions, bookmarks, solutions ------------------------------------------------------


def test_reactions(forum: Forum) -> None:
    alice, bob, carol = forum["alice"], forum["bob"], forum["carol"]
    created = new_topic(alice, "React to me")
    tid, pid = created["topic"]["id"], created["posts"][0]["id"]

    first = ok(bob.put(f"{API}/posts/{pid}/reactions/like"))
    again = ok(bob.put(f"{API}/posts/{pid}/reactions/like"))
    assert first["like_count"] == again["like_count"] == 1
    assert again["reactions"] == [{"name": "like", "count": 1, "reacted": True}]
    seen_by_carol = ok(carol.get(f"{API}/posts/{pid}"))
    assert seen_by_carol["reactions"] == [{"name": "like", "count": 1, "reacted": False}]

    ok(carol.put(f"{API}/posts/{pid}/reactions/like"))
    post = ok(carol.put(f"{API}/posts/{pid}/reactions/tada"))
    assert post["like_count"] == 2  # only "like" counts as a like
    assert post["reactions"] == [
        {"name": "like", "count": 2, "reacted": True},
        {"name": "tada", "count": 1, "reacted": True},
    ]
    assert topic(alice, tid)["like_count"] == 2

    after = ok(bob.delete(f"{API}/posts/{pid}/reactions/like"))
    assert after["like_count"] == 1
    assert {"name": "like", "count": 1, "reacted": False} in after["reactions"]
    assert ok(bob.delete(f"{API}/posts/{pid}/reactions/like"))["like_count"] == 1
    assert topic(alice, tid)["like_count"] == 1

    error(bob.put(f"{API}/posts/{pid}/reactions/heart-eyes"), 404, "unknown_reaction")
    error(alice.put(f"{API}/posts/{pid}/reactions/like"), 403, "forbidden")
    error(bob.put(f"{API}/posts/{pid + 100000}/reactions/like"), 404)
    assert ok(alice.get(f"{API}/posts/{pid}"))["like_count"] == 1


def test_bookmarks(forum: Forum) -> None:
    alice, bob, carol = forum["alice"], forum["bob"], forum["carol"]
    created = new_topic(alice, "Worth keeping")
    pid = reply(alice, created["topic"]["id"], "keep this one")["id"]

    assert ok(bob.put(f"{API}/posts/{pid}/bookmark")) == {"post_id": pid, "bookmarked": True}
    ok(bob.put(f"{API}/posts/{pid}/bookmark"))  # twice is still one bookmark
    assert ok(bob.get(f"{API}/posts/{pid}"))["bookmarked"] is True
    assert ok(carol.get(f"{API}/posts/{pid}"))["bookmarked"] is False
    marks = ok(bob.get(f"{API}/bookmarks"))["bookmarks"]
    assert [m["id"] for m in marks].count(pid) == 1
    mark = next(m for m in marks if m["id"] == pid)
    assert mark["topic_title"] == "Worth keeping" and mark["raw"] == "keep this one"
    assert pid not in [m["id"] for m in ok(carol.get(f"{API}/bookmarks"))["bookmarks"]]

    assert ok(bob.delete(f"{API}/posts/{pid}/bookmark"))["bookmarked"] is False
    assert pid not in [m["id"] for m in ok(bob.get(f"{API}/bookmarks"))["bookmarks"]]
    assert ok(bob.get(f"{API}/posts/{pid}"))["bookmarked"] is False


def test_accepted_answer(forum: Forum) -> None:
    alice, bob = forum["alice"], forum["bob"]
    tid = new_topic(alice, "Why is my xylophonic loop slow?", "xylophonic question")["topic"]["id"]
    answer = reply(bob, tid, "xylophonic answer: use a set")
    reply(bob, tid, "another thought")
    search = {"q": "xylophonic status:solved"}
    assert ok(alice.get(f"{API}/search", params=search))["results"] == []

    error(bob.put(f"{API}/topics/{tid}/solution", json={"post_number": 2}), 403)
    error(alice.put(f"{API}/topics/{tid}/solution", json={"post_number": 1}), 400)
    error(alice.put(f"{API}/topics/{tid}/solution", json={}), 400, "missing_field")

    t = ok(alice.put(f"{API}/topics/{tid}/solution", json={"post_number": 2}))
    assert (t["solved"], t["solution_post_number"]) == (True, 2)
    view = ok(bob.get(f"{API}/topics/{tid}"))
    assert view["topic"]["solved"] is True
    assert [p["accepted"] for p in view["posts"]] == [False, True, False]
    found = ok(alice.get(f"{API}/search", params=search))["results"]
    assert {r["post_id"] for r in found} == {view["post_ids"][0], answer["id"]}
    assert all(r["solved"] for r in found)
    assert [r["accepted"] for r in found if r["post_id"] == answer["id"]] == [True]

    # By post id works too; and unaccepting makes it unsolved again.
    third = view["post_ids"][2]
    t = ok(alice.put(f"{API}/topics/{tid}/solution", json={"post_id": third}))
    assert t["solution_post_number"] == 3
    t = ok(alice.delete(f"{API}/topics/{tid}/solution"))
    assert (t["solved"], t["solution_post_number"]) == (False, None)
    assert ok(alice.get(f"{API}/search", params=search))["results"] == []
    unsolved = ok(alice.get(f"{API}/search", params={"q": "xylophonic status:unsolved"}))
    assert len(unsolved["results"]) == 2


# -- notifications ------------------------------------------------------------------------


def test_notifications_reach_the_right_people(forum: Forum) -> None:
    alice, bob, carol = forum["alice"], forum["bob"], forum["carol"]
    for client in (alice, bob, carol):
        mark_all_read(client)
    tid = new_topic(alice, "Notify me", "the question")["topic"]["id"]

    bob_post = reply(bob, tid, "a plain reply")
    carol_post = reply(carol, tid, "I think @bob has it")  # mention bob; a reply to alice
    quote = reply(bob, tid, f'[quote="carol, post:3, topic:{tid}"]\nI think\n[/quote]\nright')
    ok(carol.put(f"{API}/posts/{bob_post['id']}/reactions/clap"))
    ok(alice.put(f"{API}/topics/{tid}/solution", json={"post_id": bob_post["id"]}))

    def kinds(client: httpx.Client) -> list[tuple[str, str, int]]:
        return sorted(
            (n["kind"], n["actor"], n["post_number"]) for n in notifications_for(client, tid)
        )

    assert kinds(alice) == [("reply", "bob", 2), ("reply", "bob", 4), ("reply", "carol", 3)]
    assert kinds(bob) == [("mention", "carol", 3), ("reaction", "carol", 2), ("solved", "alice", 2)]
    assert kinds(carol) == [("quoted", "bob", 4)]
    reaction = next(n for n in notifications_for(bob, tid) if n["kind"] == "reaction")
    assert reaction["data"] == {"reaction": "clap"}
    assert reaction["topic_title"] == "Notify me" and reaction["post_id"] == bob_post["id"]
    assert carol_post["post_number"] == 3 and quote["post_number"] == 4

    listed = ok(bob.get(f"{API}/notifications"))
    assert listed["unread_count"] == 3
    assert ok(bob.get(f"{API}/me"))["unread_notifications"] == 3
    only_unread = ok(bob.get(f"{API}/notifications", params={"unread": 1}))["notifications"]
    assert len(only_unread) == 3 and not any(n["read"] for n in only_unread)

    one = notifications_for(bob, tid)[0]
    marked = ok(bob.post(f"{API}/notifications/read", json={"ids": [one["id"]]}))
    assert marked == {"marked": 1, "unread_count": 2}
    again = {n["id"]: n["read"] for n in notifications_for(bob, tid)}
    assert again[one["id"]] is True and list(again.values()).count(False) == 2
    # Someone else's notification ids mark nothing.
    alice_ids = [n["id"] for n in notifications_for(alice, tid)]
    assert ok(bob.post(f"{API}/notifications/read", json={"ids": alice_ids}))["marked"] == 0
    assert ok(alice.get(f"{API}/notifications"))["unread_count"] == 3

    assert ok(bob.post(f"{API}/notifications/read", json={"all": True}))["unread_count"] == 0
    assert all(n["read"] for n in notifications_for(bob, tid))
    assert ok(bob.get(f"{API}/notifications", params={"unread": 1}))["notifications"] == []
    error(bob.post(f"{API}/notifications/read", json={}), 400, "missing_field")


def test_notification_list_pages(forum: Forum) -> None:
    alice, bob = forum["alice"], forum["bob"]
    tid = new_topic(alice, "Many replies for alice")["topic"]["id"]
    for n in range(7):
        reply(bob, tid, f"reply {n}")
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = ok(alice.get(f"{API}/notifications", params=params))
        seen.extend(n["id"] for n in page["notifications"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(set(seen), reverse=True)  # newest first, no repeats
    mine = [n["id"] for n in notifications_for(alice, tid)]
    assert len(mine) == 7 and set(mine) <= set(seen)


# -- links and resources ------------------------------------------------------------------

LINKED_POST = """Read [the tutorial](https://docs.example.org/tutorial) first.

Then see https://blog.example.net/post-1 and <https://auto.example.com/x>.

```
https://in-fence.example.com/never
```

Also `https://in-code.example.com/never` is code.

    https://indented.example.com/never
"""


def test_links_are_extracted_from_markdown(forum: Forum) -> None:
    alice = forum["alice"]
    created = new_topic(alice, "Link collection", LINKED_POST, category="links")
    tid = created["topic"]["id"]
    links = ok(alice.get(f"{API}/topics/{tid}/links"))["links"]
    assert [(link["url"], link["title"]) for link in links] == [
        ("https://docs.example.org/tutorial", "the tutorial"),
        ("https://blog.example.net/post-1", None),
        ("https://auto.example.com/x", None),
    ]
    assert all(link["post_number"] == 1 and link["username"] == "alice" for link in links)
    assert all(link["share_count"] == 1 for link in links)


def test_resources_aggregate_shares_and_follow_edits(forum: Forum) -> None:
    alice, bob, carol = forum["alice"], forum["bob"], forum["carol"]
    url = "https://shared.example.org/guide"
    first = new_topic(alice, "Guide one", f"See [the guide]({url}).", category="links")
    second = new_topic(bob, "Guide two", f"Also {url} is good", category="links")
    t1, t2 = first["topic"]["id"], second["topic"]["id"]

    found = ok(carol.get(f"{API}/resources", params={"q": "shared.example.org"}))["resources"]
    assert [r["url"] for r in found] == [url]
    res = found[0]
    assert (res["share_count"], res["topic_count"]) == (2, 2)
    assert res["first_shared_by"] == "alice" and res["title"] == "the guide"
    assert [(s["username"], s["topic_id"]) for s in res["shares"]] == [("alice", t1), ("bob", t2)]
    assert [link["share_count"] for link in ok(carol.get(f"{API}/topics/{t1}/links"))["links"]] == [
        2
    ]

    # A third share in a reply makes it the most shared resource.
    extra = reply(carol, t1, f"+1 for {url}")
    top = ok(carol.get(f"{API}/resources", params={"sort": "shared"}))["resources"][0]
    assert (top["url"], top["share_count"], top["topic_count"]) == (url, 3, 2)
    by_category = ok(carol.get(f"{API}/resources", params={"category": "general"}))
    assert url not in [r["url"] for r in by_category["resources"]]
    assert ok(carol.get(f"{API}/resources", params={"q": "nothing-like-this"}))["resources"] == []

    # Editing a post replaces its links; deleting one removes them.
    post = ok(bob.get(f"{API}/posts/{second['posts'][0]['id']}"))
    edited = bob.patch(
        f"{API}/posts/{post['id']}",
        json={"raw": "Moved: https://new.example.org/place"},
        headers={"If-Match": str(post["version"])},
    )
    ok(edited)
    assert [link["url"] for link in ok(bob.get(f"{API}/topics/{t2}/links"))["links"]] == [
        "https://new.example.org/place"
    ]
    res = ok(carol.get(f"{API}/resources", params={"q": "shared.example.org"}))["resources"][0]
    assert res["share_count"] == 2 and res["topic_count"] == 1
    ok(carol.delete(f"{API}/posts/{extra['id']}"))
    res = ok(carol.get(f"{API}/resources", params={"q": "shared.example.org"}))["resources"][0]
    assert res["share_count"] == 1
    assert [link["url"] for link in ok(carol.get(f"{API}/topics/{t1}/links"))["links"]] == [url]
    error(carol.get(f"{API}/resources", params={"sort": "weird"}), 400)


# -- idempotency --------------------------------------------------------------------------


def test_idempotent_reply(forum: Forum) -> None:
    alice = forum["alice"]
    tid = new_topic(alice, "Retries")["topic"]["id"]
    key = {"Idempotency-Key": "reply-1"}
    first = alice.post(f"{API}/topics/{tid}/posts", json={"raw": "only once"}, headers=key)
    second = alice.post(f"{API}/topics/{tid}/posts", json={"raw": "only once"}, headers=key)
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
    view = ok(alice.get(f"{API}/topics/{tid}"))
    assert [p["raw"] for p in view["posts"]] == ["The first post.", "only once"]

    clash = alice.post(f"{API}/topics/{tid}/posts", json={"raw": "something else"}, headers=key)
    error(clash, 422, "idempotency_key_reused")
    # Keys belong to one user: bob may use the same one for his own post.
    bob_post = forum["bob"].post(
        f"{API}/topics/{tid}/posts", json={"raw": "only once"}, headers=key
    )
    assert bob_post.status_code == 201 and "Idempotent-Replayed" not in bob_post.headers
    assert len(ok(alice.get(f"{API}/topics/{tid}"))["post_ids"]) == 3


def test_idempotent_topic_creation(forum: Forum) -> None:
    alice = forum["alice"]
    body = {"title": "Created once", "raw": "body", "category": "general"}
    key = {"Idempotency-Key": "topic-1"}
    first = ok(alice.post(f"{API}/topics", json=body, headers=key), 201)
    second = alice.post(f"{API}/topics", json=body, headers=key)
    assert second.status_code == 201 and second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["topic"]["id"] == first["topic"]["id"]
    titles = [t["title"] for t in ok(alice.get(f"{API}/topics", params={"limit": 100}))["topics"]]
    assert titles.count("Created once") == 1


def test_concurrent_retries_create_one_post(forum: Forum) -> None:
    alice = forum["alice"]
    tid = new_topic(alice, "Concurrent retries")["topic"]["id"]
    barrier = threading.Barrier(8)

    def attempt(_: int) -> tuple[int, int, bool]:
        with forum.server.client(forum.tokens["alice"]) as client:
            barrier.wait()
            response = client.post(
                f"{API}/topics/{tid}/posts",
                json={"raw": "exactly one"},
                headers={"Idempotency-Key": "race"},
            )
        return (
            response.status_code,
            response.json()["id"],
            response.headers.get("Idempotent-Replayed") == "true",
        )

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert {status for status, _, _ in results} == {201}
    assert len({post_id for _, post_id, _ in results}) == 1
    assert sum(not replayed for _, _, replayed in results) == 1
    raws = [p["raw"] for p in ok(alice.get(f"{API}/topics/{tid}"))["posts"]]
    assert raws.count("exactly one") == 1 and len(raws) == 2


def test_idempotency_key_must_be_reasonable(forum: Forum) -> None:
    alice = forum["alice"]
    tid = new_topic(alice, "Keys")["topic"]["id"]
    long_key = {"Idempotency-Key": "k" * 201}
    error(
        alice.post(f"{API}/topics/{tid}/posts", json={"raw": "x"}, headers=long_key),
        400,
        "invalid_header",
    )


# -- edits --------------------------------------------------------------------------------


def test_edits_need_the_current_version(forum: Forum) -> None:
    alice, bob = forum["alice"], forum["bob"]
    pid = new_topic(alice, "Editable", "version one")["posts"][0]["id"]
    got = alice.get(f"{API}/posts/{pid}")
    assert got.headers["ETag"] == '"1"' and got.json()["version"] == 1

    edited = alice.patch(
        f"{API}/posts/{pid}", json={"raw": "version two"}, headers={"If-Match": '"1"'}
    )
    body = ok(edited)
    assert (body["raw"], body["version"]) == ("version two", 2)
    assert edited.headers["ETag"] == '"2"'

    stale = error(
        alice.patch(f"{API}/posts/{pid}", json={"raw": "lost update"}, headers={"If-Match": "1"}),
        412,
        "stale_version",
    )
    assert stale["current_version"] == 2
    error(alice.patch(f"{API}/posts/{pid}", json={"raw": "blind"}), 428, "precondition_required")
    error(
        alice.patch(f"{API}/posts/{pid}", json={"raw": "x"}, headers={"If-Match": "two"}),
        400,
        "invalid_header",
    )
    error(bob.patch(f"{API}/posts/{pid}", json={"raw": "not mine"}, headers={"If-Match": "2"}), 403)
    assert ok(alice.get(f"{API}/posts/{pid}"))["raw"] == "version two"
    # A moderator may edit anyone's post.
    assert (
        ok(
            forum["mod"].patch(
                f"{API}/posts/{pid}", json={"raw": "moderated"}, headers={"If-Match": "2"}
            )
        )["version"]
        == 3
    )


def test_deleting_posts_leaves_tombstones(forum: Forum) -> None:
    alice, bob = forum["alice"], forum["bob"]
    created = new_topic(alice, "Tombstones")
    tid = created["topic"]["id"]
    pid = reply(bob, tid, "regrettable")["id"]
    reply(alice, tid, "a reply after it", to=2)
    error(alice.delete(f"{API}/posts/{pid}"), 403)
    gone = ok(bob.delete(f"{API}/posts/{pid}"))
    assert (gone["deleted"], gone["raw"], gone["can_edit"]) == (True, "", False)
    view = ok(alice.get(f"{API}/topics/{tid}"))
    assert [p["post_number"] for p in view["posts"]] == [1, 2, 3]
    assert view["posts"][1]["deleted"] is True and view["posts"][1]["raw"] == ""

    # Deleting the first post deletes the topic.
    ok(alice.delete(f"{API}/posts/{created['posts'][0]['id']}"))
    error(alice.get(f"{API}/topics/{tid}"), 404)
    assert tid not in list_all(alice, limit=100)[0]


# -- text is data -------------------------------------------------------------------------

HOSTILE = [
    "emoji 🎉👩🏽‍💻🇳🇿 and a ZWJ",
    "RTL שלום עולם مرحبا بالعالم",
    "NUL \x00 in the middle",
    "OSC \x1b]0;x\x07 title change",
    "clear screen \x1b[2J\x1b[H",
    "C1 CSI \x9b31m red",
    "bidi \u202eoverride\u202c and \u2066isolate\u2069",
    "[@click=app.quit]x[/]",
    "[bold red]markup[/bold red] and [link=https://evil.example]here[/link]",
    "tabs\tand\nnewlines\r\nand a DEL \x7f",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_text_is_stored_exactly(forum: Forum, text: str) -> None:
    alice, bob = forum["alice"], forum["bob"]
    created = new_topic(alice, title=text, raw=text)
    tid = created["topic"]["id"]
    assert created["topic"]["title"] == text and created["posts"][0]["raw"] == text
    posted = reply(bob, tid, text)
    view = ok(bob.get(f"{API}/topics/{tid}"))
    assert view["topic"]["title"] == text
    assert [p["raw"] for p in view["posts"]] == [text, text]
    assert ok(alice.get(f"{API}/posts/{posted['id']}"))["raw"] == text
    listed = ok(alice.get(f"{API}/topics", params={"limit": 5}))["topics"]
    assert text in [t["title"] for t in listed]
    # The bytes on the wire decode to exactly the same code points.
    raw_json = alice.get(f"{API}/posts/{posted['id']}").content
    assert json.loads(raw_json.decode("utf-8"))["raw"].encode("utf-8") == text.encode("utf-8")


def test_text_survives_an_edit(forum: Forum) -> None:
    alice = forum["alice"]
    pid = new_topic(alice, "Edit me")["posts"][0]["id"]
    text = "".join(HOSTILE)
    body = ok(alice.patch(f"{API}/posts/{pid}", json={"raw": text}, headers={"If-Match": "1"}))
    assert body["raw"] == text
    assert ok(alice.get(f"{API}/posts/{pid}"))["raw"] == text
