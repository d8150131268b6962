"""The home screen, driven through Textual's Pilot on a real embedded forum.

Each test gets fresh XDG folders (conftest), so the app seeds the sample community into
its own database on start. What the widgets show is compared with what the same forum's
API answers, so the tests hold whatever the sample community contains. Lists are paged
(30 topics a page): a test that compares a whole list reads every page from the API and
compares the rows shown with its beginning, since a page that does not fill the table,
or a cursor near the end, loads the next one.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pwd
from collections.abc import AsyncIterator, Sequence

import httpx
import pytest
from rich.console import Console
from rich.text import Text
from textual import events
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Static

from tests.pilot import settle
from tui.app import CohortApp
from tui.forum import markdown
from tui.forum.backend import ForumBackend
from tui.forum.embedded import EmbeddedForum
from tui.forum.models import Category, Topic
from tui.forum.native import NativeBackend
from tui.forum.paths import embedded_db_path
from tui.screens.guidelines import GuidelinesScreen
from tui.screens.home import HomeScreen
from widgets.category_table import CategoryInfo, CategoryTable
from widgets.guidelines import CategoryGuidelines
from widgets.topic_table import TopicTable

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

CLICK = "[@click=app.quit]x[/]"
HOSTILE_TITLE = f"{CLICK} \x1b]0;pwned\x07 \x1b[2J \x9b2J \u202eevil\u202c [/bar] [b]"
HOSTILE_BODY = "body \x1b]52;c;SGVsbG8=\x07 \x1b[?1049h \x9b31m \u2066iso\u2069 [/bar] " + CLICK
FORBIDDEN = {chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | set(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def focused(app: CohortApp) -> object:
    """The focused widget (a function, so that type checkers do not narrow it)."""
    return app.focused


def current_screen(app: CohortApp) -> object:
    return app.screen


def running(app: CohortApp) -> bool:
    return app.is_running


def shown(widget: Widget) -> bool:
    return bool(widget.display)


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


async def all_topics(
    backend: ForumBackend,
    filter: str = "latest",
    *,
    category: Category | None = None,
    tag: str | None = None,
) -> list[Topic]:
    """Every topic of a list, page after page, as the forum's API gives them."""
    found: list[Topic] = []
    cursor: str | None = None
    while True:
        page = await backend.topics(filter, category=category, tag=tag, cursor=cursor)
        found += page.topics
        cursor = page.next_cursor
        if cursor is None:
            return found


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
        # The first page at least; more when a page does not fill the table (120x40).
        every = await all_topics(app.backend, "latest")
        assert len(every) > len(api_topics)  # the sample has more than one page
        assert len(topics.topics) >= len(api_topics)
        shown = every[: len(topics.topics)]
        assert [t.id for t in topics.topics] == [t.id for t in shown]
        titles = [t.plain for t in cells(topics)]
        assert all(title.endswith(t.title) for title, t in zip(titles, shown, strict=True))
        names = {c.id: c.name for c in api_categories}
        assert [t.plain for t in cells(topics, 1)] == [names[t.category_id] for t in shown]
        assert [t.plain for t in cells(topics, 2)] == [str(t.reply_count) for t in shown]

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
        assert focused(app) is categories
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
        assert focused(app) is topics
        assert topics.border_title is not None and chosen.name in topics.border_title

        await pilot.press("escape")
        await settle(pilot)
        # The cursor stayed on its topic, maybe far enough down for the next page to load.
        every = await all_topics(app.backend)
        assert len(topics.topics) >= len(latest)
        assert [t.id for t in topics.topics] == [t.id for t in every[: len(topics.topics)]]
        assert {t.category_id for t in topics.topics} != {chosen.id}
        assert home(app).category is None
        assert focused(app) is categories
        assert running(app)


async def test_q_quits() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert running(app)
        await pilot.press("q")
        await pilot.pause()
        assert not running(app)
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
        assert focused(app) is topics
        topics.move_cursor(row=row, animate=False)
        await pilot.pause()
        header_and_border = 2
        y = header_and_border + row - round(topics.scroll_y)
        assert await pilot.click(TopicTable, offset=(topics.cell_padding, y))
        await pilot.press("enter", "escape", "r")
        await settle(pilot)
        assert running(app)
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
        assert running(app) and app.backend is None
        status = status_text(app)
        assert "error: cannot open the embedded forum: disk on fire [2J" in status
        assert "\x1b" not in status
        await pilot.press("r", "enter", "escape")
        await pilot.pause()
        assert running(app)


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
        assert running(app)
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


# -- lists, tags, paging, guidelines, keys ------------------------------------------------


def topic_ids(table: TopicTable) -> list[int]:
    return [t.id for t in table.topics]


def title_of(app: CohortApp) -> str:
    return home(app).list_title.plain


async def add_topics(backend: ForumBackend, count: int, *, tags: list[str] | None = None) -> None:
    category = (await backend.categories())[0]
    for n in range(count):
        await backend.create_topic(
            title=f"Paging topic {n}",
            raw="Filler.",
            category=category,
            tags=tags or [],
            key=f"paging-{n}-{tags}",
        )


async def test_f_cycles_latest_new_unread_top_and_categories_count_unread() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.backend is not None
        latest = (await app.backend.topics("latest")).topics
        # Read the first post of two topics with replies: both are "unread" from now on.
        read = [t for t in latest if t.posts_count > 1][:2]
        for topic in read:
            await app.backend.set_read(topic.id, 1)
        await pilot.press("r")
        await settle(pilot)

        categories = home(app).query_one(CategoryTable)
        api_categories = await app.backend.categories()
        unread = [t.plain for t in cells(categories, 2)]
        assert unread == [str(c.unread_topics) if c.unread_topics else "" for c in api_categories]
        with_unread = {t.category_id for t in read}
        assert {c.id for c in api_categories if c.unread_topics} == with_unread
        names = cells(categories)
        for category, name in zip(categories.categories, names, strict=True):
            assert ("bold" in str(name.style)) == (category.id in with_unread)

        topics = home(app).query_one(TopicTable)
        await pilot.press("tab")
        assert focused(app) is topics
        seen: dict[str, list[int]] = {}
        for expected_title, list_name in [("New", "new"), ("Unread", "unread"), ("Top", "top")]:
            await pilot.press("f")
            await settle(pilot)
            assert title_of(app) == expected_title
            every = await all_topics(app.backend, list_name)
            assert topic_ids(topics) == [t.id for t in every[: len(topics.topics)]]
            seen[list_name] = topic_ids(topics)
        assert sorted(seen["unread"]) == sorted(t.id for t in read)
        assert not set(seen["new"]) & {t.id for t in read}  # read once: no longer new
        assert seen["top"] != topic_ids_of(latest)[: len(seen["top"])]  # another order
        await pilot.press("f")
        await settle(pilot)
        assert title_of(app) == "Latest"
        assert topic_ids(topics)[: len(latest)] == topic_ids_of(latest)
        assert status_text(app).endswith("fresh")


def topic_ids_of(topics: Sequence[Topic]) -> list[int]:
    return [t.id for t in topics]


async def test_t_filters_by_tag_and_escape_clears_it_keeping_the_cursor() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.backend is not None
        topics = home(app).query_one(TopicTable)
        latest = list(topics.topics)
        tagged = await all_topics(app.backend, tag="sql")
        assert 0 < len(tagged) < len(latest)
        # The cursor on a topic with the tag, but not where it will be in the tag's list.
        chosen = next(t for t in latest[1:] if "sql" in t.tags and t.id != tagged[0].id)
        await pilot.press("tab")
        topics.move_cursor(row=latest.index(chosen))
        await pilot.pause()

        await pilot.press("t")
        field = home(app).query_one("#tag", Input)
        assert shown(field) and focused(app) is field
        await pilot.press("s", "q", "l", "enter")  # typed, not taken as keys (q would quit)
        await settle(pilot)
        assert running(app) and not shown(field) and focused(app) is topics
        assert home(app).tag == "sql"
        assert title_of(app) == "Latest · #sql"
        assert topic_ids(topics) == topic_ids_of(tagged)
        assert all("sql" in t.tags for t in topics.topics)
        assert topics.highlighted == chosen  # the cursor stayed on its topic

        await pilot.press("t")
        assert field.value == "sql"
        await pilot.press("escape")  # closes the field and clears the tag
        await settle(pilot)
        assert home(app).tag is None and not shown(field)
        assert title_of(app) == "Latest"
        assert topic_ids(topics)[: len(latest)] == topic_ids_of(latest)
        assert topics.highlighted == chosen

        # A tag within a category; escape backs out one level at a time.
        category = next(
            c for c in home(app).query_one(CategoryTable).categories if c.id == chosen.category_id
        )
        home(app)._open(category)
        await settle(pilot)
        await pilot.press("t", *"sql", "enter")
        await settle(pilot)
        expected = await all_topics(app.backend, category=category, tag="sql")
        assert topic_ids(topics) == topic_ids_of(expected)
        assert title_of(app) == f"Latest · {category.name} · #sql"
        await pilot.press("escape")
        await settle(pilot)
        assert title_of(app) == f"Latest · {category.name}"
        await pilot.press("escape")
        await settle(pilot)
        assert title_of(app) == "Latest" and home(app).category is None


async def test_an_unknown_tag_shows_an_empty_list() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("tab", "t", *"no-such-tag", "enter")
        await settle(pilot)
        topics = home(app).query_one(TopicTable)
        assert topics.topics == [] and topics.row_count == 0
        assert title_of(app) == "Latest · #no-such-tag"
        await pilot.press("j", "k", "G")  # nothing to move over: nothing breaks
        assert running(app)


async def test_pages_load_as_the_cursor_nears_the_end_and_it_never_jumps() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.backend is not None
        await add_topics(app.backend, 35)  # the sample has one page and a bit: make three
        await pilot.press("r")
        await settle(pilot)
        every = await all_topics(app.backend)
        first_page = (await app.backend.topics("latest")).topics
        assert len(first_page) * 2 < len(every)
        topics = home(app).query_one(TopicTable)
        assert topic_ids(topics) == topic_ids_of(first_page)  # 80x24: one page fills it

        await pilot.press("tab")
        loaded = len(topics.topics)
        while loaded < len(every):
            await pilot.press("G")
            await settle(pilot)
            assert len(topics.topics) > loaded, "a page was appended"
            # Appending never moves the cursor: still on what was the last row.
            assert topics.cursor_row == loaded - 1
            assert topics.highlighted is not None
            assert topics.highlighted.id == every[loaded - 1].id
            loaded = len(topics.topics)
        assert topic_ids(topics) == topic_ids_of(every)
        await pilot.press("G")
        await settle(pilot)
        assert topics.cursor_row == len(every) - 1 and len(topics.topics) == len(every)

        # A refresh refetches every page shown; a new topic on top pushes the cursor's
        # topic one row down, and the cursor (and the view) follow it.
        row = len(first_page) + 10
        topics.move_cursor(row=row)
        await pilot.pause()
        chosen = topics.highlighted
        on_screen = topics.cursor_row - round(topics.scroll_y)
        await add_topics(app.backend, 1, tags=["fresh"])
        await pilot.press("r")
        await settle(pilot)
        added = [i for i, t in enumerate(topics.topics) if "fresh" in t.tags]
        assert len(added) == 1 and added[0] < len(first_page)  # on top, after the pinned
        assert len(topics.topics) == len(every) + 1
        assert topics.highlighted == chosen and topics.cursor_row == row + 1
        assert topics.cursor_row - round(topics.scroll_y) == on_screen
        assert status_text(app).endswith("fresh")


async def test_a_page_that_does_not_fill_the_table_loads_the_next_at_once() -> None:
    app = CohortApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.backend is not None
        every = await all_topics(app.backend)
        first_page = (await app.backend.topics("latest")).topics
        topics = home(app).query_one(TopicTable)
        assert len(first_page) < topics.scrollable_content_region.height < len(every)
        assert topic_ids(topics) == topic_ids_of(every)
        assert topics.cursor_row == 0


async def test_i_shows_the_highlighted_category_guidelines() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        categories = home(app).query_one(CategoryTable)
        index, chosen = next(
            (i, c) for i, c in enumerate(categories.categories) if i and "**" in c.guidelines
        )
        await pilot.press(*["j"] * index)
        assert categories.highlighted == chosen
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GuidelinesScreen) and screen.category == chosen
        shown = screen.query_one("#guidelines-text", Static).content
        assert isinstance(shown, CategoryGuidelines)
        lines = shown.lines(Console(), 60)
        text = "\n".join(line.plain for line in lines)
        assert text.startswith(chosen.name + "\n")
        assert " ".join(chosen.description.split()) in " ".join(text.split())
        assert "**" not in text  # Markdown rendered, not shown as typed
        bold = [
            line.plain[span.start : span.end]
            for line in lines[1:]
            for span in line.spans
            if "bold" in str(span.style)
        ]
        assert bold, "the **emphasis** of the guidelines is bold"
        assert any(line.plain.startswith("• ") for line in lines)  # a list item

        await pilot.press("q")  # closes the guidelines, does not quit
        await pilot.pause()
        assert running(app) and isinstance(current_screen(app), HomeScreen)
        await pilot.press("i", "escape")
        await pilot.pause()
        assert running(app) and isinstance(current_screen(app), HomeScreen)

        # From the topic list of an open category: that category's guidelines.
        await pilot.press("enter")
        await settle(pilot)
        assert focused(app) is home(app).query_one(TopicTable)
        await pilot.press("i")
        await pilot.pause()
        modal = current_screen(app)
        assert isinstance(modal, GuidelinesScreen) and modal.category.id == chosen.id


def test_guidelines_markup_is_shown_as_typed() -> None:
    category = Category(
        id=1,
        slug="x",
        name=f"{CLICK} [b]name",
        description="[/bar] desc",
        guidelines=f"- item {CLICK}\n- **bold** [/bar]\n",
    )
    lines = CategoryGuidelines(category, markdown.parse(category.guidelines)).lines(Console(), 40)
    text = "\n".join(line.plain for line in lines)
    assert text.startswith(f"{CLICK} [b]name\n[/bar] desc\n")
    assert f"• item {CLICK}" in text and "• bold [/bar]" in text
    assert not any("@click" in str(span.style) for line in lines for span in line.spans)


def test_no_guidelines_says_so() -> None:
    category = Category(id=1, slug="x", name="Empty", description="")
    lines = CategoryGuidelines(category, markdown.parse("")).lines(Console(), 40)
    assert [line.plain for line in lines] == [
        "Empty",
        "",
        "Guidelines",
        "",
        "This category has no guidelines.",
    ]


async def test_j_k_gg_G_and_counts_move_in_the_focused_table() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        categories = home(app).query_one(CategoryTable)
        topics = home(app).query_one(TopicTable)
        last_category = len(categories.categories) - 1
        assert focused(app) is categories and categories.cursor_row == 0
        await pilot.press("j", "j")
        assert categories.cursor_row == 2
        await pilot.press("k")
        assert categories.cursor_row == 1
        await pilot.press("G")
        assert categories.cursor_row == last_category
        await pilot.press("j")  # already on the last row
        assert categories.cursor_row == last_category
        await pilot.press("g", "g")
        assert categories.cursor_row == 0
        await pilot.press("k")
        assert categories.cursor_row == 0
        await pilot.press("3", "G")  # a count before G: that row
        assert categories.cursor_row == 2
        assert topics.cursor_row == 0  # only the focused table moved

        await pilot.press("tab")
        assert focused(app) is topics
        await pilot.press("j", "j", "j")
        assert topics.cursor_row == 3 and categories.cursor_row == 2
        await pilot.press("5", "j")  # a count: that many rows
        assert topics.cursor_row == 8
        await pilot.press("2", "k")
        assert topics.cursor_row == 6
        first_page = len(topics.topics)
        await pilot.press("G")
        await settle(pilot)
        assert topics.cursor_row == first_page - 1  # the next page came, the cursor stayed
        await pilot.press("g", "g")
        assert topics.cursor_row == 0


async def test_g_l_and_g_c_go_to_the_latest_topics_and_the_categories() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        categories = home(app).query_one(CategoryTable)
        topics = home(app).query_one(TopicTable)
        await pilot.press("j", "enter")
        await settle(pilot)
        await pilot.press("f", "t", *"sql", "enter")
        await settle(pilot)
        assert home(app).category is not None and home(app).tag == "sql"
        assert home(app).filter == "new"
        await pilot.press("g", "c")
        assert focused(app) is categories
        await pilot.press("g", "l")
        await settle(pilot)
        assert focused(app) is topics and title_of(app) == "Latest"
        assert (home(app).filter, home(app).category, home(app).tag) == ("latest", None, None)
        assert app.backend is not None
        latest = (await app.backend.topics("latest")).topics
        assert topic_ids(topics)[: len(latest)] == topic_ids_of(latest)


async def test_a_topic_deleted_under_the_cursor_leaves_the_cursor_on_its_row() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.backend, NativeBackend)
        await add_topics(app.backend, 1)
        await pilot.press("r")
        await settle(pilot)
        topics = home(app).query_one(TopicTable)
        row = next(i for i, t in enumerate(topics.topics) if t.title == "Paging topic 0")
        doomed = topics.topics[row]
        after = topics.topics[row + 1]
        await pilot.press("tab", *["j"] * row)
        assert topics.highlighted == doomed

        first_post = (await app.backend.topic(doomed.id)).posts[0]
        deleted = await app.backend.http.delete(f"/api/v1/posts/{first_post.id}")
        assert deleted.status_code in (200, 204), deleted.text
        await pilot.press("r")
        await settle(pilot)
        assert doomed.id not in topic_ids(topics)
        assert topics.cursor_row == row and topics.highlighted == after


async def test_the_collector_the_command_turns_off_is_on_once_the_first_frame_is_out() -> None:
    # `cohort` starts with the garbage collector off (tui/__main__.py); the app turns it
    # back on after its first frame, leaving what the start made out of collections.
    gc.disable()
    try:
        app = CohortApp()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()


async def test_keys_typed_right_after_tab_go_to_the_pane_it_moved_to() -> None:
    # A terminal delivers "tab j down enter" typed quickly (or pasted) in one read: each
    # key must have done its work before the next is read, or j and down act on the list
    # being left and enter (a priority key) opens what the cursor was leaving.
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        categories = home(app).query_one(CategoryTable)
        topics = home(app).query_one(TopicTable)
        assert focused(app) is categories
        third = topics.topics[2]
        for key, character in (("tab", "\t"), ("j", "j"), ("down", None), ("enter", "\r")):
            app.post_message(events.Key(key, character))
        await settle(pilot)
        assert categories.cursor_row == 0  # j moved the topics, not the categories
        assert app.screen is not app.home, "the topic opened"
        assert getattr(app.screen, "topic_id", None) == third.id
