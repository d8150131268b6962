"""Who reacted to a post, the same for every backend."""

from __future__ import annotations

import pytest

from tests.contract.facts import ContractForum
from tests.contract.test_reading import assert_safe
from tui.forum.backend import NotFound
from tui.forum.models import Reactors


async def test_who_reacted_to_a_post(forum: ContractForum) -> None:
    if forum.facts.reacted_post_id is None:
        pytest.skip(f"{forum.facts.name}: no post with known reactors")
    found = await forum.backend.reactors(forum.facts.reacted_post_id)
    assert all(isinstance(r, Reactors) for r in found)
    assert [(r.name, tuple(u.username for u in r.users)) for r in found] == list(
        forum.facts.reactors
    )
    assert_safe(found)
    # The counts on the post agree with the people listed.
    post = await forum.backend.post(forum.facts.reacted_post_id)
    counts = {r.name: r.count for r in post.reactions}
    for entry in found:
        assert counts.get(entry.name) == len(entry.users), (entry.name, counts)


async def test_who_reacted_to_a_missing_post_is_not_found(forum: ContractForum) -> None:
    with pytest.raises(NotFound):
        await forum.backend.reactors(987_654_321)
