"""The change feed applied to the cache: new and edited posts of cached threads fetched
(only those), deletions as tombstones, changed topics marked stale, the cursor kept."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_backend import FakeBackend
from tui.forum.backend import NotFound, Offline, RateLimited
from tui.forum.cache import Cache
from tui.forum.models import Freshness, TopicPage
from tui.forum.repository import Repository
from tui.forum.sync import CURSOR_KEY, Syncer, SyncResult


@pytest.fixture
def backend() -> FakeBackend:
    fake = FakeBackend()
    fake.add_category("general")
    return fake


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened = Cache(tmp_path / "cache.db")
    yield opened
    opened.close()


async def opened_thread(backend: FakeBackend, cache: Cache, replies: int = 3) -> int:
    """A topic whose thread the user has opened (so the cache holds it)."""
    topic = backend.add_topic("Cached", "first")
    backend.add_posts(topic.id, replies)
    cache.put_thread(await backend.topic(topic.id))
    return topic.id


async def started(backend: FakeBackend, cache: Cache) -> Syncer:
    syncer = Syncer(backend, cache)
    first = await syncer.step()
    assert first.reset and first.changes == 0
    return syncer


async def test_the_first_step_takes_the_cursor_and_marks_everything_stale(
    backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await opened_thread(backend, cache)
    cache.put_topic_list(Cache.list_key(), await backend.topics())
    syncer = Syncer(backend, cache)
    result = await syncer.step()
    assert result.reset and result.topic_ids == frozenset()
    assert cache.get_meta(CURSOR_KEY) == str(len(backend.change_log))
    assert cache.fetched_at("thread", topic_id) == 0.0
    assert cache.list_fetched_at(Cache.list_key()) == 0.0
    assert cache.get_thread(topic_id) is not None  # stale, still readable
    nothing = await syncer.step()
    assert not nothing.changed and nothing.changes == 0


async def test_new_posts_of_cached_threads_are_fetched_and_only_those(
    backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await opened_thread(backend, cache)
    other = backend.add_topic("Never opened")
    syncer = await started(backend, cache)
    a = backend.add_post(topic_id, "news one")
    b = backend.add_post(topic_id, "news two")
    backend.add_post(other.id, "not cached, not fetched")
    backend.calls.clear()
    result = await syncer.step()
    assert result.topic_ids == {topic_id, other.id}
    assert result.changes == 3 and result.fetched_posts == 2
    assert backend.calls["posts"] == 1 and backend.requested_post_ids[-1] == [a.id, b.id]
    page = cache.get_thread(topic_id)
    assert page is not None and [p.raw for p in page.posts][-2:] == ["news one", "news two"]
    assert page.post_ids is not None and page.post_ids[-2:] == (a.id, b.id)
    assert cache.get_posts(other.id) == []
    assert cache.search("news").results  # offline search knows them already
    assert cache.get_meta(CURSOR_KEY) == str(len(backend.change_log))


async def test_edits_replace_the_text_in_the_cache_and_its_index(
    backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await opened_thread(backend, cache)
    syncer = await started(backend, cache)
    target = backend.thread_posts(topic_id)[2]
    backend.edit(target.id, "completely rewritten")
    await syncer.step()
    cached = cache.get_post(target.id)
    assert cached is not None and cached.raw == "completely rewritten" and cached.version == 2
    assert [r.post_id for r in cache.search("rewritten").results] == [target.id]
    assert target.id not in {r.post_id for r in cache.search(f'"{target.raw}"').results}


async def test_deleted_posts_become_tombstones_and_deleted_topics_vanish(
    backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await opened_thread(backend, cache)
    doomed = await opened_thread(backend, cache)
    syncer = await started(backend, cache)
    victim = backend.thread_posts(topic_id)[1]
    backend.remove(victim.id)
    backend.remove(backend.thread_posts(doomed)[0].id)
    backend.calls.clear()
    result = await syncer.step()
    assert result.topic_ids == {topic_id, doomed}
    tomb = cache.get_post(victim.id)
    assert tomb is not None and tomb.deleted and tomb.raw == ""
    assert cache.get_thread(doomed) is None and cache.get_posts(doomed) == []
    assert backend.calls["posts"] == 0


async def test_topic_changes_mark_the_topic_and_its_lists_stale(
    backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await opened_thread(backend, cache)
    elsewhere = backend.add_topic("Elsewhere")
    shows_it = Cache.list_key("latest")
    shows_other = Cache.list_key("top")
    syncer = await started(backend, cache)
    cache.put_thread(await backend.topic(topic_id))
    backend.page_size = 1  # one topic per page: each list shows just one of the two
    cache.put_topic_list(shows_other, await backend.topics(cursor="1"))
    only_other = cache.get_topic_list(shows_other)
    assert only_other is not None and [t.id for t in only_other.topics] == [topic_id]
    cache.put_topic_list(shows_it, await backend.topics())
    shown = cache.get_topic_list(shows_it)
    assert shown is not None and [t.id for t in shown.topics] == [elsewhere.id]

    backend.retitle(elsewhere.id, "Renamed")
    result = await syncer.step()
    assert result.topic_ids == {elsewhere.id}
    assert cache.list_fetched_at(shows_it) == 0.0
    assert (cache.list_fetched_at(shows_other) or 0) > 0  # does not show it
    assert cache.fetched_at("topic", elsewhere.id) == 0.0
    assert (cache.fetched_at("thread", topic_id) or 0) > 0

    backend.add_topic("Brand new")  # may belong in any list
    await syncer.step()
    assert cache.list_fetched_at(shows_other) == 0.0


async def test_reactions_and_solutions_refetch_the_posts_they_touch(
    backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await opened_thread(backend, cache)
    syncer = await started(backend, cache)
    posts = backend.thread_posts(topic_id)
    await backend.set_solution(topic_id, posts[1].id)
    await backend.react(posts[2].id, "heart", True)
    await syncer.step()
    accepted = cache.get_post(posts[1].id)
    hearted = cache.get_post(posts[2].id)
    assert accepted is not None and accepted.accepted
    assert hearted is not None and [r.name for r in hearted.reactions] == ["heart"]
    await backend.set_solution(topic_id, posts[3].id)  # the old answer loses the flag
    await syncer.step()
    old, new = cache.get_post(posts[1].id), cache.get_post(posts[3].id)
    assert old is not None and not old.accepted
    assert new is not None and new.accepted


async def test_category_changes_mark_the_categories_stale(
    backend: FakeBackend, cache: Cache
) -> None:
    cache.put_categories(await backend.categories())
    syncer = await started(backend, cache)
    cache.put_categories(await backend.categories())
    backend.add_category("new-one")
    result = await syncer.step()
    assert result.categories_changed and result.changed
    assert cache.fetched_at("categories", 0) == 0.0


async def test_a_cursor_too_old_resets(backend: FakeBackend, cache: Cache) -> None:
    backend.keep_changes = 2
    topic_id = await opened_thread(backend, cache)
    syncer = await started(backend, cache)
    cache.put_thread(await backend.topic(topic_id))
    for n in range(5):
        backend.add_post(topic_id, f"missed {n}")
    result = await syncer.step()
    assert result.reset and result.changes == 0
    assert cache.fetched_at("thread", topic_id) == 0.0
    assert cache.get_meta(CURSOR_KEY) == str(backend._seq)


async def test_an_expired_cursor_error_resets_too(backend: FakeBackend, cache: Cache) -> None:
    syncer = await started(backend, cache)
    backend.fail_next("changes", NotFound("cursor expired", status=410, code="cursor_expired"))
    result = await syncer.step()
    assert result.reset
    backend.fail_next("changes", NotFound("gone", status=404, code="not_found"))
    with pytest.raises(NotFound):
        await syncer.step()


async def test_offline_part_way_leaves_the_cursor_so_the_batch_is_applied_again(
    backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await opened_thread(backend, cache)
    syncer = await started(backend, cache)
    cursor = cache.get_meta(CURSOR_KEY)
    news = backend.add_post(topic_id, "arrives later")
    backend.fail_next("posts", Offline("line dropped"))
    with pytest.raises(Offline):
        await syncer.step()
    assert cache.get_meta(CURSOR_KEY) == cursor
    assert cache.get_post(news.id) is None
    await syncer.step()
    fetched = cache.get_post(news.id)
    assert fetched is not None and fetched.raw == "arrives later"


async def test_the_syncer_works_the_same_for_a_discourse_shaped_backend(cache: Cache) -> None:
    backend = FakeBackend(kind="discourse", list_post_ids=False)
    topic = backend.add_topic("Long", "first")
    backend.add_posts(topic.id, 3)
    cache.put_thread(await backend.topic(topic.id))
    syncer = await started(backend, cache)
    news = backend.add_post(topic.id, "polled")
    result = await syncer.step()
    assert result.topic_ids == {topic.id}
    assert cache.get_post(news.id) is not None


async def test_a_synced_cache_answers_fresh_without_asking(
    backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await opened_thread(backend, cache)
    repo = Repository(backend, cache, fresh_for=3600)
    syncer = await started(backend, cache)
    [a async for a in repo.thread(topic_id)]
    backend.calls.clear()
    answers = [a async for a in repo.thread(topic_id)]
    assert [a.freshness for a in answers] == [Freshness.FRESH] and not backend.calls
    backend.retitle(topic_id, "Changed elsewhere")
    await syncer.step()
    answers = [a async for a in repo.thread(topic_id)]
    assert [a.freshness for a in answers] == [Freshness.STALE, Freshness.FRESH]
    final = answers[-1].value
    assert isinstance(final, TopicPage) and final.topic.title == "Changed elsewhere"


# -- run: the loop ---------------------------------------------------------------------------


async def test_run_backs_off_while_offline_and_reports_changes(
    backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await opened_thread(backend, cache)
    syncer = Syncer(backend, cache, backoff=(0.001, 0.004))
    await syncer.step()
    backend.offline = True
    results: list[SyncResult] = []
    got = asyncio.Event()

    def heard(result: SyncResult) -> None:
        results.append(result)
        got.set()

    stop = asyncio.Event()
    task = asyncio.create_task(syncer.run(stop, wait=0, on_result=heard))
    while backend.calls["changes"] < 5:  # it keeps trying, with backoff
        await asyncio.sleep(0.001)
    assert not results
    backend.offline = False
    news = backend.add_post(topic_id, "back online")
    await asyncio.wait_for(got.wait(), timeout=30)
    stop.set()
    await asyncio.wait_for(task, timeout=30)
    assert results[0].topic_ids == {topic_id}
    assert cache.get_post(news.id) is not None


async def test_run_honours_retry_after(backend: FakeBackend, cache: Cache) -> None:
    syncer = Syncer(backend, cache, backoff=(0.001, 0.004))
    await syncer.step()
    backend.fail_next("changes", RateLimited("slow down", retry_after=0.002))
    stop = asyncio.Event()
    task = asyncio.create_task(syncer.run(stop, wait=0))
    while backend.calls["changes"] < 3:
        await asyncio.sleep(0.001)
    stop.set()
    await asyncio.wait_for(task, timeout=30)
    assert task.done() and task.exception() is None


async def test_run_stops_while_long_polling(backend: FakeBackend, cache: Cache) -> None:
    syncer = Syncer(backend, cache)
    await syncer.step()
    stop = asyncio.Event()
    task = asyncio.create_task(syncer.run(stop, wait=3600))
    while backend.calls["changes"] < 2:
        await asyncio.sleep(0.001)
    stop.set()
    await asyncio.wait_for(task, timeout=30)  # without stop it would wait an hour
    assert task.exception() is None


async def test_run_wakes_on_news_while_long_polling(backend: FakeBackend, cache: Cache) -> None:
    topic_id = await opened_thread(backend, cache)
    syncer = Syncer(backend, cache)
    await syncer.step()
    stop = asyncio.Event()
    heard: asyncio.Queue[SyncResult] = asyncio.Queue()

    async def on_result(result: SyncResult) -> None:
        await heard.put(result)

    task = asyncio.create_task(syncer.run(stop, wait=3600, on_result=on_result))
    while backend.calls["changes"] < 2:
        await asyncio.sleep(0.001)
    backend.add_post(topic_id, "wake up")
    result = await asyncio.wait_for(heard.get(), timeout=30)
    stop.set()
    await asyncio.wait_for(task, timeout=30)
    assert result.topic_ids == {topic_id} and result.fetched_posts == 1
