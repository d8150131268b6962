"""Private conversations (g m): yours, most recently active first, with how many posts by
others you have not read; enter opens one in the thread view (the same composer, drafts
and outbox as any topic), c starts a new one.

A new conversation is written in a small form (to whom, a title, the first message) and
sent at once with an idempotency key, so sending again after a lost answer makes no
second conversation. When the forum refuses it or cannot be reached the form stays open
with the text and says why; cancelling keeps the text for this run of the app, and the
form for the same people opens with it again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import DataTable, Footer, Input, Static, TextArea

from tui import keymap
from tui.forum.sanitize import clean, clean_line
from tui.messages import OutboxUpdate
from tui.screens.community_base import EMPTY_CSS, LIST_CSS, STATUS_CSS, CommunityScreen, why
from widgets.community_tables import ConversationTable


@dataclass
class Unsent:
    """A conversation written but not sent: kept while the app runs."""

    participants: str
    title: str
    raw: str
    key: str  # the idempotency key it was (or would have been) sent with


UNSENT: dict[str, Unsent] = {}  # by the participants as typed, normalised


def participants_of(text: str) -> list[str]:
    """Usernames from "ola, @chen hana": commas or spaces between, @ optional."""
    names = clean_line(text).replace(",", " ").split()
    return list(dict.fromkeys(n.lstrip("@") for n in names if n.lstrip("@")))


class MessagesScreen(CommunityScreen):
    BINDINGS = keymap.bindings("messages")
    KEY_CONTEXT = "messages"
    FEATURE = "conversations"
    WHAT = "private messages"

    DEFAULT_CSS = f"""
    MessagesScreen #messages-list {{ {LIST_CSS} }}
    MessagesScreen #messages-list:focus {{ border-top: solid $accent; }}
    MessagesScreen #messages-empty {{ {EMPTY_CSS} }}
    MessagesScreen .community-status {{ {STATUS_CSS} }}
    """

    def __init__(self) -> None:
        super().__init__("messages")
        self.loaded_once = False
        self.unread_topics = 0

    def compose(self) -> ComposeResult:
        yield ConversationTable(id="messages-list")
        yield Static(id="messages-empty")
        yield Static(classes="community-status")
        yield Footer()

    @property
    def table(self) -> ConversationTable:
        return self.query_one(ConversationTable)

    def on_mount(self) -> None:
        self.table.border_title = Content("Private messages · most recent first")
        self._show_status()
        self.table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        if self.loaded_once:  # back from a conversation: its unread count went down
            self.load()

    def status_words(self) -> str:
        if not self.loaded_once:
            return ""
        count = len(self.table.conversations)
        words = f" · {count} conversation{'' if count == 1 else 's'}"
        if self.unread_topics:
            words += f" · {self.unread_topics} with unread posts"
        return words

    # -- actions ------------------------------------------------------------------------------

    def action_open(self) -> None:
        conversation = self.table.highlighted
        if conversation is not None:
            self.open_thread(conversation.id)

    def action_new(self) -> None:
        self.app.push_screen(ConversationScreen([]))

    def action_refresh(self) -> None:
        self.load()

    @on(DataTable.RowSelected, "#messages-list")
    def _clicked(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def on_outbox_update(self, message: OutboxUpdate) -> None:
        """A reply sent in a conversation: the list's order changes."""
        if self.loaded_once:
            self.load()

    # -- loading ------------------------------------------------------------------------------

    @work(exclusive=True, group="messages")
    async def load(self) -> None:
        self._set_state(Content.styled("loading…", "$text-muted"))
        try:
            community = await self.community()
            if community is None:
                return
            page = await community.conversations()
        except Exception as exc:
            self.failed(exc, "the list as last shown" if self.loaded_once else "nothing shown")
            return
        first = not self.loaded_once
        self.loaded_once = True
        self.unread_topics = page.unread_topics
        if hasattr(self.app, "unread_messages"):
            self.app.unread_messages = page.unread_topics
        me = str(getattr(getattr(self.app, "me", None), "username", "") or "")
        self.table.show(list(page.conversations), me=me, new_list=first)
        self.loaded()
        self.show_empty()

    def show_empty(self) -> None:
        empty = self.query_one("#messages-empty", Static)
        if self.unsupported:
            empty.update(
                Content.assemble(("No private messages here", "bold"), ": ", self.unsupported, ".")
            )
        elif self.loaded_once and not self.table.conversations:
            empty.update(
                Content(
                    "No private conversations yet: c starts one, or m on someone in People (g p)."
                )
            )
        empty.display = bool(self.unsupported) or (
            self.loaded_once and not self.table.conversations
        )
        self.table.display = not self.unsupported
        self._show_status()


class ConversationScreen(CommunityScreen):
    """Start a private conversation; dismissed once the forum has it (then it opens)."""

    BINDINGS = keymap.bindings("conversation")
    KEY_CONTEXT = "conversation"
    FEATURE = "conversations"
    WHAT = "new private message"

    DEFAULT_CSS = f"""
    ConversationScreen #conversation-fields {{ height: auto; padding: 1 1 0 1; }}
    ConversationScreen .conversation-row {{ height: 3; }}
    ConversationScreen .conversation-label {{ width: 7; padding-top: 1; color: $text-muted; }}
    ConversationScreen #conversation-to, ConversationScreen #conversation-title {{ width: 1fr; }}
    ConversationScreen #conversation-raw {{ height: 1fr; }}
    ConversationScreen #conversation-problem {{
        display: none; height: auto; padding: 0 1; background: $error 25%;
    }}
    ConversationScreen .community-status {{ {STATUS_CSS} }}
    """

    def __init__(self, participants: list[str]) -> None:
        super().__init__("conversation")
        self.to = ", ".join(participants)
        kept = UNSENT.get(self._slot(self.to))
        self.kept = kept
        self.key = kept.key if kept else f"pm-{uuid.uuid4()}"
        self.sending = False

    @staticmethod
    def _slot(text: str) -> str:
        return " ".join(sorted(participants_of(text)))

    def compose(self) -> ComposeResult:
        with Vertical(id="conversation-fields"):
            with Horizontal(classes="conversation-row"):
                yield Static("To", classes="conversation-label")
                yield Input(
                    self.kept.participants if self.kept else self.to,
                    placeholder="usernames, separated by commas",
                    id="conversation-to",
                )
            with Horizontal(classes="conversation-row"):
                yield Static("Title", classes="conversation-label")
                yield Input(
                    self.kept.title if self.kept else "",
                    placeholder="what it is about",
                    id="conversation-title",
                )
        yield Static(id="conversation-problem")
        yield TextArea(self.kept.raw if self.kept else "", id="conversation-raw")
        yield Static(classes="community-status")
        yield Footer()

    def on_mount(self) -> None:
        self._show_status()
        if self.kept:
            self.say("your unsent text is back")
        first_empty = "#conversation-title" if self.to else "#conversation-to"
        self.query_one(first_empty, Input).focus()

    def status_words(self) -> str:
        return " · ctrl+s sends it, only to the people named"

    def _writing(self) -> Unsent:
        return Unsent(
            participants=self.query_one("#conversation-to", Input).value,
            title=self.query_one("#conversation-title", Input).value,
            raw=self.query_one("#conversation-raw", TextArea).text,
            key=self.key,
        )

    def action_cancel(self) -> None:
        writing = self._writing()
        slot = self._slot(writing.participants)
        if writing.title.strip() or writing.raw.strip():
            UNSENT[slot] = writing
            self.notify("Not sent; the text is kept until you quit.", markup=False)
        else:
            UNSENT.pop(slot, None)
        self.dismiss(None)

    def action_send(self) -> None:
        if self.sending:
            return
        writing = self._writing()
        people = participants_of(writing.participants)
        me = getattr(getattr(self.app, "me", None), "username", None)
        people = [p for p in people if p != me]
        problem = ""
        if not people:
            problem = "say to whom (a username)"
        elif not writing.title.strip():
            problem = "give it a title"
        elif not writing.raw.strip():
            problem = "write a message"
        if problem:
            self._problem(problem)
            return
        self._send(people, clean_line(writing.title).strip(), clean(writing.raw), writing)

    @work(exclusive=True, group="conversation-send")
    async def _send(self, people: list[str], title: str, raw: str, writing: Unsent) -> None:
        self.sending = True
        self.say("sending…")
        try:
            community = await self.community()
            if community is None:
                return
            page = await community.start_conversation(people, title, raw, key=self.key)
        except Exception as exc:
            UNSENT[self._slot(writing.participants)] = writing  # kept whatever happens next
            self._problem(why(exc, "not sent (your text is kept; ctrl+s tries again)"))
            return
        finally:
            self.sending = False
        UNSENT.pop(self._slot(writing.participants), None)
        UNSENT.pop(self._slot(self.to), None)
        self.notify(f"Sent to {', '.join(people)}.", markup=False)
        self.dismiss(None)
        self.open_thread(page.topic.id)

    def _problem(self, text: str) -> None:
        problem = self.query_one("#conversation-problem", Static)
        problem.update(Content(text))
        problem.display = True
        self.say(text)

    def show_empty(self) -> None:
        if self.unsupported:
            self._problem(f"Private messages cannot be sent here: {self.unsupported}.")
