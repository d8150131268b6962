"""A shared resource as a new topic: the form's checks, and the Markdown it becomes.

A resource is an ordinary topic, so the community can discuss it. Its first post starts
with the link alone on a line, written `[title](url)`: the forum's link index takes a
link's text as the resource's title (server/store/links.py), so the library lists it
under the name it was shared with. The description follows as plain Markdown.

`read_share` turns such a post back into URL and description, which is how the share
form restores its draft: drafts keep the post's text (any text, checked or not, so a
half-typed URL survives too), and the form's fields are read back out of it exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from tui.forum.document import is_openable
from tui.forum.sanitize import clean, clean_line

MAX_URL = 2048  # the longest link the forum's link index keeps
MAX_TITLE = 255
MAX_TAGS = 5  # Cohort's server and Discourse's default allow five tags a topic
MAX_TAG = 40

# Characters that would end or restyle the link text; a backslash makes each literal.
_LINK_TEXT_SPECIAL = re.compile(r"([\\\[\]*_`<>&!])")
# What a plain link destination cannot hold; a URL with any of them goes in <...>.
_NEEDS_ANGLES = re.compile(r"[()\[\]\\\s]")
_LINK_LINE = re.compile(
    r"\[(?:\\.|[^\\\[\]])*\]\((?:<(?P<angled>[^<>\n]+)>|(?P<plain>[^\s()<>]+))\)"
)
_TAG_SEPARATORS = re.compile(r"[\s,]+")


class ShareError(ValueError):
    """What is wrong with one field of the form; `field` names it ("url", "title", "tags")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Share:
    """A checked form: what the new topic is made of."""

    url: str
    title: str
    description: str
    tags: tuple[str, ...]

    @property
    def markdown(self) -> str:
        return share_markdown(self.url, self.title, self.description)


def check_url(text: str) -> str:
    """The URL as typed, if it can be shared: http or https, with a host."""
    url = text.strip()
    if not url:
        raise ShareError("url", "a URL is required, such as https://example.org/page")
    if len(url) > MAX_URL:
        raise ShareError("url", f"the URL is longer than {MAX_URL} characters")
    if any(c.isspace() for c in url) or clean_line(url) != url or "<" in url or ">" in url:
        raise ShareError("url", "a URL cannot hold spaces, control characters, < or >")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ShareError("url", f"not a URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ShareError("url", "only http:// and https:// links can be shared")
    if not is_openable(url):
        raise ShareError("url", "the URL needs a host, such as https://example.org/page")
    return url


def check_title(text: str) -> str:
    title = " ".join(clean_line(text).split())
    if not title:
        raise ShareError("title", "a title is required: the name the library lists it under")
    if len(title) > MAX_TITLE:
        raise ShareError("title", f"the title is longer than {MAX_TITLE} characters")
    return title


def tag_words(text: str) -> tuple[str, ...]:
    """The tags as typed (separated by commas or spaces), unchecked: what a draft keeps."""
    return tuple(word for word in _TAG_SEPARATORS.split(clean_line(text)) if word)


def parse_tags(text: str) -> tuple[str, ...]:
    """Tags separated by commas or spaces, a leading # dropped, each once."""
    tags: list[str] = []
    for word in tag_words(text):
        tag = word.lstrip("#")
        if not tag:
            continue
        if "#" in tag or "@" in tag:
            raise ShareError("tags", f"the tag {tag!r} cannot hold # or @")
        if len(tag) > MAX_TAG:
            raise ShareError("tags", f"the tag {tag!r} is longer than {MAX_TAG} characters")
        if tag.casefold() not in (t.casefold() for t in tags):
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ShareError("tags", f"at most {MAX_TAGS} tags")
    return tuple(tags)


def check_share(url: str, title: str, description: str, tags: str) -> Share:
    """The whole form checked, URL first; ShareError names the first bad field."""
    return Share(
        url=check_url(url),
        title=check_title(title),
        description=clean(description).strip("\n").rstrip(),
        tags=parse_tags(tags),
    )


def share_markdown(url: str, title: str, description: str = "") -> str:
    """The first post: the link alone on the first line, then the description (without a
    URL, the description alone)."""
    description = description.strip("\n").rstrip()
    if not url:
        return description
    destination = f"<{url}>" if _NEEDS_ANGLES.search(url) else url
    text = _LINK_TEXT_SPECIAL.sub(r"\\\1", title)
    link = f"[{text}]({destination})"
    return f"{link}\n\n{description}" if description else link


def read_share(raw: str, title: str) -> tuple[str, str]:
    """(url, description) of a post `share_markdown` wrote with `title`; ("", raw) for any
    other text, so a draft of an ordinary new topic keeps all its text as the description."""
    first, _, rest = raw.partition("\n")
    found = _LINK_LINE.fullmatch(first)
    if found is None:
        return "", raw
    url = found["angled"] or found["plain"] or ""
    if share_markdown(url, title) != first:  # not ours, or another title: keep it whole
        return "", raw
    return url, rest.lstrip("\n")
