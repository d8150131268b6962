"""The renderable shape of a post: blocks of styled spans plus a numbered list of links.

Posts arrive as Markdown (Cohort, Discourse with `include_raw`) or as Discourse's cooked
HTML. Both parsers (`tui.forum.markdown`, `tui.forum.cooked`) build this same structure so
widgets, the plain CLI and the search index render one thing, whatever the source. It is
plain data on purpose (no rich, no Textual): every string in it has already been through
`sanitize.clean`, and widgets turn it into `Text`/`Content` themselves.

Links are numbered in order of first appearance, one number per URL, shown as `[n]`; a
widget opens one only after asking `is_openable` (http/https only).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeAlias
from urllib.parse import urljoin, urlsplit

from tui.forum.sanitize import clean, clean_line

if TYPE_CHECKING:
    from tui.forum.models import Post

LinkKind = Literal["link", "image", "attachment"]
Align = Literal["left", "center", "right"]


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text in one style. `link` is a number into `Document.links` (1-based)."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    strike: bool = False
    link: int | None = None
    mention: bool = False


Spans: TypeAlias = tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Paragraph:
    spans: Spans


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    spans: Spans


@dataclass(frozen=True, slots=True)
class CodeBlock:
    code: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    """A block quote; Discourse quotes also say whose post they quote and where it is."""

    blocks: tuple[Block, ...]
    author: str | None = None
    post_number: int | None = None
    topic_id: int | None = None


@dataclass(frozen=True, slots=True)
class ListBlock:
    """A list; each item is a sequence of blocks (a paragraph, maybe a nested list)."""

    ordered: bool
    start: int
    items: tuple[tuple[Block, ...], ...]


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[Spans, ...]
    rows: tuple[tuple[Spans, ...], ...]
    align: tuple[Align | None, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    pass


@dataclass(frozen=True, slots=True)
class Details:
    """Discourse's collapsible `[details="summary"]` block."""

    summary: str
    blocks: tuple[Block, ...]


Block: TypeAlias = Paragraph | Heading | CodeBlock | Quote | ListBlock | Table | Rule | Details


@dataclass(frozen=True, slots=True)
class DocLink:
    number: int
    url: str
    text: str
    kind: LinkKind = "link"


@dataclass(frozen=True, slots=True)
class Document:
    blocks: tuple[Block, ...] = ()
    links: tuple[DocLink, ...] = ()

    def link(self, number: int) -> DocLink | None:
        """The link shown as `[number]`, if there is one."""
        if 1 <= number <= len(self.links):
            return self.links[number - 1]
        return None


EMPTY = Document()


def is_openable(url: str) -> bool:
    """Whether a link may be handed to a browser: absolute http(s) URLs only, never
    javascript:, file:, data: or a relative path whose target we cannot know."""
    if any(c.isspace() for c in url) or clean_line(url) != url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def render_post(post: Post, *, base_url: str | None = None) -> Document:
    """The document for a post: from its Markdown when the forum gave it, else from the
    cooked HTML (Discourse posts fetched without raw), else empty (a deleted post)."""
    from tui.forum import cooked, markdown  # the parsers import this module

    if post.raw:
        return markdown.parse(post.raw, base_url=base_url)
    if post.cooked:
        return cooked.parse(post.cooked, base_url=base_url)
    return EMPTY


# --- helpers the two parsers share, so that both build identical documents ---------------

_COLLAPSE = re.compile(r"[ \t\n\r\f\v]+")


def collapse(text: str) -> str:
    """Whitespace runs as a browser shows them: one space (no-break spaces stay)."""
    return _COLLAPSE.sub(" ", text)


def resolve_url(url: str, base_url: str | None) -> str:
    """A link target made absolute where that is knowable: protocol-relative URLs (which
    Discourse uses for its CDN) get https:, paths are joined to the forum's base URL."""
    url = clean_line(url).strip()
    if url.startswith("//"):
        return "https:" + url
    if base_url and not urlsplit(url).scheme and not url.startswith("#"):
        return urljoin(base_url.rstrip("/") + "/", url)
    return url


@dataclass(slots=True)
class _Entry:
    url: str
    kind: LinkKind
    text: str


class LinkRegistry:
    """Numbers links in order of first appearance, one number per URL."""

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = base_url
        self._entries: list[_Entry] = []
        self._by_url: dict[str, int] = {}

    def number(self, url: str, kind: LinkKind) -> int:
        url = resolve_url(url, self.base_url)
        found = self._by_url.get(url)
        if found is not None:
            return found
        self._entries.append(_Entry(url, kind, ""))
        self._by_url[url] = len(self._entries)
        return len(self._entries)

    def name(self, number: int, text: str) -> None:
        """Give a link its text, unless an earlier occurrence already did."""
        entry = self._entries[number - 1]
        if not entry.text:
            entry.text = clean_line(collapse(text)).strip()

    def links(self) -> tuple[DocLink, ...]:
        return tuple(
            DocLink(n, e.url, e.text or e.url, e.kind) for n, e in enumerate(self._entries, 1)
        )


@dataclass(eq=False, slots=True)
class PendingLink:
    """A link being read: it gets its number when its first visible text arrives, so an
    empty anchor (Discourse's heading anchors) takes no number."""

    url: str
    kind: LinkKind
    number: int | None = None
    parts: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Style:
    bold: bool = False
    italic: bool = False
    code: bool = False
    strike: bool = False
    mention: bool = False
    link: PendingLink | None = None


_Key: TypeAlias = tuple[bool, bool, bool, bool, int | None, bool]


class InlineBuilder:
    """Collects styled text for one paragraph (heading, cell...) and normalises it the way a
    browser lays it out: whitespace collapsed, none at line starts or ends, equal styles merged.
    Every text is sanitised on the way in."""

    def __init__(self, links: LinkRegistry) -> None:
        self.links = links
        self._pieces: list[tuple[str, _Key]] = []

    def add(self, text: str, style: Style) -> None:
        text = clean(text)
        text = text.replace("\n", " ") if style.code else collapse(text)
        if not text:
            return
        number = None
        pending = style.link
        if pending is not None:
            if pending.number is None and text.strip():
                pending.number = self.links.number(pending.url, pending.kind)
            number = pending.number
            pending.parts.append(text)
        key = (style.bold, style.italic, style.code, style.strike, number, style.mention)
        self._pieces.append((text, key))

    def line_break(self, style: Style) -> None:
        number = style.link.number if style.link is not None else None
        self._pieces.append(("\n", (style.bold, style.italic, False, style.strike, number, False)))

    def open_link(self, url: str, kind: LinkKind = "link") -> PendingLink:
        return PendingLink(url, kind)

    def close_link(self, pending: PendingLink, style: Style) -> None:
        """End a link; one with no text shows its URL (unless it is a bare #fragment)."""
        if pending.number is None:
            url = resolve_url(pending.url, self.links.base_url)
            if not url or url.startswith("#"):
                return
            self.add(url, Style(style.bold, style.italic, False, style.strike, False, pending))
        if pending.number is not None:
            self.links.name(pending.number, "".join(pending.parts))

    def image(self, url: str, alt: str, style: Style) -> None:
        """An image is a link to it, named by its alt text; inside a link it is that
        link's text (a badge linking to a page links to the page)."""
        text = clean_line(alt).strip() or "image"
        if style.link is not None:
            self.add(text, style)
            return
        pending = self.open_link(url, "image")
        self.add(text, Style(style.bold, style.italic, False, style.strike, False, pending))
        self.close_link(pending, style)

    def has_text(self) -> bool:
        return any(text.strip() for text, _ in self._pieces)

    def take(self) -> Spans:
        """The spans so far (normalised); the builder starts afresh."""
        pieces, self._pieces = self._pieces, []
        return _normalise(pieces)


def _normalise(pieces: Sequence[tuple[str, _Key]]) -> Spans:
    out: list[tuple[str, _Key]] = []

    def trim_end() -> None:
        """Drop the spaces before a line break or the end (never inside code)."""
        while out:
            text, key = out[-1]
            if text == "\n" or key[2]:
                return
            stripped = text.rstrip(" ")
            if stripped:
                out[-1] = (stripped, key)
                return
            out.pop()

    line_start = True
    for text, key in pieces:
        if text == "\n":
            trim_end()
            out.append((text, key))
            line_start = True
            continue
        if not key[2]:  # not code: one space across piece boundaries, none at line starts
            after_space = bool(out) and not out[-1][1][2] and out[-1][0].endswith(" ")
            if line_start or after_space:
                text = text.lstrip(" ")
            if not text:
                continue
        out.append((text, key))
        line_start = False
    trim_end()
    while out and out[-1][0] == "\n":
        out.pop()
        trim_end()
    while out and out[0][0] == "\n":
        out.pop(0)

    merged: list[tuple[str, _Key]] = []
    for text, key in out:
        if merged and merged[-1][1] == key:
            merged[-1] = (merged[-1][0] + text, key)
        else:
            merged.append((text, key))
    return tuple(
        Span(text, bold, italic, code, strike, link, mention)
        for text, (bold, italic, code, strike, link, mention) in merged
    )


# --- reading a document back as text -------------------------------------------------------


def spans_text(spans: Iterable[Span]) -> str:
    return "".join(span.text for span in spans)


def _block_texts(blocks: Iterable[Block]) -> Iterator[str]:
    for block in blocks:
        match block:
            case Paragraph(spans) | Heading(_, spans):
                yield spans_text(spans)
            case CodeBlock(code, _):
                yield code
            case Quote(inner) | Details(_, inner):
                if isinstance(block, Details) and block.summary:
                    yield block.summary
                yield from _block_texts(inner)
            case ListBlock(_, _, items):
                for item in items:
                    yield from _block_texts(item)
            case Table(header, rows, _):
                for row in (header, *rows):
                    yield " ".join(spans_text(cell) for cell in row)
            case Rule():
                pass


def plain_text(doc: Document) -> str:
    """All the words of a document, one block a line, for search indexes."""
    return "\n".join(text for text in _block_texts(doc.blocks) if text)


_GLUE = "\x00"  # never in span text (sanitised away): keeps "[n]" on its link's line


def _inline_plain(spans: Spans) -> str:
    """Span text with "[n]" after each link's text (glued to it until wrapped)."""
    out: list[str] = []
    for i, span in enumerate(spans):
        out.append(span.text)
        following = spans[i + 1].link if i + 1 < len(spans) else None
        if span.link is not None and following != span.link:
            out.append(f"{_GLUE}[{span.link}]")
    return "".join(out)


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for line in text.split("\n"):
        wrapped = textwrap.wrap(
            line, width, break_long_words=False, break_on_hyphens=False, expand_tabs=False
        )
        lines.extend(wrapped or [""])
    return [line.replace(_GLUE, " ") for line in lines]


def _indent(lines: list[str], first: str, rest: str) -> list[str]:
    return [(first if i == 0 else rest) + line if line else "" for i, line in enumerate(lines)]


_MIN_WIDTH = 20


def _plain_blocks(blocks: Sequence[Block], width: int, *, gap: bool = True) -> list[str]:
    out: list[str] = []
    for block in blocks:
        lines = _plain_block(block, width)
        if not lines:
            continue
        if out and gap:
            out.append("")
        out.extend(lines)
    return out


def _plain_block(block: Block, width: int) -> list[str]:
    inner = max(width, _MIN_WIDTH)
    match block:
        case Paragraph(spans):
            return _wrap(_inline_plain(spans), inner)
        case Heading(level, spans):
            text = _inline_plain(spans).replace("\n", " ")
            if not text.strip():
                return []
            if level <= 2:
                lines = _wrap(text, inner)
                underline = "=" if level == 1 else "-"
                return [*lines, underline * max(len(line) for line in lines)]
            return _wrap("#" * level + " " + text, inner)
        case CodeBlock(code, _):
            return ["    " + line if line else "" for line in code.split("\n")]
        case Quote(inner_blocks, author):
            body = _plain_blocks(inner_blocks, inner - 2)
            lines = ["> " + line if line else ">" for line in body]
            return [f"{author} wrote:", *lines] if author else lines
        case ListBlock(ordered, start, items):
            lines = []
            markers = [f"{start + i}. " if ordered else "- " for i in range(len(items))]
            pad = max((len(m) for m in markers), default=2)
            for marker, item in zip(markers, items, strict=True):
                body = _plain_blocks(item, inner - pad, gap=False) or [""]
                lines.extend(_indent(body, marker.ljust(pad), " " * pad))
                if not body[0]:
                    lines[len(lines) - len(body)] = marker.rstrip()
            return lines
        case Table(header, rows, align):
            return _plain_table(header, rows, align)
        case Rule():
            return ["-" * min(inner, 40)]
        case Details(summary, inner_blocks):
            body = _plain_blocks(inner_blocks, inner - 2)
            return [*_wrap(summary, inner), *_indent(body, "  ", "  ")]


def _plain_table(
    header: tuple[Spans, ...], rows: tuple[tuple[Spans, ...], ...], align: tuple[Align | None, ...]
) -> list[str]:
    grid = [
        [_inline_plain(cell).replace("\n", " ").replace(_GLUE, " ") for cell in row]
        for row in (header, *rows)
    ]
    columns = max((len(row) for row in grid), default=0)
    for row in grid:
        row.extend([""] * (columns - len(row)))
    widths = [max(len(row[c]) for row in grid) for c in range(columns)]

    def line(row: list[str]) -> str:
        cells = []
        for c, text in enumerate(row):
            how = align[c] if c < len(align) else None
            if how == "right":
                cells.append(text.rjust(widths[c]))
            elif how == "center":
                cells.append(text.center(widths[c]))
            else:
                cells.append(text.ljust(widths[c]))
        return "  ".join(cells).rstrip()

    lines = []
    if header:
        lines.append(line(grid[0]))
        lines.append("  ".join("-" * max(w, 1) for w in widths))
    lines.extend(line(row) for row in grid[1:])
    return lines


def to_plain(doc: Document, width: int = 80) -> str:
    """The document as readable wrapped text (`cohort read --plain`, screen readers):
    headings underlined, quotes prefixed "> ", code indented, links "text [n]" with the
    numbered list of their URLs at the end."""
    lines = _plain_blocks(doc.blocks, width)
    if doc.links:
        if lines:
            lines.append("")
        for link in doc.links:
            suffix = "" if link.kind == "link" else f" ({link.kind})"
            lines.append(f"[{link.number}] {link.url}{suffix}")
    return "\n".join(lines)
