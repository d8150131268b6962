"""The forum goes away: cached threads still read and search; a reply waits in the outbox
and is delivered, once, when the forum is back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypeVar

from tests.serverproc import start_server
from tui.forum.cache import Cache
from tui.forum.models import Freshness
from tui.forum.native import NativeBackend
from tui.forum.outbox import Outbox, OutboxState
from tui.forum.repository import Answer, Repository

T = TypeVar("T")


async def answers(stream: AsyncIterator[Answer[T]]) -> list[Answer[T]]:
    return [a async for a in stream]


async def test_offline_read_search_and_queued_reply(tmp_path: Path) -> None:
    server = start_server(tmp_path, args=("--sample",))
    assert server.socket is not None
    backend = NativeBackend.for_socket(server.socket)
    cache = Cache(tmp_path / "cache.db")
    repo = Repository(backend, cache)
    outbox = Outbox(tmp_path / "state.db", "club")
    try:
        online = await answers(repo.thread(1))
        fresh = online[-1]
        assert fresh.freshness is Freshness.FRESH and fresh.value is not None
        posts = fresh.value.posts
        assert len(posts) == fresh.value.topic.posts_count >= 3
        word = "pandas"
        found = await answers(repo.search(word))
        assert found[-1].freshness is Freshness.FRESH and found[-1].value is not None
        await answers(repo.thread(found[-1].value.results[0].topic_id))

        server.stop()

        offline = await answers(repo.thread(1))
        assert [a.freshness for a in offline] == [Freshness.STALE, Freshness.OFFLINE]
        assert offline[-1].value is not None
        assert [p.id for p in offline[-1].value.posts] == [p.id for p in posts]
        searched = await answers(repo.search(word))
        assert searched[-1].freshness is Freshness.OFFLINE
        assert searched[-1].value is not None and searched[-1].value.results
        assert all(
            word in r.blurb.lower() or word in r.topic_title.lower()
            for r in searched[-1].value.results
        )

        text = "Written on a train with no signal."
        item = outbox.enqueue_reply(
            1, text, reply_to_post_number=2, since_post_number=posts[-1].post_number
        )
        outcomes = await outbox.send_due(backend)
        assert outcomes and outcomes[0].error is not None
        queued = outbox.get(item.id)
        assert queued is not None and queued.state is OutboxState.QUEUED
        assert [p.raw for p in (i.as_pending_post("me") for i in outbox.pending_for(1))] == [text]

        server = start_server(tmp_path, db=server.db)
        outbox.wake()
        await outbox.send_due(backend)
        await outbox.send_due(backend)  # a second round must not send it again
        sent = outbox.get(item.id)
        assert sent is not None and sent.state is OutboxState.SENT
        after = await answers(repo.thread(1))
        assert after[-1].freshness is Freshness.FRESH and after[-1].value is not None
        mine = [p for p in after[-1].value.posts if p.raw == text]
        assert len(mine) == 1 and mine[0].reply_to_post_number == 2
    finally:
        server.stop()
        await backend.aclose()
        cache.close()
        outbox.close()
