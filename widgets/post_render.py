"""A post's `Document` as lines of rich `Text` at a given width.

The thread view draws posts line by line (Textual's Line API), so a post is needed as a
list of lines that each fit the width, not as one renderable. Every string in a Document
is already sanitised; here it only ever becomes `Text` built span by span (never a markup
string), so "[@click=app.quit]x[/]" in a post is shown as typed and does nothing.

Styles come in as a `PostStyles` (the thread view fills it from its component classes, so
themes restyle posts); `Glyphs` picks Unicode or ASCII for bullets, bars and rules.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text

from tui.forum.document import (
    Align,
    Block,
    CodeBlock,
    Details,
    Document,
    Heading,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    Span,
    Spans,
    Table,
)


@dataclass(frozen=True, slots=True)
class Glyphs:
    """The symbols posts are drawn with; ASCII ones for terminals that cannot show more."""

    bullets: tuple[str, ...] = ("•", "◦", "▪")
    quote_bar: str = "│ "
    rule: str = "─"
    details: str = "▸ "
    ellipsis: str = "…"


UNICODE_GLYPHS = Glyphs()
ASCII_GLYPHS = Glyphs(
    bullets=("-", "*", "+"), quote_bar="| ", rule="-", details="> ", ellipsis="..."
)


_PLAIN = Style()
_BOLD = Style(bold=True)
_DIM = Style(dim=True)
_DIM_ITALIC = Style(dim=True, italic=True)
_UNDERLINE = Style(underline=True)


@dataclass(frozen=True, slots=True)
class PostStyles:
    """How each part of a post looks. Defaults are plain attributes (no colours), so a
    post renders sensibly even outside a themed widget."""

    link: Style = _UNDERLINE
    link_number: Style = _DIM
    mention: Style = _BOLD
    code: Style = _BOLD
    code_block: Style = _PLAIN
    heading: Style = _BOLD
    quote: Style = _PLAIN
    quote_bar: Style = _DIM
    quote_author: Style = _DIM_ITALIC
    rule: Style = _DIM
    details: Style = _BOLD
    table_header: Style = _BOLD
    syntax_theme: str = "ansi_dark"
    glyphs: Glyphs = UNICODE_GLYPHS


DEFAULT_STYLES = PostStyles()
CODE_INDENT = 2
_TAB_SIZE = 4


@functools.cache
def _console() -> Console:
    """A console used only to measure and wrap text (it never writes anywhere)."""
    return Console(width=1000, color_system=None, force_terminal=False, file=io.StringIO())


def render_document(
    doc: Document,
    width: int,
    *,
    styles: PostStyles = DEFAULT_STYLES,
    topic_id: int | None = None,
    wait_for_lexers: bool = True,
) -> list[Text]:
    """The lines of `doc` at `width` cells, none wider. `topic_id` is the thread the post
    belongs to, so a quote from another topic can say where it came from. With
    `wait_for_lexers` off, code in a language whose highlighter is not loaded yet shows
    plain (same lines, no colours) and the language is noted for `take_wanted_languages`:
    loading one costs tens of milliseconds the first time, too long for a first frame."""
    width = max(1, width)
    renderer = _Renderer(styles, topic_id, wait_for_lexers)
    lines = renderer.blocks(doc.blocks, width)
    return [fit(line, width, styles.glyphs.ellipsis) for line in lines]


def fit(line: Text, width: int, ellipsis: str = "…") -> Text:
    """`line` cut to `width` cells with an ellipsis when it is wider (never wider after).
    Tabs become spaces first: a tab sent to a terminal would move its cursor."""
    if "\t" in line.plain:
        line.expand_tabs(_TAB_SIZE)
    if line.cell_len <= width:
        return line
    mark = ellipsis if len(ellipsis) < width else ""
    line.truncate(width - len(mark), overflow="crop")
    if mark:
        line.append(mark, Style(dim=True))
    if line.cell_len > width:  # a wide character straddled the cut
        line.truncate(width, overflow="crop")
    return line


def inline_text(spans: Spans, styles: PostStyles = DEFAULT_STYLES) -> Text:
    """Spans as one `Text`; a link's text is followed by its dim number, "docs[1]"."""
    text = Text()
    for i, span in enumerate(spans):
        text.append(span.text, _span_style(span, styles))
        following = spans[i + 1].link if i + 1 < len(spans) else None
        if span.link is not None and following != span.link:
            text.append(f"[{span.link}]", styles.link_number)
    return text


def _span_style(span: Span, styles: PostStyles) -> Style:
    style = Style(
        bold=span.bold or None,
        italic=span.italic or None,
        strike=span.strike or None,
    )
    if span.code:
        style += styles.code
    if span.link is not None:
        style += styles.link
    if span.mention:
        style += styles.mention
    return style


@functools.lru_cache(maxsize=64)
def _known_language(language: str) -> bool:
    """Whether Pygments has a lexer of that name (a miss is slow to find: remembered)."""
    return Syntax("", language).lexer is not None


_loaded: set[str] = set()  # languages whose highlighter has been imported
_wanted: set[str] = set()  # languages asked for (without waiting) but not loaded yet
_languages_lock = threading.Lock()


def load_language(language: str) -> None:
    """Import the highlighter for `language` (safe in a worker thread)."""
    language = language.lower()
    if _known_language(language):
        Syntax("x", language).highlight("x")
    with _languages_lock:
        _loaded.add(language)
        _wanted.discard(language)


_WARM_UP_SAMPLE = """# Heading

Text with **bold**, `code`, a [link](https://example.com) and @someone.

- a list
  1. nested

> a quote

| a | b |
|---|--:|
| 1 | 2 |

```python
def f(x):
    return x
```
"""


def warm_up(languages: Sequence[str] = ("python",)) -> None:
    """Pay the first-use costs of showing posts (importing the Markdown parser and the
    highlighters, compiling their patterns: over 100 ms) ahead of time. Safe in a worker
    thread: an app can call it once its first screen is up, so the first thread opened
    does not pay them."""
    from tui.forum import markdown

    render_document(markdown.parse(_WARM_UP_SAMPLE), 40, wait_for_lexers=False)
    for language in languages:
        load_language(language)


def take_wanted_languages() -> set[str]:
    """The languages code was shown plain for, waiting for `load_language` (once each)."""
    with _languages_lock:
        wanted = set(_wanted)
        _wanted.clear()
        return wanted - _loaded


def highlight(
    code: str, language: str | None, theme: str = "ansi_dark", *, wait: bool = True
) -> list[Text]:
    """The code's lines, syntax-highlighted when its language is known (plain otherwise:
    guessing a language is slow and often wrong). Without `wait`, a language whose
    highlighter is not loaded yet is noted as wanted and the code shown plain; the lines
    are the same either way, only their colours differ."""
    language = language.lower() if language else None
    if language is not None and language not in _loaded:
        if wait:
            load_language(language)
        else:
            with _languages_lock:
                _wanted.add(language)
            language = None
    if language is None or not _known_language(language):
        text = Text(code)
    else:
        syntax = Syntax(code, language, theme=theme, background_color="default", tab_size=_TAB_SIZE)
        text = syntax.highlight(code)
    text.rstrip()
    text.expand_tabs(_TAB_SIZE)
    lines = list(text.split("\n", allow_blank=True))
    while lines and not lines[-1].plain:
        lines.pop()
    return lines


class _Renderer:
    def __init__(self, styles: PostStyles, topic_id: int | None, wait: bool = True) -> None:
        self.styles = styles
        self.glyphs = styles.glyphs
        self.topic_id = topic_id
        self.wait = wait

    def blocks(
        self, blocks: Sequence[Block], width: int, *, gap: bool = True, depth: int = 0
    ) -> list[Text]:
        out: list[Text] = []
        for block in blocks:
            lines = self.block(block, width, depth)
            if not lines:
                continue
            if out and gap:
                out.append(Text())
            out.extend(lines)
        return out

    def block(self, block: Block, width: int, depth: int) -> list[Text]:
        styles = self.styles
        match block:
            case Paragraph(spans):
                return wrap(inline_text(spans, styles), width)
            case Heading(level, spans):
                text = inline_text(spans, styles)
                text.plain = text.plain.replace("\n", " ")
                if not text.plain.strip():
                    return []
                text.stylize(styles.heading + Style(underline=level == 1 or None))
                return wrap(text, width)
            case CodeBlock(code, language):
                return self.code(code, language, width)
            case Quote(inner, author, post_number, topic_id):
                return self.quote(inner, author, post_number, topic_id, width)
            case ListBlock(ordered, start, items):
                return self.list_block(ordered, start, items, width, depth)
            case Table(header, rows, align):
                return self.table(header, rows, align, width)
            case Rule():
                return [Text(self.glyphs.rule * width, styles.rule)]
            case Details(summary, inner):
                head = Text(self.glyphs.details, styles.details)
                head.append(summary, styles.details)
                body = self.blocks(inner, width - 2)
                return [*wrap(head, width), *_prefixed(body, Text("  "))]

    def code(self, code: str, language: str | None, width: int) -> list[Text]:
        """Code indented in a band of its own background, long lines folded, not cut."""
        inner = max(1, width - CODE_INDENT)
        lines: list[Text] = []
        for line in highlight(code, language, self.styles.syntax_theme, wait=self.wait):
            if line.cell_len <= inner:
                lines.append(line)
            else:
                lines.extend(line.wrap(_console(), inner, overflow="fold"))
        band = min(inner, max((line.cell_len for line in lines), default=0))
        out = []
        for line in lines:
            line.pad_right(band - line.cell_len)
            line.stylize_before(self.styles.code_block)
            out.append(Text(" " * CODE_INDENT) + line)
        return out

    def quote(
        self,
        inner: Sequence[Block],
        author: str | None,
        post_number: int | None,
        topic_id: int | None,
        width: int,
    ) -> list[Text]:
        bar = Text(self.glyphs.quote_bar, self.styles.quote_bar)
        body = self.blocks(inner, width - bar.cell_len)
        for line in body:
            line.stylize_before(self.styles.quote)
        lines = _prefixed(body, bar, blank=Text(self.glyphs.quote_bar.rstrip(), bar.style))
        if author:
            where = ""
            if topic_id is not None and topic_id != self.topic_id:
                where = f" in topic {topic_id}" + (f" #{post_number}" if post_number else "")
            elif post_number is not None:
                where = f" in #{post_number}"
            head = Text(author, self.styles.quote_author + Style(bold=True))
            head.append(f" wrote{where}:", self.styles.quote_author)
            lines = [*wrap(head, width), *lines]
        return lines

    def list_block(
        self,
        ordered: bool,
        start: int,
        items: Sequence[Sequence[Block]],
        width: int,
        depth: int,
    ) -> list[Text]:
        bullets = self.glyphs.bullets
        markers = [
            f"{start + i}." if ordered else bullets[depth % len(bullets)] for i in range(len(items))
        ]
        pad = max((len(m) for m in markers), default=1) + 1
        lines: list[Text] = []
        for marker, item in zip(markers, items, strict=True):
            body = self.blocks(item, width - pad, gap=False, depth=depth + 1) or [Text()]
            first = Text(marker.rjust(pad - 1) + " " if ordered else marker.ljust(pad))
            lines.append(first + body[0])
            lines.extend(_prefixed(body[1:], Text(" " * pad)))
        return lines

    def table(
        self,
        header: tuple[Spans, ...],
        rows: tuple[tuple[Spans, ...], ...],
        align: tuple[Align | None, ...],
        width: int,
    ) -> list[Text]:
        """Columns as wide as their widest cell, narrowed (widest first) to fit `width`;
        a cell too long for its column ends in an ellipsis."""
        grid = [
            [_one_line(inline_text(cell, self.styles)) for cell in row] for row in (header, *rows)
        ]
        if not header:
            grid = grid[1:]
        columns = max((len(row) for row in grid), default=0)
        if not columns:
            return []
        for row in grid:
            row.extend(Text() for _ in range(columns - len(row)))
        natural = [max(1, *(row[c].cell_len for row in grid)) for c in range(columns)]
        widths = _fit_columns(natural, max(columns, width - 2 * (columns - 1)))
        ellipsis = self.glyphs.ellipsis
        out = []
        for r, row in enumerate(grid):
            cells = []
            for c, cell in enumerate(row):
                fit(cell, widths[c], ellipsis)
                how = align[c] if c < len(align) else None
                cell.align(how or "left", widths[c])
                cells.append(cell)
            line = Text("  ").join(cells)
            line.rstrip()
            if header and r == 0:
                line.stylize(self.styles.table_header)
            out.append(line)
            if header and r == 0:
                out.append(Text("  ".join(self.glyphs.rule * w for w in widths), self.styles.rule))
        return out


def _fit_columns(natural: list[int], room: int) -> list[int]:
    """Column widths summing to at most `room`: the widest columns give way first."""
    if sum(natural) <= room:
        return natural
    low, high = 1, max(natural)
    while low < high:  # the largest cap under which the columns fit
        cap = (low + high + 1) // 2
        if sum(min(n, cap) for n in natural) <= room:
            low = cap
        else:
            high = cap - 1
    widths = [min(n, low) for n in natural]
    spare = room - sum(widths)
    for c, n in enumerate(natural):  # hand what is left to the columns that were cut
        if spare <= 0:
            break
        if n > widths[c]:
            widths[c] += 1
            spare -= 1
    return widths


def _one_line(text: Text) -> Text:
    text.plain = text.plain.replace("\n", " ")
    return text


def wrap(text: Text, width: int) -> list[Text]:
    """Word-wrapped lines of `text` (words longer than the width are folded)."""
    width = max(1, width)
    if "\n" not in text.plain and text.cell_len <= width:
        return [text]
    return list(text.wrap(_console(), width, overflow="fold"))


def _prefixed(lines: Sequence[Text], prefix: Text, blank: Text | None = None) -> list[Text]:
    """Each line after `prefix` (empty lines get `blank`, or nothing, instead)."""
    out = []
    for line in lines:
        if line.plain:
            out.append(prefix.copy() + line)
        else:
            out.append(blank.copy() if blank is not None else Text())
    return out
