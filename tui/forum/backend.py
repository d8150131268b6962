"""The one interface every forum adapter implements, and the errors they raise.

Screens, the cache and the outbox talk to a `ForumBackend`; whether it is Cohort's own
server or a Discourse forum is the adapter's business. One contract test suite runs
against every adapter. Every string an adapter returns has been sanitised (it builds its
models through `tui.forum.jsonread`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tui.forum.models import (
    Bookmark,
    Category,
    ChangeBatch,
    Link,
    NotificationList,
    Post,
    Reactors,
    ResourceList,
    SearchPage,
    SiteInfo,
    Topic,
    TopicList,
    TopicPage,
    User,
)


class ForumError(Exception):
    """A request to the forum failed; `message` is safe to display."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class AuthError(ForumError):
    """Not logged in, a bad or revoked key, or not allowed (401/403)."""


class NotFound(ForumError):
    """It does not exist, or is hidden from you (404/410)."""


class Conflict(ForumError):
    """Someone changed it first (409/412): edit again from `current` if it is known."""

    def __init__(
        self,
        message: str,
        *,
        current_version: int | None = None,
        status: int | None = None,
        code: str = "",
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.current_version = current_version


class Rejected(ForumError):
    """The forum refused the request as it stands (400/413/422): resending will not help."""


class RateLimited(ForumError):
    """Too many requests; try again after `retry_after` seconds."""

    def __init__(
        self, message: str, *, retry_after: float, status: int | None = None, code: str = ""
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class Offline(ForumError):
    """The forum could not be reached (no connection, DNS, timeout before sending).

    `ambiguous` is True when the request may have reached the forum (the connection broke
    after sending): a create must then be checked before it is sent again.
    """

    def __init__(
        self, message: str, *, ambiguous: bool = False, status: int | None = None, code: str = ""
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.ambiguous = ambiguous


class ServerError(ForumError):
    """The forum failed (5xx) or answered with something that is not what it should be."""


TOPIC_FILTERS = ("latest", "new", "unread", "top")


@runtime_checkable
class ForumBackend(Protocol):
    """An adapter to one forum, as one account (or anonymously)."""

    kind: str  # "cohort" or "discourse"
    base_url: str  # where it is, for display and for recognising topic URLs

    async def site(self) -> SiteInfo: ...

    async def me(self) -> User | None:
        """The logged-in user, or None when reading anonymously."""
        ...

    async def categories(self) -> list[Category]: ...

    async def topics(
        self,
        filter: str = "latest",
        *,
        category: Category | None = None,
        tag: str | None = None,
        cursor: str | None = None,
    ) -> TopicList: ...

    async def topic(self, topic_id: int) -> TopicPage:
        """The topic, every post id in order (when the forum lists them) and the first posts."""
        ...

    async def posts(self, topic_id: int, post_ids: list[int]) -> list[Post]:
        """Posts by id, in post-number order (the adapter batches as its forum needs)."""
        ...

    async def posts_after(self, topic_id: int, post_number: int, limit: int = 20) -> list[Post]:
        """Posts with numbers above `post_number`, in order: for threads too long to list."""
        ...

    async def post(self, post_id: int) -> Post: ...

    async def reactors(self, post_id: int) -> list[Reactors]:
        """Who reacted to the post, and how: one entry per reaction, its people newest
        first. One request, made only when asked (the Feedback pane's selected post)."""
        ...

    async def search(self, query: str, *, offset: int = 0) -> SearchPage: ...

    async def notifications(self) -> NotificationList: ...

    async def mark_notifications_read(self, ids: list[int] | None = None) -> None:
        """Mark these notifications read, or all of them when `ids` is None."""
        ...

    async def topic_links(self, topic_id: int) -> list[Link]: ...

    async def resources(
        self,
        *,
        category: Category | None = None,
        tag: str | None = None,
        query: str | None = None,
        sort: str = "recent",
        cursor: str | None = None,
    ) -> ResourceList: ...

    async def bookmarks(self) -> list[Bookmark]: ...

    # -- writes: creates take an idempotency key; edits the version they were made from --

    async def create_topic(
        self, *, title: str, raw: str, category: Category, tags: list[str], key: str
    ) -> TopicPage: ...

    async def reply(
        self, topic_id: int, raw: str, *, reply_to_post_number: int | None, key: str
    ) -> Post: ...

    async def edit_post(self, post: Post, raw: str) -> Post:
        """Replace `post`'s text; Conflict when it changed since `post` was fetched."""
        ...

    async def delete_post(self, post_id: int) -> None: ...

    async def react(self, post_id: int, name: str, on: bool) -> Post: ...

    async def set_solution(self, topic_id: int, post_id: int | None) -> None: ...

    async def set_read(self, topic_id: int, post_number: int) -> None: ...

    async def bookmark(self, post_id: int, on: bool) -> None: ...

    async def find_own_post(
        self, topic_id: int, raw: str, *, since_post_number: int
    ) -> Post | None:
        """After an ambiguous failure: a post of ours with exactly this text at the thread's
        tail, so a create is never sent twice where the forum has no idempotency keys."""
        ...

    # -- staying up to date --

    async def changes(self, cursor: str | None, *, wait: float = 0.0) -> ChangeBatch:
        """What changed since `cursor` (None: just the current cursor), waiting up to
        `wait` seconds for news where the forum can hold a request open."""
        ...

    async def aclose(self) -> None: ...


__all__ = [
    "TOPIC_FILTERS",
    "AuthError",
    "Conflict",
    "ForumBackend",
    "ForumError",
    "NotFound",
    "Offline",
    "RateLimited",
    "Rejected",
    "ServerError",
    "Topic",
]
