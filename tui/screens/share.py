"""Share a resource: a form (URL, title, short description, tags, category) that becomes a
new topic, so the community can discuss the link, and lists it in the resource library.

The topic's first post starts with the link alone on a line, `[title](url)`, the
description below it (tui/forum/sharing.py), and goes through the outbox like any new
topic: queued durably, sent now or once the forum can be reached. The screen dismisses
with the queued `OutboxItem` (None when cancelled).

What is typed is kept as a draft on every change (the new-topic draft of the category
the form opened for), and the form opens on that draft, so escape, a crash or a failed
check loses nothing. A bad field is named on the form and keeps its focus.
"""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Select, Static, TextArea

from tui import keymap
from tui.forum.drafts import Drafts, new_topic_key
from tui.forum.models import Category
from tui.forum.outbox import Outbox, OutboxItem
from tui.forum.repository import Repository, repository_of
from tui.forum.sanitize import clean_line
from tui.forum.sharing import ShareError, check_share, read_share, share_markdown, tag_words

FIELDS = {"url": "#share-url", "title": "#share-title", "tags": "#share-tags"}
INTRO = (
    "Share a link: it becomes a new topic, so people can discuss it, and joins the "
    "resource library."
)

# What a draft holds of the form: (raw, title, category id, tags).
DraftState = tuple[str, str, int | None, tuple[str, ...]]


class ShareScreen(Screen[OutboxItem | None]):
    BINDINGS = keymap.bindings("share")

    DEFAULT_CSS = """
    ShareScreen #share-form {
        height: 1fr;
        padding: 0 1;
        background: $surface;
    }
    ShareScreen #share-intro {
        height: auto;
        color: $text-muted;
    }
    ShareScreen #share-description {
        height: 1fr;
        min-height: 4;
    }
    ShareScreen #share-meta {
        height: auto;
    }
    ShareScreen #share-tags, ShareScreen #share-category {
        width: 1fr;
    }
    ShareScreen #share-error {
        height: auto;
        color: $error;
    }
    ShareScreen #share-status {
        height: auto;
        padding: 0 1;
        background: $panel;
        color: $text;
    }
    """

    def __init__(self, *, category: Category | None = None, url: str = "") -> None:
        """A form for a new resource, in `category` when one is given (it can be changed)."""
        super().__init__(name="share")
        self.category = category
        self.draft_key = new_topic_key(category.id if category else None)
        self.categories: list[Category] = []
        self._url = url
        self._title = ""
        self._description = ""
        self._tags = ""
        self._wanted_category: int | None = category.id if category else None
        self._saved: DraftState | None = None  # what the draft holds now
        self._restored = False

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self._restore()
        with Vertical(id="share-form"):
            yield Static(Content(INTRO), id="share-intro")
            yield self._titled(
                Input(self._url, placeholder="https://…", id="share-url", select_on_focus=False),
                "URL",
            )
            yield self._titled(
                Input(
                    self._title,
                    placeholder="what the library lists it as",
                    id="share-title",
                    select_on_focus=False,
                ),
                "Title",
            )
            yield self._titled(
                TextArea(self._description, id="share-description", soft_wrap=True),
                "Description (optional: why it helps, who it is for)",
            )
            with Horizontal(id="share-meta"):
                yield self._titled(
                    Input(
                        self._tags,
                        placeholder="e.g. git beginners",
                        id="share-tags",
                        select_on_focus=False,
                    ),
                    "Tags",
                )
                yield Select[int]([], prompt="Category", id="share-category")
            yield Static(id="share-error")
        yield Static(id="share-status")
        yield Footer()

    @staticmethod
    def _titled(widget: Widget, title: str) -> Widget:
        widget.border_title = title
        return widget

    def on_mount(self) -> None:
        self.query_one("#share-title" if self._url else "#share-url").focus()
        self._show_status()
        self.load_categories()

    # -- the draft ------------------------------------------------------------------------------

    def drafts(self) -> Drafts | None:
        drafts = getattr(self.app, "drafts", None)
        return drafts if isinstance(drafts, Drafts) else None

    def _restore(self) -> None:
        """Open on the draft of this form, when there is one (and no URL was handed in)."""
        drafts = self.drafts()
        try:
            draft = drafts.load(self.draft_key) if drafts is not None else None
        except Exception as exc:  # an unreadable state file: an empty form, still usable
            self.log.error("reading the draft failed", exc)
            draft = None
        if draft is not None and not self._url:
            self._title = draft.title or ""
            self._url, self._description = read_share(draft.raw, self._title)
            self._tags = " ".join(draft.tags)
            if draft.category is not None:
                self._wanted_category = draft.category
            self._restored = True
        self._saved = self._draft_state(
            self._url, self._title, self._description, self._tags, self._wanted_category
        )

    @staticmethod
    def _draft_state(
        url: str, title: str, description: str, tags: str, category: int | None
    ) -> DraftState:
        return (share_markdown(url.strip(), title, description), title, category, tag_words(tags))

    def _form_state(self) -> DraftState:
        return self._draft_state(
            self.query_one("#share-url", Input).value,
            self.query_one("#share-title", Input).value,
            self.query_one("#share-description", TextArea).text,
            self.query_one("#share-tags", Input).value,
            self._chosen_category_id(),
        )

    def save_draft(self) -> None:
        """Keep what is typed (only when it changed; an emptied form removes the draft)."""
        drafts = self.drafts()
        state = self._form_state()
        if drafts is None or state == self._saved:
            return
        raw, title, category, tags = state
        try:
            drafts.save(self.draft_key, raw=raw, title=title, category=category, tags=tags)
        except Exception as exc:  # the text is still on the screen: say so, keep going
            self.log.error("saving the draft failed", exc)
            self._error(f"the draft could not be saved: {clean_line(str(exc))}")
            return
        self._saved = state

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        if self.is_mounted:
            self.save_draft()

    # -- categories -----------------------------------------------------------------------------

    @work(exclusive=True, group="share-categories")
    async def load_categories(self) -> None:
        """The forum's categories (the cached ones first) for the category field."""
        repo = self._repo()
        while repo is None:  # the forum is still opening
            await asyncio.sleep(0.05)
            repo = self._repo()
        try:
            async for answer in repo.categories():
                if answer.value:
                    self._show_categories(answer.value)
        except Exception as exc:
            self.log.error("loading the categories failed", exc)
        if not self.categories:
            self._error("the categories could not be loaded: the topic needs one (try later)")

    def _repo(self) -> Repository | None:
        return repository_of(self.app)

    def _show_categories(self, categories: list[Category]) -> None:
        select = self.query_one("#share-category", Select)
        chosen = self._chosen_category_id()
        self.categories = list(categories)
        with self.prevent(Select.Changed):
            select.set_options((Text(c.name), c.id) for c in self.categories)
            if chosen is not None and any(c.id == chosen for c in self.categories):
                select.value = chosen

    def _chosen_category_id(self) -> int | None:
        """The category picked; before the list has loaded, the one the form opened with."""
        value = self.query_one("#share-category", Select).value
        if isinstance(value, int):
            return value
        return None if self.categories else self._wanted_category

    def chosen_category(self) -> Category | None:
        chosen = self._chosen_category_id()
        return next((c for c in self.categories if c.id == chosen), None)

    # -- actions ------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        self.save_draft()
        self.dismiss(None)

    def action_submit(self) -> None:
        """Check the form; queue the new topic and hand it to the sender. Nothing typed is
        lost on a bad field or a refusal: the form stays, with the reason."""
        try:
            share = check_share(
                self.query_one("#share-url", Input).value,
                self.query_one("#share-title", Input).value,
                self.query_one("#share-description", TextArea).text,
                self.query_one("#share-tags", Input).value,
            )
        except ShareError as bad:
            self._error(bad.message, FIELDS.get(bad.field))
            return
        category = self.chosen_category()
        if category is None:
            self._error("choose a category: the topic is made in it", "#share-category")
            return
        outbox = getattr(self.app, "outbox", None)
        if not isinstance(outbox, Outbox):
            self._error("cannot share now: sending is off (the state file could not be opened)")
            return
        self.save_draft()
        try:
            item = outbox.enqueue_topic(
                share.title,
                share.markdown,
                category.id,
                category.slug,
                share.tags,
                draft_key=self.draft_key if self.drafts() is not None else None,
            )
        except Exception as exc:  # the disk is full, the file locked: the form stays
            self.log.error("queueing the share failed", exc)
            self._error(f"could not queue it: {clean_line(str(exc))}")
            return
        deliver = getattr(self.app, "deliver", None)
        if callable(deliver):
            deliver()
        self.app.notify(
            f"Sharing “{share.title}” in {category.name}: sent now, or once the forum "
            "can be reached.",
            markup=False,
        )
        self.dismiss(item)

    # -- messages -----------------------------------------------------------------------------

    def _error(self, message: str, field: str | None = None) -> None:
        self.query_one("#share-error", Static).update(Content.styled(message, "$error"))
        if field is not None:
            self.query_one(field).focus()

    def _show_status(self) -> None:
        parts: list[Content | str | tuple[str, str]] = [
            (str(getattr(self.app, "source", "")), "bold"),
            " · share a resource",
        ]
        if self.drafts() is None:
            parts.append(" · drafts are off: what is typed is not kept")
        elif self._restored:
            parts.append(" · your draft, as you left it")
        self.query_one("#share-status", Static).update(Content.assemble(*parts))
