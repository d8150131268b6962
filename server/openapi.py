"""The server's own OpenAPI 3.1 document, served at /api/v1/openapi.json.

A test checks that every route the app serves is described here and nothing else is.
"""

from __future__ import annotations

from typing import Any

from server.settings import Settings


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _param(
    name: str, where: str, schema: dict[str, Any], description: str, required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema,
        "description": description,
    }


INT = {"type": "integer"}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
NULL_INT = {"type": ["integer", "null"]}
NULL_STR = {"type": ["string", "null"]}

ERRORS = {
    "400": {
        "description": "Invalid JSON, a missing field (named) or a bad parameter",
        "content": {"application/json": {"schema": _ref("Error")}},
    },
    "401": {
        "description": "Not logged in, or the token is unknown or revoked",
        "content": {"application/json": {"schema": _ref("Error")}},
    },
    "429": {
        "description": "Rate limited; Retry-After says when to try again",
        "headers": {"Retry-After": {"schema": INT}},
        "content": {"application/json": {"schema": _ref("Error")}},
    },
}
NOT_FOUND = {
    "404": {
        "description": "Missing, deleted, or hidden from you (alike)",
        "content": {"application/json": {"schema": _ref("Error")}},
    }
}
FORBIDDEN = {
    "403": {
        "description": "Not allowed for you",
        "content": {"application/json": {"schema": _ref("Error")}},
    }
}
TOO_LARGE = {
    "413": {
        "description": "Body over the server's limit",
        "content": {"application/json": {"schema": _ref("Error")}},
    }
}

TOPIC_ID = _param("topic_id", "path", INT, "Topic id")
POST_ID = _param("post_id", "path", INT, "Post id")
IDEMPOTENCY = _param(
    "Idempotency-Key", "header", STR, "Retrying a create with the same key returns the first result"
)


def _op(
    summary: str,
    responses: dict[str, Any],
    *,
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    extra_errors: dict[str, Any] | None = None,
    auth: bool = True,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {**responses, **ERRORS, **(extra_errors or {})},
    }
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if not auth:
        op["security"] = []
    return op


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": _obj({"code": STR, "message": STR}, ["code", "message"])}, ["error"]),
    "User": _obj(
        {
            "id": INT,
            "username": STR,
            "name": STR,
            "bio": STR,
            "is_moderator": BOOL,
            "groups": {"type": "array", "items": STR},
            "created_at": TIME,
            "unread_notifications": INT,
            "unread_messages": {
                "type": "integer",
                "description": "Private messages with posts you have not read",
            },
        }
    ),
    "Category": _obj(
        {
            "id": INT,
            "slug": STR,
            "name": STR,
            "description": STR,
            "guidelines": STR,
            "position": INT,
            "restricted": BOOL,
            "groups": {"type": "array", "items": STR},
            "topic_count": INT,
            "post_count": INT,
            "unread_topics": INT,
        }
    ),
    "Topic": _obj(
        {
            "id": INT,
            "title": STR,
            "category_id": INT,
            "category_slug": STR,
            "username": STR,
            "created_at": TIME,
            "bumped_at": TIME,
            "last_poster": NULL_STR,
            "posts_count": INT,
            "reply_count": INT,
            "highest_post_number": INT,
            "like_count": INT,
            "closed": BOOL,
            "pinned": BOOL,
            "solved": BOOL,
            "solution_post_number": NULL_INT,
            "tags": {"type": "array", "items": STR},
            "last_read_post_number": NULL_INT,
            "unread_count": INT,
            "seen": BOOL,
            "private_message": BOOL,
            "participants": {
                "type": "array",
                "items": _obj({"username": STR, "name": STR}),
                "description": "A private message's participants (only on one)",
            },
        }
    ),
    "Reaction": _obj({"name": STR, "count": INT, "reacted": BOOL}),
    "Reactors": _obj(
        {
            "name": STR,
            "users": {
                "type": "array",
                "items": _obj({"username": STR, "name": STR, "created_at": TIME}),
                "description": "Newest first",
            },
        }
    ),
    "Post": _obj(
        {
            "id": INT,
            "topic_id": INT,
            "post_number": INT,
            "reply_to_post_number": NULL_INT,
            "username": STR,
            "name": STR,
            "raw": {
                "type": "string",
                "description": "Markdown exactly as written; "
                "empty for a deleted post (a tombstone)",
            },
            "created_at": TIME,
            "updated_at": TIME,
            "version": INT,
            "deleted": BOOL,
            "like_count": INT,
            "reply_count": INT,
            "reactions": {"type": "array", "items": _ref("Reaction")},
            "accepted": BOOL,
            "bookmarked": BOOL,
            "can_edit": BOOL,
        }
    ),
    "TopicView": _obj(
        {
            "topic": _ref("Topic"),
            "post_ids": {"type": "array", "items": INT},
            "posts": {"type": "array", "items": _ref("Post")},
            "chunk_size": INT,
        }
    ),
    "Link": _obj(
        {
            "url": STR,
            "title": NULL_STR,
            "username": STR,
            "post_id": INT,
            "post_number": INT,
            "topic_id": INT,
            "created_at": TIME,
            "share_count": INT,
        }
    ),
    "Resource": _obj(
        {
            "url": STR,
            "title": NULL_STR,
            "share_count": INT,
            "topic_count": INT,
            "like_count": INT,
            "first_shared_at": TIME,
            "last_shared_at": TIME,
            "first_shared_by": NULL_STR,
            "shares": {
                "type": "array",
                "items": _obj(
                    {
                        "username": STR,
                        "topic_id": INT,
                        "topic_title": STR,
                        "post_id": INT,
                        "post_number": INT,
                        "created_at": TIME,
                    }
                ),
            },
        }
    ),
    "Notification": _obj(
        {
            "id": INT,
            "kind": {
                "type": "string",
                "enum": [
                    "reply",
                    "mention",
                    "quoted",
                    "reaction",
                    "solved",
                    "private_message",
                    "group_request",
                    "group_approved",
                    "group_added",
                ],
            },
            "actor": NULL_STR,
            "topic_id": NULL_INT,
            "topic_title": NULL_STR,
            "post_id": NULL_INT,
            "post_number": NULL_INT,
            "data": {"type": "object"},
            "created_at": TIME,
            "read": BOOL,
        }
    ),
    "SearchResult": _obj(
        {
            "post_id": INT,
            "topic_id": INT,
            "post_number": INT,
            "topic_title": STR,
            "category_id": INT,
            "category_slug": STR,
            "username": STR,
            "created_at": TIME,
            "blurb": STR,
            "solved": BOOL,
            "accepted": BOOL,
        }
    ),
    "Change": _obj(
        {
            "seq": INT,
            "kind": STR,
            "category_id": NULL_INT,
            "topic_id": NULL_INT,
            "post_id": NULL_INT,
            "data": {"type": "object"},
            "created_at": TIME,
        }
    ),
}


def _list(key: str, item: str, cursor: bool = True) -> dict[str, Any]:
    props: dict[str, Any] = {key: {"type": "array", "items": _ref(item)}}
    if cursor:
        props["next_cursor"] = NULL_STR
    return _obj(props)


def document(settings: Settings) -> dict[str, Any]:
    cursor = _param("cursor", "query", STR, "Opaque cursor from the previous page")
    limit = _param("limit", "query", INT, "Page size (at most 100)")
    paths: dict[str, Any] = {
        "/api/v1/site": {
            "get": _op(
                "What this server is (no login needed)",
                {
                    "200": _json(
                        _obj(
                            {
                                "software": STR,
                                "api": INT,
                                "name": STR,
                                "anonymous_read": BOOL,
                                "reactions": {"type": "array", "items": STR},
                                "features": {"type": "array", "items": STR},
                            }
                        )
                    )
                },
                auth=False,
            )
        },
        "/api/v1/openapi.json": {
            "get": _op("This document", {"200": _json({"type": "object"})}, auth=False)
        },
        "/api/v1/login": {
            "post": _op(
                "Exchange a username and password for a bearer token",
                {"200": _json(_obj({"token": STR, "user": _ref("User")}))},
                body=_obj({"username": STR, "password": STR}, ["username", "password"]),
                auth=False,
            )
        },
        "/api/v1/logout": {
            "post": _op(
                "Revoke the bearer token used for this request", {"204": {"description": "Revoked"}}
            )
        },
        "/api/v1/me": {"get": _op("The logged-in user", {"200": _json(_ref("User"))})},
        "/api/v1/categories": {
            "get": _op(
                "Categories you can see, with unread counts",
                {"200": _json(_list("categories", "Category", False))},
            )
        },
        "/api/v1/topics": {
            "get": _op(
                "A page of topics",
                {"200": _json(_list("topics", "Topic"))},
                params=[
                    _param(
                        "filter",
                        "query",
                        {"type": "string", "enum": ["latest", "new", "unread", "top"]},
                        "Which list",
                    ),
                    _param("category", "query", STR, "Category id or slug"),
                    _param("tag", "query", STR, "Only topics with this tag"),
                    cursor,
                    limit,
                ],
                extra_errors=NOT_FOUND,
            ),
            "post": _op(
                "Start a topic",
                {"201": _json(_ref("TopicView"), "Created")},
                params=[IDEMPOTENCY],
                body=_obj(
                    {
                        "title": STR,
                        "raw": STR,
                        "category": {"type": ["integer", "string"]},
                        "tags": {"type": "array", "items": STR},
                    },
                    ["title", "raw", "category"],
                ),
                extra_errors={**NOT_FOUND, **TOO_LARGE},
            ),
        },
        "/api/v1/topics/{topic_id}": {
            "get": _op(
                "A topic, every post id in order, and the first chunk of posts",
                {"200": _json(_ref("TopicView"))},
                params=[TOPIC_ID],
                extra_errors=NOT_FOUND,
            ),
            "patch": _op(
                "Edit the title or tags (author, moderator); close, pin or move (moderator)",
                {"200": _json(_ref("Topic"))},
                params=[TOPIC_ID],
                body=_obj(
                    {
                        "title": STR,
                        "tags": {"type": "array", "items": STR},
                        "category": {"type": ["integer", "string"]},
                        "closed": BOOL,
                        "pinned": BOOL,
                    }
                ),
                extra_errors={**NOT_FOUND, **FORBIDDEN},
            ),
        },
        "/api/v1/topics/{topic_id}/posts": {
            "get": _op(
                "Posts by id (`ids=1,2,3`) or after a post number (`after`, `limit`)",
                {"200": _json(_list("posts", "Post", False))},
                params=[
                    TOPIC_ID,
                    _param("ids", "query", STR, "Comma-separated post ids"),
                    _param("after", "query", INT, "Posts after this post_number"),
                    limit,
                ],
                extra_errors=NOT_FOUND,
            ),
            "post": _op(
                "Reply",
                {"201": _json(_ref("Post"), "Created")},
                params=[TOPIC_ID, IDEMPOTENCY],
                body=_obj({"raw": STR, "reply_to_post_number": NULL_INT}, ["raw"]),
                extra_errors={**NOT_FOUND, **FORBIDDEN, **TOO_LARGE},
            ),
        },
        "/api/v1/topics/{topic_id}/solution": {
            "put": _op(
                "Accept an answer (topic author or moderator)",
                {"200": _json(_ref("Topic"))},
                params=[TOPIC_ID],
                body=_obj({"post_id": INT, "post_number": INT}),
                extra_errors={**NOT_FOUND, **FORBIDDEN},
            ),
            "delete": _op(
                "Unaccept the answer",
                {"200": _json(_ref("Topic"))},
                params=[TOPIC_ID],
                extra_errors={**NOT_FOUND, **FORBIDDEN},
            ),
        },
        "/api/v1/topics/{topic_id}/read": {
            "put": _op(
                "Record the highest post read (never moves backwards)",
                {"200": _json(_obj({"topic_id": INT, "last_read_post_number": INT}))},
                params=[TOPIC_ID],
                body=_obj({"post_number": INT}, ["post_number"]),
                extra_errors=NOT_FOUND,
            )
        },
        "/api/v1/topics/{topic_id}/links": {
            "get": _op(
                "Every link shared in the topic, in post order",
                {"200": _json(_list("links", "Link", False))},
                params=[TOPIC_ID],
                extra_errors=NOT_FOUND,
            )
        },
        "/api/v1/posts/{post_id}": {
            "get": _op(
                "One post (ETag carries its version)",
                {"200": _json(_ref("Post"))},
                params=[POST_ID],
                extra_errors=NOT_FOUND,
            ),
            "patch": _op(
                "Edit a post (author or moderator)",
                {"200": _json(_ref("Post"))},
                params=[
                    POST_ID,
                    _param("If-Match", "header", STR, "The version you edited", required=True),
                ],
                body=_obj({"raw": STR}, ["raw"]),
                extra_errors={
                    **NOT_FOUND,
                    **FORBIDDEN,
                    **TOO_LARGE,
                    "412": {
                        "description": "The post changed since that version",
                        "content": {"application/json": {"schema": _ref("Error")}},
                    },
                    "428": {
                        "description": "If-Match is missing",
                        "content": {"application/json": {"schema": _ref("Error")}},
                    },
                },
            ),
            "delete": _op(
                "Delete a post, leaving a tombstone (deleting post 1 deletes the topic)",
                {"200": _json(_ref("Post"))},
                params=[POST_ID],
                extra_errors={**NOT_FOUND, **FORBIDDEN},
            ),
        },
        "/api/v1/posts/{post_id}/reactions": {
            "get": _op(
                "Who reacted to a post, and how (each reaction's people newest first)",
                {"200": _json(_list("reactions", "Reactors", False))},
                params=[POST_ID],
                extra_errors=NOT_FOUND,
            )
        },
        "/api/v1/posts/{post_id}/reactions/{name}": {
            method: _op(
                f"{verb} a reaction ({', '.join(settings.reactions)})",
                {"200": _json(_ref("Post"))},
                params=[POST_ID, _param("name", "path", STR, "Reaction name")],
                extra_errors={**NOT_FOUND, **FORBIDDEN},
            )
            for method, verb in (("put", "Add"), ("delete", "Remove"))
        },
        "/api/v1/posts/{post_id}/bookmark": {
            method: _op(
                f"{verb} a bookmark",
                {"200": _json(_obj({"post_id": INT, "bookmarked": BOOL}))},
                params=[POST_ID],
                extra_errors=NOT_FOUND,
            )
            for method, verb in (("put", "Add"), ("delete", "Remove"))
        },
        "/api/v1/bookmarks": {
            "get": _op("Your bookmarked posts", {"200": _json(_list("bookmarks", "Post", False))})
        },
        "/api/v1/search": {
            "get": _op(
                "Search posts. Filters: @user #category tag:x in:title status:solved|unsolved "
                "before:YYYY-MM-DD after:YYYY-MM-DD in:messages (your private messages only)",
                {
                    "200": _json(
                        _obj(
                            {
                                "results": {"type": "array", "items": _ref("SearchResult")},
                                "next_offset": NULL_INT,
                                "query": {"type": "object"},
                            }
                        )
                    )
                },
                params=[
                    _param("q", "query", STR, "Words and filters", required=True),
                    limit,
                    _param("offset", "query", INT, "Results to skip"),
                ],
            )
        },
        "/api/v1/notifications": {
            "get": _op(
                "Replies, mentions, quotes, reactions and accepted answers on your posts",
                {
                    "200": _json(
                        _obj(
                            {
                                "notifications": {"type": "array", "items": _ref("Notification")},
                                "next_cursor": NULL_STR,
                                "unread_count": INT,
                            }
                        )
                    )
                },
                params=[cursor, limit, _param("unread", "query", BOOL, "Only unread ones")],
            )
        },
        "/api/v1/notifications/read": {
            "post": _op(
                "Mark notifications read",
                {"200": _json(_obj({"marked": INT, "unread_count": INT}))},
                body=_obj({"ids": {"type": "array", "items": INT}, "all": BOOL}),
            )
        },
        "/api/v1/resources": {
            "get": _op(
                "Every link shared in the community, one entry per URL",
                {"200": _json(_list("resources", "Resource"))},
                params=[
                    _param("category", "query", STR, "Category id or slug"),
                    _param("tag", "query", STR, "Topic tag"),
                    _param("q", "query", STR, "Text in the URL, the link title or topic title"),
                    _param(
                        "sort",
                        "query",
                        {"type": "string", "enum": ["recent", "shared", "liked"]},
                        "Order",
                    ),
                    cursor,
                    limit,
                ],
                extra_errors=NOT_FOUND,
            )
        },
        "/api/v1/changes": {
            "get": _op(
                "Long-poll change feed. Without `since`: the current sequence number.",
                {
                    "200": _json(
                        _obj(
                            {"changes": {"type": "array", "items": _ref("Change")}, "last_seq": INT}
                        )
                    ),
                    "410": {
                        "description": "Changes since that point were pruned; reload",
                        "content": {"application/json": {"schema": _ref("Error")}},
                    },
                },
                params=[
                    _param("since", "query", INT, "Last sequence number you have"),
                    _param(
                        "wait",
                        "query",
                        {"type": "number"},
                        f"Seconds to wait for news (at most {settings.max_wait:g})",
                    ),
                ],
            )
        },
    }
    # Imported here: the community routes' document builds on this module's helpers.
    from server import openapi_community

    paths.update(openapi_community.paths())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{settings.site_name} forum API",
            "version": "1",
            "description": "Cohort's forum server. On its Unix socket the connecting "
            "local account is the user; over TCP send `Authorization: Bearer <token>`.",
        },
        "paths": paths,
        "components": {
            "schemas": {**SCHEMAS, **openapi_community.SCHEMAS},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
