"""What a forum under contract test is known to hold, so the tests stay backend-agnostic."""

from __future__ import annotations

from dataclasses import dataclass

from tui.forum.backend import ForumBackend


@dataclass(frozen=True)
class Facts:
    name: str  # "native" or "discourse"
    category_slug: str  # a category that exists and has topics
    topic_id: int  # a topic with at least 3 posts, some of them replies to others
    long_topic_id: int  # a topic with more posts than one chunk (> 20)
    long_topic_posts: int  # how many posts it has
    search_word: str  # a word that finds at least one post
    logged_in: bool
    can_write: bool  # replies, edits, reactions work against this forum
    idempotent_creates: bool  # the forum itself honours idempotency keys
    has_resources: bool  # a community-wide resource library
    has_changes: bool  # a change feed (or a poll mapped to one)
    hostile_topic_id: int | None = None  # a topic whose title and body hold escapes/markup
    solved_topic_id: int | None = None  # a topic with an accepted answer
    linked_topic_id: int | None = None  # a topic with links in its posts
    reacted_post_id: int | None = None  # a post others reacted to, and who, newest first:
    reactors: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ((reaction, (username, ...)), ...)
    # The community features (tui/forum/community.py), as the logged-in member sees them.
    group_slug: str | None = None  # a group whose page lists its members
    open_group: str | None = None  # a group the member may join at once (not in it yet)
    request_group: str | None = None  # a group the member may ask to join (not in it yet)
    person: str | None = None  # someone with a profile
    conversation_title: str | None = None  # a private conversation the member is in
    unsupported: tuple[str, ...] = ()  # community features this forum lacks


@dataclass
class ContractForum:
    backend: ForumBackend
    facts: Facts
