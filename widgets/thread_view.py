"""A thread as one virtual, line-by-line view: the reply tree with guide lines, or the
posts in the order they were written.

Modelled on Toolong's log view: a `ScrollView` on Textual's Line API whose
`virtual_size` is the whole thread and whose `render_line` draws one line at a time
from an LRU cache of rendered strips. No widget per post, and no post is rendered
before it is about to be seen: each post's height starts as an estimate from the length
of its text and becomes exact when the post comes into view (or is jumped to). Whenever
a height changes, the scroll offset moves by the same amount above the post being read,
so the view never jumps under the reader, and a 10,000-post thread opens as fast as a
10-post one.

The selected post's header line takes the selection background and a bar runs down its
left edge, so moving the selection rewrites two header lines and one column of cells (about
1 KiB at 120x40, where Textual's DataTable needs 0.7 KiB) unless the view has to scroll;
`highlight="block"` colours every line of the post instead, at two to three times that.

Display only: it is handed sanitised models and draws them as rich `Text` (never markup),
so a post holding "[@click=app.quit]x[/]" shows those characters and clicking them only
selects the post.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar, Literal

from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker, WorkerState

from tui.forum.document import EMPTY, DocLink, Document, render_post
from tui.forum.models import Post, TopicPage
from tui.forum.sanitize import clean_line
from widgets import post_render
from widgets.formatting import UNICODE_MARKS, Marks, ago
from widgets.post_render import ASCII_GLYPHS, UNICODE_GLYPHS, Glyphs, PostStyles

Order = Literal["tree", "chrono"]

BAR_WIDTH = 1  # the column left of every post where the selected one shows a bar
MAX_DEPTH = 6  # guide levels drawn; deeper replies stay at this level, marked "↳N"
SCROLL_CONTEXT = 3  # lines of the neighbouring post kept in view when a move scrolls
MIN_BODY_WIDTH = 24  # the guides stop indenting before a body gets narrower than this
DEFAULT_WIDTH = 80  # for estimates made before the view knows its size
PENDING_KEYS = 1 << 40  # keys of posts still in the outbox (post number 0): after all others
_TEXT_COMPONENTS = (
    "guide",
    "author",
    "meta",
    "accepted",
    "new",
    "pending",
    "deleted",
    "reactions",
    "hidden",
    "link",
    "link-number",
    "mention",
    "code",
    "heading",
    "quote",
)
LEXER_WORKERS = "thread-view-lexers"
_SETTLE_ROUNDS = 50  # measuring passes before a placement gives up refining (never reached)


@dataclass(frozen=True, slots=True)
class ThreadGlyphs:
    """The guide lines and marks of a thread; ASCII ones where the terminal lacks Unicode."""

    tee: str = "├─"
    elbow: str = "└─"
    pipe: str = "│ "
    space: str = "  "
    reply: str = "↳"
    bar: str = "▌"
    accepted: str = "✓"
    new: str = "●"
    pending: str = "⧗"
    separator: str = " · "
    reactions: tuple[tuple[str, str], ...] = (
        ("like", "♥"),
        ("heart", "♥"),
        ("+1", "👍"),
        ("thumbsup", "👍"),
        ("-1", "👎"),
        ("clap", "👏"),
        ("tada", "🎉"),
        ("laughing", "😆"),
        ("thinking", "🤔"),
        ("eyes", "👀"),
        ("rocket", "🚀"),
        ("open_mouth", "😮"),
        ("confused", "😕"),
        ("hugs", "🤗"),
    )
    post: Glyphs = UNICODE_GLYPHS


UNICODE_THREAD_GLYPHS = ThreadGlyphs()
ASCII_THREAD_GLYPHS = ThreadGlyphs(
    tee="|-",
    elbow="`-",
    pipe="| ",
    reply="^",
    bar="|",
    accepted="+",
    new="*",
    pending="~",
    separator=" - ",
    reactions=(("like", "<3"), ("heart", "<3")),
    post=ASCII_GLYPHS,
)


def glyphs_for(marks: Marks) -> ThreadGlyphs:
    """ASCII guides and marks when the topic marks are ASCII (the terminal's encoding
    cannot carry more: see `widgets.formatting.marks_for`), Unicode ones otherwise."""
    return ASCII_THREAD_GLYPHS if all(m.isascii() for m in marks) else UNICODE_THREAD_GLYPHS


def reactions_text(post: Post, glyphs: ThreadGlyphs = UNICODE_THREAD_GLYPHS) -> str:
    """A post's reactions, compactly: "♥ 3 🎉 1" (a post with only a like count shows
    that). Names without a symbol show as themselves."""
    symbols = dict(glyphs.reactions)
    counts = [(r.name, r.count) for r in post.reactions if r.count > 0]
    if not counts and post.like_count > 0:
        counts = [("like", post.like_count)]
    return " ".join(f"{symbols.get(name, name)} {count}" for name, count in counts)


@dataclass(slots=True)
class _Row:
    """One post's place in the layout."""

    key: int
    depth: int  # guide levels drawn (capped)
    head_guide: str = ""
    body_guide: str = ""
    hidden: int = 0  # replies hidden under it (collapsed)
    reply_to: int | None = None  # shown as "↳N" where the guides do not show the parent
    height: int = 2  # header + body + blank separator; an estimate until `exact`
    exact: bool = False


@dataclass(slots=True)
class _Tree:
    """The reply structure of the posts shown, by key (post number; outbox posts get
    keys above every number)."""

    posts: dict[int, Post] = field(default_factory=dict)
    parent: dict[int, int | None] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)
    roots: list[int] = field(default_factory=list)
    preorder: list[int] = field(default_factory=list)
    depth: dict[int, int] = field(default_factory=dict)
    size: dict[int, int] = field(default_factory=dict)  # the branch's posts, itself included
    by_id: dict[int, int] = field(default_factory=dict)


def build_tree(posts: Iterable[Post]) -> _Tree:
    """Posts arranged by `reply_to_post_number`: a reply goes under the post it answers
    when that post is shown and not deleted (and came before it); every other post,
    and a reply whose parent is missing or deleted, is a top-level post. Siblings are in
    post-number order; outbox posts come after every numbered post."""
    tree = _Tree()
    numbered = sorted((p for p in posts if p.post_number > 0), key=lambda p: p.post_number)
    pending = sorted((p for p in posts if p.post_number <= 0), key=lambda p: (p.created_at, -p.id))
    for post in numbered:
        tree.posts[post.post_number] = post  # a repeated number: the later copy wins
    for i, post in enumerate(pending):
        tree.posts[PENDING_KEYS + i] = post
    for key, post in tree.posts.items():
        tree.by_id[post.id] = key
        parent = post.reply_to_post_number
        found = tree.posts.get(parent) if parent is not None and parent < key else None
        if found is None or found.deleted:
            tree.parent[key] = None
            tree.roots.append(key)
        else:
            assert parent is not None
            tree.parent[key] = parent
            tree.children.setdefault(parent, []).append(key)
    # Depth-first, without recursion (a chain of 10,000 replies is only data).
    stack = list(reversed(tree.roots))
    while stack:
        key = stack.pop()
        parent_key = tree.parent[key]
        tree.depth[key] = 0 if parent_key is None else tree.depth[parent_key] + 1
        tree.preorder.append(key)
        stack.extend(reversed(tree.children.get(key, ())))
    for key in tree.preorder:
        tree.size[key] = 1
    for key in reversed(tree.preorder):
        parent_key = tree.parent[key]
        if parent_key is not None:
            tree.size[parent_key] += tree.size[key]
    return tree


def estimate_body_height(post: Post, width: int) -> int:
    """A cheap guess of a post's rendered body height at `width`, from its text length
    (exact heights need the Markdown parsed, which only visible posts pay for)."""
    if post.deleted:
        return 0
    text = post.raw if post.raw is not None else (post.cooked or "")
    if not text:
        return 0
    length = len(text) if post.raw is not None else len(text) // 2  # HTML is mostly tags
    return text.count("\n") + 1 + length // max(width, 8)


Highlight = Literal["bar", "block"]


class ThreadView(ScrollView, can_focus=True, inherit_bindings=False):
    """The posts of one thread, one line at a time, with a selected post.

    The selected post's header line takes the selection background and a bar runs down
    its left edge (`highlight="bar"`): a move then rewrites two lines and one column.
    `highlight="block"` puts the background across every line of the post instead,
    which costs a full repaint of both posts per move (often over 2 KiB at 120x40).
    """

    # Selection keys (j/k, g g, ...) are the thread screen's, from tui/keymap.py; the view
    # keeps only paging, which Textual's own scroll views bind as well.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
    ]

    KEYS_BY_BINDING_ONLY: ClassVar[bool] = True  # see tui/keys.py: keys run in typing order

    COMPONENT_CLASSES = {
        "thread-view--selected",
        "thread-view--bar",
        *(f"thread-view--{name}" for name in _TEXT_COMPONENTS),
        "thread-view--code-block",
    }

    DEFAULT_CSS = """
    ThreadView {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        & > .thread-view--selected { background: $boost; }
        &:focus > .thread-view--selected { background: $primary 30%; }
        & > .thread-view--bar { color: $text-muted; }
        &:focus > .thread-view--bar { color: $accent; }
        & > .thread-view--guide { color: $text-muted; }
        & > .thread-view--author { color: $text-primary; text-style: bold; }
        & > .thread-view--meta { color: $text-muted; }
        & > .thread-view--accepted { color: $text-success; text-style: bold; }
        & > .thread-view--new { color: $text-accent; text-style: bold; }
        & > .thread-view--pending { color: $text-warning; }
        & > .thread-view--deleted { color: $text-error; text-style: italic; }
        & > .thread-view--reactions { color: $text-secondary; }
        & > .thread-view--hidden { color: $text-muted; text-style: italic; }
        & > .thread-view--link { color: $text-primary; text-style: underline; }
        & > .thread-view--link-number { color: $text-muted; }
        & > .thread-view--mention { color: $text-accent; text-style: bold; }
        & > .thread-view--code { color: $text-warning; }
        & > .thread-view--code-block { background: $boost; }
        & > .thread-view--heading { color: $text; text-style: bold; }
        & > .thread-view--quote { color: $text-muted; }
    }
    """

    class Selected(Message):
        """The selected post changed (or the selected post's content did)."""

        def __init__(self, post: Post, view: ThreadView | None = None) -> None:
            super().__init__()
            self.post = post
            self.view = view

        @property
        def control(self) -> ThreadView | None:
            return self.view

    def __init__(
        self,
        *,
        id: str | None = None,
        marks: Marks = UNICODE_MARKS,
        highlight: Highlight = "bar",
    ) -> None:
        super().__init__(id=id)
        self.glyphs = glyphs_for(marks)
        self.highlight = highlight
        self._order: Order = "tree"
        self._page: TopicPage | None = None
        self._topic_id: int | None = None
        self._last_read: int | None = None
        self._now = datetime.now(UTC)
        self._tree = _Tree()
        self._collapsed: set[int] = set()
        self._rows: list[_Row] = []
        self._row_of: dict[int, int] = {}
        self._tops: list[int] = [0]
        self._stale = False  # posts changed before the view had a size: lay out once it has
        self.reader = ""  # the reader's username: their own posts are never marked new
        self._selected: int | None = None  # a key of `_tree.posts`
        self._announced: Post | None = None  # the post the last Selected message carried
        self._width = 0  # the text width (content less the bar column) of the layout
        self._generation = 0  # bumped by every layout: part of the strip cache's key
        self._pending_place: tuple[int, int] | None = None  # (key, screen row) once sized
        self._settling = False
        self._measured: dict[tuple[int, int], tuple[Post, int]] = {}  # (key, width): height
        self._documents: LRUCache[int, tuple[Post, Document]] = LRUCache(256)
        self._bodies: LRUCache[tuple[int, int], tuple[Post, list[Text]]] = LRUCache(256)
        self._strips: LRUCache[tuple[int, int, int, bool], list[Strip]] = LRUCache(256)
        self._styles: tuple[PostStyles, dict[str, Style]] | None = None
        self.render_count = 0  # post bodies rendered (to measure or to draw): tests count

    # -- what it shows ------------------------------------------------------------------------

    def show(
        self,
        page: TopicPage,
        posts: Sequence[Post],
        *,
        last_read_post_number: int | None,
        keep_selection: bool = True,
        now: datetime | None = None,
    ) -> None:
        """Show the thread `page` with `posts` (every post known so far; the page's own
        first chunk when empty). Called again as more posts arrive or a refresh lands, it
        keeps the selected post, and the post being read where it is on screen.
        `last_read_post_number`: posts after it are marked new (None: nothing is)."""
        previous = self.selected if keep_selection else None
        anchor = self._anchor() if keep_selection else None
        self._page = page
        self._topic_id = page.topic.id
        self._last_read = last_read_post_number
        self._now = now or datetime.now(UTC)
        tree = self._tree = build_tree(posts or page.posts)
        self._collapsed &= set(tree.children)
        key: int | None = None
        if previous is not None:
            key = tree.by_id.get(previous.id)
            if key is None and previous.post_number in tree.posts:
                key = previous.post_number
            if key is None:  # it is gone: the post before it, so the reader stays put
                earlier = [k for k in tree.posts if k <= previous.post_number]
                key = max(earlier) if earlier else None
        if key is None and tree.preorder:
            key = tree.preorder[0]
        if key is not None:
            self._reveal(key)
        self._selected = key
        if anchor is None or anchor[0] not in tree.posts:
            anchor = None if key is None else (key, 0)
        if self._viewport_height():
            self._layout()
            if anchor is not None:
                self._place(self._row_of[anchor[0]], anchor[1])
        else:  # no size yet: lay out once there is one (at the real width, only once)
            self._stale = True
            self._pending_place = anchor
        self._announce()
        self.refresh()

    @property
    def page(self) -> TopicPage | None:
        return self._page

    @property
    def posts(self) -> list[Post]:
        """Every post shown, in the current order (collapsed branches included)."""
        return [self._tree.posts[k] for k in self._keys_in_order()]

    @property
    def selected(self) -> Post | None:
        return None if self._selected is None else self._tree.posts.get(self._selected)

    @property
    def order(self) -> Order:
        return self._order

    @order.setter
    def order(self, order: Order) -> None:
        if order != self._order:
            self._relayout(lambda: setattr(self, "_order", order))

    def toggle_order(self) -> Order:
        """Switch between the reply tree and chronological order; returns the new order."""
        self.order = "chrono" if self._order == "tree" else "tree"
        return self._order

    def is_collapsed(self, post_number: int) -> bool:
        return post_number in self._collapsed

    def toggle_collapse(self) -> bool:
        """Collapse the selected post's branch, or expand it again. False when there is
        nothing to fold: no replies, or chronological order."""
        key = self._selected
        if key is None or self._order != "tree" or not self._tree.children.get(key):
            return False
        collapsed = self._collapsed
        self._relayout(lambda: collapsed.symmetric_difference_update({key}))
        return True

    def links_of(self, post: Post) -> list[DocLink]:
        """The numbered links of `post`, numbered as the view shows them ("text[n]")."""
        return list(self._document(post).links)

    def on_screen(self) -> list[Post]:
        """The posts with at least one line in the viewport now (what has been read)."""
        height = self._viewport_height()
        if not self._rows or not height or self._stale:
            return []
        top = round(self.scroll_offset.y)
        first, last = self._index_at(top), self._index_at(top + height - 1)
        return [self._tree.posts[self._rows[i].key] for i in range(first, last + 1)]

    def line_texts(self) -> list[str]:
        """The plain text of every line of the thread as laid out now, without the bar
        column. It renders every post: for tests and small threads, not for drawing."""
        self._ensure_layout()
        out: list[str] = []
        for index in range(len(self._rows)):
            out.extend(text.plain for text in self._post_lines(index, self._width))
        return out

    # -- navigation (each returns True when the selection moved) ----------------------------

    def select(self, post_number: int) -> bool:
        """Select the post numbered `post_number`, expanding branches that hide it."""
        if post_number not in self._tree.posts:
            return False
        self._ensure_layout()
        if self._reveal(post_number):
            self._relayout(lambda: None)
        return self._select(post_number)

    def move(self, delta: int) -> bool:
        """The post `delta` rows after (before, when negative) the selected one."""
        self._ensure_layout()
        if not self._rows or self._selected is None:
            return False
        index = self._row_of[self._selected]
        target = max(0, min(len(self._rows) - 1, index + delta))
        return self._select(self._rows[target].key)

    def first(self) -> bool:
        self._ensure_layout()
        return bool(self._rows) and self._select(self._rows[0].key)

    def last(self) -> bool:
        self._ensure_layout()
        return bool(self._rows) and self._select(self._rows[-1].key)

    def parent_post(self) -> bool:
        """The post the selected one replies to. (Not `parent`: that is the DOM's.)"""
        key = self._selected
        parent = None if key is None else self._tree.parent.get(key)
        return parent is not None and self.select(parent)

    def sibling(self, delta: int) -> bool:
        """The next (previous, when negative) reply to the same post; for a top-level
        post, the next top-level post."""
        key = self._selected
        if key is None or delta == 0:
            return False
        parent = self._tree.parent.get(key)
        siblings = self._tree.roots if parent is None else self._tree.children[parent]
        index = siblings.index(key) + delta
        return 0 <= index < len(siblings) and self.select(siblings[index])

    def unread(self, delta: int) -> bool:
        """The next (previous) post newer than the last one read, in the order shown;
        branches hiding it are expanded."""
        if self._last_read is None or self._selected is None or delta == 0:
            return False
        keys = self._keys_in_order()
        start = keys.index(self._selected)
        candidates = keys[start + 1 :] if delta > 0 else reversed(keys[:start])
        for key in candidates:
            if self._is_new(self._tree.posts[key]):
                return self.select(key)
        return False

    def page_by(self, delta: int) -> bool:
        """Scroll a screen down (up) and select the post then at the selected one's row."""
        self._ensure_layout()
        if self._selected is None or not self._rows:
            return False
        height = max(1, self._viewport_height())
        row = self._screen_row(self._selected)
        row = 0 if row is None else max(0, min(row, height - 1))
        self._set_scroll(self.scroll_offset.y + delta * height)
        self._settle()
        y = max(0, min(self._tops[-1] - 1, self.scroll_offset.y + row))
        return self._select(self._rows[self._index_at(y)].key)

    def action_page(self, delta: int) -> None:
        self.page_by(delta)

    # -- events -------------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        """Clicking a post selects it (text in posts never carries actions)."""
        offset = event.get_content_offset(self)
        if offset is None or not self._rows:
            return
        y = self.scroll_offset.y + offset.y
        if 0 <= y < self._tops[-1]:
            self._select(self._rows[self._index_at(y)].key, scroll=False)

    def on_resize(self, event: events.Resize) -> None:
        self._ensure_layout()
        self._settle()

    def notify_style_update(self) -> None:
        """A theme or focus change: drop everything drawn with the old styles."""
        super().notify_style_update()
        self._styles = None
        self._bodies.clear()
        self._strips.clear()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._settling and self._rows and round(old_value) != round(new_value):
            self._settle(reference_y=round(old_value))

    # -- drawing ------------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._ensure_layout()
        self._settle()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self._content_width()
        line = self.scroll_offset.y + y
        if not self._rows or not 0 <= line < self._tops[-1]:
            return Strip.blank(width, self.rich_style)
        index = self._index_at(line)
        strips = self._post_strips(index, width)
        offset = line - self._tops[index]
        return strips[offset] if offset < len(strips) else Strip.blank(width, self.rich_style)

    def _post_strips(self, index: int, width: int) -> list[Strip]:
        """Row `index` drawn `width` cells wide: the bar column, then its lines."""
        row = self._rows[index]
        selected = row.key == self._selected
        cache_key = (row.key, self._generation, width, selected)
        strips = self._strips.get(cache_key)
        if strips is not None:
            return strips
        base = self.rich_style
        highlight = base
        bar = Text(" " * BAR_WIDTH)
        if selected:
            highlight = base + Style(bgcolor=self._component("selected").bgcolor)
            bar = Text(self.glyphs.bar, self._text_styles()["bar"])
        console = self.app.console
        lines = self._post_lines(index, width - BAR_WIDTH)
        last = len(lines) - 1
        strips = []
        for number, text in enumerate(lines):
            style = base
            if selected and (number == 0 or (self.highlight == "block" and number < last)):
                style = highlight
            line = (bar if number < last else Text(" " * BAR_WIDTH)) + text
            strip = Strip(list(line.render(console)), line.cell_len)
            strips.append(strip.apply_style(style).crop_extend(0, width, style))
        self._strips[cache_key] = strips
        return strips

    def _post_lines(self, index: int, width: int) -> list[Text]:
        """A post's lines at `width`: header, body (or the hidden-replies note), blank."""
        row = self._rows[index]
        post = self._tree.posts[row.key]
        styles = self._text_styles()
        guide = styles["guide"]
        ellipsis = self.glyphs.post.ellipsis
        lines = [self._header(row, post, width)]
        if row.hidden:
            note = Text(row.body_guide, guide)
            note.append(f"(+{row.hidden} {'reply' if row.hidden == 1 else 'replies'} hidden)")
            note.stylize(styles["hidden"], len(row.body_guide))
            lines.append(post_render.fit(note, width, ellipsis))
        else:
            for body_line in self._body(row.key, post, width - len(row.body_guide)):
                line = Text(row.body_guide, guide) + body_line
                lines.append(post_render.fit(line, width, ellipsis))
        lines.append(post_render.fit(Text(row.body_guide.rstrip(), guide), width, ellipsis))
        self._set_height(index, len(lines))
        return lines

    def _header(self, row: _Row, post: Post, width: int) -> Text:
        """Guide, author, age, number, "↳N" where the guides cannot show the parent, then
        the marks: accepted, new, pending, deleted, reactions."""
        styles = self._text_styles()
        glyphs = self.glyphs
        text = Text(row.head_guide, styles["guide"], no_wrap=True)
        text.append(clean_line(post.username) or "?", styles["author"])
        when = "" if post.pending else ago(post.created_at, self._now)
        meta = glyphs.separator + (when + "  " if when else "")
        meta += f"#{post.post_number}" if post.post_number > 0 else ""
        text.append(meta.rstrip(), styles["meta"])
        if row.reply_to is not None:
            text.append(f" {glyphs.reply}{row.reply_to}", styles["meta"])
        marks: list[tuple[str, Style]] = []
        if post.accepted:
            marks.append((glyphs.accepted, styles["accepted"]))
        if self._is_new(post):
            marks.append((glyphs.new, styles["new"]))
        if post.pending:
            marks.append((glyphs.pending + " sending", styles["pending"]))
        if post.deleted:
            marks.append(("deleted", styles["deleted"]))
        reactions = reactions_text(post, glyphs)
        if reactions:
            marks.append((reactions, styles["reactions"]))
        for mark, style in marks:
            text.append("  ")
            text.append(mark, style)
        return post_render.fit(text, width, glyphs.post.ellipsis)

    def _body(self, key: int, post: Post, width: int) -> list[Text]:
        """The post's rendered body at `width` (cached; counted in `render_count`)."""
        width = max(1, width)
        cached = self._bodies.get((key, width))
        if cached is not None and (cached[0] is post or cached[0] == post):
            return cached[1]
        self.render_count += 1
        lines = post_render.render_document(
            self._document(post),
            width,
            styles=self._post_styles(),
            topic_id=self._topic_id,
            wait_for_lexers=False,
        )
        self._bodies[(key, width)] = (post, lines)
        self._measured[(key, width)] = (post, len(lines))
        wanted = post_render.take_wanted_languages()
        if wanted and self.is_attached:
            # Shown plain for now; coloured once the highlighter is loaded (same lines).
            self.call_after_refresh(self._load_languages, frozenset(wanted))
        return lines

    @work(thread=True, group=LEXER_WORKERS)
    def _load_languages(self, languages: frozenset[str]) -> None:
        """Import highlighters off the main thread; the view redraws when this is done."""
        for language in sorted(languages):
            post_render.load_language(language)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != LEXER_WORKERS:
            return
        event.stop()  # the view's own business
        if event.state == WorkerState.SUCCESS:
            self._bodies.clear()  # drawn plain so far: draw them again, coloured
            self._strips.clear()
            self.refresh()

    def _document(self, post: Post) -> Document:
        if post.deleted:
            return EMPTY
        cached = self._documents.get(post.id)
        if cached is not None and cached[0] == post:
            return cached[1]
        document = render_post(post)
        self._documents[post.id] = (post, document)
        return document

    def _component(self, name: str) -> Style:
        return self.get_component_rich_style(f"thread-view--{name}")

    def _text_styles(self) -> dict[str, Style]:
        return self._styles_pair()[1]

    def _post_styles(self) -> PostStyles:
        return self._styles_pair()[0]

    def _styles_pair(self) -> tuple[PostStyles, dict[str, Style]]:
        """Component styles as colours and attributes only: a background of theirs would
        hide the selection's."""
        if self._styles is not None:
            return self._styles
        found: dict[str, Style] = {}
        for name in (*_TEXT_COMPONENTS, "bar"):
            full = self._component(name)
            found[name] = Style.from_color(full.color) + full.without_color
        dark = self.app.current_theme.dark if self.is_attached else True
        post_styles = PostStyles(
            link=found["link"],
            link_number=found["link-number"],
            mention=found["mention"],
            code=found["code"],
            code_block=Style(bgcolor=self._component("code-block").bgcolor),
            heading=found["heading"],
            quote=found["quote"],
            quote_bar=found["guide"],
            quote_author=found["meta"] + Style(italic=True),
            rule=found["guide"],
            details=found["heading"],
            table_header=found["heading"],
            syntax_theme="ansi_dark" if dark else "ansi_light",
            glyphs=self.glyphs.post,
        )
        self._styles = (post_styles, found)
        return self._styles

    # -- layout -------------------------------------------------------------------------------

    def _content_width(self) -> int:
        width = self.scrollable_content_region.width
        return width if width > 0 else DEFAULT_WIDTH

    def _text_width(self) -> int:
        return max(1, self._content_width() - BAR_WIDTH)

    def _viewport_height(self) -> int:
        return self.scrollable_content_region.height

    def _max_depth(self, width: int) -> int:
        return max(1, min(MAX_DEPTH, (width - MIN_BODY_WIDTH) // 2 - 1))

    def _keys_in_order(self) -> list[int]:
        return self._tree.preorder if self._order == "tree" else sorted(self._tree.posts)

    def _is_new(self, post: Post) -> bool:
        last = self._last_read
        return (
            last is not None
            and post.post_number > last
            and not post.pending
            and not post.deleted
            and post.username != self.reader  # what one wrote is never news to them
        )

    def _reveal(self, key: int) -> bool:
        """Expand the collapsed posts above `key`; True when that changes the layout."""
        changed = False
        parent = self._tree.parent.get(key)
        while parent is not None:
            if parent in self._collapsed:
                self._collapsed.discard(parent)
                changed = True
            parent = self._tree.parent.get(parent)
        return changed and self._order == "tree"

    def _ensure_layout(self) -> None:
        """Lay out posts shown before the view had a size, or again for a new width
        (before anything is drawn at that width, so the post being read stays put)."""
        if self._stale:
            self._layout()
        elif self._rows and self._viewport_height() and self._text_width() != self._width:
            self._relayout(lambda: None)

    def _layout(self) -> None:
        """Lay the rows out for the current posts, order, collapsed branches and width.
        Heights are exact for posts measured at this width, estimated for the rest. This
        runs over every post, so it does as little as it can per post."""
        self._stale = False
        width = self._width = self._text_width()
        self._generation += 1
        tree = self._tree
        parents = tree.parent
        keys: list[int] = []
        depths: list[int] = []
        replies: list[int | None] = []
        hidden: dict[int, int] = {}  # row index -> replies hidden under it
        if self._order == "chrono":
            keys = sorted(tree.posts)
            depths = [0] * len(keys)
            replies = [parents[key] for key in keys]
        else:
            cap = self._max_depth(width)
            tree_depth, collapsed, size = tree.depth, self._collapsed, tree.size
            skip_until = -1
            for position, key in enumerate(tree.preorder):
                if position < skip_until:
                    continue
                depth = tree_depth[key]
                if key in collapsed:
                    hidden[len(keys)] = size[key] - 1
                    skip_until = position + size[key]
                keys.append(key)
                depths.append(depth if depth <= cap else cap)
                replies.append(parents[key] if depth > cap else None)
        heads, bodies = self._draw_guides(depths, hidden)
        posts, measured = tree.posts, self._measured
        rows: list[_Row] = []
        append = rows.append
        for i, key in enumerate(keys):
            body_guide = bodies[i]
            if i in hidden:
                append(_Row(key, depths[i], heads[i], body_guide, hidden[i], replies[i], 3, True))
                continue
            post = posts[key]
            body_width = max(1, width - len(body_guide))
            known = measured.get((key, body_width)) if measured else None
            if known is not None and (known[0] is post or known[0] == post):
                height, exact = known[1] + 2, True
            elif post.raw and not post.deleted:  # estimate_body_height, inlined: 10,000 calls
                raw = post.raw
                height, exact = raw.count("\n") + 3 + len(raw) // max(8, body_width), False
            else:
                height, exact = estimate_body_height(post, body_width) + 2, False
            append(_Row(key, depths[i], heads[i], body_guide, 0, replies[i], height, exact))
        self._rows = rows
        self._row_of = {key: i for i, key in enumerate(keys)}
        self._recount(0)
        self._strips.clear()
        self._update_virtual_size()

    def _draw_guides(
        self, depths: Sequence[int], hidden: dict[int, int]
    ) -> tuple[list[str], list[str]]:
        """Each row's guide prefixes (header, body), from the depths alone. Walking
        backwards, a level stays open (a bit set in `open_levels`) while a later row at
        that level comes before a shallower one; the few distinct prefixes are shared."""
        g = self.glyphs
        count = len(depths)
        heads = [""] * count
        bodies = [""] * count
        made: dict[tuple[int, int, bool, bool], tuple[str, str]] = {}
        open_levels = 0
        next_depth = -1
        for i in range(count - 1, -1, -1):
            depth = depths[i]
            has_sibling = bool(open_levels >> depth & 1)
            ancestors = open_levels & ((1 << depth) - 1)
            has_children = next_depth == depth + 1 and i not in hidden
            shape = (depth, ancestors, has_sibling, has_children)
            guides = made.get(shape)
            if guides is None:
                lead = "".join(g.pipe if ancestors >> L & 1 else g.space for L in range(1, depth))
                head = body = ""
                if depth:
                    head = lead + (g.tee if has_sibling else g.elbow)
                    body = lead + (g.pipe if has_sibling else g.space)
                guides = made[shape] = (head, body + (g.pipe if has_children else g.space))
            heads[i], bodies[i] = guides
            open_levels = ancestors | (1 << depth)
            next_depth = depth
        return heads, bodies

    def _recount(self, start: int) -> None:
        """Row tops from `start` on (tops[i] is row i's first line; tops[-1] the total)."""
        tops = self._tops
        del tops[start + 1 :]
        if start == 0:
            tops[:] = [0]
        total = tops[start]
        for row in self._rows[start:]:
            total += row.height
            tops.append(total)

    def _update_virtual_size(self) -> None:
        size = Size(self._width + BAR_WIDTH, self._tops[-1])
        if self.virtual_size != size:
            self.virtual_size = size

    def _set_height(self, index: int, height: int) -> None:
        row = self._rows[index]
        row.exact = True
        if row.height != height:
            row.height = height
            self._recount(index)

    def _index_at(self, y: int) -> int:
        return max(0, min(len(self._rows) - 1, bisect.bisect_right(self._tops, y) - 1))

    def _screen_row(self, key: int | None) -> int | None:
        """Where the post's first line is on screen now (None: not on screen)."""
        if key is None or key not in self._row_of or not self._viewport_height():
            return None
        index = self._row_of[key]
        row = self._tops[index] - self.scroll_offset.y
        bottom = row + self._rows[index].height
        return row if bottom > 0 and row < self._viewport_height() else None

    def _measure(self, index: int) -> bool:
        """Make row `index`'s height exact; True when it changed."""
        row = self._rows[index]
        if row.exact:
            return False
        before = row.height
        post = self._tree.posts[row.key]
        body = self._body(row.key, post, self._width - len(row.body_guide))
        self._set_height(index, len(body) + 2)
        return row.height != before

    def _measure_window(self, top: int, height: int) -> bool:
        """Measure every row showing in lines [top, top + height); True if any changed."""
        changed = False
        index = self._index_at(top)
        while index < len(self._rows) and self._tops[index] < top + height:
            changed |= self._measure(index)
            index += 1
        return changed

    def _place(self, index: int, screen_row: int) -> None:
        """Scroll so row `index` starts at `screen_row` of the viewport (negative: above
        it), measuring whatever comes into view; rows measured above it move the scroll
        by as much, so that row stays put."""
        height = self._viewport_height()
        if not height:
            self._pending_place = (self._rows[index].key, screen_row)
            return
        self._pending_place = None
        scroll = 0
        for _ in range(_SETTLE_ROUNDS):
            max_scroll = max(0, self._tops[-1] - height)
            scroll = max(0, min(max_scroll, self._tops[index] - screen_row))
            if not self._measure_window(scroll, height):
                break
        self._update_virtual_size()
        if scroll != round(self.scroll_y):
            self._set_scroll(scroll)

    def _settle(self, reference_y: int | None = None) -> None:
        """Measure the rows coming into view. The post read at `reference_y` (the scroll
        position before a scroll; by default the current one) keeps its place relative
        to the new position, even when rows above it change height."""
        if self._pending_place is not None:
            key, row = self._pending_place
            if key in self._row_of and self._viewport_height():
                self._place(self._row_of[key], row)
            return
        height = self._viewport_height()
        if not self._rows or not height:
            return
        scroll = self.scroll_offset.y
        window_end = min(self._tops[-1], scroll + height)
        first, last = self._index_at(scroll), self._index_at(max(scroll, window_end - 1))
        if all(self._rows[i].exact for i in range(first, last + 1)):
            return
        ref_y = scroll if reference_y is None else reference_y
        reference = self._index_at(ref_y)
        self._place(reference, self._tops[reference] - scroll)
        self.refresh()

    def _set_scroll(self, y: int) -> None:
        self._settling = True
        try:
            self.scroll_to(y=y, animate=False, force=True)
        finally:
            self._settling = False

    def _relayout(self, change: Callable[[], None]) -> None:
        """Apply `change` to the layout, keeping the post being read where it is on screen."""
        anchor = self._anchor()
        change()
        self._layout()
        if anchor is not None and anchor[0] in self._row_of:
            self._place(self._row_of[anchor[0]], anchor[1])
        elif self._selected is not None and self._selected in self._row_of:
            self._place(self._row_of[self._selected], 0)
        self.refresh()

    def _anchor(self) -> tuple[int, int] | None:
        """The post to hold in place across a change, and its screen row: the selected
        post when it is on screen, else the post at the top of the screen."""
        if self._pending_place is not None:
            return self._pending_place
        if not self._rows:
            return None
        row = self._screen_row(self._selected)
        if self._selected is not None and (row is not None or not self._viewport_height()):
            return self._selected, row or 0
        scroll = self.scroll_offset.y
        index = self._index_at(scroll)
        return self._rows[index].key, self._tops[index] - scroll

    # -- selection ----------------------------------------------------------------------------

    def _select(self, key: int, *, scroll: bool = True) -> bool:
        old = self._selected
        if key not in self._row_of:
            return False
        self._selected = key
        if old == key:
            return False
        index = self._row_of[key]
        if self._viewport_height():
            self._measure(index)
        for changed in (old, key):
            if changed is not None and changed in self._row_of:
                self._refresh_row(self._row_of[changed])
        if scroll:
            self._scroll_into_view(index, downward=old is None or self._row_of.get(old, 0) < index)
        self._announce()
        return True

    def _refresh_row(self, index: int) -> None:
        """Repaint what selecting or leaving row `index` changes, where it is on screen:
        its header line, and its bar column (its whole lines, with the block highlight)."""
        top = self._tops[index] - self.scroll_offset.y
        height = self._rows[index].height
        width = self.scrollable_content_region.width
        body_width = width if self.highlight == "block" else BAR_WIDTH
        screen = self.size.region
        regions = [
            Region(0, top, width, 1).intersection(screen),
            Region(0, top + 1, body_width, height - 2).intersection(screen),
        ]
        self.refresh(*(region for region in regions if region))

    def _scroll_into_view(self, index: int, *, downward: bool) -> None:
        """Scroll only when the post is not wholly on screen; then bring it in with just
        SCROLL_CONTEXT lines of its neighbour showing, so that the next moves in that
        direction need no scrolling for as long as possible (each scroll repaints the
        whole view: some 14 KiB at 120x40, against about 1 KiB for a move)."""
        height = self._viewport_height()
        if not height:
            self._pending_place = (self._rows[index].key, 0)
            return
        top = self._tops[index] - self.scroll_offset.y
        size = self._rows[index].height
        if top >= 0 and top + size <= height:
            return
        context = min(SCROLL_CONTEXT, height // 4)
        if size + context >= height:
            row = 0
        elif downward:
            row = context
        else:
            row = height - context - size
        self._place(index, row)

    def _announce(self) -> None:
        post = self.selected
        if post is not None and post != self._announced:
            self._announced = post
            self.post_message(self.Selected(post, self))
