"""Discourse's cooked HTML into the same `Document` its Markdown would give.

Some Discourse posts come without `raw` (lists, search, older endpoints); we show them from
their HTML. It is read with the standard library's `html.parser` into a small tree (never
with regular expressions over HTML), then walked the way a browser would lay it out: block
elements make blocks, whitespace collapses except in `<pre>`, entities are decoded. Script,
style and iframe content is dropped; unknown elements show their text. Every string goes
through `sanitize.clean` (inside `InlineBuilder`, or directly for code and attributes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

from tui.forum.document import (
    Align,
    Block,
    CodeBlock,
    Details,
    Document,
    Heading,
    InlineBuilder,
    LinkKind,
    LinkRegistry,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    Spans,
    Style,
    Table,
    collapse,
)
from tui.forum.document import plain_text as document_plain_text
from tui.forum.sanitize import clean, clean_line

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
# Content never shown: code, styling, embedded frames and media, SVG (icons).
_DROPPED = frozenset(
    {"script", "style", "iframe", "noscript", "template", "object", "embed", "svg", "video"}
    | {"audio", "canvas", "head"}
)
_BLOCKISH = frozenset(
    {"p", "div", "section", "article", "header", "footer", "main", "nav", "figure"}
    | {"figcaption", "address", "center", "dl", "dt", "dd", "li", "form", "fieldset"}
    | {"body", "html"}
)
_CLOSES_P = frozenset(
    {"address", "article", "aside", "blockquote", "details", "div", "dl", "fieldset"}
    | {"figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header"}
    | {"hr", "main", "menu", "nav", "ol", "p", "pre", "section", "table", "ul"}
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BOLD = frozenset({"strong", "b"})
_ITALIC = frozenset({"em", "i", "cite"})
_STRIKE = frozenset({"s", "del", "strike"})
_CODE = frozenset({"code", "kbd", "tt", "samp"})
_MAX_DEPTH = 100  # deeper elements are flattened into their parent: no unbounded recursion
_AVATAR_USER = re.compile(r"/user_avatar/[^/]+/([^/]+)/")
_USERNAME = re.compile(r"^[\w.-]+$")


@dataclass(slots=True)
class _Element:
    tag: str
    attrs: dict[str, str]
    children: list[_Element | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _TreeBuilder(HTMLParser):
    """HTML into a tree, closing what browsers close implicitly (p, li, tr, td...)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("#root", {})
        self._stack: list[_Element] = [self.root]

    def _close_to(self, tags: Iterable[str], stop: Iterable[str]) -> None:
        """Close the innermost open element among `tags` unless a `stop` element is nearer."""
        tags, stop = set(tags), set(stop)
        for i in range(len(self._stack) - 1, 0, -1):
            tag = self._stack[i].tag
            if tag in tags:
                del self._stack[i:]
                return
            if tag in stop:
                return

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CLOSES_P and self._stack[-1].tag == "p":
            self._stack.pop()
        if tag == "li":
            self._close_to(("li",), ("ul", "ol", "menu"))
        elif tag in ("dt", "dd"):
            self._close_to(("dt", "dd"), ("dl",))
        elif tag == "tr":
            self._close_to(("tr",), ("table", "thead", "tbody", "tfoot"))
        elif tag in ("td", "th"):
            self._close_to(("td", "th"), ("tr", "table"))
        elif tag in ("thead", "tbody", "tfoot"):
            self._close_to(("thead", "tbody", "tfoot"), ("table",))
        element = _Element(tag, {name: value or "" for name, value in attrs})
        self._stack[-1].children.append(element)
        if tag not in _VOID and len(self._stack) <= _MAX_DEPTH:
            self._stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, 0, -1):
            if self._stack[i].tag == tag:
                del self._stack[i:]
                return

    def handle_data(self, data: str) -> None:
        children = self._stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)


def _tree(html: str) -> _Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def parse(html: str, *, base_url: str | None = None) -> Document:
    """The document for a post's cooked HTML. Relative links are joined to `base_url`
    when given (protocol-relative ones always get https:)."""
    walker = _Walker(LinkRegistry(base_url))
    blocks = walker.blocks(_tree(html).children, Style())
    return Document(blocks, walker.links.links())


def plain_text(html: str) -> str:
    """The words of a cooked post, for search indexes and one-line previews."""
    return document_plain_text(parse(html))


@dataclass(slots=True)
class _Sink:
    """Where walked content goes: finished blocks, and the paragraph being built."""

    inline: InlineBuilder
    blocks: list[Block] = field(default_factory=list)

    def flush(self) -> None:
        spans = self.inline.take()
        if spans:
            self.blocks.append(Paragraph(spans))


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _text_content(node: _Element | str) -> str:
    """The raw text under a node (for code), `<br>` as newlines, dropped content skipped."""
    if isinstance(node, str):
        return node
    if node.tag in _DROPPED:
        return ""
    if node.tag == "br":
        return "\n"
    return "".join(_text_content(child) for child in node.children)


def _language(pre: _Element) -> str | None:
    candidates: list[str] = []
    for child in pre.children:
        if isinstance(child, _Element) and child.tag == "code":
            candidates.extend(sorted(child.classes))
    candidates.extend(sorted(pre.classes))
    for name in candidates:
        for prefix in ("lang-", "language-"):
            if name.startswith(prefix):
                language = clean_line(name.removeprefix(prefix)).strip()
                return None if language in ("", "auto") else language
    wrap = clean_line(pre.attrs.get("data-code-wrap", "")).strip()
    return wrap or None


def _align(cell: _Element) -> Align | None:
    how = cell.attrs.get("align", "").strip().lower()
    style = cell.attrs.get("style", "").replace(" ", "").lower()
    for name in ("left", "center", "right"):
        if how == name or f"text-align:{name}" in style:
            return name
    return None


class _Walker:
    def __init__(self, links: LinkRegistry) -> None:
        self.links = links

    def blocks(self, nodes: Sequence[_Element | str], style: Style) -> tuple[Block, ...]:
        sink = _Sink(InlineBuilder(self.links))
        for node in nodes:
            self.node(node, sink, style)
        sink.flush()
        return tuple(sink.blocks)

    def spans(self, nodes: Sequence[_Element | str], style: Style) -> tuple[Spans, list[Block]]:
        """Inline content of a heading or cell, and any stray blocks found inside it."""
        inner = _Sink(InlineBuilder(self.links))
        for node in nodes:
            self.node(node, inner, style)
        return inner.inline.take(), inner.blocks

    def children(self, element: _Element, sink: _Sink, style: Style) -> None:
        for child in element.children:
            self.node(child, sink, style)

    def node(self, node: _Element | str, sink: _Sink, style: Style) -> None:
        if isinstance(node, str):
            sink.inline.add(node, style)
            return
        tag, classes = node.tag, node.classes
        if tag in _DROPPED:
            return
        if tag == "br":
            sink.inline.line_break(style)
        elif tag == "img":
            self.image(node, sink, style)
        elif tag == "a":
            self.anchor(node, sink, style)
        elif tag in _BOLD:
            self.children(node, sink, replace(style, bold=True))
        elif tag in _ITALIC:
            self.children(node, sink, replace(style, italic=True))
        elif tag in _STRIKE:
            self.children(node, sink, replace(style, strike=True))
        elif tag in _CODE:
            self.children(node, sink, replace(style, code=True))
        elif tag == "span" and "mention" in classes:
            self.children(node, sink, replace(style, mention=True))
        elif tag == "pre":
            sink.flush()
            code = _text_content(node).removeprefix("\n").removesuffix("\n")
            sink.blocks.append(CodeBlock(clean(code), _language(node)))
        elif tag in _HEADINGS:
            sink.flush()
            spans, stray = self.spans(node.children, style)
            sink.blocks.append(Heading(_HEADINGS[tag], spans))
            sink.blocks.extend(stray)  # rare: e.g. a <p> inside a heading
        elif tag == "blockquote":
            sink.flush()
            sink.blocks.append(Quote(self.blocks(node.children, style)))
        elif tag == "aside" and "quote" in classes:
            sink.flush()
            sink.blocks.append(self.quote(node, style))
        elif tag == "aside" and "onebox" in classes:
            sink.flush()
            self.onebox(node, sink, style)
        elif tag in ("ul", "ol"):
            sink.flush()
            sink.blocks.append(self.list_block(node, style))
        elif tag == "table":
            sink.flush()
            table, stray = self.table(node, style)
            sink.blocks.append(table)
            sink.blocks.extend(stray)
        elif tag == "hr":
            sink.flush()
            sink.blocks.append(Rule())
        elif tag == "details":
            sink.flush()
            sink.blocks.append(self.details(node, style))
        elif tag in _BLOCKISH or tag == "aside":
            sink.flush()
            self.children(node, sink, style)
            sink.flush()
        else:  # span, sub, sup, unknown elements: their content, as a browser shows it
            self.children(node, sink, style)

    # --- inline elements ---------------------------------------------------------------

    def image(self, node: _Element, sink: _Sink, style: Style) -> None:
        classes = node.classes
        if classes & {"avatar", "site-icon"}:
            return  # decoration
        alt = node.attrs.get("alt", "").strip()
        if "emoji" in classes:
            name = alt or node.attrs.get("title", "").strip()
            if name:
                name = name if name.startswith(":") and name.endswith(":") else f":{name}:"
                sink.inline.add(name, replace(style, code=False))
            return
        sink.inline.image(node.attrs.get("src", ""), alt, style)

    def anchor(self, node: _Element, sink: _Sink, style: Style) -> None:
        classes = node.classes
        href = node.attrs.get("href")
        if "anchor" in classes:
            return  # a heading's empty self-link
        if classes & {"mention", "mention-group"}:
            self.children(node, sink, replace(style, mention=True))
            return
        if classes & {"hashtag", "hashtag-cooked"}:
            text = collapse(_text_content(node)).strip() or node.attrs.get("data-slug", "")
            if text:
                sink.inline.add(text if text.startswith("#") else "#" + text, style)
            return
        if href is None or style.link is not None:
            self.children(node, sink, style)  # no target, or nested in a link: just text
            return
        if "lightbox" in classes:
            image = next(_find(node, "img"), None)
            alt = image.attrs.get("alt", "") if image is not None else ""
            title = node.attrs.get("title", "")
            pending = sink.inline.open_link(href, "image")
            label = clean_line(alt or title).strip() or "image"
            sink.inline.add(label, replace(style, code=False, link=pending))
            sink.inline.close_link(pending, style)
            return
        kind: LinkKind = "attachment" if "attachment" in classes else "link"
        pending = sink.inline.open_link(href, kind)
        self.children(node, sink, replace(style, link=pending))
        sink.inline.close_link(pending, style)

    # --- blocks ------------------------------------------------------------------------------

    def quote(self, node: _Element, style: Style) -> Quote:
        """Discourse's `aside.quote`: the title (avatar, name) is not body text; the body is
        the blockquote inside."""
        body: list[_Element | str] = []
        title: _Element | None = None
        for child in node.children:
            if isinstance(child, _Element) and child.tag == "div" and "title" in child.classes:
                title = child
            elif isinstance(child, _Element) and child.tag == "blockquote":
                body.extend(child.children)
            else:
                body.append(child)
        author = clean_line(node.attrs.get("data-username", "")).strip() or _title_author(title)
        return Quote(
            self.blocks(body, style),
            author,
            _int(node.attrs.get("data-post")),
            _int(node.attrs.get("data-topic")),
        )

    def onebox(self, node: _Element, sink: _Sink, style: Style) -> None:
        """A link preview: one link, named by the page's title where the box has one."""
        url = node.attrs.get("data-onebox-src") or next(
            (a.attrs["href"] for a in _find(node, "a") if a.attrs.get("href")), ""
        )
        if not url:
            self.children(node, sink, style)
            return
        heading = next((h for tag in ("h3", "h4", "h2") for h in _find(node, tag)), None)
        title = collapse(_text_content(heading)).strip() if heading is not None else ""
        pending = sink.inline.open_link(url, "link")
        sink.inline.add(title or url, replace(style, code=False, link=pending))
        sink.inline.close_link(pending, style)
        sink.flush()

    def list_block(self, node: _Element, style: Style) -> ListBlock:
        items: list[tuple[Block, ...]] = []
        loose: list[_Element | str] = []
        for child in node.children:
            if isinstance(child, _Element) and child.tag == "li":
                if any(isinstance(x, _Element) or x.strip() for x in loose):
                    items.append(self.blocks(loose, style))
                loose = []
                items.append(self.blocks(child.children, style))
            else:
                loose.append(child)
        if any(isinstance(x, _Element) or x.strip() for x in loose):
            items.append(self.blocks(loose, style))
        start = _int(node.attrs.get("start")) if node.tag == "ol" else None
        return ListBlock(node.tag == "ol", start if start is not None else 1, tuple(items))

    def table(self, node: _Element, style: Style) -> tuple[Table, list[Block]]:
        stray: list[Block] = []
        header: list[Spans] = []
        rows: list[list[Spans]] = []
        align: list[Align | None] = []
        for tr, in_head in _rows(node):
            cells = [c for c in tr.children if isinstance(c, _Element) and c.tag in ("td", "th")]
            spans = []
            for cell in cells:
                cell_spans, cell_blocks = self.spans(cell.children, style)
                spans.append(cell_spans)
                stray.extend(cell_blocks)
            is_header = in_head or (
                not header and not rows and cells and all(c.tag == "th" for c in cells)
            )
            if is_header and not header:
                header = spans
                align = [_align(cell) for cell in cells]
            else:
                rows.append(spans)
        columns = max([len(header), *(len(row) for row in rows)])
        if header:
            header.extend([()] * (columns - len(header)))
        align.extend([None] * (columns - len(align)))
        for row in rows:
            row.extend([()] * (columns - len(row)))
        table = Table(tuple(header), tuple(tuple(row) for row in rows), tuple(align))
        return table, stray

    def details(self, node: _Element, style: Style) -> Details:
        summary = ""
        body: list[_Element | str] = []
        for child in node.children:
            if isinstance(child, _Element) and child.tag == "summary" and not summary:
                summary = clean_line(collapse(_text_content(child))).strip()
            else:
                body.append(child)
        return Details(summary, self.blocks(body, style))


def _find(node: _Element, tag: str) -> Iterator[_Element]:
    """Descendants with this tag, in document order."""
    for child in node.children:
        if isinstance(child, _Element):
            if child.tag == tag:
                yield child
            yield from _find(child, tag)


def _rows(table: _Element) -> Iterator[tuple[_Element, bool]]:
    """A table's rows, each with whether it is in the header."""
    for child in table.children:
        if not isinstance(child, _Element):
            continue
        if child.tag == "tr":
            yield child, False
        elif child.tag in ("thead", "tbody", "tfoot"):
            for row in child.children:
                if isinstance(row, _Element) and row.tag == "tr":
                    yield row, child.tag == "thead"


def _title_author(title: _Element | None) -> str | None:
    """Older cooked quotes have no data-username: the avatar's path or "name said:" has it."""
    if title is None:
        return None
    for image in _find(title, "img"):
        found = _AVATAR_USER.search(image.attrs.get("src", ""))
        if found:
            return clean_line(found.group(1))
    if any(True for _ in _find(title, "a")):
        return None  # the title is a link to another topic, not a name
    text = collapse(_text_content(title)).strip().removesuffix(":").strip()
    text = text.removesuffix(" said").strip()
    return clean_line(text) if _USERNAME.match(text) else None
