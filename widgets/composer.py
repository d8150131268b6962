"""The composer's widgets: a Markdown editor, a tags field and a participants field (a
private conversation's usernames) that complete @names, #categories and tags, the
one-line list of suggestions they share, and a preview drawn by the thread view itself,
so a post looks in the preview exactly as it will in its thread.

Display only: the screen hands in the names, slugs and tags to offer (already sanitised
models' fields) and does every read and write itself. Suggestions are built as
`Content` from those strings, never as markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from textual import events, on
from textual.content import Content
from textual.widgets import Input, Static, TextArea

from tui.forum.document import plain_text, render_post
from tui.forum.models import Post, Topic, TopicPage
from tui.forum.sanitize import clean_line
from widgets.thread_view import ThreadView

MAX_SUGGESTIONS = 6
# A trigger starts a word: not after a word character (mail@host), a slash or another
# trigger ("##" is a heading, "a/#b" a path). The prefix runs up to the cursor.
_TRIGGERED = re.compile(r"(?<![\w@/#])([@#])([\w.-]*)$")
_TAG_WORD = re.compile(r"[^\s,]*$")
TAG_SEPARATORS = re.compile(r"[\s,]+")


def markdown_language() -> str | None:
    """ "markdown" when Textual can highlight it (its tree-sitter extra is installed),
    else None: a plain editor, rather than the warning Textual logs for a missing one."""
    from textual._tree_sitter import TREE_SITTER, get_language

    if TREE_SITTER and get_language("markdown") is not None:
        return "markdown"
    return None


def quote_block(post: Post) -> str:
    """`post` quoted with its attribution, as Discourse writes a quote-reply; the
    Markdown renderer shows it as "username wrote in #N:" and the quoted text."""
    text = post.raw if post.raw is not None else plain_text(render_post(post))
    author = clean_line(post.username).replace('"', "").replace(",", "")
    attribution = f"{author}, post:{post.post_number}, topic:{post.topic_id}"
    return f'[quote="{attribution}"]\n{text.strip()}\n[/quote]\n\n'


def parse_tags(text: str) -> list[str]:
    """The tags of the tags field: separated by commas or spaces, each once, in order."""
    tags = (t.lstrip("#") for t in TAG_SEPARATORS.split(text))
    return list(dict.fromkeys(t for t in tags if t))


def parse_participants(text: str) -> list[str]:
    """Usernames from "ola, @chen hana": commas or spaces between, @ optional, each once."""
    names = (n.lstrip("@") for n in TAG_SEPARATORS.split(clean_line(text)))
    return list(dict.fromkeys(n for n in names if n))


@dataclass(frozen=True, slots=True)
class Word:
    """The word being completed: its trigger ("@", "#", or "" for a tag), the prefix
    typed so far, and the columns it spans (up to the cursor)."""

    trigger: str
    prefix: str
    start: int
    end: int


def word_before(line: str, column: int) -> Word | None:
    """The @name or #category being typed just before `column` of `line`, if any. A "#"
    needs a letter after it: a bare "#" is as likely a heading."""
    found = _TRIGGERED.search(line[:column])
    if found is None or (found.group(1) == "#" and not found.group(2)):
        return None
    return Word(found.group(1), found.group(2), found.start(), column)


def tag_before(text: str, column: int) -> Word | None:
    """The tag being typed just before `column` of the tags field (None right after a
    separator: nothing has been typed yet)."""
    found = _TAG_WORD.search(text[:column])
    if found is None or not found.group(0):
        return None
    return Word("", found.group(0), found.start(), column)


def matches(prefix: str, candidates: Iterable[str], limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Candidates starting with `prefix` (ignoring case), then those containing it; each
    once, in the order given, at most `limit`. The prefix itself is not offered."""
    folded = prefix.casefold()
    seen: dict[str, None] = {}
    later: dict[str, None] = {}
    for candidate in candidates:
        key = candidate.casefold()
        if not candidate or key == folded or candidate in seen or candidate in later:
            continue
        if key.startswith(folded):
            seen[candidate] = None
        elif folded and folded in key:
            later[candidate] = None
    return [*seen, *later][:limit]


class Suggestions(Static):
    """One line of completions for the focused field: tab or enter takes the highlighted
    one, up and down move the highlight, escape hides the line."""

    DEFAULT_CSS = """
    Suggestions {
        height: 1;
        padding: 0 1;
        background: $panel;
        display: none;
    }
    Suggestions.-active { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.choices: list[str] = []
        self.index = 0
        self.word: Word | None = None
        self.owner: object | None = None

    @property
    def active(self) -> bool:
        return bool(self.choices)

    def offer(self, owner: object, word: Word, choices: Sequence[str]) -> None:
        if not choices:
            self.withdraw(owner)
            return
        keep = self.current if self.owner is owner and self.word is not None else None
        self.owner, self.word, self.choices = owner, word, list(choices)
        self.index = self.choices.index(keep) if keep in self.choices else 0
        self._draw()

    def withdraw(self, owner: object | None = None) -> None:
        """Hide the line (only when `owner`'s, if given: another field may own it now)."""
        if owner is not None and owner is not self.owner:
            return
        self.choices, self.word, self.owner = [], None, None
        self._draw()

    def move(self, delta: int) -> None:
        if self.choices:
            self.index = (self.index + delta) % len(self.choices)
            self._draw()

    @property
    def current(self) -> str | None:
        return self.choices[self.index] if self.choices else None

    def _draw(self) -> None:
        self.set_class(self.active, "-active")
        if not self.choices or self.word is None:
            self.update("")
            return
        parts: list[str | tuple[str, str]] = [("tab ", "$text-muted")]
        for i, choice in enumerate(self.choices):
            if i:
                parts.append("  ")
            style = "bold reverse" if i == self.index else "$text-muted"
            parts.append((self.word.trigger + choice, style))
        self.update(Content.assemble(*parts))


class MarkdownArea(TextArea):
    """The post's Markdown: @ completes a username, # a category slug (from `people`
    and `categories`, set by the screen), into the shared `Suggestions` line."""

    def __init__(
        self,
        text: str = "",
        *,
        suggestions: Suggestions,
        id: str | None = None,
        placeholder: str = "",
    ) -> None:
        super().__init__(
            text,
            language=markdown_language(),
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            id=id,
            placeholder=placeholder,
        )
        self.suggestions = suggestions
        self.people: Sequence[str] = ()
        self.categories: Sequence[str] = ()

    def word(self) -> Word | None:
        row, column = self.cursor_location
        if not self.selection.is_empty:
            return None
        return word_before(self.document.get_line(row), column)

    def update_completions(self) -> None:
        word = self.word() if self.has_focus else None
        if word is None:
            self.suggestions.withdraw(self)
            return
        source = self.people if word.trigger == "@" else self.categories
        self.suggestions.offer(self, word, matches(word.prefix, source))

    def accept(self) -> bool:
        """Put the highlighted suggestion in place of the word being typed."""
        word, choice = self.suggestions.word, self.suggestions.current
        if word is None or choice is None or self.suggestions.owner is not self:
            return False
        row = self.cursor_location[0]
        self.replace(
            f"{word.trigger}{choice} ",
            (row, word.start),
            (row, word.end),
            maintain_selection_offset=False,
        )
        self.suggestions.withdraw(self)
        return True

    async def _on_key(self, event: events.Key) -> None:
        # TextArea's own key handler runs after this one unless the key is taken here.
        if self.suggestions.owner is self and take_completion_key(self, event):
            event.stop()
            event.prevent_default()

    @on(TextArea.SelectionChanged)
    def _moved(self) -> None:
        self.update_completions()

    def _on_blur(self, event: events.Blur) -> None:
        self.suggestions.withdraw(self)


class ListInput(Input):
    """A list of names separated by commas or spaces that completes the word being typed
    from `known`; subclasses say how to read the list and what a suggestion starts with."""

    TRIGGER = ""  # drawn before each suggestion, and skipped when typed

    def __init__(
        self, value: str = "", *, suggestions: Suggestions, placeholder: str, id: str | None = None
    ) -> None:
        super().__init__(value, placeholder=placeholder, id=id, compact=True, select_on_focus=False)
        self.suggestions = suggestions
        self.known: Sequence[str] = ()

    @property
    def names(self) -> list[str]:
        return parse_tags(self.value)

    def update_completions(self) -> None:
        word = tag_before(self.value, self.cursor_position) if self.has_focus else None
        if word is not None and self.TRIGGER:
            prefix = word.prefix.lstrip(self.TRIGGER)
            word = Word(self.TRIGGER, prefix, word.start, word.end) if prefix else None
        if word is None:
            self.suggestions.withdraw(self)
            return
        taken = set(self.names) - {word.prefix}
        offered = matches(word.prefix, (t for t in self.known if t not in taken))
        self.suggestions.offer(self, word, offered)

    def accept(self) -> bool:
        word, choice = self.suggestions.word, self.suggestions.current
        if word is None or choice is None or self.suggestions.owner is not self:
            return False
        value = self.value
        self.value = f"{value[: word.start]}{choice}, {value[word.end :].lstrip(', ')}"
        self.cursor_position = word.start + len(choice) + 2
        self.suggestions.withdraw(self)
        return True

    async def _on_key(self, event: events.Key) -> None:
        if self.suggestions.owner is self and take_completion_key(self, event):
            event.stop()
            event.prevent_default()

    def on_mount(self) -> None:
        # The cursor moving (typing moves it too) is what changes the word being typed.
        self.watch(self, "selection", self._moved, init=False)

    def _moved(self) -> None:
        self.update_completions()

    def _on_blur(self, event: events.Blur) -> None:
        self.suggestions.withdraw(self)


class TagsInput(ListInput):
    """The tags of a new topic, separated by commas or spaces; completes known tags."""

    def __init__(self, value: str = "", *, suggestions: Suggestions, id: str | None = None) -> None:
        super().__init__(
            value,
            suggestions=suggestions,
            placeholder="tags, comma-separated (optional)",
            id=id,
        )

    @property
    def tags(self) -> list[str]:
        return self.names


class ParticipantsInput(ListInput):
    """Whom a private conversation is for: usernames, @ optional; completes known names."""

    TRIGGER = "@"

    def __init__(self, value: str = "", *, suggestions: Suggestions, id: str | None = None) -> None:
        super().__init__(
            value,
            suggestions=suggestions,
            placeholder="usernames, comma-separated (@ completes)",
            id=id,
        )

    @property
    def names(self) -> list[str]:
        return parse_participants(self.value)

    @property
    def participants(self) -> list[str]:
        return self.names


def take_completion_key(field: MarkdownArea | ListInput, event: events.Key) -> bool:
    """Whether `event` was a key for the suggestions line (and did its work)."""
    suggestions = field.suggestions
    if not suggestions.active:
        return False
    if event.key in ("tab", "enter"):
        return field.accept()
    if event.key in ("down", "up"):
        suggestions.move(1 if event.key == "down" else -1)
        return True
    if event.key == "escape":
        suggestions.withdraw(field)
        return True
    return False


def preview_post(
    raw: str,
    *,
    username: str,
    topic_id: int,
    reply_to_post_number: int | None = None,
    editing: Post | None = None,
    now: datetime | None = None,
) -> Post:
    """The post being written, as its thread will show it: the edited post with its new
    text, or a new post (number 0: the forum numbers it) by `username`, written now."""
    if editing is not None:
        return Post(
            id=editing.id,
            topic_id=editing.topic_id,
            post_number=editing.post_number,
            username=editing.username,
            name=editing.name,
            created_at=editing.created_at,
            raw=raw,
            reply_to_post_number=editing.reply_to_post_number,
            accepted=editing.accepted,
        )
    return Post(
        id=0,
        topic_id=topic_id,
        post_number=0,
        username=username,
        created_at=now or datetime.now(UTC),
        raw=raw,
        reply_to_post_number=reply_to_post_number,
    )


class PostPreview(ThreadView):
    """The thread view showing just the post being written: the same widget, styles and
    rendering as the thread, so what the preview shows is what the thread will."""

    def show_post(self, post: Post, *, title: str = "") -> None:
        topic = Topic(
            id=post.topic_id,
            title=title,
            category_id=0,
            username=post.username,
            posts_count=1,
            reply_count=0,
            bumped_at=post.created_at,
        )
        page = TopicPage(topic=topic, post_ids=(post.id,), posts=(post,))
        self.show(page, [post], last_read_post_number=None)
