"""Discourse's JSON, read into Cohort's models.

Every value goes through `tui.forum.jsonread`, which checks its type and runs each string
through the one sanitiser; a shape that does not fit raises `BadData`. The functions are
pure (no I/O), so the real responses in ../shared/discourse/fixtures/ test them directly.

Discourse's JSON differs from release to release (the fixtures span 2013 to 2025), so the
readers accept each shape Discourse has used for a field and fall back where a field is
missing, saying why in a comment. Where Discourse does not send something a model needs
(a notification without a time, a topic link without its post), the value is a documented
"unknown" rather than an invention.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from tui.forum.html_text import html_line
from tui.forum.jsonread import (
    BadData,
    as_bool,
    as_dicts,
    as_int,
    as_line,
    as_lines,
    as_list,
    as_opt_int,
    as_opt_line,
    as_opt_text,
    as_opt_time,
    as_time,
    clean_json,
)
from tui.forum.models import (
    Bookmark,
    Category,
    Change,
    Link,
    Notification,
    NotificationKind,
    NotificationList,
    Post,
    Reaction,
    Reactor,
    Reactors,
    SearchPage,
    SearchResult,
    SiteInfo,
    Topic,
    TopicList,
    TopicPage,
    User,
)
from tui.forum.sanitize import clean, clean_line

LIKE = "like"
LIKE_ACTION = 2  # post_action_types: 2 is "like" on every Discourse
DEFAULT_MAIN_REACTION = "heart"  # discourse-reactions' discourse_reactions_reaction_for_like
UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)  # Discourse sent no time for this entry
BLURB_CHARS = 200
SEARCH_PAGE_SIZE = 50  # Search.per_filter: a full-page search's page of posts

# Notification types as every Discourse since 2014 numbers them (Notification.types); a
# forum's own map from /site.json (`notification_types`) wins where it is known.
DEFAULT_NOTIFICATION_TYPES: dict[str, int] = {
    "mentioned": 1,
    "replied": 2,
    "quoted": 3,
    "edited": 4,
    "liked": 5,
    "private_message": 6,
    "invited_to_private_message": 7,
    "invitee_accepted": 8,
    "posted": 9,
    "moved_post": 10,
    "linked": 11,
    "granted_badge": 12,
    "invited_to_topic": 13,
    "custom": 14,
    "group_mentioned": 15,
    "group_message_summary": 16,
    "watching_first_post": 17,
    "topic_reminder": 18,
    "liked_consolidated": 19,
    "post_approved": 20,
    "reaction": 25,
}

_KIND_BY_TYPE_NAME: dict[str, NotificationKind] = {
    "replied": NotificationKind.REPLY,
    "posted": NotificationKind.REPLY,  # a new post in a topic you watch
    "mentioned": NotificationKind.MENTION,
    "group_mentioned": NotificationKind.MENTION,
    "quoted": NotificationKind.QUOTED,
    "liked": NotificationKind.REACTION,
    "liked_consolidated": NotificationKind.REACTION,
    "reaction": NotificationKind.REACTION,
}
# discourse-solved notifies through the "custom" type with this message key.
SOLVED_MESSAGE = "solved.accepted_notification"


# -- small readers -----------------------------------------------------------------------------


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadData(f"{what} should be an object, got {value!r:.40}")
    return value


def _opt_object(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = data.get(key)
    return value if isinstance(value, dict) else None


def _loose_int(data: dict[str, Any], key: str) -> int | None:
    """An integer Discourse sometimes sends as a string ("clicks": "7"; the OpenAPI schema
    types reply_to_post_number as string or null); None when absent or not a number."""
    value = data.get(key)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise BadData(f"{key!r} should be an integer, got {value!r:.40}")


def _count(data: dict[str, Any], key: str) -> int:
    return _loose_int(data, key) or 0


def _name(data: dict[str, Any], key: str = "name") -> str:
    """A display name: Discourse sends null when names are off or unset."""
    return as_opt_line(data, key) or ""


def _tags(data: dict[str, Any]) -> tuple[str, ...]:
    """Tags: a list of names, or (newer Discourse) of {id, name, slug} objects."""
    value = data.get("tags") or []
    if not isinstance(value, list):
        raise BadData(f"'tags' should be a list, got {value!r:.40}")
    names: list[str] = []
    for tag in value:
        if isinstance(tag, str):
            names.append(clean_line(tag))
        elif isinstance(tag, dict) and isinstance(tag.get("name"), str):
            names.append(clean_line(tag["name"]))
    return tuple(names)


def html_text(fragment: str, limit: int = BLURB_CHARS) -> str:
    """One line of plain, sanitised text from an HTML fragment, cut at `limit` characters."""
    return html_line(fragment, limit)


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            for name, value in attrs:
                if name == "href" and value:
                    self.hrefs.append(value)


def html_links(fragment: str) -> list[str]:
    """The href of every <a> in an HTML fragment, in order."""
    parser = _Hrefs()
    parser.feed(fragment)
    parser.close()
    return parser.hrefs


# -- users and the site ------------------------------------------------------------------------


def user(data: dict[str, Any]) -> User:
    """A user from /session/current.json's `current_user`, /u/{name}.json's `user`, or a
    directory / post-action list entry."""
    groups = data.get("groups")
    group_names: tuple[str, ...] = ()
    if isinstance(groups, list):
        group_names = tuple(
            clean_line(g["name"])
            for g in groups
            if isinstance(g, dict) and isinstance(g.get("name"), str)
        )
    return User(
        id=as_int(data, "id"),
        username=as_line(data, "username"),
        name=_name(data),
        is_moderator=as_bool(data, "moderator") or as_bool(data, "admin"),
        bio=as_opt_text(data, "bio_raw") or "",
        groups=group_names,
    )


def current_user(data: Any) -> User | None:
    """/session/current.json: the logged-in user (None when the body has none)."""
    body = _object(data, "the session")
    inner = _opt_object(body, "current_user")
    return user(inner) if inner is not None else None


def profile(data: Any) -> User:
    """/u/{username}.json."""
    return user(_object(_object(data, "the profile").get("user"), "'user'"))


def users(data: Any) -> list[User]:
    """A list of users: /directory_items.json or /post_action_users.json."""
    body = _object(data, "the user list")
    if "directory_items" in body:
        found = []
        for item in as_dicts(body, "directory_items"):
            # Newer Discourse nests the user; older put its fields on the item itself.
            found.append(user(_opt_object(item, "user") or item))
        return found
    return [user(item) for item in as_dicts(body, "post_action_users")]


def likers(data: Any) -> list[Reactors]:
    """/post_action_users.json?post_action_type_id=2: who liked a post. Discourse lists
    them oldest first (PostActionUsersController orders by created_at) without saying
    when, so the order is turned round and the times stay unknown. With discourse-reactions
    the main reaction is the like, so this is its people too; nobody gives no entry."""
    people = tuple(
        Reactor(username=as_line(item, "username"), name=_name(item))
        for item in reversed(as_dicts(_object(data, "the likers"), "post_action_users"))
    )
    return [Reactors(name=LIKE, users=people)] if people else []


def site_payload(data: Any) -> dict[str, Any]:
    """/site.json's object (Discourse's own front-end fixtures wrap it in {"site": ...})."""
    body = _object(data, "/site.json")
    inner = _opt_object(body, "site")
    if inner is not None and "categories" not in body and "notification_types" not in body:
        return inner
    return body


def notification_types(site: Any) -> dict[int, str]:
    """Notification type number -> name, from /site.json (the defaults where it has none)."""
    body = site_payload(site)
    given = _opt_object(body, "notification_types") or DEFAULT_NOTIFICATION_TYPES
    return {
        number: clean_line(name)
        for name, number in given.items()
        if isinstance(number, int) and not isinstance(number, bool)
    }


def has_solved(site: Any) -> bool:
    """discourse-solved preloads this category custom field into /site.json."""
    body = site_payload(site)
    for category in body.get("categories") or []:
        fields = category.get("custom_fields") if isinstance(category, dict) else None
        if isinstance(fields, dict) and "enable_accepted_answers" in fields:
            return True
    return False


def site_info(
    site: Any,
    basic: Any | None,
    *,
    host: str,
    reactions: Iterable[str] = (),
    solved: bool = False,
) -> SiteInfo:
    """The forum's name (from /site/basic-info.json, else its host name) and what it can do.

    /site.json does not name the discourse-reactions plugin; its reactions are learnt from
    a topic's `valid_reactions` and passed in. Likes, bookmarks and the MessageBus change
    poll are core; solved answers come with the plugin.
    """
    body = site_payload(site)
    name = ""
    anonymous_read = True
    if isinstance(basic, dict):
        name = as_opt_line(basic, "title") or ""
        anonymous_read = not as_bool(basic, "login_required")
    extra = tuple(r for r in reactions if r != LIKE)
    features = {"bookmarks", "changes", "links"}
    if extra:
        features.add("reactions")
    if solved or has_solved(body):
        features.add("solved")
    return SiteInfo(
        software="discourse",
        name=name.strip() or clean_line(host),
        reactions=(LIKE, *extra),
        features=frozenset(features),
        anonymous_read=anonymous_read,
    )


def valid_reactions(topic: dict[str, Any]) -> tuple[str, ...]:
    """discourse-reactions' `valid_reactions` of a topic view; its first entry is the one
    that counts as a like (Reaction.valid_reactions puts main_reaction_id first)."""
    return as_lines(topic, "valid_reactions")


# -- categories --------------------------------------------------------------------------------


def category(data: dict[str, Any], parent_id: int | None = None) -> Category:
    # Newer Discourse sends `description` as HTML and `description_text` as plain text.
    plain = as_opt_text(data, "description_text")
    html = as_opt_text(data, "description")
    description = plain if plain is not None else (html_text(html, 10_000) if html else "")
    parent = as_opt_int(data, "parent_category_id")
    return Category(
        id=as_int(data, "id"),
        slug=as_line(data, "slug"),
        name=as_line(data, "name"),
        description=description,
        restricted=as_bool(data, "read_restricted"),
        topic_count=_count(data, "topic_count"),
        parent_id=parent if parent is not None else parent_id,
    )


def categories(data: Any) -> list[Category]:
    """Categories from /site.json (a flat list, subcategories included) or /categories.json
    (`category_list.categories`, subcategories nested in `subcategory_list` when asked)."""
    body = _object(data, "the category list")
    if "category_list" in body:
        items = as_dicts(_object(body["category_list"], "'category_list'"), "categories")
    else:
        items = as_dicts(site_payload(body), "categories", required=False)
    found: list[Category] = []
    seen: set[int] = set()

    def add(item: dict[str, Any], parent_id: int | None) -> None:
        entry = category(item, parent_id)
        if entry.id not in seen:
            seen.add(entry.id)
            found.append(entry)
        for child in as_dicts(item, "subcategory_list", required=False):
            add(child, entry.id)

    for item in items:
        add(item, None)
    return found


# -- topics ------------------------------------------------------------------------------------


def _category_id(data: dict[str, Any]) -> int:
    """A private message has no category: 0 stands for none."""
    return as_opt_int(data, "category_id") or 0


def list_topic(data: dict[str, Any], users_by_id: dict[int, str]) -> Topic:
    """One entry of a topic list (`topic_list.topics`)."""
    last_poster = as_opt_line(data, "last_poster_username") or ""
    username = ""
    posters = as_dicts(data, "posters", required=False)
    original = next(
        (p for p in posters if "Original Poster" in (as_opt_line(p, "description") or "")),
        posters[0] if posters else None,
    )
    if original is not None:
        poster_id = as_opt_int(original, "user_id")
        username = users_by_id.get(poster_id, "") if poster_id is not None else ""
        if not username and "Most Recent Poster" in (as_opt_line(original, "description") or ""):
            username = last_poster  # the list left its users out; the OP posted last
    # Unread posts: `unread_posts` since 2021; `unread` + `new_posts` before.
    unread = _loose_int(data, "unread_posts")
    if unread is None:
        unread = _count(data, "unread") + _count(data, "new_posts")
    last_read = as_opt_int(data, "last_read_post_number")
    return Topic(
        id=as_int(data, "id"),
        title=as_line(data, "title"),
        category_id=_category_id(data),
        username=username,
        posts_count=_count(data, "posts_count"),
        reply_count=_count(data, "reply_count"),
        bumped_at=as_time(data, "bumped_at"),
        solved=as_bool(data, "has_accepted_answer"),
        pinned=as_bool(data, "pinned"),
        closed=as_bool(data, "closed"),
        unread_count=unread,
        tags=_tags(data),
        created_at=as_opt_time(data, "created_at"),
        last_poster=last_poster,
        highest_post_number=_count(data, "highest_post_number"),
        like_count=_count(data, "like_count"),
        last_read_post_number=last_read,
        seen=not as_bool(data, "unseen") if "unseen" in data else last_read is not None,
        archetype=as_opt_line(data, "archetype") or "regular",
    )


def topic_list(data: Any) -> TopicList:
    """/latest.json, /c/.../l/latest.json, /tag/.../l/latest.json, /top.json, ...: the
    next page is `more_topics_url`, kept as an opaque cursor."""
    body = _object(data, "the topic list")
    listing = _object(body.get("topic_list"), "'topic_list'")
    users_by_id: dict[int, str] = {}
    for entry in as_dicts(body, "users", required=False):
        uid = as_opt_int(entry, "id")
        name = as_opt_line(entry, "username")
        if uid is not None and name:
            users_by_id[uid] = name
    topics = tuple(list_topic(t, users_by_id) for t in as_dicts(listing, "topics"))
    more = as_opt_line(listing, "more_topics_url")
    return TopicList(topics=topics, next_cursor=more or None)


def _details_username(details: dict[str, Any] | None, key: str) -> str:
    who = _opt_object(details, key) if details is not None else None
    return (as_opt_line(who, "username") or "") if who is not None else ""


def topic(data: dict[str, Any], posts: tuple[Post, ...] = ()) -> Topic:
    """The topic of a topic view (/t/{id}.json)."""
    details = _opt_object(data, "details")
    username = _details_username(details, "created_by")
    if not username:
        username = next((p.username for p in posts if p.post_number == 1), "")
    accepted = _opt_object(data, "accepted_answer")
    solution = as_opt_int(accepted, "post_number") if accepted is not None else None
    # A topic view has no bumped_at: its last post's time is the nearest thing.
    bumped = as_opt_time(data, "bumped_at") or as_opt_time(data, "last_posted_at")
    bumped = bumped or as_opt_time(data, "created_at") or UNKNOWN_TIME
    last_read = as_opt_int(data, "last_read_post_number")
    return Topic(
        id=as_int(data, "id"),
        title=as_line(data, "title"),
        category_id=_category_id(data),
        username=username,
        posts_count=_count(data, "posts_count"),
        reply_count=_count(data, "reply_count"),
        bumped_at=bumped,
        solved=accepted is not None
        or as_bool(data, "has_accepted_answer")
        or any(p.accepted for p in posts),
        pinned=as_bool(data, "pinned"),
        closed=as_bool(data, "closed"),
        tags=_tags(data),
        created_at=as_opt_time(data, "created_at"),
        last_poster=_details_username(details, "last_poster"),
        highest_post_number=_count(data, "highest_post_number"),
        like_count=_count(data, "like_count"),
        solution_post_number=solution
        if solution is not None
        else next((p.post_number for p in posts if p.accepted), None),
        last_read_post_number=last_read,
        seen=last_read is not None,
        archetype=as_opt_line(data, "archetype") or "regular",
    )


def topic_page(data: Any, *, main_reaction: str | None = None) -> TopicPage:
    """/t/{id}.json: the topic, every post id (`post_stream.stream`; absent on topics of
    10,000+ posts) and the posts loaded with it (the first chunk of 20)."""
    body = _object(data, "the topic")
    topic_id = as_int(body, "id")
    reactions = valid_reactions(body)
    main = reactions[0] if reactions else main_reaction
    stream = _object(body.get("post_stream"), "'post_stream'")
    loaded = tuple(
        sorted(
            (post(p, topic_id=topic_id, main_reaction=main) for p in as_dicts(stream, "posts")),
            key=lambda p: p.post_number,
        )
    )
    ids: tuple[int, ...] | None = None
    if isinstance(stream.get("stream"), list):
        ids = tuple(
            value
            for value in as_list(stream, "stream")
            if isinstance(value, int) and not isinstance(value, bool)
        )
    return TopicPage(topic=topic(body, loaded), post_ids=ids, posts=loaded)


# -- posts -------------------------------------------------------------------------------------


def _actions(data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {
        action_id: entry
        for entry in as_dicts(data, "actions_summary", required=False)
        if (action_id := as_opt_int(entry, "id")) is not None
    }


def reactions_of(
    data: dict[str, Any], main_reaction: str | None
) -> tuple[tuple[Reaction, ...], int]:
    """(reactions, like count) of a post.

    Core Discourse has likes only (post action 2 in `actions_summary`: `count`, and `acted`
    when it is ours). discourse-reactions adds `reactions` ([{id, type, count}]) and
    `current_user_reaction`; its main reaction *is* the like, so it is reported as "like".
    """
    like = _actions(data).get(LIKE_ACTION, {})
    like_count = _loose_int(like, "count")
    if like_count is None:
        like_count = _count(data, "like_count")
    liked = as_bool(like, "acted")
    found: list[Reaction] = []
    if isinstance(data.get("reactions"), list):
        main = main_reaction or DEFAULT_MAIN_REACTION
        mine = _opt_object(data, "current_user_reaction")
        my_reaction = as_opt_line(mine, "id") if mine is not None else None
        for entry in as_dicts(data, "reactions"):
            reaction_id = as_line(entry, "id")
            found.append(
                Reaction(
                    name=LIKE if reaction_id == main else reaction_id,
                    count=_count(entry, "count"),
                    reacted=my_reaction == reaction_id or (reaction_id == main and liked),
                )
            )
    if not any(r.name == LIKE for r in found) and (like_count or liked):
        found.insert(0, Reaction(name=LIKE, count=max(like_count, int(liked)), reacted=liked))
    return tuple(found), like_count


def post(data: Any, *, topic_id: int | None = None, main_reaction: str | None = None) -> Post:
    """A post (PostSerializer): from a topic's post stream, /posts/{id}.json, or a write's
    answer. Inside a topic view the topic's id wins over the post's own `topic_id`.

    `raw` is kept only when it is Markdown text; otherwise the post is shown from `cooked`.
    """
    body = _object(data, "a post")
    if "post" in body and isinstance(body["post"], dict) and "id" not in body:
        body = body["post"]  # PUT /posts/{id}.json answers {"post": {...}}
    reactions, like_count = reactions_of(body, main_reaction)
    raw = body.get("raw")
    return Post(
        id=as_int(body, "id"),
        topic_id=topic_id if topic_id is not None else as_int(body, "topic_id"),
        post_number=as_int(body, "post_number"),
        username=as_line(body, "username"),
        created_at=as_time(body, "created_at"),
        raw=clean(raw) if isinstance(raw, str) else None,
        cooked=as_opt_text(body, "cooked"),
        reply_to_post_number=_loose_int(body, "reply_to_post_number"),
        name=_name(body),
        updated_at=as_opt_time(body, "updated_at"),
        version=_loose_int(body, "version") or 1,
        deleted=body.get("deleted_at") is not None or as_bool(body, "user_deleted"),
        like_count=like_count,
        reply_count=_count(body, "reply_count"),
        reactions=reactions,
        accepted=as_bool(body, "accepted_answer"),
        bookmarked=as_bool(body, "bookmarked"),
        can_edit=as_bool(body, "can_edit"),
    )


def post_stream(data: Any, *, topic_id: int, main_reaction: str | None = None) -> list[Post]:
    """/t/{id}/posts.json: {"post_stream": {"posts": [...]}, "id": topic id}."""
    body = _object(data, "the posts")
    stream = _object(body.get("post_stream"), "'post_stream'")
    return [
        post(p, topic_id=topic_id, main_reaction=main_reaction) for p in as_dicts(stream, "posts")
    ]


def latest_posts(data: Any) -> list[Post]:
    """/posts.json: the forum's latest posts, each with its topic."""
    return [post(p) for p in as_dicts(_object(data, "the posts"), "latest_posts")]


def bookmark_id(data: Any) -> int | None:
    """The id of our bookmark on a post (PostSerializer's `bookmark_id`), if any."""
    return as_opt_int(_object(data, "a post"), "bookmark_id")


@dataclass(frozen=True)
class CreatedPost:
    """What POST /posts.json answered: the post, or that it waits for a moderator."""

    post: Post | None
    pending_id: int | None = None


def created_post(data: Any, *, main_reaction: str | None = None) -> CreatedPost:
    """POST /posts.json answers the new post itself, or {"action": "enqueued",
    "pending_post": {...}} when a moderator must approve it first."""
    body = _object(data, "the new post")
    if body.get("action") == "enqueued":
        pending = _opt_object(body, "pending_post")
        return CreatedPost(
            post=None, pending_id=as_opt_int(pending, "id") if pending is not None else None
        )
    if "post" in body and isinstance(body["post"], dict) and "id" not in body:
        body = body["post"]  # the nested form (nested_post=true)
    return CreatedPost(post=post(body, main_reaction=main_reaction))


# -- links, search, notifications, bookmarks ---------------------------------------------------


def topic_links(data: Any, *, base_url: str) -> list[Link]:
    """The topic map's links (`details.links`: url, title, clicks, user_id, internal).

    Discourse does not say which post a link is in; it is found by looking for the link in
    the loaded posts' HTML, else the first post of the user who shared it, else 0 (unknown).
    Relative (internal) links are made absolute on the forum; links back to this topic from
    elsewhere (`reflection`) are not links *in* the thread and are left out.
    """
    body = _object(data, "the topic")
    topic_id = as_int(body, "id")
    details = _opt_object(body, "details") or {}
    stream = _opt_object(body, "post_stream") or {}
    loaded = as_dicts(stream, "posts", required=False)
    names: dict[int, str] = {}
    for who in as_dicts(details, "participants", required=False):
        uid = as_opt_int(who, "id")
        if uid is not None and as_opt_line(who, "username"):
            names[uid] = as_line(who, "username")
    for entry in loaded:
        uid = as_opt_int(entry, "user_id")
        if uid is not None and uid not in names and as_opt_line(entry, "username"):
            names[uid] = as_line(entry, "username")
    hrefs = [
        (
            entry,
            [urljoin(base_url + "/", h) for h in html_links(as_opt_text(entry, "cooked") or "")],
        )
        for entry in loaded
    ]
    links: list[Link] = []
    for item in as_dicts(details, "links", required=False):
        if as_bool(item, "reflection"):
            continue
        url = urljoin(base_url + "/", as_line(item, "url"))
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        uid = as_opt_int(item, "user_id")
        where = next((entry for entry, found in hrefs if url in found), None)
        if where is None and uid is not None:
            where = next((e for e in loaded if as_opt_int(e, "user_id") == uid), None)
        username = names.get(uid, "") if uid is not None else ""
        if where is not None and not username:
            username = as_opt_line(where, "username") or ""
        post_id = post_number = 0  # unknown: the link is in no loaded post
        if where is not None:
            post_id = as_opt_int(where, "id") or 0
            post_number = as_opt_int(where, "post_number") or 0
        links.append(
            Link(
                url=url,
                username=username,
                post_id=post_id,
                post_number=post_number,
                topic_id=topic_id,
                title=as_opt_line(item, "title") or None,
            )
        )
    return links


def search_page(data: Any, *, offset: int = 0) -> SearchPage:
    """/search.json?q=...: posts, each with its topic from `topics`. Newer Discourse sends
    a plain-text `blurb`; older answers only the post's HTML, which is reduced to text."""
    body = _object(data, "the search results")
    titles: dict[int, dict[str, Any]] = {}
    for entry in as_dicts(body, "topics", required=False):
        tid = as_opt_int(entry, "id")
        if tid is not None:
            titles[tid] = entry
    results: list[SearchResult] = []
    for entry in as_dicts(body, "posts", required=False):
        topic_id = as_int(entry, "topic_id")
        about = titles.get(topic_id, {})
        blurb = as_opt_text(entry, "blurb")
        blurb = " ".join(blurb.split()) if blurb is not None else ""
        if not blurb:
            blurb = html_text(as_opt_text(entry, "cooked") or "")
        title = as_opt_line(about, "title") or as_opt_line(entry, "topic_title") or ""
        results.append(
            SearchResult(
                topic_id=topic_id,
                post_number=as_int(entry, "post_number"),
                topic_title=title,
                username=as_line(entry, "username"),
                blurb=blurb,
                post_id=as_opt_int(entry, "id"),
                category_id=as_opt_int(about, "category_id"),
                created_at=as_opt_time(entry, "created_at"),
                solved=as_bool(about, "has_accepted_answer"),
                accepted=as_bool(entry, "accepted_answer"),
            )
        )
    grouped = _opt_object(body, "grouped_search_result") or {}
    more = grouped.get("more_full_page_results") or grouped.get("more_posts")
    next_offset = offset + SEARCH_PAGE_SIZE if more and results else None
    return SearchPage(results=tuple(results), next_offset=next_offset)


def notification(data: dict[str, Any], types: dict[int, str]) -> Notification:
    """One notification. Its kind comes from the forum's own type numbers; `data` holds
    who did it and the topic's title. The 2014 API sent neither `id` nor (in Discourse's
    front-end fixtures) `created_at`: those become 0 and UNKNOWN_TIME."""
    extra = _opt_object(data, "data") or {}
    type_name = types.get(as_int(data, "notification_type"), "")
    kind = _KIND_BY_TYPE_NAME.get(type_name, NotificationKind.OTHER)
    if type_name == "custom" and extra.get("message") == SOLVED_MESSAGE:
        kind = NotificationKind.SOLVED
    detail = ""
    if type_name in ("liked", "liked_consolidated"):
        detail = LIKE
    elif type_name == "reaction":
        detail = as_opt_line(extra, "reaction_icon") or ""
    elif kind is NotificationKind.OTHER:
        detail = type_name.replace("_", " ")
    actor = as_opt_line(extra, "display_username") or as_opt_line(extra, "username") or ""
    return Notification(
        id=as_opt_int(data, "id") or 0,
        kind=kind,
        created_at=as_opt_time(data, "created_at") or UNKNOWN_TIME,
        read=as_bool(data, "read"),
        actor=actor,
        topic_id=as_opt_int(data, "topic_id"),
        topic_title=as_opt_line(extra, "topic_title") or as_opt_line(data, "fancy_title") or "",
        post_id=as_opt_int(extra, "original_post_id"),
        post_number=as_opt_int(data, "post_number"),
        detail=detail,
    )


def notification_list(data: Any, types: dict[int, str] | None = None) -> NotificationList:
    """/notifications.json: {"notifications": [...], ...} (a bare list before 2015)."""
    known = types or {v: k for k, v in DEFAULT_NOTIFICATION_TYPES.items()}
    if isinstance(data, list):
        entries = as_dicts({"notifications": data}, "notifications")
    else:
        entries = as_dicts(_object(data, "the notifications"), "notifications")
    items = tuple(notification(entry, known) for entry in entries)
    return NotificationList(notifications=items, unread_count=sum(1 for n in items if not n.read))


def bookmarks(data: Any) -> list[Bookmark]:
    """/u/{username}/bookmarks.json. Each entry is the bookmark, not the post: the post's
    text is the bookmark's excerpt (HTML), and its time is when it was bookmarked."""
    body = _object(data, "the bookmarks")
    listing = _opt_object(body, "user_bookmark_list") or body
    found: list[Bookmark] = []
    for entry in as_dicts(listing, "bookmarks", required=False):
        kind = as_opt_line(entry, "bookmarkable_type")
        if kind is not None and kind != "Post":
            continue  # a bookmarked topic (not a post) has no post to show
        post_id = as_opt_int(entry, "post_id") or as_opt_int(entry, "bookmarkable_id")
        topic_id = as_opt_int(entry, "topic_id")
        if post_id is None or topic_id is None:
            raise BadData("a bookmark should name its post and topic")
        who = _opt_object(entry, "user") or {}
        username = as_opt_line(entry, "post_user_username") or as_opt_line(who, "username")
        number = as_opt_int(entry, "linked_post_number") or as_opt_int(entry, "post_number")
        found.append(
            Bookmark(
                post=Post(
                    id=post_id,
                    topic_id=topic_id,
                    post_number=number or 1,
                    username=username or "",
                    created_at=as_time(entry, "created_at"),
                    cooked=as_opt_text(entry, "excerpt"),
                    name=_name(entry, "post_user_name"),
                    deleted=as_bool(entry, "deleted"),
                    bookmarked=True,
                ),
                topic_title=as_opt_line(entry, "title") or as_opt_line(entry, "fancy_title") or "",
            )
        )
    return found


# -- MessageBus --------------------------------------------------------------------------------

STATUS_CHANNEL = "/__status"


@dataclass(frozen=True)
class BusMessage:
    channel: str
    message_id: int
    global_id: int
    data: Any


def bus_messages(data: Any) -> list[BusMessage]:
    """A MessageBus poll's answer: [{global_id, message_id, channel, data}, ...]."""
    if not isinstance(data, list):
        raise BadData(f"a MessageBus answer should be a list, got {data!r:.40}")
    found = []
    for entry in as_dicts({"messages": data}, "messages"):
        found.append(
            BusMessage(
                channel=as_line(entry, "channel"),
                message_id=as_int(entry, "message_id"),
                global_id=as_int(entry, "global_id"),
                data=clean_json(entry.get("data")),
            )
        )
    return found


def bus_status(message: BusMessage) -> dict[str, int]:
    """A /__status message's data: the last message id of each channel asked for."""
    data = message.data if isinstance(message.data, dict) else {}
    return {
        channel: value
        for channel, value in data.items()
        if isinstance(value, int) and not isinstance(value, bool)
    }


# Topic-tracking channels (TopicTrackingState) and what their messages mean here.
TOPIC_CHANNELS: dict[str, str] = {
    "/latest": "topic.updated",  # bumped: a new post, usually
    "/new": "topic.created",
    "/delete": "topic.deleted",
    "/recover": "topic.updated",
}


def bus_change(message: BusMessage) -> Change | None:
    """The change a MessageBus message stands for, or None for one that says nothing here.

    /latest, /new, /delete, /recover carry {topic_id, message_type, payload: {category_id,
    bumped_at, ...}}; /notification/{user_id} carries the user's unread counts.
    """
    data = message.data if isinstance(message.data, dict) else {}
    seq = message.global_id if message.global_id >= 0 else None
    if message.channel.startswith("/notification/"):
        return Change(kind="notification.changed", seq=seq, data=data)
    kind = TOPIC_CHANNELS.get(message.channel)
    if kind is None:
        return None
    topic_id = as_opt_int(data, "topic_id")
    payload = _opt_object(data, "payload") or {}
    return Change(
        kind=kind,
        topic_id=topic_id,
        category_id=as_opt_int(payload, "category_id"),
        seq=seq,
        data={"channel": message.channel, **payload},
    )


def dumps_cursor(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


__all__ = [
    "CreatedPost",
    "bookmarks",
    "categories",
    "created_post",
    "current_user",
    "latest_posts",
    "notification_list",
    "post",
    "post_stream",
    "profile",
    "search_page",
    "site_info",
    "topic_links",
    "topic_list",
    "topic_page",
    "users",
]
