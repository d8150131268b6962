"""A small fake Discourse on 127.0.0.1 that answers with Discourse's own responses.

Every body it serves is one of the real response files in ../shared/discourse/fixtures/
(read at test time, never copied here), or is built from one of them: a new post is the
real `POST /posts.json` answer (create_topic_with_tags__discourse_api.json) with this
post's values put in, a new topic the real topic view of topic 299 likewise. Where a route
needs a body no fixture has, the shape comes from Discourse's source, cited where it is
used, and is kept to the fields the client reads.

It keeps just enough state for the contract suite's writes: replies, edits (with
`raw_old`, answering 409 on a stale one, as PostsController#update does), deletes, likes,
discourse-reactions toggles, discourse-solved answers, timings, bookmarks, notifications
read, and MessageBus (the /latest and /new channels TopicTrackingState publishes to).

`start_fake()` serves it with uvicorn in a background thread; `stop()` always ends it.
"""

from __future__ import annotations

import asyncio
import copy
import html
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.discourse_fixtures import FIXTURES

USER_API_KEY = "fake-user-api-key"
CLIENT_ID = "fake-client-id"
ADMIN_API_KEY = "fake-admin-api-key"
ADMIN_USERNAME = "eviltrout"

# The topic views the fake serves, first wins where fixtures share a post id (post 419 is
# in topic 280 and, as another post, in topic 34: two front-end fixtures, written apart).
TOPIC_FIXTURES = (
    "topic_280_long_stream__core.json",
    "topic__discourse_api.json",
    "topic_299__core.json",
    "topic_with_reactions__discourse_reactions.json",
    "topic_130_private_message__core.json",
    "topic_34__core.json",
)

# Error bodies, as Discourse's JsonError/ApplicationController render them; the texts are
# the ones Discourse's own tests use (e.g. acceptance/personal-message-test.js for 403,
# acceptance/post-history-test.js for 404).
NOT_FOUND = {
    "errors": ["The requested URL or resource could not be found."],
    "error_type": "not_found",
}
INVALID_ACCESS = {
    "errors": ["You are not permitted to view the requested resource."],
    "error_type": "invalid_access",
}
# PostsController#update: render_json_error(I18n.t("edit_conflict"), status: 409).
EDIT_CONFLICT = {
    "errors": ["That post was edited by another user and your changes can no longer be saved."]
}
SUCCESS = {"success": "OK"}  # ApplicationController#success_json


def fixture(name: str) -> Any:
    """A fixture file's JSON, read fresh (tests may change what they get)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _Topic:
    view: dict[str, Any]  # the topic view, less its posts
    posts: list[dict[str, Any]]  # every post, in order
    stream: list[int]  # post_stream.stream as the fixture gave it, plus new posts


@dataclass
class FakeDiscourse:
    """The fake forum's state and its Starlette app.

    `chunk_size` is how many posts /t/{id}.json carries (Discourse: 20). The fixture
    topics have at most 20 posts, so a smaller chunk is how a test makes the client fetch
    the rest by id. `message_bus=False` answers MessageBus with 404, as a forum that has it
    off (or a key without the scope: 403) would. `requests` records what was asked.
    """

    chunk_size: int = 20
    message_bus: bool = True
    long_poll_seconds: float = 25.0  # MessageBus's long_polling_interval default
    drop_stream_of: frozenset[int] = frozenset()  # topics answered as if 10,000+ posts long
    requests: list[str] = field(default_factory=list)
    joined_groups: set[int] = field(default_factory=set)  # ids the user joined
    membership_requests: dict[str, str] = field(default_factory=dict)  # group -> reason
    pm_recipients: dict[int, str] = field(default_factory=dict)  # new PM topic -> names

    def __post_init__(self) -> None:
        self.site = fixture("site__core.json")["site"]  # the JS fixture wraps /site.json
        self.session = fixture("session_current__core.json")
        self.me = self.session["current_user"]
        self.topics: dict[int, _Topic] = {}
        self.posts: dict[int, tuple[int, dict[str, Any]]] = {}  # post id -> (topic, post)
        for name in TOPIC_FIXTURES:
            view = fixture(name)
            stream = view["post_stream"]
            posts = sorted(stream.pop("posts"), key=lambda p: p["post_number"])
            topic = _Topic(view=view, posts=posts, stream=list(stream.get("stream", [])))
            self.topics[view["id"]] = topic
            for post in posts:
                self.posts.setdefault(post["id"], (view["id"], post))
        # GET /posts/{id}.json answers (with raw) that Discourse recorded for these posts.
        self.post_pages: dict[int, dict[str, Any]] = {
            398: fixture("post_398_with_raw__core.json"),
            11: fixture("post__discourse_api.json"),
        }
        self.notifications = fixture("notifications__core.json")
        self.bookmark_list = fixture("user_bookmarks__core.json")
        self.bookmark_ids: dict[int, int] = {}  # post id -> bookmark id
        self.next_post_id = 900_000
        self.next_topic_id = 90_000
        self.next_bookmark_id = 9_000
        self.channels: dict[str, list[tuple[int, int, Any]]] = {}  # channel -> messages
        self.global_id = 0
        self._news: asyncio.Event | None = None
        self.app = Starlette(routes=self._routes())

    # -- who is asking ---------------------------------------------------------------------

    def _auth(self, request: Request) -> bool | None:
        """True: logged in; False: anonymous; None: a key the forum does not know."""
        headers = request.headers
        if "user-api-key" in headers:
            return headers["user-api-key"] == USER_API_KEY or None
        if "api-key" in headers:
            ok = headers["api-key"] == ADMIN_API_KEY
            return (ok and headers.get("api-username") == ADMIN_USERNAME) or None
        return False

    def _guard(self, request: Request, *, login: bool) -> Response | None:
        who = self._auth(request)
        if who is None or (login and not who):
            # Discourse::InvalidAccess (a bad key) and Discourse::NotLoggedIn for a JSON
            # request are both a 403 (ApplicationController#rescue_discourse_actions).
            return JSONResponse(INVALID_ACCESS, status_code=403)
        return None

    def _log(self, request: Request) -> None:
        query = f"?{request.url.query}" if request.url.query else ""
        self.requests.append(f"{request.method} {request.url.path}{query}")

    # -- routes ------------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        def route(path: str, handler: Any, methods: list[str], login: bool = False) -> Route:
            async def endpoint(request: Request) -> Response:
                self._log(request)
                denied = self._guard(request, login=login)
                if denied is not None:
                    return denied
                result: Response = await handler(request)
                return result

            return Route(path, endpoint, methods=methods)

        return [
            route("/site.json", self.get_site, ["GET"]),
            route("/site/basic-info.json", self.get_basic_info, ["GET"]),
            route("/session/current.json", self.get_session, ["GET"]),
            route("/categories.json", self.get_fixture("categories__discourse_api.json"), ["GET"]),
            route("/latest.json", self.get_latest, ["GET"]),
            route("/new.json", self.get_fixture("new__discourse_api.json"), ["GET"]),
            route("/top.json", self.get_fixture("top__discourse_api.json"), ["GET"]),
            route(
                "/c/feature/2/l/latest.json",
                self.get_fixture("category_feature_latest__core.json"),
                ["GET"],
            ),
            route(
                "/tag/important/l/latest.json",
                self.get_fixture("tag_important_latest__core.json"),
                ["GET"],
            ),
            route("/t/{topic_id:int}.json", self.get_topic, ["GET"]),
            route("/t/{topic_id:int}/posts.json", self.get_topic_posts, ["GET"]),
            route("/posts/{post_id:int}.json", self.get_post, ["GET"]),
            route("/posts/{post_id:int}.json", self.put_post, ["PUT"], login=True),
            route("/posts/{post_id:int}.json", self.delete_post, ["DELETE"], login=True),
            route("/posts.json", self.create_post, ["POST"], login=True),
            route("/post_actions.json", self.create_post_action, ["POST"], login=True),
            route("/post_action_users.json", self.get_post_action_users, ["GET"]),
            route("/post_actions/{post_id:int}.json", self.delete_post_action, ["DELETE"], True),
            route(
                "/discourse-reactions/posts/{post_id:int}/custom-reactions/{reaction}/toggle.json",
                self.toggle_reaction,
                ["PUT"],
                login=True,
            ),
            route("/solution/accept.json", self.accept_solution, ["POST"], login=True),
            route("/solution/unaccept.json", self.unaccept_solution, ["POST"], login=True),
            route("/topics/timings", self.post_timings, ["POST"], login=True),
            route("/bookmarks.json", self.create_bookmark, ["POST"], login=True),
            route("/bookmarks/{bookmark_id:int}.json", self.delete_bookmark, ["DELETE"], True),
            route("/search.json", self.get_search, ["GET"]),
            route("/notifications.json", self.get_notifications, ["GET"], login=True),
            route("/notifications/mark-read.json", self.mark_read, ["PUT"], login=True),
            route("/u/{username}/bookmarks.json", self.get_bookmarks, ["GET"], login=True),
            route("/message-bus/{client_id}/poll", self.poll, ["POST"]),
            *self._community_routes(route),
        ]

    # -- groups, people and private messages (tui/forum/discourse/community.py) ----------

    def _community_routes(self, route: Any) -> list[Route]:
        return [
            route("/groups.json", self.get_groups, ["GET"]),
            route("/groups/{gid:int}/members.json", self.join_group, ["PUT"], login=True),
            route("/groups/{gid:int}/leave.json", self.leave_group, ["DELETE"], login=True),
            route(
                "/groups/{name}/request_membership.json",
                self.request_membership,
                ["POST"],
                login=True,
            ),
            route("/groups/{name}/members.json", self.get_group_members, ["GET"]),
            route("/groups/{name}.json", self.get_group, ["GET"]),
            route("/directory_items.json", self.get_fixture("directory_items__core.json"), ["GET"]),
            route("/u/{username}.json", self.get_user, ["GET"]),
            route(
                "/topics/private-messages/{username}.json",
                self.get_fixture("private_messages__discourse_api.json"),
                ["GET"],
                login=True,
            ),
        ]

    def _group_entries(self) -> dict[str, dict[str, Any]]:
        """The groups the fake knows: /groups.json's two real entries and the group of
        group__discourse_api.json."""
        found = {g["name"]: g for g in fixture("groups__core.json")["groups"]}
        basic = fixture("group__discourse_api.json")["basic_group"]
        found[basic["name"]] = basic
        return found

    async def get_groups(self, request: Request) -> Response:
        body = fixture("groups__core.json")
        body["extras"]["group_user_ids"] = sorted(self.joined_groups)
        return JSONResponse(body)

    async def get_group(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name == "group_1":  # the real answer of an older forum: {"basic_group": ...}
            return JSONResponse(fixture("group__discourse_api.json"))
        entry = self._group_entries().get(name)
        if entry is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        # GroupsController#show renders {"group": ..., "extras": ...}; `is_group_user` is
        # in the GroupShowSerializer schema of Discourse's OpenAPI document.
        group = dict(entry, is_group_user=entry["id"] in self.joined_groups)
        return JSONResponse({"group": group, "extras": {"visible_group_names": [name]}})

    async def get_group_members(self, request: Request) -> Response:
        if request.path_params["name"] not in self._group_entries():
            return JSONResponse(NOT_FOUND, status_code=404)
        return JSONResponse(fixture("group_members_page0__discourse_api.json"))

    async def join_group(self, request: Request) -> Response:
        gid = request.path_params["gid"]
        if gid not in {g["id"] for g in self._group_entries().values()}:
            return JSONResponse(NOT_FOUND, status_code=404)
        body = await _body(request)
        self.joined_groups.add(gid)
        names = [n for n in str(body.get("usernames", "")).split(",") if n]
        # The 200 answer's required fields in Discourse's OpenAPI document (addGroupMembers).
        return JSONResponse({"success": "OK", "usernames": names, "emails": []})

    async def leave_group(self, request: Request) -> Response:
        self.joined_groups.discard(request.path_params["gid"])
        return JSONResponse(SUCCESS)  # GroupsController#leave: render json: success_json

    async def request_membership(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self._group_entries():
            return JSONResponse(NOT_FOUND, status_code=404)
        self.membership_requests[name] = str((await _body(request)).get("reason", ""))
        # GroupsController#request_membership: success_json.merge(relative_url: ...), the
        # private message it sent the group's owners.
        return JSONResponse({**SUCCESS, "relative_url": "/t/request-to-join/130"})

    async def get_user(self, request: Request) -> Response:
        names = {
            "eviltrout": "user_eviltrout__core.json",
            "test_user": "user__discourse_api.json",
        }
        name = names.get(request.path_params["username"])
        if name is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        return JSONResponse(fixture(name))

    def get_fixture(self, name: str) -> Any:
        async def handler(request: Request) -> Response:
            return JSONResponse(fixture(name))

        return handler

    # -- reading ------------------------------------------------------------------------------

    async def get_site(self, request: Request) -> Response:
        # SiteController#site renders Site.json_for (root: false): the object itself.
        return JSONResponse(self.site)

    async def get_basic_info(self, request: Request) -> Response:
        # No fixture has /site/basic-info.json. Shape: SiteController#basic_info (the
        # OpenAPI schema in ../shared/discourse/openapi.json lists title, description,
        # login_required, ...); "Discourse" is the `title` site setting's default.
        return JSONResponse({"title": "Discourse", "description": "", "login_required": False})

    async def get_session(self, request: Request) -> Response:
        if not self._auth(request):
            # SessionController#current: `render body: nil, status: 404` when anonymous.
            return Response(status_code=404)
        return JSONResponse(self.session)

    async def get_latest(self, request: Request) -> Response:
        # Two real /latest.json answers as two pages: the first says where the next is.
        if request.query_params.get("page") == "1":
            return JSONResponse(fixture("latest_can_create_topic__core.json"))
        return JSONResponse(fixture("latest__discourse_api.json"))

    def _live(self, topic: _Topic) -> list[dict[str, Any]]:
        return [p for p in topic.posts if p.get("deleted_at") is None]

    def _topic_body(self, topic: _Topic, posts: list[dict[str, Any]]) -> dict[str, Any]:
        body = copy.deepcopy(topic.view)
        body["post_stream"] = {"posts": copy.deepcopy(posts)}
        if topic.view["id"] not in self.drop_stream_of:
            deleted = {p["id"] for p in topic.posts if p.get("deleted_at") is not None}
            body["post_stream"]["stream"] = [i for i in topic.stream if i not in deleted]
        return body

    async def get_topic(self, request: Request) -> Response:
        topic = self.topics.get(request.path_params["topic_id"])
        if topic is None:
            # TopicsController#show answers its 404 as an HTML page, not JSON
            # (rescue_discourse_actions: "do not use render_json_error for topics#show").
            return Response(status_code=404, media_type="text/html")
        return JSONResponse(self._topic_body(topic, self._live(topic)[: self.chunk_size]))

    async def get_topic_posts(self, request: Request) -> Response:
        # TopicsController#posts -> TopicViewPostsSerializer: {"post_stream": {"posts"}, "id"}
        # (topic_posts__discourse_api.json). post_ids[] picks posts; post_number + asc=true
        # gives the (up to 20) posts after that number (TopicView#filter_posts_by_post_number).
        topic_id = request.path_params["topic_id"]
        topic = self.topics.get(topic_id)
        if topic is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        live = self._live(topic)
        ids = {int(i) for i in request.query_params.getlist("post_ids[]")}
        if ids:
            posts = [p for p in live if p["id"] in ids]
        elif "post_number" in request.query_params:
            after = int(request.query_params["post_number"])
            posts = [p for p in live if p["post_number"] > after][:20]
        else:
            posts = live[:20]
        return JSONResponse({"post_stream": {"posts": copy.deepcopy(posts)}, "id": topic_id})

    async def get_post(self, request: Request) -> Response:
        post_id = request.path_params["post_id"]
        found = self.posts.get(post_id)
        if found is None:
            page = self.post_pages.get(post_id)
            if page is None:
                return JSONResponse(NOT_FOUND, status_code=404)
            return JSONResponse(page)
        post = found[1]
        if post.get("deleted_at") is not None and not self.me.get("staff"):
            return JSONResponse(NOT_FOUND, status_code=404)  # only staff see deleted posts
        body = copy.deepcopy(post)
        page = self.post_pages.get(post_id)
        if page is not None and "raw" in page:
            body.setdefault("raw", page["raw"])
        return JSONResponse(body)

    async def get_post_action_users(self, request: Request) -> Response:
        # PostActionUsersController#index: 404 for a post you cannot see; otherwise the
        # users of that action. The likers are the real answer of
        # post_action_users__discourse_api.json (whichever post is asked about); another
        # action type answers the same shape with nobody in it.
        post_id = request.query_params.get("id", "")
        action = request.query_params.get("post_action_type_id", "")
        found = self.posts.get(int(post_id)) if post_id.isdigit() else None
        if found is None or found[1].get("deleted_at") is not None:
            return JSONResponse(NOT_FOUND, status_code=404)
        body = fixture("post_action_users__discourse_api.json")
        if action != "2":
            body["post_action_users"] = []
        return JSONResponse(body)

    async def get_search(self, request: Request) -> Response:
        term = request.query_params.get("q", "")
        results = fixture("search_query__core.json")
        if term.strip().lower() == results["grouped_search_result"]["term"]:
            return JSONResponse(results)
        # Nothing found: the same GroupedSearchResult shape, every list empty.
        return JSONResponse(
            {
                "posts": [],
                "topics": [],
                "users": [],
                "categories": [],
                "grouped_search_result": {
                    "term": term,
                    "more_posts": None,
                    "more_users": None,
                    "more_categories": None,
                    "post_ids": [],
                    "user_ids": [],
                    "category_ids": [],
                },
            }
        )

    async def get_notifications(self, request: Request) -> Response:
        return JSONResponse(self.notifications)

    async def mark_read(self, request: Request) -> Response:
        body = await _body(request)
        wanted = body.get("id")
        for item in self.notifications["notifications"]:
            if wanted is None or int(wanted) == item["id"]:
                item["read"] = True
        return JSONResponse(SUCCESS)  # NotificationsController#mark_read

    async def get_bookmarks(self, request: Request) -> Response:
        if request.path_params["username"].lower() != self.me["username"].lower():
            return JSONResponse(INVALID_ACCESS, status_code=403)
        return JSONResponse(self.bookmark_list)

    # -- writing -------------------------------------------------------------------------------

    def _new_post(
        self, topic: _Topic, raw: str, reply_to: int | None, post_number: int | None = None
    ) -> dict[str, Any]:
        """A new post: the real POST /posts.json answer, with this post's values."""
        post: dict[str, Any] = fixture("create_topic_with_tags__discourse_api.json")
        self.next_post_id += 1
        now = _now()
        number = post_number or max((p["post_number"] for p in topic.posts), default=0) + 1
        post.update(
            id=self.next_post_id,
            username=self.me["username"],
            name=self.me["name"],
            display_username=self.me["name"],
            user_id=self.me["id"],
            created_at=now,
            updated_at=now,
            # The fake does not render Markdown; Discourse would (PrettyText.cook).
            cooked=f"<p>{html.escape(raw)}</p>",
            post_number=number,
            reply_to_post_number=reply_to,
            topic_id=topic.view["id"],
            topic_slug=topic.view.get("slug", ""),
            version=1,
            yours=True,
            can_edit=True,
            can_delete=True,
            actions_summary=[{"id": 2, "can_act": False}],
        )
        topic.posts.append(post)
        topic.stream.append(post["id"])
        self.posts[post["id"]] = (topic.view["id"], post)
        self.post_pages[post["id"]] = {"raw": raw}
        view = topic.view
        view["posts_count"] = view.get("posts_count", 0) + 1
        view["highest_post_number"] = max(view.get("highest_post_number", 0), number)
        view["last_posted_at"] = now
        return post

    async def create_post(self, request: Request) -> Response:
        body = await _body(request)
        raw = str(body.get("raw") or "")
        topic: _Topic | None
        if body.get("title"):
            topic = self._new_topic(body)
            post = self._new_post(topic, raw, None, post_number=1)
            self._publish_new(topic)
        else:
            topic = self.topics.get(int(body.get("topic_id") or 0))
            if topic is None:
                return JSONResponse(NOT_FOUND, status_code=404)
            reply_to = body.get("reply_to_post_number")
            post = self._new_post(topic, raw, int(reply_to) if reply_to else None)
        self._publish_latest(topic)
        return JSONResponse(copy.deepcopy(post))

    def _new_topic(self, body: dict[str, Any]) -> _Topic:
        """A new topic: topic 299's real topic view, with this topic's values."""
        view = fixture("topic_299__core.json")
        view["post_stream"] = {}
        self.next_topic_id += 1
        now = _now()
        tags = body.get("tags") or []
        view.update(
            id=self.next_topic_id,
            title=str(body["title"]),
            fancy_title=html.escape(str(body["title"])),
            slug=f"topic-{self.next_topic_id}",
            category_id=int(body.get("category") or 0) or None,
            posts_count=0,
            reply_count=0,
            like_count=0,
            highest_post_number=0,
            created_at=now,
            last_posted_at=now,
            tags=list(tags) if isinstance(tags, list) else [tags],
        )
        view["details"]["created_by"] = {
            key: self.me.get(key) for key in ("id", "username", "name", "avatar_template")
        }
        if body.get("archetype") == "private_message":
            view["archetype"] = "private_message"
            view["category_id"] = None
            self.pm_recipients[view["id"]] = str(body.get("target_recipients", ""))
        topic = _Topic(view=view, posts=[], stream=[])
        self.topics[view["id"]] = topic
        return topic

    async def put_post(self, request: Request) -> Response:
        found = self.posts.get(request.path_params["post_id"])
        if found is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        post = found[1]
        if post.get("user_id") != self.me["id"]:
            return JSONResponse(INVALID_ACCESS, status_code=403)
        edit = (await _body(request)).get("post") or {}
        current = self.post_pages.get(post["id"], {}).get("raw", "")
        old = edit.get("original_text") or edit.get("raw_old")
        if old and old != current:
            return JSONResponse(EDIT_CONFLICT, status_code=409)
        raw = str(edit.get("raw") or "")
        self.post_pages.setdefault(post["id"], {})["raw"] = raw
        post.update(
            cooked=f"<p>{html.escape(raw)}</p>", version=post["version"] + 1, updated_at=_now()
        )
        # The answer's shape: update_post_response__api_docs.json, {"post": {...}}.
        return JSONResponse({"post": copy.deepcopy(post)})

    async def delete_post(self, request: Request) -> Response:
        found = self.posts.get(request.path_params["post_id"])
        if found is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        post = found[1]
        post["deleted_at"] = _now()
        post["deleted_by"] = {k: self.me.get(k) for k in ("id", "username", "avatar_template")}
        return Response(status_code=200)  # PostsController#destroy: `render body: nil`

    def _like(self, post: dict[str, Any], on: bool) -> None:
        summary = post.setdefault("actions_summary", [])
        like = next((a for a in summary if a.get("id") == 2), None)
        if like is None:
            like = {"id": 2}
            summary.insert(0, like)
        count = int(like.get("count") or 0) + (1 if on else -1)
        like.update(count=count, acted=on or None, can_undo=on or None)
        for key in [k for k, v in like.items() if v is None]:
            del like[key]
        post["like_count"] = count
        if isinstance(post.get("reactions"), list):  # discourse-reactions: the like is its main
            self._react(post, "heart", on)

    def _react(self, post: dict[str, Any], reaction: str, on: bool) -> None:
        reactions = post["reactions"]
        entry = next((r for r in reactions if r["id"] == reaction), None)
        if on:
            if entry is None:
                entry = {"id": reaction, "type": "emoji", "count": 0}
                reactions.append(entry)
            entry["count"] += 1
            post["current_user_reaction"] = {"id": reaction, "type": "emoji", "can_undo": True}
        else:
            if entry is not None:
                entry["count"] -= 1
                if entry["count"] <= 0:
                    reactions.remove(entry)
            post["current_user_reaction"] = None
        reactions.sort(key=lambda r: (-r["count"], r["id"]))

    def _acted(self, post: dict[str, Any]) -> bool:
        return any(a.get("id") == 2 and a.get("acted") for a in post.get("actions_summary", []))

    async def create_post_action(self, request: Request) -> Response:
        body = await _body(request)
        found = self.posts.get(int(body.get("id") or 0))
        if found is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        post = found[1]
        # Guardian#post_can_act?: not on your own post, not twice.
        if int(body.get("post_action_type_id") or 0) != 2 or post.get("user_id") == self.me["id"]:
            return JSONResponse(INVALID_ACCESS, status_code=403)
        if self._acted(post):
            return JSONResponse(INVALID_ACCESS, status_code=403)
        self._like(post, True)
        return JSONResponse(copy.deepcopy(post))  # PostActionsController: render_post_json

    async def delete_post_action(self, request: Request) -> Response:
        found = self.posts.get(request.path_params["post_id"])
        if found is None or not self._acted(found[1]):
            return JSONResponse(NOT_FOUND, status_code=404)  # no such action of ours
        self._like(found[1], False)
        return JSONResponse(copy.deepcopy(found[1]))

    async def toggle_reaction(self, request: Request) -> Response:
        found = self.posts.get(request.path_params["post_id"])
        if found is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        topic = self.topics[found[0]]
        reaction = request.path_params["reaction"]
        if reaction not in topic.view.get("valid_reactions", []):
            return JSONResponse({"errors": ["Invalid reaction"]}, status_code=422)
        post = found[1]
        post.setdefault("reactions", [])
        mine = post.get("current_user_reaction") or {}
        if mine.get("id") == reaction:
            self._react(post, reaction, False)
        else:
            if mine.get("id"):
                self._react(post, mine["id"], False)
            self._react(post, reaction, True)
        # CustomReactionsController#toggle: render_json_dump(post_serializer(post).as_json).
        return JSONResponse(copy.deepcopy(post))

    async def accept_solution(self, request: Request) -> Response:
        found = self.posts.get(int((await _body(request)).get("id") or 0))
        if found is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        topic = self.topics[found[0]]
        for post in topic.posts:
            post["accepted_answer"] = post is found[1]
        # TopicViewSerializerExtension#accepted_answer_post_info.
        topic.view["accepted_answer"] = {
            "post_number": found[1]["post_number"],
            "username": found[1]["username"],
            "name": found[1].get("name"),
            "excerpt": None,
        }
        return JSONResponse(SUCCESS)  # AnswerController#accept: success_json

    async def unaccept_solution(self, request: Request) -> Response:
        found = self.posts.get(int((await _body(request)).get("id") or 0))
        if found is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        topic = self.topics[found[0]]
        found[1]["accepted_answer"] = False
        topic.view.pop("accepted_answer", None)
        return JSONResponse(SUCCESS)

    async def post_timings(self, request: Request) -> Response:
        form = await _body(request)
        topic = self.topics.get(int(str(form.get("topic_id") or 0)))
        if topic is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        numbers = [int(k[len("timings[") : -1]) for k in form if k.startswith("timings[")]
        if numbers:
            last = topic.view.get("last_read_post_number") or 0
            topic.view["last_read_post_number"] = max(last, *numbers)
        return Response(status_code=200)  # TopicsController#timings: `render body: nil`

    async def create_bookmark(self, request: Request) -> Response:
        body = await _body(request)
        post_id = int(body.get("bookmarkable_id") or body.get("post_id") or 0)
        found = self.posts.get(post_id)
        if found is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        self.next_bookmark_id += 1
        self.bookmark_ids[post_id] = self.next_bookmark_id
        found[1].update(bookmarked=True, bookmark_id=self.next_bookmark_id)
        # BookmarksController#create: success_json.merge(id: bookmark.id).
        return JSONResponse({**SUCCESS, "id": self.next_bookmark_id})

    async def delete_bookmark(self, request: Request) -> Response:
        bookmark_id = request.path_params["bookmark_id"]
        post_id = next((p for p, b in self.bookmark_ids.items() if b == bookmark_id), None)
        if post_id is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        del self.bookmark_ids[post_id]
        post = self.posts[post_id][1]
        post.update(bookmarked=False)
        post.pop("bookmark_id", None)
        return JSONResponse({**SUCCESS, "topic_bookmarked": False})

    # -- MessageBus ------------------------------------------------------------------------------

    def publish(self, channel: str, data: Any) -> None:
        self.global_id += 1
        backlog = self.channels.setdefault(channel, [])
        backlog.append((self.global_id, len(backlog) + 1, data))
        if self._news is not None:
            self._news.set()
            self._news = None

    def _publish_latest(self, topic: _Topic) -> None:
        # TopicTrackingState.publish_latest.
        view = topic.view
        self.publish(
            "/latest",
            {
                "topic_id": view["id"],
                "message_type": "latest",
                "payload": {
                    "bumped_at": view.get("last_posted_at"),
                    "category_id": view.get("category_id"),
                    "archetype": view.get("archetype", "regular"),
                },
            },
        )

    def _publish_new(self, topic: _Topic) -> None:
        # TopicTrackingState.publish_new.
        view = topic.view
        self.publish(
            "/new",
            {
                "topic_id": view["id"],
                "message_type": "new_topic",
                "payload": {
                    "last_read_post_number": None,
                    "highest_post_number": 1,
                    "created_at": view.get("created_at"),
                    "category_id": view.get("category_id"),
                    "archetype": view.get("archetype", "regular"),
                    "created_in_new_period": True,
                },
            },
        )

    def _backlog(self, asked: dict[str, int]) -> list[dict[str, Any]]:
        """MessageBus::Client#backlog: the messages after each position, then a /__status
        message for channels asked from -1 or from beyond their last message
        (message_bus_status_message__message_bus_readme.json is its shape)."""
        found: list[dict[str, Any]] = []
        status: dict[str, int] = {}
        for channel, last in asked.items():
            backlog = self.channels.get(channel, [])
            newest = backlog[-1][1] if backlog else 0
            if last < 0 or last > newest:
                status[channel] = newest
                continue
            for global_id, message_id, data in backlog:
                if message_id > last:
                    found.append(
                        {
                            "global_id": global_id,
                            "message_id": message_id,
                            "channel": channel,
                            "data": data,
                        }
                    )
        if status:
            found.append(
                {"global_id": -1, "message_id": -1, "channel": "/__status", "data": status}
            )
        return found

    async def poll(self, request: Request) -> Response:
        if not self.message_bus:
            return JSONResponse(NOT_FOUND, status_code=404)
        body = await _body(request)
        asked = {
            str(k): int(v) for k, v in body.items() if k != "__seq" and str(v).lstrip("-").isdigit()
        }
        found = self._backlog(asked)
        if not found and request.query_params.get("dlp") != "t":
            if self._news is None:
                self._news = asyncio.Event()
            try:
                await asyncio.wait_for(self._news.wait(), self.long_poll_seconds)
            except TimeoutError:
                pass
            found = self._backlog(asked)
        return JSONResponse(found)


async def _body(request: Request) -> dict[str, Any]:
    """A request's parameters: JSON, or a form (Discourse takes both)."""
    if "application/json" in request.headers.get("content-type", ""):
        data: Any = await request.json()
        return dict(data) if isinstance(data, dict) else {}
    # A form, parsed here: Starlette's own form parsing needs python-multipart.
    return dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))


# -- serving it --------------------------------------------------------------------------------


@dataclass
class RunningFake:
    fake: FakeDiscourse
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.thread.is_alive():  # a long poll still open: close without waiting for it
            self.server.force_exit = True
            self.thread.join(timeout=10)


def start_fake(fake: FakeDiscourse | None = None) -> RunningFake:
    """Serve a fake Discourse on 127.0.0.1 (a free port) from a background thread."""
    fake = fake or FakeDiscourse()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        fake.app,
        log_level="warning",
        lifespan="off",
        loop="asyncio",
        http="h11",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fake-discourse", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the fake Discourse did not start")
        time.sleep(0.01)
    return RunningFake(fake=fake, url=f"http://127.0.0.1:{port}", server=server, thread=thread)


@contextmanager
def serving(fake: FakeDiscourse | None = None) -> Iterator[RunningFake]:
    running = start_fake(fake)
    try:
        yield running
    finally:
        running.stop()
