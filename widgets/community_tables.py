"""The community screens' lists: study groups, a group's members, requests and threads,
events, people, a person's recent posts, and private conversations.

Each is a `RowTable`, so it draws only the rows on screen and a refresh changes only the
cells that changed (the cursor stays on its item). Display only: cells are rich `Text`
built from sanitised models, never markup strings.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import TypeVar

from rich.console import JustifyMethod
from rich.text import Text

from tui.forum.community import (
    Attendee,
    Conversation,
    Event,
    JoinRequest,
    Member,
    Person,
    RecentPost,
    StudyGroup,
)
from tui.forum.models import Topic
from widgets.community_text import ADMISSION_WORDS, event_when, local_time, mentoring_words
from widgets.formatting import ago
from widgets.row_table import Column, RowTable

MIN_FLEX = 12  # the narrowest the one stretching column gets

ItemT = TypeVar("ItemT")


def cell(text: str, *, style: str = "", justify: JustifyMethod = "left") -> Text:
    return Text(text, style=style, no_wrap=True, overflow="ellipsis", justify=justify)


def fit(cell_padding: int, width: int, fixed: list[Column], flex: Column, at: int) -> list[Column]:
    """`fixed` columns with `flex` inserted at `at`, stretched over what is left."""
    padding = 2 * cell_padding
    used = sum(c.width + padding for c in fixed) + padding
    stretched = Column(flex.key, flex.label, max(width - used, MIN_FLEX))
    return [*fixed[:at], stretched, *fixed[at:]]


NearEnd = RowTable.NearEnd  # what a PagedTable posts near its last row


class PagedTable(RowTable[ItemT]):
    """A list the forum gives by pages: it posts `NearEnd` when the cursor (or the
    bottom of the view) comes within a screenful of the last row."""

    PAGED = True


class GroupTable(RowTable[StudyGroup]):
    """Mark (member / asked), name, admission, members, the next meeting in your time."""

    def __init__(self, *, id: str | None = None, zone: tzinfo | None = None) -> None:
        super().__init__(id=id)
        self.zone = zone

    @property
    def groups(self) -> list[StudyGroup]:
        return self.items

    def item_key(self, item: StudyGroup) -> Hashable:
        return item.slug

    def columns_for(self, width: int) -> list[Column]:
        fixed = [
            Column("mark", Text(""), 1),
            Column("admission", Text("Admits"), 11),
            Column("members", Text("Ppl", justify="right"), 3),
            Column("next", Text("Next meeting (yours)"), 20),
        ]
        return fit(self.cell_padding, width, fixed, Column("name", Text("Group"), 0), 1)

    def row_cells(self, item: StudyGroup) -> list[Text]:
        mark = {"member": "✓", "requested": "…"}.get(item.my_status, "")
        meeting = item.next_meeting
        return [
            cell(mark, style="bold"),
            cell(item.name, style="bold" if item.is_member else ""),
            cell(
                ADMISSION_WORDS.get(item.admission, item.admission)
                if item.is_study_group
                else "access only",
                style="" if item.is_study_group else "dim",
            ),
            cell(str(item.member_count), justify="right"),
            cell(local_time(meeting.starts_at, self.zone) if meeting else "—"),
        ]


class MemberTable(RowTable[Member]):
    def item_key(self, item: Member) -> Hashable:
        return item.username

    def columns_for(self, width: int) -> list[Column]:
        fixed = [Column("who", Text("Member"), 14), Column("name", Text("Name"), 18)]
        return fit(self.cell_padding, width, fixed, Column("roles", Text("Roles"), 0), 2)

    def row_cells(self, item: Member) -> list[Text]:
        return [cell(item.username, style="bold"), cell(item.name), cell(", ".join(item.roles))]


class RequestTable(RowTable[JoinRequest]):
    def item_key(self, item: JoinRequest) -> Hashable:
        return item.username

    def columns_for(self, width: int) -> list[Column]:
        fixed = [Column("who", Text("Asked to join"), 14)]
        return fit(self.cell_padding, width, fixed, Column("message", Text("Their message"), 0), 1)

    def row_cells(self, item: JoinRequest) -> list[Text]:
        return [cell(item.username, style="bold"), cell(item.message)]


class TopicRows(RowTable[Topic]):
    """A few topics: title, replies, last activity."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.now = datetime.now(UTC)

    def item_key(self, item: Topic) -> Hashable:
        return item.id

    def columns_for(self, width: int) -> list[Column]:
        fixed = [
            Column("replies", Text("Re", justify="right"), 3),
            Column("age", Text("When", justify="right"), 4),
        ]
        return fit(self.cell_padding, width, fixed, Column("title", Text("Thread"), 0), 0)

    def row_cells(self, item: Topic) -> list[Text]:
        return [
            cell(item.title),
            cell(str(item.reply_count), justify="right"),
            cell(ago(item.bumped_at, self.now), justify="right"),
        ]


class EventTable(RowTable[Event]):
    """Your answer, when (your time), title, group, how many are going."""

    def __init__(self, *, id: str | None = None, zone: tzinfo | None = None) -> None:
        super().__init__(id=id)
        self.zone = zone

    @property
    def events(self) -> list[Event]:
        return self.items

    def item_key(self, item: Event) -> Hashable:
        return item.key

    def columns_for(self, width: int) -> list[Column]:
        fixed = [
            Column("mine", Text("You"), 5),
            Column("when", Text("When (yours)"), 16),
            Column("group", Text("Group"), 14 if width >= 100 else 8),
            Column("going", Text("Go", justify="right"), 3),
        ]
        return fit(self.cell_padding, width, fixed, Column("title", Text("Event"), 0), 2)

    def row_cells(self, item: Event) -> list[Text]:
        mine = {"going": "going", "interested": "maybe", "not_going": "no"}.get(
            item.my_rsvp or "", ""
        )
        return [
            cell(mine, style="bold"),
            cell(event_when(item, self.zone)),
            cell(item.title, style="bold" if item.my_rsvp == "going" else ""),
            cell(item.group_name or ""),
            cell(str(item.rsvp_counts.going), justify="right"),
        ]


class AttendeeTable(RowTable[Attendee]):
    """Who answered an event, and what."""

    def item_key(self, item: Attendee) -> Hashable:
        return item.username

    def columns_for(self, width: int) -> list[Column]:
        fixed = [Column("who", Text("Person"), 14), Column("answer", Text("Answer"), 11)]
        return fit(self.cell_padding, width, fixed, Column("name", Text("Name"), 0), 1)

    def row_cells(self, item: Attendee) -> list[Text]:
        answer = {"going": "going", "interested": "interested", "not_going": "not going"}
        return [
            cell(item.username, style="bold" if item.status == "going" else ""),
            cell(item.name),
            cell(answer.get(item.status, item.status)),
        ]


class PeopleTable(PagedTable[Person]):
    """Who, mentoring time, expertise."""

    @property
    def people(self) -> list[Person]:
        return self.items

    def item_key(self, item: Person) -> Hashable:
        return item.username

    def columns_for(self, width: int) -> list[Column]:
        fixed = [Column("who", Text("Person"), 14), Column("mentor", Text("Mentoring"), 18)]
        return fit(self.cell_padding, width, fixed, Column("expertise", Text("Expertise"), 0), 2)

    def row_cells(self, item: Person) -> list[Text]:
        return [
            cell(item.username, style="bold"),
            cell(mentoring_words(item)),
            cell(", ".join(item.expertise)),
        ]


class RecentPostTable(RowTable[RecentPost]):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.now = datetime.now(UTC)

    def item_key(self, item: RecentPost) -> Hashable:
        return item.id

    def columns_for(self, width: int) -> list[Column]:
        fixed = [Column("age", Text("When", justify="right"), 4)]
        return fit(self.cell_padding, width, fixed, Column("title", Text("Recent posts"), 0), 0)

    def row_cells(self, item: RecentPost) -> list[Text]:
        title = f"{item.topic_title} #{item.post_number}"
        if item.excerpt:
            title += f" — {item.excerpt}"
        when = ago(item.created_at, self.now) if item.created_at else ""
        return [cell(title), cell(when, justify="right")]


class ConversationTable(PagedTable[Conversation]):
    """Unread posts, title, who else is in it, last activity."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.now = datetime.now(UTC)
        self.me = ""

    @property
    def conversations(self) -> list[Conversation]:
        return self.items

    def show(
        self, conversations: Sequence[Conversation], *, me: str = "", new_list: bool = False
    ) -> None:
        self.now = datetime.now(UTC)
        self.me = me
        self.show_items(conversations, new_list=new_list)

    def item_key(self, item: Conversation) -> Hashable:
        return item.id

    def columns_for(self, width: int) -> list[Column]:
        fixed = [
            Column("unread", Text("New", justify="right"), 3),
            Column("with", Text("With"), 16),
            Column("age", Text("When", justify="right"), 4),
        ]
        return fit(self.cell_padding, width, fixed, Column("title", Text("Conversation"), 0), 1)

    def row_cells(self, item: Conversation) -> list[Text]:
        others = [m.username for m in item.participants if m.username != self.me]
        style = "bold" if item.unread_count else ""
        return [
            cell(
                str(item.unread_count) if item.unread_count else "", style="bold", justify="right"
            ),
            cell(item.title, style=style),
            cell(", ".join(others)),
            cell(ago(item.topic.bumped_at, self.now), justify="right"),
        ]
