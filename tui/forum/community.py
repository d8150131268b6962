"""The peer-learning side of a forum: study groups, events, people, private conversations.

Kept apart from `ForumBackend` so that each forum maps what it has: Cohort's server has
all of it, Discourse has groups, profiles and private messages (and events only with the
discourse-post-event plugin). A screen asks `unsupported(feature)` first and, when it
answers a sentence, shows that sentence instead of failing. Every string in these models
came through `tui.forum.jsonread`, so it is sanitised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from tui.forum.backend import ForumBackend, ForumError
from tui.forum.models import Topic, TopicPage

ADMISSIONS = ("open", "request", "invite")
RSVP_STATUSES = ("going", "interested", "not_going")
MY_STATUSES = ("member", "requested", "none")
# A study group (people learn together in it) or a group that only grants access to
# categories (Mentors, Organisers: made by an administrator, run by moderators).
GROUP_KINDS = ("study", "access")
# What a screen may ask `unsupported()` about.
FEATURES = (
    "groups",
    "join",
    "request",
    "approve",
    "leave",
    "events",
    "rsvp",
    "people",
    "mentors",
    "expertise",
    "conversations",
)


class NotSupported(ForumError):
    """This forum has no such feature; `message` says so in a plain sentence."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """A group's regular meeting: a weekday and wall-clock time in an IANA zone."""

    weekday: str  # monday .. sunday
    time: str  # HH:MM
    timezone: str
    duration_minutes: int = 60
    place: str = ""
    link: str = ""


@dataclass(frozen=True, slots=True)
class Meeting:
    """One occurrence of a group's schedule."""

    date: str  # the local date, YYYY-MM-DD
    starts_at: datetime  # aware, UTC
    ends_at: datetime
    starts_at_local: datetime  # aware, in the schedule's zone
    ends_at_local: datetime


@dataclass(frozen=True, slots=True)
class Member:
    """A group member (or a conversation's participant: then `roles` is empty)."""

    username: str
    name: str = ""
    roles: tuple[str, ...] = ()
    joined_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StudyGroup:
    slug: str  # Discourse: the group's name, which is its handle there
    name: str
    goal: str = ""
    expectations: str = ""
    admission: str = "open"  # one of ADMISSIONS
    schedule: Schedule | None = None
    next_meeting: Meeting | None = None
    member_count: int = 0
    organisers: tuple[str, ...] = ()
    my_status: str = "none"  # one of MY_STATUSES
    my_roles: tuple[str, ...] = ()
    can_manage: bool = False
    pending_requests: int | None = None  # known to organisers only
    category_id: int | None = None  # None when it has none, or the reader cannot see it
    category_slug: str | None = None
    category_name: str | None = None
    members: tuple[Member, ...] = ()  # filled by `Community.group()` only
    id: int | None = None  # Discourse's numeric id; None on Cohort
    kind: str = "study"  # one of GROUP_KINDS
    has_category: bool = False  # it owns a category, seen or not (members-only)

    @property
    def is_member(self) -> bool:
        return self.my_status == "member"

    @property
    def is_study_group(self) -> bool:
        return self.kind == "study"


@dataclass(frozen=True, slots=True)
class JoinRequest:
    username: str
    name: str = ""
    message: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Attendee:
    username: str
    status: str  # one of RSVP_STATUSES
    name: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RsvpCounts:
    going: int = 0
    interested: int = 0
    not_going: int = 0


@dataclass(frozen=True, slots=True)
class Event:
    """An event, or one meeting of a group (`kind == "meeting"`, `id` None)."""

    key: str  # "event:ID" or "meeting:SLUG:DATE": stable, unique, good for an ICS UID
    id: int | None
    kind: str  # "event" or "meeting"
    title: str
    starts_at: datetime  # aware, UTC
    ends_at: datetime  # aware, UTC
    timezone: str = "UTC"
    starts_at_local: datetime | None = None  # aware, in `timezone`
    ends_at_local: datetime | None = None
    description: str = ""
    location: str = ""
    link: str = ""
    group_slug: str | None = None
    group_name: str | None = None
    topic_id: int | None = None
    topic_title: str | None = None
    created_by: str | None = None
    recurring: bool = False
    occurrence: str | None = None  # a meeting's local date, YYYY-MM-DD
    rsvp_counts: RsvpCounts = RsvpCounts()
    my_rsvp: str | None = None  # one of RSVP_STATUSES
    can_edit: bool = False
    attendees: tuple[Attendee, ...] = ()  # filled in single-event answers only
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PersonGroup:
    slug: str
    name: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecentPost:
    id: int
    topic_id: int
    topic_title: str
    post_number: int
    created_at: datetime | None = None
    excerpt: str = ""


@dataclass(frozen=True, slots=True)
class Person:
    """Someone in the community; `groups`, `post_count` and `recent_posts` are filled by
    `Community.person()` only."""

    username: str
    name: str = ""
    bio: str = ""
    expertise: tuple[str, ...] = ()
    open_to_mentoring: bool = False
    mentoring_hours: int | None = None  # hours a month
    is_moderator: bool = False
    groups: tuple[PersonGroup, ...] = ()
    post_count: int | None = None
    recent_posts: tuple[RecentPost, ...] = ()
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ExpertiseCount:
    tag: str
    count: int


@dataclass(frozen=True, slots=True)
class PeoplePage:
    people: tuple[Person, ...]
    next_offset: int | None = None
    expertise: tuple[ExpertiseCount, ...] = ()  # the tags in use, for a filter


@dataclass(frozen=True, slots=True)
class Conversation:
    """A private message: a topic seen only by its participants."""

    topic: Topic
    participants: tuple[Member, ...] = ()
    unread_count: int = 0

    @property
    def id(self) -> int:
        return self.topic.id

    @property
    def title(self) -> str:
        return self.topic.title


@dataclass(frozen=True, slots=True)
class ConversationList:
    conversations: tuple[Conversation, ...]
    unread_topics: int = 0
    next_cursor: str | None = None


@runtime_checkable
class Community(Protocol):
    """The community features of one forum, as one account. Errors are the
    `ForumError` family; a feature the forum lacks raises `NotSupported`."""

    kind: str  # the backend's kind: "cohort" or "discourse"

    def unsupported(self, feature: str) -> str | None:
        """None when `feature` (one of FEATURES) works here, else a plain sentence why not."""
        ...

    # -- study groups --

    async def groups(self, *, query: str | None = None, mine: bool = False) -> list[StudyGroup]: ...

    async def group(self, slug: str) -> StudyGroup:
        """The group with its members."""
        ...

    async def join(self, slug: str) -> StudyGroup: ...

    async def request_to_join(self, slug: str, message: str = "") -> StudyGroup: ...

    async def leave(self, slug: str) -> StudyGroup: ...

    async def join_requests(self, slug: str) -> list[JoinRequest]:
        """Pending requests (organisers)."""
        ...

    async def approve(self, slug: str, username: str) -> StudyGroup:
        """Let someone in who asked to join (organisers)."""
        ...

    # -- events and meetings --

    async def events(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        group: str | None = None,
        going_only: bool = False,
    ) -> list[Event]:
        """Events and group meetings overlapping [start, end) (default: the next 30 days),
        soonest first; `going_only`: those you answered "going"."""
        ...

    async def event(self, event: Event) -> Event:
        """The event again, with its attendees."""
        ...

    async def rsvp(self, event: Event, status: str | None) -> Event:
        """Answer one of RSVP_STATUSES, or take the answer back with None."""
        ...

    # -- people --

    async def people(
        self,
        *,
        expertise: str | None = None,
        mentors: bool = False,
        q: str | None = None,
        offset: int = 0,
    ) -> PeoplePage: ...

    async def person(self, username: str) -> Person:
        """A profile with groups and recent posts."""
        ...

    # -- private conversations --

    async def conversations(self, *, cursor: str | None = None) -> ConversationList: ...

    async def start_conversation(
        self, participants: list[str], title: str, raw: str, *, key: str
    ) -> TopicPage:
        """Start a private message; `key` makes a resend safe where the forum allows."""
        ...


def community_of(backend: ForumBackend) -> Community | None:
    """The community adapter for `backend`, or None when its forum has none."""
    from tui.forum.discourse.client import DiscourseBackend
    from tui.forum.native import NativeBackend

    if isinstance(backend, NativeBackend):
        from tui.forum.native_community import NativeCommunity

        return NativeCommunity(backend)
    if isinstance(backend, DiscourseBackend):
        from tui.forum.discourse.community import DiscourseCommunity

        return DiscourseCommunity(backend)
    return None


__all__ = [
    "ADMISSIONS",
    "FEATURES",
    "GROUP_KINDS",
    "MY_STATUSES",
    "RSVP_STATUSES",
    "Attendee",
    "Community",
    "Conversation",
    "ConversationList",
    "Event",
    "ExpertiseCount",
    "JoinRequest",
    "Meeting",
    "Member",
    "NotSupported",
    "PeoplePage",
    "Person",
    "PersonGroup",
    "RecentPost",
    "RsvpCounts",
    "Schedule",
    "StudyGroup",
    "community_of",
]
