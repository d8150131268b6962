"""Stale-while-revalidate reads: cached first, then fresh, or cached again when offline;
threads fetch only what the cache lacks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from tests.fake_backend import FakeBackend
from tui.forum.backend import NotFound, Offline, RateLimited, ServerError
from tui.forum.cache import Cache
from tui.forum.models import Freshness, NotificationKind, Post, TopicPage
from tui.forum.repository import Answer, Repository
from tui.forum.sync import Syncer

T = TypeVar("T")

FRESH, STALE, OFFLINE = Freshness.FRESH, Freshness.STALE, Freshness.OFFLINE


async def collect(answers: AsyncIterator[Answer[T]]) -> list[Answer[T]]:
    return [a async for a in answers]


def kinds(answers: list[Answer[T]]) -> list[Freshness]:
    return [a.freshness for a in answers]


@pytest.fixture
def backend() -> FakeBackend:
    fake = FakeBackend()
    python = fake.add_category("python", "Python")
    fake.add_category("rust", "Rust")
    fake.add_topic("Async generators", "How do async generators work?", category=python)
    return fake


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened = Cache(tmp_path / "cache.db")
    yield opened
    opened.close()


@pytest.fixture
def repo(backend: FakeBackend, cache: Cache) -> Repository:
    return Repository(backend, cache)


def the_value(answer: Answer[T]) -> T:
    assert answer.value is not None, answer
    return answer.value


# -- the shape of an answer: stale, then fresh or offline -------------------------------------


async def test_first_read_is_fresh_then_stale_before_fresh(
    repo: Repository, backend: FakeBackend
) -> None:
    first = await collect(repo.categories())
    assert kinds(first) == [FRESH]
    assert [c.slug for c in the_value(first[0])] == ["python", "rust"]
    backend.add_category("go", "Go")
    second = await collect(repo.categories())
    assert kinds(second) == [STALE, FRESH]
    assert [c.slug for c in the_value(second[0])] == ["python", "rust"]
    assert [c.slug for c in the_value(second[1])] == ["python", "rust", "go"]
    assert all(a.error is None for a in second)
    assert backend.calls["categories"] == 2


async def test_offline_answers_the_cached_value_again(
    repo: Repository, backend: FakeBackend
) -> None:
    await collect(repo.categories())
    backend.offline = True
    answers = await collect(repo.categories())
    assert kinds(answers) == [STALE, OFFLINE]
    assert answers[0].value == answers[1].value and answers[1].value
    assert isinstance(answers[1].error, Offline)


async def test_offline_with_nothing_cached_answers_the_error(
    repo: Repository, backend: FakeBackend
) -> None:
    backend.offline = True
    (answer,) = await collect(repo.topics())
    assert answer.value is None and answer.freshness == OFFLINE
    assert isinstance(answer.error, Offline)


async def test_other_errors_come_after_the_stale_answer(
    repo: Repository, backend: FakeBackend
) -> None:
    await collect(repo.notifications())
    backend.fail_next("notifications", ServerError("boom", status=500))
    stale, failed = await collect(repo.notifications())
    assert stale.freshness == STALE and stale.error is None
    assert isinstance(failed.error, ServerError) and failed.value == stale.value
    backend.fail_next("categories", RateLimited("slow down", retry_after=3))
    (only,) = await collect(repo.categories())
    assert only.value is None and isinstance(only.error, RateLimited)


async def test_topic_lists_are_cached_per_filter_category_tag_and_cursor(
    repo: Repository, backend: FakeBackend
) -> None:
    python = next(c for c in await backend.categories() if c.slug == "python")
    rust = next(c for c in await backend.categories() if c.slug == "rust")
    backend.add_topic("Lifetimes", category=rust, tags=("borrow",))
    backend.page_size = 1
    latest = await collect(repo.topics())
    assert kinds(latest) == [FRESH]
    assert [t.title for t in the_value(latest[0]).topics] == ["Lifetimes"]
    assert the_value(latest[0]).next_cursor == "1"
    in_python = await collect(repo.topics(category=python))
    assert [t.title for t in the_value(in_python[-1]).topics] == ["Async generators"]
    page_two = await collect(repo.topics(cursor="1"))
    assert [t.title for t in the_value(page_two[-1]).topics] == ["Async generators"]
    tagged = await collect(repo.topics(tag="borrow"))
    assert [t.title for t in the_value(tagged[-1]).topics] == ["Lifetimes"]
    backend.offline = True
    for read, title in [
        (repo.topics(), "Lifetimes"),
        (repo.topics(category=python), "Async generators"),
        (repo.topics(cursor="1"), "Async generators"),
    ]:
        answers = await collect(read)
        assert kinds(answers) == [STALE, OFFLINE]
        assert [t.title for t in the_value(answers[-1]).topics] == [title]
    (nothing,) = await collect(repo.topics("top"))
    assert nothing.value is None


async def test_fresh_for_skips_the_forum_until_the_cache_is_marked_stale(
    backend: FakeBackend, cache: Cache
) -> None:
    repo = Repository(backend, cache, fresh_for=3600)
    await collect(repo.topics())
    assert backend.calls["topics"] == 1
    again = await collect(repo.topics())
    assert kinds(again) == [FRESH] and backend.calls["topics"] == 1
    topic_id = the_value(again[0]).topics[0].id
    cache.invalidate_lists(topic_id)
    assert kinds(await collect(repo.topics())) == [STALE, FRESH]
    assert backend.calls["topics"] == 2
    await collect(repo.thread(topic_id))
    assert kinds(await collect(repo.thread(topic_id))) == [FRESH]
    assert backend.calls["topic"] == 1
    cache.mark_stale("thread", topic_id)
    assert kinds(await collect(repo.thread(topic_id))) == [STALE, FRESH]


# -- threads -------------------------------------------------------------------------------


def numbers(page: TopicPage) -> list[int]:
    return [p.post_number for p in page.posts]


async def long_thread(backend: FakeBackend, posts: int) -> int:
    topic = backend.add_topic("A long one", "the first post")
    backend.add_posts(topic.id, posts - 1)
    return topic.id


async def test_thread_fetches_only_the_missing_posts(
    repo: Repository, backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await long_thread(backend, 280)
    first = await collect(repo.thread(topic_id))
    assert kinds(first) == [FRESH, FRESH]
    assert [a.complete for a in first] == [False, True]
    assert numbers(the_value(first[0])) == list(range(1, 21))  # the first chunk, at once
    assert numbers(the_value(first[-1])) == list(range(1, 281))

    new = backend.add_posts(topic_id, 20)  # now 300 posts, 280 of them cached
    backend.calls.clear()
    backend.requested_post_ids.clear()
    answers = await collect(repo.thread(topic_id))
    assert kinds(answers) == [STALE, FRESH, FRESH]
    assert numbers(the_value(answers[0])) == list(range(1, 281))
    final = the_value(answers[-1])
    assert numbers(final) == list(range(1, 301)) and answers[-1].complete
    assert final.post_ids is not None and len(final.post_ids) == 300
    assert backend.calls == {"topic": 1, "posts": 1}
    assert backend.requested_post_ids == [[p.id for p in new]]
    assert cache.get_thread(topic_id) == final


async def test_thread_fills_gaps_anywhere_and_refreshes_the_first_chunk(
    repo: Repository, backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await long_thread(backend, 300)
    every = backend.thread_posts(topic_id)
    gaps = {every[n].id for n in (5, 40, 41, 150, 299)}  # 5 is in the first chunk
    page = await backend.topic(topic_id)
    cache.put_thread(TopicPage(page.topic, page.post_ids, ()))
    cache.put_posts([p for p in every if p.id not in gaps])
    backend.edit(every[0].id, "the first post, edited")
    backend.edit(every[200].id, "edited, outside the first chunk")
    backend.calls.clear()
    answers = await collect(repo.thread(topic_id))
    final = the_value(answers[-1])
    assert numbers(final) == list(range(1, 301))
    assert backend.requested_post_ids == [sorted(gaps - {every[5].id})]
    assert final.posts[0].raw == "the first post, edited"  # refetched with the head
    # Edits elsewhere reach the cache through the change feed, not by refetching all.
    assert final.posts[200].raw == every[200].raw


async def test_thread_fetches_in_batches(repo: Repository, backend: FakeBackend) -> None:
    topic_id = await long_thread(backend, 250)
    answers = await collect(repo.thread(topic_id))
    assert numbers(the_value(answers[-1])) == list(range(1, 251))
    assert [len(ids) for ids in backend.requested_post_ids] == [100, 100, 30]


async def test_thread_max_fetch_takes_the_first_missing_posts(
    repo: Repository, backend: FakeBackend
) -> None:
    topic_id = await long_thread(backend, 100)
    capped = await collect(repo.thread(topic_id, max_fetch=30))
    assert numbers(the_value(capped[-1])) == list(range(1, 51))
    assert not capped[-1].complete and capped[-1].freshness == FRESH
    rest = await collect(repo.thread(topic_id))
    assert numbers(the_value(rest[-1])) == list(range(1, 101)) and rest[-1].complete
    assert [len(ids) for ids in backend.requested_post_ids] == [30, 50]


async def test_thread_drops_posts_the_forum_no_longer_lists(
    repo: Repository, backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await long_thread(backend, 5)
    await collect(repo.thread(topic_id))
    ghost = backend.thread_posts(topic_id)[3]
    backend.topic_rows[topic_id].post_ids.remove(ghost.id)  # moved to another topic
    final = (await collect(repo.thread(topic_id)))[-1]
    assert ghost.id not in {p.id for p in the_value(final).posts}
    assert cache.get_post(ghost.id) is None


async def test_thread_without_post_ids_pages_on_from_the_last_cached_post(
    backend: FakeBackend, cache: Cache
) -> None:
    backend.list_post_ids = False
    repo = Repository(backend, cache)
    topic_id = await long_thread(backend, 65)
    answers = await collect(repo.thread(topic_id))
    assert numbers(the_value(answers[-1])) == list(range(1, 66))
    assert backend.calls["posts_after"] == 3  # 21-40, 41-60, 61-65
    backend.add_posts(topic_id, 3)
    backend.calls.clear()
    answers = await collect(repo.thread(topic_id))
    assert numbers(the_value(answers[-1])) == list(range(1, 69))
    assert backend.calls == {"topic": 1, "posts_after": 1}
    backend.add_posts(topic_id, 50)
    capped = await collect(repo.thread(topic_id, max_fetch=20))
    assert numbers(the_value(capped[-1]))[-1] == 88 and not capped[-1].complete
    rest = await collect(repo.thread(topic_id))
    assert numbers(the_value(rest[-1])) == list(range(1, 119)) and rest[-1].complete


async def test_thread_read_offline_from_the_cache(repo: Repository, backend: FakeBackend) -> None:
    topic_id = await long_thread(backend, 45)
    fresh = the_value((await collect(repo.thread(topic_id)))[-1])
    backend.offline = True
    answers = await collect(repo.thread(topic_id))
    assert kinds(answers) == [STALE, OFFLINE]
    assert answers[1].value == fresh and len(fresh.posts) == 45
    assert isinstance(answers[1].error, Offline)
    (unknown,) = await collect(repo.thread(999_999))
    assert unknown.value is None and unknown.freshness == OFFLINE


async def test_thread_cut_off_half_way_keeps_what_it_got(
    repo: Repository, backend: FakeBackend
) -> None:
    topic_id = await long_thread(backend, 250)
    # The first batch arrives, then the connection goes away.
    real_posts = backend.posts
    calls = 0

    async def first_then_offline(topic: int, ids: list[int]) -> list[Post]:
        nonlocal calls
        calls += 1
        if calls == 1:
            return await real_posts(topic, ids)
        raise Offline("the line dropped")

    backend.posts = first_then_offline  # type: ignore[method-assign,assignment]
    answers = await collect(repo.thread(topic_id))
    last = answers[-1]
    assert last.freshness == OFFLINE and not last.complete
    assert numbers(the_value(last)) == list(range(1, 121))
    backend.posts = real_posts  # type: ignore[method-assign]
    backend.calls.clear()
    backend.requested_post_ids.clear()
    done = await collect(repo.thread(topic_id))
    assert numbers(the_value(done[-1])) == list(range(1, 251))
    assert [len(ids) for ids in backend.requested_post_ids] == [100, 30]


async def test_a_deleted_topic_is_forgotten(
    repo: Repository, backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await long_thread(backend, 3)
    await collect(repo.thread(topic_id))
    backend.remove(backend.thread_posts(topic_id)[0].id)
    stale, gone = await collect(repo.thread(topic_id))
    assert stale.freshness == STALE
    assert gone.value is None and isinstance(gone.error, NotFound)
    assert cache.get_thread(topic_id) is None and cache.get_posts(topic_id) == []


# -- search ----------------------------------------------------------------------------------


async def test_search_online_asks_the_forum(repo: Repository, backend: FakeBackend) -> None:
    (answer,) = await collect(repo.search("generators"))
    assert answer.freshness == FRESH
    assert [r.topic_title for r in the_value(answer).results] == ["Async generators"]
    backend.fail_next("search", ServerError("down", status=503))
    (failed,) = await collect(repo.search("generators"))
    assert failed.value is None and isinstance(failed.error, ServerError)


async def test_search_offline_finds_cached_posts(repo: Repository, backend: FakeBackend) -> None:
    topic = backend.add_topic("Sorting", "Use a key function with sorted().")
    backend.add_post(topic.id, "Timsort is stable, so sort twice.", username="carol")
    backend.add_post(topic.id, None, cooked="<p>Heapq <em>merges</em> sorted runs</p>")
    await collect(repo.thread(topic.id))
    backend.offline = True
    (answer,) = await collect(repo.search("stable @carol"))
    assert answer.freshness == OFFLINE and isinstance(answer.error, Offline)
    (hit,) = the_value(answer).results
    assert (hit.topic_id, hit.post_number, hit.topic_title) == (topic.id, 2, "Sorting")
    (html,) = await collect(repo.search("merges"))
    assert [r.post_number for r in the_value(html).results] == [3]
    (none,) = await collect(repo.search("generators"))  # that thread was never opened
    assert the_value(none).results == ()


# -- write-through ---------------------------------------------------------------------------


async def test_remember_post_shows_a_sent_reply_before_the_next_fetch(
    repo: Repository, backend: FakeBackend
) -> None:
    topic_id = await long_thread(backend, 3)
    await collect(repo.thread(topic_id))
    sent = await backend.reply(topic_id, "my reply", reply_to_post_number=2, key="k1")
    await repo.remember_post(sent)
    backend.offline = True
    answers = await collect(repo.thread(topic_id))
    page = the_value(answers[-1])
    assert [p.raw for p in page.posts][-1] == "my reply"
    assert page.post_ids is not None and page.post_ids[-1] == sent.id
    with pytest.raises(ValueError):
        await repo.remember_post(
            Post(
                id=-1,
                topic_id=topic_id,
                post_number=0,
                username="me",
                created_at=sent.created_at,
                raw="draft",
                pending=True,
            )
        )


async def test_forget_post_leaves_a_tombstone_out_of_search(
    repo: Repository, backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await long_thread(backend, 3)
    await collect(repo.thread(topic_id))
    victim = backend.thread_posts(topic_id)[1]
    assert cache.search("reply").results
    await repo.forget_post(victim.id)
    tomb = cache.get_post(victim.id)
    assert tomb is not None and tomb.deleted
    assert victim.id not in {r.post_id for r in cache.search("reply").results}
    assert cache.fetched_at("thread", topic_id) == 0.0


async def test_mark_read_is_sent_or_kept_until_it_can_be(
    repo: Repository, backend: FakeBackend, cache: Cache
) -> None:
    topic_id = await long_thread(backend, 10)
    await collect(repo.topics())
    assert await repo.mark_read(topic_id, 4) is True
    assert backend.read_marks[topic_id] == 4 and cache.pending_reads() == []

    backend.offline = True
    assert await repo.mark_read(topic_id, 9) is False
    assert cache.pending_reads() == [(topic_id, 9)]
    # The list shows it read at once, offline.
    answers = await collect(repo.topics())
    shown = next(t for t in the_value(answers[-1]).topics if t.id == topic_id)
    assert shown.last_read_post_number == 9 and shown.unread_count == 1

    backend.offline = False
    fresh = await collect(repo.topics())  # the forum still says 4; the local mark wins
    shown = next(t for t in the_value(fresh[-1]).topics if t.id == topic_id)
    assert shown.last_read_post_number == 9
    await Syncer(backend, cache).step()  # flushes what was kept
    assert backend.read_marks[topic_id] == 9 and cache.pending_reads() == []


async def test_a_refused_read_mark_is_not_retried_forever(
    repo: Repository, backend: FakeBackend, cache: Cache
) -> None:
    backend.fail_next("set_read", NotFound("no such topic", status=404))
    assert await repo.mark_read(12345, 3) is False
    assert cache.pending_reads() == []
    assert cache.get_read_state(12345) == 3


async def test_notifications(repo: Repository, backend: FakeBackend) -> None:
    backend.add_notification(NotificationKind.MENTION, actor="dana")
    (first,) = await collect(repo.notifications())
    assert the_value(first).unread_count == 1
    backend.offline = True
    stale, offline = await collect(repo.notifications())
    assert (stale.freshness, offline.freshness) == (STALE, OFFLINE)
    assert the_value(offline).notifications[0].actor == "dana"


async def test_site_and_me_are_known_offline(repo: Repository, backend: FakeBackend) -> None:
    (site,) = await collect(repo.site())
    (me,) = await collect(repo.me())
    assert the_value(site).reactions == ("like", "heart", "laugh")
    assert the_value(me).username == "me"
    backend.offline = True
    sites = await collect(repo.site())
    mes = await collect(repo.me())
    assert kinds(sites) == kinds(mes) == [STALE, OFFLINE]
    assert the_value(sites[-1]).features == the_value(site).features
    assert the_value(mes[-1]).username == "me"


async def test_me_when_reading_anonymously(cache: Cache) -> None:
    backend = FakeBackend()
    repo = Repository(backend, cache)
    await collect(repo.me())
    backend.username = None  # logged out since
    stale, fresh = await collect(repo.me())
    assert the_value(stale).username == "me"
    assert fresh.value is None and fresh.freshness == FRESH and fresh.error is None
    (again,) = await collect(repo.me())
    assert again.value is None and again.freshness == FRESH
