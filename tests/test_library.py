"""The resource library screen, driven through the Pilot on the embedded forum with the
sample community (and on a fake Discourse, which has no resource library).

Expectations come from the same forum's API (`ForumBackend.resources`, every page), so
the tests hold whatever the sample shares. The app's outbox sender runs for as long as
the app does, so these tests wait for what they need rather than for every worker.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.fake_discourse import CLIENT_ID, USER_API_KEY, FakeDiscourse, RunningFake, start_fake
from tests.test_thread_screen import (
    CLICK,
    FORBIDDEN,
    HOSTILE_BODY,
    HOSTILE_TITLE,
    desktop,
    live_click_handlers,
)
from tui.app import CohortApp
from tui.forum.backend import ForumBackend, Offline
from tui.forum.discourse import DiscourseBackend, DiscourseCredentials, RequestBudget
from tui.forum.embedded import EmbeddedForum
from tui.forum.models import Resource
from tui.forum.native import NativeBackend
from tui.screens.library import SORT_TITLES, SORTS, LibraryScreen
from tui.screens.thread import ThreadScreen
from widgets.resource_library import ResourceTable
from widgets.thread_view import ThreadView

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


# -- helpers (test_share.py uses them too) ------------------------------------------------------


async def until(pilot: Pilot[Any], condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def started(pilot: Pilot[Any]) -> CohortApp:
    """The app with its forum open."""
    app = pilot.app
    assert isinstance(app, CohortApp)
    await until(pilot, lambda: app.repo is not None, "the forum")
    return app


def native(app: CohortApp) -> NativeBackend:
    assert isinstance(app.backend, NativeBackend)
    return app.backend


def library(app: CohortApp) -> LibraryScreen:
    screen = app.screen
    assert isinstance(screen, LibraryScreen), screen
    return screen


async def settled(pilot: Pilot[Any]) -> LibraryScreen:
    """The library once its list has come (or the forum said why not)."""
    app = pilot.app
    assert isinstance(app, CohortApp)
    await until(pilot, lambda: isinstance(app.screen, LibraryScreen), "the library")
    screen = library(app)
    await until(pilot, lambda: not screen.busy, "the library to load")
    await pilot.pause()
    return screen


async def open_library(pilot: Pilot[Any]) -> LibraryScreen:
    await started(pilot)
    await pilot.press("g", "r")
    return await settled(pilot)


async def every_page(backend: ForumBackend, **filters: Any) -> list[Resource]:
    found: list[Resource] = []
    cursor: str | None = None
    while True:
        page = await backend.resources(cursor=cursor, **filters)
        found += page.resources
        cursor = page.next_cursor
        if cursor is None:
            return found


async def scrolled_to_the_end(pilot: Pilot[Any], screen: LibraryScreen) -> list[str]:
    """Every row, by going to the last one until no page is left (as a reader would)."""
    while True:
        await pilot.press("G")
        await until(pilot, lambda: not screen.busy, "the next page")
        await pilot.pause()
        if screen.next_cursor is None and not screen.busy:
            return urls(screen)


def urls(screen: LibraryScreen) -> list[str]:
    return [r.url for r in screen.query_one(ResourceTable).resources]


def list_title(screen: LibraryScreen) -> str:
    """The list's title as shown (Textual hands it back as markup)."""
    return Content.from_markup(screen.query_one(ResourceTable).border_title or "").plain


def status(app: CohortApp) -> str:
    content = app.screen.query_one("#library-status", Static).content
    assert isinstance(content, Content)  # never a markup string
    return content.plain


def text_of(app: CohortApp, selector: str) -> str:
    content = app.screen.query_one(selector, Static).content
    assert isinstance(content, Content | str)
    return content.plain if isinstance(content, Content) else content


def screen_lines(app: CohortApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def highlight(pilot: Pilot[Any], screen: LibraryScreen, url: str) -> Resource:
    table = screen.query_one(ResourceTable)
    row = next(i for i, r in enumerate(table.resources) if r.url == url)
    table.move_cursor(row=row, animate=False)
    await pilot.pause()
    resource = table.highlighted
    assert resource is not None and resource.url == url
    return resource


async def type_filter(pilot: Pilot[Any], key: str, text: str) -> None:
    """Open the tag (t) or text (f) filter, replace its value with `text`, enter."""
    await pilot.press(key)
    field = pilot.app.screen.query_one("#library-filter", Input)
    assert field.has_focus
    field.value = ""
    if text:
        await pilot.press(*text)
    await pilot.press("enter")


# -- the list -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_the_library_lists_every_shared_link_page_by_page(size: tuple[int, int]) -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=size) as pilot:
        screen = await open_library(pilot)
        expected = await every_page(native(app), sort="recent")
        first = (await native(app).resources(sort="recent")).resources
        shown = urls(screen)
        # The first page at once (and more only as the reader nears its end).
        assert shown[: len(first)] == [r.url for r in first]
        assert len(expected) > len(first), "the sample should need more than one page"
        line = status(app)
        assert line.startswith("embedded forum · resource library · ")
        assert line.rstrip().endswith("fresh")
        if len(shown) == len(first):
            assert "(more below)" in line

        assert await scrolled_to_the_end(pilot, screen) == [r.url for r in expected]
        assert f"{len(expected)} resources" in status(app) and "more below" not in status(app)
        # The sample shares some links again and again: the counts are the forum's.
        assert sum(r.share_count for r in expected) > len(expected)
        assert any(r.share_count > 1 for r in expected)

        # What a row says, and the preview of the highlighted one.
        await pilot.press("g", "g")
        top = await highlight(pilot, screen, expected[0].url)
        lines = screen_lines(app)
        assert all(len(line) == size[0] for line in lines) and len(lines) == size[1]
        row = next(line for line in lines if top.title and top.title in line)
        assert top.first_shared_by and top.first_shared_by in row
        assert str(top.share_count) in row and str(top.like_count) in row
        preview = text_of(app, "#library-preview")
        assert top.url in preview
        assert f"[1] {top.shares[0].username}" in preview
        # The list, the preview, the status and the footer are all on screen.
        assert "Resources · every category · newest first" in lines[0]
        assert any(top.url in line for line in lines)
        assert "resource library" in lines[-2] or "resource library" in lines[-3]
        assert "Open the discussion" in lines[-1]


@pytest.mark.parametrize("sort", SORTS[1:])
async def test_each_sort_order_is_the_forums(sort: str) -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_library(pilot)
        for _ in range(SORTS.index(sort)):
            await pilot.press("S")
        screen = await settled(pilot)
        assert screen.sort == sort
        assert f"{SORT_TITLES[sort]} first" in list_title(screen)
        # Read from the top, whatever was highlighted before.
        assert screen.query_one(ResourceTable).cursor_row == 0
        expected = [r.url for r in await every_page(native(app), sort=sort)]
        assert await scrolled_to_the_end(pilot, screen) == expected
        if sort == "shared":
            counts = [r.share_count for r in screen.query_one(ResourceTable).resources]
            assert counts == sorted(counts, reverse=True) and counts[0] > 1
        else:
            likes = [r.like_count for r in screen.query_one(ResourceTable).resources]
            assert likes == sorted(likes, reverse=True) and likes[0] > 0
        await pilot.press("S")  # round again: newest
        screen = await settled(pilot)
        assert screen.sort == SORTS[(SORTS.index(sort) + 1) % len(SORTS)]


async def test_filters_by_category_tag_and_words() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_library(pilot)
        everything = [r.url for r in await every_page(native(app))]
        categories = await native(app).categories()

        async def shown_for(**filters: Any) -> tuple[list[str], list[str]]:
            expected = [r.url for r in await every_page(native(app), **filters)]
            return await scrolled_to_the_end(pilot, await settled(pilot)), expected

        # c: the first category, then the next; a count picks one.
        await pilot.press("c")
        shown, expected = await shown_for(category=categories[0])
        assert screen.category == categories[0] and shown == expected
        await pilot.press("c")
        shown, expected = await shown_for(category=categories[1])
        assert shown == expected
        resources_category = next(c for c in categories if c.slug == "resources")
        number = categories.index(resources_category) + 1
        await pilot.press(*str(number), "c")
        shown, expected = await shown_for(category=resources_category)
        assert screen.category == resources_category and shown == expected
        assert expected and len(expected) < len(everything)
        assert resources_category.name in list_title(screen)
        for _ in range(len(categories) - number + 1):  # round to every category again
            await pilot.press("c")
        assert await scrolled_to_the_end(pilot, await settled(pilot)) == everything
        assert list_title(screen).startswith("Resources · every category")

        # t: a tag of a topic where a link was shared.
        tag = await a_tag_with_links(native(app))
        await type_filter(pilot, "t", "#" + tag)
        shown, expected = await shown_for(tag=tag)
        assert screen.tag == tag and shown == expected
        assert expected and len(expected) < len(everything)
        await type_filter(pilot, "t", "")
        assert await scrolled_to_the_end(pilot, await settled(pilot)) == everything

        # f: words in the URL or the title.
        await type_filter(pilot, "f", "git")
        shown, expected = await shown_for(query="git")
        assert screen.text == "git" and shown == expected
        assert expected and len(expected) < len(everything)
        # Filters combine.
        await pilot.press("S")
        shown, expected = await shown_for(query="git", sort="shared")
        assert shown == expected

        await type_filter(pilot, "f", "nothing-is-called-this")
        screen = await settled(pilot)
        assert urls(screen) == []
        assert "No resource matches these filters" in text_of(app, "#library-empty")
        assert "0 resources" in status(app)

        # Escape leaves the field without changing the filter.
        await pilot.press("f")
        await pilot.press(*"zzz")
        await pilot.press("escape")
        assert screen.text == "nothing-is-called-this" and not screen.busy
        assert isinstance(app.screen, LibraryScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, LibraryScreen)


async def a_tag_with_links(backend: NativeBackend) -> str:
    """A tag of some topics where links were shared (but not of all of them)."""
    for resource in await every_page(backend):
        for share in resource.shares:
            topic = (await backend.topic(share.topic_id)).topic
            if topic.tags:
                return topic.tags[0]
    raise AssertionError("no shared link is in a tagged topic")


# -- opening ------------------------------------------------------------------------------------


async def test_enter_opens_the_discussion_at_the_post_and_a_count_picks_which() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_library(pilot)
        await pilot.press("S")  # most shared: the first rows were shared several times
        screen = await settled(pilot)
        resource = await highlight(pilot, screen, urls(screen)[0])
        assert len(resource.shares) > 1

        for count, share in ((None, resource.shares[0]), (2, resource.shares[1])):
            await pilot.press(*([str(count)] if count else []), "enter")
            await until(pilot, lambda: isinstance(app.screen, ThreadScreen), "the thread")
            thread = app.screen
            assert isinstance(thread, ThreadScreen) and thread.topic_id == share.topic_id

            def on_the_post(thread: ThreadScreen = thread, number: int = share.post_number) -> bool:
                post = thread.query_one(ThreadView).selected
                return post is not None and post.post_number == number

            await until(pilot, on_the_post, "the shared post")
            post = thread.query_one(ThreadView).selected
            assert post is not None and resource.url in (post.raw or post.cooked or "")
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is screen, "the library again")

        await pilot.press("9", "enter")
        assert app.screen is screen
        assert f"shared in [1] to [{len(resource.shares)}]" in status(app)


async def test_o_opens_the_link_or_copies_it_over_ssh_and_y_copies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = CohortApp(live=False)
    copied: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_library(pilot)
        resource = await highlight(pilot, screen, urls(screen)[1])
        monkeypatch.setattr(app, "copy_to_clipboard", copied.append)

        with desktop(monkeypatch, ssh=True) as browser:
            await pilot.press("o")
            await pilot.pause()
            assert browser.opened == [] and copied == [resource.url]
            assert f"over SSH: copied instead {resource.url}" in status(app)

        with desktop(monkeypatch, ssh=False) as browser:
            await pilot.press("o")
            await until(pilot, lambda: browser.opened, "the browser")
            assert browser.opened == [resource.url] and copied == [resource.url]
            await until(pilot, lambda: f"opened {resource.url}" in status(app), "the note")

        await pilot.press("y")
        assert copied == [resource.url, resource.url]
        assert status(app).endswith(f"copied {resource.url}")


async def test_y_reaches_the_terminal_clipboard() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_library(pilot)
        await pilot.press("j", "y")
        assert app.clipboard == urls(screen)[1]


# -- when the forum cannot answer ----------------------------------------------------------------


async def test_offline_keeps_the_list_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_library(pilot)
        before = urls(screen)
        assert before

        async def unreachable(**_: Any) -> None:
            raise Offline("connection refused")

        monkeypatch.setattr(native(app), "resources", unreachable)
        await pilot.press("r")
        screen = await settled(pilot)
        assert urls(screen) == before
        assert "offline: the forum cannot be reached; the list as last loaded" in status(app)
        await pilot.press("S")  # another order cannot be had either; the old rows stay
        screen = await settled(pilot)
        assert urls(screen) == before and "offline" in status(app)
        monkeypatch.undo()
        await pilot.press("r")
        screen = await settled(pilot)
        assert status(app).rstrip().endswith("fresh")


@pytest.fixture
def discourse() -> Iterator[RunningFake]:
    running = start_fake(FakeDiscourse())
    yield running
    running.stop()


async def test_a_forum_without_a_library_says_so_plainly(discourse: RunningFake) -> None:
    @asynccontextmanager
    async def open_forum() -> AsyncIterator[ForumBackend]:
        backend = DiscourseBackend(
            discourse.url,
            credentials=DiscourseCredentials("user_api_key", USER_API_KEY, client_id=CLIENT_ID),
            budget=RequestBudget(per_minute=None),
        )
        try:
            yield backend
        finally:
            await backend.aclose()

    app = CohortApp(open_forum, source="meta", live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_library(pilot)
        assert isinstance(app.backend, DiscourseBackend)
        empty = text_of(app, "#library-empty")
        assert "This forum has no resource library" in empty
        assert "no resource library" in empty.split("(", 1)[1]  # the forum's own words
        assert "s still shares a link" in empty
        assert status(app).rstrip().endswith("unsupported")
        assert any("This forum has no resource library" in line for line in screen_lines(app))
        for key in ("S", "o", "enter", "y"):  # nothing to act on, and nothing breaks
            await pilot.press(key)
            await settled(pilot)
        assert "no resource is highlighted" in status(app)
        assert isinstance(app.screen, LibraryScreen)


# -- safety -------------------------------------------------------------------------------------


async def test_a_hostile_title_and_topic_render_inert() -> None:
    async with EmbeddedForum() as http:
        category = (await NativeBackend(http, base_url="http://cohort").categories())[0]
        response = await http.post(
            "/api/v1/topics",
            json={"title": HOSTILE_TITLE, "raw": HOSTILE_BODY, "category": category.id},
        )
        assert response.status_code == 201, response.text

    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_library(pilot)
        hostile = next(r for r in screen.query_one(ResourceTable).resources if "evil" in r.url)
        await highlight(pilot, screen, hostile.url)
        assert hostile.title is not None and CLICK in hostile.title
        shown = "\n".join(screen_lines(app))
        assert CLICK[:12] in shown and "[/bar]" in shown  # shown as typed...
        assert not FORBIDDEN & set(shown.replace("\n", ""))  # ...without its escapes
        assert not any("quit" in handler for handler in live_click_handlers(app))
        assert app.is_running
