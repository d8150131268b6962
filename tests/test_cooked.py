"""Discourse's cooked HTML becomes the same Document as its Markdown: hand-written pairs,
the real raw/cooked pairs in the shared fixtures, every cooked post there, and safety."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.discourse_fixtures import FIXTURES
from tests.test_markdown import EVIL, assert_clean, check_link_numbers, only, spans_of
from tui.forum import cooked, markdown
from tui.forum.document import (
    Block,
    CodeBlock,
    Details,
    DocLink,
    Document,
    Heading,
    ListBlock,
    Paragraph,
    Quote,
    Span,
    Table,
    is_openable,
    plain_text,
    spans_text,
)

# --- hand-written pairs: Markdown and the HTML Discourse cooks from it ------------------------

PAIRS: dict[str, tuple[str, str]] = {
    "inline": (
        "Hello **bold** and *it* `x` ~~old~~ @alice see [docs](https://ex.example/d)"
        " and https://ex.example/raw",
        "<p>Hello <strong>bold</strong> and <em>it</em> <code>x</code> <s>old</s> "
        '<a class="mention" href="/u/alice">@alice</a> see <a href="https://ex.example/d">docs</a>'
        ' and <a href="https://ex.example/raw">https://ex.example/raw</a></p>',
    ),
    "quote": (
        '[quote="alice, post:3, topic:12"]\nquoted **text**\n[/quote]\n\nreply',
        '<aside class="quote no-group" data-username="alice" data-post="3" data-topic="12">\n'
        '<div class="title">\n<div class="quote-controls"></div>\n'
        '<img loading="lazy" alt="" width="24" height="24" '
        'src="https://f.example/user_avatar/f.example/alice/48/1_2.png" class="avatar"> alice:'
        "</div>\n<blockquote>\n<p>quoted <strong>text</strong></p>\n</blockquote>\n</aside>\n"
        "<p>reply</p>",
    ),
    "nested quotes": (
        '[quote="bob, post:1, topic:5"]\n[quote="alice, post:2, topic:5"]\ninner\n[/quote]\n\n'
        "outer\n[/quote]",
        '<aside class="quote no-group" data-username="bob" data-post="1" data-topic="5">\n'
        '<div class="title">\n<div class="quote-controls"></div>\nbob:</div>\n<blockquote>\n'
        '<aside class="quote no-group" data-username="alice" data-post="2" data-topic="5">\n'
        '<div class="title">\n<div class="quote-controls"></div>\nalice:</div>\n<blockquote>\n'
        "<p>inner</p>\n</blockquote>\n</aside>\n<p>outer</p>\n</blockquote>\n</aside>",
    ),
    "code": (
        "```python\nprint('hi')\n  x = 1 < 2\n```\n\n```\nplain\n```",
        '<pre data-code-wrap="python"><code class="lang-python">print(\'hi\')\n  x = 1 &lt; 2\n'
        '</code></pre>\n<pre><code class="lang-auto">plain\n</code></pre>',
    ),
    "lists": (
        "3. three\n4. four\n   - sub a\n   - sub b",
        '<ol start="3">\n<li>three</li>\n<li>four\n<ul>\n<li>sub a</li>\n<li>sub b</li>\n</ul>\n'
        "</li>\n</ol>",
    ),
    "table": (
        "| Name | Count |\n|:-----|------:|\n| **a** | 1 |\n| b | 2 |",
        '<div class="md-table">\n<table>\n<thead>\n<tr>\n<th style="text-align:left">Name</th>\n'
        '<th style="text-align:right">Count</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n'
        '<td style="text-align:left"><strong>a</strong></td>\n'
        '<td style="text-align:right">1</td>\n</tr>\n<tr>\n<td style="text-align:left">b</td>\n'
        '<td style="text-align:right">2</td>\n</tr>\n</tbody>\n</table>\n</div>',
    ),
    "blocks": (
        "## Setup\n\nline one\nline two\n\n---\n\n> plain quote\n\n"
        '![diagram|690x388](https://cdn.example/d.png)\n\n[details="More"]\nhidden ~~old~~\n'
        "[/details]",
        '<h2><a name="setup-1" class="anchor" href="#setup-1"></a>Setup</h2>\n'
        "<p>line one<br>\nline two</p>\n<hr>\n<blockquote>\n<p>plain quote</p>\n</blockquote>\n"
        '<p><img src="https://cdn.example/d.png" alt="diagram" data-base62-sha1="abc" '
        'width="690" height="388"></p>\n'
        "<details>\n<summary>\nMore</summary>\n<p>hidden <s>old</s></p>\n</details>",
    ),
    "lightbox": (
        "![shot.png|690x388](https://cdn.example/original/shot.png)",
        '<p><div class="lightbox-wrapper"><a class="lightbox" '
        'href="https://cdn.example/original/shot.png" data-download-href="/uploads/x" '
        'title="shot.png"><img src="https://cdn.example/optimized/shot_690x388.png" '
        'alt="shot.png" width="690" height="388"><div class="meta"><svg class="fa d-icon '
        'svg-icon" aria-hidden="true"><use href="#far-image"></use></svg>'
        '<span class="filename">shot.png</span><span class="informations">1200x675 52 KB'
        "</span></div></a></div></p>",
    ),
    "emoji hashtag attachment": (
        ":smile: see #general and [report.pdf|attachment](https://cdn.example/r.pdf) (12 KB)",
        '<p><img src="/images/emoji/twitter/smile.png?v=12" title=":smile:" class="emoji" '
        'alt=":smile:" loading="lazy" width="20" height="20"> see '
        '<a class="hashtag-cooked" href="/c/general/4" data-type="category" data-slug="general">'
        '<span class="hashtag-icon-placeholder"><svg class="fa d-icon svg-icon"><use '
        'href="#square-full"></use></svg></span><span>general</span></a> and '
        '<a class="attachment" href="https://cdn.example/r.pdf">report.pdf</a> (12 KB)</p>',
    ),
}


@pytest.mark.parametrize("name", PAIRS)
def test_markdown_and_its_cooked_html_give_the_same_document(name: str) -> None:
    raw, html = PAIRS[name]
    from_raw, from_html = markdown.parse(raw), cooked.parse(html)
    assert from_html == from_raw
    assert from_raw.blocks  # the pair is not trivially empty
    check_link_numbers(from_html)


def test_pairs_cover_every_block_kind() -> None:
    kinds: set[str] = set()

    def walk(blocks: tuple[Block, ...]) -> None:
        for block in blocks:
            kinds.add(type(block).__name__)
            if isinstance(block, Quote | Details):
                walk(block.blocks)
            elif isinstance(block, ListBlock):
                for item in block.items:
                    walk(item)

    for _, html in PAIRS.values():
        walk(cooked.parse(html).blocks)
    assert kinds == {
        "Paragraph",
        "Heading",
        "CodeBlock",
        "Quote",
        "ListBlock",
        "Table",
        "Rule",
        "Details",
    }


# --- the fixtures: real Discourse responses ---------------------------------------------------


def _cooked_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "cooked" and isinstance(item, str):
                yield item
            else:
                yield from _cooked_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _cooked_in(item)


def _fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


def _files_with_cooked() -> list[str]:
    return [p.name for p in _fixture_files() if any(_cooked_in(json.loads(p.read_text("utf-8"))))]


class _Text(HTMLParser):
    """What a browser would show as text (no script/style), for the non-empty check."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def _has_text(html: str) -> bool:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return bool("".join(parser.text).strip())


def test_fixtures_are_there() -> None:
    names = _files_with_cooked()
    assert len(names) >= 10, f"cooked posts expected in {FIXTURES}"
    assert "topic_280_long_stream__core.json" in names


@pytest.mark.parametrize("name", _files_with_cooked())
def test_every_cooked_post_in_the_fixtures_parses(name: str) -> None:
    data = json.loads((FIXTURES / name).read_text("utf-8"))
    posts = list(_cooked_in(data))
    assert posts
    for html in posts:
        doc = cooked.parse(html, base_url="https://meta.discourse.org")
        if _has_text(html):
            assert plain_text(doc).strip(), html
        check_link_numbers(doc)
        assert_clean(doc)
        assert not re.search(r"</?(p|a|img|div|aside|span|code|pre|br)\b", plain_text(doc))


def _shape(blocks: tuple[Block, ...]) -> list[object]:
    """Block kinds and nesting, without the words (Discourse's typographer curls quotes)."""
    shape: list[object] = []
    for block in blocks:
        if isinstance(block, Quote | Details):
            shape.append((type(block).__name__, _shape(block.blocks)))
        elif isinstance(block, ListBlock):
            shape.append(("ListBlock", block.ordered, [_shape(item) for item in block.items]))
        elif isinstance(block, Paragraph | Heading):
            styles = [(s.bold, s.italic, s.code, s.link is not None) for s in block.spans]
            shape.append((type(block).__name__, styles if isinstance(block, Heading) else None))
        else:
            shape.append(type(block).__name__)
    return shape


def _raw_cooked_pairs() -> list[tuple[str, str, str]]:
    pairs = []
    for path in _fixture_files():
        data = json.loads(path.read_text("utf-8"))
        stack: list[Any] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                if isinstance(item.get("raw"), str) and isinstance(item.get("cooked"), str):
                    pairs.append((path.name, item["raw"], item["cooked"]))
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return pairs


def test_real_raw_and_cooked_pairs_have_the_same_structure() -> None:
    pairs = _raw_cooked_pairs()
    names = {name for name, _, _ in pairs}
    assert "post_398_with_raw__core.json" in names
    assert len(pairs) >= 5
    identical = 0
    for name, raw, html in pairs:
        from_raw, from_html = markdown.parse(raw), cooked.parse(html)
        assert _shape(from_raw.blocks) == _shape(from_html.blocks), name
        identical += from_raw == from_html
    # Most are equal outright; the rest differ only by curly quotes or raw <img> HTML.
    assert identical >= 5


def test_post_398_raw_and_cooked_are_equal() -> None:
    data = json.loads((FIXTURES / "post_398_with_raw__core.json").read_text("utf-8"))
    assert markdown.parse(data["raw"]) == cooked.parse(data["cooked"])
    assert plain_text(cooked.parse(data["cooked"])).startswith("Any plans to support localization")


def _topic_posts(name: str) -> list[dict[str, Any]]:
    data = json.loads((FIXTURES / name).read_text("utf-8"))
    posts: list[dict[str, Any]] = data["post_stream"]["posts"]
    return posts


def test_old_style_quotes_from_the_fixture() -> None:
    posts = _topic_posts("topic_280_long_stream__core.json")
    by_number = {p["post_number"]: p for p in posts}
    doc = cooked.parse(by_number[5]["cooked"])
    quote = doc.blocks[0]
    assert isinstance(quote, Quote)
    assert (quote.author, quote.post_number, quote.topic_id) == ("codinghorror", 3, 280)
    assert plain_text(Document(quote.blocks)).startswith("So you could replace that lookup")
    assert "said" not in plain_text(doc).split("\n")[0]
    mentions = [s.text for s in spans_of(doc) if s.mention]
    assert mentions == ["@eviltrout"]
    # a quote whose title is a link to another topic: the name comes from the avatar
    other = next(p for p in posts if 'data-topic="62"' in p["cooked"])
    quote = cooked.parse(other["cooked"]).blocks[0]
    assert isinstance(quote, Quote)
    assert (quote.author, quote.post_number, quote.topic_id) == ("sam", 3, 62)
    assert plain_text(Document(quote.blocks)) == "Thanks for posting this"


def test_old_emoji_alt_without_colons() -> None:
    posts = _topic_posts("topic_280_long_stream__core.json")
    smiley = next(p for p in posts if "smiley.png" in p["cooked"])
    assert plain_text(cooked.parse(smiley["cooked"])).endswith("1337 lines long? :smiley:")


def test_lightbox_from_the_search_fixture() -> None:
    data = json.loads((FIXTURES / "search_query__core.json").read_text("utf-8"))
    doc = cooked.parse(data["posts"][1]["cooked"])
    images = [link for link in doc.links if link.kind == "image"]
    assert images[0] == DocLink(
        images[0].number,
        "https://meta-s3-cdn.global.ssl.fastly.net/original/2X/9/"
        "9df737ab44032f2f671ac15513456bc668314591.png",
        "linux_script.png",
        "image",
    )
    assert "770x211" not in plain_text(doc)  # the lightbox's meta box is not text
    assert any(isinstance(b, CodeBlock) for b in doc.blocks)
    assert any(isinstance(b, Heading) and b.level == 2 for b in doc.blocks)


# --- HTML handling ----------------------------------------------------------------------------


def test_script_style_iframe_dropped_unknown_tags_pass_through() -> None:
    html = (
        "<p>a<script>alert('x')</script>b<style>p{color:red}</style></p>"
        '<iframe src="https://evil.example">frame text</iframe>'
        "<p><foo>bar</foo> <sup>2</sup> <kbd>Ctrl</kbd></p><!-- comment -->"
    )
    doc = cooked.parse(html)
    assert plain_text(doc) == "ab\nbar 2 Ctrl"
    assert doc.links == ()
    assert Span("Ctrl", code=True) in spans_of(doc)


def test_entities_decoded_and_whitespace_collapsed() -> None:
    doc = cooked.parse(
        "<p>  a &amp; b &lt;tag&gt;\n\n  &copy; &#x263A;  <strong> c </strong> d </p>"
    )
    assert only(doc).spans == (
        Span("a & b <tag> © ☺ "),
        Span("c ", bold=True),
        Span("d"),
    )
    pre = cooked.parse("<pre><code>  a\n\n    b &amp; c</code></pre>")
    assert pre.blocks == (CodeBlock("  a\n\n    b & c", None),)


def test_browser_style_implicit_closing() -> None:
    doc = cooked.parse("<p>one<p>two<ul><li>a<li>b</ul>tail")
    assert doc.blocks == (
        Paragraph((Span("one"),)),
        Paragraph((Span("two"),)),
        ListBlock(False, 1, ((Paragraph((Span("a"),)),), (Paragraph((Span("b"),)),))),
        Paragraph((Span("tail"),)),
    )


def test_table_without_thead_and_ragged_rows() -> None:
    doc = cooked.parse(
        '<table><tr><th align="center">h1</th><th>h2</th></tr><tr><td>x</td></tr>'
        "<tr><td>1</td><td>2</td><td>3</td></tr></table>"
    )
    assert doc.blocks == (
        Table(
            header=((Span("h1"),), (Span("h2"),), ()),
            rows=(((Span("x"),), (), ()), ((Span("1"),), (Span("2"),), (Span("3"),))),
            align=("center", None, None),
        ),
    )


def test_onebox_is_one_link_named_by_its_title() -> None:
    html = (
        '<aside class="onebox allowlistedgeneric" data-onebox-src="https://site.example/page">'
        '<header class="source"><img src="https://site.example/icon.png" class="site-icon">'
        '<a href="https://site.example/page">site.example</a></header>'
        '<article class="onebox-body"><img src="https://site.example/thumb.png" class="thumbnail">'
        '<h3><a href="https://site.example/page">The Page Title</a></h3>'
        "<p>A description.</p></article></aside><p>after</p>"
    )
    doc = cooked.parse(html)
    assert doc.blocks == (
        Paragraph((Span("The Page Title", link=1),)),
        Paragraph((Span("after"),)),
    )
    assert doc.links == (DocLink(1, "https://site.example/page", "The Page Title", "link"),)
    assert cooked.parse(
        '<p><a href="http://www.localeapp.com/" class="onebox">http://www.localeapp.com/</a></p>'
    ).links == (DocLink(1, "http://www.localeapp.com/", "http://www.localeapp.com/", "link"),)


def test_links_numbered_and_deduplicated_in_html() -> None:
    doc = cooked.parse(
        '<p><a href="https://b.example">b</a> <img src="https://i.example/x.png" alt="pic">'
        ' <a href="https://b.example">again</a> <a href="#frag"></a> <a>no href</a>'
        ' <a href="https://e.example"></a></p>'
    )
    assert doc.links == (
        DocLink(1, "https://b.example", "b", "link"),
        DocLink(2, "https://i.example/x.png", "pic", "image"),
        DocLink(3, "https://e.example", "https://e.example", "link"),
    )
    assert spans_text(only(doc).spans) == "b pic again no href https://e.example"
    check_link_numbers(doc)


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,<script>x</script>"]
)
def test_dangerous_hrefs_kept_as_text_not_openable(url: str) -> None:
    doc = cooked.parse(f'<p><a href="{url.replace("<", "&lt;")}">click</a></p>')
    assert spans_text(only(doc).spans) == "click"
    assert doc.links[0].url == url
    assert not is_openable(doc.links[0].url)


def test_relative_and_protocol_relative_urls() -> None:
    html = '<p><a href="/t/x/5">t</a> <img src="//cdn.example/a.png"></p>'
    assert [link.url for link in cooked.parse(html).links] == [
        "/t/x/5",
        "https://cdn.example/a.png",
    ]
    resolved = cooked.parse(html, base_url="https://forum.example/")
    assert [link.url for link in resolved.links] == [
        "https://forum.example/t/x/5",
        "https://cdn.example/a.png",
    ]


def test_mentions_in_html() -> None:
    doc = cooked.parse(
        '<p><a class="mention" href="/u/al">@al</a> <span class="mention">@ghost</span> '
        '<a class="mention-group" href="/groups/team">@team</a></p>'
    )
    assert [s.text for s in spans_of(doc) if s.mention] == ["@al", "@ghost", "@team"]
    assert doc.links == ()


# --- safety -----------------------------------------------------------------------------------


def test_escape_sequences_and_bidi_removed_everywhere_in_html() -> None:
    esc = EVIL.replace("\x00", "")
    html = (
        f'<h1>head{esc}</h1><p>text{esc} <a href="https://x.example/{esc}">link{esc}</a>'
        f' <code>co{esc}de</code> <img src="https://i.example/a.png" alt="alt{esc}">'
        f' <img class="emoji" alt=":smile{esc}:"></p>'
        f'<aside class="quote" data-username="al{esc}ice" data-post="1" data-topic="2">'
        f'<div class="title">t</div><blockquote><p>q{esc}</p></blockquote></aside>'
        f"<details><summary>sum{esc}</summary><p>d</p></details>"
        f'<pre><code class="lang-py{esc}">code{esc}</code></pre>'
        f"<table><tr><th>h{esc}</th></tr><tr><td>c{esc}</td></tr></table>"
        "<p>&#27;[2J&#x1b;]52;c;x&#7;&#x202e;&#x2066;entity</p>"
    )
    doc = cooked.parse(html)
    assert_clean(doc)
    text = plain_text(doc)
    for word in ("head", "text", "link", "code", "alt", "q", "sum", "pwned", "entity"):
        assert word in text


@pytest.mark.parametrize("text", ["[@click=app.quit]x[/]", "[/bar]", "[bold red]no[/]"])
def test_markup_looking_text_kept_verbatim_in_html(text: str) -> None:
    assert plain_text(cooked.parse(f"<p>{text}</p>")) == text
    assert cooked.plain_text(f"<p><strong>{text}</strong></p>") == text


def test_deep_nesting_does_not_crash() -> None:
    doc = cooked.parse("<div>" * 5000 + "core" + "</div>" * 5000)
    assert plain_text(doc) == "core"
    doc = cooked.parse("<blockquote>" * 3000 + "deep")
    assert "deep" in plain_text(doc)


def test_empty_and_garbage_html() -> None:
    assert cooked.parse("") == Document()
    assert cooked.parse("<p>   </p>\n<div></div>") == Document()
    assert plain_text(cooked.parse("</p></div><b>x<i>y")) == "xy"
    assert plain_text(cooked.parse("<p>a < b > c</p>")) == "a < b > c"
