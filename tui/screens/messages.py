"""Private conversations (g m): yours, most recently active first, with how many posts by
others you have not read; enter opens one in the thread view (the same composer, drafts
and outbox as any topic), c starts a new one.

A new conversation is written in the composer (kind "message": to whom, a title, the
first post), kept as a draft while it is written and sent through the outbox like a new
topic, so offline it waits and a lost answer never makes it twice. Once the forum has it
this list is read again and, if it is on top, the new conversation opens; one the forum
refused comes back into the composer with its text and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui import keymap
from tui.forum.outbox import Outbox, OutboxItem, OutboxKind, OutboxState
from tui.messages import OutboxUpdate
from tui.screens.community_base import EMPTY_CSS, LIST_CSS, STATUS_CSS, CommunityScreen
from widgets.community_tables import ConversationTable, NearEnd
from widgets.row_table import RowTable


def write_privately(screen: Screen[object], participants: Iterable[str] = ()) -> bool:
    """Open the composer for a new private conversation with `participants` (oneself
    left out); False, with nothing opened, when there is no outbox to send it through."""
    from tui.screens.compose import ComposeRequest, ComposeScreen

    app = screen.app
    if not isinstance(getattr(app, "outbox", None), Outbox):
        return False
    me = str(getattr(getattr(app, "me", None), "username", "") or "")
    people = tuple(p for p in dict.fromkeys(participants) if p and p != me)
    known: list[str] = list(people)
    if isinstance(screen, MessagesScreen):
        known += [m.username for c in screen.table.conversations for m in c.participants]
    request = ComposeRequest(
        "message",
        participants=people,
        people=tuple(n for n in dict.fromkeys(known) if n and n != me),
    )
    app.push_screen(ComposeScreen(request))
    return True


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
        # Paging: where the next page starts, and how many pages are shown.
        self.next_cursor: str | None = None
        self.pages = 0
        self._paging = False
        self._paging_failed = False

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
        self.call_after_refresh(self.offer_problems)

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
        if self.unsupported:
            self.say(f"private messages cannot be sent here: {self.unsupported}")
        elif not write_privately(self):
            self.say("sending is off: the state file could not be opened")

    def action_refresh(self) -> None:
        self.load()

    @on(RowTable.RowSelected, "#messages-list")
    def _clicked(self, event: RowTable.RowSelected) -> None:
        self.action_open()

    def on_outbox_update(self, message: OutboxUpdate) -> None:
        """A reply sent in a conversation: the list's order changes. A conversation
        started and now sent opens (if this screen is on top); one refused goes back into
        the composer."""
        started = [
            o.item.topic_id
            for o in message.outcomes
            if o.item.kind is OutboxKind.MESSAGE and o.item.state is OutboxState.SENT
        ]
        opened = next((t for t in reversed(started) if t is not None), None)
        if opened is not None and self.is_current:
            self.open_thread(opened)
        if self.loaded_once or opened is not None:
            self.load()
        if opened is None:
            self.offer_problems()

    def offer_problems(self) -> None:
        """A conversation the forum refused: back into the composer with its text and the
        reason (once per item and run, as threads do for replies)."""
        from tui.screens.compose import ComposeRequest, ComposeScreen

        outbox = getattr(self.app, "outbox", None)
        offered = getattr(self.app, "problems_offered", None)
        if not isinstance(outbox, Outbox) or not isinstance(offered, set) or not self.is_current:
            return
        try:
            refused: list[OutboxItem] = [
                i for i in outbox.problems() if i.kind is OutboxKind.MESSAGE and i.id not in offered
            ]
        except Exception as exc:  # the list still works without it
            self.log.error("reading the outbox failed", exc)
            return
        if refused:
            offered.add(refused[0].id)
            self.app.push_screen(ComposeScreen(ComposeRequest.for_problem(refused[0])))

    # -- loading ------------------------------------------------------------------------------

    @work(exclusive=True, group="messages")
    async def load(self) -> None:
        self.workers.cancel_group(self, "messages-more")  # a page of an older list must not land
        self._paging = False
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
        fresh = list(page.conversations)
        if self.pages > 1:  # a refresh reads the first page again and keeps those below it
            known = {c.id for c in fresh}
            fresh += [c for c in self.table.conversations if c.id not in known]
        else:
            self.next_cursor, self.pages = page.next_cursor, 1
        self._paging_failed = False
        self.table.show(fresh, me=me, new_list=first)
        self.loaded()
        self.show_empty()
        self.table.check_near_end()  # a first page shorter than the screen: fill it

    @on(NearEnd, "#messages-list")
    def _near_end(self, event: NearEnd) -> None:
        if self.next_cursor is None or self._paging or self._paging_failed:
            return
        self.load_more()

    @work(exclusive=True, group="messages-more")
    async def load_more(self) -> None:
        """Append the next page of conversations; the cursor stays where it is."""
        cursor = self.next_cursor
        if cursor is None:
            return
        self._paging = True
        self._set_state(Content.styled("loading more…", "$text-muted"))
        try:
            community = await self.community()
            if community is None:
                return
            page = await community.conversations(cursor=cursor)
        except Exception as exc:
            self._paging_failed = True  # r reads the list again
            self.failed(exc, "no more conversations shown")
            return
        finally:
            self._paging = False
        if self.next_cursor != cursor:
            return  # the list was read again meanwhile
        self.next_cursor, self.pages = page.next_cursor, self.pages + 1
        me = str(getattr(getattr(self.app, "me", None), "username", "") or "")
        self.table.show([*self.table.conversations, *page.conversations], me=me)
        self.loaded()
        self.show_empty()
        self.table.check_near_end()

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
