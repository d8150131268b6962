"""The outbox keeps every write until the forum has it, and the forum gets it once.

The forum here is a small fake that counts what it really creates (per idempotency key
and per text), can lose answers after creating, refuse, conflict, rate-limit, go
offline, or hang mid-request; its state can live in a file so that a killed process
and its successor see the same forum.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest

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
from tui.forum.community import Conversation, ConversationList, Member
from tui.forum.drafts import Drafts
from tui.forum.models import (
    Category,
    Post,
    SiteInfo,
    Topic,
    TopicList,
    TopicPage,
    User,
    dump,
    load,
)
from tui.forum.outbox import (
    BACKOFF_CAP,
    SENT_KEPT_FOR,
    Outbox,
    OutboxError,
    OutboxItem,
    OutboxKind,
    OutboxState,
)

ROOT = Path(__file__).resolve().parent.parent
W = TypeVar("W", Post, TopicPage)
ME = "me"
T0 = 1_700_000_000.0


class FakeForum:
    """Just enough of a ForumBackend for the outbox, with a memory of what it made."""

    kind = "cohort"
    base_url = "fake://forum"

    def __init__(self, *, idempotency: bool = True) -> None:
        self.idempotency = idempotency
        self.online = True
        self.next_id = 100
        self.threads: dict[int, dict[str, Any]] = {}
        self.by_key: dict[str, tuple[str, int]] = {}
        self.creates: Counter[str] = Counter()  # real creations per idempotency key
        self.calls: list[str] = []
        self.keys_sent: list[str] = []
        self.fail_next: list[Exception] = []  # raised by the next writes, before anything
        self.lose_answers = 0  # the next writes are made, then the answer is lost
        self.hang: str | None = None  # "before" or "after" making it: block forever
        self.state_file: Path | None = None
        self.entered = asyncio.Event()
        self._add_topic(1, "Welcome", [("alice", "Hello all"), ("bob", "Hi"), ("carol", "Hey")])
        self._add_topic(2, "Second", [("alice", "Another")])

    # -- the fake's own bookkeeping --

    def _add_topic(self, topic_id: int, title: str, posts: list[tuple[str, str]]) -> None:
        self.threads[topic_id] = {"title": title, "category_id": 1, "posts": []}
        for username, raw in posts:
            self._make_post(topic_id, username, raw, None)

    def _make_post(self, topic_id: int, username: str, raw: str, reply_to: int | None) -> Post:
        posts: list[Post] = self.threads[topic_id]["posts"]
        self.next_id += 1
        post = Post(
            id=self.next_id,
            topic_id=topic_id,
            post_number=len(posts) + 1,
            username=username,
            created_at=datetime.now(UTC),
            raw=raw,
            reply_to_post_number=reply_to,
        )
        posts.append(post)
        return post

    def texts(self, topic_id: int) -> list[str]:
        return [p.raw or "" for p in self.threads[topic_id]["posts"]]

    def copies(self, raw: str) -> int:
        return sum(self.texts(t).count(raw) for t in self.threads)

    def save(self) -> None:
        assert self.state_file is not None
        data = {
            "next_id": self.next_id,
            "topics": {
                str(k): {**v, "posts": [dump(p) for p in v["posts"]]}
                for k, v in self.threads.items()
            },
            "by_key": self.by_key,
            "creates": dict(self.creates),
        }
        self.state_file.write_text(json.dumps(data))

    @classmethod
    def from_file(cls, path: Path, *, idempotency: bool) -> FakeForum:
        forum = cls(idempotency=idempotency)
        forum.state_file = path
        if path.exists():
            data = json.loads(path.read_text())
            forum.next_id = data["next_id"]
            forum.threads = {
                int(k): {**v, "posts": [load(Post, p) for p in v["posts"]]}
                for k, v in data["topics"].items()
            }
            forum.by_key = {k: (v[0], v[1]) for k, v in data["by_key"].items()}
            forum.creates = Counter(data["creates"])
        return forum

    def _topic(self, topic_id: int) -> Topic:
        t = self.threads[topic_id]
        posts: list[Post] = t["posts"]
        return Topic(
            id=topic_id,
            title=t["title"],
            category_id=t["category_id"],
            username=posts[0].username,
            posts_count=len(posts),
            reply_count=len(posts) - 1,
            bumped_at=posts[-1].created_at,
            created_at=posts[0].created_at,
            highest_post_number=len(posts),
        )

    def _page(self, topic_id: int) -> TopicPage:
        posts = tuple(self.threads[topic_id]["posts"])
        return TopicPage(self._topic(topic_id), tuple(p.id for p in posts), posts)

    def _find(self, post_id: int) -> Post:
        for t in self.threads.values():
            posts: list[Post] = t["posts"]
            for p in posts:
                if p.id == post_id:
                    return p
        raise NotFound("no such post", status=404)

    async def _write(self, name: str, key: str | None, make: Callable[[], W]) -> W:
        """The life of a write: failures, idempotency, creation, lost answers, hangs."""
        self.calls.append(name)
        if key is not None:
            self.keys_sent.append(key)
        if not self.online:
            raise Offline("connection refused")
        if self.fail_next:
            raise self.fail_next.pop(0)
        if self.hang == "before":
            await self._block()
        if key is not None and self.idempotency and key in self.by_key:
            kind, ident = self.by_key[key]
            return cast(W, self._page(ident) if kind == "topic" else self._find(ident))
        made = make()
        if key is not None:
            self.creates[key] += 1
            if isinstance(made, TopicPage):
                self.by_key[key] = ("topic", made.topic.id)
            else:
                self.by_key[key] = ("post", made.id)
        if self.state_file is not None:
            self.save()
        if self.hang == "after":
            await self._block()
        if self.lose_answers:
            self.lose_answers -= 1
            raise Offline("connection reset after sending", ambiguous=True)
        return made

    async def _block(self) -> None:
        self.entered.set()
        print("BLOCKED", flush=True)
        await asyncio.Event().wait()

    # -- the ForumBackend methods the outbox uses --

    async def site(self) -> SiteInfo:
        self.calls.append("site")
        if not self.online:
            raise Offline("connection refused")
        features = {"reactions"} | ({"idempotency"} if self.idempotency else set())
        return SiteInfo(software="fake", name="Fake", features=frozenset(features))

    async def me(self) -> User:
        return User(id=1, username=ME)

    async def topic(self, topic_id: int) -> TopicPage:
        self.calls.append("topic")
        if not self.online:
            raise Offline("connection refused")
        return self._page(topic_id)

    async def topics(self, filter: str = "latest", *, category: Category | None = None,
                     tag: str | None = None, cursor: str | None = None) -> TopicList:  # fmt: skip
        self.calls.append("topics")
        ids = sorted(self.threads, reverse=True)
        return TopicList(tuple(self._topic(i) for i in ids))

    async def post(self, post_id: int) -> Post:
        self.calls.append("post")
        return self._find(post_id)

    async def reply(
        self, topic_id: int, raw: str, *, reply_to_post_number: int | None, key: str
    ) -> Post:
        if topic_id not in self.threads:
            raise NotFound("no such topic", status=404)
        return await self._write(
            "reply", key, lambda: self._make_post(topic_id, ME, raw, reply_to_post_number)
        )

    async def create_topic(
        self, *, title: str, raw: str, category: Category, tags: list[str], key: str
    ) -> TopicPage:
        def make() -> TopicPage:
            topic_id = max(self.threads) + 1
            self.threads[topic_id] = {"title": title, "category_id": category.id, "posts": []}
            self._make_post(topic_id, ME, raw, None)
            return self._page(topic_id)

        return await self._write("create_topic", key, make)

    async def edit_post(self, post: Post, raw: str) -> Post:
        def make() -> Post:
            current = self._find(post.id)
            if current.version != post.version:
                raise Conflict("edited meanwhile", current_version=current.version, status=412)
            return self.someone_edits(post.id, raw)

        return await self._write("edit_post", None, make)

    def someone_edits(self, post_id: int, raw: str) -> Post:
        current = self._find(post_id)
        posts: list[Post] = self.threads[current.topic_id]["posts"]
        edited = replace(current, raw=raw, version=current.version + 1)
        posts[posts.index(current)] = edited
        return edited

    async def find_own_post(
        self, topic_id: int, raw: str, *, since_post_number: int
    ) -> Post | None:
        self.calls.append("find_own_post")
        if not self.online:
            raise Offline("connection refused")
        posts: list[Post] = self.threads[topic_id]["posts"]
        for p in posts:
            if p.post_number > since_post_number and p.username == ME and p.raw == raw:
                return p
        return None


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


@pytest.fixture
def outbox(db: Path) -> Outbox:
    return Outbox(db, "home", clock=lambda: T0)


# -- queueing, backoff and delivery -----------------------------------------------------------


async def test_offline_then_backoff_then_delivered_exactly_once(outbox: Outbox) -> None:
    forum = FakeForum()
    forum.online = False
    item = outbox.enqueue_reply(1, "Queued while offline", 2, since_post_number=3)
    assert item.state is OutboxState.QUEUED and item.attempts == 0
    assert outbox.next_due() == T0
    assert [i.id for i in outbox.pending_for(1)] == [item.id]

    now = T0
    delays = []
    for attempt in range(1, 6):
        outcomes = await outbox.send_due(forum, now=now)
        assert len(outcomes) == 1 and isinstance(outcomes[0].error, Offline)
        item = outcomes[0].item
        assert item.state is OutboxState.QUEUED and item.attempts == attempt
        assert not item.ambiguous and item.reason == "connection refused"
        delay = item.next_attempt_at - now
        expected = 2.0**attempt
        assert 0.75 * expected <= delay <= expected
        delays.append(delay)
        assert outbox.next_due() == item.next_attempt_at
        assert await outbox.send_due(forum, now=item.next_attempt_at - 0.01) == []
        now = item.next_attempt_at
    assert delays == sorted(delays)
    assert forum.calls.count("reply") == 5 and not forum.creates

    forum.online = True
    [outcome] = await outbox.send_due(forum, now=now)
    sent = outcome.item
    assert outcome.error is None and not outcome.recovered
    assert sent.state is OutboxState.SENT and sent.attempts == 6
    assert isinstance(sent.result, Post) and sent.result.raw == "Queued while offline"
    assert sent.post_id == sent.result.id and sent.result.reply_to_post_number == 2
    assert forum.creates == Counter({item.idempotency_key: 1})
    assert outbox.pending_for(1) == [] and outbox.next_due() is None
    assert await outbox.send_due(forum, now=now + 1000) == []
    assert forum.copies("Queued while offline") == 1


async def test_the_backoff_is_capped(outbox: Outbox) -> None:
    forum = FakeForum()
    forum.online = False
    outbox.enqueue_reply(1, "patience", since_post_number=3)
    now = T0
    for _ in range(15):
        [outcome] = await outbox.send_due(forum, now=now)
        now = outcome.item.next_attempt_at
    [outcome] = await outbox.send_due(forum, now=now)
    gap = outcome.item.next_attempt_at - now
    assert 0.75 * BACKOFF_CAP <= gap <= BACKOFF_CAP
    assert outcome.item.attempts == 16


async def test_a_restart_keeps_everything(db: Path) -> None:
    first = Outbox(db, "home", clock=lambda: T0)
    reply = first.enqueue_reply(1, "a reply", 3, "reply:1:3", since_post_number=3)
    topic = first.enqueue_topic("New topic", "its body", 1, "general", ["a", "b"], "new:1")
    forum = FakeForum()
    original = forum._find(101)
    edit = first.enqueue_edit(original, "better words", "edit:101")
    before = first.items()
    first.close()

    second = Outbox(db, "home", clock=lambda: T0)
    assert second.items() == before
    again = {i.id: i for i in second.items()}
    assert again[reply.id].idempotency_key == reply.idempotency_key
    assert again[topic.id].tags == ("a", "b") and again[topic.id].title == "New topic"
    assert again[edit.id].base_post == original and again[edit.id].kind is OutboxKind.EDIT
    outcomes = await second.send_due(forum, now=T0)
    assert [o.item.state for o in outcomes] == [OutboxState.SENT] * 3
    second.close()

    third = Outbox(db, "home", clock=lambda: T0 + 60)
    sent = {i.id: i for i in third.items()}
    assert all(i.state is OutboxState.SENT for i in sent.values())
    made_topic, made_edit = sent[topic.id].result, sent[edit.id].result
    assert isinstance(made_topic, TopicPage) and made_topic.topic.title == "New topic"
    assert sent[topic.id].topic_id == 3
    assert isinstance(made_edit, Post) and made_edit.version == 2
    assert forum._find(101).raw == "better words"
    third.close()

    # Sent items are kept for a while for the UI, then pruned; nothing else is.
    later = Outbox(db, "home", clock=lambda: T0 + SENT_KEPT_FOR + 120)
    assert later.items() == []


async def test_profiles_do_not_mix(db: Path) -> None:
    home = Outbox(db, "home", clock=lambda: T0)
    work = Outbox(db, "work", clock=lambda: T0)
    home.enqueue_reply(1, "home's", since_post_number=3)
    assert work.items() == [] and work.pending_for(1) == []
    assert await work.send_due(FakeForum(), now=T0) == []
    assert len(home.items()) == 1


async def test_a_sent_reply_removes_its_draft_but_not_later_typing(db: Path) -> None:
    drafts = Drafts(db, "home")
    outbox = Outbox(db, "home", clock=lambda: T0)
    forum = FakeForum()
    drafts.save("reply:1", raw="send me")
    outbox.enqueue_reply(1, "send me", draft_key="reply:1", since_post_number=3)
    await outbox.send_due(forum, now=T0)
    assert drafts.load("reply:1") is None

    drafts.save("reply:2", raw="first reply")
    outbox.enqueue_reply(2, "first reply", draft_key="reply:2", since_post_number=1)
    drafts.save("reply:2", raw="a second reply, typed while the first waited")
    await outbox.send_due(forum, now=T0)
    kept = drafts.load("reply:2")
    assert kept is not None and kept.raw.startswith("a second reply")

    # Saved again after queueing, but the same text: it is what was sent.
    outbox.enqueue_reply(1, "the same words", draft_key="reply:1", since_post_number=4)
    drafts.save("reply:1", raw="the same words")
    await outbox.send_due(forum, now=T0)
    assert drafts.load("reply:1") is None

    # Not touched since queueing, though the queued text was changed: sent all the same.
    drafts.save("new:1", raw="draft text", title="A topic")
    item = outbox.enqueue_topic("A topic", "draft text", 1, "general", draft_key="new:1")
    outbox.update_text(item.id, "draft text, polished")
    await outbox.send_due(forum, now=T0)
    assert drafts.load("new:1") is None


async def test_each_topic_keeps_its_order(outbox: Outbox) -> None:
    forum = FakeForum()
    a = outbox.enqueue_reply(1, "A, first in topic 1", since_post_number=3)
    b = outbox.enqueue_reply(1, "B, after A", since_post_number=3)
    c = outbox.enqueue_reply(2, "C, in topic 2", since_post_number=1)
    forum.fail_next.append(ServerError("the forum fell over", status=500))
    outcomes = await outbox.send_due(forum, now=T0)
    assert [(o.item.id, o.item.state) for o in outcomes] == [
        (a.id, OutboxState.QUEUED),
        (c.id, OutboxState.SENT),
    ]
    assert outbox.get(b.id).attempts == 0  # B waited for A
    retry_at = outbox.get(a.id).next_attempt_at
    outcomes = await outbox.send_due(forum, now=retry_at)
    assert [o.item.id for o in outcomes] == [a.id, b.id]
    assert forum.texts(1)[-2:] == ["A, first in topic 1", "B, after A"]


async def test_offline_holds_the_whole_queue(outbox: Outbox) -> None:
    forum = FakeForum()
    forum.online = False
    a = outbox.enqueue_reply(1, "A", since_post_number=3)
    c = outbox.enqueue_reply(2, "C", since_post_number=1)
    outcomes = await outbox.send_due(forum, now=T0)
    assert len(outcomes) == 1 and forum.calls == ["reply"]  # one try tells it is offline
    assert outbox.get(c.id).next_attempt_at == outbox.get(a.id).next_attempt_at > T0
    assert outbox.get(c.id).attempts == 0
    outbox.wake(now=T0 + 0.5)  # the app saw the forum answer again
    forum.online = True
    outcomes = await outbox.send_due(forum, now=T0 + 0.5)
    assert [o.item.state for o in outcomes] == [OutboxState.SENT, OutboxState.SENT]


async def test_rate_limited_waits_as_long_as_asked(outbox: Outbox) -> None:
    forum = FakeForum()
    a = outbox.enqueue_reply(1, "A", since_post_number=3)
    c = outbox.enqueue_reply(2, "C", since_post_number=1)
    forum.fail_next.append(RateLimited("slow down", retry_after=42.0, status=429))
    [outcome] = await outbox.send_due(forum, now=T0)
    assert outcome.item.state is OutboxState.QUEUED and outcome.item.next_attempt_at == T0 + 42
    assert outbox.get(c.id).next_attempt_at == T0 + 42
    assert await outbox.send_due(forum, now=T0 + 41) == []
    outcomes = await outbox.send_due(forum, now=T0 + 42)
    assert [o.item.id for o in outcomes] == [a.id, c.id]
    assert forum.copies("A") == 1


# -- ambiguous failures -----------------------------------------------------------------------


async def test_ambiguous_without_idempotency_finds_the_post_instead_of_resending(
    outbox: Outbox,
) -> None:
    forum = FakeForum(idempotency=False)
    forum.lose_answers = 1
    item = outbox.enqueue_reply(1, "Did it arrive?", since_post_number=3)
    [first] = await outbox.send_due(forum, now=T0)
    assert first.item.state is OutboxState.QUEUED and first.item.ambiguous
    assert forum.copies("Did it arrive?") == 1
    [second] = await outbox.send_due(forum, now=first.item.next_attempt_at)
    assert second.recovered and second.item.state is OutboxState.SENT
    assert isinstance(second.item.result, Post) and second.item.result.post_number == 4
    assert forum.calls.count("reply") == 1 and "find_own_post" in forum.calls
    assert forum.copies("Did it arrive?") == 1
    assert not second.item.ambiguous
    assert item.idempotency_key in forum.keys_sent


async def test_ambiguous_without_idempotency_resends_what_never_arrived(
    outbox: Outbox,
) -> None:
    forum = FakeForum(idempotency=False)
    forum.fail_next.append(Offline("reset after sending", ambiguous=True))
    outbox.enqueue_reply(1, "Lost on the way")  # no tail given: the outbox learns it
    [first] = await outbox.send_due(forum, now=T0)
    assert first.item.ambiguous and first.item.since_post_number == 3
    assert forum.calls[:3] == ["site", "topic", "reply"]
    [second] = await outbox.send_due(forum, now=first.item.next_attempt_at)
    assert second.item.state is OutboxState.SENT and not second.recovered
    assert forum.copies("Lost on the way") == 1


async def test_ambiguous_with_idempotency_resends_with_the_same_key(outbox: Outbox) -> None:
    forum = FakeForum(idempotency=True)
    forum.lose_answers = 1
    item = outbox.enqueue_reply(1, "Keyed", since_post_number=3)
    [first] = await outbox.send_due(forum, now=T0)
    assert first.item.ambiguous
    [second] = await outbox.send_due(forum, now=first.item.next_attempt_at)
    assert second.item.state is OutboxState.SENT
    assert forum.keys_sent == [item.idempotency_key, item.idempotency_key]
    assert "find_own_post" not in forum.calls
    assert forum.creates == Counter({item.idempotency_key: 1})
    assert forum.copies("Keyed") == 1


async def test_a_server_error_on_a_create_counts_as_ambiguous(outbox: Outbox) -> None:
    forum = FakeForum(idempotency=False)
    outbox.enqueue_reply(1, "5xx, maybe after the commit", since_post_number=3)
    forum.fail_next.append(ServerError("bad gateway", status=502))
    [first] = await outbox.send_due(forum, now=T0)
    assert first.item.state is OutboxState.QUEUED and first.item.ambiguous
    [second] = await outbox.send_due(forum, now=first.item.next_attempt_at)
    assert second.item.state is OutboxState.SENT
    assert "find_own_post" in forum.calls  # checked before sending again
    assert forum.copies("5xx, maybe after the commit") == 1


async def test_an_ambiguous_new_topic_without_idempotency_is_found(outbox: Outbox) -> None:
    forum = FakeForum(idempotency=False)
    forum.lose_answers = 1
    outbox.enqueue_topic("Study group for week 3", "Who is in?", 1, "general", ["week3"])
    [first] = await outbox.send_due(forum, now=T0)
    assert first.item.ambiguous
    [second] = await outbox.send_due(forum, now=first.item.next_attempt_at)
    assert second.recovered and second.item.state is OutboxState.SENT
    assert isinstance(second.item.result, TopicPage)
    assert second.item.result.topic.title == "Study group for week 3"
    assert forum.calls.count("create_topic") == 1 and len(forum.threads) == 3


async def test_an_ambiguous_edit_that_arrived_is_recognised(outbox: Outbox) -> None:
    forum = FakeForum()
    forum.lose_answers = 1
    outbox.enqueue_edit(forum._find(101), "Hello all, edited")
    [first] = await outbox.send_due(forum, now=T0)
    assert first.item.ambiguous and forum._find(101).version == 2
    [second] = await outbox.send_due(forum, now=first.item.next_attempt_at)
    assert second.recovered and second.item.state is OutboxState.SENT
    assert forum._find(101).version == 2


async def test_cancelled_mid_send_is_ambiguous_and_sent_once(outbox: Outbox) -> None:
    forum = FakeForum(idempotency=False)
    forum.hang = "after"
    item = outbox.enqueue_reply(1, "cancelled in flight", since_post_number=3)
    task = asyncio.create_task(outbox.send_due(forum, now=T0))
    await forum.entered.wait()
    assert outbox.get(item.id).state is OutboxState.SENDING
    with pytest.raises(OutboxError):
        outbox.discard(item.id)
    with pytest.raises(OutboxError):
        outbox.update_text(item.id, "changed")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    after = outbox.get(item.id)
    assert after.state is OutboxState.QUEUED and after.ambiguous
    forum.hang = None
    with pytest.raises(OutboxError, match="may have reached"):
        outbox.update_text(item.id, "changed")  # the old text may be there already
    [outcome] = await outbox.send_due(forum, now=T0)
    assert outcome.recovered and forum.copies("cancelled in flight") == 1


SEND_AND_HANG = r"""
import asyncio, sys
from pathlib import Path
from tests.test_outbox import FakeForum
from tui.forum.outbox import Outbox

async def main() -> None:
    forum = FakeForum.from_file(Path(sys.argv[1]), idempotency=sys.argv[4] == "1")
    forum.hang = sys.argv[3]
    outbox = Outbox(sys.argv[2], "home")
    await outbox.send_due(forum)

asyncio.run(main())
"""


@pytest.mark.parametrize("idempotency", [False, True], ids=["no-keys", "keys"])
@pytest.mark.parametrize("arrived", [True, False], ids=["arrived", "not-arrived"])
def test_killed_while_sending_is_delivered_exactly_once(
    db: Path, tmp_path: Path, idempotency: bool, arrived: bool
) -> None:
    forum_file = tmp_path / "forum.json"
    FakeForum.from_file(forum_file, idempotency=idempotency).save()
    with Outbox(db, "home") as outbox:
        item = outbox.enqueue_reply(1, "written before the crash", since_post_number=3)

    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SEND_AND_HANG,
            str(forum_file),
            str(db),
            "after" if arrived else "before",
            "1" if idempotency else "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "BLOCKED"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL

    forum = FakeForum.from_file(forum_file, idempotency=idempotency)
    assert forum.copies("written before the crash") == (1 if arrived else 0)
    with Outbox(db, "home") as outbox:
        found = outbox.get(item.id)
        assert found.state is OutboxState.QUEUED and found.ambiguous
        assert found.attempts == 1 and found.reason == "interrupted while sending"
        [outcome] = asyncio.run(outbox.send_due(forum))
        assert outcome.item.state is OutboxState.SENT
        assert outcome.recovered == (arrived and not idempotency)
    assert forum.copies("written before the crash") == 1
    assert sum(forum.creates.values()) == 1
    assert forum.calls.count("reply") == (0 if arrived and not idempotency else 1)
    if idempotency:
        assert forum.keys_sent == [item.idempotency_key]


# -- conflicts and rejections keep the text ---------------------------------------------------


async def test_a_conflicting_edit_keeps_the_text_and_the_reason(outbox: Outbox) -> None:
    forum = FakeForum()
    mine = forum._find(101)
    item = outbox.enqueue_edit(mine, "My careful rewrite", "edit:101")
    forum.someone_edits(101, "Someone else's change")
    [outcome] = await outbox.send_due(forum, now=T0)
    assert isinstance(outcome.error, Conflict)
    problem = outcome.item
    assert problem.state is OutboxState.CONFLICT and problem.problem
    assert problem.raw == "My careful rewrite" and problem.reason == "edited meanwhile"
    assert problem.current_version == 2
    assert outbox.problems() == [problem] and outbox.next_due() is None
    assert await outbox.send_due(forum, now=T0 + 3600) == []  # never resent by itself

    current = await forum.post(101)
    outbox.update_text(item.id, "My rewrite, merged", base=current)
    outbox.retry(item.id, now=T0)
    [outcome] = await outbox.send_due(forum, now=T0)
    assert outcome.item.state is OutboxState.SENT and outbox.problems() == []
    assert forum._find(101).raw == "My rewrite, merged"


@pytest.mark.parametrize(
    "error",
    [
        Rejected("Body is too short (minimum is 20 characters)", status=422, code="too_short"),
        AuthError("Your key was revoked", status=401, code="unauthorized"),
        NotFound("That topic is gone", status=404, code="not_found"),
    ],
    ids=["rejected", "auth", "not-found"],
)
async def test_a_rejected_reply_keeps_the_text_and_the_reason(
    outbox: Outbox, error: ForumError
) -> None:
    forum = FakeForum()
    forum.fail_next.append(error)
    item = outbox.enqueue_reply(1, "too short", since_post_number=3)
    [outcome] = await outbox.send_due(forum, now=T0)
    problem = outcome.item
    assert problem.state is OutboxState.REJECTED and problem.raw == "too short"
    assert problem.reason == error.message and problem.reason_code == error.code
    assert outbox.problems() == [problem]
    # After a restart it is still there, with the reason.
    again = Outbox(outbox.path, "home", clock=lambda: T0)
    assert again.problems() == [problem]
    fixed = again.update_text(item.id, "long enough now, with the detail they asked for")
    assert fixed.state is OutboxState.REJECTED and fixed.idempotency_key == item.idempotency_key
    again.retry(item.id, now=T0)
    [outcome] = await again.send_due(forum, now=T0)
    assert outcome.item.state is OutboxState.SENT
    assert forum.texts(1)[-1] == "long enough now, with the detail they asked for"


async def test_an_unexpected_error_fails_and_retries(outbox: Outbox) -> None:
    forum = FakeForum()
    forum.fail_next.append(ValueError("the adapter tripped"))
    outbox.enqueue_reply(1, "still here", since_post_number=3)
    [outcome] = await outbox.send_due(forum, now=T0)
    assert outcome.item.state is OutboxState.FAILED and outcome.item.pending
    assert outcome.item.reason == "ValueError: the adapter tripped"
    assert outbox.next_due() == outcome.item.next_attempt_at > T0
    [outcome] = await outbox.send_due(forum, now=outcome.item.next_attempt_at)
    assert outcome.item.state is OutboxState.SENT


async def test_discard_is_the_only_way_out(outbox: Outbox) -> None:
    forum = FakeForum()
    forum.fail_next.append(Rejected("no", status=422))
    item = outbox.enqueue_reply(1, "unwanted", since_post_number=3)
    await outbox.send_due(forum, now=T0)
    outbox.discard(item.id)
    assert outbox.items() == [] and outbox.problems() == []
    with pytest.raises(OutboxError):
        outbox.get(item.id)
    with pytest.raises(OutboxError):
        outbox.discard(item.id)
    with pytest.raises(OutboxError):
        outbox.retry(item.id)


async def test_sent_items_cannot_be_retried_or_changed(outbox: Outbox) -> None:
    item = outbox.enqueue_reply(1, "done", since_post_number=3)
    await outbox.send_due(FakeForum(), now=T0)
    with pytest.raises(OutboxError):
        outbox.retry(item.id)
    with pytest.raises(OutboxError):
        outbox.update_text(item.id, "too late")


def test_a_pending_reply_shows_as_a_pending_post(outbox: Outbox) -> None:
    item: OutboxItem = outbox.enqueue_reply(1, "soon", 2, since_post_number=3)
    post = item.as_pending_post(ME)
    assert post.pending and post.raw == "soon" and post.topic_id == 1
    assert post.reply_to_post_number == 2 and post.id < 0


def test_text_is_sanitised_on_the_way_in(outbox: Outbox) -> None:
    item = outbox.enqueue_topic("ti\x1btle\n", "body\x1b]52;c;x\x07\n", 1, "general")
    assert item.title == "title " and item.raw == "body]52;c;x\n"


# -- new private conversations ------------------------------------------------------------------


class FakeCommunity:
    """The conversations part of a community adapter, on the fake forum's threads: a new
    conversation is a topic there, so the outbox can read it back to recognise it."""

    kind = "cohort"

    def __init__(self, forum: FakeForum, *, reason: str | None = None) -> None:
        self.forum = forum
        self.reason = reason
        self.private: dict[int, tuple[str, ...]] = {}  # topic -> participants

    def unsupported(self, feature: str) -> str | None:
        return self.reason if feature == "conversations" else None

    async def conversations(self, *, cursor: str | None = None) -> ConversationList:
        self.forum.calls.append("conversations")
        if not self.forum.online:
            raise Offline("connection refused")
        found = tuple(
            Conversation(
                topic=replace(self.forum._topic(i), archetype="private_message"),
                participants=tuple(Member(n) for n in (ME, *names)),
            )
            for i, names in sorted(self.private.items(), reverse=True)
        )
        return ConversationList(found)

    async def start_conversation(
        self, participants: list[str], title: str, raw: str, *, key: str
    ) -> TopicPage:
        forum = self.forum

        def make() -> TopicPage:
            topic_id = max(forum.threads) + 1
            forum.threads[topic_id] = {"title": title, "category_id": 0, "posts": []}
            forum._make_post(topic_id, ME, raw, None)
            self.private[topic_id] = tuple(participants)
            return forum._page(topic_id)

        return await forum._write("start_conversation", key, make)


def message_outbox(db: Path, community: FakeCommunity | None) -> Outbox:
    return Outbox(db, "home", clock=lambda: T0, communities=lambda backend: community)


async def test_a_new_conversation_is_delivered_once_and_its_draft_goes(db: Path) -> None:
    forum = FakeForum()
    community = FakeCommunity(forum)
    outbox = message_outbox(db, community)
    drafts = Drafts(db, "home")
    drafts.save("message:ola", raw="Could we talk about R?", title="Mentoring?")
    item = outbox.enqueue_message(
        ["ola", "@chen", "ola", " "], "Mentoring?", "Could we talk about R?", "message:ola"
    )
    assert item.kind is OutboxKind.MESSAGE and item.participants == ("ola", "chen")
    assert item.title == "Mentoring?" and item.topic_id is None
    [outcome] = await outbox.send_due(forum, now=T0)
    sent = outcome.item
    assert sent.state is OutboxState.SENT and not outcome.recovered
    assert isinstance(sent.result, TopicPage) and sent.result.topic.title == "Mentoring?"
    assert sent.topic_id == sent.result.topic.id and sent.post_id == sent.result.posts[0].id
    assert community.private == {sent.topic_id: ("ola", "chen")}
    assert forum.creates == Counter({item.idempotency_key: 1})
    assert drafts.load("message:ola") is None
    assert await outbox.send_due(forum, now=T0 + 1000) == []
    assert outbox.get(item.id).participants == ("ola", "chen")  # read back from the file
    with pytest.raises(OutboxError, match="someone to write to"):
        outbox.enqueue_message(["@", ""], "Nobody", "text")


async def test_a_conversation_written_offline_goes_once_the_forum_is_back(db: Path) -> None:
    forum = FakeForum()
    forum.online = False
    outbox = message_outbox(db, FakeCommunity(forum))
    item = outbox.enqueue_message(["ben"], "Notes", "Can you share yours?")
    [first] = await outbox.send_due(forum, now=T0)
    assert first.item.state is OutboxState.QUEUED and isinstance(first.error, Offline)
    assert not first.item.ambiguous and first.item.raw == "Can you share yours?"
    forum.online = True
    [second] = await outbox.send_due(forum, now=first.item.next_attempt_at)
    assert second.item.state is OutboxState.SENT
    assert forum.creates == Counter({item.idempotency_key: 1}) and forum.copies(item.raw) == 1


async def test_a_lost_answer_without_idempotency_finds_the_conversation(db: Path) -> None:
    forum = FakeForum(idempotency=False)  # as Discourse: a resend would make a second one
    community = FakeCommunity(forum)
    outbox = message_outbox(db, community)
    # An older conversation of ours with the same title is not taken for it.
    forum.threads[9] = {"title": "Check-in", "category_id": 0, "posts": []}
    old = forum._make_post(9, ME, "Last month's check-in", None)
    forum.threads[9]["posts"][0] = replace(old, created_at=datetime(2020, 1, 1, tzinfo=UTC))
    community.private[9] = ("ola",)
    forum.lose_answers = 1
    outbox.enqueue_message(["ola"], "Check-in", "How is week 3 going?")
    [first] = await outbox.send_due(forum, now=T0)
    assert first.item.state is OutboxState.QUEUED and first.item.ambiguous
    assert forum.copies("How is week 3 going?") == 1
    [second] = await outbox.send_due(forum, now=first.item.next_attempt_at)
    assert second.recovered and second.item.state is OutboxState.SENT
    page = second.item.result
    assert isinstance(page, TopicPage) and page.topic.id != 9
    assert page.posts[0].raw == "How is week 3 going?"
    assert forum.calls.count("start_conversation") == 1 and "conversations" in forum.calls
    assert forum.copies("How is week 3 going?") == 1 and len(community.private) == 2


async def test_a_lost_request_without_idempotency_is_sent_again(db: Path) -> None:
    forum = FakeForum(idempotency=False)
    community = FakeCommunity(forum)
    outbox = message_outbox(db, community)
    forum.fail_next.append(Offline("reset after sending", ambiguous=True))
    outbox.enqueue_message(["ola"], "Check-in", "Never arrived")
    [first] = await outbox.send_due(forum, now=T0)
    assert first.item.ambiguous and not community.private
    [second] = await outbox.send_due(forum, now=first.item.next_attempt_at)
    assert second.item.state is OutboxState.SENT and not second.recovered
    assert forum.copies("Never arrived") == 1


async def test_a_lost_answer_with_idempotency_resends_with_the_same_key(db: Path) -> None:
    forum = FakeForum(idempotency=True)
    outbox = message_outbox(db, FakeCommunity(forum))
    forum.lose_answers = 1
    item = outbox.enqueue_message(["ola"], "Keyed", "Once only")
    [first] = await outbox.send_due(forum, now=T0)
    [second] = await outbox.send_due(forum, now=first.item.next_attempt_at)
    assert second.item.state is OutboxState.SENT and not second.recovered
    assert forum.keys_sent == [item.idempotency_key, item.idempotency_key]
    assert "conversations" not in forum.calls and forum.copies("Once only") == 1


@pytest.mark.parametrize(
    ("community", "reason"),
    [
        (None, "this forum has no private messages"),
        ("unsupported", "Log in to this Discourse forum to read your private messages."),
    ],
)
async def test_a_forum_without_conversations_rejects_and_keeps_the_text(
    db: Path, community: str | None, reason: str
) -> None:
    forum = FakeForum()
    adapter = FakeCommunity(forum, reason=reason) if community else None
    outbox = message_outbox(db, adapter)
    item = outbox.enqueue_message(["ola"], "Hello", "Kept whatever happens")
    [outcome] = await outbox.send_due(forum, now=T0)
    refused = outcome.item
    assert refused.state is OutboxState.REJECTED and refused.reason == reason
    assert refused.reason_code == "unsupported" and isinstance(outcome.error, Rejected)
    assert refused.raw == "Kept whatever happens" and refused.participants == ("ola",)
    assert outbox.problems() == [refused] and not forum.creates
    assert refused.id == item.id


async def test_the_default_lookup_finds_no_community_on_an_unknown_backend(db: Path) -> None:
    outbox = Outbox(db, "home", clock=lambda: T0)  # community_of: FakeForum is neither kind
    outbox.enqueue_message(["ola"], "Hello", "text")
    [outcome] = await outbox.send_due(FakeForum(), now=T0)
    assert outcome.item.state is OutboxState.REJECTED
    assert outcome.item.reason == "this forum has no private messages"
