"""The thread view (widgets/thread_view.py) and the post renderer (widgets/post_render.py).

The view is hosted in a tiny App and driven through `run_test`; what it draws is read
back from its strips, so the tests check what a terminal would receive.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region

import widgets.post_render as post_render
import widgets.thread_view as thread_view
from tui.forum import document, markdown
from tui.forum.document import (
    CodeBlock,
    Details,
    Document,
    Heading,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    Span,
    Table,
)
from tui.forum.models import Post, Reaction, Topic, TopicPage
from widgets.formatting import ASCII_MARKS
from widgets.post_render import ASCII_GLYPHS, PostStyles, render_document
from widgets.thread_view import (
    ASCII_THREAD_GLYPHS,
    MAX_DEPTH,
    ThreadView,
    build_tree,
    reactions_text,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TOPIC_ID = 7
CLICK = "[@click=app.quit]x[/]"
CONTROLS = {chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | set(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def post(number: int, reply_to: int | None = None, raw: str | None = None, **extra: Any) -> Post:
    return Post(
        id=extra.pop("id", 1000 + number),
        topic_id=TOPIC_ID,
        post_number=number,
        username=extra.pop("username", f"user{number}"),
        created_at=NOW - timedelta(days=4, hours=1) + timedelta(minutes=number),
        raw=f"Body of post {number}." if raw is None else raw,
        reply_to_post_number=reply_to,
        **extra,
    )


def page_of(posts: Sequence[Post]) -> TopicPage:
    topic = Topic(
        id=TOPIC_ID,
        title="A thread",
        category_id=1,
        username="user1",
        posts_count=len(posts),
        reply_count=len(posts) - 1,
        bumped_at=NOW,
    )
    return TopicPage(topic, tuple(p.id for p in posts), tuple(posts[:20]))


# 1 ─ 2 ─ 3 ─ 6
#   │   └ 4
#   └ 5
# 7 (replies to a missing post), 8 (deleted), 9 (replies to 8), 10 (replies to a later post)
def small_thread() -> list[Post]:
    return [
        post(1),
        post(2, 1),
        post(3, 2),
        post(4, 2),
        post(5, 1),
        post(6, 3),
        post(7, 99),
        post(8, deleted=True, raw=""),
        post(9, 8),
        post(10, 12),
        post(12, 1),
    ]


def many_posts(count: int, *, replies: bool = True) -> list[Post]:
    """`count` posts: every third replies to the one before it."""
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota"]
    return [
        post(
            n,
            n - 1 if replies and n > 1 and n % 3 == 0 else None,
            raw=" ".join(words[(n + i) % len(words)] for i in range(5 + n % 40)),
        )
        for n in range(1, count + 1)
    ]


class Host(App[None]):
    """A screen holding only the thread view, fed once mounted."""

    def __init__(
        self,
        posts: Sequence[Post],
        *,
        last_read: int | None = None,
        view: ThreadView | None = None,
    ) -> None:
        super().__init__()
        self.posts = list(posts)
        self.last_read = last_read
        self.view = view or ThreadView(id="thread")
        self.selections: list[Post] = []

    def compose(self) -> ComposeResult:
        yield self.view

    def on_mount(self) -> None:
        self.view.show(
            page_of(self.posts), self.posts, last_read_post_number=self.last_read, now=NOW
        )
        self.view.focus()

    def on_thread_view_selected(self, event: ThreadView.Selected) -> None:
        self.selections.append(event.post)


def screen_lines(view: ThreadView) -> list[str]:
    return [view.render_line(y).text for y in range(view.scrollable_content_region.height)]


def header_row(view: ThreadView, number: int) -> int | None:
    """The screen row showing post `number`'s header, if it is on screen."""
    for y, line in enumerate(screen_lines(view)):
        if f"#{number}" in line.split("  ")[-1] or line.rstrip().endswith(f"#{number}"):
            return y
    return None


def numbers(posts: Sequence[Post]) -> list[int]:
    return [p.post_number for p in posts]


# -- the reply tree --------------------------------------------------------------------------


def test_tree_follows_reply_to_and_attaches_orphans_to_the_root() -> None:
    tree = build_tree(small_thread())
    assert tree.preorder == [1, 2, 3, 6, 4, 5, 12, 7, 8, 9, 10]
    assert tree.depth[6] == 3 and tree.depth[12] == 1
    assert tree.parent[7] is None  # its parent is missing
    assert tree.parent[9] is None  # its parent is deleted
    assert tree.parent[10] is None  # "replies" to a later post: never a cycle
    assert tree.size[2] == 4 and tree.size[1] == 7


def test_a_reply_cycle_or_self_reply_cannot_loop() -> None:
    tree = build_tree([post(1, 2), post(2, 1), post(3, 3)])
    assert tree.preorder == [1, 2, 3]
    assert tree.parent == {1: None, 2: 1, 3: None}


def test_outbox_posts_come_last_under_their_parent() -> None:
    pending = post(0, 2, raw="on its way", pending=True, id=-4, username="me")
    tree = build_tree([post(1), post(2, 1), pending, post(3)])
    keys = [tree.posts[k] for k in tree.preorder]
    assert [p.id for p in keys] == [1001, 1002, -4, 1003]


async def test_tree_and_chronological_order() -> None:
    app = Host(small_thread())
    async with app.run_test(size=(80, 30)) as pilot:
        view = app.view
        assert view.order == "tree"
        assert numbers(view.posts) == [1, 2, 3, 6, 4, 5, 12, 7, 8, 9, 10]
        assert view.toggle_order() == "chrono"
        await pilot.pause()
        assert numbers(view.posts) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]
        lines = view.line_texts()
        assert lines[0].startswith("user1 · ")
        assert [line for line in lines if line.startswith("user6")] == ["user6 · 4d  #6 ↳3"]
        assert not any(line.startswith(("├", "└", "│")) for line in lines)
        assert view.toggle_order() == "tree"


async def test_guide_lines_are_drawn() -> None:
    posts = [post(1), post(2, 1), post(3, 2), post(4, 2), post(5, 1), post(6)]
    app = Host(posts, last_read=3)
    async with app.run_test(size=(60, 30)):
        assert app.view.line_texts() == [
            "user1 · 4d  #1",
            "│ Body of post 1.",
            "│",
            "├─user2 · 4d  #2",
            "│ │ Body of post 2.",
            "│ │",
            "│ ├─user3 · 4d  #3",
            "│ │   Body of post 3.",
            "│ │",
            "│ └─user4 · 4d  #4  ●",
            "│     Body of post 4.",
            "│",
            "└─user5 · 4d  #5  ●",
            "    Body of post 5.",
            "",
            "user6 · 4d  #6  ●",
            "  Body of post 6.",
            "",
        ]


async def test_deep_replies_stop_indenting_and_say_what_they_answer() -> None:
    chain = [post(1)] + [post(n, n - 1) for n in range(2, 13)]
    app = Host(chain)
    async with app.run_test(size=(100, 60)):
        lines = app.view.line_texts()
        headers = [line for line in lines if "#" in line]
        indent = "  " * (MAX_DEPTH - 1)
        assert headers[MAX_DEPTH - 1].startswith(indent[:-2] + "└─user6")
        assert headers[MAX_DEPTH].startswith(indent + "├─user7")
        assert "↳" not in headers[MAX_DEPTH]
        for number in range(MAX_DEPTH + 2, 13):  # beyond the cap: same indent, "↳parent"
            header = headers[number - 1]
            tee = "└─" if number == 12 else "├─"
            assert header.startswith(indent + tee + f"user{number}"), header
            assert header.endswith(f"#{number} ↳{number - 1}")


# -- collapsing ------------------------------------------------------------------------------


async def test_collapse_hides_the_branch_and_expand_shows_it() -> None:
    app = Host(small_thread())
    async with app.run_test(size=(80, 40)) as pilot:
        view = app.view
        assert view.select(2)
        assert view.toggle_collapse()
        await pilot.pause()
        lines = view.line_texts()
        assert "│   (+3 replies hidden)" in lines
        assert not any("Body of post 3" in line or "Body of post 6" in line for line in lines)
        assert "Body of post 5." in "\n".join(lines)
        assert view.is_collapsed(2)
        assert view.move(1) and view.selected is not None
        assert view.selected.post_number == 5  # the hidden posts are skipped
        assert view.select(2) and view.toggle_collapse()
        await pilot.pause()
        assert "(+3 replies hidden)" not in "\n".join(view.line_texts())
        assert any("Body of post 6" in line for line in view.line_texts())


async def test_nothing_to_collapse_on_a_leaf_or_in_chronological_order() -> None:
    app = Host(small_thread())
    async with app.run_test(size=(80, 40)):
        view = app.view
        assert view.select(6) and not view.toggle_collapse()
        assert view.select(2)
        view.toggle_order()
        assert not view.toggle_collapse()


# -- navigation -------------------------------------------------------------------------------


async def test_navigation() -> None:
    app = Host(small_thread(), last_read=4)
    async with app.run_test(size=(80, 24)):
        view = app.view

        def at() -> int:
            assert view.selected is not None
            return view.selected.post_number

        assert at() == 1
        assert not view.move(-1)
        assert view.move(1) and at() == 2
        assert view.move(2) and at() == 6
        assert view.parent_post() and at() == 3
        assert view.parent_post() and at() == 2
        assert view.sibling(1) and at() == 5
        assert view.sibling(1) and at() == 12
        assert not view.sibling(1)
        assert view.sibling(-1) and at() == 5
        assert view.first() and at() == 1
        assert not view.parent_post()
        assert view.sibling(1) and at() == 7  # top-level posts are siblings
        assert view.last() and at() == 10
        assert not view.move(1)
        assert view.first()
        assert view.unread(1) and at() == 6  # newer than #4, in tree order
        assert view.unread(1) and at() == 5
        assert view.unread(1) and at() == 12
        assert view.unread(1) and at() == 7
        assert view.unread(1) and at() == 9  # a deleted post is not news
        assert view.unread(-1) and at() == 7
        assert view.last() and not view.unread(1)
        assert view.select(3) and at() == 3
        assert not view.select(11)


async def test_unread_and_select_open_collapsed_branches() -> None:
    app = Host(small_thread(), last_read=2)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.view
        assert view.select(2) and view.toggle_collapse()
        await pilot.pause()
        assert view.unread(1)
        assert view.selected is not None and view.selected.post_number == 3
        assert not view.is_collapsed(2)
        assert view.select(2) and view.toggle_collapse()
        assert view.select(6) and not view.is_collapsed(2)


async def test_no_read_state_means_nothing_is_new() -> None:
    app = Host(small_thread(), last_read=None)
    async with app.run_test(size=(80, 24)):
        assert not app.view.unread(1)
        assert not any("●" in line for line in app.view.line_texts())


async def test_selection_changes_are_announced() -> None:
    app = Host(small_thread())
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.view
        await pilot.pause()
        assert numbers(app.selections) == [1]
        view.move(1)
        view.move(1)
        view.move(-5)
        view.move(-1)  # already first: no message
        await pilot.pause()
        assert numbers(app.selections) == [1, 2, 3, 1]


async def test_page_keys_move_by_a_screen() -> None:
    app = Host(many_posts(300))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("pagedown")
        selected = app.view.selected
        assert selected is not None and selected.post_number > 3
        await pilot.press("pageup")
        assert app.view.selected is not None and app.view.selected.post_number < 3


# -- keeping the reader's place ---------------------------------------------------------------


async def test_showing_more_posts_keeps_the_selected_post_where_it_is_on_screen() -> None:
    posts = many_posts(400)
    app = Host(posts)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.view
        assert view.select(200)
        await pilot.pause()
        row = header_row(view, 200)
        assert row is not None
        # Replies land above it (in earlier branches) and after it; one post is edited.
        more = list(posts)
        more[50] = post(51, raw="edited, and now much longer: " + "word " * 120)
        more += [post(n, n - 400, raw="a late reply " * (n % 7 + 1)) for n in range(401, 460)]
        view.show(page_of(more), more, last_read_post_number=None, now=NOW)
        await pilot.pause()
        assert view.selected is not None and view.selected.post_number == 200
        assert header_row(view, 200) == row


async def test_a_vanished_selected_post_leaves_the_reader_nearby() -> None:
    posts = many_posts(100)
    app = Host(posts)
    async with app.run_test(size=(80, 24)):
        view = app.view
        assert view.select(50)
        fewer = [p for p in posts if p.post_number != 50]
        view.show(page_of(fewer), fewer, last_read_post_number=None, now=NOW)
        assert view.selected is not None and view.selected.post_number == 49


async def test_scrolling_up_into_unmeasured_posts_never_jumps() -> None:
    app = Host(many_posts(2000))
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.view
        assert view.select(1500)
        await pilot.pause()
        for _ in range(60):
            before = screen_lines(view)
            view.scroll_to(y=view.scroll_offset.y - 1, animate=False)
            await pilot.pause()
            assert screen_lines(view)[1:] == before[:-1]


# -- what a move repaints ---------------------------------------------------------------------


async def test_a_move_repaints_only_the_two_posts_headers_and_bar_column() -> None:
    app = Host(small_thread())
    async with app.run_test(size=(80, 40)) as pilot:
        view = app.view
        await pilot.pause()
        regions: list[Region] = []
        original = view.refresh

        def spy(*args: Any, **kwargs: Any) -> Any:
            assert args, "a move must not repaint the whole view"
            regions.extend(args)
            return original(*args, **kwargs)

        view.refresh = spy  # type: ignore[method-assign]
        assert view.move(1)
        await pilot.pause()
        view.refresh = original  # type: ignore[method-assign]
        width = view.scrollable_content_region.width
        lines = {y for region in regions for y in range(region.y, region.bottom)}
        assert lines == {0, 1, 3, 4}  # #1: header + body line; #2: header + body line
        full = sorted(r.y for r in regions if r.width == width)
        assert full == [0, 3]  # only header lines are rewritten across the width
        assert all(r.width == 1 for r in regions if r.width != width)


async def test_the_selected_post_is_highlighted_with_the_theme() -> None:
    app = Host(small_thread())
    async with app.run_test(size=(80, 40)) as pilot:
        view = app.view
        view.move(1)
        await pilot.pause()
        highlight = view.get_component_rich_style("thread-view--selected").bgcolor
        assert highlight is not None
        header = view.render_line(3)
        assert header.text.startswith("▌├─user2")
        assert all(seg.style is not None and seg.style.bgcolor == highlight for seg in header)
        body = view.render_line(4)
        assert body.text.startswith("▌│ │ Body of post 2.")
        assert view.render_line(0).text.startswith(" user1")  # no longer selected
        assert not any(
            seg.style is not None and seg.style.bgcolor == highlight for seg in view.render_line(0)
        )


# -- safety -----------------------------------------------------------------------------------


async def test_a_hostile_post_is_inert_text_and_clicking_it_only_selects_it() -> None:
    hostile = post(
        2,
        1,
        raw=f"{CLICK} [/bar] \x1b]0;pwned\x07 \x1b[2J \x9b2J \u202eevil\u202c [b]x",
        username="mal\x1b[31mlory [/bar]",
    )
    app = Host([post(1), hostile])
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.view
        await pilot.pause()
        lines = screen_lines(view)
        body_row = next(y for y, line in enumerate(lines) if CLICK in line)
        assert "[/bar]" in lines[body_row] and "[b]x" in lines[body_row]
        assert any("mal[31mlory [/bar]" in line for line in lines)
        for y in range(len(lines)):
            for segment in view.render_line(y):
                assert not set(segment.text) & CONTROLS, repr(segment.text)
                assert segment.style is None or not segment.style.meta
        x = lines[body_row].index(CLICK) + 1
        await pilot.click(ThreadView, offset=(x, body_row))
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert view.selected is not None and view.selected.post_number == 2


# -- a long thread -----------------------------------------------------------------------------


async def test_a_10000_post_thread_renders_only_what_is_visible(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = {"render": 0, "parse": 0}
    render, parse = post_render.render_document, document.render_post

    def counted_render(*args: Any, **kwargs: Any) -> list[Text]:
        calls["render"] += 1
        return render(*args, **kwargs)

    def counted_parse(*args: Any, **kwargs: Any) -> Document:
        calls["parse"] += 1
        return parse(*args, **kwargs)

    monkeypatch.setattr(post_render, "render_document", counted_render)
    monkeypatch.setattr("widgets.thread_view.render_post", counted_parse)
    posts = many_posts(10_000)
    app = Host(posts)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.view
        height = view.scrollable_content_region.height
        visible = len({line for line in screen_lines(view) if "#" in line})
        assert 0 < visible <= height // 2
        assert calls["render"] == view.render_count <= visible + 1
        assert calls["parse"] <= visible + 1
        assert view.virtual_size.height > 10_000 * 3  # every post is laid out (estimated)
        assert view.last()
        await pilot.pause()
        assert view.selected is not None and view.selected.post_number == 10_000
        assert calls["render"] <= 2 * (visible + 1) + height
        assert header_row(view, 10_000) is not None


# -- widths ------------------------------------------------------------------------------------

RICH_DOC = """# A heading long enough to wrap around at narrow widths, really

Text with **bold**, *italic*, `code`, ~~strike~~, a [link](https://example.com/a) and @alice.
Averyveryveryveryveryverylongwordwithoutanyspacesthatmustfold and 漢字漢字漢字漢字 🎉🎉🎉.

```python
def f(x):
\treturn {"key": x}  # a comment long enough to need folding at most widths here
```

- one
- two with a longer item that wraps
  1. nested
  2. numbered

> quoted text that is long enough to wrap at narrow widths, surely
> > nested quote

| Name | Value | Notes |
|---|--:|:-:|
| alpha | 1 | a very long note that will need truncation in narrow widths |

---

[details="Summary line"]
hidden body text
[/details]
"""


@pytest.mark.parametrize("width", [1, 2, 5, 12, 30, 80])
def test_rendered_lines_never_exceed_the_width(width: int) -> None:
    lines = render_document(markdown.parse(RICH_DOC), width)
    assert lines
    for line in lines:
        assert line.cell_len <= width, (width, line.plain)
        assert "\n" not in line.plain and "\t" not in line.plain


@pytest.mark.parametrize("size", [(30, 40), (80, 24), (120, 40)])
async def test_thread_lines_never_exceed_the_width(size: tuple[int, int]) -> None:
    chain = [post(1, raw=RICH_DOC)] + [post(n, n - 1, raw=RICH_DOC) for n in range(2, 12)]
    app = Host([*chain, post(12, raw="x" * 300)])
    async with app.run_test(size=size):
        view = app.view
        width = view.scrollable_content_region.width
        for line in view.line_texts():
            assert Text(line).cell_len <= width - 1, line
        for y in range(view.scrollable_content_region.height):
            assert view.render_line(y).cell_length == width


# -- headers and marks -------------------------------------------------------------------------


def test_reactions_are_shown_compactly() -> None:
    liked = post(1, reactions=(Reaction("like", 3), Reaction("tada", 1), Reaction("eyes", 0)))
    assert reactions_text(liked) == "♥ 3 🎉 1"
    assert reactions_text(liked, ASCII_THREAD_GLYPHS) == "<3 3 tada 1"
    assert reactions_text(post(2, like_count=4)) == "♥ 4"
    assert reactions_text(post(3, reactions=(Reaction("unicorn", 2),))) == "unicorn 2"
    assert reactions_text(post(4)) == ""


async def test_header_marks() -> None:
    posts = [
        post(1, accepted=True, reactions=(Reaction("like", 2),)),
        post(2, 1),
        post(3, deleted=True, raw=""),
        post(0, 1, raw="queued", pending=True, id=-9, username="me"),
    ]
    app = Host(posts, last_read=1)
    async with app.run_test(size=(80, 24)):
        headers = [line for line in app.view.line_texts() if "·" in line]
        assert headers == [
            "user1 · 4d  #1  ✓  ♥ 2",
            "├─user2 · 4d  #2  ●",
            "└─me ·  ⧗ sending",
            "user3 · 4d  #3  deleted",  # not news
        ]


async def test_ascii_terminals_get_ascii_guides_and_marks() -> None:
    posts = [post(1, accepted=True), post(2, 1, reactions=(Reaction("like", 1),)), post(3, 1)]
    app = Host(posts, last_read=2, view=ThreadView(marks=ASCII_MARKS))
    async with app.run_test(size=(60, 24)):
        lines = app.view.line_texts()
        assert all(line.isascii() for line in lines), lines
        assert lines[0] == "user1 - 4d  #1  +"
        assert lines[3] == "|-user2 - 4d  #2  <3 1"
        assert lines[6] == "`-user3 - 4d  #3  *"
        assert app.view.render_line(0).text.startswith("|user1")


async def test_links_are_numbered_as_shown() -> None:
    raw = "See [the docs](https://example.com/docs) and [code](https://example.com/src)."
    app = Host([post(1, raw=raw)])
    async with app.run_test(size=(80, 24)):
        view = app.view
        links = view.links_of(view.posts[0])
        assert [(link.number, link.url) for link in links] == [
            (1, "https://example.com/docs"),
            (2, "https://example.com/src"),
        ]
        assert "│ See the docs[1] and code[2]." in view.line_texts() or (
            "  See the docs[1] and code[2]." in view.line_texts()
        )


# -- post_render -------------------------------------------------------------------------------

CONSOLE = Console(width=200, color_system="truecolor")


def styles_of(line: Text, part: str) -> Iterator[Style]:
    start = line.plain.index(part)
    for offset in range(start, start + len(part)):
        yield line.get_style_at_offset(CONSOLE, offset)


def paragraph(*spans: Span) -> Document:
    return Document((Paragraph(spans),))


def test_inline_styles_links_and_mentions() -> None:
    styles = PostStyles(link=Style(underline=True), mention=Style(color="red"))
    doc = paragraph(
        Span("plain "),
        Span("strong", bold=True),
        Span(" "),
        Span("slanted", italic=True),
        Span(" "),
        Span("gone", strike=True),
        Span(" "),
        Span("docs", link=1),
        Span(" "),
        Span("@alice", mention=True),
    )
    (line,) = render_document(doc, 80, styles=styles)
    assert line.plain == "plain strong slanted gone docs[1] @alice"
    assert all(s.bold for s in styles_of(line, "strong"))
    assert all(s.italic for s in styles_of(line, "slanted"))
    assert all(s.strike for s in styles_of(line, "gone"))
    assert all(s.underline for s in styles_of(line, "docs"))
    assert all(s.dim for s in styles_of(line, "[1]"))
    assert all(s.color is not None and s.color.name == "red" for s in styles_of(line, "@alice"))
    assert not any(s.bold for s in styles_of(line, "plain"))


def test_markup_in_text_stays_text() -> None:
    (line,) = render_document(paragraph(Span(f"{CLICK} [/bar] [b]x")), 80)
    assert line.plain == f"{CLICK} [/bar] [b]x"
    assert not line.spans


def test_code_is_highlighted_when_its_language_is_known() -> None:
    code = 'def f(x):\n    return "text"'
    known = render_document(Document((CodeBlock(code, "python"),)), 40)
    assert [line.plain.rstrip() for line in known] == ["  def f(x):", '      return "text"']
    colours = {s.color for line in known for s in styles_of(line, line.plain.strip()[:3])}
    assert any(c is not None for c in colours)
    plain = render_document(Document((CodeBlock(code, "no-such-language"),)), 40)
    assert [line.plain.rstrip() for line in plain] == ["  def f(x):", '      return "text"']
    assert not any(s.color for line in plain for s in styles_of(line, line.plain.strip()))


def test_quotes_say_who_wrote_them_and_where() -> None:
    inner = (Paragraph((Span("quoted words"),)),)
    plain = render_document(Document((Quote(inner),)), 40)
    assert [line.plain for line in plain] == ["│ quoted words"]
    by = render_document(Document((Quote(inner, "alice"),)), 40)
    assert [line.plain for line in by] == ["alice wrote:", "│ quoted words"]
    here = render_document(Document((Quote(inner, "alice", 12, TOPIC_ID),)), 40, topic_id=TOPIC_ID)
    assert here[0].plain == "alice wrote in #12:"
    there = render_document(Document((Quote(inner, "bob", 3, 99),)), 40, topic_id=TOPIC_ID)
    assert there[0].plain == "bob wrote in topic 99 #3:"


def test_lists_nest_and_number() -> None:
    def item(text: str) -> tuple[Paragraph]:
        return (Paragraph((Span(text),)),)

    nested = ListBlock(True, 3, (item("three"), item("four")))
    doc = Document((ListBlock(False, 1, (item("one"), (Paragraph((Span("two"),)), nested))),))
    assert [line.plain for line in render_document(doc, 40)] == [
        "• one",
        "• two",
        "  3. three",
        "  4. four",
    ]
    ascii_lines = render_document(doc, 40, styles=PostStyles(glyphs=ASCII_GLYPHS))
    assert ascii_lines[0].plain == "- one"


def test_tables_align_and_fit_the_width() -> None:
    def cell(text: str) -> tuple[Span]:
        return (Span(text),)

    table = Table(
        header=(cell("Name"), cell("Count")),
        rows=((cell("alpha"), cell("1")), (cell("a much longer name"), cell("22"))),
        align=(None, "right"),
    )
    wide = [line.plain for line in render_document(Document((table,)), 80)]
    assert wide == [
        "Name                Count",
        "──────────────────  ─────",
        "alpha                   1",
        "a much longer name     22",
    ]
    narrow = [line.plain for line in render_document(Document((table,)), 16)]
    assert all(len(line) <= 16 for line in narrow)
    assert narrow[3].startswith("a much lon…") or "…" in narrow[3]
    assert narrow[2].endswith("1")


def test_headings_rules_and_details() -> None:
    doc = Document(
        (
            Heading(1, (Span("Title"),)),
            Rule(),
            Details("More", (Paragraph((Span("inside"),)),)),
        )
    )
    lines = render_document(doc, 10)
    assert [line.plain for line in lines] == ["Title", "", "─" * 10, "", "▸ More", "  inside"]
    assert all(s.bold for s in styles_of(lines[0], "Title"))


def test_code_can_show_plain_until_its_highlighter_is_loaded() -> None:
    code = "let rec fact n = if n = 0 then 1 else n * fact (n - 1)"
    post_render.take_wanted_languages()
    assert "ocaml" not in post_render._loaded, "another test loaded it: pick another language"
    (plain,) = post_render.highlight(code, "OCaml", wait=False)
    assert not plain.spans
    assert post_render.take_wanted_languages() == {"ocaml"}
    assert post_render.take_wanted_languages() == set()  # handed out once
    post_render.load_language("ocaml")
    (coloured,) = post_render.highlight(code, "ocaml", wait=False)
    assert coloured.plain == plain.plain
    assert coloured.spans


async def test_the_view_colours_code_once_its_highlighter_is_loaded() -> None:
    code = '```erlang\n-module(hello).\nstart() -> io:format("hi").\n```'
    assert "erlang" not in post_render._loaded, "another test loaded it: pick another language"
    app = Host([post(1, raw=code)])
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.view
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        row = next(y for y, line in enumerate(screen_lines(view)) if "-module(hello)." in line)
        colours = {seg.style.color for seg in view.render_line(row) if seg.style is not None}
        assert len(colours) > 2, colours  # more than the guide's and the text's colours
        assert "erlang" in post_render._loaded


async def test_a_resize_keeps_the_selected_post_on_screen() -> None:
    app = Host(many_posts(500))
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.view
        assert view.select(250)
        await pilot.pause()
        row = header_row(view, 250)
        assert row is not None
        await pilot.resize_terminal(50, 30)
        await pilot.pause()
        assert view.selected is not None and view.selected.post_number == 250
        assert header_row(view, 250) == row  # rewrapped narrower, still where it was
        width = view.scrollable_content_region.width
        assert all(Text(line).cell_len < width for line in view.line_texts()[:200])


async def test_the_block_highlight_colours_every_line_of_the_selected_post() -> None:
    app = Host(small_thread(), view=ThreadView(id="thread", highlight="block"))
    async with app.run_test(size=(80, 40)) as pilot:
        view = app.view
        assert view.move(1)
        await pilot.pause()
        highlight = view.get_component_rich_style("thread-view--selected").bgcolor
        for y in (3, 4):  # post 2's header and body line
            strip = view.render_line(y)
            assert all(seg.style is not None and seg.style.bgcolor == highlight for seg in strip)
        separator = view.render_line(5)
        assert not any(s.style is not None and s.style.bgcolor == highlight for s in separator)


async def test_moving_keeps_the_selected_post_in_view_and_scrolls_rarely() -> None:
    app = Host(many_posts(200))
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.view
        height = view.scrollable_content_region.height
        scrolls = 0
        for _ in range(40):
            before = view.scroll_offset.y
            assert view.move(1)
            await pilot.pause()
            assert view.selected is not None
            row = header_row(view, view.selected.post_number)
            assert row is not None and row >= 0
            if view.scroll_offset.y != before:
                scrolls += 1
                assert row == thread_view.SCROLL_CONTEXT  # a little of the post before stays
        assert 0 < scrolls <= 40 * 6 // height + 4
        for _ in range(10):
            before = view.scroll_offset.y
            assert view.move(-1)
            await pilot.pause()
            assert view.selected is not None
            row = header_row(view, view.selected.post_number)
            assert row is not None and 0 <= row < height
