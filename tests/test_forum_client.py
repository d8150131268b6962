"""ForumClient and models: typed results, sanitised strings, one error type for every failure."""

from __future__ import annotations

import os
import pwd
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tui.forum import paths
from tui.forum.embedded import EmbeddedForum
from tui.forum.forum_client import ForumClient, ForumError
from tui.forum.models import Category, TopicSummary

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


def mock(handler: Callable[[httpx.Request], httpx.Response]) -> ForumClient:
    return ForumClient(
        httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://forum.test")
    )


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
    topic = TopicSummary.from_api(TOPIC)
    assert topic.title == "t]0;x [b]"
    assert topic.username == "eve"
    assert topic.tags == ("ab",)
    assert topic.bumped_at.utcoffset() is not None and topic.bumped_at.year == 2026


async def test_topics_sends_filter_category_and_cursor() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"topics": [TOPIC], "next_cursor": "abc"})

    topics, cursor = await mock(handler).topics("top", category=2, cursor="xyz")
    assert [t.id for t in topics] == [7] and cursor == "abc"
    assert seen[0].path == "/api/v1/topics"
    assert dict(seen[0].params) == {"filter": "top", "category": "2", "cursor": "xyz"}


@pytest.mark.parametrize(
    ("response", "message"),
    [
        pytest.param(
            httpx.Response(400, json={"error": {"code": "bad", "message": "no \x1b[2J\nway"}}),
            "no [2J way",
            id="server-error-sanitised",
        ),
        pytest.param(
            httpx.Response(502, text="<html>gateway</html>"),
            "the forum answered HTTP 502",
            id="not-json",
        ),
        pytest.param(httpx.Response(200, text="nope"), "unexpected answer", id="ok-not-json"),
        pytest.param(
            httpx.Response(200, json={"categories": [{"id": "one"}]}),
            "cannot read",
            id="wrong-shape",
        ),
        pytest.param(httpx.Response(200, json={"categories": 3}), "cannot read", id="not-list"),
    ],
)
async def test_failures_become_forum_errors(response: httpx.Response, message: str) -> None:
    client = mock(lambda request: response)
    with pytest.raises(ForumError) as caught:
        await client.categories()
    assert message in caught.value.message
    assert "\x1b" not in caught.value.message and "\n" not in caught.value.message


async def test_unreachable_forum_is_a_forum_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ForumError, match="cannot reach the forum"):
        await mock(handler).me()


async def test_embedded_forum_user_is_the_local_user(isolated_xdg: Path) -> None:
    async with EmbeddedForum() as http:
        client = ForumClient(http)
        assert await client.me() == pwd.getpwuid(os.getuid()).pw_name
        with pytest.raises(ForumError, match="filter must be one of") as caught:
            await client.topics("bogus")
        assert caught.value.status == 400 and caught.value.code == "invalid_field"
    db = paths.embedded_db_path()
    assert db.is_file() and db.parent == isolated_xdg / "xdg_data_home" / "cohort"


def test_folders_follow_xdg_and_are_private(isolated_xdg: Path) -> None:
    for folder, env in (
        (paths.data_dir(), "xdg_data_home"),
        (paths.cache_dir(), "xdg_cache_home"),
        (paths.config_dir(), "xdg_config_home"),
    ):
        assert folder == isolated_xdg / env / "cohort"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
