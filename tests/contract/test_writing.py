"""Writing and staying current, the same for every backend that allows it."""

from __future__ import annotations

import uuid

import pytest

from tests.contract.facts import ContractForum
from tui.forum.backend import Conflict, NotFound


def needs_writes(forum: ContractForum) -> None:
    if not forum.facts.can_write:
        pytest.skip(f"{forum.facts.name}: this forum is read-only in the contract suite")


async def test_reply_and_read_it_back(forum: ContractForum) -> None:
    needs_writes(forum)
    text = "A contract reply with **bold** and a [link](https://example.org/c)."
    post = await forum.backend.reply(
        forum.facts.topic_id, text, reply_to_post_number=1, key=str(uuid.uuid4())
    )
    assert post.topic_id == forum.facts.topic_id and post.post_number > 1
    assert post.reply_to_post_number == 1
    fetched = await forum.backend.post(post.id)
    assert fetched.id == post.id
    assert fetched.raw == text or fetched.cooked


async def test_the_same_key_creates_once(forum: ContractForum) -> None:
    needs_writes(forum)
    if not forum.facts.idempotent_creates:
        pytest.skip(f"{forum.facts.name} has no idempotency keys (the outbox checks the tail)")
    key = str(uuid.uuid4())
    first = await forum.backend.reply(
        forum.facts.topic_id, "once", reply_to_post_number=None, key=key
    )
    again = await forum.backend.reply(
        forum.facts.topic_id, "once", reply_to_post_number=None, key=key
    )
    assert again.id == first.id


async def test_find_own_post_after_an_ambiguous_failure(forum: ContractForum) -> None:
    needs_writes(forum)
    page = await forum.backend.topic(forum.facts.topic_id)
    tail = page.topic.highest_post_number or page.posts[-1].post_number
    text = f"did this arrive? {uuid.uuid4()}"
    assert (
        await forum.backend.find_own_post(forum.facts.topic_id, text, since_post_number=tail)
        is None
    )
    post = await forum.backend.reply(
        forum.facts.topic_id, text, reply_to_post_number=None, key=str(uuid.uuid4())
    )
    found = await forum.backend.find_own_post(forum.facts.topic_id, text, since_post_number=tail)
    assert found is not None and found.id == post.id


async def test_edit_and_conflict(forum: ContractForum) -> None:
    needs_writes(forum)
    post = await forum.backend.reply(
        forum.facts.topic_id, "first words", reply_to_post_number=None, key=str(uuid.uuid4())
    )
    edited = await forum.backend.edit_post(post, "second words")
    assert edited.id == post.id
    with pytest.raises(Conflict):
        await forum.backend.edit_post(post, "third words, from a stale copy")


async def test_react_and_take_back(forum: ContractForum) -> None:
    needs_writes(forum)
    page = await forum.backend.topic(forum.facts.topic_id)
    me = await forum.backend.me()
    theirs = next(p for p in page.posts if me is None or p.username != me.username)
    liked = await forum.backend.react(theirs.id, "like", True)
    assert any(r.name == "like" and r.reacted for r in liked.reactions) or liked.like_count >= 1
    unliked = await forum.backend.react(theirs.id, "like", False)
    assert not any(r.name == "like" and r.reacted for r in unliked.reactions)


async def test_delete_leaves_the_thread_whole(forum: ContractForum) -> None:
    needs_writes(forum)
    post = await forum.backend.reply(
        forum.facts.topic_id, "to be deleted", reply_to_post_number=None, key=str(uuid.uuid4())
    )
    await forum.backend.delete_post(post.id)
    try:
        after = await forum.backend.post(post.id)
    except NotFound:
        return
    assert after.deleted


async def test_changes_report_a_new_post(forum: ContractForum) -> None:
    needs_writes(forum)
    if not forum.facts.has_changes:
        pytest.skip(f"{forum.facts.name}: no change feed")
    start = await forum.backend.changes(None)
    await forum.backend.reply(
        forum.facts.topic_id, "news!", reply_to_post_number=None, key=str(uuid.uuid4())
    )
    batch = await forum.backend.changes(start.cursor, wait=5)
    assert any(c.topic_id == forum.facts.topic_id for c in batch.changes)
    later = await forum.backend.changes(batch.cursor)
    assert not any(c.topic_id == forum.facts.topic_id for c in later.changes)
