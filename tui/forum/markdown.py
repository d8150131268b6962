"""Markdown (a post's `raw`) into a `Document`, with markdown-it-py.

CommonMark plus tables and strikethrough, as Discourse writes them, and Discourse's own
additions: `[quote="user, post:3, topic:12"]...[/quote]`, `[details="Summary"]...[/details]`,
@mentions, `![alt|690x388](...)` image sizes and `[file|attachment](...)` links. Raw HTML is
off (it shows as the text it is); newlines inside a paragraph are line breaks, as on
Discourse. Bare http(s) URLs become links through linkify-it-py, the port of the linkify-it
that Discourse itself uses, so they end where Discourse's cooked links end.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token

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
    PendingLink,
    Quote,
    Rule,
    Spans,
    Style,
    Table,
)
from tui.forum.sanitize import clean, clean_line

# Discourse usernames: word characters, dots and dashes, not ending in either.
MENTION = re.compile(r"(?<![\w@/])@(\w(?:[\w.-]*\w)?)")
_IMAGE_SIZE = re.compile(r"^\s*\d+\s*x\s*\d+\s*(?:,\s*\d+%\s*)?$")
_ATTACHMENT = "|attachment"
_MAX_BBCODE_DEPTH = 20  # nested [quote]s beyond this stay text: no unbounded recursion
_DEPTH_KEY = "cohort_bbcode_depth"


def parse(raw: str, *, base_url: str | None = None) -> Document:
    """The document for a post's Markdown. Relative link targets are joined to `base_url`
    when given; links are numbered in order of first appearance, one number per URL."""
    tokens = _md().parse(raw, {})
    reader = _Reader(LinkRegistry(base_url))
    blocks = reader.blocks(tokens)
    return Document(tuple(blocks), reader.links.links())


_local = threading.local()


def _md() -> MarkdownIt:
    """One parser per thread: linkify-it keeps state between its test and match calls."""
    md: MarkdownIt | None = getattr(_local, "md", None)
    if md is None:
        md = _local.md = _new_md()
    return md


def _new_md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": True})
    md.enable(["table", "strikethrough", "linkify"])
    if md.linkify is None:  # pragma: no cover - a declared dependency
        raise RuntimeError("linkify-it-py is missing: reinstall cohort")
    # Only explicit http(s) URLs: no "example.com" guesses, no bare e-mail addresses.
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
    for schema in ("ftp:", "//", "mailto:"):
        md.linkify.add(schema, None)
    # Keep every link as a link (so its target can be shown), whatever its scheme: whether
    # one may be opened is decided by `is_openable`, never by the parser.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.block.ruler.before(
        "fence",
        "discourse_bbcode",
        _bbcode_block,
        {"alt": ["paragraph", "reference", "blockquote", "list"]},
    )
    return md


# --- Discourse [quote] and [details] blocks -------------------------------------------------

_OPEN = re.compile(r'\[(quote|details)(?:=("[^"\n]*"|[^\]\n]*))?\]', re.IGNORECASE)


def _tags(name: str) -> re.Pattern[str]:
    return re.compile(r"\[(/?)" + name + r'(?:=(?:"[^"\n]*"|[^\]\n]*))?\]', re.IGNORECASE)


_TAGS = {"quote": _tags("quote"), "details": _tags("details")}


def _bbcode_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """`[quote...]` / `[details...]` at a line start, up to its matching closing tag at a
    line end (nesting counted). Without a matching close it is left to be plain text."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    depth_now = int(state.env.get(_DEPTH_KEY, 0))
    if depth_now >= _MAX_BBCODE_DEPTH:
        return False
    first = state.getLines(start, start + 1, state.blkIndent, False).lstrip(" ")
    opening = _OPEN.match(first)
    if opening is None:
        return False
    name = opening.group(1).lower()
    tags = _TAGS[name]

    depth = 0
    found: tuple[int, str, int] | None = None  # line, its text, where the close starts
    line = start
    while line < end and found is None:
        if line > start and not state.isEmpty(line) and state.sCount[line] < state.blkIndent:
            return False  # the container (list item, quote) ends before the close
        text = first if line == start else state.getLines(line, line + 1, state.blkIndent, False)
        for tag in tags.finditer(text, opening.end() if line == start else 0):
            if not tag.group(1):
                depth += 1
                if depth >= _MAX_BBCODE_DEPTH:
                    return False
            elif depth:
                depth -= 1
            else:
                if text[tag.end() :].strip():
                    return False  # text after the close: not a block Discourse makes either
                found = (line, text, tag.start())
                break
        line += 1
    if found is None:
        return False
    if silent:
        return True

    close_line, close_text, close_at = found
    if close_line == start:
        inner = first[opening.end() : close_at]
    else:
        parts = [first[opening.end() :]]
        if close_line > start + 1:
            parts.append(state.getLines(start + 1, close_line, state.blkIndent, False))
        parts.append(close_text[:close_at])
        inner = "\n".join(parts)

    state.env[_DEPTH_KEY] = depth_now + 1
    try:
        children = state.md.parse(inner, state.env)
    finally:
        state.env[_DEPTH_KEY] = depth_now
    token = state.push("discourse_bbcode", "", 0)
    token.meta = {"name": name, "attr": opening.group(2) or "", "tokens": children}
    token.map = [start, close_line + 1]
    state.line = close_line + 1
    return True


def quote_attribution(attr: str) -> tuple[str | None, int | None, int | None]:
    """`"alice, post:3, topic:12"` -> ("alice", 3, 12); `username:` wins over a display name."""
    attr = attr.strip()
    if len(attr) >= 2 and attr[0] == attr[-1] == '"':
        attr = attr[1:-1]
    parts = [part.strip() for part in attr.split(",")]
    author = clean_line(parts[0]).strip() or None
    fields: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, value = part.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()
    if fields.get("username"):
        author = clean_line(fields["username"]).strip() or author
    return author, _int(fields.get("post")), _int(fields.get("topic"))


def _int(text: str | None) -> int | None:
    if text is None or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def _summary(attr: str) -> str:
    attr = attr.strip()
    if len(attr) >= 2 and attr[0] == attr[-1] == '"':
        attr = attr[1:-1]
    return clean_line(attr).strip()


# --- tokens to blocks -------------------------------------------------------------------------


def _close(tokens: Sequence[Token], i: int) -> int:
    """Index of the token closing `tokens[i]`."""
    opening = tokens[i]
    want = opening.type.removesuffix("_open") + "_close"
    for j in range(i + 1, len(tokens)):
        if tokens[j].type == want and tokens[j].level == opening.level:
            return j
    return len(tokens) - 1


def _language(info: str) -> str | None:
    words = clean_line(info).split()
    if not words or words[0].lower() == "auto":
        return None
    return words[0]


def _align(token: Token) -> Align | None:
    style = str(token.attrGet("style") or "")
    for how in ("left", "center", "right"):
        if f"text-align:{how}" in style.replace(" ", ""):
            return how
    return None


class _Reader:
    def __init__(self, links: LinkRegistry) -> None:
        self.links = links

    def blocks(self, tokens: Sequence[Token]) -> list[Block]:
        out: list[Block] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind == "paragraph_open" or kind == "heading_open":
                end = _close(tokens, i)
                spans = self.inline_range(tokens[i + 1 : end])
                if kind == "heading_open":
                    out.append(Heading(int(token.tag[1:]), spans))
                elif spans:
                    out.append(Paragraph(spans))
                i = end
            elif kind in ("fence", "code_block"):
                language = _language(token.info) if kind == "fence" else None
                out.append(CodeBlock(clean(token.content.removesuffix("\n")), language))
            elif kind == "blockquote_open":
                end = _close(tokens, i)
                out.append(Quote(tuple(self.blocks(tokens[i + 1 : end]))))
                i = end
            elif kind in ("bullet_list_open", "ordered_list_open"):
                end = _close(tokens, i)
                out.append(self.list_block(tokens, i, end))
                i = end
            elif kind == "table_open":
                end = _close(tokens, i)
                out.append(self.table(tokens[i + 1 : end]))
                i = end
            elif kind == "hr":
                out.append(Rule())
            elif kind == "discourse_bbcode":
                out.append(self.bbcode(token))
            elif kind == "html_block":  # only reached if HTML were enabled
                spans = self.inline_range([token])
                if spans:
                    out.append(Paragraph(spans))
            i += 1
        return out

    def bbcode(self, token: Token) -> Block:
        meta: dict[str, Any] = token.meta
        inner = tuple(self.blocks(meta["tokens"]))
        if meta["name"] == "details":
            return Details(_summary(meta["attr"]), inner)
        author, post, topic = quote_attribution(meta["attr"])
        return Quote(inner, author, post, topic)

    def list_block(self, tokens: Sequence[Token], i: int, end: int) -> ListBlock:
        ordered = tokens[i].type == "ordered_list_open"
        start = tokens[i].attrGet("start")
        items: list[tuple[Block, ...]] = []
        j = i + 1
        while j < end:
            if tokens[j].type == "list_item_open":
                item_end = _close(tokens, j)
                items.append(tuple(self.blocks(tokens[j + 1 : item_end])))
                j = item_end
            j += 1
        return ListBlock(ordered, int(start) if start is not None else 1, tuple(items))

    def table(self, tokens: Sequence[Token]) -> Table:
        header: list[Spans] = []
        rows: list[tuple[Spans, ...]] = []
        align: list[Align | None] = []
        row: list[Spans] = []
        in_head = False
        for j, token in enumerate(tokens):
            if token.type == "thead_open":
                in_head = True
            elif token.type == "thead_close":
                in_head = False
            elif token.type in ("th_open", "td_open"):
                if in_head:
                    align.append(_align(token))
                inline = tokens[j + 1] if j + 1 < len(tokens) else None
                row.append(self.inline_range([inline] if inline is not None else []))
            elif token.type == "tr_close":
                if in_head:
                    header = row
                else:
                    rows.append(tuple(row))
                row = []
        return Table(tuple(header), tuple(rows), tuple(align))

    def inline_range(self, tokens: Sequence[Token]) -> Spans:
        builder = InlineBuilder(self.links)
        for token in tokens:
            if token.type == "inline" and token.children is not None:
                self.inline(token.children, builder)
            elif token.type == "html_block":
                builder.add(token.content, Style())
        return builder.take()

    def inline(self, children: Sequence[Token], builder: InlineBuilder) -> None:
        bold = italic = strike = 0
        links: list[PendingLink] = []
        strip_suffix: set[int] = set()  # text tokens ending in "|attachment"

        def style(**extra: bool) -> Style:
            return Style(
                bold=bold > 0,
                italic=italic > 0,
                strike=strike > 0,
                link=links[-1] if links else None,
                **extra,
            )

        for k, token in enumerate(children):
            kind = token.type
            if kind in ("text", "text_special", "html_inline"):
                text = token.content
                if k in strip_suffix:
                    text = text.removesuffix(_ATTACHMENT)
                if links:
                    builder.add(text, style())
                else:
                    _add_with_mentions(builder, text, style())
            elif kind == "code_inline":
                builder.add(token.content, style(code=True))
            elif kind in ("softbreak", "hardbreak"):
                builder.line_break(style())
            elif kind in ("strong_open", "strong_close"):
                bold += 1 if kind.endswith("open") else -1
            elif kind in ("em_open", "em_close"):
                italic += 1 if kind.endswith("open") else -1
            elif kind in ("s_open", "s_close"):
                strike += 1 if kind.endswith("open") else -1
            elif kind == "link_open":
                link_kind: LinkKind = "link"
                last_text = _attachment_text(children, k)
                if last_text is not None:
                    link_kind = "attachment"
                    strip_suffix.add(last_text)
                links.append(builder.open_link(str(token.attrGet("href") or ""), link_kind))
            elif kind == "link_close" and links:
                pending = links.pop()
                builder.close_link(pending, style())
            elif kind == "image":
                alt = _image_alt("".join(child.content for child in token.children or ()))
                builder.image(str(token.attrGet("src") or ""), alt, style())


def _attachment_text(children: Sequence[Token], k: int) -> int | None:
    """For a link_open at `k`: the index of its last text token when the link's text ends
    in Discourse's "|attachment" marker, else None."""
    level = children[k].level
    last: int | None = None
    for j in range(k + 1, len(children)):
        token = children[j]
        if token.type == "link_close" and token.level == level:
            break
        if token.type == "text":
            last = j
    if last is not None and children[last].content.endswith(_ATTACHMENT):
        return last
    return None


def _image_alt(alt: str) -> str:
    """Discourse writes sizes into the alt text (`name|690x388, 50%`): keep the name."""
    name, sep, rest = alt.partition("|")
    if sep and (_IMAGE_SIZE.match(rest) or rest.strip() == "attachment"):
        return name
    return alt


def _add_with_mentions(builder: InlineBuilder, text: str, style: Style) -> None:
    at = 0
    for match in MENTION.finditer(text):
        builder.add(text[at : match.start()], style)
        builder.add(match.group(0), replace(style, mention=True))
        at = match.end()
    builder.add(text[at:], style)
