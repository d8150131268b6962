"""Every link shared in a thread, numbered, with who shared it and in which post.

Display only: the screen hands in `Link` models (from the forum's link index, or read out
of the posts' documents when the forum has none) and decides what opening or copying
means. Each entry is a `Content` built from those already-sanitised strings, never a
markup string, so a title like "[@click=app.quit]x[/]" shows as typed and does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.events import Resize
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.forum.models import Link

DEFAULT_WIDTH = 40  # for entries laid out before the pane knows its size
MIN_ROOM = 8  # the narrowest an entry's text is wrapped to


class ResourcesPane(OptionList):
    """One option per shared link; enter asks the screen to jump to the post it is in."""

    class Jump(Message):
        """The reader chose a link: show the post that shared it."""

        def __init__(self, link: Link) -> None:
            super().__init__()
            self.link = link

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.links: list[Link] = []
        self.border_title = "Resources"
        self._width = 0  # the content width the entries were laid out for

    def show(self, links: Sequence[Link]) -> None:
        """Display `links` in the thread's order, keeping the highlighted one if still there."""
        if list(links) == self.links:
            return
        keep = self.highlighted_link
        self.links = list(links)
        self.border_title = f"Resources ({len(self.links)})" if self.links else "Resources"
        self._render_options(keep)

    def on_resize(self, event: Resize) -> None:
        if self.scrollable_content_region.width != self._width:
            self._render_options(self.highlighted_link)

    def _render_options(self, keep: Link | None) -> None:
        """Lay the entries out for the pane's width (wrapped lines hang under the title)."""
        self._width = self.scrollable_content_region.width
        width = self._width or DEFAULT_WIDTH
        self.set_options(
            Option(entry(number, link, width)) for number, link in enumerate(self.links, 1)
        )
        if not self.links:
            return
        index = 0
        if keep is not None:
            index = next((i for i, link in enumerate(self.links) if _same(link, keep)), 0)
        self.highlighted = index

    @property
    def highlighted_link(self) -> Link | None:
        index = self.highlighted
        if index is None or not 0 <= index < len(self.links):
            return None
        return self.links[index]

    def number_of(self, link: Link) -> int | None:
        """The number `link` is shown with, if it is listed."""
        for number, listed in enumerate(self.links, 1):
            if _same(listed, link):
                return number
        return None

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.links):
            self.post_message(self.Jump(self.links[event.option_index]))


def entry(number: int, link: Link, width: int = DEFAULT_WIDTH) -> Content:
    """How one link is listed at `width`: its number and title, the URL, who shared it and
    in which post; lines that wrap stay indented under the title."""
    label = f"[{number}] "
    indent = len(label)
    title = link.title.strip() if link.title else ""
    parts: list[Content] = [Content.styled(title or link.url, "bold")]
    if title and title != link.url:
        parts.append(Content.styled(link.url, "$text-muted"))
    shared = Content.assemble(
        (link.username or "someone", "italic"), f" in post #{link.post_number}"
    )
    if link.share_count > 1:
        shared += Content(f" · shared {link.share_count} times")
    parts.append(shared)
    room = max(MIN_ROOM, width - indent)
    lines: list[Content] = []
    for part in parts:
        for line in part.wrap(room):
            lead = Content.styled(label, "bold $accent") if not lines else Content(" " * indent)
            lines.append(lead + line)
    return Content("\n").join(lines)


def _same(a: Link, b: Link) -> bool:
    return (a.url, a.post_id, a.post_number) == (b.url, b.post_id, b.post_number)
