"""Models built from untrusted JSON are sanitised; the cache's JSON round trip is exact;
the client's folders follow XDG and are private."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.forum import paths
from tui.forum.models import (
    Category,
    Notification,
    NotificationKind,
    Post,
    Reaction,
    SiteInfo,
    Topic,
    TopicPage,
    dump,
    load,
)

TOPIC: dict[str, Any] = {
    "id": 7,
    "title": "t\x1b]0;x\x07\n[b]",
    "category_id": 2,
    "username": "eve\u202e",
    "posts_count": 3,
    "reply_count": 2,
    "bumped_at": "2026-01-02T03:04:05.000Z",
    "solved": True,
    "pinned": False,
    "closed": False,
    "unread_count": 1,
    "tags": ["a\x9bb", 5],
}


def test_models_clean_every_string() -> None:
    category = Category.from_api(
        {
            "id": 1,
            "slug": "s\x1b",
            "name": "N\tame\x9b",
            "description": "line\none\x07",
            "guidelines": "g\u2066",
            "restricted": False,
            "topic_count": 4,
            "unread_topics": 0,
        }
    )
    assert (category.slug, category.name) == ("s", "N ame")
    assert (category.description, category.guidelines) == ("line\none", "g")
    topic = Topic.from_api(TOPIC)
    assert topic.title == "t]0;x [b]"
    assert topic.username == "eve"
    assert topic.tags == ("ab",)
    assert topic.bumped_at.utcoffset() is not None and topic.bumped_at.year == 2026


def test_dump_and_load_round_trip() -> None:
    when = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    topic = Topic.from_api(TOPIC)
    post = Post(
        id=3,
        topic_id=7,
        post_number=2,
        username="ben",
        created_at=when,
        raw="hi",
        reply_to_post_number=1,
        reactions=(Reaction("like", 2, True),),
        accepted=True,
    )
    page = TopicPage(topic=topic, post_ids=(1, 3), posts=(post,))
    assert load(TopicPage, dump(page)) == page
    site = SiteInfo("cohort", "Club", ("like", "tada"), frozenset({"solved", "changes"}))
    assert load(SiteInfo, dump(site)) == site
    note = Notification(id=1, kind=NotificationKind.SOLVED, created_at=when, topic_id=7)
    assert load(Notification, dump(note)) == note


def test_folders_follow_xdg_and_are_private(isolated_xdg: Path) -> None:
    for folder, env in (
        (paths.data_dir(), "xdg_data_home"),
        (paths.cache_dir(), "xdg_cache_home"),
        (paths.config_dir(), "xdg_config_home"),
    ):
        assert folder == isolated_xdg / env / "cohort"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
