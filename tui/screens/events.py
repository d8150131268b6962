"""Upcoming events and group meetings (g e): this week, or the next 30 days (w), soonest
first, in the reader's own time; f shows one group's only (a count picks which).

y, i and n answer going, interested and not going; the same answer again takes it back.
The answer shows at once and is rolled back, with the forum's reason, when the forum does
not take it (as a like is in a thread). e writes the events you are going to as an
.ics file, for any calendar program, and says where. Enter opens an event's discussion;
a lists who answered it (enter there shows a profile). While the screen is open it
follows the forum's change feed: the list is read again quietly, the cursor staying on
its event.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Footer, Static

from tui import keymap
from tui.forum import ics
from tui.forum.community import Event, RsvpCounts
from tui.messages import ForumChanged
from tui.screens.community_base import EMPTY_CSS, LIST_CSS, STATUS_CSS, CommunityScreen, why
from widgets.community_tables import AttendeeTable, EventTable
from widgets.community_text import RSVP_WORDS, event_summary
from widgets.row_table import RowTable

WEEK = timedelta(days=7)
MONTH = timedelta(days=30)
YEAR = timedelta(days=365)  # how far ahead an export looks (the server allows 366 days)
ICS_NAME = "cohort-events.ics"


def download_dir() -> Path:
    """Where an export goes: $XDG_DOWNLOAD_DIR, else ~/Downloads when it exists, else ~."""
    named = os.environ.get("XDG_DOWNLOAD_DIR", "").strip()
    if named:
        return Path(named).expanduser()
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.home()


def with_rsvp(event: Event, status: str | None) -> Event:
    """`event` as it looks once the reader answered `status` (None: no answer)."""
    counts = {
        "going": event.rsvp_counts.going,
        "interested": event.rsvp_counts.interested,
        "not_going": event.rsvp_counts.not_going,
    }
    if event.my_rsvp in counts:
        counts[event.my_rsvp] = max(counts[event.my_rsvp] - 1, 0)
    if status in counts:
        counts[status] += 1
    return replace(event, my_rsvp=status, rsvp_counts=RsvpCounts(**counts))


class EventsScreen(CommunityScreen):
    BINDINGS = keymap.bindings("events")
    KEY_CONTEXT = "events"
    FEATURE = "events"
    WHAT = "events"

    DEFAULT_CSS = f"""
    EventsScreen #events-list {{ {LIST_CSS} }}
    EventsScreen #events-list:focus {{ border-top: solid $accent; }}
    EventsScreen #events-empty {{ {EMPTY_CSS} }}
    EventsScreen #events-detail {{
        height: auto; max-height: 6; padding: 0 1;
        border-top: solid $panel-lighten-2; background: $surface;
    }}
    EventsScreen .community-status {{ {STATUS_CSS} }}
    """

    def __init__(self) -> None:
        super().__init__("events")
        self.span = WEEK
        self.group: tuple[str, str] | None = None  # (slug, name) shown alone
        self.groups: dict[str, str] = {}  # every group seen in a list: slug -> name
        self.loaded_once = False
        self._pending: dict[str, int] = {}  # answers on their way, by event key

    def compose(self) -> ComposeResult:
        yield EventTable(id="events-list")
        yield Static(id="events-empty")
        yield Static(id="events-detail")
        yield Static(classes="community-status")
        yield Footer()

    @property
    def table(self) -> EventTable:
        return self.query_one(EventTable)

    def on_mount(self) -> None:
        self._show_title()
        self._show_status()
        self.table.focus()
        self.load()

    def status_words(self) -> str:
        if not self.loaded_once:
            return ""
        count = len(self.table.events)
        going = sum(e.my_rsvp == "going" for e in self.table.events)
        return f" · {count} upcoming · you go to {going}"

    # -- actions ------------------------------------------------------------------------------

    def action_open(self) -> None:
        event = self.table.highlighted
        if event is None:
            return
        if event.topic_id is None:
            self.say("this event has no discussion thread")
            return
        self.open_thread(event.topic_id)

    def action_going(self) -> None:
        self._answer("going")

    def action_interested(self) -> None:
        self._answer("interested")

    def action_not_going(self) -> None:
        self._answer("not_going")

    def action_wider(self) -> None:
        self.span = MONTH if self.span == WEEK else WEEK
        self._show_title()
        self.load()

    def action_next_group(self) -> None:
        """Every group's events, then one group's, and round again; a count picks one."""
        if not self.groups:
            self.say("no group has events in this window")
            return
        choices: list[tuple[str, str] | None] = [
            None,
            *sorted(self.groups.items(), key=lambda g: g[1]),
        ]
        if self.count is not None:
            if not 1 <= self.count < len(choices):
                self.say(f"the groups are 1 to {len(choices) - 1}")
                return
            self.group = choices[self.count]
        else:
            self.group = choices[(choices.index(self.group) + 1) % len(choices)]
        self._show_title()
        self.load()

    def action_export(self) -> None:
        self._export()

    def action_attendees(self) -> None:
        event = self.table.highlighted
        if event is None:
            self.say("no event is highlighted")
            return
        self.app.push_screen(AttendeesScreen(event))

    @on(ForumChanged)
    def _forum_changed(self, message: ForumChanged) -> None:
        """Someone answered, an event moved or was added: read the list again, quietly."""
        result = message.result
        if self.loaded_once and not self.unsupported and (result.changes or result.reset):
            self.load(quiet=True)

    def action_refresh(self) -> None:
        self.load()

    @on(RowTable.RowSelected, "#events-list")
    def _clicked(self, event: RowTable.RowSelected) -> None:
        self.action_open()

    @on(RowTable.RowHighlighted, "#events-list")
    def _highlighted(self, event: RowTable.RowHighlighted) -> None:
        self._show_detail()

    # -- answering ------------------------------------------------------------------------------

    def _answer(self, status: str) -> None:
        event = self.table.highlighted
        if event is None:
            self.say("no event is highlighted")
            return
        new = None if event.my_rsvp == status else status
        self._replace(with_rsvp(event, new))
        self.say(
            f"{RSVP_WORDS[status]}: " if new else f"answer taken back ({RSVP_WORDS[status]}): ",
            event.title,
        )
        self._send_answer(event, new)

    @work(group="events-rsvp")
    async def _send_answer(self, before: Event, status: str | None) -> None:
        self._pending[before.key] = self._pending.get(before.key, 0) + 1
        try:
            community = await self.community("rsvp")
            if community is None:
                self._replace(before)
                return
            updated = await community.rsvp(before, status)
        except Exception as exc:
            self._replace(before)
            reason = why(exc, "not answered")
            self.notify(
                f"Your answer to “{before.title}” was not recorded: {reason}",
                title="Rolled back",
                severity="warning",
                markup=False,
            )
            self.say(f"rolled back, {reason}: ", before.title)
            return
        finally:
            self._pending[before.key] -= 1
        self._replace(updated)

    def _replace(self, event: Event) -> None:
        self.table.show_items([event if e.key == event.key else e for e in self.table.events])
        self._show_detail()
        self._show_status()

    # -- export -------------------------------------------------------------------------------

    @work(group="events-export")
    async def _export(self) -> None:
        community = await self.community()
        if community is None:
            return
        now = datetime.now(UTC)
        try:
            going = await community.events(now, now + YEAR, going_only=True)
        except Exception as exc:
            self.say(why(exc, "nothing exported"))
            return
        if not going:
            self.say("nothing exported: you are going to no upcoming event (y answers going)")
            return
        path = download_dir() / ICS_NAME
        host = str(getattr(self.app, "source", "cohort")).replace(" ", "-") or "cohort"
        text = ics.calendar(going, host=host)
        try:
            await asyncio.to_thread(_write, path, text)
        except OSError as exc:
            self.say(f"nothing exported: cannot write {path}: {exc.strerror or exc}")
            return
        self.say(f"{len(going)} event{'' if len(going) == 1 else 's'} exported to ", str(path))

    # -- loading ------------------------------------------------------------------------------

    @work(exclusive=True, group="events")
    async def load(self, quiet: bool = False) -> None:
        """The events in the window; `quiet` (the change feed's refresh) says nothing
        while it reads and keeps what is shown if it fails, as any refresh does."""
        if not quiet:
            self._set_state(Content.styled("loading…", "$text-muted"))
        now = datetime.now(UTC)
        try:
            community = await self.community()
            if community is None:
                return
            events = await community.events(
                now, now + self.span, group=self.group[0] if self.group else None
            )
        except Exception as exc:
            self.failed(exc, "the events as last shown" if self.loaded_once else "no events")
            return
        for event in events:
            if event.group_slug:
                self.groups[event.group_slug] = event.group_name or event.group_slug
        first = not self.loaded_once
        self.loaded_once = True
        # An answer still on its way keeps showing as given.
        shown = {e.key: e for e in self.table.events if self._pending.get(e.key)}
        self.table.show_items([shown.get(e.key, e) for e in events], new_list=first)
        self.loaded()
        self.show_empty()

    # -- display ------------------------------------------------------------------------------

    def _show_title(self) -> None:
        span = "this week" if self.span == WEEK else "the next 30 days"
        title = f"Upcoming · {span}"
        parts: list[Content | str | tuple[str, str]] = [title]
        if self.group is not None:
            parts += [" · ", (self.group[1], "bold")]
        parts.append(" · your time")
        self.table.border_title = Content.assemble(*parts)

    def show_empty(self) -> None:
        empty = self.query_one("#events-empty", Static)
        if self.unsupported:
            empty.update(Content.assemble(("No events here", "bold"), ": ", self.unsupported, "."))
        elif self.loaded_once and not self.table.events:
            empty.update(
                Content(
                    "Nothing planned this week: w looks at the next 30 days."
                    if self.span == WEEK
                    else "Nothing planned in the next 30 days."
                )
            )
        empty.display = bool(self.unsupported) or (self.loaded_once and not self.table.events)
        self.table.display = not self.unsupported
        self._show_detail()
        self._show_status()

    def _show_detail(self) -> None:
        self.query_one("#events-detail", Static).update(event_summary(self.table.highlighted))


def _write(path: Path, text: str) -> None:
    """The file whole or not at all: written beside it, then moved over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(text, encoding="utf-8", newline="")
    os.replace(partial, path)


class AttendeesScreen(CommunityScreen):
    """Who answered one event, going first; enter shows a profile."""

    BINDINGS = keymap.bindings("attendees")
    KEY_CONTEXT = "attendees"
    FEATURE = "events"
    WHAT = "who answered"

    DEFAULT_CSS = f"""
    AttendeesScreen #attendees-head {{ height: auto; padding: 0 1 1 1; background: $surface; }}
    AttendeesScreen #attendees-list {{ {LIST_CSS} }}
    AttendeesScreen #attendees-list:focus {{ border-top: solid $accent; }}
    AttendeesScreen #attendees-empty {{ {EMPTY_CSS} }}
    AttendeesScreen .community-status {{ {STATUS_CSS} }}
    """

    def __init__(self, event: Event) -> None:
        super().__init__("attendees")
        self.event = event
        self.loaded_once = False

    def compose(self) -> ComposeResult:
        yield Static(id="attendees-head")
        yield AttendeeTable(id="attendees-list")
        yield Static(id="attendees-empty")
        yield Static(classes="community-status")
        yield Footer()

    @property
    def table(self) -> AttendeeTable:
        return self.query_one(AttendeeTable)

    def on_mount(self) -> None:
        self.table.border_title = Content("Who answered · going first")
        self._show_head()
        self.table.focus()
        self.load()

    def status_words(self) -> str:
        if not self.loaded_once:
            return ""
        counts = self.event.rsvp_counts
        return (
            f" · {counts.going} going · {counts.interested} interested"
            f" · {counts.not_going} not going"
        )

    def action_open(self) -> None:
        attendee = self.table.highlighted
        if attendee is not None:
            from tui.screens.people import ProfileScreen

            self.app.push_screen(ProfileScreen(attendee.username))

    @on(RowTable.RowSelected, "#attendees-list")
    def _clicked(self, event: RowTable.RowSelected) -> None:
        self.action_open()

    @work(exclusive=True, group="attendees")
    async def load(self) -> None:
        self._set_state(Content.styled("loading…", "$text-muted"))
        try:
            community = await self.community()
            if community is None:
                return
            event = await community.event(self.event)
        except Exception as exc:
            self.failed(exc, "the answers as last shown" if self.loaded_once else "nobody shown")
            return
        self.event = event
        self.loaded_once = True
        order = {"going": 0, "interested": 1, "not_going": 2}
        attendees = sorted(event.attendees, key=lambda a: (order.get(a.status, 3), a.username))
        self.table.show_items(attendees, new_list=True)
        self._show_head()
        self.loaded()
        self.show_empty()

    def _show_head(self) -> None:
        self.query_one("#attendees-head", Static).update(event_summary(self.event))

    def show_empty(self) -> None:
        empty = self.query_one("#attendees-empty", Static)
        if self.unsupported:
            empty.update(Content.assemble(("No events here", "bold"), ": ", self.unsupported, "."))
        elif self.loaded_once and not self.table.items:
            empty.update(Content("Nobody has answered yet."))
        empty.display = bool(self.unsupported) or (self.loaded_once and not self.table.items)
        self.table.display = not self.unsupported
        self._show_status()
