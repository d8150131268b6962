"""Who may do what, and what a restricted category hides, against a real server over TCP."""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.store import accounts
from server.store.db import open_database, run_in_transaction
from tests.serverproc import ServerProcess, start_server

API = "/api/v1"


def add_user(db: Path, username: str, *, moderator: bool = False) -> str:
    """A user and a bearer token, written straight into the database (fast: no CLI start)."""
    conn = open_database(db)
    try:

        def work(c: sqlite3.Connection) -> str:
            user_id = accounts.add_user(c, username, moderator=moderator)
            token = "cht_" + secrets.token_urlsafe(32)
            accounts.store_token(c, user_id, token, "test")
            return token

        return run_in_transaction(conn, work)
    finally:
        conn.close()


def admin_ok(server: ServerProcess, *args: str) -> None:
    done = server.admin(*args)
    assert done.returncode == 0, done.stderr


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()["error"]  # type: ignore[no-any-return]


@dataclass
class Forum:
    server: ServerProcess
    clients: dict[str, httpx.Client]

    def __getitem__(self, name: str) -> httpx.Client:
        return self.clients[name]

    def topic(
        self,
        who: str,
        title: str,
        raw: str = "The opening post.",
        category: str = "general",
        tags: list[str] | None = None,
    ) -> dict[str, Any]:
        body = {"title": title, "raw": raw, "category": category, "tags": tags or []}
        return ok(self[who].post(f"{API}/topics", json=body), 201)  # type: ignore[no-any-return]

    def reply(self, who: str, topic_id: int, raw: str, to: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"raw": raw}
        if to is not None:
            body["reply_to_post_number"] = to
        return ok(  # type: ignore[no-any-return]
            self[who].post(f"{API}/topics/{topic_id}/posts", json=body), 201
        )

    def edit(self, who: str, post: dict[str, Any], raw: str) -> httpx.Response:
        return self[who].patch(
            f"{API}/posts/{post['id']}",
            json={"raw": raw},
            headers={"If-Match": str(post["version"])},
        )


@pytest.fixture(scope="module")
def forum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forum]:
    server = start_server(tmp_path_factory.mktemp("perm"), unix=False)
    clients: dict[str, httpx.Client] = {}
    try:
        admin_ok(server, "add-category", "general", "--name", "General")
        admin_ok(server, "add-category", "other", "--name", "Other")
        for name in ("alice", "bob", "carol", "dave", "frank"):
            clients[name] = server.client(add_user(server.db, name))
        clients["mod"] = server.client(add_user(server.db, "mod", moderator=True))
        admin_ok(server, "add-group", "staff")
        admin_ok(server, "add-to-group", "staff", "carol", "frank")
        admin_ok(server, "add-category", "secret", "--name", "Secret", "--group", "staff")
        yield Forum(server, clients)
    finally:
        for client in clients.values():
            client.close()
        server.stop()


# -- posts ---------------------------------------------------------------------------------


def test_only_the_author_or_a_moderator_edits_and_deletes_a_post(forum: Forum) -> None:
    view = forum.topic("alice", "Whose post is it anyway")
    topic_id = view["topic"]["id"]
    bobs = forum.reply("bob", topic_id, "Bob's reply")
    alices = forum.reply("alice", topic_id, "Alice's reply")
    assert bobs["can_edit"] is True
    assert ok(forum["alice"].get(f"{API}/posts/{bobs['id']}"))["can_edit"] is False

    assert error(forum.edit("alice", bobs, "hijacked"), 403)["code"] == "forbidden"
    error(forum["alice"].delete(f"{API}/posts/{bobs['id']}"), 403)
    assert ok(forum["bob"].get(f"{API}/posts/{bobs['id']}"))["raw"] == "Bob's reply"

    edited = ok(forum.edit("alice", alices, "Alice's reply, edited"))
    assert edited["raw"] == "Alice's reply, edited" and edited["version"] == 2
    assert ok(forum["alice"].delete(f"{API}/posts/{alices['id']}"))["deleted"] is True

    by_mod = ok(forum.edit("mod", bobs, "Edited by a moderator"))
    assert by_mod["raw"] == "Edited by a moderator"
    assert ok(forum["mod"].delete(f"{API}/posts/{bobs['id']}"))["deleted"] is True
    first = view["posts"][0]
    error(forum.edit("bob", first, "not mine"), 403)


def test_deleting_a_reply_leaves_a_tombstone(forum: Forum) -> None:
    topic_id = forum.topic("alice", "Tombstones keep the tree")["topic"]["id"]
    middle = forum.reply("bob", topic_id, "A reply that will go", to=1)
    child = forum.reply("carol", topic_id, "A reply to the reply", to=middle["post_number"])
    ok(forum["bob"].delete(f"{API}/posts/{middle['id']}"))

    view = ok(forum["dave"].get(f"{API}/topics/{topic_id}"))
    assert middle["id"] in view["post_ids"]
    posts = {p["post_number"]: p for p in view["posts"]}
    tomb = posts[middle["post_number"]]
    assert tomb["deleted"] is True and tomb["raw"] == "" and tomb["can_edit"] is False
    assert posts[child["post_number"]]["reply_to_post_number"] == middle["post_number"]
    assert posts[child["post_number"]]["raw"] == "A reply to the reply"
    assert error(forum.edit("bob", middle, "back again"), 404)["code"] == "deleted"


def test_deleting_the_first_post_deletes_the_topic(forum: Forum) -> None:
    view = forum.topic("alice", "A topic that vanishes")
    topic_id = view["topic"]["id"]
    forum.reply("bob", topic_id, "Replying before it goes")
    error(forum["bob"].delete(f"{API}/posts/{view['posts'][0]['id']}"), 403)
    ok(forum["alice"].delete(f"{API}/posts/{view['posts'][0]['id']}"))
    assert error(forum["alice"].get(f"{API}/topics/{topic_id}"), 404)["code"] == "not_found"
    error(forum["mod"].get(f"{API}/topics/{topic_id}"), 404)
    listed = ok(forum["alice"].get(f"{API}/topics", params={"limit": 100}))["topics"]
    assert topic_id not in [t["id"] for t in listed]


# -- topics --------------------------------------------------------------------------------


def test_topic_title_and_tags_by_the_author_or_a_moderator(forum: Forum) -> None:
    topic_id = forum.topic("alice", "Original title", tags=["one"])["topic"]["id"]
    url = f"{API}/topics/{topic_id}"
    error(forum["bob"].patch(url, json={"title": "Bob's title"}), 403)
    error(forum["bob"].patch(url, json={"tags": ["bobs"]}), 403)
    changed = ok(forum["alice"].patch(url, json={"title": "Better title", "tags": ["two"]}))
    assert changed["title"] == "Better title" and changed["tags"] == ["two"]
    changed = ok(forum["mod"].patch(url, json={"tags": ["three", "four"]}))
    assert sorted(changed["tags"]) == ["four", "three"]
    assert ok(forum["bob"].get(url))["topic"]["title"] == "Better title"


@pytest.mark.parametrize("change", [{"closed": True}, {"pinned": True}, {"category": "other"}])
def test_only_moderators_close_pin_and_move(forum: Forum, change: dict[str, Any]) -> None:
    topic_id = forum.topic("alice", f"Trying {next(iter(change))}")["topic"]["id"]
    for who in ("alice", "bob"):  # not even the author
        error(forum[who].patch(f"{API}/topics/{topic_id}", json=change), 403)
    topic = ok(forum["alice"].get(f"{API}/topics/{topic_id}"))["topic"]
    assert (topic["closed"], topic["pinned"], topic["category_slug"]) == (False, False, "general")


def test_a_moderator_closes_pins_and_moves_a_topic(forum: Forum) -> None:
    topic_id = forum.topic("alice", "Moderated topic")["topic"]["id"]
    url = f"{API}/topics/{topic_id}"
    closed = ok(forum["mod"].patch(url, json={"closed": True}))
    assert closed["closed"] is True
    refused = error(forum["bob"].post(f"{url}/posts", json={"raw": "Too late?"}), 403)
    assert refused["code"] == "topic_closed"
    error(forum["alice"].post(f"{url}/posts", json={"raw": "Mine, still closed"}), 403)
    forum.reply("mod", topic_id, "A moderator may still reply")

    pinned = ok(forum["mod"].patch(url, json={"pinned": True}))
    assert pinned["pinned"] is True
    latest = ok(forum["bob"].get(f"{API}/topics", params={"category": "general"}))["topics"]
    assert latest[0]["id"] == topic_id  # pinned topics come first

    moved = ok(forum["mod"].patch(url, json={"category": "other"}))
    assert moved["category_slug"] == "other"
    in_other = ok(forum["bob"].get(f"{API}/topics", params={"category": "other"}))["topics"]
    assert topic_id in [t["id"] for t in in_other]

    ok(forum["mod"].patch(url, json={"closed": False}))
    forum.reply("bob", topic_id, "Open again")


def test_accepting_an_answer(forum: Forum) -> None:
    topic_id = forum.topic("alice", "A question with an answer")["topic"]["id"]
    answer = forum.reply("bob", topic_id, "The answer")
    url = f"{API}/topics/{topic_id}/solution"
    for who in ("bob", "dave"):  # the answerer is not the asker
        error(forum[who].put(url, json={"post_id": answer["id"]}), 403)
    solved = ok(forum["alice"].put(url, json={"post_number": answer["post_number"]}))
    assert solved["solved"] is True
    assert solved["solution_post_number"] == answer["post_number"]
    assert ok(forum["dave"].get(f"{API}/posts/{answer['id']}"))["accepted"] is True
    error(forum["bob"].delete(url), 403)
    assert ok(forum["mod"].delete(url))["solved"] is False
    assert ok(forum["mod"].put(url, json={"post_id": answer["id"]}))["solved"] is True


# -- restricted categories -------------------------------------------------------------------

SECRET_WORD = "zanzibarite"
SECRET_URL = "https://example.org/staff-only-handbook"
SHARED_URL = "https://example.org/shared-everywhere"


@dataclass
class Secret:
    category_id: int
    topic_id: int
    post_ids: list[int]
    moved_topic_id: int
    moved_post_id: int
    public_topic_id: int
    seq_before: int


@pytest.fixture(scope="module")
def secret(forum: Forum) -> Secret:
    """A restricted category with a distinctive word, links, mentions and bookmarks in it."""
    seq_before = ok(forum["dave"].get(f"{API}/changes"))["last_seq"]
    public = forum.topic(
        "alice", "A public topic sharing a link", raw=f"Everyone can read [this]({SHARED_URL})."
    )
    view = forum.topic(
        "carol",
        f"The {SECRET_WORD} plan",
        category="secret",
        tags=["hush"],
        raw=f"Staff: the {SECRET_WORD} plan is in [the handbook]({SECRET_URL}), "
        f"also {SHARED_URL}. Hello @dave and @frank.",
    )
    topic_id = view["topic"]["id"]
    reply = forum.reply("frank", topic_id, f"More {SECRET_WORD} details, @dave.", to=1)
    ok(forum["carol"].put(f"{API}/posts/{reply['id']}/bookmark"))
    ok(forum["carol"].put(f"{API}/posts/{reply['id']}/reactions/like"))

    # A topic dave bookmarked and was mentioned in, later moved into the restricted category.
    moved = forum.topic("alice", "Soon to be staff only", raw="Hey @dave, look at this.")
    moved_post = moved["posts"][0]["id"]
    ok(forum["dave"].put(f"{API}/posts/{moved_post}/bookmark"))
    dave_bookmarks = ok(forum["dave"].get(f"{API}/bookmarks"))["bookmarks"]
    assert [b["id"] for b in dave_bookmarks] == [moved_post]
    dave_notes = ok(forum["dave"].get(f"{API}/notifications"))["notifications"]
    assert moved["topic"]["id"] in [n["topic_id"] for n in dave_notes]
    ok(forum["mod"].patch(f"{API}/topics/{moved['topic']['id']}", json={"category": "secret"}))
    return Secret(
        category_id=view["topic"]["category_id"],
        topic_id=topic_id,
        post_ids=[view["posts"][0]["id"], reply["id"]],
        moved_topic_id=moved["topic"]["id"],
        moved_post_id=moved_post,
        public_topic_id=public["topic"]["id"],
        seq_before=seq_before,
    )


SECRET_TOPICS = ("topic_id", "moved_topic_id")


def _topic_ids(client: httpx.Client, **params: Any) -> set[int]:
    listed = ok(client.get(f"{API}/topics", params={"limit": 100, **params}))["topics"]
    return {t["id"] for t in listed}


def _same_404(client: httpx.Client, hidden: str, missing: str) -> None:
    """A hidden thing answers exactly like a thing that does not exist."""
    one, two = error(client.get(hidden), 404), error(client.get(missing), 404)
    assert one["code"] == two["code"]
    strip = re.compile(r"\d+|'[^']*'|\S+(?= not found)")
    assert strip.sub("N", one["message"]) == strip.sub("N", two["message"])


def test_categories_and_topic_lists(forum: Forum, secret: Secret) -> None:
    hidden = {secret.topic_id, secret.moved_topic_id}
    dave_cats = ok(forum["dave"].get(f"{API}/categories"))["categories"]
    assert "secret" not in [c["slug"] for c in dave_cats]
    assert secret.category_id not in [c["id"] for c in dave_cats]
    for who in ("carol", "mod"):
        cats = {c["slug"]: c for c in ok(forum[who].get(f"{API}/categories"))["categories"]}
        assert cats["secret"]["restricted"] is True and cats["secret"]["groups"] == ["staff"]
        assert cats["secret"]["topic_count"] == 2
    general = {c["slug"]: c for c in dave_cats}["general"]
    assert general["restricted"] is False

    assert not hidden & _topic_ids(forum["dave"])
    assert secret.public_topic_id in _topic_ids(forum["dave"])
    assert hidden <= _topic_ids(forum["carol"])
    for flt in ("latest", "new", "top"):
        assert not hidden & _topic_ids(forum["dave"], filter=flt)
    assert not hidden & _topic_ids(forum["dave"], tag="hush")
    assert _topic_ids(forum["carol"], tag="hush") == {secret.topic_id}
    assert hidden == _topic_ids(forum["carol"], category="secret")
    assert hidden == _topic_ids(forum["carol"], category=str(secret.category_id))
    for ref in ("secret", str(secret.category_id)):
        _same_404(
            forum["dave"],
            f"{API}/topics?category={ref}",
            f"{API}/topics?category={'no-such' if ref == 'secret' else '999999'}",
        )


def test_topics_posts_and_links(forum: Forum, secret: Secret) -> None:
    dave, carol = forum["dave"], forum["carol"]
    for topic_id in (secret.topic_id, secret.moved_topic_id):
        for tail in ("", "/posts", "/links", "/posts?ids=1"):
            _same_404(dave, f"{API}/topics/{topic_id}{tail}", f"{API}/topics/999999{tail}")
            assert carol.get(f"{API}/topics/{topic_id}{tail}").status_code == 200
    for post_id in (*secret.post_ids, secret.moved_post_id):
        _same_404(dave, f"{API}/posts/{post_id}", f"{API}/posts/999999")
        assert ok(carol.get(f"{API}/posts/{post_id}"))["id"] == post_id
    links = ok(carol.get(f"{API}/topics/{secret.topic_id}/links"))["links"]
    assert {link["url"] for link in links} == {SECRET_URL, SHARED_URL}
    shared = {link["url"]: link for link in links}[SHARED_URL]
    assert shared["share_count"] == 2
    public = ok(dave.get(f"{API}/topics/{secret.public_topic_id}/links"))["links"]
    assert [(link["url"], link["share_count"]) for link in public] == [(SHARED_URL, 1)]

    # Writing to what you cannot see answers like writing to nothing.
    hidden_post = secret.post_ids[1]
    error(dave.post(f"{API}/topics/{secret.topic_id}/posts", json={"raw": "hi"}), 404)
    error(dave.put(f"{API}/posts/{hidden_post}/reactions/like"), 404)
    error(dave.put(f"{API}/posts/{hidden_post}/bookmark"), 404)
    error(dave.put(f"{API}/topics/{secret.topic_id}/read", json={"post_number": 1}), 404)
    error(dave.post(f"{API}/topics", json={"title": "x", "raw": "y", "category": "secret"}), 404)


def test_resources(forum: Forum, secret: Secret) -> None:
    dave = {r["url"]: r for r in ok(forum["dave"].get(f"{API}/resources"))["resources"]}
    carol = {r["url"]: r for r in ok(forum["carol"].get(f"{API}/resources"))["resources"]}
    assert SECRET_URL in carol and SECRET_URL not in dave
    assert carol[SHARED_URL]["share_count"] == 2
    assert dave[SHARED_URL]["share_count"] == 1
    assert [s["topic_id"] for s in dave[SHARED_URL]["shares"]] == [secret.public_topic_id]
    assert not ok(forum["dave"].get(f"{API}/resources", params={"q": "staff-only"}))["resources"]
    assert ok(forum["carol"].get(f"{API}/resources", params={"q": "staff-only"}))["resources"]
    assert not ok(forum["dave"].get(f"{API}/resources", params={"tag": "hush"}))["resources"]
    _same_404(
        forum["dave"], f"{API}/resources?category=secret", f"{API}/resources?category=no-such"
    )


@pytest.mark.parametrize(
    "query",
    [
        SECRET_WORD,
        "#secret",
        f"#secret {SECRET_WORD}",
        "@carol",
        "@frank",
        "tag:hush",
        f"{SECRET_WORD} in:title",
        "staff status:unsolved",
    ],
)
def test_search(forum: Forum, secret: Secret, query: str) -> None:
    def found(who: str) -> set[int]:
        answer = ok(forum[who].get(f"{API}/search", params={"q": query, "limit": 100}))
        return {r["topic_id"] for r in answer["results"]}

    hidden = {secret.topic_id, secret.moved_topic_id}
    assert found("carol") & hidden, "the member must find it, or the test proves nothing"
    assert not found("dave") & hidden


def test_changes_feed(forum: Forum, secret: Secret) -> None:
    def feed(who: str) -> list[dict[str, Any]]:
        answer = ok(forum[who].get(f"{API}/changes", params={"since": secret.seq_before}))
        return answer["changes"]  # type: ignore[no-any-return]

    # The moved topic's earlier changes were public when they happened; only what was
    # recorded inside the restricted category must stay hidden.
    hidden_posts = {*secret.post_ids}
    carol = feed("carol")
    assert any(c["topic_id"] == secret.topic_id for c in carol)
    assert any(c["category_id"] == secret.category_id for c in carol)
    dave = feed("dave")
    for change in dave:
        assert change["category_id"] != secret.category_id, change
        assert change["topic_id"] != secret.topic_id, change
        assert change["post_id"] not in hidden_posts, change
        assert SECRET_WORD not in str(change["data"])
        assert secret.category_id not in change["data"].values(), change

    # Dave hears that the topic left a category he sees, but not where it went.
    def moves(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            c["data"]
            for c in changes
            if c["kind"] == "topic.moved" and c["topic_id"] == secret.moved_topic_id
        ]

    assert moves(carol) == [{"to_category_id": secret.category_id}]
    assert moves(dave) == [{}]


def test_notifications(forum: Forum, secret: Secret) -> None:
    dave = ok(forum["dave"].get(f"{API}/notifications"))
    assert not {n["topic_id"] for n in dave["notifications"]} & {
        secret.topic_id,
        secret.moved_topic_id,
    }
    assert dave["unread_count"] == ok(forum["dave"].get(f"{API}/me"))["unread_notifications"]
    assert dave["unread_count"] == len([n for n in dave["notifications"] if not n["read"]])
    frank = ok(forum["frank"].get(f"{API}/notifications"))["notifications"]
    assert ("mention", secret.topic_id) in {(n["kind"], n["topic_id"]) for n in frank}
    carol = ok(forum["carol"].get(f"{API}/notifications"))["notifications"]
    assert ("reply", secret.topic_id) in {(n["kind"], n["topic_id"]) for n in carol}
    with sqlite3.connect(f"file:{forum.server.db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id "
            "WHERE u.username = 'dave' AND n.topic_id = ?",
            (secret.topic_id,),
        ).fetchone()
    assert rows[0] == 0  # never even created for someone who cannot see it


def test_bookmarks(forum: Forum, secret: Secret) -> None:
    assert ok(forum["dave"].get(f"{API}/bookmarks"))["bookmarks"] == []
    carol = ok(forum["carol"].get(f"{API}/bookmarks"))["bookmarks"]
    assert [(b["id"], b["topic_title"]) for b in carol] == [
        (secret.post_ids[1], f"The {SECRET_WORD} plan")
    ]


def test_a_member_who_leaves_the_group_loses_sight(forum: Forum, secret: Secret) -> None:
    admin_ok(forum.server, "add-group", "leavers")
    admin_ok(
        forum.server, "add-category", "leavers-room", "--name", "Leavers", "--group", "leavers"
    )
    admin_ok(forum.server, "add-to-group", "leavers", "bob")
    topic_id = forum.topic("bob", "Bob's room")["topic"]["id"]
    ok(forum["mod"].patch(f"{API}/topics/{topic_id}", json={"category": "leavers-room"}))
    assert ok(forum["bob"].get(f"{API}/topics/{topic_id}"))["topic"]["id"] == topic_id
    admin_ok(forum.server, "remove-from-group", "leavers", "bob")
    error(forum["bob"].get(f"{API}/topics/{topic_id}"), 404)
    assert "leavers-room" not in [
        c["slug"] for c in ok(forum["bob"].get(f"{API}/categories"))["categories"]
    ]
