"""Writing: a new topic, a reply (to the topic or to one post, maybe quoting it), an
edit or a new private conversation (to the people named, with a title), composed in
Markdown with a live preview, then queued in the outbox.

Nothing typed is lost. Every change is saved as a draft (tui/forum/drafts.py) and an open
composer restores the draft it finds; cancelling asks whether to keep it (keeping is the
default). Sending never waits on the network: the text goes to the outbox with the
draft's key, the outbox sends it when it can and removes the draft once the forum has
it. A rejection or an edit conflict comes back here as `ComposeRequest.problem`: its
reason is shown, and sending fixes and retries that same outbox item.

ctrl+e hands the text to $VISUAL / $EDITOR (then vi) on a private temporary file while
the app is suspended; the text comes back only when the editor exits cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Select, Static, TextArea

from tui import keymap
from tui.external_editor import EditorFailed, edit_externally
from tui.forum.backend import ForumError
from tui.forum.cache import Cache
from tui.forum.document import plain_text, render_post
from tui.forum.drafts import Draft, Drafts, edit_key, message_key, new_topic_key, reply_key
from tui.forum.models import Category, Post, User
from tui.forum.outbox import Outbox, OutboxError, OutboxItem, OutboxKind, OutboxState
from tui.forum.repository import Repository, repository_of
from tui.forum.sanitize import clean_line
from tui.screens.keep_draft import KeepDraftScreen
from widgets.composer import (
    MarkdownArea,
    ParticipantsInput,
    PostPreview,
    Suggestions,
    TagsInput,
    preview_post,
    quote_block,
)
from widgets.formatting import ago, marks_for

Kind = Literal["topic", "reply", "edit", "message"]
WIDE = 110  # from this width on, the preview sits beside the editor
PREVIEW_DELAY = 0.15  # seconds of quiet typing before the preview is redrawn
_KINDS: dict[OutboxKind, Kind] = {
    OutboxKind.TOPIC: "topic",
    OutboxKind.REPLY: "reply",
    OutboxKind.EDIT: "edit",
    OutboxKind.MESSAGE: "message",
}


@dataclass(frozen=True)
class ComposeRequest:
    """What to write. `reply_to` is the post a reply answers (None: the topic itself);
    `quote` a post to quote with its attribution (usually `reply_to` too); `post` the post
    to edit, as fetched (its version guards the edit); `category_id` a new topic's
    preselected category; `people` usernames offered after @ (the thread's authors);
    `since_post_number` the highest post number the caller has seen in the thread;
    `participants` whom a new private conversation (kind "message") is for, to begin with;
    `problem` an outbox item the forum rejected (or an edit that conflicted), to fix and
    send again: its text, title and reason come from it."""

    kind: Kind
    topic_id: int | None = None
    topic_title: str = ""
    reply_to: Post | None = None
    quote: Post | None = None
    post: Post | None = None
    category_id: int | None = None
    people: tuple[str, ...] = ()
    problem: OutboxItem | None = None
    since_post_number: int | None = None
    participants: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "reply" and self.topic_id is None:
            raise ValueError("a reply needs its topic_id")
        if self.kind == "edit" and self.post is None:
            raise ValueError("an edit needs the post as fetched")
        if self.problem is not None and _KINDS[self.problem.kind] != self.kind:
            raise ValueError(f"a {self.problem.kind} outbox item is not a {self.kind}")

    @classmethod
    def for_problem(
        cls, item: OutboxItem, *, topic_title: str = "", people: tuple[str, ...] = ()
    ) -> ComposeRequest:
        """Reopen a rejected or conflicting outbox item."""
        kind = _KINDS[item.kind]
        return cls(
            kind=kind,
            topic_id=item.topic_id,
            topic_title=topic_title or (item.title or ""),
            post=item.base_post if kind == "edit" else None,
            category_id=item.category_id,
            people=people,
            problem=item,
            since_post_number=item.since_post_number,
            participants=item.participants,
        )

    @property
    def reply_to_post_number(self) -> int | None:
        if self.reply_to is not None:
            return self.reply_to.post_number
        return self.problem.reply_to_post_number if self.problem is not None else None

    @property
    def draft_key(self) -> str:
        """Where this writing's draft is kept (an outbox item's own, when reopened)."""
        if self.problem is not None and self.problem.draft_key:
            return self.problem.draft_key
        if self.kind == "edit":
            assert self.post is not None
            return edit_key(self.post.id)
        if self.kind == "reply":
            assert self.topic_id is not None
            return reply_key(self.topic_id, self.reply_to_post_number)
        if self.kind == "message":
            return message_key(self.participants)
        return new_topic_key(self.category_id)


@dataclass(frozen=True)
class Writing:
    """What the composer holds: the same fields a draft keeps."""

    raw: str = ""
    title: str = ""
    category: int | None = None
    tags: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()  # a new conversation's

    @property
    def empty(self) -> bool:
        return not self.raw.strip() and not self.title.strip()


@dataclass
class Choices:
    """What the composer offers: categories, and completions for @, # and tags."""

    categories: list[Category] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


# -- the screen -----------------------------------------------------------------------------


class ComposeScreen(Screen[OutboxItem | None]):
    """The composer; dismissed with the queued `OutboxItem`, or None when cancelled."""

    BINDINGS = keymap.bindings("compose")
    KEY_CONTEXT = "compose"

    DEFAULT_CSS = """
    ComposeScreen {
        layout: vertical;
    }
    #compose-heading {
        height: 1;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    #compose-problem {
        height: auto;
        max-height: 4;
        padding: 0 1;
        background: $error 25%;
        color: $text;
    }
    #compose-fields {
        height: auto;
        padding: 1 1 0 1;
    }
    .compose-row {
        height: 1;
    }
    .compose-label {
        width: 9;
        color: $text-muted;
    }
    .compose-label.-tags {
        width: 5;
        margin-left: 1;
    }
    #compose-category {
        width: 28;
    }
    #compose-title, #compose-tags, #compose-to {
        width: 1fr;
    }
    #compose-body {
        height: 1fr;
    }
    #compose-editor {
        width: 1fr;
        height: 1fr;
    }
    #compose-preview-pane {
        width: 1fr;
        height: 1fr;
    }
    ComposeScreen.-wide #compose-preview-pane {
        border-left: vkey $panel-lighten-2;
    }
    #compose-preview-label {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    #compose-preview {
        height: 1fr;
    }
    #compose-status {
        height: auto;
        max-height: 2;
        padding: 0 1;
        background: $panel;
    }
    """

    def __init__(self, request: ComposeRequest) -> None:
        super().__init__(name="compose")
        self.request = request
        self.key = request.draft_key
        self.choices = Choices(people=list(dict.fromkeys(request.people)))
        self.opened = self._prefill()  # what the composer opened with, draft aside
        self.draft: Draft | None = None  # the draft found on opening (read in compose)
        self.start = self.opened  # what the composer shows first: the draft if there is one
        self.show_preview = True  # beside the editor (wide)
        self.previewing = False  # in the editor's place (narrow)
        self.username = ""
        self._sending = False
        self._preview_timer: Timer | None = None
        self._saved = self.start  # the draft as last saved (or found)

    # -- building ------------------------------------------------------------------------

    def _open(self) -> None:
        """Read what the app holds for this writing: its draft, and who is writing."""
        self.draft = self._load_draft()
        if self.draft is not None:
            self.start = self._saved = self._restored(self.draft)
        me = self._me()
        self.username = me.username if me is not None else ""

    def compose(self) -> ComposeResult:
        self._open()
        request = self.request
        yield Static(self._heading(), id="compose-heading")
        yield Static(id="compose-problem")
        suggestions = Suggestions(id="compose-suggestions")
        if request.kind == "message":
            with Vertical(id="compose-fields"):
                with Horizontal(classes="compose-row"):
                    yield Static("To", classes="compose-label")
                    yield ParticipantsInput(
                        ", ".join(self.start.participants),
                        suggestions=suggestions,
                        id="compose-to",
                    )
                with Horizontal(classes="compose-row"):
                    yield Static("Title", classes="compose-label")
                    yield Input(
                        self.start.title,
                        placeholder="what the conversation is about",
                        id="compose-title",
                        compact=True,
                        select_on_focus=False,
                    )
        if request.kind == "topic":
            with Vertical(id="compose-fields"):
                with Horizontal(classes="compose-row"):
                    yield Static("Title", classes="compose-label")
                    yield Input(
                        self.start.title,
                        placeholder="what the topic is about",
                        id="compose-title",
                        compact=True,
                        select_on_focus=False,
                    )
                with Horizontal(classes="compose-row"):
                    yield Static("Category", classes="compose-label")
                    yield Select[int](
                        [],
                        prompt="choose…",
                        id="compose-category",
                        compact=True,
                    )
                    yield Static("Tags", classes="compose-label -tags")
                    yield TagsInput(
                        ", ".join(self.start.tags), suggestions=suggestions, id="compose-tags"
                    )
        with Horizontal(id="compose-body"):
            yield MarkdownArea(
                self.start.raw,
                suggestions=suggestions,
                id="compose-editor",
                placeholder="Markdown: **bold**, `code`, > quote, @name, #category",
            )
            with Vertical(id="compose-preview-pane"):
                yield Static("Preview", id="compose-preview-label")
                # The thread's own view, with the thread's marks, draws the preview.
                yield PostPreview(
                    id="compose-preview",
                    marks=marks_for(getattr(sys.__stderr__, "encoding", None)),
                )
        yield suggestions
        yield Static(id="compose-status")
        yield Footer()

    @property
    def editor(self) -> MarkdownArea:
        return self.query_one(MarkdownArea)

    @property
    def preview(self) -> PostPreview:
        return self.query_one(PostPreview)

    @property
    def wide(self) -> bool:
        return self.size.width >= WIDE

    def on_mount(self) -> None:
        self._show_problem()
        self.editor.people = self.choices.people
        if self.draft is not None:
            self._say(f"draft restored from {_when(self.draft.updated_at)}")
        else:
            self._say("@name, #category: tab completes · the draft is saved as you type")
        self._arrange()
        self._focus_first()
        self.editor.move_cursor(self.editor.document.end)
        self.update_preview()
        self._note_outbox()
        self.load_choices()

    def _focus_first(self) -> None:
        if self.request.kind == "message" and not self.start.participants:
            self.query_one("#compose-to", Input).focus()
        elif self.request.kind in ("topic", "message") and not self.start.title.strip():
            self.query_one("#compose-title", Input).focus()
        else:
            self.editor.focus()

    def on_resize(self, event: Resize) -> None:
        self._arrange()

    def _arrange(self) -> None:
        """The preview beside the editor when wide; in its place, on request, when not."""
        wide = self.wide
        self.set_class(wide, "-wide")
        editor_shown = wide or not self.previewing
        preview_shown = (wide and self.show_preview) or (not wide and self.previewing)
        self.editor.display = editor_shown
        self.query_one("#compose-preview-pane").display = preview_shown
        if not editor_shown and self.focused is self.editor:
            self.preview.focus()
        elif editor_shown and (self.focused is None or self.focused is self.preview):
            self.editor.focus()

    def _heading(self) -> Content:
        request = self.request
        title = request.topic_title
        parts: list[str | tuple[str, str]] = []
        if request.kind == "topic":
            parts.append("New topic")
        elif request.kind == "message":
            parts.append("New private message")
            parts.append((" · only the people named (and you) will see it", "not bold"))
        elif request.kind == "edit":
            assert request.post is not None
            parts.append(f"Edit post #{request.post.post_number}")
        else:
            number = request.reply_to_post_number
            if request.reply_to is not None:
                parts += ["Reply to ", (clean_line(request.reply_to.username), "$text-accent")]
                parts.append(f" #{number}")
            elif number is not None:
                parts.append(f"Reply to #{number}")
            else:
                parts.append("Reply to the topic")
            quote = request.quote
            if quote is not None and quote.id == getattr(request.reply_to, "id", None):
                parts[0] = "Quote-reply to "
            elif quote is not None:
                parts += [", quoting ", (clean_line(quote.username), "$text-accent")]
                parts.append(f" #{quote.post_number}")
        if title:
            parts += [" · ", (clean_line(title), "not bold")]
        return Content.assemble(*parts)

    def _show_problem(self) -> None:
        widget = self.query_one("#compose-problem", Static)
        item = self.request.problem
        widget.display = item is not None
        if item is None:
            return
        reason = (item.reason or "no reason was given").rstrip()
        if not reason.endswith((".", "!", "?")):
            reason += "."
        if item.state is OutboxState.CONFLICT:
            lead = "Someone changed this post after you opened it: "
            tail = " Sending puts your text over the current version."
        elif item.state is OutboxState.REJECTED:
            lead = "Not sent: "
            tail = " Change it and send it again."
        else:
            lead = f"Not sent yet ({item.state}): "
            tail = ""
        widget.update(Content.assemble((lead, "bold"), reason, tail))

    # -- what the composer starts with -------------------------------------------------------

    def _prefill(self) -> Writing:
        request, item = self.request, self.request.problem
        if item is not None:
            return Writing(
                item.raw, item.title or "", item.category_id, item.tags, item.participants
            )
        if request.kind == "edit":
            assert request.post is not None
            post = request.post
            raw = post.raw if post.raw is not None else plain_text(render_post(post))
            return Writing(raw)
        if request.kind == "reply" and request.quote is not None:
            return Writing(quote_block(request.quote))
        if request.kind == "message":
            return Writing(participants=request.participants)
        return Writing(category=request.category_id)

    def _load_draft(self) -> Draft | None:
        drafts = self._drafts()
        if drafts is None:
            return None
        try:
            draft = drafts.load(self.key)
        except sqlite3.Error as exc:
            self.log.error("reading the draft failed", exc)
            return None
        item = self.request.problem
        if draft is not None and item is not None and draft.updated_at <= item.updated_at:
            return None  # the outbox item is the newer text
        if draft is not None and not draft.raw.strip() and not (draft.title or "").strip():
            return None
        return draft

    def _restored(self, draft: Draft) -> Writing:
        raw = draft.raw
        quote = self.request.quote
        if quote is not None:
            block = quote_block(quote)
            if block.strip() not in raw:  # quoting again into an earlier draft: add it
                raw = f"{raw.rstrip()}\n\n{block}" if raw.strip() else block
        return Writing(
            raw,
            draft.title or "",
            draft.category if draft.category is not None else self.opened.category,
            draft.tags,
            draft.participants or self.opened.participants,
        )

    def writing(self) -> Writing:
        """What the composer holds now."""
        if self.request.kind == "message":
            return Writing(
                self.editor.text,
                self.query_one("#compose-title", Input).value,
                participants=tuple(self.query_one(ParticipantsInput).participants),
            )
        if self.request.kind != "topic":
            return Writing(self.editor.text)
        value = self.query_one("#compose-category", Select).value
        if not self.choices.categories:  # not loaded yet: still the one it opened with
            value = self.start.category
        return Writing(
            self.editor.text,
            self.query_one("#compose-title", Input).value,
            value if isinstance(value, int) else None,
            tuple(self.query_one(TagsInput).tags),
        )

    # -- the app's services ---------------------------------------------------------------------

    def _drafts(self) -> Drafts | None:
        drafts = getattr(self.app, "drafts", None)
        return drafts if isinstance(drafts, Drafts) else None

    def _outbox(self) -> Outbox | None:
        outbox = getattr(self.app, "outbox", None)
        return outbox if isinstance(outbox, Outbox) else None

    def _repo(self) -> Repository | None:
        return repository_of(self.app)

    def _cache(self) -> Cache | None:
        cache = getattr(self.app, "cache", None)
        if isinstance(cache, Cache):
            return cache
        repo = self._repo()
        return repo.cache if repo is not None else None

    def _me(self) -> User | None:
        me = getattr(self.app, "me", None)
        return me if isinstance(me, User) else None

    def _deliver(self) -> None:
        deliver = getattr(self.app, "deliver", None)
        if callable(deliver):
            deliver()

    # -- choices for the category select and the completions -------------------------------------

    @work(exclusive=True, group="compose-choices")
    async def load_choices(self) -> None:
        """Categories (cached first, then the forum's), and the names and tags the cache
        already holds, for completion. The cache is there before the forum is."""
        cache = self._cache()
        while cache is None:
            await asyncio.sleep(0.05)
            cache = self._cache()
        topic_id = self.request.topic_id
        lists = await asyncio.to_thread(cache.get_topic_list, cache.list_key())
        posts = await asyncio.to_thread(cache.get_posts, topic_id) if topic_id else []
        cached_categories = await asyncio.to_thread(cache.get_categories)
        me = self._me() or await asyncio.to_thread(cache.get_me)
        if me is not None and not self.username:
            self.username = me.username
            self.update_preview()
        topics = lists.topics if lists is not None else ()
        people = [p.username for p in posts]
        people += [name for t in topics for name in (t.username, t.last_poster)]
        everyone = dict.fromkeys([*self.choices.people, *people])
        self.choices.people = [name for name in everyone if name]
        self.choices.tags = list(dict.fromkeys(tag for t in topics for tag in t.tags))
        self.editor.people = self.choices.people
        if self.request.kind == "topic":
            self.query_one(TagsInput).known = self.choices.tags
        if self.request.kind == "message":
            self.query_one(ParticipantsInput).known = [
                name for name in self.choices.people if name != self.username
            ]
        if cached_categories:
            self._set_categories(cached_categories)
        repo = self._repo()
        while repo is None:  # opened before the forum: the cached categories will do
            await asyncio.sleep(0.05)
            repo = self._repo()
        try:
            async for answer in repo.categories():
                if answer.value and answer.value != self.choices.categories:
                    self._set_categories(answer.value)
        except ForumError as exc:  # the cache answered already, or there is nothing to offer
            self.log.info("categories could not be fetched", exc.message)

    def _set_categories(self, categories: list[Category]) -> None:
        self.choices.categories = categories
        self.editor.categories = [c.slug for c in categories]
        if self.request.kind != "topic":
            return
        select: Select[int] = self.query_one("#compose-category", Select)
        current = select.value if isinstance(select.value, int) else self.start.category
        select.set_options((Text(c.name), c.id) for c in categories)
        if current is not None and any(c.id == current for c in categories):
            select.value = current

    # -- changes: the draft and the preview --------------------------------------------------

    @on(TextArea.Changed, "#compose-editor")
    def _text_changed(self) -> None:
        self._changed()
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self.update_preview)

    @on(Input.Changed, "#compose-title, #compose-tags, #compose-to")
    @on(Select.Changed, "#compose-category")
    def _field_changed(self) -> None:
        self._changed()

    def _changed(self) -> None:
        if self.writing() != self._saved:
            self.save_draft()

    def save_draft(self) -> bool:
        """Keep what is written; nothing of the user's yet (the text it opened with,
        untouched) leaves no draft. False when it could not be saved."""
        drafts = self._drafts()
        if drafts is None:
            return False
        now = self.writing()
        try:
            if now == self.opened and self.draft is None:
                drafts.delete(self.key)
            else:
                drafts.save(
                    self.key,
                    raw=now.raw,
                    title=now.title or None,
                    category=now.category,
                    tags=now.tags,
                    reply_to_post_number=self.request.reply_to_post_number,
                    topic_id=self.request.topic_id,
                    participants=now.participants,
                )
        except sqlite3.Error as exc:
            self._say(f"the draft could not be saved: {exc}", error=True)
            return False
        self._saved = now
        return True

    def update_preview(self) -> None:
        request = self.request
        post = preview_post(
            self.editor.text,
            username=self.username or "you",
            topic_id=request.topic_id or 0,
            reply_to_post_number=request.reply_to_post_number,
            editing=request.post if request.kind == "edit" else None,
        )
        self.preview.show_post(post, title=request.topic_title)
        label = "Preview" if self.editor.text.strip() else "Preview: nothing written yet"
        self.query_one("#compose-preview-label", Static).update(label)

    def _note_outbox(self) -> None:
        """Say so when text from this draft is already waiting in the outbox."""
        outbox = self._outbox()
        if outbox is None or self.request.problem is not None:
            return
        try:
            waiting = [i for i in outbox.pending() if i.draft_key == self.key]
        except (sqlite3.Error, OutboxError):
            return
        if waiting:
            self._say("text from this draft is already in the outbox, waiting to be sent")

    # -- actions ------------------------------------------------------------------------------

    def action_preview(self) -> None:
        if self.wide:
            self.show_preview = not self.show_preview
        else:
            self.previewing = not self.previewing
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self.update_preview()
        self._arrange()

    def action_editor(self) -> None:
        """Write in the user's own editor; the text comes back when it exits cleanly."""
        before = self.editor.text
        try:
            edited = edit_externally(self.app, before)
        except SuspendNotSupported:
            self._say(
                "no terminal to hand over here, so no external editor: the text stays as it is",
                error=True,
            )
            return
        except (EditorFailed, OSError) as exc:
            self._say(f"{exc}: the text stays as it was", error=True)
            return
        if edited != before:
            self.editor.load_text(edited)
            self.editor.move_cursor(self.editor.document.end)
        self.editor.focus()
        self._say("text taken back from the editor")

    def action_cancel(self) -> None:
        if not self.wide and self.previewing:  # out of the preview first, as the thread does
            self.action_preview()
            return
        now = self.writing()
        if now.empty:
            self._forget_draft()
            self.dismiss(None)
        elif (now == self.opened and self.draft is None) or now == self.start:
            # Nothing written here: the text it opened with, or an earlier draft untouched.
            self.dismiss(None)
        else:
            self.app.push_screen(KeepDraftScreen(), self._after_cancel)

    def _after_cancel(self, choice: str | None) -> None:
        if choice == "discard":
            self._forget_draft()
            self.dismiss(None)
        elif choice == "keep":
            if self.save_draft():
                self.app.notify("Draft kept: open the composer here again to go on.")
                self.dismiss(None)
            else:
                self._say("the draft could not be saved: the composer stays open", error=True)

    def _forget_draft(self) -> None:
        drafts = self._drafts()
        if drafts is not None:
            with contextlib.suppress(sqlite3.Error):
                drafts.delete(self.key)

    def action_send(self) -> None:
        if self._sending:
            return
        problem = self._invalid()
        if problem is not None:
            message, widget_id = problem
            self._say(message, error=True)
            self.query_one(widget_id).focus()
            return
        self.save_draft()
        if self._outbox() is None:
            self._say(
                "the outbox is not open, so nothing can be sent: the text stays here", error=True
            )
            return
        self._sending = True
        self.send()

    def _invalid(self) -> tuple[str, str] | None:
        """Why the writing cannot be sent yet, and the field to fix; None when it can."""
        now = self.writing()
        if self.request.kind == "message":
            problem = self._invalid_participants(now.participants)
            if problem is not None:
                return problem, "#compose-to"
            if not now.title.strip():
                return "a private message needs a title", "#compose-title"
        if self.request.kind == "topic":
            if not now.title.strip():
                return "a topic needs a title", "#compose-title"
            if now.category is None:
                return "choose the topic's category", "#compose-category"
        if not now.raw.strip():
            return "write something first: the post is empty", "#compose-editor"
        if self.request.kind == "edit" and self.request.problem is None and now == self.opened:
            return "nothing changed: this is the post as it is", "#compose-editor"
        return None

    def _others(self, participants: tuple[str, ...]) -> list[str]:
        """The people named, less the writer (a forum adds the sender itself)."""
        me = self.username.casefold()
        return [p for p in participants if p.casefold() != me]

    def _invalid_participants(self, participants: tuple[str, ...]) -> str | None:
        if not self._others(participants):
            return "name someone to write to (a username; @ completes)"
        try:
            message_key(participants)
        except ValueError as exc:
            return f"{exc}: a username is letters, digits, _ . and -"
        return None

    @work(exclusive=True, group="compose-send")
    async def send(self) -> None:
        """Queue the writing (or fix and retry the reopened item), wake the sender, close."""
        outbox = self._outbox()
        assert outbox is not None
        try:
            item = await self._queue(outbox, self.writing())
        except (OutboxError, ForumError, sqlite3.Error, ValueError) as exc:
            message = exc.message if isinstance(exc, ForumError) else str(exc)
            self._say(f"not sent: {clean_line(message)} (the text is kept)", error=True)
            self._sending = False
            return
        self._deliver()
        self.dismiss(item)

    async def _queue(self, outbox: Outbox, now: Writing) -> OutboxItem:
        request, item = self.request, self.request.problem
        if item is not None:
            return await self._requeue(outbox, item, now)
        if request.kind == "edit":
            assert request.post is not None
            return outbox.enqueue_edit(request.post, now.raw, draft_key=self.key)
        if request.kind == "message":
            return outbox.enqueue_message(
                self._others(now.participants), now.title.strip(), now.raw, draft_key=self.key
            )
        if request.kind == "reply":
            assert request.topic_id is not None
            return outbox.enqueue_reply(
                request.topic_id,
                now.raw,
                request.reply_to_post_number,
                draft_key=self.key,
                since_post_number=request.since_post_number,
            )
        assert now.category is not None
        return outbox.enqueue_topic(
            now.title.strip(),
            now.raw,
            now.category,
            self._slug(now.category),
            now.tags,
            draft_key=self.key,
        )

    async def _requeue(self, outbox: Outbox, item: OutboxItem, now: Writing) -> OutboxItem:
        """The reopened item, changed as written, sent again (no second item). An edit
        that conflicted is redone over the post as it is now."""
        if item.kind is OutboxKind.TOPIC and (
            now.category != item.category_id or now.tags != item.tags
        ):
            # The outbox changes only text and title: a topic refused for its category or
            # tags goes again as itself, once the refused one (which made nothing) is gone.
            if not item.problem:
                raise OutboxError("the item is being sent: its category cannot change now")
            outbox.discard(item.id)
            assert now.category is not None
            return outbox.enqueue_topic(
                now.title.strip(),
                now.raw,
                now.category,
                self._slug(now.category),
                now.tags,
                draft_key=self.key,
            )
        others = tuple(self._others(now.participants))
        if item.kind is OutboxKind.MESSAGE and others != item.participants:
            # Likewise a conversation refused for whom it was for (someone unknown).
            if not item.problem:
                raise OutboxError("the item is being sent: whom it is for cannot change now")
            outbox.discard(item.id)
            return outbox.enqueue_message(others, now.title.strip(), now.raw, draft_key=self.key)
        base: Post | None = None
        if item.kind is OutboxKind.EDIT and item.state is OutboxState.CONFLICT:
            repo = self._repo()
            if repo is None or item.post_id is None:
                raise OutboxError("the forum is not open: the post's current version is needed")
            base = await repo.backend.post(item.post_id)
        titled = item.kind in (OutboxKind.TOPIC, OutboxKind.MESSAGE)
        title = now.title.strip() if titled else None
        outbox.update_text(item.id, now.raw, title=title, base=base)
        return outbox.retry(item.id)

    def _slug(self, category_id: int) -> str:
        for category in self.choices.categories:
            if category.id == category_id:
                return category.slug
        item = self.request.problem
        if item is not None and item.category_id == category_id and item.category_slug:
            return item.category_slug
        raise ValueError("the categories have not loaded yet: try again in a moment")

    # -- the status line ------------------------------------------------------------------------

    def _say(self, message: str, *, error: bool = False) -> None:
        """A note under the editor; messages may quote the forum, so they are text."""
        style = "$text-error" if error else "$text-muted"
        self.query_one("#compose-status", Static).update(Content.styled(message, style))


def _when(moment: datetime) -> str:
    """A draft's time as people say it: "14:05 (5m ago)", or with the date when older."""
    local = moment.astimezone()
    now = datetime.now(UTC)
    shown = local.strftime("%H:%M" if local.date() == now.astimezone().date() else "%d %b %H:%M")
    return f"{shown} ({ago(moment, now)} ago)" if ago(moment, now) != "now" else shown


__all__ = ["ComposeRequest", "ComposeScreen", "Writing"]
