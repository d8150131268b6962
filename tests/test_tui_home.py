"""The home screen, driven through Textual's Pilot on a real embedded forum.

Each test gets fresh XDG folders (conftest), so the app seeds the sample community into
its own database on start. What the widgets show is compared with what the same forum's
API answers, so the tests hold whatever the sample community contains.
"""

from __future__ import annotations

import contextlib
import os
import pwd
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from rich.text import Text
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerState

from tui.app import CohortApp
from tui.forum.backend import ForumBackend
from tui.forum.embedded import EmbeddedForum
from tui.forum.native import NativeBackend
from tui.forum.paths import embedded_db_path
from tui.screens.home import HomeScreen
from widgets.category_table import CategoryInfo, CategoryTable
from widgets.topic_table import TopicTable

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

CLICK = "[@click=app.quit]x[/]"
HOSTILE_TITLE = f"{CLICK} \x1b]0;pwned\x07 \x1b[2J \x9b2J \u202eevil\u202c [/bar] [b]"
HOSTILE_BODY = "body \x1b]52;c;SGVsbG8=\x07 \x1b[?1049h \x9b31m \u2066iso\u2069 [/bar] " + CLICK
FORBIDDEN = {chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | set(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker is pending or running (opening the forum starts the loading)."""
    app = pilot.app
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        busy = [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
        if not busy:
            return
    raise AssertionError(f"workers still busy: {busy}")


def home(app: CohortApp) -> HomeScreen:
    screen = app.screen
    assert isinstance(screen, HomeScreen)
    return screen


def cells(table: CategoryTable | TopicTable, column: int = 0) -> list[Text]:
    found = [table.get_row_at(i)[column] for i in range(table.row_count)]
    assert all(isinstance(cell, Text) for cell in found)  # never a markup string
    return found


def status_text(app: CohortApp) -> str:
    content = home(app).query_one("#status", Static).content
    assert isinstance(content, Content)
    return content.plain


def local_username() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


@pytest.mark.parametrize("size", SIZES)
async def test_home_shows_the_sample_categories_and_latest_topics(size: tuple[int, int]) -> None:
    app = CohortApp()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert embedded_db_path().is_file()  # seeded inside the test's own XDG data folder
        assert app.backend is not None
        api_categories = await app.backend.categories()
        api_topics = (await app.backend.topics("latest")).topics
        assert len(api_categories) >= 2 and len(api_topics) >= 2  # the sample was seeded

        categories = home(app).query_one(CategoryTable)
        assert [c.id for c in categories.categories] == [c.id for c in api_categories]
        assert [t.plain for t in cells(categories)] == [c.name for c in api_categories]
        counts = [t.plain for t in cells(categories, 1)]
        assert counts == [str(c.topic_count) for c in api_categories]

        topics = home(app).query_one(TopicTable)
        assert [t.id for t in topics.topics] == [t.id for t in api_topics]
        titles = [t.plain for t in cells(topics)]
        assert all(title.endswith(t.title) for title, t in zip(titles, api_topics, strict=True))
        names = {c.id: c.name for c in api_categories}
        assert [t.plain for t in cells(topics, 1)] == [names[t.category_id] for t in api_topics]
        assert [t.plain for t in cells(topics, 2)] == [str(t.reply_count) for t in api_topics]

        # The table fits the terminal: no horizontal scrolling needed at either size.
        assert topics.virtual_size.width <= topics.scrollable_content_region.width

        info = home(app).query_one(CategoryInfo).content
        assert isinstance(info, Content)
        assert info.plain.startswith(api_categories[0].name)

        status = status_text(app)
        assert status.startswith("embedded forum")
        assert f"you are {local_username()}" in status
        assert f"{len(api_categories)} categories" in status
        assert status.endswith("fresh")


async def test_enter_shows_one_category_and_escape_goes_back() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.backend is not None
        latest = (await app.backend.topics("latest")).topics
        categories = home(app).query_one(CategoryTable)
        topics = home(app).query_one(TopicTable)
        assert app.focused is categories
        # Pick a category that is a real filter: it has topics, but not all of them.
        index = next(
            i
            for i, c in enumerate(categories.categories)
            if i > 0 and 0 < c.topic_count < len(latest)
        )
        chosen = categories.categories[index]
        await pilot.press(*["down"] * index)
        assert categories.highlighted == chosen
        info = home(app).query_one(CategoryInfo).content
        assert isinstance(info, Content) and info.plain.startswith(chosen.name)

        await pilot.press("enter")
        await settle(pilot)
        expected = (await app.backend.topics("latest", category=chosen)).topics
        assert topics.topics, "the chosen category has topics"
        assert all(t.category_id == chosen.id for t in topics.topics)
        assert [t.id for t in topics.topics] == [t.id for t in expected]
        assert len(topics.topics) < len(latest)
        assert app.focused is topics
        assert topics.border_title is not None and chosen.name in topics.border_title

        await pilot.press("escape")
        await settle(pilot)
        assert [t.id for t in topics.topics] == [t.id for t in latest]
        assert {t.category_id for t in topics.topics} != {chosen.id}
        assert home(app).category is None
        assert app.focused is categories
        assert app.is_running


async def test_q_quits() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.is_running
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_refresh_picks_up_new_topics_and_keeps_the_cursors() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.backend, NativeBackend)
        categories = home(app).query_one(CategoryTable)
        topics = home(app).query_one(TopicTable)
        await pilot.press("down")
        chosen_category = categories.highlighted
        topics.move_cursor(row=1, animate=False)
        chosen_topic = topics.highlighted
        assert chosen_category is not None and chosen_topic is not None

        response = await app.backend.http.post(
            "/api/v1/topics",
            json={"title": "A brand new question", "raw": "Fresh.", "category": chosen_category.id},
        )
        assert response.status_code == 201, response.text
        assert "A brand new question" not in [t.title for t in topics.topics]
        await pilot.press("r")
        await settle(pilot)
        assert "A brand new question" in [t.title for t in topics.topics]
        assert categories.highlighted is not None
        assert categories.highlighted.id == chosen_category.id
        assert categories.highlighted.topic_count == chosen_category.topic_count + 1
        assert topics.highlighted is not None and topics.highlighted.id == chosen_topic.id
        assert status_text(app).endswith("fresh")


async def test_hostile_topic_is_shown_inert() -> None:
    # Created through the API before the app starts, on the same embedded forum.
    async with EmbeddedForum() as http:
        category = (await NativeBackend(http, base_url="http://cohort").categories())[0]
        response = await http.post(
            "/api/v1/topics",
            json={"title": HOSTILE_TITLE, "raw": HOSTILE_BODY, "category": category.id},
        )
        assert response.status_code == 201, response.text
        topic_id = response.json()["topic"]["id"]
        # The server keeps it verbatim: cleaning it is the client's job.
        assert (await http.get(f"/api/v1/topics/{topic_id}")).json()["topic"]["title"] == (
            HOSTILE_TITLE
        )

    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        topics = home(app).query_one(TopicTable)
        row = next(i for i, t in enumerate(topics.topics) if t.id == topic_id)
        cell = cells(topics)[row]
        assert CLICK in cell.plain
        assert "[/bar]" in cell.plain and "[b]" in cell.plain
        assert not FORBIDDEN & set(cell.plain)
        assert not FORBIDDEN & set(topics.topics[row].title)
        assert not any("@click" in str(span.style) for span in cell.spans)

        # Where the markup's "x" would be if it were parsed: clicking there does nothing.
        await pilot.press("tab")
        assert app.focused is topics
        topics.move_cursor(row=row, animate=False)
        await pilot.pause()
        header_and_border = 2
        y = header_and_border + row - round(topics.scroll_y)
        assert await pilot.click(TopicTable, offset=(topics.cell_padding, y))
        await pilot.press("enter", "escape", "r")
        await settle(pilot)
        assert app.is_running
        assert status_text(app).endswith("fresh")
        assert any(t.id == topic_id for t in topics.topics)


async def test_a_forum_that_cannot_open_is_reported_not_raised() -> None:
    @contextlib.asynccontextmanager
    async def broken() -> AsyncIterator[ForumBackend]:
        raise OSError("disk on fire \x1b[2J")
        yield NativeBackend(httpx.AsyncClient(), base_url="")  # pragma: no cover

    app = CohortApp(broken)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.is_running and app.backend is None
        status = status_text(app)
        assert "error: cannot open the embedded forum: disk on fire [2J" in status
        assert "\x1b" not in status
        await pilot.press("r", "enter", "escape")
        await pilot.pause()
        assert app.is_running


async def test_failing_requests_show_in_the_status_line() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/me":
            return httpx.Response(200, json={"id": 1, "username": "tester", "name": "T"})
        return httpx.Response(503, json={"error": {"code": "down", "message": "back \x9bsoon"}})

    @contextlib.asynccontextmanager
    async def flaky() -> AsyncIterator[ForumBackend]:
        transport = httpx.MockTransport(handler)
        async with httpx.AsyncClient(transport=transport, base_url="http://forum.test") as http:
            yield NativeBackend(http, base_url="http://forum.test")

    app = CohortApp(flaky, source="test forum")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        status = status_text(app)
        assert status.startswith("test forum · you are tester · error: ")
        assert status.endswith("back soon")
        await pilot.press("r")
        await settle(pilot)
        assert app.is_running
        assert "error: " in status_text(app) and status_text(app).endswith("back soon")


async def test_cache_paints_when_the_forum_cannot_be_reached() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen = [t.id for t in home(app).query_one(TopicTable).topics]
        names = [c.name for c in home(app).query_one(CategoryTable).categories]
    assert seen and names

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to host", request=request)

    @contextlib.asynccontextmanager
    async def offline() -> AsyncIterator[ForumBackend]:
        transport = httpx.MockTransport(unreachable)
        async with httpx.AsyncClient(transport=transport, base_url="http://gone.test") as http:
            yield NativeBackend(http, base_url="http://gone.test")

    app = CohortApp(offline)  # same profile, so the same cache
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert [t.id for t in home(app).query_one(TopicTable).topics] == seen
        assert [c.name for c in home(app).query_one(CategoryTable).categories] == names
        status = status_text(app)
        assert f"you are {local_username()}" in status
        assert status.endswith("offline: showing what was cached")
