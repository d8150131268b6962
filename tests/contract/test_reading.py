"""Reading, the same for every backend."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest

from tests.contract.facts import ContractForum
from tui.forum.backend import NotFound
from tui.forum.models import Category, Post, Topic, User

UNSAFE = {chr(c) for c in range(0x20) if c not in (9, 10)} | {chr(0x7F)}
UNSAFE |= {chr(c) for c in range(0x80, 0xA0)}
UNSAFE |= {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def strings_in(value: Any) -> list[str]:
    """Every string inside a model, however deep."""
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [s for f in dataclasses.fields(value) for s in strings_in(getattr(value, f.name))]
    if isinstance(value, list | tuple | frozenset | set):
        return [s for v in value for s in strings_in(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    return []


def assert_safe(value: Any) -> None:
    for text in strings_in(value):
        assert not (set(text) & UNSAFE), f"unsanitised text reached a model: {text!r:.80}"


async def test_site_says_what_it_is(forum: ContractForum) -> None:
    site = await forum.backend.site()
    assert site.software in ("cohort", "discourse")
    assert site.name
    assert "like" in site.reactions
    assert forum.backend.kind == site.software


async def test_me(forum: ContractForum) -> None:
    me = await forum.backend.me()
    if forum.facts.logged_in:
        assert isinstance(me, User) and me.username
    else:
        assert me is None


async def test_categories(forum: ContractForum) -> None:
    categories = await forum.backend.categories()
    assert categories and all(isinstance(c, Category) for c in categories)
    assert forum.facts.category_slug in {c.slug for c in categories}
    assert len({c.id for c in categories}) == len(categories)
    assert_safe(categories)


async def test_latest_topics_and_paging(forum: ContractForum) -> None:
    first = await forum.backend.topics("latest")
    assert first.topics and all(isinstance(t, Topic) for t in first.topics)
    assert all(isinstance(t.bumped_at, datetime) and t.bumped_at.tzinfo for t in first.topics)
    assert_safe(first)
    if first.next_cursor:
        second = await forum.backend.topics("latest", cursor=first.next_cursor)
        assert not {t.id for t in first.topics} & {t.id for t in second.topics}


async def test_topics_of_a_category(forum: ContractForum) -> None:
    categories = {c.slug: c for c in await forum.backend.categories()}
    category = categories[forum.facts.category_slug]
    listed = await forum.backend.topics("latest", category=category)
    assert listed.topics
    # Discourse lists subcategories' topics under their parent too.
    allowed = {category.id} | {c.id for c in categories.values() if c.parent_id == category.id}
    assert {t.category_id for t in listed.topics} <= allowed


async def test_a_thread(forum: ContractForum) -> None:
    page = await forum.backend.topic(forum.facts.topic_id)
    assert page.topic.id == forum.facts.topic_id
    assert page.topic.title
    numbers = [p.post_number for p in page.posts]
    assert numbers == sorted(numbers) and len(numbers) >= 3
    assert all(isinstance(p, Post) and p.topic_id == page.topic.id for p in page.posts)
    assert all(p.raw is not None or p.cooked is not None for p in page.posts if not p.deleted)
    if page.post_ids is not None:
        assert [p.id for p in page.posts] == list(page.post_ids[: len(page.posts)])
    replies = [p for p in page.posts if p.reply_to_post_number is not None]
    for reply in replies:
        assert reply.reply_to_post_number < reply.post_number  # type: ignore[operator]
    assert_safe(page)


async def test_a_long_thread_comes_whole_in_batches(forum: ContractForum) -> None:
    backend = forum.backend
    page = await backend.topic(forum.facts.long_topic_id)
    posts = list(page.posts)
    if page.post_ids is not None:
        assert len(page.post_ids) == forum.facts.long_topic_posts
        missing = [i for i in page.post_ids if i not in {p.id for p in posts}]
        posts += await backend.posts(page.topic.id, missing)
    else:
        while len(posts) < forum.facts.long_topic_posts:
            more = await backend.posts_after(page.topic.id, posts[-1].post_number)
            assert more, "posts_after stopped before the end of the thread"
            posts += more
    numbers = [p.post_number for p in posts]
    assert len(posts) == forum.facts.long_topic_posts
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


async def test_posts_after(forum: ContractForum) -> None:
    page = await forum.backend.topic(forum.facts.topic_id)
    after = await forum.backend.posts_after(forum.facts.topic_id, 1, limit=2)
    assert after and all(p.post_number > 1 for p in after)
    assert after[0].post_number == page.posts[1].post_number


async def test_one_post(forum: ContractForum) -> None:
    page = await forum.backend.topic(forum.facts.topic_id)
    wanted = page.posts[1]
    post = await forum.backend.post(wanted.id)
    assert post.id == wanted.id and post.post_number == wanted.post_number
    assert post.topic_id == forum.facts.topic_id


async def test_missing_topic_is_not_found(forum: ContractForum) -> None:
    with pytest.raises(NotFound):
        await forum.backend.topic(987_654_321)


async def test_search(forum: ContractForum) -> None:
    page = await forum.backend.search(forum.facts.search_word)
    assert page.results
    assert all(r.topic_id > 0 and r.post_number >= 1 for r in page.results)
    assert_safe(page)


async def test_notifications(forum: ContractForum) -> None:
    if not forum.facts.logged_in:
        pytest.skip("notifications need a logged-in user")
    listed = await forum.backend.notifications()
    assert listed.unread_count >= 0
    assert_safe(listed)


async def test_links_of_a_thread(forum: ContractForum) -> None:
    if forum.facts.linked_topic_id is None:
        pytest.skip(f"{forum.facts.name}: no topic with links is known")
    links = await forum.backend.topic_links(forum.facts.linked_topic_id)
    assert links and all(link.url.startswith(("http://", "https://")) for link in links)
    assert all(link.topic_id == forum.facts.linked_topic_id for link in links)


async def test_resources(forum: ContractForum) -> None:
    if not forum.facts.has_resources:
        pytest.skip(f"{forum.facts.name} has no community resource library")
    listed = await forum.backend.resources()
    assert listed.resources
    assert all(r.share_count >= 1 for r in listed.resources)


async def test_hostile_text_is_sanitised(forum: ContractForum) -> None:
    if forum.facts.hostile_topic_id is None:
        pytest.skip(f"{forum.facts.name}: no hostile topic in its data")
    page = await forum.backend.topic(forum.facts.hostile_topic_id)
    assert_safe(page)
    assert "[@click=app.quit]" in page.topic.title  # markup-looking text is kept, as text


async def test_solved_topic(forum: ContractForum) -> None:
    if forum.facts.solved_topic_id is None:
        pytest.skip(f"{forum.facts.name}: no solved topic in its data")
    page = await forum.backend.topic(forum.facts.solved_topic_id)
    assert page.topic.solved
    accepted = [p for p in page.posts if p.accepted]
    assert len(accepted) <= 1
