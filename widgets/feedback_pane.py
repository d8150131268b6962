"""How a thread's posts were received: for the selected post its reactions (and whether
you reacted), the replies it got and whether it is the accepted answer; for the whole
thread, its most appreciated posts.

Display only: the screen hands in models; everything is computed from them and shown as
`Content` built from already-sanitised strings, never as a markup string.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tui.forum.models import Post, TopicPage

TOP = 3  # how many of the thread's most appreciated posts are listed


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


class FeedbackPane(VerticalScroll, can_focus=True):
    """A scrollable panel; the screen calls `show` whenever the selection or thread changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Feedback"
        self.text = Content("")  # what the panel shows, kept for tests and the screen
        # What is worked out once per thread, not on every move of the selection: the
        # posts it was worked out for (by identity), the replies index and the top posts.
        self._thread: tuple[Sequence[Post], dict[int, list[Post]], list[Post]] | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.text, id="feedback-text")

    def show(self, post: Post | None, page: TopicPage | None, posts: Sequence[Post]) -> None:
        """Describe `post` (None: nothing selected) within the thread `page` of `posts`."""
        if self._thread is None or self._thread[0] is not posts:
            self._thread = (posts, replies_index(posts), most_appreciated(posts))
        _, replies, top = self._thread
        self.text = describe(post, page, replies, top)
        if self.is_mounted:
            self.query_one("#feedback-text", Static).update(self.text)


def describe(
    post: Post | None,
    page: TopicPage | None,
    replies: dict[int, list[Post]],
    top: Sequence[Post],
) -> Content:
    """The panel's whole text: `replies` maps a post number to the posts answering it,
    `top` is the thread's most appreciated posts."""
    lines: list[Content] = []
    if post is not None and page is not None:
        lines.append(
            Content.assemble((f"Post #{post.post_number}", "bold"), " by ", (post.username, "bold"))
        )
        if is_accepted(post, page):
            lines.append(Content.styled("✓ accepted answer", "bold $success"))
        lines.append(Content(""))
        lines.append(Content.styled("Reactions", "bold $accent"))
        reactions = [r for r in post.reactions if r.count > 0 or r.reacted]
        if not reactions and post.like_count:
            lines.append(Content(f"  like {post.like_count}"))
        for reaction in reactions:
            line = Content.assemble("  ", reaction.name, f" {reaction.count}")
            if reaction.reacted:
                line += Content.styled(" (you)", "italic $text-muted")
            lines.append(line)
        if not reactions and not post.like_count:
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
