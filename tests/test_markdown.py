"""Markdown posts become the renderable Document: every construct, numbered links, safety,
and the plain-text rendering the CLI and screen readers use."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tui.forum import markdown
from tui.forum.document import (
    CodeBlock,
    Details,
    DocLink,
    Document,
    Heading,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    Span,
    Table,
    is_openable,
    plain_text,
    render_post,
    spans_text,
    to_plain,
)
from tui.forum.models import Post
from tui.forum.sanitize import clean

# --- helpers shared with test_cooked ------------------------------------------------------


def strings(value: object) -> Iterator[str]:
    """Every string anywhere inside a document."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from strings(getattr(value, f.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from strings(item)


def spans_of(value: object) -> Iterator[Span]:
    if isinstance(value, Span):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from spans_of(getattr(value, f.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from spans_of(item)


def check_link_numbers(doc: Document) -> None:
    """Spans use numbers 1..n, first used in that order; each DocLink has its number."""
    used: list[int] = []
    for span in spans_of(doc.blocks):
        if span.link is not None and span.link not in used:
            used.append(span.link)
    assert used == list(range(1, len(used) + 1))
    assert [link.number for link in doc.links] == list(range(1, len(doc.links) + 1))
    assert set(used) <= {link.number for link in doc.links}
    assert len({link.url for link in doc.links}) == len(doc.links)


def only(doc: Document) -> Paragraph:
    assert len(doc.blocks) == 1, doc.blocks
    block = doc.blocks[0]
    assert isinstance(block, Paragraph)
    return block


# Escape sequences a hostile post might carry: OSC 0 (title), OSC 52 (clipboard), CSI 2J
# (clear), alternate screen, an 8-bit CSI (C1), and bidi overrides/isolates.
HOSTILE = [
    "\x1b]0;pwned\x07",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1b[2J",
    "\x1b[?1049h",
    "\x9b2J",
    "\x90dcs\x9c",
    "\u202e",
    "\u2066",
    "\x00",
    "\x7f",
]
EVIL = "".join(HOSTILE)


def assert_clean(doc: Document) -> None:
    for text in strings(doc):
        assert clean(text) == text, repr(text)
        assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text


# --- inline constructs ----------------------------------------------------------------------


def test_emphasis_code_strike_and_merged_spans() -> None:
    doc = markdown.parse("a **b _c_** ~~d~~ `e  f` g")
    assert only(doc).spans == (
        Span("a "),
        Span("b ", bold=True),
        Span("c", bold=True, italic=True),
        Span(" "),
        Span("d", strike=True),
        Span(" "),
        Span("e  f", code=True),
        Span(" g"),
    )


def test_whitespace_collapses_and_newlines_are_line_breaks() -> None:
    doc = markdown.parse("one   two\nthree  \nfour")
    assert spans_text(only(doc).spans) == "one two\nthree\nfour"


def test_mentions_are_marked_but_not_in_code_links_or_emails() -> None:
    doc = markdown.parse("hi @alice, (@bob.smith) mail bob@example.com `@code` [@x](https://x.org)")
    mentions = [s.text for s in spans_of(doc) if s.mention]
    assert mentions == ["@alice", "@bob.smith"]
    assert "bob@example.com" in plain_text(doc)


def test_links_numbered_in_order_of_first_appearance_and_deduplicated() -> None:
    doc = markdown.parse(
        "[b](https://b.example) then [a](https://a.example), again [b2](https://b.example)\n"
        "and bare https://c.example/x?y=1. and <https://d.example>"
    )
    assert doc.links == (
        DocLink(1, "https://b.example", "b", "link"),
        DocLink(2, "https://a.example", "a", "link"),
        DocLink(3, "https://c.example/x?y=1", "https://c.example/x?y=1", "link"),
        DocLink(4, "https://d.example", "https://d.example", "link"),
    )
    linked = [(s.text, s.link) for s in spans_of(doc) if s.link]
    assert linked == [
        ("b", 1),
        ("a", 2),
        ("b2", 1),
        ("https://c.example/x?y=1", 3),
        ("https://d.example", 4),
    ]
    check_link_numbers(doc)


def test_bare_urls_not_linkified_in_code_and_only_for_http() -> None:
    doc = markdown.parse(
        "`https://in.code` example.com ftp://files.example mailto:a@b.c\n\n"
        "```\nhttps://in.block\n```"
    )
    assert doc.links == ()
    assert "https://in.code" in plain_text(doc)


def test_images_are_links_with_alt_text_and_discourse_sizes_dropped() -> None:
    doc = markdown.parse(
        "![chart|690x388, 50%](https://cdn.example/c.png) ![](https://cdn.example/e.png)"
    )
    assert doc.links == (
        DocLink(1, "https://cdn.example/c.png", "chart", "image"),
        DocLink(2, "https://cdn.example/e.png", "image", "image"),
    )
    assert only(doc).spans == (Span("chart", link=1), Span(" "), Span("image", link=2))


def test_image_inside_a_link_is_that_links_text() -> None:
    doc = markdown.parse("[![build](https://ci.example/badge.svg)](https://ci.example/run)")
    assert doc.links == (DocLink(1, "https://ci.example/run", "build", "link"),)


def test_attachment_links() -> None:
    doc = markdown.parse("[report.pdf|attachment](upload://abc.pdf) (12 KB)")
    assert doc.links == (DocLink(1, "upload://abc.pdf", "report.pdf", "attachment"),)
    assert spans_text(only(doc).spans) == "report.pdf (12 KB)"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "data:text/html;base64,PHNjcmlwdD4="]
)
def test_dangerous_schemes_stay_text_and_are_not_openable(url: str) -> None:
    doc = markdown.parse(f"[click me]({url})")
    assert spans_text(only(doc).spans) == "click me"
    assert doc.links[0].url == url
    assert not is_openable(doc.links[0].url)


def test_empty_link_text_shows_the_url() -> None:
    doc = markdown.parse("[](https://x.example/p)")
    assert only(doc).spans == (Span("https://x.example/p", link=1),)


def test_relative_links_resolved_against_the_forum() -> None:
    doc = markdown.parse("[t](/t/slug/12) [p](//cdn.example/a.png)", base_url="https://f.example")
    assert [link.url for link in doc.links] == [
        "https://f.example/t/slug/12",
        "https://cdn.example/a.png",
    ]
    assert markdown.parse("[t](/t/slug/12)").links[0].url == "/t/slug/12"


def test_raw_html_shows_as_text() -> None:
    doc = markdown.parse('<b onclick="x()">hi</b>\n\n<script>alert(1)</script>')
    assert plain_text(doc) == '<b onclick="x()">hi</b>\n<script>alert(1)</script>'
    assert not any(s.bold for s in spans_of(doc))


@pytest.mark.parametrize("text", ["[@click=app.quit]x[/]", "[/bar]", "[bold red]no[/]", "[b]x[/b]"])
def test_markup_looking_text_is_kept_verbatim(text: str) -> None:
    doc = markdown.parse(text)
    assert plain_text(doc) == text


# --- blocks ---------------------------------------------------------------------------------


def test_headings_rule_and_code_blocks() -> None:
    doc = markdown.parse(
        "# One\n\nSetext\n------\n\n### Three *it*\n\n***\n\n"
        "```python {linenos}\nprint(1)\n```\n\n    indented\n\n```\nplain\n```"
    )
    assert doc.blocks == (
        Heading(1, (Span("One"),)),
        Heading(2, (Span("Setext"),)),
        Heading(3, (Span("Three "), Span("it", italic=True))),
        Rule(),
        CodeBlock("print(1)", "python"),
        CodeBlock("indented", None),
        CodeBlock("plain", None),
    )


def test_lists_nested_and_numbered() -> None:
    doc = markdown.parse("3. three\n4. four\n   - sub a\n   - sub b\n\n- x\n\n  second para")
    assert doc.blocks == (
        ListBlock(
            True,
            3,
            (
                (Paragraph((Span("three"),)),),
                (
                    Paragraph((Span("four"),)),
                    ListBlock(
                        False,
                        1,
                        ((Paragraph((Span("sub a"),)),), (Paragraph((Span("sub b"),)),)),
                    ),
                ),
            ),
        ),
        ListBlock(False, 1, ((Paragraph((Span("x"),)), Paragraph((Span("second para"),))),)),
    )


def test_plain_block_quote() -> None:
    doc = markdown.parse("> quoted **text**\n> > nested")
    assert doc.blocks == (
        Quote(
            (
                Paragraph((Span("quoted "), Span("text", bold=True))),
                Quote((Paragraph((Span("nested"),)),)),
            )
        ),
    )


def test_table_with_alignment() -> None:
    doc = markdown.parse("| Name | n | c |\n|:--|--:|:-:|\n| **a** | 1 | x |\n| b |")
    assert doc.blocks == (
        Table(
            header=((Span("Name"),), (Span("n"),), (Span("c"),)),
            rows=(
                ((Span("a", bold=True),), (Span("1"),), (Span("x"),)),
                ((Span("b"),), (), ()),
            ),
            align=("left", "right", "center"),
        ),
    )


def test_discourse_quote_with_attribution() -> None:
    doc = markdown.parse('[quote="alice, post:3, topic:12"]\nhello **there**\n[/quote]\n\nreply')
    assert doc.blocks == (
        Quote((Paragraph((Span("hello "), Span("there", bold=True))),), "alice", 3, 12),
        Paragraph((Span("reply"),)),
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[quote]\nanon\n[/quote]", Quote((Paragraph((Span("anon"),)),))),
        ("[quote=bob]\nx\n[/quote]", Quote((Paragraph((Span("x"),)),), "bob")),
        (
            '[QUOTE="bob, post:1"]one line[/QUOTE]',
            Quote((Paragraph((Span("one line"),)),), "bob", 1),
        ),
        (
            '[quote="Bob Smith, post:2, topic:9, username:bob, full:true"]\nx\n[/quote]',
            Quote((Paragraph((Span("x"),)),), "bob", 2, 9),
        ),
    ],
)
def test_discourse_quote_forms(source: str, expected: Quote) -> None:
    assert markdown.parse(source).blocks == (expected,)


def test_nested_discourse_quotes_and_details() -> None:
    source = (
        '[quote="bob, post:1, topic:5"]\n'
        '[quote="alice, post:2, topic:5"]\ninner\n[/quote]\n\n'
        "outer\n"
        '[details="More"]\nhidden [x](https://x.example)\n[/details]\n'
        "[/quote]\nafter"
    )
    doc = markdown.parse(source)
    assert doc.blocks == (
        Quote(
            (
                Quote((Paragraph((Span("inner"),)),), "alice", 2, 5),
                Paragraph((Span("outer"),)),
                Details("More", (Paragraph((Span("hidden "), Span("x", link=1))),)),
            ),
            "bob",
            1,
            5,
        ),
        Paragraph((Span("after"),)),
    )
    assert doc.links == (DocLink(1, "https://x.example", "x", "link"),)


def test_details_without_summary_and_unclosed_tags_stay_text() -> None:
    assert markdown.parse("[details]\nbody\n[/details]").blocks == (
        Details("", (Paragraph((Span("body"),)),)),
    )
    assert plain_text(markdown.parse("[quote]\nnever closed")) == "[quote]\nnever closed"


def test_bbcode_inside_code_is_code() -> None:
    doc = markdown.parse("```\n[quote]\nx\n[/quote]\n```")
    assert doc.blocks == (CodeBlock("[quote]\nx\n[/quote]", None),)


def test_discourse_quote_inside_a_list_item() -> None:
    doc = markdown.parse('- item\n\n  [quote="al, post:1, topic:2"]\n  q\n  [/quote]')
    assert doc.blocks == (
        ListBlock(
            False, 1, ((Paragraph((Span("item"),)), Quote((Paragraph((Span("q"),)),), "al", 1, 2)),)
        ),
    )


def test_deeply_nested_input_does_not_crash() -> None:
    deep = "[quote]\n" * 300 + "core" + "\n[/quote]" * 300
    assert "core" in plain_text(markdown.parse(deep))
    # markdown-it stops nesting at its limit; what matters is an answer, not a RecursionError
    assert isinstance(markdown.parse("> " * 500 + "core"), Document)
    assert isinstance(markdown.parse("- " * 400 + "x"), Document)


# --- safety ---------------------------------------------------------------------------------


def test_escape_sequences_and_bidi_removed_everywhere() -> None:
    source = (
        f"# head{EVIL}\n\ntext{EVIL} [link{EVIL}](https://x.example/{EVIL}) `co{EVIL}de`\n\n"
        f"![alt{EVIL}](https://img.example/a.png)\n\n"
        f'[quote="al{EVIL}ice, post:1, topic:2"]\nq{EVIL}\n[/quote]\n\n'
        f'[details="sum{EVIL}"]\nd\n[/details]\n\n'
        f"```py{EVIL}\ncode{EVIL}\n```\n\n| h{EVIL} |\n|--|\n| c{EVIL} |\n"
    )
    doc = markdown.parse(source)
    assert_clean(doc)
    text = plain_text(doc)
    for word in ("head", "text", "link", "code", "alt", "q", "sum", "pwned", "h", "c"):
        assert word in text
    quote = next(b for b in doc.blocks if isinstance(b, Quote))
    assert quote.author is not None
    assert quote.author.startswith("al") and quote.author.endswith("ice")
    assert to_plain(doc) == clean(to_plain(doc))


def test_is_openable() -> None:
    assert is_openable("https://example.com/x")
    assert is_openable("HTTP://example.com")
    for url in (
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,x",
        "ftp://example.com",
        "/t/slug/1",
        "upload://abc.png",
        "https://",
        "https://exa mple.com",
        "https://example.com/\x1b[2J",
        "#anchor",
        "",
    ):
        assert not is_openable(url), url


# --- rendering ------------------------------------------------------------------------------


def test_to_plain_sample_post() -> None:
    source = (
        "# Welcome\n\n"
        "See [the docs](https://docs.example) and `ls -l`,\nthen ask @alice.\n\n"
        '[quote="alice, post:2, topic:7"]\nIt works **for me**.\n[/quote]\n\n'
        "1. first\n2. second\n   - nested\n\n"
        "```sh\nmake test\n  indented\n```\n\n"
        "| Name | Posts |\n|:--|--:|\n| alice | 12 |\n| bob | 3 |\n\n"
        "![diagram](https://cdn.example/d.png) and [docs again](https://docs.example)\n\n"
        "---\n\n"
        '[details="Spoiler"]\nhidden\n[/details]'
    )
    assert to_plain(markdown.parse(source)).split("\n") == [
        "Welcome",
        "=======",
        "",
        "See the docs [1] and ls -l,",
        "then ask @alice.",
        "",
        "alice wrote:",
        "> It works for me.",
        "",
        "1. first",
        "2. second",
        "   - nested",
        "",
        "    make test",
        "      indented",
        "",
        "Name   Posts",
        "-----  -----",
        "alice     12",
        "bob        3",
        "",
        "diagram [2] and docs again [1]",
        "",
        "-" * 40,
        "",
        "Spoiler",
        "  hidden",
        "",
        "[1] https://docs.example",
        "[2] https://cdn.example/d.png (image)",
    ]


def test_to_plain_wraps_to_width_and_keeps_urls_whole() -> None:
    doc = markdown.parse(
        "> words words words words words https://example.com/a/very/long/path/that/stays/whole"
    )
    lines = to_plain(doc, width=30).split("\n")
    assert lines[0] == "> words words words words"
    assert lines[1] == "> words"
    assert lines[2] == "> https://example.com/a/very/long/path/that/stays/whole [1]"
    assert lines[-1] == "[1] https://example.com/a/very/long/path/that/stays/whole"


def test_plain_text_covers_every_block() -> None:
    source = (
        "# H\n\np\n\n> q\n\n- li\n\n```\ncode\n```\n\n| t |\n|--|\n| cell |\n\n"
        '[details="S"]\nd\n[/details]'
    )
    assert plain_text(markdown.parse(source)).split("\n") == [
        "H",
        "p",
        "q",
        "li",
        "code",
        "t",
        "cell",
        "S",
        "d",
    ]


def _post(raw: str | None, cooked: str | None) -> Post:
    return Post(
        id=1,
        topic_id=1,
        post_number=1,
        username="u",
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        raw=raw,
        cooked=cooked,
    )


def test_render_post_prefers_raw_then_cooked() -> None:
    assert plain_text(render_post(_post("**raw**", "<p>cooked</p>"))) == "raw"
    assert plain_text(render_post(_post(None, "<p>cooked</p>"))) == "cooked"
    assert plain_text(render_post(_post("", "<p>cooked</p>"))) == "cooked"
    assert render_post(_post(None, None)) == Document()
    assert render_post(_post("", None)) == Document()
    doc = render_post(_post(None, '<p><a href="/t/x/1">t</a></p>'), base_url="https://f.example")
    assert doc.links[0].url == "https://f.example/t/x/1"
