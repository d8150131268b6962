"""The search screen, driven through Textual's Pilot on a real embedded forum: the
forum's search when it answers, the cached posts when it cannot be reached, and results
that open their thread at the matching post."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from rich.text import Text
from textual.content import Content
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Static

from tests.test_thread_screen import (
    CLICK,
    FORBIDDEN,
    HOSTILE_BODY,
    HOSTILE_TITLE,
    SIZES,
    backend,
    focus,
    live_click_handlers,
    open_thread,
    screen_lines,
    selected,
    settle,
    status,
    thread,
    topic_named,
)
from tui.app import CohortApp
from tui.forum.embedded import EmbeddedForum
from tui.forum.models import SearchResult
from tui.forum.native import NativeBackend
from tui.screens.home import HomeScreen
from tui.screens.search import SearchScreen
from tui.screens.thread import ThreadScreen
from widgets.search_results import SearchResults


def search_screen(app: CohortApp) -> SearchScreen:
    screen = app.screen
    assert isinstance(screen, SearchScreen), screen
    return screen


def current(app: CohortApp) -> Screen[Any]:
    return app.screen


def table(app: CohortApp) -> SearchResults:
    return search_screen(app).query_one(SearchResults)


def keys(result: SearchResult) -> tuple[int, int]:
    return result.topic_id, result.post_number


async def search_for(pilot: Pilot[Any], query: str) -> SearchScreen:
    """Type `query` into the search field and run it."""
    app = pilot.app
    assert isinstance(app, CohortApp)
    field = search_screen(app).query_one(Input)
    field.value = ""
    field.focus()
    await pilot.press(*query)
    await pilot.press("enter")
    await settle(pilot)
    return search_screen(app)


def cell_texts(results: SearchResults, column: int = 0) -> list[Text]:
    found = [results.get_row_at(i)[column] for i in range(results.row_count)]
    assert all(isinstance(cell, Text) for cell in found)  # never a markup string
    return found


@pytest.mark.parametrize("size", SIZES)
async def test_search_shows_the_forums_results_and_opens_at_the_post(
    size: tuple[int, int],
) -> None:
    app = CohortApp()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        screen = search_screen(app)
        assert focus(app) is screen.query_one(Input)
        hint = screen.query_one("#search-hint", Static).content
        assert isinstance(hint, Content)
        for syntax in ("@user", "#category", "tag:", "in:title", "status:solved", "before:"):
            assert syntax in hint.plain
        # The hint wraps rather than running off a narrow screen.
        shown = "\n".join(screen_lines(app))
        assert "after:YYYY-MM-DD" in shown

        await search_for(pilot, "query")
        expected = (await backend(app).search("query")).results
        assert len(expected) >= 2
        results = table(app)
        assert [keys(r) for r in results.results] == [keys(r) for r in expected]
        assert [t.plain.lstrip("✓ ") for t in cell_texts(results)] == [
            r.topic_title for r in expected
        ]
        assert [t.plain for t in cell_texts(results, 1)] == [f"#{r.post_number}" for r in expected]
        assert results.virtual_size.width <= results.scrollable_content_region.width
        assert focus(app) is results  # the results take the keys once they are in
        line = status(app, "#search-status")
        assert f"{len(expected)} results · fresh" in line and "“query”" in line

        # The preview shows the highlighted result whole.
        index = next(i for i, r in enumerate(expected) if r.post_number > 1)
        await pilot.press(*["down"] * index)
        chosen = expected[index]
        preview = screen.query_one("#search-preview", Static).content
        assert isinstance(preview, Content)
        assert preview.plain.startswith(chosen.topic_title)
        assert f"post #{chosen.post_number} by {chosen.username}" in preview.plain

        await pilot.press("enter")
        await settle(pilot)
        opened = thread(app)
        assert opened.topic_id == chosen.topic_id
        assert selected(app) == chosen.post_number

        await pilot.press("escape")  # back to the results, as they were
        await pilot.pause()
        assert search_screen(app) is screen and focus(app) is results
        assert results.highlighted == chosen
        await pilot.press("escape")  # to the query
        assert focus(app) is screen.query_one(Input)
        await pilot.press("escape")  # and out
        await pilot.pause()
        assert isinstance(current(app), HomeScreen)


async def test_filters_reach_the_forum() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.push_screen(SearchScreen("@chen"))  # a query given searches at once
        await settle(pilot)
        results = table(app)
        assert results.results and {r.username for r in results.results} == {"chen"}
        assert results.results == list((await backend(app).search("@chen")).results)

        await search_for(pilot, "status:solved in:title python")
        expected = (await backend(app).search("status:solved in:title python")).results
        everywhere = (await backend(app).search("python")).results
        assert [keys(r) for r in results.results] == [keys(r) for r in expected]
        assert expected and all("python" in r.topic_title.lower() for r in expected)
        assert len(expected) < len(everywhere)

        await search_for(pilot, "git log")  # typed letters go to the query, chords or not
        assert search_screen(app).query_one(Input).value == "git log"
        expected = (await backend(app).search("git log")).results
        assert expected and [keys(r) for r in results.results] == [keys(r) for r in expected]

        await search_for(pilot, "qqqzzzxxx")
        assert results.results == [] and results.row_count == 0
        assert "0 results · fresh" in status(app, "#search-status")
        await pilot.press("enter")  # nothing to open
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)


async def test_offline_search_covers_the_cached_posts(monkeypatch: pytest.MonkeyPatch) -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        topic_id = await topic_named(app, "pandas SettingWithCopyWarning")
        await open_thread(pilot, topic_id)  # its posts are now in the cache
        cached = thread(app).posts
        await pilot.press("escape")
        online = (await backend(app).search("copy")).results
        assert {r.topic_id for r in online} - {topic_id}, "other topics match online"

        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("no route to host", request=request)

        monkeypatch.setattr(backend(app).http, "_transport", httpx.MockTransport(refuse))
        await app.push_screen(SearchScreen())
        await search_for(pilot, "copy")
        results = table(app).results
        assert results, "the cached posts match"
        assert {r.topic_id for r in results} == {topic_id}  # only what the cache holds
        numbers = {p.post_number for p in cached}
        assert {r.post_number for r in results} <= numbers
        line = status(app, "#search-status")
        assert f"{len(results)} result" in line and "offline: cached posts only" in line

        chosen = max(results, key=lambda r: r.post_number)
        table(app).move_cursor(row=results.index(chosen), animate=False)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ThreadScreen)
        assert selected(app) == chosen.post_number
        assert status(app).rstrip().endswith("offline: showing what was cached")


async def test_the_next_page_comes_as_the_reader_nears_the_end() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pages = [await backend(app).search("python")]
        while pages[-1].next_offset is not None:
            pages.append(await backend(app).search("python", offset=pages[-1].next_offset))
        assert len(pages) >= 2, "the sample has more than one page of python"
        everything = [keys(r) for page in pages for r in page.results]

        await app.push_screen(SearchScreen("python"))
        await settle(pilot)
        results = table(app)
        assert [keys(r) for r in results.results] == [keys(r) for r in pages[0].results]
        assert "(more below)" in status(app, "#search-status")
        await pilot.press(*["down"] * (len(pages[0].results) - 1))
        await settle(pilot)
        assert [keys(r) for r in results.results] == everything
        assert results.cursor_row == len(pages[0].results) - 1  # the cursor stayed put
        line = status(app, "#search-status")
        assert f"{len(everything)} results · fresh" in line and "more below" not in line

        await pilot.press("g", "l")  # the app's chords work from the results
        await pilot.pause()
        assert isinstance(current(app), HomeScreen)


@pytest.mark.parametrize("size", SIZES)
async def test_hostile_results_render_inert(size: tuple[int, int]) -> None:
    async with EmbeddedForum() as http:
        category = (await NativeBackend(http, base_url="http://cohort").categories())[0]
        response = await http.post(
            "/api/v1/topics",
            json={"title": HOSTILE_TITLE, "raw": HOSTILE_BODY, "category": category.id},
        )
        assert response.status_code == 201, response.text
        topic_id = response.json()["topic"]["id"]

    app = CohortApp()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await app.push_screen(SearchScreen())
        await search_for(pilot, "zyzzyva")
        results = table(app)
        assert [r.topic_id for r in results.results] == [topic_id]
        title = cell_texts(results)[0]
        assert CLICK in title.plain and "[/bar]" in title.plain
        assert not FORBIDDEN & set(title.plain)
        assert not any("@click" in str(span.style) for span in title.spans)
        preview = search_screen(app).query_one("#search-preview", Static).content
        assert isinstance(preview, Content)
        assert CLICK in preview.plain and not FORBIDDEN & set(preview.plain.replace("\n", ""))
        shown = "\n".join(screen_lines(app))
        assert "[/bar]" in shown and not FORBIDDEN & set(shown.replace("\n", ""))
        assert not any("quit" in handler for handler in live_click_handlers(app))
        for y in range(0, size[1] - 3, 2):
            for x in range(0, size[0], 9):
                await pilot.click(offset=(x, y))
        await settle(pilot)
        assert app.is_running
