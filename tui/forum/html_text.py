"""The visible text of cooked HTML, for what the cache indexes for search and what a
Discourse search blurb or category description shows. Its own module, so html.parser is
imported only when some HTML needs reading, not on every start."""

from __future__ import annotations

from html.parser import HTMLParser

from tui.forum.sanitize import clean


class _TextOf(HTMLParser):
    """The visible text of an HTML fragment: what search should match in a cooked post."""

    _SKIP = frozenset({"script", "style", "template", "head"})
    _BLOCK = frozenset(
        {
            *("p", "div", "br", "li", "ul", "ol", "blockquote", "pre", "hr", "table"),
            *("tr", "td", "th", "aside", "section", "details", "summary", "figure"),
            *("h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd"),
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt and not self._skipping:
                self.parts.append(f" {alt} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    """Plain text of cooked HTML (tags dropped by html.parser, entities decoded, blank
    runs collapsed), sanitised like every other string from a forum."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return clean("\n".join(line for line in lines if line))


def html_line(fragment: str, limit: int) -> str:
    """One line of `html_text`, cut at `limit` characters with an ellipsis."""
    text = " ".join(html_text(fragment).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
