"""A category's description and guidelines, for the guidelines modal.

Guidelines are Markdown written by moderators; the screen parses them into a `Document`
(tui.forum.markdown) and they are drawn by the same renderer as posts
(widgets/post_render.py), at whatever width the box has, so lists wrap under their
bullets. Every string is already sanitised and only ever enters a `Text` as text, so
markup in a name or a guideline ("[@click=app.quit]x[/]") shows as typed.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from tui.forum.document import Document
from tui.forum.models import Category
from widgets.post_render import render_document


class CategoryGuidelines:
    """A rich renderable: the name, the description and the guidelines of a category."""

    def __init__(self, category: Category, guidelines: Document) -> None:
        self.category = category
        self.guidelines = guidelines

    def lines(self, console: Console, width: int) -> list[Text]:
        """What is shown, line by line, at `width` cells (`console` measures the text)."""
        width = max(width, 1)
        head = Text(self.category.name, style="bold")
        description = self.category.description.strip()
        if description:
            head.append("\n")
            head.append(description, style="italic")
        out = list(head.wrap(console, width))
        out += [Text(), Text("Guidelines", style="bold underline"), Text()]
        body = render_document(self.guidelines, width)
        out += body or [Text("This category has no guidelines.", style="dim")]
        return out

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text("\n").join(self.lines(console, options.max_width))
