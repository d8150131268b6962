"""`DiscourseCommunity`: the community features a Discourse forum has, mapped onto Cohort's.

Discourse has groups (join, leave, ask to join), private messages and a user directory
with profiles. It has no study-group schedules, no mentoring profiles or expertise tags,
and events only through the discourse-post-event plugin, whose answers Cohort does not
read yet: `unsupported()` says so in a sentence a screen can show as it is. Nor does it
tell study groups from groups that grant access: a group people may join or ask to join
counts as a study group, automatic and closed groups as access groups (`_kind`).

Field names follow Discourse's own responses (fixtures in ../shared/discourse/fixtures)
and, for the fields newer forums add (`is_group_user`, `is_group_owner`,
`can_admin_group`, a member list's `owners`), the schemas in Discourse's published
OpenAPI document. Every request goes through `DiscourseBackend._request`, so the
account's request budget and 429 handling apply.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from tui.forum.backend import Rejected
from tui.forum.community import (
    Conversation,
    ConversationList,
    Event,
    JoinRequest,
    Member,
    NotSupported,
    PeoplePage,
    Person,
    PersonGroup,
    StudyGroup,
)
from tui.forum.discourse import mapping
from tui.forum.discourse.client import DiscourseBackend
from tui.forum.http_errors import parsed
from tui.forum.jsonread import (
    BadData,
    as_bool,
    as_dicts,
    as_int,
    as_line,
    as_opt_int,
    as_opt_line,
    as_opt_text,
    as_opt_time,
)
from tui.forum.models import TopicPage

MEMBERS_PAGE = 100  # members fetched with a group's page (Discourse's own page size)
DIRECTORY_PERIOD = "all"

NO_EVENTS = (
    "This Discourse forum's events come from the discourse-post-event plugin, "
    "which Cohort cannot read yet."
)
NO_MENTORING = (
    "Discourse has no mentoring profiles or expertise tags: browse people by name instead."
)
NO_APPROVE = (
    "Discourse sends requests to join to the group's owners as private messages: "
    "approve them on the forum's website."
)
REASONS = {
    "events": NO_EVENTS,
    "rsvp": NO_EVENTS,
    "mentors": NO_MENTORING,
    "expertise": NO_MENTORING,
    "approve": NO_APPROVE,
}


def _path(part: str) -> str:
    return quote(part, safe="")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadData(f"{what} should be an object, got {value!r:.40}")
    return value


# -- Discourse's JSON into the community models -----------------------------------------------


def _admission(d: dict[str, Any]) -> str:
    if as_bool(d, "public_admission"):
        return "open"
    if as_bool(d, "allow_membership_requests"):
        return "request"
    return "invite"


def _kind(d: dict[str, Any], admission: str) -> str:
    """Discourse has no study groups as such: a group people may join or ask to join is
    the nearest thing ("study"); automatic groups (trust levels, staff) and closed ones,
    which admins fill to grant access, are "access"."""
    if as_bool(d, "automatic") or admission == "invite":
        return "access"
    return "study"


def group_from(d: dict[str, Any], my_group_ids: frozenset[int] = frozenset()) -> StudyGroup:
    """One group of /groups.json (either shape) or /groups/{name}.json."""
    gid = as_int(d, "id")
    name = as_line(d, "name")
    member = as_bool(d, "is_group_user") or gid in my_group_ids
    owner = as_bool(d, "is_group_owner")
    admission = _admission(d)
    return StudyGroup(
        slug=name,
        name=as_opt_line(d, "full_name") or as_opt_line(d, "display_name") or name,
        goal=(as_opt_text(d, "bio_raw") or "").strip(),
        admission=admission,
        kind=_kind(d, admission),
        member_count=as_int(d, "user_count", 0),
        my_status="member" if member or owner else "none",
        my_roles=("organiser",) if owner else (),
        can_manage=as_bool(d, "can_admin_group") or owner,
        id=gid,
    )


def groups_from(data: Any) -> list[StudyGroup]:
    """/groups.json: a bare list (older forums) or {"groups": [...], "extras":
    {"group_user_ids": [...]}} naming the groups the asking user is in."""
    if isinstance(data, list):
        items = as_dicts({"groups": data}, "groups")
        return [group_from(g) for g in items]
    body = _object(data, "the group list")
    extras = body.get("extras")
    ids: frozenset[int] = frozenset()
    if isinstance(extras, dict) and isinstance(extras.get("group_user_ids"), list):
        ids = frozenset(
            i for i in extras["group_user_ids"] if isinstance(i, int) and not isinstance(i, bool)
        )
    return [group_from(g, ids) for g in as_dicts(body, "groups")]


def one_group_from(data: Any) -> StudyGroup:
    """/groups/{name}.json: {"group": {...}} today, {"basic_group": {...}} on older forums."""
    body = _object(data, "the group")
    inner = body.get("group", body.get("basic_group"))
    return group_from(_object(inner, "'group'"))


def members_from(data: Any) -> tuple[Member, ...]:
    """/groups/{name}/members.json: `owners` (where the forum sends them) first."""
    body = _object(data, "the member list")
    owners = [
        Member(username=as_line(m, "username"), name=as_line(m, "name", ""), roles=("organiser",))
        for m in as_dicts(body, "owners", required=False)
    ]
    seen = {m.username for m in owners}
    members = [
        Member(
            username=as_line(m, "username"),
            name=as_line(m, "name", ""),
            joined_at=as_opt_time(m, "added_at"),
        )
        for m in as_dicts(body, "members")
    ]
    return tuple(owners) + tuple(m for m in members if m.username not in seen)


def person_from_directory(item: dict[str, Any]) -> Person:
    """One /directory_items.json entry (newer forums nest the user under `user`)."""
    nested = item.get("user")
    who = nested if isinstance(nested, dict) else item
    return Person(
        username=as_line(who, "username"),
        name=as_line(who, "name", ""),
        post_count=as_opt_int(item, "post_count"),
    )


def person_from_profile(data: Any) -> Person:
    """/u/{username}.json: the bio as written, post count and groups."""
    user = _object(_object(data, "the profile").get("user"), "'user'")
    groups = as_dicts(user, "groups", required=False) or as_dicts(
        user, "custom_groups", required=False
    )
    return Person(
        username=as_line(user, "username"),
        name=as_line(user, "name", ""),
        bio=(as_opt_text(user, "bio_raw") or "").strip(),
        is_moderator=as_bool(user, "moderator") or as_bool(user, "admin"),
        groups=tuple(
            PersonGroup(slug=as_line(g, "name"), name=as_opt_line(g, "full_name") or "")
            for g in groups
            if not as_bool(g, "automatic")
        ),
        post_count=as_opt_int(user, "post_count"),
        created_at=as_opt_time(user, "created_at"),
    )


def conversations_from(data: Any) -> ConversationList:
    """/topics/private-messages/{username}.json: a topic list whose topics name their
    participants by user id, resolved through the list's `users`."""
    body = _object(data, "the message list")
    listing = _object(body.get("topic_list"), "'topic_list'")
    users: dict[int, str] = {}
    for entry in as_dicts(body, "users", required=False):
        uid = as_opt_int(entry, "id")
        name = as_opt_line(entry, "username")
        if uid is not None and name:
            users[uid] = name
    found = []
    for item in as_dicts(listing, "topics"):
        topic = mapping.list_topic(item, users)
        topic = dataclasses.replace(topic, archetype="private_message")
        names: list[str] = []
        for entry in as_dicts(item, "posters", required=False) + as_dicts(
            item, "participants", required=False
        ):
            uid = as_opt_int(entry, "user_id")
            name = users.get(uid) if uid is not None else None
            if name and name not in names:
                names.append(name)
        found.append(
            Conversation(
                topic=topic,
                participants=tuple(Member(username=n) for n in names),
                unread_count=topic.unread_count,
            )
        )
    unread = sum(1 for c in found if c.unread_count)
    more = as_opt_line(listing, "more_topics_url")
    return ConversationList(conversations=tuple(found), unread_topics=unread, next_cursor=more)


# -- the adapter -------------------------------------------------------------------------------


class DiscourseCommunity:
    """What a Discourse forum has of the community features."""

    kind = "discourse"

    def __init__(self, backend: DiscourseBackend) -> None:
        self.backend = backend
        self._group_ids: dict[str, int] = {}

    def unsupported(self, feature: str) -> str | None:
        if feature in REASONS:
            return REASONS[feature]
        if self.backend.credentials is None and feature in ("join", "request", "leave"):
            return "Log in to this Discourse forum to join groups."
        if self.backend.credentials is None and feature == "conversations":
            return "Log in to this Discourse forum to read your private messages."
        return None

    def _refuse(self, feature: str) -> NotSupported:
        return NotSupported(self.unsupported(feature) or feature, code="unsupported")

    async def _me(self) -> str:
        me = await self.backend.me()
        if me is None:
            raise Rejected("log in first: an anonymous reader cannot do that", code="anonymous")
        return me.username

    def _learn(self, groups: list[StudyGroup]) -> None:
        for group in groups:
            if group.id is not None:
                self._group_ids[group.slug] = group.id

    async def _group_id(self, slug: str) -> int:
        if slug not in self._group_ids:
            await self._group(slug)
        return self._group_ids[slug]

    async def _group(self, slug: str) -> StudyGroup:
        data = await self.backend._get(f"/groups/{_path(slug)}.json")
        group = parsed(lambda: one_group_from(data))
        self._learn([group])
        return group

    # -- groups ------------------------------------------------------------------------------

    async def groups(self, *, query: str | None = None, mine: bool = False) -> list[StudyGroup]:
        params: dict[str, str] = {}
        if query:
            params["filter"] = query
        if mine:
            params["type"] = "my"
        data = await self.backend._get("/groups.json", params or None)
        found = parsed(lambda: groups_from(data))
        self._learn(found)
        if mine:
            found = [g for g in found if g.is_member]
        return found

    async def group(self, slug: str) -> StudyGroup:
        group = await self._group(slug)
        data = await self.backend._get(
            f"/groups/{_path(slug)}/members.json", {"limit": str(MEMBERS_PAGE), "offset": "0"}
        )
        members = parsed(lambda: members_from(data))
        organisers = tuple(m.username for m in members if "organiser" in m.roles)
        return dataclasses.replace(group, members=members, organisers=organisers)

    async def join(self, slug: str) -> StudyGroup:
        if self.unsupported("join"):
            raise self._refuse("join")
        me = await self._me()
        gid = await self._group_id(slug)
        await self.backend._json(
            "PUT", f"/groups/{gid}/members.json", json_body={"usernames": me}, write=True
        )
        return await self._group(slug)

    async def request_to_join(self, slug: str, message: str = "") -> StudyGroup:
        if self.unsupported("request"):
            raise self._refuse("request")
        await self.backend._json(
            "POST",
            f"/groups/{_path(slug)}/request_membership.json",
            json_body={"reason": message},
            write=True,
        )
        group = await self._group(slug)
        return group if group.is_member else dataclasses.replace(group, my_status="requested")

    async def leave(self, slug: str) -> StudyGroup:
        if self.unsupported("leave"):
            raise self._refuse("leave")
        gid = await self._group_id(slug)
        await self.backend._json("DELETE", f"/groups/{gid}/leave.json", write=True)
        group = await self._group(slug)
        return dataclasses.replace(group, my_status="none", my_roles=())

    async def join_requests(self, slug: str) -> list[JoinRequest]:
        raise self._refuse("approve")

    async def approve(self, slug: str, username: str) -> StudyGroup:
        raise self._refuse("approve")

    # -- events ------------------------------------------------------------------------------

    async def events(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        group: str | None = None,
        going_only: bool = False,
    ) -> list[Event]:
        raise self._refuse("events")

    async def event(self, event: Event) -> Event:
        raise self._refuse("events")

    async def rsvp(self, event: Event, status: str | None) -> Event:
        raise self._refuse("rsvp")

    # -- people ------------------------------------------------------------------------------

    async def people(
        self,
        *,
        expertise: str | None = None,
        mentors: bool = False,
        q: str | None = None,
        offset: int = 0,
    ) -> PeoplePage:
        if mentors or expertise:
            raise self._refuse("mentors")
        params = {"period": DIRECTORY_PERIOD, "order": "post_count"}
        if q:
            params["name"] = q
        if offset:
            params["page"] = str(offset)  # Discourse pages the directory by number
        data = await self.backend._get("/directory_items.json", params)

        def build() -> PeoplePage:
            body = _object(data, "the directory")
            people = tuple(person_from_directory(i) for i in as_dicts(body, "directory_items"))
            more = body.get("load_more_directory_items")
            has_more = isinstance(more, str) and bool(more) and bool(people)
            return PeoplePage(people=people, next_offset=offset + 1 if has_more else None)

        return parsed(build)

    async def person(self, username: str) -> Person:
        data = await self.backend._get(f"/u/{_path(username)}.json")
        return parsed(lambda: person_from_profile(data))

    # -- private messages --------------------------------------------------------------------

    async def conversations(self, *, cursor: str | None = None) -> ConversationList:
        if self.unsupported("conversations"):
            raise self._refuse("conversations")
        me = await self._me()
        path = f"/topics/private-messages/{_path(me)}.json"
        params: dict[str, str] | None = None
        if cursor:
            page = _page_of(cursor)
            params = {"page": str(page)} if page else None
        data = await self.backend._get(path, params)
        return parsed(lambda: conversations_from(data))

    async def start_conversation(
        self, participants: list[str], title: str, raw: str, *, key: str
    ) -> TopicPage:
        """POST /posts.json with the private_message archetype. `key` is unused: Discourse
        has no idempotency keys."""
        if not participants:
            raise Rejected("name at least one person to write to")
        recipients = ",".join(participants)
        payload = {
            "title": title,
            "raw": raw,
            "archetype": "private_message",
            "target_recipients": recipients,
            "target_usernames": recipients,  # the name before Discourse 2.7
        }
        body = await self.backend._json("POST", "/posts.json", json_body=payload, write=True)
        created = self.backend._created(body)
        page = await self.backend.topic(created.topic_id)
        topic = dataclasses.replace(page.topic, archetype="private_message")
        return dataclasses.replace(page, topic=topic)


def _page_of(cursor: str) -> int:
    """The page number in a `more_topics_url` (…?page=2), 0 when it has none."""
    values = parse_qs(urlsplit(cursor).query).get("page") or ["0"]
    try:
        return max(0, int(values[0]))
    except ValueError:
        return 0


__all__ = ["NO_EVENTS", "NO_MENTORING", "DiscourseCommunity", "conversations_from", "groups_from"]
