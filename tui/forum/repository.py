"""Reads that answer from the cache at once and from the forum as soon as it replies.

Every read is an async iterator of `Answer`s (stale-while-revalidate): what the cache
holds comes first, marked STALE; then the forum is asked, and its answer, once stored,
comes as FRESH. When the forum cannot be reached the cached value comes again marked
OFFLINE, so a screen always knows what it is showing. Screens render each answer as it
arrives and never wait on the network to paint.

Cache work runs in a worker thread (`asyncio.to_thread`) so that loading a long thread
from disk does not freeze the event loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, ParamSpec, TypeVar

from tui.forum.backend import ForumBackend, ForumError, NotFound, Offline, RateLimited
from tui.forum.cache import CATEGORY_ORDER, ME, NOTIFICATIONS, SITE, THREAD, Cache
from tui.forum.models import (
    Category,
    Freshness,
    NotificationList,
    Post,
    SearchPage,
    SiteInfo,
    TopicList,
    TopicPage,
    User,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")

_ANONYMOUS = User(id=0, username="")  # stands for "no one is logged in" inside `me`
FIRST_SCREEN = 40  # posts of a cached thread read for its first frame (a screen holds fewer)
FETCH_BATCH = 100  # post ids asked for at once (the backend splits further as its forum needs)


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """One answer to a read. `value` None means nothing to show (see `error`).

    `complete` is False while a thread's remaining posts are still being fetched: more
    answers follow. With `error` set and freshness STALE, `value` is the cached value the
    forum could not confirm.
    """

    value: T | None
    freshness: Freshness
    error: ForumError | None = None
    complete: bool = True


class Repository:
    """The forum as screens read it: cached first, then fresh, through one backend."""

    def __init__(self, backend: ForumBackend, cache: Cache, *, fresh_for: float = 0.0) -> None:
        """`fresh_for`: seconds a cached value counts as fresh without asking the forum
        (0: always revalidate). Worth setting while a `Syncer` keeps the cache current:
        it marks what changed as stale."""
        self.backend = backend
        self.cache = cache
        self.fresh_for = fresh_for

    async def _c(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await asyncio.to_thread(fn, *args, **kwargs)

    def _still_fresh(self, fetched_at: float | None) -> bool:
        return bool(self.fresh_for and fetched_at and time.time() - fetched_at < self.fresh_for)

    async def _swr(
        self,
        cached: T | None,
        fetched_at: float | None,
        fetch: Callable[[], Awaitable[T]],
        store: Callable[[T], Awaitable[T | None]],
    ) -> AsyncIterator[Answer[T]]:
        """The common shape: cached (STALE), then fresh (FRESH) or cached again (OFFLINE)."""
        if cached is not None:
            if self._still_fresh(fetched_at):
                yield Answer(cached, Freshness.FRESH)
                return
            yield Answer(cached, Freshness.STALE)
        try:
            value = await fetch()
        except Offline as exc:
            yield Answer(cached, Freshness.OFFLINE, exc)
            return
        except ForumError as exc:
            yield _failed(cached, exc)
            return
        stored = await store(value)
        yield Answer(stored if stored is not None else value, Freshness.FRESH)

    # -- reads --

    async def site(self) -> AsyncIterator[Answer[SiteInfo]]:
        """What the forum is and can do (cached, so an offline start knows it too)."""
        cache = self.cache

        async def store(value: SiteInfo) -> SiteInfo | None:
            return value if await self._c(cache.put_site, value) else None

        cached = await self._c(cache.get_site)
        fetched = await self._c(cache.fetched_at, SITE, 0)
        async for answer in self._swr(cached, fetched, self.backend.site, store):
            yield answer

    async def me(self) -> AsyncIterator[Answer[User]]:
        """The logged-in user; a FRESH answer with value None means anonymous."""
        cache = self.cache

        async def fetch() -> User:
            user = await self.backend.me()
            if user is None:
                return _ANONYMOUS
            return user

        async def store(value: User) -> User | None:
            if value is _ANONYMOUS:
                await self._c(cache.put_me, None)
                return None
            return value if await self._c(cache.put_me, value) else None

        cached = await self._c(cache.get_me)
        fetched = await self._c(cache.fetched_at, ME, 0)
        async for answer in self._swr(cached, fetched, fetch, store):
            if answer.value is _ANONYMOUS:
                answer = Answer(None, answer.freshness, answer.error)
            yield answer

    async def categories(self) -> AsyncIterator[Answer[list[Category]]]:
        cache = self.cache

        async def store(value: list[Category]) -> list[Category] | None:
            return value if await self._c(cache.put_categories, value) else None

        cached = await self._c(cache.get_categories)
        fetched = await self._c(cache.fetched_at, CATEGORY_ORDER, 0)
        async for answer in self._swr(cached, fetched, self.backend.categories, store):
            yield answer

    async def topics(
        self,
        filter: str = "latest",
        *,
        category: Category | None = None,
        tag: str | None = None,
        cursor: str | None = None,
    ) -> AsyncIterator[Answer[TopicList]]:
        cache = self.cache
        key = cache.list_key(filter, category.id if category else None, tag, cursor)

        async def fetch() -> TopicList:
            return await self.backend.topics(filter, category=category, tag=tag, cursor=cursor)

        async def store(value: TopicList) -> TopicList | None:
            if not await self._c(cache.put_topic_list, key, value):
                return None
            return await self._c(cache.get_topic_list, key)  # with local read marks

        cached = await self._c(cache.get_topic_list, key)
        fetched = await self._c(cache.list_fetched_at, key)
        async for answer in self._swr(cached, fetched, fetch, store):
            yield answer

    async def notifications(self) -> AsyncIterator[Answer[NotificationList]]:
        cache = self.cache

        async def store(value: NotificationList) -> NotificationList | None:
            return value if await self._c(cache.put_notifications, value) else None

        cached = await self._c(cache.get_notifications)
        fetched = await self._c(cache.fetched_at, NOTIFICATIONS, 0)
        async for answer in self._swr(cached, fetched, self.backend.notifications, store):
            yield answer

    async def search(self, query: str, *, offset: int = 0) -> AsyncIterator[Answer[SearchPage]]:
        """The forum's search; when it cannot be reached, the cached posts' (OFFLINE)."""
        try:
            page = await self.backend.search(query, offset=offset)
        except Offline as exc:
            local = await self._c(self.cache.search, query, offset=offset)
            yield Answer(local, Freshness.OFFLINE, exc)
            return
        except ForumError as exc:
            yield Answer(None, Freshness.FRESH, exc)
            return
        yield Answer(page, Freshness.FRESH)

    async def thread(
        self, topic_id: int, *, max_fetch: int | None = None, first_screen: bool = False
    ) -> AsyncIterator[Answer[TopicPage]]:
        """A thread with every post that can be had: the cached ones first; then the
        topic afresh (head, post ids, first chunk) and only the posts not cached yet.

        `max_fetch` caps how many posts beyond the first chunk are fetched this time
        (None: all). While posts are still coming, answers have `complete=False`.
        `first_screen`: a long cached thread's first posts come first, alone (a screen
        opening it paints them in a fraction of the time the whole thread takes to read).
        """
        cache = self.cache
        limit = FIRST_SCREEN + 1 if first_screen else None
        cached = await self._c(cache.get_thread, topic_id, limit=limit)
        if cached is not None and first_screen and len(cached.posts) > FIRST_SCREEN:
            screenful = dataclasses.replace(cached, posts=cached.posts[:FIRST_SCREEN])
            yield Answer(screenful, Freshness.STALE, complete=False)
            cached = await self._c(cache.get_thread, topic_id)
        if cached is not None:
            if self._still_fresh(await self._c(cache.fetched_at, THREAD, topic_id)):
                yield Answer(cached, Freshness.FRESH)
                return
            yield Answer(cached, Freshness.STALE)
        try:
            head = await self.backend.topic(topic_id)
        except Offline as exc:
            yield Answer(cached, Freshness.OFFLINE, exc)
            return
        except NotFound as exc:
            # Deleted, or moved where this account cannot see it: it must not linger here.
            await self._c(cache.forget_topic, topic_id)
            yield Answer(None, Freshness.FRESH, exc)
            return
        except ForumError as exc:
            yield _failed(cached, exc)
            return
        stored = await self._c(cache.put_thread, head)
        unstored: dict[int, Post] = {}  # fetched posts the cache failed to keep

        async def keep(posts: list[Post]) -> None:
            nonlocal stored
            if not await self._c(cache.put_posts, posts):
                stored = False
                unstored.update((p.id, p) for p in posts)

        async def current() -> TopicPage:
            page = await self._c(cache.get_thread, topic_id)
            if stored and page is not None:
                return page
            return _merged(head, page, unstored)

        budget = max_fetch
        complete = True
        if head.post_ids is not None:
            known = await self._c(cache.cached_post_numbers, topic_id)
            missing = [i for i in head.post_ids if i not in known]
            if budget is not None and len(missing) > budget:
                missing = missing[: max(0, budget)]
                complete = False
            if missing:
                yield Answer(await current(), Freshness.FRESH, complete=False)
            for start in range(0, len(missing), FETCH_BATCH):
                batch = missing[start : start + FETCH_BATCH]
                try:
                    posts = await self.backend.posts(topic_id, batch)
                except ForumError as exc:
                    yield _interrupted(await current(), exc)
                    return
                await keep([p for p in posts if p.topic_id == topic_id])
        else:
            # A thread too long for the forum to list its ids: page on by post number.
            known = await self._c(cache.cached_post_numbers, topic_id)
            last = max([*known.values(), *(p.post_number for p in head.posts)], default=0)
            highest = head.topic.highest_post_number
            fetched = 0
            first = True
            while not highest or last < highest:
                if budget is not None and fetched >= budget:
                    complete = False
                    break
                if first:
                    yield Answer(await current(), Freshness.FRESH, complete=False)
                    first = False
                try:
                    posts = await self.backend.posts_after(topic_id, last)
                except ForumError as exc:
                    yield _interrupted(await current(), exc)
                    return
                posts = [p for p in posts if p.topic_id == topic_id and p.post_number > last]
                if not posts:
                    break
                await keep(posts)
                last = max(p.post_number for p in posts)
                fetched += len(posts)
        yield Answer(await current(), Freshness.FRESH, complete=complete)

    # -- write-through: what the outbox and screens tell the cache --

    async def remember_post(self, post: Post) -> None:
        """A post the forum accepted (a reply sent, an edit saved): cache it now, so the
        thread shows it before the next fetch."""
        if post.pending:
            raise ValueError("pending posts live in the outbox, not in the cache")
        await self._c(self.cache.put_posts, [post])
        await self._c(self.cache.invalidate_lists, post.topic_id)

    async def remember_topic(self, page: TopicPage) -> None:
        """A topic the forum accepted (a new topic sent): cache its thread now, and let
        the lists it belongs to be read again."""
        await self._c(self.cache.put_thread, page)
        await self._c(self.cache.invalidate_lists, page.topic.id)

    async def forget_post(self, post_id: int) -> None:
        """A post was deleted: keep a tombstone (as the forum does), out of search."""
        topics = await self._c(self.cache.mark_posts_deleted, [post_id])
        for topic_id in topics:
            await self._c(self.cache.mark_stale, THREAD, topic_id)

    async def mark_read(self, topic_id: int, post_number: int) -> bool:
        """Read up to `post_number`: noted in the cache at once, then told to the forum.
        False when the forum could not be told now; `flush_reads` (run by the `Syncer`)
        tells it later."""
        await self._c(self.cache.set_read_state, topic_id, post_number, pending=True)
        return await tell_read(self.backend, self.cache, topic_id, post_number)

    async def flush_reads(self) -> int:
        """Tell the forum the read marks it missed; returns how many it took."""
        return await flush_reads(self.backend, self.cache)


async def tell_read(backend: ForumBackend, cache: Cache, topic_id: int, post_number: int) -> bool:
    """Send one read mark; clear its pending flag once sent or refused for good."""
    try:
        await backend.set_read(topic_id, post_number)
    except (Offline, RateLimited):
        return False
    except ForumError as exc:
        # Refused (topic gone, no permission): retrying cannot help; keep the mark locally.
        log.info("read mark for topic %s refused: %s", topic_id, exc.message)
        await asyncio.to_thread(cache.clear_pending_read, topic_id, post_number)
        return False
    await asyncio.to_thread(cache.clear_pending_read, topic_id, post_number)
    return True


async def flush_reads(backend: ForumBackend, cache: Cache) -> int:
    sent = 0
    for topic_id, number in await asyncio.to_thread(cache.pending_reads):
        try:
            await backend.set_read(topic_id, number)
        except (Offline, RateLimited):
            break
        except ForumError as exc:
            log.info("read mark for topic %s refused: %s", topic_id, exc.message)
        else:
            sent += 1
        await asyncio.to_thread(cache.clear_pending_read, topic_id, number)
    return sent


def _failed(cached: T | None, exc: ForumError) -> Answer[T]:
    """The forum answered with an error: keep showing what is cached, with the error."""
    if cached is None:
        return Answer(None, Freshness.FRESH, exc)
    return Answer(cached, Freshness.STALE, exc)


def _interrupted(page: TopicPage, exc: ForumError) -> Answer[TopicPage]:
    """Posts stopped coming part-way through a thread."""
    freshness = Freshness.OFFLINE if isinstance(exc, Offline) else Freshness.FRESH
    return Answer(page, freshness, exc, complete=False)


def _merged(head: TopicPage, cached: TopicPage | None, fetched: dict[int, Post]) -> TopicPage:
    """The thread when the cache failed to store it (disk full, locked): the fresh head
    with the posts cached before and those fetched since."""
    posts: dict[int, Post] = {p.id: p for p in (cached.posts if cached else ())}
    posts.update((p.id, p) for p in head.posts)
    posts.update(fetched)
    ordered: Sequence[Post] = sorted(posts.values(), key=lambda p: (p.post_number, p.id))
    return TopicPage(topic=head.topic, post_ids=head.post_ids, posts=tuple(ordered))


def repository_of(app: object) -> Repository | None:
    """The app's repository once the forum is open (None before): screens ask the app,
    which owns it."""
    repo = getattr(app, "repo", None)
    return repo if isinstance(repo, Repository) else None
