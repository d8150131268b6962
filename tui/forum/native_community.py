"""`NativeCommunity`: study groups, events, people and private messages on Cohort's server.

It goes through `NativeBackend`'s own request plumbing, so errors, sanitising and the
idempotency of creates work exactly as they do for topics and posts.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from tui.forum.backend import Rejected
from tui.forum.community import (
    RSVP_STATUSES,
    Attendee,
    Conversation,
    ConversationList,
    Event,
    ExpertiseCount,
    JoinRequest,
    Meeting,
    Member,
    PeoplePage,
    Person,
    PersonGroup,
    RecentPost,
    RsvpCounts,
    Schedule,
    StudyGroup,
)
from tui.forum.http_errors import parsed
from tui.forum.jsonread import (
    BadData,
    as_bool,
    as_dicts,
    as_int,
    as_line,
    as_lines,
    as_opt_int,
    as_opt_line,
    as_opt_time,
    as_text,
    as_time,
)
from tui.forum.models import Topic, TopicPage
from tui.forum.native import NativeBackend, _topic_page


def _path(part: str) -> str:
    """One path segment, quoted so a slug or username cannot reach another route."""
    return quote(part, safe="")


def _opt_object(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadData(f"{key!r} should be an object or null, got {value!r:.40}")
    return value


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# -- the server's JSON into models ------------------------------------------------------------


def schedule_from(d: dict[str, Any]) -> Schedule:
    return Schedule(
        weekday=as_line(d, "weekday"),
        time=as_line(d, "time"),
        timezone=as_line(d, "timezone"),
        duration_minutes=as_int(d, "duration_minutes", 60),
        place=as_line(d, "place", ""),
        link=as_line(d, "link", ""),
    )


def meeting_from(d: dict[str, Any]) -> Meeting:
    return Meeting(
        date=as_line(d, "date"),
        starts_at=as_time(d, "starts_at"),
        ends_at=as_time(d, "ends_at"),
        starts_at_local=as_time(d, "starts_at_local"),
        ends_at_local=as_time(d, "ends_at_local"),
    )


def member_from(d: dict[str, Any]) -> Member:
    return Member(
        username=as_line(d, "username"),
        name=as_line(d, "name", ""),
        roles=as_lines(d, "roles"),
        joined_at=as_opt_time(d, "joined_at"),
    )


def group_from(d: dict[str, Any]) -> StudyGroup:
    schedule = _opt_object(d, "schedule")
    meeting = _opt_object(d, "next_meeting")
    category = _opt_object(d, "category")
    return StudyGroup(
        slug=as_line(d, "slug"),
        name=as_line(d, "name", "") or as_line(d, "slug"),
        goal=as_text(d, "goal"),
        expectations=as_text(d, "expectations"),
        admission=as_line(d, "admission", "open"),
        schedule=schedule_from(schedule) if schedule else None,
        next_meeting=meeting_from(meeting) if meeting else None,
        member_count=as_int(d, "member_count", 0),
        organisers=as_lines(d, "organisers"),
        my_status=as_line(d, "my_status", "none"),
        my_roles=as_lines(d, "my_roles"),
        can_manage=as_bool(d, "can_manage"),
        pending_requests=as_opt_int(d, "pending_requests"),
        category_id=as_opt_int(category, "id") if category else None,
        category_slug=as_opt_line(category, "slug") if category else None,
        category_name=as_opt_line(category, "name") if category else None,
        members=tuple(member_from(m) for m in as_dicts(d, "members", required=False)),
        kind=as_line(d, "kind", "study"),  # a server from before the marker: study groups
        has_category=as_bool(d, "has_category") or category is not None,
    )


def join_request_from(d: dict[str, Any]) -> JoinRequest:
    return JoinRequest(
        username=as_line(d, "username"),
        name=as_line(d, "name", ""),
        message=as_text(d, "message"),
        created_at=as_opt_time(d, "created_at"),
    )


def event_from(d: dict[str, Any]) -> Event:
    group = _opt_object(d, "group")
    counts = _opt_object(d, "rsvp_counts") or {}
    return Event(
        key=as_line(d, "key"),
        id=as_opt_int(d, "id"),
        kind=as_line(d, "kind", "event"),
        title=as_line(d, "title"),
        starts_at=as_time(d, "starts_at"),
        ends_at=as_time(d, "ends_at"),
        timezone=as_line(d, "timezone", "UTC"),
        starts_at_local=as_opt_time(d, "starts_at_local"),
        ends_at_local=as_opt_time(d, "ends_at_local"),
        description=as_text(d, "description"),
        location=as_line(d, "location", ""),
        link=as_line(d, "link", ""),
        group_slug=as_opt_line(group, "slug") if group else None,
        group_name=as_opt_line(group, "name") if group else None,
        topic_id=as_opt_int(d, "topic_id"),
        topic_title=as_opt_line(d, "topic_title"),
        created_by=as_opt_line(d, "created_by"),
        recurring=as_bool(d, "recurring"),
        occurrence=as_opt_line(d, "occurrence"),
        rsvp_counts=RsvpCounts(
            going=as_int(counts, "going", 0),
            interested=as_int(counts, "interested", 0),
            not_going=as_int(counts, "not_going", 0),
        ),
        my_rsvp=as_opt_line(d, "my_rsvp"),
        can_edit=as_bool(d, "can_edit"),
        attendees=tuple(
            Attendee(
                username=as_line(a, "username"),
                status=as_line(a, "status"),
                name=as_line(a, "name", ""),
                updated_at=as_opt_time(a, "updated_at"),
            )
            for a in as_dicts(d, "attendees", required=False)
        ),
        updated_at=as_opt_time(d, "updated_at"),
    )


def person_from(d: dict[str, Any]) -> Person:
    return Person(
        username=as_line(d, "username"),
        name=as_line(d, "name", ""),
        bio=as_text(d, "bio"),
        expertise=as_lines(d, "expertise"),
        open_to_mentoring=as_bool(d, "open_to_mentoring"),
        mentoring_hours=as_opt_int(d, "mentoring_hours"),
        is_moderator=as_bool(d, "is_moderator"),
        groups=tuple(
            PersonGroup(
                slug=as_line(g, "slug"), name=as_line(g, "name", ""), roles=as_lines(g, "roles")
            )
            for g in as_dicts(d, "groups", required=False)
        ),
        post_count=as_opt_int(d, "post_count"),
        recent_posts=tuple(
            RecentPost(
                id=as_int(p, "id"),
                topic_id=as_int(p, "topic_id"),
                topic_title=as_line(p, "topic_title", ""),
                post_number=as_int(p, "post_number"),
                created_at=as_opt_time(p, "created_at"),
                excerpt=as_text(p, "excerpt"),
            )
            for p in as_dicts(d, "recent_posts", required=False)
        ),
        created_at=as_opt_time(d, "created_at"),
    )


def conversation_from(d: dict[str, Any]) -> Conversation:
    topic = dataclasses.replace(Topic.from_api(d), archetype="private_message")
    return Conversation(
        topic=topic,
        participants=tuple(
            Member(username=as_line(p, "username"), name=as_line(p, "name", ""))
            for p in as_dicts(d, "participants", required=False)
        ),
        unread_count=as_int(d, "unread_count", 0),
    )


# -- the adapter -------------------------------------------------------------------------------


class NativeCommunity:
    """Cohort's server has every community feature."""

    kind = "cohort"

    def __init__(self, backend: NativeBackend) -> None:
        self.backend = backend

    def unsupported(self, feature: str) -> str | None:
        return None

    async def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return await self.backend._json(method, path, **kwargs)

    async def _my_username(self) -> str:
        me = self.backend._me or await self.backend.me()
        if me is None:
            raise Rejected("log in first: an anonymous reader cannot do that", code="anonymous")
        return me.username

    # -- study groups ------------------------------------------------------------------------

    async def groups(self, *, query: str | None = None, mine: bool = False) -> list[StudyGroup]:
        params: dict[str, str] = {}
        if query:
            params["q"] = query
        if mine:
            params["mine"] = "true"
        data = await self._json("GET", "/groups", params=params or None)
        return parsed(lambda: [group_from(g) for g in as_dicts(data, "groups")])

    async def group(self, slug: str) -> StudyGroup:
        data = await self._json("GET", f"/groups/{_path(slug)}")
        return parsed(lambda: group_from(data))

    async def join(self, slug: str) -> StudyGroup:
        data = await self._json("POST", f"/groups/{_path(slug)}/join")
        return parsed(lambda: group_from(data))

    async def request_to_join(self, slug: str, message: str = "") -> StudyGroup:
        data = await self._json(
            "POST", f"/groups/{_path(slug)}/requests", body={"message": message}
        )
        return parsed(lambda: group_from(data))

    async def leave(self, slug: str) -> StudyGroup:
        me = await self._my_username()
        data = await self._json("DELETE", f"/groups/{_path(slug)}/members/{_path(me)}")
        return parsed(lambda: group_from(data))

    async def join_requests(self, slug: str) -> list[JoinRequest]:
        data = await self._json("GET", f"/groups/{_path(slug)}/requests")
        return parsed(lambda: [join_request_from(r) for r in as_dicts(data, "requests")])

    async def approve(self, slug: str, username: str) -> StudyGroup:
        data = await self._json("POST", f"/groups/{_path(slug)}/requests/{_path(username)}/approve")
        return parsed(lambda: group_from(data))

    # -- events ------------------------------------------------------------------------------

    async def events(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        group: str | None = None,
        going_only: bool = False,
    ) -> list[Event]:
        params: dict[str, str] = {}
        if start is not None:
            params["from"] = _aware(start).isoformat()
        if end is not None:
            params["to"] = _aware(end).isoformat()
        if group:
            params["group"] = group
        if going_only:
            params["rsvp"] = "going"
        data = await self._json("GET", "/events", params=params or None)
        return parsed(lambda: [event_from(e) for e in as_dicts(data, "events")])

    def _event_path(self, event: Event) -> str:
        if event.kind == "meeting":
            if not event.group_slug or not event.occurrence:
                raise Rejected("this meeting does not say which group and day it is")
            return f"/groups/{_path(event.group_slug)}/meetings/{_path(event.occurrence)}"
        if event.id is None:
            raise Rejected("this event has no id")
        return f"/events/{event.id}"

    async def event(self, event: Event) -> Event:
        data = await self._json("GET", self._event_path(event))
        return parsed(lambda: event_from(data))

    async def rsvp(self, event: Event, status: str | None) -> Event:
        if status is not None and status not in RSVP_STATUSES:
            raise Rejected(f"an answer is one of {', '.join(RSVP_STATUSES)}, not {status!r:.40}")
        path = self._event_path(event) + "/rsvp"
        if status is None:
            data = await self._json("DELETE", path)
        else:
            data = await self._json("PUT", path, body={"status": status})
        return parsed(lambda: event_from(data))

    # -- people ------------------------------------------------------------------------------

    async def people(
        self,
        *,
        expertise: str | None = None,
        mentors: bool = False,
        q: str | None = None,
        offset: int = 0,
    ) -> PeoplePage:
        params: dict[str, str] = {}
        if expertise:
            params["expertise"] = expertise
        if mentors:
            params["mentors"] = "true"
        if q:
            params["q"] = q
        if offset:
            params["offset"] = str(offset)
        data = await self._json("GET", "/people", params=params or None)
        return parsed(
            lambda: PeoplePage(
                people=tuple(person_from(p) for p in as_dicts(data, "people")),
                next_offset=as_opt_int(data, "next_offset"),
                expertise=tuple(
                    ExpertiseCount(tag=as_line(e, "tag"), count=as_int(e, "count", 0))
                    for e in as_dicts(data, "expertise", required=False)
                ),
            )
        )

    async def person(self, username: str) -> Person:
        data = await self._json("GET", f"/people/{_path(username)}")
        return parsed(lambda: person_from(data))

    # -- private conversations ---------------------------------------------------------------

    async def conversations(self, *, cursor: str | None = None) -> ConversationList:
        params = {"cursor": cursor} if cursor else None
        data = await self._json("GET", "/messages", params=params)
        return parsed(
            lambda: ConversationList(
                conversations=tuple(conversation_from(m) for m in as_dicts(data, "messages")),
                unread_topics=as_int(data, "unread_topics", 0),
                next_cursor=as_opt_line(data, "next_cursor") or None,
            )
        )

    async def start_conversation(
        self, participants: list[str], title: str, raw: str, *, key: str
    ) -> TopicPage:
        body = {"participants": list(participants), "title": title, "raw": raw}
        data = await self._json("POST", "/messages", body=body, headers={"Idempotency-Key": key})
        page = parsed(lambda: _topic_page(data))
        topic = dataclasses.replace(page.topic, archetype="private_message")
        return dataclasses.replace(page, topic=topic)


__all__ = ["NativeCommunity", "event_from", "group_from", "person_from"]
