"""The outbox: every write the user makes, kept until the forum has it, and sent once.

A reply, a new topic, an edit or a new private conversation is stored first (one durable
transaction), then sent by `send_due` whenever the forum can be reached. Each item
carries an idempotency key made when it was queued and reused on every retry, so a forum
with idempotency keys never creates it twice. Where a send may have reached the forum
without us hearing back (the connection broke after sending, a 5xx, or the process died
mid-send), the item is *ambiguous*: before sending it again to a forum without
idempotency keys, the outbox looks for it in the thread (`find_own_post`) and, if it is
there, takes that post; a new topic among the latest topics, a new conversation among
the user's conversations.

A conversation goes through the forum's community adapter (`community_of`); a forum with
no private messages rejects it with its reason, keeping the text.

States: queued -> sending -> sent | conflict | rejected | failed (retrying).
Network trouble, rate limits and server errors put an item back in the queue with an
exponential backoff; a conflict or a rejection keeps the text and the reason for the
composer. Nothing is deleted except by `discard`, or a week after it was sent.
Every transition is one transaction on a synchronous=FULL connection.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import random
import socket
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from tui.forum import statedb
from tui.forum.backend import (
    AuthError,
    Conflict,
    ForumError,
    NotFound,
    Offline,
    RateLimited,
    Rejected,
    ServerError,
)
from tui.forum.community import Community, community_of
from tui.forum.models import Category, Post, SiteInfo, TopicList, TopicPage, User, dump, load
from tui.forum.sanitize import clean, clean_line

BACKOFF_FIRST = 2.0  # seconds before the first retry
BACKOFF_CAP = 300.0
SENT_KEPT_FOR = 7 * 24 * 3600.0  # sent items stay visible this long, then are pruned
LEASE = 600.0  # a `sending` claim older than this is abandoned, whoever holds it
TOPIC_SEARCH_SKEW = 600.0  # clock difference allowed when matching our own new topic
NO_CONVERSATIONS = "this forum has no private messages"


class OutboxState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    CONFLICT = "conflict"
    REJECTED = "rejected"
    FAILED = "failed"  # an unexpected error; retried with backoff like `queued`


class OutboxKind(enum.StrEnum):
    REPLY = "reply"
    TOPIC = "topic"
    EDIT = "edit"
    MESSAGE = "message"  # a new private conversation


PENDING = (OutboxState.QUEUED, OutboxState.SENDING, OutboxState.FAILED)
PROBLEMS = (OutboxState.CONFLICT, OutboxState.REJECTED)


class OutboxBackend(Protocol):
    """The part of `ForumBackend` the outbox uses (every ForumBackend is one)."""

    async def site(self) -> SiteInfo: ...

    async def me(self) -> User | None: ...

    async def topics(
        self,
        filter: str = "latest",
        *,
        category: Category | None = None,
        tag: str | None = None,
        cursor: str | None = None,
    ) -> TopicList: ...

    async def topic(self, topic_id: int) -> TopicPage: ...

    async def post(self, post_id: int) -> Post: ...

    async def create_topic(
        self, *, title: str, raw: str, category: Category, tags: list[str], key: str
    ) -> TopicPage: ...

    async def reply(
        self, topic_id: int, raw: str, *, reply_to_post_number: int | None, key: str
    ) -> Post: ...

    async def edit_post(self, post: Post, raw: str) -> Post: ...

    async def find_own_post(
        self, topic_id: int, raw: str, *, since_post_number: int
    ) -> Post | None: ...


class OutboxError(Exception):
    """The item cannot do that in its present state (or does not exist)."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One write waiting for, or done by, the forum."""

    id: int
    kind: OutboxKind
    state: OutboxState
    idempotency_key: str
    raw: str
    created_at: datetime
    updated_at: datetime
    next_attempt_at: float  # epoch seconds; due when <= now
    profile: str = ""
    title: str | None = None  # new topics and conversations
    topic_id: int | None = None  # replies, edits; new topics once sent
    post_id: int | None = None  # edits: the post; replies and topics: the post made
    reply_to_post_number: int | None = None
    category_id: int | None = None
    category_slug: str | None = None
    tags: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()  # new conversations: who it is for (not the sender)
    base_post: Post | None = None  # edits: the post as it was when edited
    since_post_number: int | None = None  # the thread's tail when queued
    draft_key: str | None = None
    attempts: int = 0
    failures: int = 0  # in a row, since the last success or retry(); drives the backoff
    ambiguous: bool = False  # a send may have arrived unacknowledged
    reason: str | None = None  # the last error, safe to display
    reason_code: str | None = None
    current_version: int | None = None  # conflicts: the post's version now
    result: Post | TopicPage | None = None  # sent: what the forum made (a TopicPage for
    # new topics and conversations)
    sent_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.state in PENDING

    @property
    def problem(self) -> bool:
        return self.state in PROBLEMS

    def as_pending_post(self, username: str, name: str = "") -> Post:
        """How a queued reply shows in its thread before the forum numbers it
        (negative id, post number 0, `pending` set)."""
        return Post(
            id=-self.id,
            topic_id=self.topic_id or 0,
            post_number=0,
            username=username,
            name=name,
            created_at=self.created_at,
            raw=self.raw,
            reply_to_post_number=self.reply_to_post_number,
            pending=True,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt did: the item as it now stands, and the error if there was one."""

    item: OutboxItem
    error: BaseException | None = None
    recovered: bool = False  # it had arrived already: found, not sent again


class _Progress:
    """How far an attempt got: whether the create/edit request was started."""

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started = False


class Outbox:
    """The outbox of one forum profile, in the shared state file."""

    def __init__(
        self,
        db_path: Path | str,
        profile: str,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        communities: Callable[[Any], Community | None] = community_of,
    ) -> None:
        """`communities` finds a backend's community adapter, which sends conversations."""
        self.path = Path(db_path)
        self.profile = profile
        self._communities = communities
        self._clock = clock
        self._rng = rng or random.Random()
        self._host = socket.gethostname()
        self._claim = f"{self._host}:{os.getpid()}:{uuid.uuid4().hex}"
        self._conn = statedb.connect(self.path, synchronous="FULL")
        self._conn.row_factory = sqlite3.Row
        now = self._clock()
        self._recover(now)
        self._prune(now)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queueing ---------------------------------------------------------------------------

    def enqueue_reply(
        self,
        topic_id: int,
        raw: str,
        reply_to_post_number: int | None = None,
        draft_key: str | None = None,
        *,
        since_post_number: int | None = None,
    ) -> OutboxItem:
        """Queue a reply. `since_post_number`: the highest post number of the thread the
        user has seen; without it, a forum lacking idempotency keys costs one more
        request (to learn it) before the first send."""
        return self._insert(
            OutboxKind.REPLY,
            raw,
            topic_id=topic_id,
            reply_to_post_number=reply_to_post_number,
            since_post_number=since_post_number,
            draft_key=draft_key,
        )

    def enqueue_topic(
        self,
        title: str,
        raw: str,
        category_id: int,
        category_slug: str,
        tags: Iterable[str] = (),
        draft_key: str | None = None,
    ) -> OutboxItem:
        return self._insert(
            OutboxKind.TOPIC,
            raw,
            title=clean_line(title),
            category_id=category_id,
            category_slug=clean_line(category_slug),
            tags=json.dumps([clean_line(t) for t in tags]),
            draft_key=draft_key,
        )

    def enqueue_message(
        self,
        participants: Iterable[str],
        title: str,
        raw: str,
        draft_key: str | None = None,
    ) -> OutboxItem:
        """Queue a new private conversation with `participants` (usernames, each once)."""
        names = list(dict.fromkeys(clean_line(p).strip().lstrip("@") for p in participants))
        names = [n for n in names if n]
        if not names:
            raise OutboxError("a private conversation needs someone to write to")
        return self._insert(
            OutboxKind.MESSAGE,
            raw,
            title=clean_line(title),
            participants=json.dumps(names),
            draft_key=draft_key,
        )

    def enqueue_edit(self, post: Post, raw: str, draft_key: str | None = None) -> OutboxItem:
        """Queue an edit of `post` as it was fetched (its version guards against
        overwriting someone else's change)."""
        return self._insert(
            OutboxKind.EDIT,
            raw,
            topic_id=post.topic_id,
            post_id=post.id,
            base_post=json.dumps(dump(post)),
            draft_key=draft_key,
        )

    def _insert(self, kind: OutboxKind, raw: str, **columns: Any) -> OutboxItem:
        now_ns = time.time_ns()
        values: dict[str, Any] = {
            "profile": self.profile,
            "kind": kind.value,
            "state": OutboxState.QUEUED.value,
            "idempotency_key": str(uuid.uuid4()),
            "raw": clean(raw),
            "next_attempt_at": self._clock(),
            "created_ns": now_ns,
            "updated_ns": now_ns,
            **columns,
        }
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with statedb.transaction(self._conn):
            cur = self._conn.execute(
                f"INSERT INTO outbox ({names}) VALUES ({marks})", tuple(values.values())
            )
        assert cur.lastrowid is not None
        return self.get(cur.lastrowid)

    # -- reading ----------------------------------------------------------------------------

    def get(self, item_id: int) -> OutboxItem:
        row = self._conn.execute(
            "SELECT * FROM outbox WHERE id = ? AND profile = ?", (item_id, self.profile)
        ).fetchone()
        if row is None:
            raise OutboxError(f"no outbox item {item_id}")
        return _item(row)

    def items(self) -> list[OutboxItem]:
        """Everything in this profile's outbox, oldest first (sent items until pruned)."""
        return self._select("1")

    def pending_for(self, topic_id: int) -> list[OutboxItem]:
        """Replies and edits to this topic not yet sent, in order: shown as pending."""
        return self._select(f"topic_id = ? AND state IN {_sql_in(PENDING)}", (topic_id,))

    def pending(self) -> list[OutboxItem]:
        return self._select(f"state IN {_sql_in(PENDING)}")

    def problems(self) -> list[OutboxItem]:
        """Conflicts and rejections: reopen the composer with the text and the reason."""
        return self._select(f"state IN {_sql_in(PROBLEMS)}")

    def next_due(self) -> float | None:
        """When `send_due` next has something to do (epoch seconds), or None."""
        self._recover(self._clock())
        row = self._conn.execute(
            "SELECT min(next_attempt_at) FROM outbox WHERE profile = ? "
            "AND state IN ('queued', 'failed')",
            (self.profile,),
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def _select(self, where: str, args: tuple[Any, ...] = ()) -> list[OutboxItem]:
        rows = self._conn.execute(
            f"SELECT * FROM outbox WHERE profile = ? AND {where} ORDER BY id",
            (self.profile, *args),
        ).fetchall()
        return [_item(row) for row in rows]

    # -- the user's decisions ---------------------------------------------------------------

    def retry(self, item_id: int, *, now: float | None = None) -> OutboxItem:
        """Send it again at the next `send_due` (after a conflict, rejection or failure,
        or to skip a backoff). The backoff starts afresh."""
        now = self._clock() if now is None else now
        item = self.get(item_id)
        if item.state in (OutboxState.SENDING, OutboxState.SENT):
            raise OutboxError(f"outbox item {item_id} is {item.state}: nothing to retry")
        return self._change(
            item_id, item.state, state=OutboxState.QUEUED.value, next_attempt_at=now, failures=0
        )

    def update_text(
        self,
        item_id: int,
        raw: str,
        *,
        title: str | None = None,
        base: Post | None = None,
    ) -> OutboxItem:
        """Change what will be sent (a fixed rejection, an edit redone over `base`, the
        post's current version). It does not send: call `retry` for that."""
        item = self.get(item_id)
        if item.state in (OutboxState.SENDING, OutboxState.SENT):
            raise OutboxError(f"outbox item {item_id} is {item.state}: too late to change it")
        if item.ambiguous:
            raise OutboxError(
                f"outbox item {item_id} may have reached the forum already: "
                "wait for the next attempt to find out, or discard it"
            )
        changes: dict[str, Any] = {"raw": clean(raw)}
        if title is not None:
            changes["title"] = clean_line(title)
        if base is not None:
            if item.kind is not OutboxKind.EDIT or base.id != item.post_id:
                raise OutboxError(f"outbox item {item_id} does not edit post {base.id}")
            changes["base_post"] = json.dumps(dump(base))
            changes["current_version"] = None
        return self._change(item_id, item.state, **changes)

    def discard(self, item_id: int) -> None:
        """Forget an item for good (the user's decision; never done behind their back)."""
        with statedb.transaction(self._conn):
            cur = self._conn.execute(
                "DELETE FROM outbox WHERE id = ? AND profile = ? AND state != 'sending'",
                (item_id, self.profile),
            )
        if cur.rowcount == 0:
            self.get(item_id)  # raises when it does not exist
            raise OutboxError(f"outbox item {item_id} is being sent: it cannot be discarded now")

    def wake(self, *, now: float | None = None) -> None:
        """Make every queued item due now: the forum is known to be back."""
        now = self._clock() if now is None else now
        with statedb.transaction(self._conn):
            self._conn.execute(
                "UPDATE outbox SET next_attempt_at = ? WHERE profile = ? "
                "AND state IN ('queued', 'failed') AND next_attempt_at > ?",
                (now, self.profile, now),
            )

    # -- sending ----------------------------------------------------------------------------

    async def send_due(self, backend: OutboxBackend, *, now: float | None = None) -> list[Outcome]:
        """Send every item that is due, oldest first, keeping each topic's order (an item
        waits while an earlier one of its topic is waiting). Stops at the first sign that
        the forum is unreachable or rate-limiting, and holds the rest until then."""
        now = self._clock() if now is None else now
        self._recover(now)
        self._prune(now)
        features: list[frozenset[str]] = []

        async def site_features() -> frozenset[str]:
            if not features:
                features.append((await backend.site()).features)
            return features[0]

        outcomes: list[Outcome] = []
        blocked: set[tuple[str, int]] = set()
        for item in self._select(f"state IN {_sql_in(PENDING)}"):
            group = _order_group(item)
            if group in blocked:
                continue
            if item.state is OutboxState.SENDING or item.next_attempt_at > now:
                blocked.add(group)
                continue
            claimed = self._claim_item(item, now)
            if claimed is None:
                blocked.add(group)
                continue
            outcome, stop_until = await self._attempt(backend, claimed, now, site_features)
            outcomes.append(outcome)
            if outcome.item.state is not OutboxState.SENT:
                blocked.add(group)
            if stop_until is not None:
                self._hold_until(stop_until)
                break
        return outcomes

    def _claim_item(self, item: OutboxItem, now: float) -> OutboxItem | None:
        """queued/failed -> sending, durably, before anything goes out."""
        with statedb.transaction(self._conn):
            cur = self._conn.execute(
                "UPDATE outbox SET state = 'sending', claimed_by = ?, claimed_at = ?, "
                "attempts = attempts + 1, updated_ns = ? "
                "WHERE id = ? AND state IN ('queued', 'failed') AND next_attempt_at <= ?",
                (self._claim, now, time.time_ns(), item.id, now),
            )
        return self.get(item.id) if cur.rowcount else None

    async def _attempt(
        self,
        backend: OutboxBackend,
        item: OutboxItem,
        now: float,
        site_features: Callable[[], Awaitable[frozenset[str]]],
    ) -> tuple[Outcome, float | None]:
        """One send; returns the outcome and, when the forum as a whole is unavailable,
        the time until which nothing more should be tried."""
        progress = _Progress()
        try:
            result, recovered = await self._deliver(backend, item, site_features, progress)
        except Exception as e:
            return self._failed(item, e, now, progress)
        except BaseException:
            # Cancelled or interrupted mid-send: whether it arrived is unknown.
            self._requeue_now(item, ambiguous=progress.started or item.ambiguous, now=now)
            raise
        self._mark_sent(item, result, now)
        return Outcome(self.get(item.id), recovered=recovered), None

    async def _deliver(
        self,
        backend: OutboxBackend,
        item: OutboxItem,
        site_features: Callable[[], Awaitable[frozenset[str]]],
        progress: _Progress,
    ) -> tuple[Post | TopicPage, bool]:
        if item.kind is OutboxKind.REPLY:
            assert item.topic_id is not None
            since = item.since_post_number
            # Only a forum without idempotency keys needs the thread's tail: to look
            # there for an earlier attempt before sending again.
            if (item.ambiguous or since is None) and "idempotency" not in await site_features():
                if since is None:
                    thread = await backend.topic(item.topic_id)
                    since = thread.topic.highest_post_number or max(
                        (p.post_number for p in thread.posts), default=0
                    )
                    self._update(item.id, since_post_number=since)
                if item.ambiguous:
                    found = await backend.find_own_post(
                        item.topic_id, item.raw, since_post_number=since
                    )
                    if found is not None:
                        return found, True
            progress.started = True
            post = await backend.reply(
                item.topic_id,
                item.raw,
                reply_to_post_number=item.reply_to_post_number,
                key=item.idempotency_key,
            )
            return post, False
        if item.kind is OutboxKind.TOPIC:
            if item.ambiguous and "idempotency" not in await site_features():
                mine = await self._find_own_topic(backend, item)
                if mine is not None:
                    return mine, True
            progress.started = True
            page = await backend.create_topic(
                title=item.title or "",
                raw=item.raw,
                category=Category(
                    id=item.category_id or 0,
                    slug=item.category_slug or "",
                    name=item.category_slug or "",
                ),
                tags=list(item.tags),
                key=item.idempotency_key,
            )
            return page, False
        if item.kind is OutboxKind.MESSAGE:
            return await self._deliver_message(backend, item, site_features, progress)
        assert item.base_post is not None
        progress.started = True
        try:
            return await backend.edit_post(item.base_post, item.raw), False
        except Conflict:
            if item.ambiguous:  # our own earlier attempt may be the change that conflicts
                current = await backend.post(item.base_post.id)
                if current.raw is not None and _same_text(current.raw, item.raw):
                    return current, True
            raise

    async def _deliver_message(
        self,
        backend: OutboxBackend,
        item: OutboxItem,
        site_features: Callable[[], Awaitable[frozenset[str]]],
        progress: _Progress,
    ) -> tuple[TopicPage, bool]:
        community = self._communities(backend)
        if community is None:
            raise Rejected(NO_CONVERSATIONS, code="unsupported")
        reason = community.unsupported("conversations")
        if reason:
            raise Rejected(clean_line(reason), code="unsupported")
        if item.ambiguous and "idempotency" not in await site_features():
            mine = await self._find_own_conversation(backend, community, item)
            if mine is not None:
                return mine, True
        progress.started = True
        page = await community.start_conversation(
            list(item.participants), item.title or "", item.raw, key=item.idempotency_key
        )
        return page, False

    async def _find_own_conversation(
        self, backend: OutboxBackend, community: Community, item: OutboxItem
    ) -> TopicPage | None:
        """A conversation of ours with this title and text, started since it was queued
        (the first page of the user's conversations: it is the most recent there)."""
        me = await backend.me()
        if me is None:
            return None
        listing = await community.conversations()
        earliest = item.created_at - timedelta(seconds=TOPIC_SEARCH_SKEW)
        title = _fold(item.title or "")
        for conversation in listing.conversations:
            topic = conversation.topic
            if topic.username != me.username or _fold(topic.title) != title:
                continue
            if topic.created_at is not None and topic.created_at < earliest:
                continue
            page = await backend.topic(topic.id)
            first = next((p for p in page.posts if p.post_number == 1), None)
            if first is None or first.raw is None or _same_text(first.raw, item.raw):
                return page
        return None

    async def _find_own_topic(self, backend: OutboxBackend, item: OutboxItem) -> TopicPage | None:
        """A topic of ours with this title and text, made since it was queued."""
        me = await backend.me()
        if me is None:
            return None
        category = None
        if item.category_id is not None:
            slug = item.category_slug or ""
            category = Category(id=item.category_id, slug=slug, name=slug)
        listing = await backend.topics("latest", category=category)
        earliest = item.created_at - timedelta(seconds=TOPIC_SEARCH_SKEW)
        title = _fold(item.title or "")
        for topic in listing.topics:
            if topic.username != me.username or _fold(topic.title) != title:
                continue
            if topic.created_at is not None and topic.created_at < earliest:
                continue
            page = await backend.topic(topic.id)
            first = next((p for p in page.posts if p.post_number == 1), None)
            if first is None or first.raw is None or _same_text(first.raw, item.raw):
                return page
        return None

    # -- transitions --------------------------------------------------------------------------

    def _failed(
        self, item: OutboxItem, error: Exception, now: float, progress: _Progress
    ) -> tuple[Outcome, float | None]:
        reason = (
            error.message
            if isinstance(error, ForumError)
            else clean_line(f"{type(error).__name__}: {error}")
        )
        code = error.code if isinstance(error, ForumError) else type(error).__name__
        definitive = isinstance(error, Conflict | Rejected | AuthError | NotFound)
        not_arrived = isinstance(error, RateLimited) or (
            isinstance(error, Offline) and not error.ambiguous
        )
        # A definitive answer to this very request means nothing was made; otherwise, once
        # the request was started, it may have arrived.
        ambiguous = not definitive and (item.ambiguous or (progress.started and not not_arrived))
        stop_until: float | None = None
        changes: dict[str, Any] = {
            "reason": reason,
            "reason_code": code or None,
            "ambiguous": int(ambiguous),
            "claimed_by": None,
        }
        if isinstance(error, Conflict):
            changes.update(state=OutboxState.CONFLICT.value, current_version=error.current_version)
        elif definitive:
            changes["state"] = OutboxState.REJECTED.value
        else:
            failures = item.failures + 1
            if isinstance(error, RateLimited):
                delay = max(error.retry_after, 0.0)
            else:
                delay = self._backoff(failures)
            changes.update(
                failures=failures,
                next_attempt_at=now + delay,
                state=OutboxState.QUEUED.value
                if isinstance(error, Offline | RateLimited | ServerError)
                else OutboxState.FAILED.value,
            )
            if isinstance(error, Offline | RateLimited):
                stop_until = now + delay
        self._update(item.id, where_state=(OutboxState.SENDING,), **changes)
        return Outcome(self.get(item.id), error=error), stop_until

    def _backoff(self, failures: int) -> float:
        """2, 4, 8, ... seconds up to the cap, each shortened by up to a quarter at random
        so that many clients coming back online do not retry in step."""
        base = min(BACKOFF_CAP, BACKOFF_FIRST * 2.0 ** (failures - 1))
        return base * self._rng.uniform(0.75, 1.0)

    def _requeue_now(self, item: OutboxItem, *, ambiguous: bool, now: float) -> None:
        self._update(
            item.id,
            where_state=(OutboxState.SENDING,),
            state=OutboxState.QUEUED.value,
            ambiguous=int(ambiguous),
            next_attempt_at=now,
            claimed_by=None,
            reason="interrupted while sending",
            reason_code="interrupted",
        )

    def _mark_sent(self, item: OutboxItem, result: Post | TopicPage, now: float) -> None:
        """sending -> sent, and the draft it came from removed, in one transaction (unless
        the user has typed more into that draft since it was queued)."""
        if isinstance(result, TopicPage):
            topic_id: int | None = result.topic.id
            first = next((p for p in result.posts if p.post_number == 1), None)
            post_id = first.id if first else None
        else:
            topic_id, post_id = result.topic_id, result.id
        with statedb.transaction(self._conn):
            self._conn.execute(
                "UPDATE outbox SET state = 'sent', result_kind = ?, result = ?, sent_at = ?, "
                "topic_id = ?, post_id = ?, ambiguous = 0, failures = 0, reason = NULL, "
                "reason_code = NULL, claimed_by = NULL, updated_ns = ? WHERE id = ?",
                (
                    "topic" if isinstance(result, TopicPage) else "post",
                    json.dumps(dump(result)),
                    now,
                    topic_id,
                    post_id,
                    time.time_ns(),
                    item.id,
                ),
            )
            if item.draft_key:
                self._conn.execute(
                    "DELETE FROM drafts WHERE profile = ? AND key = ? AND (raw = ? OR "
                    "updated_ns <= (SELECT created_ns FROM outbox WHERE id = ?))",
                    (self.profile, item.draft_key, item.raw, item.id),
                )

    def _hold_until(self, until: float) -> None:
        """The forum is unavailable until `until`: nothing else is due before then."""
        with statedb.transaction(self._conn):
            self._conn.execute(
                "UPDATE outbox SET next_attempt_at = ? WHERE profile = ? "
                "AND state IN ('queued', 'failed') AND next_attempt_at < ?",
                (until, self.profile, until),
            )

    def _update(self, item_id: int, *, where_state: tuple[str, ...] = (), **changes: Any) -> bool:
        """One transition; False when the item was no longer in `where_state`."""
        changes["updated_ns"] = time.time_ns()
        sets = ", ".join(f"{name} = ?" for name in changes)
        sql = f"UPDATE outbox SET {sets} WHERE id = ? AND profile = ?"
        args: list[Any] = [*changes.values(), item_id, self.profile]
        if where_state:
            sql += f" AND state IN ({', '.join('?' for _ in where_state)})"
            args.extend(str(s) for s in where_state)
        with statedb.transaction(self._conn):
            cur = self._conn.execute(sql, args)
        return cur.rowcount > 0

    def _change(self, item_id: int, current: OutboxState, **changes: Any) -> OutboxItem:
        """A change the user asked for; OutboxError if the item moved on meanwhile."""
        if not self._update(item_id, where_state=(current,), **changes):
            raise OutboxError(f"outbox item {item_id} changed meanwhile; nothing was done")
        return self.get(item_id)

    def _recover(self, now: float) -> None:
        """Items left `sending` by a process that died (or a claim past its lease) go back
        to the queue as ambiguous: they may have reached the forum."""
        rows = self._conn.execute(
            "SELECT id, claimed_by, claimed_at FROM outbox WHERE profile = ? AND state = 'sending'",
            (self.profile,),
        ).fetchall()
        stale = [
            row["id"] for row in rows if self._abandoned(row["claimed_by"], row["claimed_at"], now)
        ]
        if not stale:
            return
        with statedb.transaction(self._conn):
            for item_id in stale:
                self._conn.execute(
                    "UPDATE outbox SET state = 'queued', ambiguous = 1, claimed_by = NULL, "
                    "next_attempt_at = ?, reason = 'interrupted while sending', "
                    "reason_code = 'interrupted', updated_ns = ? "
                    "WHERE id = ? AND state = 'sending'",
                    (now, time.time_ns(), item_id),
                )

    def _abandoned(self, claimed_by: str | None, claimed_at: float | None, now: float) -> bool:
        if claimed_by == self._claim:
            return False  # ours, in flight
        if claimed_by is None or claimed_at is None or now - claimed_at > LEASE:
            return True
        host, _, rest = claimed_by.partition(":")
        pid_text = rest.partition(":")[0]
        if host != self._host or not pid_text.isdigit():
            return False  # another machine sharing the file: only the lease tells
        return not _process_alive(int(pid_text))

    def _prune(self, now: float) -> None:
        with statedb.transaction(self._conn):
            self._conn.execute(
                "DELETE FROM outbox WHERE profile = ? AND state = 'sent' AND sent_at < ?",
                (self.profile, now - SENT_KEPT_FOR),
            )


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process now has that number: ours is gone
    return True


def _order_group(item: OutboxItem) -> tuple[str, int]:
    """Items of one group go out in order: a topic's replies and edits; a new topic (or
    conversation) alone."""
    if item.topic_id is not None and item.kind not in (OutboxKind.TOPIC, OutboxKind.MESSAGE):
        return ("topic", item.topic_id)
    return ("item", item.id)


def _sql_in(states: Iterable[OutboxState]) -> str:
    return "(" + ", ".join(f"'{s.value}'" for s in states) + ")"


def _same_text(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


def _fold(title: str) -> str:
    return " ".join(title.split()).casefold()


def _time(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)


def _clean_json(value: Any) -> Any:
    """Sanitise every string of a stored model before it is rebuilt (the file is outside us)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean_json(v) for k, v in value.items()}
    return value


def _model(cls: type[Post] | type[TopicPage], text: str | None) -> Any:
    if not text:
        return None
    with contextlib.suppress(ValueError, TypeError, KeyError):
        return load(cls, _clean_json(json.loads(text)))
    return None


def _names(text: str | None) -> tuple[str, ...]:
    """A JSON list of names (tags, usernames) from the file, sanitised; () if it is not one."""
    try:
        names = json.loads(text or "[]")
    except ValueError:
        return ()
    if not isinstance(names, list):
        return ()
    return tuple(clean_line(n) for n in names if isinstance(n, str))


def _item(row: sqlite3.Row) -> OutboxItem:
    tags = _names(row["tags"])
    result_cls: type[Post] | type[TopicPage] = TopicPage if row["result_kind"] == "topic" else Post
    return OutboxItem(
        id=row["id"],
        profile=row["profile"],
        kind=OutboxKind(row["kind"]),
        state=OutboxState(row["state"]),
        idempotency_key=row["idempotency_key"],
        raw=clean(row["raw"]),
        created_at=_time(row["created_ns"]),
        updated_at=_time(row["updated_ns"]),
        next_attempt_at=float(row["next_attempt_at"]),
        title=None if row["title"] is None else clean_line(row["title"]),
        topic_id=row["topic_id"],
        post_id=row["post_id"],
        reply_to_post_number=row["reply_to_post_number"],
        category_id=row["category_id"],
        category_slug=None if row["category_slug"] is None else clean_line(row["category_slug"]),
        tags=tags,
        participants=_names(row["participants"]),
        base_post=_model(Post, row["base_post"]),
        since_post_number=row["since_post_number"],
        draft_key=row["draft_key"],
        attempts=row["attempts"],
        failures=row["failures"],
        ambiguous=bool(row["ambiguous"]),
        reason=None if row["reason"] is None else clean_line(row["reason"]),
        reason_code=row["reason_code"],
        current_version=row["current_version"],
        result=_model(result_cls, row["result"]),
        sent_at=None if row["sent_at"] is None else datetime.fromtimestamp(row["sent_at"], UTC),
    )


__all__ = [
    "Outbox",
    "OutboxBackend",
    "OutboxError",
    "OutboxItem",
    "OutboxKind",
    "OutboxState",
    "Outcome",
]
