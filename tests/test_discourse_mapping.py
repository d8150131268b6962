"""Every Discourse response in ../shared/discourse/fixtures/ that shows something Cohort shows
reads into the models, with the counts and values the file holds, and nothing unsanitised.

The fixtures are read where they are (never copied here). A fixture this file neither
parses nor names in SKIPPED fails `test_every_fixture_is_accounted_for`.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.discourse_fixtures import FIXTURES
from tui.forum.discourse import mapping
from tui.forum.jsonread import BadData
from tui.forum.models import NotificationKind, Reaction, TopicPage, dump, load

BASE = "https://forum.example"

UNSAFE = {chr(c) for c in range(0x20) if c not in (9, 10)} | {chr(0x7F)}
UNSAFE |= {chr(c) for c in range(0x80, 0xA0)}
UNSAFE |= {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}

# Fixtures that describe nothing Cohort shows (yet), and why.
SKIPPED = {
    "drafts__core.json": "Cohort keeps drafts locally; Discourse's server drafts are not synced",
    "group__discourse_api.json": "no group model yet",
    "group_members_page0__discourse_api.json": "no group model yet",
    "group_posts__core.json": "no group view yet (posts by a group's members)",
    "groups__core.json": "no group model yet",
    "groups__discourse_api.json": "no group model yet",
    "update_topic_response__api_docs.json": "Cohort does not edit topics on Discourse; a "
    "basic_topic lacks what a Topic needs (category, times)",
    "upload_file__discourse_api.json": "Cohort does not upload files",
    "user_actions_replies__discourse_api.json": "no user activity view yet",
    "user_summary__core.json": "no user summary view yet",
    # Used by tests/test_discourse_client.py (a response shape, not data to show):
    "error_rate_limit_429__core_test.json": "the 429 body: read by the client's error handling",
}


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [s for f in dataclasses.fields(value) for s in strings_in(getattr(value, f.name))]
    if isinstance(value, list | tuple | frozenset | set):
        return [s for v in value for s in strings_in(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [*strings_in(k), *strings_in(v)]]
    return []


def assert_safe(value: Any) -> None:
    for text in strings_in(value):
        assert not (set(text) & UNSAFE), f"unsanitised text reached a model: {text!r:.80}"


def parse(name: str, reader: Any, **options: Any) -> Any:
    result = reader(load_fixture(name), **options)
    assert_safe(result)
    return result


# -- the site, users ---------------------------------------------------------------------------


def test_site() -> None:
    site = parse("site__core.json", mapping.site_info, basic=None, host="forum.example")
    assert site.software == "discourse"
    assert site.name == "forum.example"  # /site.json has no title; basic-info was not given
    assert site.reactions == ("like",)
    assert {"bookmarks", "changes"} <= site.features
    assert "solved" not in site.features and "resources" not in site.features
    named = mapping.site_info(
        load_fixture("site__core.json"),
        {"title": "Meta", "login_required": True},
        host="x",
        reactions=("like", "laughing"),
    )
    assert named.name == "Meta" and not named.anonymous_read
    assert named.reactions == ("like", "laughing") and "reactions" in named.features


def test_site_notification_types() -> None:
    types = parse("site__core.json", mapping.notification_types)
    assert types[2] == "replied" and types[25] == "reaction" and types[19] == "liked_consolidated"
    assert len(types) == 28


def test_categories_from_site() -> None:
    found = parse("site__core.json", mapping.categories)
    assert len(found) == 21
    by_slug = {c.slug: c for c in found}
    assert by_slug["feature"].id == 2 and by_slug["feature"].topic_count == 1367
    assert by_slug["spec"].parent_id == 2  # a subcategory of feature
    assert by_slug["hack-night"].parent_id == 7
    assert by_slug["shared-drafts"].restricted
    assert by_slug["meta"].description.startswith("Discussion about meta.discourse.org itself")


def test_categories_json() -> None:
    found = parse("categories__discourse_api.json", mapping.categories)
    assert [(c.id, c.slug) for c in found] == [(1, "test1"), (2, "test2"), (3, "test3")]
    assert found[0].description == "Test category #1." and found[0].parent_id is None


def test_categories_json_with_nested_subcategories() -> None:
    data = load_fixture("categories__discourse_api.json")
    parent = data["category_list"]["categories"][0]
    child = copy.deepcopy(data["category_list"]["categories"][1])
    child.update(id=99, slug="child")
    parent["subcategory_list"] = [child]
    found = mapping.categories(data)
    assert {c.slug: c.parent_id for c in found}["child"] == 1


def test_current_user() -> None:
    me = parse("session_current__core.json", mapping.current_user)
    assert me is not None
    assert (me.id, me.username, me.name, me.is_moderator) == (19, "eviltrout", "Robin Ward", True)
    assert mapping.current_user({}) is None


def test_profiles() -> None:
    eviltrout = parse("user_eviltrout__core.json", mapping.profile)
    assert (eviltrout.id, eviltrout.username, eviltrout.is_moderator) == (19, "eviltrout", True)
    assert eviltrout.bio.startswith("Co-founder of Discourse.")
    test_user = parse("user__discourse_api.json", mapping.profile)
    assert (test_user.username, test_user.name, test_user.is_moderator) == (
        "test_user",
        "Test User",
        False,
    )


def test_user_lists() -> None:
    directory = parse("directory_items__core.json", mapping.users)
    assert len(directory) == 50 and directory[0].username == "codinghorror"
    likers = parse("post_action_users__discourse_api.json", mapping.users)
    assert [u.username for u in likers] == ["john_smith", "jane_smith"]


# -- topic lists -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "count", "first_id", "first_title", "first_username", "cursor"),
    [
        ("latest__discourse_api.json", 3, 1, "Test topic #1", "test_users", "/latest.json?page=1"),
        (
            "latest_can_create_topic__core.json",
            2,
            30,
            "I am also creating a new topic here new topic",
            "tt1",
            None,
        ),
        ("new__discourse_api.json", 3, 1, "Test topic #1", "test_user", None),
        # No `users` in this answer: the original poster is also the last poster.
        ("top__discourse_api.json", 3, 1, "Test topic #1", "test_user", "/latest.json?page=1"),
        (
            "category_feature_latest__core.json",
            30,
            2,
            "Category definition for feature",
            "sam",
            "/latest.json?category=2&page=1",
        ),
        ("category_latest_topics__discourse_api.json", 2, 5, "About the category", "fuzzy", None),
        ("tag_important_latest__core.json", 2, 16, "Dinosaurs are the best", "sam", None),
        ("private_messages__discourse_api.json", 1, 11, "Welcome to Discourse!", "test_user", None),
        ("group_topics__core.json", 2, 12074, "This is a test topic 1", "bruce1", None),
    ],
)
def test_topic_lists(
    name: str,
    count: int,
    first_id: int,
    first_title: str,
    first_username: str,
    cursor: str | None,
) -> None:
    listing = parse(name, mapping.topic_list)
    assert len(listing.topics) == count
    first = listing.topics[0]
    assert (first.id, first.title, first.username) == (first_id, first_title, first_username)
    assert listing.next_cursor == cursor
    assert all(t.bumped_at.tzinfo is not None for t in listing.topics)


def test_topic_list_details() -> None:
    listing = mapping.topic_list(load_fixture("latest_can_create_topic__core.json"))
    first = listing.topics[0]
    assert first.tags == ("test", "test-tag")
    assert (first.posts_count, first.highest_post_number, first.last_read_post_number) == (6, 6, 5)
    assert first.category_id == 5 and first.seen
    assert first.bumped_at == datetime(2020, 4, 28, 22, 2, 20, 215000, tzinfo=UTC)
    feature = mapping.topic_list(load_fixture("category_feature_latest__core.json"))
    assert {t.category_id for t in feature.topics} == {2}
    assert feature.topics[0].pinned
    assert feature.topics[0].last_poster == "codinghorror"
    private = mapping.topic_list(load_fixture("private_messages__discourse_api.json"))
    assert private.topics[0].archetype == "private_message"
    assert private.topics[0].category_id == 0  # a message has no category


# -- topics and posts --------------------------------------------------------------------------


def test_long_topic() -> None:
    page = parse("topic_280_long_stream__core.json", mapping.topic_page)
    assert page.topic.id == 280 and page.topic.title == "Internationalization / localization"
    assert page.topic.username == "uwe_keim" and page.topic.last_poster == "Luciano_Fantuzzi"
    assert page.topic.category_id == 2 and page.topic.posts_count == 103
    assert page.post_ids is not None and len(page.post_ids) == 20
    assert page.post_ids[:3] == (398, 419, 1060)
    assert [p.id for p in page.posts] == list(page.post_ids)
    assert [p.post_number for p in page.posts] == list(range(1, 21))
    assert all(p.topic_id == 280 and p.raw is None and p.cooked for p in page.posts)
    fifth = page.posts[4]
    assert (fifth.username, fifth.reply_to_post_number, fifth.like_count) == ("pekka", 3, 2)
    assert Reaction("like", 2, False) in fifth.reactions
    # 2015's Discourse sent no bumped_at in a topic view: the last post's time stands in.
    assert page.topic.bumped_at == datetime(2015, 3, 4, 15, 7, 10, 487000, tzinfo=UTC)


def test_topic_with_a_reply_and_links() -> None:
    page = parse("topic__discourse_api.json", mapping.topic_page)
    assert page.topic.id == 57 and page.topic.username == "samsaffron"
    assert [p.post_number for p in page.posts] == [1, 2, 3, 14]
    assert page.posts[-1].reply_to_post_number == 1
    assert page.posts[0].version == 5
    assert page.post_ids == (83, 84, 86, 226)


def test_topic_299() -> None:
    page = parse("topic_299__core.json", mapping.topic_page)
    assert page.topic.title == "Look at this link"
    assert len(page.posts) == 3
    # The front-end fixture's posts say topic 9; posts in topic 299's view are topic 299's.
    assert {p.topic_id for p in page.posts} == {299}


def test_private_message_topics() -> None:
    message = parse("topic_130_private_message__core.json", mapping.topic_page)
    assert message.topic.archetype == "private_message" and message.topic.category_id == 0
    assert message.topic.username == "bianca" and len(message.posts) == 1
    other = parse("topic_34__core.json", mapping.topic_page)
    assert other.topic.title == "Test PM" and [p.post_number for p in other.posts] == [1, 3]


def test_topic_with_reactions() -> None:
    data = load_fixture("topic_with_reactions__discourse_reactions.json")
    assert mapping.valid_reactions(data)[0] == "heart"
    page = parse("topic_with_reactions__discourse_reactions.json", mapping.topic_page)
    first = page.posts[0]
    # The main reaction ("heart") is the like: 190 of them, as actions_summary says.
    assert first.reactions[0] == Reaction("like", 190, False)
    assert Reaction("nose:t2", 1, False) in first.reactions
    assert "heart" not in {r.name for r in first.reactions}
    third = page.posts[2]
    assert third.reactions == (Reaction("like", 2, True),)  # current_user_reaction: heart
    assert page.posts[3].reactions == ()


def test_posts_by_id() -> None:
    posts = parse("topic_posts__discourse_api.json", mapping.post_stream, topic_id=57)
    assert len(posts) == 1
    (post,) = posts
    assert (post.id, post.post_number, post.username, post.name) == (
        123456,
        2,
        "Some-username",
        "Someones Name",
    )
    assert post.raw is None  # this answer's raw is not Markdown text: shown from cooked
    assert post.cooked == "<p>Some text.</p>" and post.like_count == 3 and post.can_edit


def test_single_posts() -> None:
    with_raw = parse("post_398_with_raw__core.json", mapping.post)
    assert with_raw.id == 398 and with_raw.topic_id == 280
    assert with_raw.raw is not None and with_raw.raw.startswith("Any plans to support")
    system = parse("post__discourse_api.json", mapping.post)
    assert (system.id, system.username, system.topic_id) == (11, "system", 8)
    assert system.raw is not None and system.raw.startswith("The first paragraph")
    edited = parse("update_post_response__api_docs.json", mapping.post)
    assert (edited.id, edited.version, edited.post_number) == (25, 3, 11)


def test_latest_posts() -> None:
    posts = parse("posts_latest__discourse_api.json", mapping.latest_posts)
    assert len(posts) == 4
    assert (posts[0].id, posts[0].username, posts[0].raw) == (15, "johndoe", "holla bullhonky.")


def test_created_posts() -> None:
    made = parse("create_topic_with_tags__discourse_api.json", mapping.created_post)
    assert made.post is not None and (made.post.id, made.post.topic_id) == (29, 21)
    assert made.post.name == ""  # null in the answer
    pending = parse("post_create_enqueued__core_test.json", mapping.created_post)
    assert pending.post is None and pending.pending_id == 1234


def test_topic_links() -> None:
    links = parse("topic_280_long_stream__core.json", mapping.topic_links, base_url=BASE)
    assert len(links) == 43  # 54 in the topic map, 11 of them links *to* this topic elsewhere
    first = links[0]
    assert first.url == "https://github.com/discourse/discourse/blob/master/config/locales/en.yml"
    assert first.topic_id == 280 and first.post_number == 2 and first.post_id == 419
    assert first.username == "tms"  # found in post 2's HTML
    assert links[1].title == "Easy localization for Rails apps | Locale"
    assert all(link.url.startswith(("http://", "https://")) for link in links)
    sandbox = parse("topic__discourse_api.json", mapping.topic_links, base_url=BASE)
    # Internal links are made absolute on the forum.
    assert f"{BASE}/users/pekka" in {link.url for link in sandbox}
    assert len(sandbox) == 6


# -- search, notifications, bookmarks ----------------------------------------------------------


def test_search() -> None:
    page = parse("search_query__core.json", mapping.search_page)
    assert len(page.results) == 5
    first = page.results[0]
    assert (first.topic_id, first.post_number, first.post_id) == (2179, 1, 3833)
    assert first.topic_title == "Development mode super slow" and first.username == "bdudney"
    assert first.category_id == 7
    # No `blurb` in this answer: the post's HTML is reduced to a line of text.
    assert first.blurb.startswith("I've gotten vagrant up and running")
    assert "<" not in first.blurb and len(first.blurb) <= mapping.BLURB_CHARS
    assert page.next_offset == 50  # more_posts: true


def test_notifications() -> None:
    types = mapping.notification_types(load_fixture("site__core.json"))
    listed = parse("notifications__core.json", mapping.notification_list, types=types)
    assert [n.id for n in listed.notifications] == [123, 456, 789, 1234, 5678]
    assert listed.unread_count == 5
    reply = listed.notifications[0]
    assert reply.kind is NotificationKind.REPLY
    assert (reply.actor, reply.topic_id, reply.topic_title, reply.post_number) == (
        "velesin",
        1234,
        "some title",
        2,
    )
    assert listed.notifications[1].kind is NotificationKind.REACTION  # liked_consolidated
    assert listed.notifications[3].kind is NotificationKind.OTHER
    assert listed.notifications[0].created_at == mapping.UNKNOWN_TIME  # this fixture has none


def test_notifications_2014() -> None:
    listed = parse("notifications__discourse_api.json", mapping.notification_list)
    (only,) = listed.notifications
    assert only.kind is NotificationKind.REPLY  # "posted"
    assert (only.actor, only.topic_id, only.post_id) == ("riking", 14404, 47600)
    assert only.topic_title == ".json feed for notifications"
    assert only.id == 0  # the 2014 API gave notifications no id


def test_solved_notification() -> None:
    data = {
        "notifications": [
            {
                "id": 7,
                "notification_type": 14,
                "read": True,
                "created_at": "2024-01-02T03:04:05Z",
                "topic_id": 5,
                "post_number": 3,
                "data": {"message": "solved.accepted_notification", "display_username": "ann"},
            }
        ]
    }
    (note,) = mapping.notification_list(data).notifications
    assert note.kind is NotificationKind.SOLVED and note.read and note.actor == "ann"


def test_bookmarks() -> None:
    (mark,) = parse("user_bookmarks__core.json", mapping.bookmarks)
    assert mark.topic_title == "Yelling topic title :/"
    assert (mark.post.id, mark.post.topic_id, mark.post.post_number) == (281, 119, 1)
    assert mark.post.username == "someguy" and mark.post.bookmarked
    assert mark.post.cooked == "Here this is my new topic where I yell."


# -- MessageBus --------------------------------------------------------------------------------


def test_message_bus_status() -> None:
    data = load_fixture("message_bus_status_message__message_bus_readme.json")
    (message,) = mapping.bus_messages([data])
    assert message.channel == mapping.STATUS_CHANNEL
    assert mapping.bus_status(message) == {"/some/channel": 5, "/other/channel": 9}
    assert mapping.bus_change(message) is None


def test_message_bus_latest_message() -> None:
    # TopicTrackingState.publish_latest's message, as MessageBus delivers it.
    message = mapping.bus_messages(
        [
            {
                "global_id": 40,
                "message_id": 3,
                "channel": "/latest",
                "data": {
                    "topic_id": 280,
                    "message_type": "latest",
                    "payload": {"bumped_at": "2024-01-01T00:00:00Z", "category_id": 2},
                },
            }
        ]
    )[0]
    change = mapping.bus_change(message)
    assert change is not None
    assert (change.kind, change.topic_id, change.category_id, change.seq) == (
        "topic.updated",
        280,
        2,
        40,
    )


# -- safety and bad shapes ---------------------------------------------------------------------

HOSTILE = "\x1b]52;c;ZXZpbA==\x07[@click=app.quit]\u202eevil\x9b2J"


def test_hostile_text_is_sanitised_everywhere() -> None:
    data = load_fixture("topic_280_long_stream__core.json")
    data["title"] = HOSTILE
    data["details"]["created_by"]["username"] = HOSTILE
    post = data["post_stream"]["posts"][0]
    post.update(cooked=f"<p>{HOSTILE}</p>", raw=f"line one\n{HOSTILE}", name=HOSTILE)
    page = mapping.topic_page(data)
    assert_safe(page)
    assert "[@click=app.quit]" in page.topic.title  # markup-looking text stays, as text
    assert page.posts[0].raw == "line one\n]52;c;ZXZpbA==[@click=app.quit]evil2J"
    listing = load_fixture("latest__discourse_api.json")
    listing["topic_list"]["topics"][0]["title"] = HOSTILE
    assert_safe(mapping.topic_list(listing))
    search = load_fixture("search_query__core.json")
    search["posts"][0]["blurb"] = HOSTILE
    assert_safe(mapping.search_page(search))
    note = load_fixture("notifications__core.json")
    note["notifications"][0]["data"]["topic_title"] = HOSTILE
    assert_safe(mapping.notification_list(note))
    assert_safe(
        mapping.bus_messages(
            [{"global_id": 1, "message_id": 1, "channel": HOSTILE, "data": {HOSTILE: [HOSTILE]}}]
        )
    )


def test_wrong_shapes_raise_bad_data() -> None:
    with pytest.raises(BadData):
        mapping.topic_list({"topic_list": {"topics": [{"id": "1"}]}})
    with pytest.raises(BadData):
        mapping.topic_page([])
    with pytest.raises(BadData):
        mapping.post({"id": 1, "topic_id": 2, "post_number": 1, "username": "a", "created_at": 5})
    with pytest.raises(BadData):
        mapping.bus_messages({"not": "a list"})


def test_models_survive_the_cache_round_trip() -> None:
    page = mapping.topic_page(load_fixture("topic_with_reactions__discourse_reactions.json"))
    assert load(TopicPage, json.loads(json.dumps(dump(page)))) == page


# The reader of every fixture that is parsed: the tests above check their values.
READERS: dict[str, Any] = {
    "site__core.json": mapping.categories,
    "categories__discourse_api.json": mapping.categories,
    "session_current__core.json": mapping.current_user,
    "user_eviltrout__core.json": mapping.profile,
    "user__discourse_api.json": mapping.profile,
    "directory_items__core.json": mapping.users,
    "post_action_users__discourse_api.json": mapping.users,
    "latest__discourse_api.json": mapping.topic_list,
    "latest_can_create_topic__core.json": mapping.topic_list,
    "new__discourse_api.json": mapping.topic_list,
    "top__discourse_api.json": mapping.topic_list,
    "category_feature_latest__core.json": mapping.topic_list,
    "category_latest_topics__discourse_api.json": mapping.topic_list,
    "tag_important_latest__core.json": mapping.topic_list,
    "private_messages__discourse_api.json": mapping.topic_list,
    "group_topics__core.json": mapping.topic_list,
    "topic_280_long_stream__core.json": mapping.topic_page,
    "topic__discourse_api.json": mapping.topic_page,
    "topic_299__core.json": mapping.topic_page,
    "topic_130_private_message__core.json": mapping.topic_page,
    "topic_34__core.json": mapping.topic_page,
    "topic_with_reactions__discourse_reactions.json": mapping.topic_page,
    "topic_posts__discourse_api.json": lambda d: mapping.post_stream(d, topic_id=57),
    "post_398_with_raw__core.json": mapping.post,
    "post__discourse_api.json": mapping.post,
    "update_post_response__api_docs.json": mapping.post,
    "posts_latest__discourse_api.json": mapping.latest_posts,
    "create_topic_with_tags__discourse_api.json": mapping.created_post,
    "post_create_enqueued__core_test.json": mapping.created_post,
    "search_query__core.json": mapping.search_page,
    "notifications__core.json": mapping.notification_list,
    "notifications__discourse_api.json": mapping.notification_list,
    "user_bookmarks__core.json": mapping.bookmarks,
    "message_bus_status_message__message_bus_readme.json": lambda d: mapping.bus_messages([d]),
}


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_every_fixture_is_accounted_for(name: str) -> None:
    assert (name in READERS) != (name in SKIPPED), f"{name}: parse it, or skip it with a reason"
    if name in READERS:
        assert parse(name, READERS[name]), f"{name} read into nothing"


def test_the_fixtures_are_there() -> None:
    assert len(list(FIXTURES.glob("*.json"))) >= 40, f"fixtures missing from {FIXTURES}"
