"""How a thread's posts were received: for the selected post its reactions (whether you
reacted, and who did once the screen has fetched that), the replies it got and whether it
is the accepted answer; for the whole thread, its most appreciated posts.

Display only: the screen hands in models (`show` on every move, `show_reactors` when a
post's reactors arrive); everything is computed from them and shown as `Content` built
from already-sanitised strings, never as a markup string.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.widgets import Static

from tui.forum.models import Post, Reactors, TopicPage

TOP = 3  # how many of the thread's most appreciated posts are listed
KEEP_REACTORS = 64  # posts whose reactors the pane remembers (a thread's worth of moves)
DEFAULT_WIDTH = 40  # cells for a line of names before the pane has been laid out
ICONS = {"like": "♥", "heart": "♥"}
OTHER_ICON = "•"


def appreciation(post: Post) -> int:
    """Likes plus every other reaction. Backends report a like as a "like" reaction too;
    `like_count` counts only where no such reaction is listed, so nothing counts twice."""
    total = sum(r.count for r in post.reactions)
    if not any(r.name == "like" for r in post.reactions):
        total += post.like_count
    return total


def most_appreciated(posts: Sequence[Post], limit: int = TOP) -> list[Post]:
    """The `limit` posts with the most appreciation (earlier posts first on a tie)."""
    liked = [p for p in posts if not p.deleted and appreciation(p) > 0]
    return sorted(liked, key=lambda p: (-appreciation(p), p.post_number))[:limit]


def replies_index(posts: Sequence[Post]) -> dict[int, list[Post]]:
    """Post number -> the posts that answer it directly, in the order they were written."""
    index: dict[int, list[Post]] = {}
    for post in sorted(posts, key=lambda p: p.post_number):
        if post.reply_to_post_number is not None and not post.pending:
            index.setdefault(post.reply_to_post_number, []).append(post)
    return index


def is_accepted(post: Post, page: TopicPage) -> bool:
    return post.accepted or page.topic.solution_post_number == post.post_number


def reactor_line(
    name: str, count: int, usernames: Sequence[str], width: int, *, mine: bool = False
) -> Content:
    """A line like "  ♥ like — alice, bob and 3 more": as many names as fit in `width`
    cells (at least one), the rest counted; `count` may exceed the names given (a forum
    that lists only some)."""
    total = max(count, len(usernames))

    def pieces(shown: int) -> list[tuple[str, str]]:
        parts = [(f"  {ICONS.get(name, OTHER_ICON)} {name}", ""), (" — ", "$text-muted")]
        rest = total - shown
        for index, username in enumerate(usernames[:shown]):
            if index:
                last = index == shown - 1 and not rest
                parts.append((" and " if last else ", ", "$text-muted"))
            parts.append((username, ""))
        if rest:
            parts.append((f" and {rest} more", "$text-muted"))
        if mine:
            parts.append((" (you)", "italic $text-muted"))
        return parts

    shown = len(usernames)
    while shown > 1 and sum(cell_len(text) for text, _ in pieces(shown)) > width:
        shown -= 1
    return Content.assemble(*((text, style) if style else text for text, style in pieces(shown)))


class FeedbackPane(VerticalScroll, can_focus=True):
    """A scrollable panel; the screen calls `show` whenever the selection or thread changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Feedback"
        self.text = Content("")  # what the panel shows, kept for tests and the screen
        # What is worked out once per thread, not on every move of the selection: the
        # posts it was worked out for (by identity), the replies index and the top posts.
        self._thread: tuple[Sequence[Post], dict[int, list[Post]], list[Post]] | None = None
        self._shown: tuple[Post | None, TopicPage | None] = (None, None)
        self._topic_id: int | None = None
        # Who reacted, by post id, as the screen last fetched it (newest remembered last).
        self._reactors: OrderedDict[int, tuple[Reactors, ...]] = OrderedDict()

    def compose(self) -> ComposeResult:
        yield Static(self.text, id="feedback-text")

    def show(self, post: Post | None, page: TopicPage | None, posts: Sequence[Post]) -> None:
        """Describe `post` (None: nothing selected) within the thread `page` of `posts`."""
        if self._thread is None or self._thread[0] is not posts:
            self._thread = (posts, replies_index(posts), most_appreciated(posts))
        if page is not None and page.topic.id != self._topic_id:
            self._reactors.clear()  # another thread: its reactors are not this one's
            self._topic_id = page.topic.id
        self._shown = (post, page)
        self._render_text()

    def show_reactors(self, post_id: int, reactors: Sequence[Reactors]) -> None:
        """Who reacted to post `post_id` (as `ForumBackend.reactors` answers), named under
        its reactions whenever that post is shown; shown at once if it is the selected one."""
        self._reactors[post_id] = tuple(reactors)
        self._reactors.move_to_end(post_id)
        while len(self._reactors) > KEEP_REACTORS:
            self._reactors.popitem(last=False)
        post = self._shown[0]
        if post is not None and post.id == post_id:
            self._render_text()

    def reactors_of(self, post_id: int) -> tuple[Reactors, ...] | None:
        """What `show_reactors` last said about a post (None: nothing yet)."""
        return self._reactors.get(post_id)

    def on_resize(self, event: Resize) -> None:
        if self._shown[0] is not None and self._shown[0].id in self._reactors:
            # As many names as the new width holds, once the text has its new size.
            self.call_after_refresh(self._render_text)

    def _names_width(self) -> int:
        if not self.is_mounted:
            return DEFAULT_WIDTH
        width = self.query_one("#feedback-text", Static).content_region.width
        return width if width > 0 else DEFAULT_WIDTH

    def _render_text(self) -> None:
        assert self._thread is not None
        _, replies, top = self._thread
        post, page = self._shown
        reactors = self._reactors.get(post.id) if post is not None else None
        self.text = describe(post, page, replies, top, reactors, self._names_width())
        if self.is_mounted:
            self.query_one("#feedback-text", Static).update(self.text)


def describe(
    post: Post | None,
    page: TopicPage | None,
    replies: dict[int, list[Post]],
    top: Sequence[Post],
    reactors: Sequence[Reactors] | None = None,
    width: int = DEFAULT_WIDTH,
) -> Content:
    """The panel's whole text: `replies` maps a post number to the posts answering it,
    `top` is the thread's most appreciated posts, `reactors` who reacted to `post` (None:
    not known, so only counts), named within `width` cells a line."""
    lines: list[Content] = []
    if post is not None and page is not None:
        lines.append(
            Content.assemble((f"Post #{post.post_number}", "bold"), " by ", (post.username, "bold"))
        )
        if is_accepted(post, page):
            lines.append(Content.styled("✓ accepted answer", "bold $success"))
        lines.append(Content(""))
        lines.append(Content.styled("Reactions", "bold $accent"))
        counts = [(r.name, r.count, r.reacted) for r in post.reactions if r.count > 0 or r.reacted]
        if not counts and post.like_count:
            counts = [("like", post.like_count, False)]
        lines.extend(_reaction_lines(counts, reactors, width))
        if not counts:
            lines.append(Content.styled("  none yet", "$text-muted"))
        answers = replies.get(post.post_number, [])
        lines.append(Content(""))
        lines.append(Content.styled(f"Replies ({len(answers)})", "bold $accent"))
        for reply in answers:
            lines.append(Content.assemble(f"  #{reply.post_number} ", reply.username))
        if not answers:
            lines.append(Content.styled("  none yet", "$text-muted"))
        lines.append(Content(""))
    lines.append(Content.styled("Most appreciated", "bold $accent"))
    for liked in top:
        line = Content.assemble(f"  #{liked.post_number} ", liked.username)
        line += Content.styled(f" · {appreciation(liked)}", "$text-muted")
        if page is not None and is_accepted(liked, page):
            line += Content.styled(" ✓", "$success")
        lines.append(line)
    if not top:
        lines.append(Content.styled("  nothing yet", "$text-muted"))
    return Content("\n").join(lines)


def _reaction_lines(
    counts: Sequence[tuple[str, int, bool]], reactors: Sequence[Reactors] | None, width: int
) -> list[Content]:
    """A line per reaction: who, where `reactors` names them, else how many."""
    people: Mapping[str, Reactors] = {r.name: r for r in reactors or ()}
    lines: list[Content] = []
    for name, count, mine in counts:
        known = people.get(name)
        if known is not None and known.users:
            usernames = [u.username for u in known.users]
            lines.append(reactor_line(name, count, usernames, width, mine=mine))
            continue
        line = Content.assemble("  ", name, f" {count}")
        if mine:
            line += Content.styled(" (you)", "italic $text-muted")
        lines.append(line)
    return lines
