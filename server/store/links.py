"""Links shared in posts, found by parsing the Markdown (not by guessing at its text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

_md = MarkdownIt("commonmark", {"html": False}).enable("table")
# Bare URLs in ordinary text (Discourse links them too). Code spans and blocks are skipped.
_BARE_URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+[^\s<>()\[\]\"'`.,;:!?]")
MAX_URL = 2048


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    title: str | None


def _shareable(url: str) -> bool:
    if len(url) > MAX_URL:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _inline_links(children: list[Token]) -> list[Link]:
    found: list[Link] = []
    i = 0
    while i < len(children):
        tok = children[i]
        if tok.type == "link_open":
            href = str(tok.attrs.get("href", ""))
            text_parts: list[str] = []
            i += 1
            while i < len(children) and children[i].type != "link_close":
                if children[i].type in ("text", "code_inline"):
                    text_parts.append(children[i].content)
                i += 1
            text = "".join(text_parts).strip()
            if _shareable(href):
                found.append(Link(href, text if text and text != href else None))
        elif tok.type == "image":
            src = str(tok.attrs.get("src", ""))
            alt = tok.content.strip()
            if _shareable(src):
                found.append(Link(src, alt or None))
        elif tok.type == "text":
            for match in _BARE_URL.finditer(tok.content):
                found.append(Link(match.group(0), None))
        i += 1
    return found


@dataclass(frozen=True, slots=True)
class PostText:
    """What the store needs from a post's text: its links, who it mentions, who it quotes."""

    links: list[Link]
    mentions: list[str]
    quoted: list[str]


def _plain(raw: str) -> bool:
    """True when `raw` can hold no link, mention or quote, so there is nothing to parse.

    A shareable link has an http(s) scheme, written out in the text or spelled with a
    character reference (&...;); a mention needs an @ (or a reference); a quote needs
    [quote=. Backslash escapes only apply to punctuation, so they cannot spell these.
    """
    return "@" not in raw and "&" not in raw and "[quote=" not in raw and "http" not in raw.lower()


def analyse(raw: str) -> PostText:
    """Links, mentions and quoted users from ONE parse of the Markdown: parsing was
    nearly half of what saving a post cost, so a write parses once and reads it all
    (and a post that cannot hold any of them is not parsed at all)."""
    if _plain(raw):
        return PostText([], [], [])
    links: list[Link] = []
    prose: list[str] = []
    for token in _md.parse(raw):
        if token.type == "inline" and token.children:
            links.extend(_inline_links(token.children))
            prose.extend(c.content for c in token.children if c.type == "text")
    return PostText(links, _mentions_in("\n".join(prose)), extract_quoted_users(raw))


def extract_links(raw: str) -> list[Link]:
    """Every http(s) link in a post, in order, with its link text as a title where it has one."""
    links: list[Link] = []
    for token in _md.parse(raw):
        if token.type == "inline" and token.children:
            links.extend(_inline_links(token.children))
    return links


_MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_][A-Za-z0-9_.-]{0,39})")
_QUOTE = re.compile(r'\[quote="([^",\]]+)[^\]]*\]')


def _prose(raw: str) -> str:
    """The text of a post outside code, where mentions count."""
    parts: list[str] = []
    for token in _md.parse(raw):
        if token.type == "inline" and token.children:
            parts.extend(c.content for c in token.children if c.type == "text")
    return "\n".join(parts)


def _mentions_in(prose: str) -> list[str]:
    names: list[str] = []
    for match in _MENTION.finditer(prose):
        name = match.group(1).rstrip(".-")
        if name and name.lower() not in (n.lower() for n in names):
            names.append(name)
    return names


def extract_mentions(raw: str) -> list[str]:
    return _mentions_in(_prose(raw))


def extract_quoted_users(raw: str) -> list[str]:
    names: list[str] = []
    for match in _QUOTE.finditer(raw):
        name = match.group(1).strip()
        if name and name.lower() not in (n.lower() for n in names):
            names.append(name)
    return names
