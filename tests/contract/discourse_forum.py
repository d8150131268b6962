"""The contract suite's Discourse: `DiscourseBackend` against the fake Discourse.

The fake serves the real responses in ../shared/discourse/fixtures/, so the facts below
are facts about those files: topic 280 ("Internationalization / localization") has 20
posts, replies among them and links in its topic map; category "feature" (id 2) has a
topic list; a search for "dev" finds five posts; eviltrout is logged in.

Topic 280's fixture holds 20 posts, one Discourse chunk; the fake sends 8 with the topic
so that the rest come by id, as a longer topic's would (Facts.long_topic_posts is 20,
not more than 20: no fixture has a longer topic with its posts).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.contract.facts import ContractForum, Facts
from tests.fake_discourse import CLIENT_ID, USER_API_KEY, FakeDiscourse, start_fake
from tui.forum.discourse import DiscourseBackend, DiscourseCredentials, RequestBudget

FIRST_CHUNK = 8

FACTS = Facts(
    name="discourse",
    category_slug="feature",
    topic_id=280,
    long_topic_id=280,
    long_topic_posts=20,
    search_word="dev",
    logged_in=True,
    can_write=True,
    idempotent_creates=False,  # Discourse has no idempotency keys
    has_resources=False,  # nor a community resource library
    has_changes=True,  # MessageBus
    hostile_topic_id=None,  # no fixture holds hostile text (the mapping tests inject some)
    solved_topic_id=None,  # no fixture topic has an accepted answer
    linked_topic_id=280,
    # post_action_users__discourse_api.json lists john_smith, then jane_smith (oldest first).
    reacted_post_id=3651,  # post 5 of topic 280, which two people liked
    reactors=(("like", ("jane_smith", "john_smith")),),
    # groups__core.json: "discourse" (public admission) and "Macdonald" (requests);
    # group_members_page0__discourse_api.json lists the members; user_eviltrout__core.json
    # is a profile; private_messages__discourse_api.json holds one conversation.
    group_slug="discourse",
    open_group="discourse",
    request_group="Macdonald",
    person="eviltrout",
    conversation_title="Welcome to Discourse!",
    unsupported=("approve", "events", "rsvp", "mentors", "expertise"),
)


@asynccontextmanager
async def discourse_forum(tmp_path: Path) -> AsyncIterator[ContractForum]:
    running = await asyncio.to_thread(start_fake, FakeDiscourse(chunk_size=FIRST_CHUNK))
    backend = DiscourseBackend(
        running.url,
        credentials=DiscourseCredentials("user_api_key", USER_API_KEY, client_id=CLIENT_ID),
        budget=RequestBudget(per_minute=None),  # the fake has no limit; tests need not wait
    )
    try:
        yield ContractForum(backend=backend, facts=FACTS)
    finally:
        await backend.aclose()
        await asyncio.to_thread(running.stop)
