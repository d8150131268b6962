"""The peer-learning parts of the HTTP API: study groups, events and meetings, people and
mentors, private messages. Handlers only translate, as in server/app.py, whose login,
rate limits and idempotency they share through the `Api` they are given. (server/app.py
imports this module inside `Api.routes`, so importing server.app here is no cycle.)

Private messages are read and answered through the topic routes (GET /topics/{id},
POST /topics/{id}/posts, ...), which let only their participants in; this module adds
starting one, the list of one's own, and bringing people in.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.app import Api, JSONResponse
from server.requests import field, path_int, query_int
from server.store import events, groups, messages, people
from server.store.errors import Invalid

API = "/api/v1"


def _query_flag(request: Request, name: str, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise Invalid(f"query parameter {name} must be true or false", code="invalid_field")


def _query_text(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value if value else None


class CommunityApi:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.store = api.store

    @staticmethod
    def _json(content: Any, status: int = 200) -> Response:
        return JSONResponse(content, status)

    # -- groups ---------------------------------------------------------------------------

    async def groups(self, request: Request) -> Response:
        viewer = await self.api.reader(request)
        return self._json(
            await self.store.read(
                groups.list_groups,
                viewer,
                q=_query_text(request, "q"),
                mine=_query_flag(request, "mine"),
                admission=_query_text(request, "admission"),
                kind=_query_text(request, "kind"),
            )
        )

    async def create_group(self, request: Request) -> Response:
        viewer, raw_body, body = await self.api._body(request)
        return await self.api._idempotent(request, viewer, raw_body, groups.create_group, body)

    async def group(self, request: Request) -> Response:
        viewer = await self.api.reader(request)
        slug = request.path_params["slug"]
        return self._json(await self.store.read(groups.group, viewer, slug))

    async def update_group(self, request: Request) -> Response:
        viewer, body = await self.api.writer(request)
        slug = request.path_params["slug"]
        return self._json(await self.store.write(groups.update_group, viewer, slug, body))

    async def members(self, request: Request) -> Response:
        viewer = await self.api.reader(request)
        slug = request.path_params["slug"]
        return self._json(await self.store.read(groups.members, viewer, slug))

    async def add_member(self, request: Request) -> Response:
        viewer, body = await self.api.writer(request)
        username = field(body, "username", str)
        roles = groups.check_roles(body["roles"]) if body.get("roles") is not None else []
        return self._json(
            await self.store.write(
                groups.add_member, viewer, request.path_params["slug"], username, roles
            )
        )

    async def set_roles(self, request: Request) -> Response:
        viewer, body = await self.api.writer(request)
        params = request.path_params
        return self._json(
            await self.store.write(
                groups.set_roles, viewer, params["slug"], params["username"], body.get("roles")
            )
        )

    async def remove_member(self, request: Request) -> Response:
        viewer, _ = await self.api.writer(request)
        params = request.path_params
        return self._json(
            await self.store.write(groups.remove_member, viewer, params["slug"], params["username"])
        )

    async def join(self, request: Request) -> Response:
        viewer, _ = await self.api.writer(request)
        return self._json(await self.store.write(groups.join, viewer, request.path_params["slug"]))

    async def requests(self, request: Request) -> Response:
        viewer = await self.api.reader(request)
        slug = request.path_params["slug"]
        return self._json(await self.store.read(groups.requests, viewer, slug))

    async def request_to_join(self, request: Request) -> Response:
        viewer, body = await self.api.writer(request)
        message = field(body, "message", str, required=False) or ""
        return self._json(
            await self.store.write(
                groups.request_to_join, viewer, request.path_params["slug"], message
            )
        )

    async def approve(self, request: Request) -> Response:
        viewer, _ = await self.api.writer(request)
        params = request.path_params
        return self._json(
            await self.store.write(groups.approve, viewer, params["slug"], params["username"])
        )

    async def deny(self, request: Request) -> Response:
        viewer, _ = await self.api.writer(request)
        params = request.path_params
        return self._json(
            await self.store.write(groups.deny, viewer, params["slug"], params["username"])
        )

    async def meeting(self, request: Request) -> Response:
        viewer = await self.api.reader(request)
        params = request.path_params
        return self._json(
            await self.store.read(events.meeting, viewer, params["slug"], params["date"])
        )

    async def meeting_rsvp(self, request: Request) -> Response:
        viewer, body = await self.api.writer(request)
        params = request.path_params
        status = _rsvp_status(request, body)
        return self._json(
            await self.store.write(
                events.set_meeting_rsvp, viewer, params["slug"], params["date"], status
            )
        )

    # -- events ---------------------------------------------------------------------------

    async def events(self, request: Request) -> Response:
        viewer = await self.api.reader(request)
        return self._json(
            await self.store.read(
                events.upcoming,
                viewer,
                start=_query_text(request, "from"),
                end=_query_text(request, "to"),
                group=_query_text(request, "group"),
                rsvp=_query_text(request, "rsvp"),
                meetings=_query_flag(request, "meetings", True),
                limit=query_int(request, "limit"),
            )
        )

    async def create_event(self, request: Request) -> Response:
        viewer, raw_body, body = await self.api._body(request)
        return await self.api._idempotent(request, viewer, raw_body, events.create_event, body)

    async def event(self, request: Request) -> Response:
        viewer = await self.api.reader(request)
        event_id = path_int(request, "event_id")
        return self._json(await self.store.read(events.event, viewer, event_id))

    async def update_event(self, request: Request) -> Response:
        viewer, body = await self.api.writer(request)
        event_id = path_int(request, "event_id")
        return self._json(await self.store.write(events.update_event, viewer, event_id, body))

    async def delete_event(self, request: Request) -> Response:
        viewer, _ = await self.api.writer(request)
        event_id = path_int(request, "event_id")
        return self._json(await self.store.write(events.delete_event, viewer, event_id))

    async def rsvp(self, request: Request) -> Response:
        viewer, body = await self.api.writer(request)
        status = _rsvp_status(request, body)
        event_id = path_int(request, "event_id")
        return self._json(await self.store.write(events.set_rsvp, viewer, event_id, status))

    # -- people ---------------------------------------------------------------------------

    async def people(self, request: Request) -> Response:
        viewer = await self.api.reader(request)
        return self._json(
            await self.store.read(
                people.people,
                viewer,
                expertise=_query_text(request, "expertise"),
                mentors=_query_flag(request, "mentors"),
                q=_query_text(request, "q"),
                limit=query_int(request, "limit"),
                offset=query_int(request, "offset", 0) or 0,
            )
        )

    async def person(self, request: Request) -> Response:
        viewer = await self.api.reader(request)
        username = request.path_params["username"]
        return self._json(await self.store.read(people.profile, viewer, username))

    async def update_person(self, request: Request) -> Response:
        viewer, body = await self.api.writer(request)
        username = request.path_params["username"]
        return self._json(await self.store.write(people.update_profile, viewer, username, body))

    # -- private messages -----------------------------------------------------------------

    async def messages(self, request: Request) -> Response:
        viewer = await self.api.reader(request)
        return self._json(
            await self.store.read(
                messages.inbox,
                viewer,
                cursor=_query_text(request, "cursor"),
                limit=query_int(request, "limit"),
                unread_only=_query_flag(request, "unread"),
            )
        )

    async def create_message(self, request: Request) -> Response:
        viewer, raw_body, body = await self.api._body(request)
        title = field(body, "title", str)
        raw = field(body, "raw", str)
        return await self.api._idempotent(
            request,
            viewer,
            raw_body,
            messages.create_message,
            participants=body.get("participants"),
            title=title,
            raw=raw,
        )

    async def add_participants(self, request: Request) -> Response:
        viewer, body = await self.api.writer(request)
        topic_id = path_int(request, "topic_id")
        return self._json(
            await self.store.write(
                messages.add_participants, viewer, topic_id, body.get("usernames")
            )
        )

    def routes(self) -> list[Route]:
        r = Route
        slug = f"{API}/groups/{{slug}}"
        meeting = f"{slug}/meetings/{{date}}"
        event = f"{API}/events/{{event_id:id}}"
        return [
            r(f"{API}/groups", self.groups, methods=["GET"]),
            r(f"{API}/groups", self.create_group, methods=["POST"]),
            r(slug, self.group, methods=["GET"]),
            r(slug, self.update_group, methods=["PATCH"]),
            r(f"{slug}/members", self.members, methods=["GET"]),
            r(f"{slug}/members", self.add_member, methods=["POST"]),
            r(f"{slug}/members/{{username}}", self.set_roles, methods=["PUT"]),
            r(f"{slug}/members/{{username}}", self.remove_member, methods=["DELETE"]),
            r(f"{slug}/join", self.join, methods=["POST"]),
            r(f"{slug}/requests", self.requests, methods=["GET"]),
            r(f"{slug}/requests", self.request_to_join, methods=["POST"]),
            r(f"{slug}/requests/{{username}}/approve", self.approve, methods=["POST"]),
            r(f"{slug}/requests/{{username}}", self.deny, methods=["DELETE"]),
            r(meeting, self.meeting, methods=["GET"]),
            r(f"{meeting}/rsvp", self.meeting_rsvp, methods=["PUT", "DELETE"]),
            r(f"{API}/events", self.events, methods=["GET"]),
            r(f"{API}/events", self.create_event, methods=["POST"]),
            r(event, self.event, methods=["GET"]),
            r(event, self.update_event, methods=["PATCH"]),
            r(event, self.delete_event, methods=["DELETE"]),
            r(f"{event}/rsvp", self.rsvp, methods=["PUT", "DELETE"]),
            r(f"{API}/people", self.people, methods=["GET"]),
            r(f"{API}/people/{{username}}", self.person, methods=["GET"]),
            r(f"{API}/people/{{username}}", self.update_person, methods=["PATCH"]),
            r(f"{API}/messages", self.messages, methods=["GET"]),
            r(f"{API}/messages", self.create_message, methods=["POST"]),
            r(
                f"{API}/messages/{{topic_id:id}}/participants",
                self.add_participants,
                methods=["POST"],
            ),
        ]


def _rsvp_status(request: Request, body: dict[str, Any]) -> Any:
    """PUT answers with body {"status": ...} (checked by the store); DELETE takes the
    answer back."""
    if request.method == "DELETE":
        return None
    status = body.get("status")
    if status is None:
        raise Invalid("missing field: status", code="missing_field")
    return status
