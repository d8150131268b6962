"""What the client knows about a forum: plain dataclasses every backend maps into.

Widgets see nothing else. Backends build these from untrusted JSON through
`tui.forum.jsonread`, which checks types and runs every string through the sanitiser,
so nothing built here can carry a terminal escape or a bidi override into a widget.
`dump`/`load` turn them into JSON-ready dicts and back, for the cache.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from tui.forum.jsonread import (
    as_bool,
    as_int,
    as_line,
    as_lines,
    as_opt_int,
    as_opt_time,
    as_text,
    as_time,
)

T = TypeVar("T")


class Freshness(enum.StrEnum):
    """How current an answer is: just fetched, from the cache, or from the cache because
    the forum could not be reached."""

    FRESH = "fresh"
    STALE = "stale"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    name: str = ""
    is_moderator: bool = False
    bio: str = ""
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """What a forum is and what it can do; screens hide what `features` lacks."""

    software: str  # "cohort" or "discourse"
    name: str
    reactions: tuple[str, ...] = ("like",)
    features: frozenset[str] = frozenset()  # reactions, solved, bookmarks, resources, changes
    anonymous_read: bool = False


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    slug: str
    name: str
    description: str = ""
    guidelines: str = ""
    restricted: bool = False
    topic_count: int = 0
    unread_topics: int = 0
    parent_id: int | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Category:
        """From Cohort's server JSON (kept here for the widgets' tests and small callers)."""
        return cls(
            id=as_int(data, "id"),
            slug=as_line(data, "slug"),
            name=as_line(data, "name"),
            description=as_text(data, "description"),
            guidelines=as_text(data, "guidelines"),
            restricted=as_bool(data, "restricted"),
            topic_count=as_int(data, "topic_count", 0),
            unread_topics=as_int(data, "unread_topics", 0),
        )


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic as a list shows it, and as the head of a thread."""

    id: int
    title: str
    category_id: int
    username: str
    posts_count: int
    reply_count: int
    bumped_at: datetime
    solved: bool = False
    pinned: bool = False
    closed: bool = False
    unread_count: int = 0
    tags: tuple[str, ...] = ()
    created_at: datetime | None = None
    last_poster: str = ""
    highest_post_number: int = 0
    like_count: int = 0
    solution_post_number: int | None = None
    last_read_post_number: int | None = None
    seen: bool = False
    archetype: str = "regular"  # "private_message" for conversations

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Topic:
        """From Cohort's server JSON."""
        return cls(
            id=as_int(data, "id"),
            title=as_line(data, "title"),
            category_id=as_int(data, "category_id"),
            username=as_line(data, "username", ""),
            posts_count=as_int(data, "posts_count", 0),
            reply_count=as_int(data, "reply_count", 0),
            bumped_at=as_time(data, "bumped_at"),
            solved=as_bool(data, "solved"),
            pinned=as_bool(data, "pinned"),
            closed=as_bool(data, "closed"),
            unread_count=as_int(data, "unread_count", 0),
            tags=as_lines(data, "tags"),
            created_at=as_opt_time(data, "created_at"),
            last_poster=as_line(data, "last_poster", ""),
            highest_post_number=as_int(data, "highest_post_number", 0),
            like_count=as_int(data, "like_count", 0),
            solution_post_number=as_opt_int(data, "solution_post_number"),
            last_read_post_number=as_opt_int(data, "last_read_post_number"),
            seen=as_bool(data, "seen"),
        )


TopicSummary = Topic  # the name the first home screen used


@dataclass(frozen=True, slots=True)
class TopicList:
    topics: tuple[Topic, ...]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class Reaction:
    name: str
    count: int
    reacted: bool = False  # by the logged-in user


@dataclass(frozen=True, slots=True)
class Reactor:
    """Someone who reacted to a post. `created_at` is None where the forum does not say
    when (Discourse's list of likers)."""

    username: str
    name: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reactors:
    """Who reacted to a post with one reaction, newest first (so the Feedback pane can
    say who, not just how many)."""

    name: str
    users: tuple[Reactor, ...] = ()


@dataclass(frozen=True, slots=True)
class Post:
    """One post. `raw` is Markdown; a Discourse post that came without it has only
    `cooked` HTML, which the renderer turns into the same structure."""

    id: int
    topic_id: int
    post_number: int
    username: str
    created_at: datetime
    raw: str | None = None
    cooked: str | None = None
    reply_to_post_number: int | None = None
    name: str = ""
    updated_at: datetime | None = None
    version: int = 1
    deleted: bool = False
    like_count: int = 0
    reply_count: int = 0
    reactions: tuple[Reaction, ...] = ()
    accepted: bool = False
    bookmarked: bool = False
    can_edit: bool = False
    pending: bool = False  # written here, still in the outbox


@dataclass(frozen=True, slots=True)
class TopicPage:
    """A thread as first fetched: the topic, every post id in order where the forum says
    (None for Discourse topics too long to list them), and the first chunk of posts."""

    topic: Topic
    post_ids: tuple[int, ...] | None
    posts: tuple[Post, ...]


@dataclass(frozen=True, slots=True)
class Link:
    """A link shared in a post of a thread."""

    url: str
    username: str
    post_id: int
    post_number: int
    topic_id: int
    title: str | None = None
    created_at: datetime | None = None
    share_count: int = 1


@dataclass(frozen=True, slots=True)
class ResourceShare:
    username: str
    topic_id: int
    topic_title: str
    post_id: int
    post_number: int
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    """A link as the community's library shows it: one entry per URL."""

    url: str
    title: str | None = None
    share_count: int = 1
    topic_count: int = 1
    like_count: int = 0
    first_shared_by: str | None = None
    first_shared_at: datetime | None = None
    last_shared_at: datetime | None = None
    shares: tuple[ResourceShare, ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceList:
    resources: tuple[Resource, ...]
    next_cursor: str | None = None


class NotificationKind(enum.StrEnum):
    REPLY = "reply"
    MENTION = "mention"
    QUOTED = "quoted"
    REACTION = "reaction"
    SOLVED = "solved"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    kind: NotificationKind
    created_at: datetime
    read: bool = False
    actor: str = ""
    topic_id: int | None = None
    topic_title: str = ""
    post_id: int | None = None
    post_number: int | None = None
    detail: str = ""  # e.g. the reaction's name


@dataclass(frozen=True, slots=True)
class NotificationList:
    notifications: tuple[Notification, ...]
    unread_count: int = 0
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    topic_id: int
    post_number: int
    topic_title: str
    username: str
    blurb: str
    post_id: int | None = None
    category_id: int | None = None
    created_at: datetime | None = None
    solved: bool = False
    accepted: bool = False


@dataclass(frozen=True, slots=True)
class SearchPage:
    results: tuple[SearchResult, ...]
    next_offset: int | None = None


@dataclass(frozen=True, slots=True)
class Bookmark:
    post: Post
    topic_title: str = ""


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of a forum's change feed (or of a Discourse poll, mapped the same way)."""

    kind: str  # topic.created, post.created, post.edited, post.deleted, reaction.changed, ...
    topic_id: int | None = None
    post_id: int | None = None
    category_id: int | None = None
    seq: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    changes: tuple[Change, ...]
    cursor: str  # opaque: pass it back to get what came after
    reset: bool = False  # the old cursor was too old: reload everything you cached


# -- JSON round trip for the cache ------------------------------------------------------------


def dump(value: Any) -> Any:
    """A JSON-ready form of a model (or of lists/dicts of models)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple | frozenset | set):
        items = [dump(v) for v in value]
        return sorted(items) if isinstance(value, frozenset | set) else items
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    return value


def load(cls: type[T], data: Any) -> T:
    """Rebuild a model from `dump`'s output."""
    return typing.cast(T, _load(cls, data))


_HINTS: dict[type, dict[str, Any]] = {}


def _load(kind: Any, data: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        if data is None:
            return None
        return _load(options[0], data)
    if origin in (tuple, list, frozenset, set):
        (item,) = typing.get_args(kind)[:1]
        values = [_load(item, v) for v in data]
        return origin(values)
    if origin is dict:
        return dict(data)
    if kind is Any:
        return data
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = _HINTS.get(kind)
        if hints is None:
            hints = _HINTS[kind] = typing.get_type_hints(kind)
        names = {f.name for f in dataclasses.fields(kind)}
        return kind(**{k: _load(hints[k], v) for k, v in data.items() if k in names})
    if kind is datetime:
        return datetime.fromisoformat(data)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    return data
