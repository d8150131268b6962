"""Sharing a resource: the form's checks, the Markdown it becomes (read back by the
server's own link index), and the share screen driven through the Pilot on the embedded
forum, from the form to the new topic and its row in the library."""

from __future__ import annotations

from typing import Any

import pytest
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static, TextArea

from server.store.links import Link, extract_links
from tests.test_library import native, open_library, settled, started, status, until, urls
from tui.app import CohortApp
from tui.forum.drafts import new_topic_key
from tui.forum.outbox import OutboxItem, OutboxKind, OutboxState
from tui.forum.sharing import (
    MAX_TAGS,
    ShareError,
    check_share,
    check_url,
    parse_tags,
    read_share,
    share_markdown,
)
from tui.screens.home import HomeScreen
from tui.screens.library import LibraryScreen
from tui.screens.share import ShareScreen
from widgets.category_table import CategoryTable
from widgets.resource_library import ResourceTable

HOSTILE_TITLES = [
    "Pro Git",
    "C++ [draft] *notes* _x_ `code` <b>bold</b> & ! \\ back",
    "a](https://evil.example/x) [@click=app.quit]x[/]",
]
URLS = [
    "https://git-scm.com/book/en/v2",
    "https://en.wikipedia.org/wiki/Spaced_repetition_(learning)",
    "http://example.org:8080/a/b?c=d&e=f#frag",
]


# -- the form's checks and the Markdown ----------------------------------------------------------


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_the_link_index_takes_the_title_from_the_post(url: str, title: str) -> None:
    raw = share_markdown(url, title, "Why it helps.\n\n- for beginners")
    # The server's own parser: the library lists the link under the title typed.
    assert extract_links(raw) == [Link(url, title)]
    assert raw.endswith("\n\nWhy it helps.\n\n- for beginners")
    assert read_share(raw, title) == (url, "Why it helps.\n\n- for beginners")


def test_a_draft_reads_back_exactly_and_other_text_is_kept_whole() -> None:
    for url, title, description in [
        ("https://x.example/", "T", ""),
        ("", "Only a title", "and words"),
        ("https://half", "", "typed so far"),
        ("htt ps://not a url", "bad", "kept"),
    ]:
        raw = share_markdown(url, title, description)
        assert read_share(raw, title) == (url, description)
    ordinary = "[a link](https://x.example/) in a topic of its own\n\nmore"
    assert read_share(ordinary, "a link") == ("", ordinary)
    assert read_share("[other](https://x.example/)\n\nbody", "title") == (
        "",
        "[other](https://x.example/)\n\nbody",
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "a URL is required"),
        ("ftp://files.example/data.csv", "only http:// and https://"),
        ("javascript:alert(1)", "only http:// and https://"),
        ("example.org/page", "only http:// and https://"),
        ("https://", "needs a host"),
        ("https:///path", "needs a host"),
        ("https://exa mple.org/", "cannot hold spaces"),
        ("https://example.org/\x1b]52;c;x\x07", "control characters"),
        ("https://example.org/" + "a" * 2100, "longer than 2048"),
    ],
)
def test_a_bad_url_is_named(url: str, message: str) -> None:
    with pytest.raises(ShareError) as bad:
        check_url(url)
    assert bad.value.field == "url" and message in bad.value.message


def test_title_and_tags_are_checked() -> None:
    assert check_url("  https://example.org/x  ") == "https://example.org/x"
    with pytest.raises(ShareError, match="title is required"):
        check_share("https://example.org/", "   ", "", "")
    share = check_share("https://example.org/", " Two\tspaced   words ", "\n\ntext\n\n", "")
    assert share.title == "Two spaced words" and share.description == "text"
    assert parse_tags("git, #beginners  Git sql") == ("git", "beginners", "sql")
    with pytest.raises(ShareError, match="cannot hold # or @"):
        parse_tags("me@home")
    with pytest.raises(ShareError, match=f"at most {MAX_TAGS} tags"):
        parse_tags("a b c d e f")


# -- the screen ---------------------------------------------------------------------------------


def share_screen(app: CohortApp) -> ShareScreen:
    screen = app.screen
    assert isinstance(screen, ShareScreen), screen
    return screen


def field(app: CohortApp, name: str) -> Input:
    return app.screen.query_one(f"#share-{name}", Input)


def error(app: CohortApp) -> str:
    content = app.screen.query_one("#share-error", Static).content
    return content.plain if isinstance(content, Content) else str(content)


async def type_into(pilot: Pilot[Any], selector: str, text: str) -> None:
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    await pilot.pause()
    await pilot.press(*("enter" if c == "\n" else c for c in text))


async def choose_category(pilot: Pilot[Any], name: str) -> None:
    """Pick a category with the keys: open the list, go down to it, enter."""
    screen = share_screen(pilot.app)  # type: ignore[arg-type]
    await until(pilot, lambda: screen.categories, "the categories")
    names = [c.name for c in screen.categories]
    select = screen.query_one("#share-category", Select)
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    current = select.value
    start = next((i for i, c in enumerate(screen.categories) if c.id == current), -1)
    for _ in range(names.index(name) - start):
        await pilot.press("down")
    await pilot.press("enter")
    await until(pilot, lambda: screen.chosen_category() is not None, "the category")
    chosen = screen.chosen_category()
    assert chosen is not None and chosen.name == name


async def test_a_shared_resource_becomes_a_topic_and_joins_the_library() -> None:
    app = CohortApp(live=False)
    url = "https://missing.csail.mit.edu/2020/version-control/"
    title = "Version control (Git): the Missing Semester lecture"
    async with app.run_test(size=(80, 24)) as pilot:
        library = await open_library(pilot)
        assert url not in urls(library)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ShareScreen), "the form")
        screen = share_screen(app)
        assert field(app, "url").has_focus
        await pilot.press(*url)
        await type_into(pilot, "#share-title", title)
        await type_into(pilot, "#share-description", "Watch it before the git session.")
        await type_into(pilot, "#share-tags", "git, beginners")
        await choose_category(pilot, "Shared Resources")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is library, "the library again")

        # Queued through the outbox with the draft's key, then sent by the app.
        assert app.outbox is not None
        item = next(i for i in app.outbox.items() if i.kind is OutboxKind.TOPIC)
        assert item.title == title and item.tags == ("git", "beginners")
        assert item.category_slug == "resources"
        assert item.draft_key == screen.draft_key == new_topic_key(None)
        assert item.raw == share_markdown(url, title, "Watch it before the git session.")
        outbox = app.outbox

        def sent() -> OutboxItem | None:
            now = outbox.get(item.id)
            return now if now.state is OutboxState.SENT else None

        await until(pilot, sent, "the topic to be sent")
        done = sent()
        assert done is not None and done.topic_id is not None
        page = await native(app).topic(done.topic_id)
        assert page.topic.title == title and set(page.topic.tags) == {"git", "beginners"}
        assert page.posts[0].raw == item.raw

        # The library heard it was delivered and lists it first among the newest.
        await until(pilot, lambda: url in urls(library), "the library to list it")
        library = await settled(pilot)
        assert urls(library)[0] == url
        resource = library.query_one(ResourceTable).highlighted
        assert resource is not None
        assert resource.title == title and resource.first_shared_by == page.topic.username
        assert resource.shares[0].topic_id == done.topic_id
        assert "shared: " + title in status(app)
        # Once sent, the draft is gone.
        assert app.drafts is not None and app.drafts.load(screen.draft_key) is None


async def test_a_bad_url_keeps_the_form_and_says_why() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("s")  # from the home screen
        await until(pilot, lambda: isinstance(app.screen, ShareScreen), "the form")
        screen = share_screen(app)
        await pilot.press(*"ftp://files.example/data.csv")
        await type_into(pilot, "#share-title", "The data")
        await type_into(pilot, "#share-description", "Line one.\nLine two.")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        assert "only http:// and https:// links can be shared" in error(app)
        assert field(app, "url").has_focus  # the bad field has the focus
        assert field(app, "url").value == "ftp://files.example/data.csv"
        assert field(app, "title").value == "The data"
        assert screen.query_one(TextArea).text == "Line one.\nLine two."
        assert app.outbox is not None and app.outbox.items() == []

        field(app, "url").value = "https://"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "needs a host" in error(app) and app.screen is screen

        field(app, "url").value = "https://example.org/data"
        field(app, "title").value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "a title is required" in error(app) and field(app, "title").has_focus

        # Escape keeps it all as a draft; the form opens on it again.
        field(app, "title").value = "The data"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
        assert app.outbox.items() == []
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ShareScreen), "the form again")
        assert field(app, "url").value == "https://example.org/data"
        assert field(app, "title").value == "The data"
        assert app.screen.query_one(TextArea).text == "Line one.\nLine two."
        assert "your draft, as you left it" in str(
            app.screen.query_one("#share-status", Static).content
        )


async def test_the_form_is_saved_as_a_draft_while_typing() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ShareScreen), "the form")
        await pilot.press(*"https://sqlbolt.com/")
        await type_into(pilot, "#share-title", "SQLBolt")
        await type_into(pilot, "#share-tags", "sql")
        drafts = app.drafts
        assert drafts is not None
        draft = drafts.load(new_topic_key(None))
        assert draft is not None  # no escape, no submit: saved as it was typed
        assert draft.title == "SQLBolt" and draft.raw == "[SQLBolt](https://sqlbolt.com/)"
        assert draft.tags == ("sql",)
        # An ordinary new-topic draft in the same slot loses nothing either.
        drafts.save(new_topic_key(None), raw="Plain words, no link.", title="A question")
        await pilot.press("escape")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ShareScreen), "the form")
        assert field(app, "url").value == ""
        assert field(app, "title").value == "A question"
        assert app.screen.query_one(TextArea).text == "Plain words, no link."


async def test_the_category_open_on_home_is_preselected() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        table = home.query_one(CategoryTable)
        await until(pilot, lambda: table.categories, "the categories")
        wanted = next(c for c in table.categories if c.slug == "study-groups")
        table.move_cursor(row=table.categories.index(wanted))
        await pilot.press("enter")
        await until(pilot, lambda: home.category == wanted, "the category to open")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ShareScreen), "the form")
        screen = share_screen(app)
        assert screen.draft_key == new_topic_key(wanted.id)
        await until(pilot, lambda: screen.categories, "the categories")
        chosen = screen.chosen_category()
        assert chosen is not None and chosen.id == wanted.id


async def test_without_an_outbox_it_says_so_and_keeps_the_text() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        library = await open_library(pilot)
        assert isinstance(library, LibraryScreen)
        app.outbox = None
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ShareScreen), "the form")
        screen = share_screen(app)
        await pilot.press(*"https://example.org/")
        await type_into(pilot, "#share-title", "Example")
        await choose_category(pilot, "Shared Resources")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen and "sending is off" in error(app)
        assert field(app, "url").value == "https://example.org/"
        assert field(app, "title").value == "Example"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_form_fits(size: tuple[int, int]) -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ShareScreen), "the form")
        screen = share_screen(app)
        await until(pilot, lambda: screen.categories, "the categories")
        await pilot.pause()
        lines = [strip.text for strip in screen._compositor.render_strips()]
        text = "\n".join(lines)
        for label in ("URL", "Title", "Description", "Tags", "Category", "Share it"):
            assert label in text, label
        for widget_id in ("url", "title", "description", "tags", "category"):
            region = screen.query_one(f"#share-{widget_id}").region
            assert region.height >= 3 and region.bottom <= size[1] - 2, widget_id
