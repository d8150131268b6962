"""Keeping the cache current from the forum's change feed.

`Syncer` asks the backend what changed since its cursor (kept in the cache's meta table,
so a restart carries on where it stopped) and applies that to the cache: new and edited
posts of cached threads are fetched (only those, in batches), deleted posts become
tombstones, and topics that changed are marked stale so the next read refetches them.
It knows nothing of how a backend finds its changes: Cohort's server has a change feed,
the Discourse adapter maps list and stream diffs to the same `Change` records.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from tui.forum.backend import ForumBackend, ForumError, NotFound, Offline, RateLimited
from tui.forum.cache import CATEGORY_ORDER, THREAD, TOPIC, Cache
from tui.forum.models import Change, ChangeBatch, Post
from tui.forum.repository import flush_reads

log = logging.getLogger(__name__)

CURSOR_KEY = "sync.cursor"
FETCH_BATCH = 100


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one step changed: screens showing these topics (or lists, or categories)
    should read them again."""

    topic_ids: frozenset[int]
    changes: int  # how many changes the batch held
    reset: bool = False  # everything cached was marked stale (cursor lost or too old)
    categories_changed: bool = False
    fetched_posts: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.topic_ids or self.reset or self.categories_changed)


class Syncer:
    """Applies a backend's changes to a cache, one batch per `step`."""

    def __init__(
        self,
        backend: ForumBackend,
        cache: Cache,
        *,
        backoff: tuple[float, float] = (1.0, 60.0),
    ) -> None:
        """`backoff`: first and longest wait between attempts while the forum is away."""
        self.backend = backend
        self.cache = cache
        self.backoff = backoff

    async def step(self, wait: float = 0) -> SyncResult:
        """Fetch one batch of changes (waiting up to `wait` seconds for news where the
        forum can) and apply it. The cursor moves only once the batch is applied, so a
        failure part-way (Offline) means the same batch is applied again next time."""
        await flush_reads(self.backend, self.cache)
        cursor = await asyncio.to_thread(self.cache.get_meta, CURSOR_KEY)
        try:
            batch = await self.backend.changes(cursor, wait=wait)
        except NotFound as exc:
            if exc.code != "cursor_expired":
                raise
            batch = await self.backend.changes(None)
            batch = ChangeBatch(changes=(), cursor=batch.cursor, reset=True)
        result = await self.apply(batch, first=cursor is None)
        await asyncio.to_thread(self.cache.set_meta, CURSOR_KEY, batch.cursor)
        return result

    async def apply(self, batch: ChangeBatch, *, first: bool = False) -> SyncResult:
        """Apply a batch to the cache. `first`: there was no cursor, so nothing is known
        about what changed since the cache was filled: everything is marked stale."""
        cache = self.cache
        reset = batch.reset or first
        if reset:
            await asyncio.to_thread(cache.invalidate_all)
        topics: set[int] = set()
        categories_changed = False
        refetch: dict[int, list[int]] = {}  # topic id -> post ids
        deleted: list[int] = []
        stale_topics: set[int] = set()
        all_lists = False
        for change in batch.changes:
            kind = change.kind
            if change.topic_id is not None:
                topics.add(change.topic_id)
            if kind.startswith("category."):
                categories_changed = True
                continue
            if change.topic_id is None:
                continue
            topic_id = change.topic_id
            if kind == "topic.deleted":
                await asyncio.to_thread(cache.forget_topic, topic_id)
                all_lists = True
                continue
            stale_topics.add(topic_id)
            if kind in ("topic.created", "topic.moved"):
                all_lists = True  # it joins lists it was never in
            if kind == "post.deleted" and change.post_id is not None:
                deleted.append(change.post_id)
            elif kind == "solution.changed":
                # The accepted flag moves: the new answer and whichever cached one had it.
                ids = refetch.setdefault(topic_id, [])
                if change.post_id is not None:
                    ids.append(change.post_id)
                ids.extend(await asyncio.to_thread(cache.accepted_post_ids, topic_id))
            elif change.post_id is not None and not kind.startswith("topic."):
                refetch.setdefault(topic_id, []).append(change.post_id)
        if deleted:
            await asyncio.to_thread(cache.mark_posts_deleted, deleted)
        fetched = 0
        for topic_id, ids in refetch.items():
            fetched += await self._refetch(topic_id, ids)
        for topic_id in sorted(stale_topics):
            await asyncio.to_thread(cache.mark_stale, TOPIC, topic_id)
            await asyncio.to_thread(cache.mark_stale, THREAD, topic_id)
            if not all_lists:
                await asyncio.to_thread(cache.invalidate_lists, topic_id)
        if all_lists:
            await asyncio.to_thread(cache.invalidate_lists)
        if categories_changed:
            await asyncio.to_thread(cache.mark_stale, CATEGORY_ORDER, 0)
        return SyncResult(
            topic_ids=frozenset(topics),
            changes=len(batch.changes),
            reset=reset,
            categories_changed=categories_changed,
            fetched_posts=fetched,
        )

    async def _refetch(self, topic_id: int, post_ids: Sequence[int]) -> int:
        """Fetch new or changed posts of a thread the cache holds (others are not worth a
        request: they are fetched when the thread is opened)."""
        cache = self.cache
        if await asyncio.to_thread(cache.get_post_ids, topic_id) is None:
            known = await asyncio.to_thread(cache.cached_post_numbers, topic_id)
            if not known:
                return 0
        ids = list(dict.fromkeys(post_ids))
        got: list[Post] = []
        for start in range(0, len(ids), FETCH_BATCH):
            try:
                got.extend(await self.backend.posts(topic_id, ids[start : start + FETCH_BATCH]))
            except NotFound:
                # The topic went away (or out of sight) between the change and now.
                await asyncio.to_thread(cache.forget_topic, topic_id)
                return 0
        mine = [p for p in got if p.topic_id == topic_id]
        await asyncio.to_thread(cache.put_posts, mine)
        return len(mine)

    async def run(
        self,
        stop: asyncio.Event,
        *,
        wait: float = 25,
        on_result: Callable[[SyncResult], Awaitable[None] | None] | None = None,
    ) -> None:
        """Step until `stop` is set, long-polling `wait` seconds per step; while the forum
        is away, wait longer each time (up to the longest backoff), with jitter. Forum
        errors are logged and retried the same way; `on_result` hears every change."""
        delay = self.backoff[0]
        while not stop.is_set():
            step = asyncio.ensure_future(self.step(wait))
            stopped = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({step, stopped}, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:  # the caller is going away: take both along
                for task in (step, stopped):
                    task.cancel()
                await asyncio.gather(step, stopped, return_exceptions=True)
                raise
            if not step.done():
                step.cancel()
                await asyncio.gather(step, return_exceptions=True)
                break
            stopped.cancel()
            await asyncio.gather(stopped, return_exceptions=True)
            try:
                result = step.result()
            except RateLimited as exc:
                pause = max(exc.retry_after, self.backoff[0])
            except Offline:
                pause = delay
                delay = min(delay * 2, self.backoff[1])
            except ForumError as exc:
                log.warning("sync failed: %s", exc.message)
                pause = delay
                delay = min(delay * 2, self.backoff[1])
            else:
                delay = self.backoff[0]
                if on_result is not None and result.changed:
                    done = on_result(result)
                    if done is not None:
                        await done
                continue
            jittered = pause * random.uniform(0.8, 1.2)
            try:
                await asyncio.wait_for(stop.wait(), timeout=jittered)
            except TimeoutError:
                pass


__all__ = ["CURSOR_KEY", "Change", "SyncResult", "Syncer"]
