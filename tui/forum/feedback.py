"""What a feedback action does to the posts on screen, before the forum answers.

The thread shows a like, a reaction, a bookmark or an accepted answer at once and rolls
it back if the forum refuses; these functions compute the optimistic state, so the
screen and its tests agree on exactly what "at once" shows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tui.forum.models import Post, Reaction, TopicPage

LIKE = "like"


def with_reaction(post: Post, name: str, on: bool) -> Post:
    """`post` as it will be once the reader's reaction `name` is added (on) or removed."""
    reactions: list[Reaction] = []
    found = False
    for reaction in post.reactions:
        if reaction.name != name:
            reactions.append(reaction)
            continue
        found = True
        if reaction.reacted == on:
            reactions.append(reaction)
            continue
        count = reaction.count + (1 if on else -1)
        if count > 0:
            reactions.append(dataclasses.replace(reaction, count=count, reacted=on))
    if not found and on:
        reactions.append(Reaction(name=name, count=1, reacted=True))
    likes = post.like_count
    if name == LIKE:
        before = any(r.name == LIKE and r.reacted for r in post.reactions)
        likes = max(0, likes + (on and not before) - (before and not on))
    return dataclasses.replace(post, reactions=tuple(reactions), like_count=likes)


def reacted(post: Post, name: str) -> bool:
    """Whether the reader has reacted to `post` with `name`."""
    return any(r.name == name and r.reacted for r in post.reactions)


def with_bookmark(post: Post, on: bool) -> Post:
    return dataclasses.replace(post, bookmarked=on)


def with_solution(
    page: TopicPage, posts: Sequence[Post], post_id: int | None
) -> tuple[TopicPage, tuple[Post, ...]]:
    """The thread once `post_id` is its accepted answer (None: it has none)."""
    chosen = next((p for p in posts if p.id == post_id), None)
    topic = dataclasses.replace(
        page.topic,
        solved=chosen is not None,
        solution_post_number=chosen.post_number if chosen is not None else None,
    )
    updated = tuple(
        p if p.accepted == (p.id == post_id) else dataclasses.replace(p, accepted=p.id == post_id)
        for p in posts
    )
    return dataclasses.replace(page, topic=topic), updated
