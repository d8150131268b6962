"""Private messages against a real server: only their participants see them, through every
endpoint. A member who is not in the conversation, a moderator who is not in it (there is
no staff override) and an anonymous reader are each shown nothing: topic lists, the topic
and its posts, links, resources, search, the change feed, notifications and bookmarks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.community import API, Forum, error, ok, running_forum

SECRET_URL = "https://example.org/zebra-plan"
OUTSIDERS = ("carol", "mod")  # a member and a moderator, neither of them in it


@dataclass
class Conversation:
    forum: Forum
    topic_id: int
    first_post: int
    reply: int
    since: int  # the change feed's position before the conversation started


@pytest.fixture(scope="module")
def forum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forum]:
    with running_forum(
        tmp_path_factory.mktemp("messages"),
        ("alice", "bob", "carol", "dave"),
        moderators=("mod", "mod2"),
        args=("--anonymous-read",),
    ) as running:
        running.clients["anonymous"] = running.server.client()
        public = running.topic("carol", "A public topic", "general", "Nothing secret here.")
        running.reply("alice", public["topic"]["id"], "Public reply.")
        yield running


@pytest.fixture(scope="module")
def talk(forum: Forum) -> Conversation:
    """alice writes to bob (mentioning carol, who is not in it); bob replies; alice reacts
    to and bookmarks the reply."""
    since = forum.last_seq("alice")
    made = ok(
        forum["alice"].post(
            f"{API}/messages",
            json={
                "participants": ["bob"],
                "title": "Zebra plans",
                "raw": f"The zebra plan is at {SECRET_URL}. Don't tell @carol yet.",
            },
        ),
        201,
    )
    topic_id = made["topic"]["id"]
    reply = forum.reply("bob", topic_id, "Zebra plan received, thanks.")
    ok(forum["alice"].put(f"{API}/posts/{reply['id']}/reactions/like"))
    ok(forum["alice"].put(f"{API}/posts/{reply['id']}/bookmark"))
    return Conversation(forum, topic_id, made["posts"][0]["id"], reply["id"], since)


def _clients(forum: Forum) -> list[tuple[str, httpx.Client]]:
    """The outsiders, and someone not logged in (this forum lets them read)."""
    return [(name, forum[name]) for name in (*OUTSIDERS, "anonymous")]


# -- the participants ------------------------------------------------------------------------------


def test_a_private_message_is_a_topic_its_participants_read_and_answer(
    talk: Conversation,
) -> None:
    forum = talk.forum
    for who in ("alice", "bob"):
        view = ok(forum[who].get(f"{API}/topics/{talk.topic_id}"))
        assert view["topic"]["private_message"] is True
        assert view["topic"]["participants"] == [
            {"username": "alice", "name": ""},
            {"username": "bob", "name": ""},
        ]
        assert [p["id"] for p in view["posts"]] == [talk.first_post, talk.reply]
        assert ok(forum[who].get(f"{API}/posts/{talk.reply}"))["reactions"][0]["count"] == 1
        links = ok(forum[who].get(f"{API}/topics/{talk.topic_id}/links"))["links"]
        assert [(link["url"], link["share_count"]) for link in links] == [(SECRET_URL, 1)]
        more = ok(forum[who].get(f"{API}/topics/{talk.topic_id}/posts", params={"after": 1}))
        assert [p["id"] for p in more["posts"]] == [talk.reply]
    reactors = ok(forum["bob"].get(f"{API}/posts/{talk.reply}/reactions"))["reactions"]
    assert reactors[0]["users"][0]["username"] == "alice"
    public = ok(forum["bob"].get(f"{API}/topics/{talk.topic_id}"))["topic"]
    assert public["category_slug"] == "_messages"


def test_the_inbox_counts_what_is_unread(talk: Conversation) -> None:
    forum = talk.forum
    bob = ok(forum["bob"].get(f"{API}/messages"))
    assert [m["id"] for m in bob["messages"]] == [talk.topic_id]
    assert bob["messages"][0]["participants"][0]["username"] == "alice"
    assert bob["messages"][0]["unread_count"] == 1  # alice's post; his own reply is not news
    assert bob["unread_topics"] == 1
    assert ok(forum["bob"].get(f"{API}/me"))["unread_messages"] == 1
    alice = ok(forum["alice"].get(f"{API}/messages"))
    assert alice["messages"][0]["unread_count"] == 1 and alice["unread_topics"] == 1
    ok(forum["bob"].put(f"{API}/topics/{talk.topic_id}/read", json={"post_number": 2}))
    assert ok(forum["bob"].get(f"{API}/messages"))["unread_topics"] == 0
    assert ok(forum["bob"].get(f"{API}/messages", params={"unread": "1"}))["messages"] == []
    assert ok(forum["bob"].get(f"{API}/me"))["unread_messages"] == 0
    for name in OUTSIDERS:
        assert ok(forum[name].get(f"{API}/messages")) == {
            "messages": [],
            "next_cursor": None,
            "unread_topics": 0,
        }
        assert ok(forum[name].get(f"{API}/me"))["unread_messages"] == 0


def test_participants_are_notified_and_search_their_messages(talk: Conversation) -> None:
    forum = talk.forum
    notices = ok(forum["bob"].get(f"{API}/notifications"))["notifications"]
    assert ("private_message", talk.topic_id) in [(n["kind"], n["topic_id"]) for n in notices]
    replies = ok(forum["alice"].get(f"{API}/notifications"))["notifications"]
    assert ("reply", talk.topic_id) in [(n["kind"], n["topic_id"]) for n in replies]
    found = ok(forum["bob"].get(f"{API}/search", params={"q": "zebra in:messages"}))
    assert {r["post_id"] for r in found["results"]} == {talk.first_post, talk.reply}
    assert found["query"]["in_messages"] is True
    # As on Discourse, an ordinary search leaves private messages out, even for participants.
    assert ok(forum["bob"].get(f"{API}/search", params={"q": "zebra"}))["results"] == []
    assert (
        ok(forum["bob"].get(f"{API}/search", params={"q": "zebra in:messages #general"}))["results"]
        == []
    )
    marks = ok(forum["alice"].get(f"{API}/bookmarks"))["bookmarks"]
    assert [(b["id"], b["topic_title"]) for b in marks] == [(talk.reply, "Zebra plans")]
    changes = forum.changes("bob", talk.since)
    mine = [(c["kind"], c["data"]) for c in changes if c["topic_id"] == talk.topic_id]
    assert ("topic.created", {"private_message": True}) in mine
    assert "post.created" in [kind for kind, _ in mine]


# -- everyone else ----------------------------------------------------------------------------


def test_nobody_else_reads_it_or_its_posts(talk: Conversation) -> None:
    forum = talk.forum
    t, p = talk.topic_id, talk.reply
    for name, client in _clients(forum):
        for path in (
            f"/topics/{t}",
            f"/topics/{t}/posts?after=0",
            f"/topics/{t}/posts?ids={p}",
            f"/topics/{t}/links",
            f"/posts/{p}",
            f"/posts/{talk.first_post}",
            f"/posts/{p}/reactions",
        ):
            assert error(client.get(f"{API}{path}"), 404)["code"] == "not_found", (name, path)


def test_nobody_else_writes_to_it(talk: Conversation) -> None:
    forum = talk.forum
    t, p = talk.topic_id, talk.reply
    for name in OUTSIDERS:
        client = forum[name]
        attempts = [
            client.post(f"{API}/topics/{t}/posts", json={"raw": "Let me in"}),
            client.patch(f"{API}/topics/{t}", json={"title": "Mine now"}),
            client.put(f"{API}/topics/{t}/read", json={"post_number": 2}),
            client.put(f"{API}/topics/{t}/solution", json={"post_id": p}),
            client.patch(f"{API}/posts/{p}", json={"raw": "x"}, headers={"If-Match": "1"}),
            client.delete(f"{API}/posts/{p}"),
            client.put(f"{API}/posts/{p}/reactions/like"),
            client.put(f"{API}/posts/{p}/bookmark"),
            client.post(f"{API}/messages/{t}/participants", json={"usernames": [name]}),
        ]
        for answer in attempts:
            assert error(answer, 404)["code"] in ("not_found",), (name, answer.request.url)
    view = ok(forum["bob"].get(f"{API}/topics/{t}"))
    assert view["topic"]["title"] == "Zebra plans" and view["topic"]["posts_count"] == 2


def test_no_list_count_or_category_shows_it(talk: Conversation) -> None:
    forum = talk.forum
    for name, client in [*_clients(forum), ("alice", forum["alice"])]:
        for params in ({}, {"filter": "top"}, {"tag": "x"}, {"limit": 100}):
            listed = ok(client.get(f"{API}/topics", params=params))["topics"]
            assert talk.topic_id not in [x["id"] for x in listed], (name, params)
        categories = ok(client.get(f"{API}/categories"))["categories"]
        assert [c["slug"] for c in categories] == ["general"], name
        assert categories[0]["topic_count"] == 1 and categories[0]["post_count"] == 2
        hidden = client.get(f"{API}/topics", params={"category": "_messages"})
        assert error(hidden, 404)["code"] == "not_found"
        assert error(client.get(f"{API}/resources", params={"category": "_messages"}), 404)
    for name in ("carol", "mod", "alice"):
        for params in ({"filter": "new"}, {"filter": "unread"}):
            listed = ok(forum[name].get(f"{API}/topics", params=params))["topics"]
            assert talk.topic_id not in [x["id"] for x in listed]


def test_no_resource_or_search_shows_it(talk: Conversation) -> None:
    forum = talk.forum
    for name, client in [*_clients(forum), ("bob", forum["bob"])]:
        resources = ok(client.get(f"{API}/resources", params={"limit": 100}))["resources"]
        assert SECRET_URL not in [r["url"] for r in resources], name
        assert ok(client.get(f"{API}/resources", params={"q": "zebra"}))["resources"] == []
    for name, client in _clients(forum):
        for q in ("zebra", "zebra in:messages", "in:messages", "@alice", "in:title zebra"):
            found = ok(client.get(f"{API}/search", params={"q": q}))["results"]
            assert talk.topic_id not in [r["topic_id"] for r in found], (name, q)


def test_no_change_feed_notification_or_bookmark_shows_it(talk: Conversation) -> None:
    forum = talk.forum
    for name, client in _clients(forum):
        changes = ok(client.get(f"{API}/changes", params={"since": talk.since}))["changes"]
        assert talk.topic_id not in [c["topic_id"] for c in changes], name
        assert talk.reply not in [c["post_id"] for c in changes], name
    # carol was mentioned in it but is not in it: she hears nothing.
    notices = ok(forum["carol"].get(f"{API}/notifications"))
    assert talk.topic_id not in [n["topic_id"] for n in notices["notifications"]]
    assert notices["unread_count"] == len([n for n in notices["notifications"] if not n["read"]])
    assert [n["kind"] for n in notices["notifications"]] == ["reply"]  # on her public topic
    for name in OUTSIDERS:
        assert ok(forum[name].get(f"{API}/bookmarks"))["bookmarks"] == []
    # A long poll for an outsider is not woken by a new post in it.
    last = forum.last_seq("carol")
    forum.reply("alice", talk.topic_id, "One more zebra thing.")
    waited = ok(forum["carol"].get(f"{API}/changes", params={"since": last, "wait": "0.5"}))
    assert waited["changes"] == [] and waited["last_seq"] > last


# -- starting, joining and moving ----------------------------------------------------------------


def test_starting_a_message_checks_the_participants(forum: Forum) -> None:
    post = forum["alice"].post
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"title": "t", "raw": "r"}, "participants", "missing_field"),
        ({"participants": "bob", "title": "t", "raw": "r"}, "participants", "invalid_field"),
        ({"participants": ["nobody"], "title": "t", "raw": "r"}, "participants", "unknown_user"),
        ({"participants": ["alice"], "title": "t", "raw": "r"}, "participants", "invalid_field"),
        ({"participants": [], "title": "t", "raw": "r"}, "participants", "invalid_field"),
        ({"participants": ["bob"], "raw": "r"}, "title", "missing_field"),
        ({"participants": ["bob"], "title": "t", "raw": " "}, "raw", "invalid_field"),
    ]
    for body, named, code in cases:
        problem = error(post(f"{API}/messages", json=body), 400)
        assert named in problem["message"] and problem["code"] == code, (body, problem)
    anonymous = forum.server.client()
    try:
        body = {"participants": ["bob"], "title": "t", "raw": "r"}
        assert error(anonymous.post(f"{API}/messages", json=body), 401)
        assert error(anonymous.get(f"{API}/messages"), 401)
    finally:
        anonymous.close()


def test_starting_a_message_is_idempotent_with_a_key(forum: Forum) -> None:
    body = {"participants": ["dave"], "title": "Once only", "raw": "Hello Dave."}
    headers = {"Idempotency-Key": "pm-retry-1"}
    first = forum["bob"].post(f"{API}/messages", json=body, headers=headers)
    again = forum["bob"].post(f"{API}/messages", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["topic"]["id"] == first.json()["topic"]["id"]
    inbox = ok(forum["dave"].get(f"{API}/messages"))["messages"]
    assert [m["title"] for m in inbox].count("Once only") == 1


def test_a_group_conversation_and_people_brought_in_later(forum: Forum) -> None:
    made = ok(
        forum["alice"].post(
            f"{API}/messages",
            json={
                "participants": ["bob", "dave", "bob"],
                "title": "Organisers",
                "raw": "Plans for May.",
            },
        ),
        201,
    )
    topic_id = made["topic"]["id"]
    assert [p["username"] for p in made["topic"]["participants"]] == ["alice", "bob", "dave"]
    forum.reply("bob", topic_id, "Sounds good.")
    dave = ok(forum["dave"].get(f"{API}/notifications"))["notifications"]
    kinds = [n["kind"] for n in dave if n["topic_id"] == topic_id]
    assert kinds == ["private_message", "private_message"]  # the start and bob's reply
    assert error(forum["carol"].get(f"{API}/topics/{topic_id}"), 404)
    added = ok(
        forum["dave"].post(f"{API}/messages/{topic_id}/participants", json={"usernames": ["carol"]})
    )
    assert [p["username"] for p in added["participants"]] == ["alice", "bob", "dave", "carol"]
    seen = ok(forum["carol"].get(f"{API}/topics/{topic_id}"))
    assert len(seen["posts"]) == 2  # the whole conversation, from the start
    assert topic_id in [
        n["topic_id"] for n in ok(forum["carol"].get(f"{API}/notifications"))["notifications"]
    ]
    public = forum.topic("carol", "Not a message", "general")["topic"]["id"]
    wrong = forum["carol"].post(
        f"{API}/messages/{public}/participants", json={"usernames": ["bob"]}
    )
    assert error(wrong, 404)["code"] == "not_a_message"
    assert error(forum["carol"].post(f"{API}/messages/{topic_id}/participants", json={}), 400)


def test_a_moderator_in_the_conversation_sees_it_but_cannot_make_it_public(
    forum: Forum,
) -> None:
    made = ok(
        forum["alice"].post(
            f"{API}/messages",
            json={"participants": ["mod2"], "title": "A word with a moderator", "raw": "Hello."},
        ),
        201,
    )
    topic_id = made["topic"]["id"]
    assert ok(forum["mod2"].get(f"{API}/topics/{topic_id}"))["topic"]["private_message"]
    assert error(forum["mod"].get(f"{API}/topics/{topic_id}"), 404)  # not the other one
    moved = forum["mod2"].patch(f"{API}/topics/{topic_id}", json={"category": "general"})
    assert error(moved, 403)["code"] == "forbidden"
    assert error(forum["carol"].get(f"{API}/topics/{topic_id}"), 404)
    into = forum["carol"].post(
        f"{API}/topics", json={"title": "Sneaking in", "raw": "x", "category": "_messages"}
    )
    assert error(into, 404)
