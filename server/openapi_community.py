"""The OpenAPI description of server/community_api.py's routes (merged into openapi.py's
document): study groups, events and meetings, people, private messages."""

from __future__ import annotations

from typing import Any

from server.openapi import (
    BOOL,
    FORBIDDEN,
    IDEMPOTENCY,
    INT,
    NOT_FOUND,
    NULL_INT,
    NULL_STR,
    STR,
    TIME,
    TOO_LARGE,
    _json,
    _obj,
    _op,
    _param,
    _ref,
)

NULL_TIME = {"type": ["string", "null"], "format": "date-time"}
STRS = {"type": "array", "items": STR}
CONFLICT = {
    "409": {
        "description": "Conflicts with the current state (the code says how)",
        "content": {"application/json": {"schema": _ref("Error")}},
    }
}
SLUG = _param("slug", "path", STR, "The group's slug")
USERNAME = _param("username", "path", STR, "A username")
DATE = _param("date", "path", STR, "The meeting's local date, YYYY-MM-DD")
EVENT_ID = _param("event_id", "path", INT, "Event id")
TOPIC_ID = _param("topic_id", "path", INT, "Topic id of a private message")
STATUS = {"type": "string", "enum": ["going", "interested", "not_going"]}
WEEKDAY = {
    "type": "string",
    "enum": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
}

SCHEMAS: dict[str, Any] = {
    "Schedule": _obj(
        {
            "weekday": WEEKDAY,
            "time": {"type": "string", "description": "HH:MM, wall-clock time in the zone"},
            "timezone": {"type": "string", "description": "IANA name, e.g. Europe/Berlin"},
            "duration_minutes": INT,
            "place": STR,
            "link": STR,
        },
        ["weekday", "time", "timezone"],
    ),
    "MeetingTimes": _obj(
        {
            "date": {"type": "string", "description": "Local date, YYYY-MM-DD"},
            "starts_at": TIME,
            "ends_at": TIME,
            "starts_at_local": {"type": "string", "description": "ISO 8601 with offset"},
            "ends_at_local": STR,
        }
    ),
    "Member": _obj({"username": STR, "name": STR, "roles": STRS, "joined_at": NULL_TIME}),
    "Group": _obj(
        {
            "slug": STR,
            "name": STR,
            "kind": {
                "type": "string",
                "enum": ["study", "access"],
                "description": "study: a study group, run by organisers; access: a group that "
                "only grants access to categories (made with `cohort admin add-group`, "
                "managed by moderators)",
            },
            "goal": STR,
            "expectations": STR,
            "admission": {"type": "string", "enum": ["open", "request", "invite"]},
            "schedule": {"oneOf": [_ref("Schedule"), {"type": "null"}]},
            "next_meeting": {"oneOf": [_ref("MeetingTimes"), {"type": "null"}]},
            "has_category": {
                **BOOL,
                "description": "Whether the group owns a category (`category` is null when "
                "you cannot see it)",
            },
            "category": {
                "oneOf": [_obj({"id": INT, "slug": STR, "name": STR}), {"type": "null"}],
                "description": "The group's own category, when you can see it",
            },
            "member_count": INT,
            "organisers": STRS,
            "my_status": {"type": "string", "enum": ["member", "requested", "none"]},
            "my_roles": STRS,
            "can_manage": BOOL,
            "pending_requests": {**NULL_INT, "description": "For organisers and moderators"},
            "created_at": TIME,
            "updated_at": TIME,
            "members": {
                "type": "array",
                "items": _ref("Member"),
                "description": "In single-group answers only",
            },
        }
    ),
    "JoinRequest": _obj({"username": STR, "name": STR, "message": STR, "created_at": TIME}),
    "Attendee": _obj({"username": STR, "name": STR, "status": STATUS, "updated_at": TIME}),
    "Event": _obj(
        {
            "key": {"type": "string", "description": "event:ID or meeting:SLUG:DATE"},
            "id": {**NULL_INT, "description": "null for a group's meeting"},
            "kind": {"type": "string", "enum": ["event", "meeting"]},
            "title": STR,
            "description": STR,
            "starts_at": TIME,
            "ends_at": TIME,
            "timezone": STR,
            "starts_at_local": STR,
            "ends_at_local": STR,
            "location": STR,
            "link": STR,
            "group": {"oneOf": [_obj({"slug": STR, "name": STR}), {"type": "null"}]},
            "topic_id": NULL_INT,
            "topic_title": NULL_STR,
            "created_by": NULL_STR,
            "recurring": BOOL,
            "occurrence": NULL_STR,
            "rsvp_counts": _obj({"going": INT, "interested": INT, "not_going": INT}),
            "my_rsvp": {"oneOf": [STATUS, {"type": "null"}]},
            "can_edit": BOOL,
            "created_at": NULL_TIME,
            "updated_at": NULL_TIME,
            "attendees": {
                "type": "array",
                "items": _ref("Attendee"),
                "description": "In single-event answers only",
            },
        }
    ),
    "Person": _obj(
        {
            "username": STR,
            "name": STR,
            "bio": STR,
            "expertise": STRS,
            "open_to_mentoring": BOOL,
            "mentoring_hours": {**NULL_INT, "description": "Hours a month"},
            "is_moderator": BOOL,
            "created_at": TIME,
        }
    ),
    "Profile": {
        "allOf": [
            _ref("Person"),
            _obj(
                {
                    "groups": {
                        "type": "array",
                        "items": _obj({"slug": STR, "name": STR, "roles": STRS}),
                    },
                    "post_count": INT,
                    "recent_posts": {
                        "type": "array",
                        "items": _obj(
                            {
                                "id": INT,
                                "topic_id": INT,
                                "topic_title": STR,
                                "post_number": INT,
                                "created_at": TIME,
                                "excerpt": STR,
                            }
                        ),
                    },
                }
            ),
        ]
    },
    "Message": {
        "allOf": [
            _ref("Topic"),
            _obj(
                {
                    "participants": {
                        "type": "array",
                        "items": _obj({"username": STR, "name": STR}),
                    },
                    "unread_count": {
                        "type": "integer",
                        "description": "Posts by others you have not read",
                    },
                }
            ),
        ]
    },
}

_GROUP_FIELDS = {
    "name": STR,
    "goal": STR,
    "expectations": STR,
    "admission": {"type": "string", "enum": ["open", "request", "invite"]},
    "schedule": {"oneOf": [_ref("Schedule"), {"type": "null"}]},
    "category": {
        "oneOf": [
            BOOL,
            _obj({"slug": STR, "name": STR, "description": STR, "guidelines": STR}),
        ],
        "description": "Give the group its own category, seen by its members only",
    },
}
_EVENT_FIELDS = {
    "title": STR,
    "starts_at": {
        "type": "string",
        "description": "ISO 8601 with an offset, or wall-clock time in `timezone`",
    },
    "ends_at": {"type": "string", "description": "Like starts_at; default: an hour later"},
    "timezone": {"type": "string", "description": "IANA name; the zone the event is shown in"},
    "location": STR,
    "link": STR,
    "description": STR,
    "topic_id": NULL_INT,
}


def _group_op(summary: str, params: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    return _op(summary, {"200": _json(_ref("Group"))}, params=params, **kwargs)


def paths() -> dict[str, Any]:
    rsvp_body = _obj({"status": STATUS}, ["status"])
    errors = {**NOT_FOUND, **FORBIDDEN, **CONFLICT}
    return {
        "/api/v1/groups": {
            "get": _op(
                "Study groups (and every other group), by name",
                {"200": _json(_obj({"groups": {"type": "array", "items": _ref("Group")}}))},
                params=[
                    _param("q", "query", STR, "Words in the name, slug or goal"),
                    _param("mine", "query", BOOL, "Only groups you are in"),
                    _param(
                        "admission",
                        "query",
                        {"type": "string", "enum": ["open", "request", "invite"]},
                        "Only groups admitting people so",
                    ),
                    _param(
                        "kind",
                        "query",
                        {"type": "string", "enum": ["study", "access"]},
                        "Only study groups, or only access groups",
                    ),
                ],
            ),
            "post": _op(
                "Start a study group; you become its organiser",
                {"201": _json(_ref("Group"), "Created")},
                params=[IDEMPOTENCY],
                body=_obj({"slug": STR, **_GROUP_FIELDS}, ["slug", "name"]),
                extra_errors={**CONFLICT, **TOO_LARGE},
            ),
        },
        "/api/v1/groups/{slug}": {
            "get": _group_op("A group with its members", [SLUG], extra_errors=NOT_FOUND),
            "patch": _group_op(
                "Change a group (organisers, moderators); `category` gives it one, once",
                [SLUG],
                body=_obj(_GROUP_FIELDS),
                extra_errors=errors,
            ),
        },
        "/api/v1/groups/{slug}/members": {
            "get": _op(
                "The group's members, organisers first",
                {"200": _json(_obj({"members": {"type": "array", "items": _ref("Member")}}))},
                params=[SLUG],
                extra_errors=NOT_FOUND,
            ),
            "post": _group_op(
                "Add (invite) someone (organisers, moderators); they are notified",
                [SLUG],
                body=_obj({"username": STR, "roles": STRS}, ["username"]),
                extra_errors=errors,
            ),
        },
        "/api/v1/groups/{slug}/members/{username}": {
            "put": _group_op(
                "Set a member's roles (organisers, moderators); a group keeps an organiser",
                [SLUG, USERNAME],
                body=_obj({"roles": STRS}, ["roles"]),
                extra_errors=errors,
            ),
            "delete": _group_op(
                "Leave (yourself) or remove (organisers); the last organiser cannot leave",
                [SLUG, USERNAME],
                extra_errors=errors,
            ),
        },
        "/api/v1/groups/{slug}/join": {
            "post": _group_op(
                "Join an open group (403 request_required / invite_only otherwise)",
                [SLUG],
                extra_errors=errors,
            )
        },
        "/api/v1/groups/{slug}/requests": {
            "get": _op(
                "Pending requests to join (organisers, moderators)",
                {"200": _json(_obj({"requests": {"type": "array", "items": _ref("JoinRequest")}}))},
                params=[SLUG],
                extra_errors={**NOT_FOUND, **FORBIDDEN},
            ),
            "post": _group_op(
                "Ask to join a request-to-join group; its organisers are notified",
                [SLUG],
                body=_obj({"message": STR}),
                extra_errors=errors,
            ),
        },
        "/api/v1/groups/{slug}/requests/{username}/approve": {
            "post": _group_op(
                "Approve a request (organisers, moderators)", [SLUG, USERNAME], extra_errors=errors
            )
        },
        "/api/v1/groups/{slug}/requests/{username}": {
            "delete": _group_op(
                "Turn a request down (organisers) or withdraw your own",
                [SLUG, USERNAME],
                extra_errors=errors,
            )
        },
        "/api/v1/groups/{slug}/meetings/{date}": {
            "get": _op(
                "One of the group's weekly meetings, with who answered how",
                {"200": _json(_ref("Event"))},
                params=[SLUG, DATE],
                extra_errors=NOT_FOUND,
            )
        },
        "/api/v1/groups/{slug}/meetings/{date}/rsvp": {
            "put": _op(
                "Answer for one meeting (changeable)",
                {"200": _json(_ref("Event"))},
                params=[SLUG, DATE],
                body=rsvp_body,
                extra_errors={**NOT_FOUND, **CONFLICT},
            ),
            "delete": _op(
                "Take your answer back",
                {"200": _json(_ref("Event"))},
                params=[SLUG, DATE],
                extra_errors={**NOT_FOUND, **CONFLICT},
            ),
        },
        "/api/v1/events": {
            "get": _op(
                "Events and group meetings overlapping a window (default: the next 30 days)",
                {
                    "200": _json(
                        _obj(
                            {
                                "events": {"type": "array", "items": _ref("Event")},
                                "from": TIME,
                                "to": TIME,
                                "truncated": BOOL,
                            }
                        )
                    )
                },
                params=[
                    _param("from", "query", STR, "ISO 8601 with offset (default: now)"),
                    _param("to", "query", STR, "ISO 8601 with offset (at most 366 days on)"),
                    _param("group", "query", STR, "Only this group's events and meetings"),
                    _param(
                        "rsvp",
                        "query",
                        {"type": "string", "enum": ["going", "interested", "not_going", "any"]},
                        "Only those you answered so",
                    ),
                    _param("meetings", "query", BOOL, "Include groups' meetings (default true)"),
                    _param("limit", "query", INT, "At most this many (default 200, max 500)"),
                ],
                extra_errors=NOT_FOUND,
            ),
            "post": _op(
                "Post an event (a group's: its organisers)",
                {"201": _json(_ref("Event"), "Created")},
                params=[IDEMPOTENCY],
                body=_obj({**_EVENT_FIELDS, "group": STR}, ["title", "starts_at"]),
                extra_errors={**NOT_FOUND, **FORBIDDEN, **TOO_LARGE},
            ),
        },
        "/api/v1/events/{event_id}": {
            "get": _op(
                "An event with who answered how",
                {"200": _json(_ref("Event"))},
                params=[EVENT_ID],
                extra_errors=NOT_FOUND,
            ),
            "patch": _op(
                "Change an event (its author, its group's organisers, moderators)",
                {"200": _json(_ref("Event"))},
                params=[EVENT_ID],
                body=_obj(_EVENT_FIELDS),
                extra_errors={**NOT_FOUND, **FORBIDDEN},
            ),
            "delete": _op(
                "Cancel an event",
                {"200": _json(_obj({"id": INT, "deleted": BOOL}))},
                params=[EVENT_ID],
                extra_errors={**NOT_FOUND, **FORBIDDEN},
            ),
        },
        "/api/v1/events/{event_id}/rsvp": {
            "put": _op(
                "Answer going, interested or not_going (one answer, changeable)",
                {"200": _json(_ref("Event"))},
                params=[EVENT_ID],
                body=rsvp_body,
                extra_errors={**NOT_FOUND, **CONFLICT},
            ),
            "delete": _op(
                "Take your answer back",
                {"200": _json(_ref("Event"))},
                params=[EVENT_ID],
                extra_errors={**NOT_FOUND, **CONFLICT},
            ),
        },
        "/api/v1/people": {
            "get": _op(
                "People by username; find mentors by expertise and availability",
                {
                    "200": _json(
                        _obj(
                            {
                                "people": {"type": "array", "items": _ref("Person")},
                                "next_offset": NULL_INT,
                                "expertise": {
                                    "type": "array",
                                    "items": _obj({"tag": STR, "count": INT}),
                                },
                            }
                        )
                    )
                },
                params=[
                    _param("expertise", "query", STR, "Only people with this expertise tag"),
                    _param("mentors", "query", BOOL, "Only people open to mentoring"),
                    _param("q", "query", STR, "Words in the username, name or bio"),
                    _param("limit", "query", INT, "Page size (default 50, at most 100)"),
                    _param("offset", "query", INT, "People to skip"),
                ],
            )
        },
        "/api/v1/people/{username}": {
            "get": _op(
                "A profile with groups and the recent posts you may read",
                {"200": _json(_ref("Profile"))},
                params=[USERNAME],
                extra_errors=NOT_FOUND,
            ),
            "patch": _op(
                "Edit your profile (moderators: anyone's)",
                {"200": _json(_ref("Profile"))},
                params=[USERNAME],
                body=_obj(
                    {
                        "name": STR,
                        "bio": STR,
                        "expertise": STRS,
                        "open_to_mentoring": BOOL,
                        "mentoring_hours": NULL_INT,
                    }
                ),
                extra_errors={**NOT_FOUND, **FORBIDDEN},
            ),
        },
        "/api/v1/messages": {
            "get": _op(
                "Your private messages, most recently active first",
                {
                    "200": _json(
                        _obj(
                            {
                                "messages": {"type": "array", "items": _ref("Message")},
                                "next_cursor": NULL_STR,
                                "unread_topics": INT,
                            }
                        )
                    )
                },
                params=[
                    _param("cursor", "query", STR, "Opaque cursor from the previous page"),
                    _param("limit", "query", INT, "Page size (at most 100)"),
                    _param("unread", "query", BOOL, "Only those with unread posts"),
                ],
            ),
            "post": _op(
                "Start a private message; read and reply through /topics/{topic_id}",
                {"201": _json(_ref("TopicView"), "Created")},
                params=[IDEMPOTENCY],
                body=_obj(
                    {"participants": STRS, "title": STR, "raw": STR},
                    ["participants", "title", "raw"],
                ),
                extra_errors={**TOO_LARGE},
            ),
        },
        "/api/v1/messages/{topic_id}/participants": {
            "post": _op(
                "Bring more people into a private message (any participant)",
                {
                    "200": _json(
                        _obj(
                            {
                                "topic_id": INT,
                                "participants": {
                                    "type": "array",
                                    "items": _obj({"username": STR, "name": STR}),
                                },
                            }
                        )
                    )
                },
                params=[TOPIC_ID],
                body=_obj({"usernames": STRS}, ["usernames"]),
                extra_errors=NOT_FOUND,
            )
        },
    }
