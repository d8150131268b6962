"""The thread screen, driven through Textual's Pilot on a real embedded forum.

Each test gets fresh XDG folders (conftest), so the app seeds the sample community into
its own database on start. Expectations come from the same forum's API (the reply
structure, links, reactions), so the tests hold whatever the sample contains.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import webbrowser
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from rich.style import Style
from textual.content import Content
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from tests.pilot import settle
from tui.app import CohortApp
from tui.forum.backend import ForumBackend
from tui.forum.document import render_post
from tui.forum.embedded import EmbeddedForum
from tui.forum.models import Link, Post, SiteInfo, TopicPage
from tui.forum.native import NativeBackend
from tui.screens.home import HomeScreen
from tui.screens.thread import FOLD_WIDTH, ThreadScreen, document_links
from widgets.feedback_pane import FeedbackPane, appreciation
from widgets.resources_pane import ResourcesPane
from widgets.thread_view import ThreadView
from widgets.topic_table import TopicTable

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

CLICK = "[@click=app.quit]x[/]"
HOSTILE_TITLE = f"{CLICK} \x1b]0;pwned\x07 \x1b[2J \x9b2J \u202eevil\u202c [/bar] [b]"
HOSTILE_BODY = (
    "zyzzyva body \x1b]52;c;SGVsbG8=\x07 \x1b[?1049h \x9b31m \u2066iso\u2069 [/bar] "
    + CLICK
    + f"\n\nsee [{CLICK} [/bar] \x9b2J \u202eevil](https://evil.example/x?q=[/bar])"
)
FORBIDDEN = {chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | set(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

# Sample topics with the shapes these tests need (checked against the API in each test).
TREE_TOPIC = "CSS: flex item won't shrink"  # 2 accepted; 5 replies to 2; 4 replies to 3
SIBLINGS_TOPIC = "How do I cut a 1,200-word"  # 3 and 4 both reply to 2
LONG_TOPIC = TREE_TOPIC  # longer than a screen at 80x24


# -- helpers shared with test_search_screen --------------------------------------------------------


def backend(app: CohortApp) -> NativeBackend:
    assert isinstance(app.backend, NativeBackend)
    return app.backend


def thread(app: CohortApp) -> ThreadScreen:
    screen = app.screen
    assert isinstance(screen, ThreadScreen), screen
    return screen


def selected(app: CohortApp) -> int | None:
    post = thread(app).query_one(ThreadView).selected
    return post.post_number if post is not None else None


def focus(app: CohortApp) -> Widget | None:
    """The focused widget (a function, so each check reads it afresh)."""
    return app.focused


def is_shown(widget: Widget) -> bool:
    return bool(widget.display)


def status(app: CohortApp, selector: str = "#thread-status") -> str:
    content = app.screen.query_one(selector, Static).content
    assert isinstance(content, Content)  # never a markup string
    return content.plain


def screen_lines(app: CohortApp) -> list[str]:
    """What the terminal shows, line by line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def live_click_handlers(app: CohortApp) -> list[str]:
    """Every @click handler drawn on the screen (parsed markup would add one)."""
    found = []
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            style = segment.style
            if isinstance(style, Style) and style.meta.get("@click"):
                found.append(str(style.meta["@click"]))
    return found


async def topic_named(app: CohortApp, prefix: str) -> int:
    topics = (await backend(app).topics("latest")).topics
    return next(t.id for t in topics if t.title.startswith(prefix))


async def whole_thread(app: CohortApp, topic_id: int) -> tuple[TopicPage, list[Post]]:
    head = await backend(app).topic(topic_id)
    posts = {p.id: p for p in head.posts}
    missing = [i for i in head.post_ids or () if i not in posts]
    if missing:
        posts.update((p.id, p) for p in await backend(app).posts(topic_id, missing))
    return head, sorted(posts.values(), key=lambda p: p.post_number)


async def open_thread(
    pilot: Pilot[Any], topic_id: int, post_number: int | None = None
) -> ThreadScreen:
    app = pilot.app
    assert isinstance(app, CohortApp)
    await app.push_screen(ThreadScreen(topic_id, post_number=post_number))
    await settle(pilot)
    return thread(app)


def tree_order(posts: list[Post]) -> list[int]:
    """The reply tree read depth first (a reply to nothing answers the first post)."""
    numbers = {p.post_number for p in posts}
    children: dict[int, list[int]] = {}
    for p in posts:
        if p.post_number == 1:
            continue
        parent = p.reply_to_post_number if p.reply_to_post_number in numbers else 1
        children.setdefault(parent, []).append(p.post_number)
    order: list[int] = []

    def walk(number: int) -> None:
        order.append(number)
        for child in sorted(children.get(number, [])):
            walk(child)

    walk(1)
    return order


# -- opening and leaving ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_enter_on_a_topic_opens_its_thread(size: tuple[int, int]) -> None:
    app = CohortApp()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        topics = app.screen.query_one(TopicTable)
        topics.focus()
        await pilot.pause()
        topics.move_cursor(row=2, animate=False)
        chosen = topics.highlighted
        assert chosen is not None
        await pilot.press("enter")
        await settle(pilot)

        screen = thread(app)
        assert screen.topic_id == chosen.id
        head, posts = await whole_thread(app, chosen.id)
        assert [p.post_number for p in screen.posts] == [p.post_number for p in posts]
        view = screen.query_one(ThreadView)
        assert focus(app) is view and view.selected is not None
        line = status(app)
        assert line.startswith("embedded forum · " + head.topic.title)
        assert f"{len(posts)} posts" in line and line.rstrip().endswith("fresh")

        # Whatever the size, the screen's parts lie within the terminal.
        width, height = size
        for widget in (view, screen.query_one("#thread-status"), *screen.query(ResourcesPane)):
            if widget.display:
                region = widget.region
                assert region.right <= width and region.bottom <= height, widget

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert focus(app) is topics  # back where the reader left off
        await pilot.press("enter")
        await settle(pilot)
        assert thread(app).topic_id == chosen.id
        await pilot.press("q")  # q leaves the thread, not the app
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and app.is_running


async def test_a_thread_opened_with_the_app_waits_for_the_forum() -> None:
    async with EmbeddedForum() as http:  # the sample, seeded before the app starts
        topics = (await NativeBackend(http, base_url="http://cohort").topics("latest")).topics
        topic_id = next(t.id for t in topics if t.title.startswith(TREE_TOPIC))
    app = CohortApp(open_topic=(topic_id, 4))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert thread(app).topic_id == topic_id and selected(app) == 4
        assert status(app).rstrip().endswith("fresh")


async def read_mark(app: CohortApp, topic_id: int, wanted: int) -> int | None:
    """The forum's read mark for the topic once it is `wanted` (or after 5 s)."""
    mark: int | None = None
    for _ in range(100):
        mark = (await backend(app).topic(topic_id)).topic.last_read_post_number
        if mark == wanted:
            break
        await asyncio.sleep(0.05)
    return mark


async def test_posts_are_marked_read_once_they_have_been_on_screen() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        topic_id = await topic_named(app, LONG_TOPIC)
        before = await backend(app).topic(topic_id)
        assert before.topic.last_read_post_number is None
        screen = await open_thread(pilot, topic_id)
        seen = max(p.post_number for p in screen.view.on_screen())
        highest = max(p.post_number for p in screen.posts)
        assert seen < highest  # the test needs a thread longer than the screen
        assert await read_mark(app, topic_id, seen) == seen  # on the forum, not only here
        await asyncio.sleep(1.5)  # more looks at the screen: nothing further is marked
        assert (await backend(app).topic(topic_id)).topic.last_read_post_number == seen
        await pilot.press("G")
        assert await read_mark(app, topic_id, highest) == highest


async def test_refresh_keeps_the_selection_and_shows_new_posts() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        topic_id = await topic_named(app, TREE_TOPIC)
        screen = await open_thread(pilot, topic_id, post_number=3)
        assert selected(app) == 3
        response = await backend(app).http.post(
            f"/api/v1/topics/{topic_id}/posts",
            json={"raw": "A late reply.", "reply_to_post_number": 2},
        )
        assert response.status_code == 201, response.text
        new = response.json()["post_number"]
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert new in [p.post_number for p in screen.posts]
        assert selected(app) == 3
        assert status(app).rstrip().endswith("fresh")


# -- keys ------------------------------------------------------------------------------------------


async def test_moving_through_the_reply_tree() -> None:
    app = CohortApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        topic_id = await topic_named(app, TREE_TOPIC)
        head, posts = await whole_thread(app, topic_id)
        parents = {p.post_number: p.reply_to_post_number for p in posts}
        assert head.topic.solution_post_number == 2 and parents[5] == 2 and parents[4] == 3
        order = tree_order(posts)
        await open_thread(pilot, topic_id)
        assert selected(app) == 1  # first visit: from the top

        await pilot.press("j")
        assert selected(app) == order[1]
        await pilot.press("j", "j")
        assert selected(app) == order[3]
        await pilot.press("k")
        assert selected(app) == order[2]
        await pilot.press("G")
        assert selected(app) == order[-1]
        await pilot.press("g", "g")
        assert selected(app) == 1
        await pilot.press("end")
        assert selected(app) == order[-1]
        await pilot.press("home")
        assert selected(app) == 1

        await pilot.press("g", "s")  # the accepted answer
        assert selected(app) == 2
        await pilot.press("j")  # in the tree, 2's reply comes next...
        assert selected(app) == 5
        await pilot.press("u")  # ...and u goes back up to it
        assert selected(app) == 2
        await pilot.press("space")  # fold 2's branch: j skips its replies
        await pilot.press("j")
        assert selected(app) == 3
        await pilot.press("k", "space", "j")  # unfolded again
        assert selected(app) == 5

        await pilot.press("5", "G")  # a count: post N
        assert selected(app) == 5
        await pilot.press("3", "enter")
        assert selected(app) == 3
        await pilot.press("2", "j")  # a count repeats a move
        assert selected(app) == order[order.index(3) + 2]
        await pilot.press("9", "9", "G")
        assert selected(app) == order[order.index(3) + 2]  # no post 99: stays
        assert "no post #99" in status(app)

        await pilot.press("t")  # chronological order
        assert thread(app).query_one(ThreadView).order == "chrono"
        await pilot.press("2", "G", "j")
        assert selected(app) == 3
        await pilot.press("t", "2", "G", "j")
        assert thread(app).query_one(ThreadView).order == "tree"
        assert selected(app) == 5


async def test_siblings_and_unread_posts() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        topic_id = await topic_named(app, SIBLINGS_TOPIC)
        _, posts = await whole_thread(app, topic_id)
        parents = {p.post_number: p.reply_to_post_number for p in posts}
        assert parents[3] == 2 and parents[4] == 2
        await backend(app).set_read(topic_id, 3)  # read up to 3 on an earlier visit
        order = tree_order(posts)
        unread = [n for n in order if n > 3]

        screen = await open_thread(pilot, topic_id)
        assert screen.last_read == 3
        assert selected(app) == unread[0]  # opened at the first new post
        assert f"{len(unread)} new" in status(app)
        await pilot.press("n")
        assert selected(app) == unread[1]
        await pilot.press("p")
        assert selected(app) == unread[0]
        await pilot.press("g", "g", "n")
        assert selected(app) == unread[0]
        await pilot.press("p")
        assert selected(app) == unread[0] and "no unread post before" in status(app)

        await pilot.press("3", "G", "right_square_bracket")
        assert selected(app) == 4
        await pilot.press("right_square_bracket")
        assert selected(app) == 4 and "no later reply" in status(app)
        await pilot.press("left_square_bracket")
        assert selected(app) == 3
        await pilot.press("u")
        assert selected(app) == 2


# -- links -----------------------------------------------------------------------------------------


class FakeBrowser(webbrowser.BaseBrowser):
    def __init__(self) -> None:
        super().__init__("firefox")
        self.opened: list[str] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        return True


@contextlib.contextmanager
def desktop(monkeypatch: pytest.MonkeyPatch, *, ssh: bool) -> Iterator[FakeBrowser]:
    """A local graphical session with a browser, or the same reached over SSH."""
    browser = FakeBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda using=None: browser)
    monkeypatch.setenv("DISPLAY", ":0")
    for name in ("SSH_CONNECTION", "SSH_TTY"):
        monkeypatch.delenv(name, raising=False)
    if ssh:
        monkeypatch.setenv("SSH_TTY", "/dev/pts/9")
    yield browser


async def links_topic(http: httpx.AsyncClient) -> int:
    category = (await NativeBackend(http, base_url="http://cohort").categories())[0]
    response = await http.post(
        "/api/v1/topics",
        json={
            "title": "Links to try out",
            "raw": "Start [here](https://one.example/start) then [there](https://two.example/)"
            " and fetch [the data](ftp://files.example/data.csv) when done.",
            "category": category.id,
        },
    )
    assert response.status_code == 201, response.text
    return int(response.json()["topic"]["id"])


async def test_o_opens_and_y_copies_the_links_of_the_post(monkeypatch: pytest.MonkeyPatch) -> None:
    async with EmbeddedForum() as http:
        topic_id = await links_topic(http)
    app = CohortApp()
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_thread(pilot, topic_id)
        post = thread(app).query_one(ThreadView).selected
        assert post is not None
        links = [link.url for link in render_post(post).links]
        assert links == [
            "https://one.example/start",
            "https://two.example/",
            "ftp://files.example/data.csv",
        ]

        with desktop(monkeypatch, ssh=False) as browser:
            await pilot.press("o")
            await settle(pilot)
            assert browser.opened == [links[0]] and not copied
            assert "opened https://one.example/start" in status(app)
            await pilot.press("2", "o")
            await settle(pilot)
            assert browser.opened == links[:2]
            await pilot.press("3", "o")  # not http(s): never handed to a browser
            await settle(pilot)
            assert browser.opened == links[:2] and not copied
            assert "only http and https" in status(app)
            await pilot.press("9", "o")
            assert f"has links [1] to [{len(links)}]" in status(app)

        with desktop(monkeypatch, ssh=True) as browser:
            await pilot.press("2", "o")
            await settle(pilot)
            assert browser.opened == [] and copied == [links[1]]
            assert "over SSH: copied instead" in status(app)

        monkeypatch.delenv("SSH_TTY")
        console = webbrowser.GenericBrowser("lynx")  # would take over this very terminal
        started: list[str] = []
        monkeypatch.setattr(console, "open", lambda url, new=0, autoraise=True: started.append(url))
        monkeypatch.setattr(webbrowser, "get", lambda using=None: console)
        await pilot.press("o")
        await settle(pilot)
        assert started == [] and copied[-1] == links[0] and "no browser here" in status(app)

        monkeypatch.delenv("DISPLAY")
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        monkeypatch.setattr(webbrowser, "get", lambda using=None: FakeBrowser())
        await pilot.press("2", "o")  # no display: copied, whatever browser is installed
        await settle(pilot)
        assert copied[-1] == links[1] and "no browser here" in status(app)

        await pilot.press("y")
        assert copied[-1] == links[0]
        await pilot.press("3", "y")
        assert copied[-1] == links[2] and status(app).endswith("copied " + links[2])


async def test_y_reaches_the_terminal_clipboard() -> None:
    async with EmbeddedForum() as http:
        topic_id = await links_topic(http)
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_thread(pilot, topic_id)
        await pilot.press("2", "y")
        assert app.clipboard == "https://two.example/"


# -- the panes -------------------------------------------------------------------------------------


async def test_panes_sit_beside_the_thread_when_wide_and_toggle() -> None:
    app = CohortApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_thread(pilot, await topic_named(app, "Megathread"))
        view, resources, feedback = (
            screen.query_one(ThreadView),
            screen.query_one(ResourcesPane),
            screen.query_one(FeedbackPane),
        )
        assert FOLD_WIDTH <= 120
        assert is_shown(view) and is_shown(resources) and is_shown(feedback)
        assert resources.region.x >= view.region.right  # beside, not over
        assert resources.region.right <= 120 and feedback.region.bottom <= 40 - 2

        await pilot.press("R")
        assert not is_shown(resources) and is_shown(feedback) and is_shown(view)
        await pilot.press("F")
        assert not is_shown(feedback) and not screen.query_one("#thread-side").display
        assert view.region.width == 120  # the thread takes the room
        await pilot.press("R", "F")
        assert is_shown(resources) and is_shown(feedback)
        assert focus(app) is view

        # In a pane, the thread's keys move through it; escape goes back to the thread.
        await pilot.press("tab")
        assert focus(app) is resources and resources.highlighted == 0
        await pilot.press("j", "j")
        assert resources.highlighted == 2
        await pilot.press("escape")
        assert focus(app) is view and isinstance(app.screen, ThreadScreen)


async def test_panes_fold_at_80x24_and_show_in_the_threads_place() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_thread(pilot, await topic_named(app, "Megathread"))
        view, resources, feedback = (
            screen.query_one(ThreadView),
            screen.query_one(ResourcesPane),
            screen.query_one(FeedbackPane),
        )
        assert is_shown(view) and not is_shown(resources) and not is_shown(feedback)
        assert view.region.width == 80

        await pilot.press("R")
        assert is_shown(resources) and not is_shown(view) and focus(app) is resources
        assert resources.region.width == 80 and resources.region.bottom <= 24 - 2
        # Entries wrap within the pane rather than running off its edge.
        shown = "\n".join(screen_lines(app))
        first = resources.links[0]
        assert first.url in shown and f"{first.username} in post #{first.post_number}" in shown
        await pilot.press("F")  # the other pane replaces it
        assert is_shown(feedback) and not is_shown(resources) and focus(app) is feedback
        await pilot.press("F")
        assert is_shown(view) and not is_shown(feedback) and focus(app) is view
        await pilot.press("R", "escape")  # escape closes the pane, not the thread
        assert is_shown(view) and not is_shown(resources)
        assert isinstance(app.screen, ThreadScreen)

        # Growing the terminal brings the panes back beside the thread; shrinking folds them.
        await pilot.resize_terminal(130, 40)
        await pilot.pause()
        assert is_shown(view) and is_shown(resources) and is_shown(feedback)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert is_shown(view) and not is_shown(resources) and not is_shown(feedback)


@pytest.mark.parametrize("size", SIZES)
async def test_resources_list_every_link_and_jump_to_its_post(size: tuple[int, int]) -> None:
    app = CohortApp()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        topic_id = await topic_named(app, "Megathread")
        screen = await open_thread(pilot, topic_id)
        resources = screen.query_one(ResourcesPane)
        expected = await backend(app).topic_links(topic_id)
        assert len(expected) >= 5
        assert [(link.url, link.post_number) for link in resources.links] == [
            (link.url, link.post_number) for link in expected
        ]
        prompts = [resources.get_option_at_index(i).prompt for i in range(len(expected))]
        assert all(isinstance(p, Content) for p in prompts)
        first = prompts[0]
        assert isinstance(first, Content)
        assert first.plain.startswith("[1] ")
        assert f"{expected[0].username} in post #{expected[0].post_number}" in first.plain

        # The fourth link, reached with the thread's own keys, opens at its post.
        if size[0] < FOLD_WIDTH:
            await pilot.press("R")
        else:
            resources.focus()
            await pilot.pause()
        assert focus(app) is resources
        await pilot.press("j", "j", "j")
        assert resources.highlighted_link == expected[3]
        await pilot.press("enter")
        await pilot.pause()
        assert selected(app) == expected[3].post_number
        assert focus(app) is screen.query_one(ThreadView)
        assert screen.query_one(ThreadView).display
        assert f"post #{expected[3].post_number}, where link [4] was shared" in status(app)


async def test_o_and_y_in_the_resources_pane_take_the_highlighted_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = CohortApp()
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_thread(pilot, await topic_named(app, "Megathread"))
        resources = screen.query_one(ResourcesPane)
        await pilot.press("R", "j", "j")
        link = resources.highlighted_link
        assert focus(app) is resources and link is not None and link == resources.links[2]
        assert selected(app) == 1  # the thread's selection did not move
        await pilot.press("y")
        assert copied == [link.url]
        with desktop(monkeypatch, ssh=False) as browser:
            await pilot.press("o")
            await settle(pilot)
            assert browser.opened == [link.url]
        assert focus(app) is resources  # still browsing the list
        await pilot.press("G")
        assert resources.highlighted_link == resources.links[-1]
        await pilot.press("g", "g")
        assert resources.highlighted_link == resources.links[0]


async def test_links_come_from_the_posts_when_the_forum_keeps_no_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = CohortApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        forum = backend(app)
        topic_id = await topic_named(app, "Megathread")
        indexed = await forum.topic_links(topic_id)
        real_site = await forum.site()

        async def site_without_links() -> SiteInfo:
            return dataclasses.replace(real_site, features=real_site.features - {"links"})

        async def no_index(topic_id: int) -> list[Link]:
            raise AssertionError("a forum without a link index was asked for one")

        monkeypatch.setattr(forum, "site", site_without_links)
        monkeypatch.setattr(forum, "topic_links", no_index)
        screen = await open_thread(pilot, topic_id)
        shown = screen.query_one(ResourcesPane).links
        assert shown == document_links(list(screen.posts))
        assert all(link.username for link in shown)
        # Read out of the posts, they say the same as the forum's index.
        assert [(x.url, x.post_number) for x in shown] == [(x.url, x.post_number) for x in indexed]


async def test_feedback_shows_the_selected_posts_reactions_and_replies() -> None:
    app = CohortApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        topic_id = await topic_named(app, TREE_TOPIC)
        _, posts = await whole_thread(app, topic_id)
        answer = next(p for p in posts if p.post_number == 2)
        response = await backend(app).http.put(f"/api/v1/posts/{answer.id}/reactions/eyes")
        assert response.status_code in (200, 204), response.text
        _, posts = await whole_thread(app, topic_id)
        answer = next(p for p in posts if p.post_number == 2)
        eyes = next(r for r in answer.reactions if r.name == "eyes")
        assert eyes.reacted

        screen = await open_thread(pilot, topic_id, post_number=2)
        pane = screen.query_one(FeedbackPane)
        # Counts at once; who reacted once the selection has rested (one request).
        for _ in range(100):
            if pane.reactors_of(answer.id) is not None:
                break
            await pilot.pause(0.05)
        text = pane.text.plain
        assert text.startswith(f"Post #2 by {answer.username}")
        assert "✓ accepted answer" in text
        reactors = {r.name: r for r in await backend(app).reactors(answer.id)}
        for reaction in answer.reactions:
            line = next(x for x in text.splitlines() if f" {reaction.name} — " in x)
            assert reactors[reaction.name].users[0].username in line
            assert ("(you)" in line) == reaction.reacted
        assert eyes.reacted
        replies = [p for p in posts if p.reply_to_post_number == 2]
        assert f"Replies ({len(replies)})" in text
        for reply in replies:
            assert f"#{reply.post_number} {reply.username}" in text
        top = sorted(posts, key=lambda p: (-appreciation(p), p.post_number))[:3]
        most = text.split("Most appreciated", 1)[1]
        assert [line.split()[0] for line in most.strip().splitlines()] == [
            f"#{p.post_number}" for p in top
        ]

        await pilot.press("j")  # follows the selection
        assert selected(app) != 2
        text = screen.query_one(FeedbackPane).text.plain
        assert text.startswith(f"Post #{selected(app)} ")
        assert "accepted answer" not in text.split("Most appreciated")[0]


# -- cache first, and offline ----------------------------------------------------------------------


def unreachable_forum() -> Any:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to host", request=request)

    @contextlib.asynccontextmanager
    async def offline() -> AsyncIterator[ForumBackend]:
        transport = httpx.MockTransport(refuse)
        async with httpx.AsyncClient(transport=transport, base_url="http://gone.test") as http:
            yield NativeBackend(http, base_url="http://gone.test")

    return offline


async def test_a_cached_thread_opens_offline() -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        topic_id = await topic_named(app, TREE_TOPIC)
        await open_thread(pilot, topic_id)
        seen = [p.post_number for p in thread(app).posts]
        links = list(thread(app).query_one(ResourcesPane).links)

    app = CohortApp(unreachable_forum())  # same profile, so the same cache
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_thread(pilot, topic_id, post_number=4)
        assert [p.post_number for p in screen.posts] == seen
        assert selected(app) == 4
        assert status(app).rstrip().endswith("offline: showing what was cached")
        # The links are read out of the cached posts instead.
        assert [(x.url, x.post_number) for x in screen.query_one(ResourcesPane).links] == [
            (x.url, x.post_number) for x in links
        ]
        await pilot.press("j", "u", "r")
        await settle(pilot)
        assert app.is_running


async def test_a_thread_never_seen_cannot_open_offline() -> None:
    app = CohortApp(unreachable_forum())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_thread(pilot, 1)
        assert screen.posts == () and selected(app) is None
        assert "error: " in status(app)
        await pilot.press("j", "k", "n", "u", "space", "t", "o", "y", "R", "F", "g", "s")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, ThreadScreen)


# -- safety ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_a_hostile_topic_renders_inert(size: tuple[int, int]) -> None:
    async with EmbeddedForum() as http:
        category = (await NativeBackend(http, base_url="http://cohort").categories())[0]
        response = await http.post(
            "/api/v1/topics",
            json={"title": HOSTILE_TITLE, "raw": HOSTILE_BODY, "category": category.id},
        )
        assert response.status_code == 201, response.text
        topic_id = response.json()["topic"]["id"]
        reply = await http.post(
            f"/api/v1/topics/{topic_id}/posts",
            json={"raw": HOSTILE_BODY, "reply_to_post_number": 1},
        )
        assert reply.status_code == 201, reply.text

    app = CohortApp()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = await open_thread(pilot, topic_id)
        assert len(screen.posts) == 2
        line = status(app)
        assert CLICK in line and "[/bar]" in line and not FORBIDDEN & set(line)

        shown = "\n".join(screen_lines(app))
        assert not FORBIDDEN & set(shown.replace("\n", ""))
        assert "zyzzyva" in shown and "[/bar]" in shown
        assert not any("quit" in handler for handler in live_click_handlers(app))

        if size[0] < FOLD_WIDTH:
            await pilot.press("R")
        resources = screen.query_one(ResourcesPane)
        assert resources.links
        for index in range(len(resources.links)):
            prompt = resources.get_option_at_index(index).prompt
            assert isinstance(prompt, Content)
            assert CLICK in prompt.plain and not FORBIDDEN & set(prompt.plain.replace("\n", ""))
        shown = "\n".join(screen_lines(app))
        assert CLICK in shown and not FORBIDDEN & set(shown.replace("\n", ""))
        assert not any("quit" in handler for handler in live_click_handlers(app))
        if size[0] < FOLD_WIDTH:
            await pilot.press("F")
        feedback = screen.query_one(FeedbackPane).text.plain
        assert not FORBIDDEN & set(feedback.replace("\n", ""))

        # Clicking all over the thread and its panes triggers nothing.
        for y in range(0, size[1] - 4, 2):
            for x in range(0, size[0], 7):
                await pilot.click(offset=(x, y))
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running
