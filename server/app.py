"""The HTTP API under /api/v1: Starlette routes over the store.

Handlers only translate: they read the request, ask the store, and shape the answer.
Who is asking comes from a bearer token or, on a Unix socket, from the kernel (peer uid).

Reads whose cost is bounded by what they answer (who is asking, a topic page, a post,
someone's notifications) run inline on the event loop with `store.read_inline`: a thread
hop would cost more than the read. Reads whose cost grows with the forum (categories with
their counts, topic lists, links, resources, search, bookmarks, the change feed) go to a
worker thread with `store.read`. Either way a request makes at most one thread hop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pwd
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio.to_thread
import orjson
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from starlette.applications import Starlette
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse as StarletteJSONResponse
from starlette.responses import Response
from starlette.routing import Route

from server import openapi
from server.peercred import PEER_UID
from server.ratelimit import RateLimited, RateLimiter
from server.requests import (
    field,
    parse_object,
    path_int,
    query_ids,
    query_int,
    read_body,
    str_list,
)
from server.settings import Settings
from server.store import Store, accounts, ops, queries, search
from server.store.errors import Invalid, StaleVersion, StoreError, Unauthorized
from server.store.viewer import ANONYMOUS, Viewer

log = logging.getLogger("cohort.server")

API = "/api/v1"
# What this server can do, for clients that shape their screens by it (/site).
FEATURES = [
    "bookmarks",
    "changes",
    "events",
    "groups",
    "idempotency",
    "links",
    "messages",
    "people",
    "reactions",
    "resources",
    "solved",
]


class _IdConvertor(IntegerConvertor):
    """Ids in paths: at most 18 digits, so a huge number is a 404, never an int that
    overflows SQLite's 64-bit integers (or Python's digit limit) and becomes a 500."""

    regex = "[0-9]{1,18}"


register_url_convertor("id", _IdConvertor())

MAX_IDEMPOTENCY_KEY = 200
_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
_DUMMY_HASH = _hasher.hash("timing equaliser, never a real password")


class JSONResponse(StarletteJSONResponse):
    """Starlette's JSONResponse encoded by orjson: the same bytes, ten times faster (a
    page of posts is 10-70 kB). What orjson refuses (an integer beyond 64 bits, say)
    goes through the standard encoder, as before."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except orjson.JSONEncodeError:
            return super().render(content)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, **extra}}, status, headers=headers
    )


class PreconditionRequired(StoreError):
    status = 428
    code = "precondition_required"


class Api:
    """The routes, bound to one store and one set of settings."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.reads = RateLimiter(settings.read_rate, "requests")
        self.writes = RateLimiter(settings.write_rate, "writes")
        self.logins = RateLimiter(settings.login_rate, "login attempts")

    # -- who is asking ----------------------------------------------------------------------

    async def viewer(self, request: Request) -> Viewer:
        auth = request.headers.get("authorization")
        if auth:
            scheme, _, token = auth.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise Unauthorized("Authorization must be 'Bearer <token>'", code="invalid_token")
            row = await self.store.read_inline(accounts.user_for_token, token)
            if row is None:
                raise Unauthorized("token is unknown or revoked", code="invalid_token")
            return accounts.viewer_for(row)
        uid = request.scope.get(PEER_UID)
        if uid is not None:
            row = await self.store.read_inline(accounts.user_by_uid, uid)
            if row is None:
                row = await self.store.write(accounts.user_for_uid, uid, _login_name(uid))
            return accounts.viewer_for(row)
        return ANONYMOUS

    def _limit(self, request: Request, viewer: Viewer) -> None:
        key = f"user:{viewer.user_id}" if viewer.user_id else f"addr:{_client(request)}"
        self.reads.hit(key)
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            self.writes.hit(key)

    async def reader(self, request: Request) -> Viewer:
        viewer = await self.viewer(request)
        if viewer.anonymous and not self.settings.anonymous_read:
            raise Unauthorized("log in to read this forum")
        self._limit(request, viewer)
        return viewer

    async def writer(self, request: Request) -> tuple[Viewer, dict[str, Any]]:
        viewer = await self.viewer(request)
        if viewer.anonymous:
            raise Unauthorized("log in to do this")
        self._limit(request, viewer)
        body = await read_body(request, self.settings.max_body_bytes)
        return viewer, parse_object(body) if body else {}

    # -- public -----------------------------------------------------------------------------

    async def site(self, request: Request) -> Response:
        return JSONResponse(
            {
                "software": "cohort",
                "api": 1,
                "name": self.settings.site_name,
                "reactions": self.settings.reactions,
                "anonymous_read": self.settings.anonymous_read,
                "features": FEATURES,
            }
        )

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi.document(self.settings))

    async def login(self, request: Request) -> Response:
        body = parse_object(await read_body(request, self.settings.max_body_bytes))
        username = field(body, "username", str)
        password = field(body, "password", str)
        assert username is not None and password is not None
        self.logins.hit(f"{_client(request)}:{username.lower()}")
        row = await self.store.read_inline(accounts.find_user, username)
        stored = row["password_hash"] if row is not None else None
        ok = await anyio.to_thread.run_sync(_verify, stored or _DUMMY_HASH, password)
        if row is None or stored is None or not ok:
            raise Unauthorized("wrong username or password", code="invalid_credentials")
        token = "cht_" + secrets.token_urlsafe(32)
        await self.store.write(accounts.store_token, row["id"], token, "login")
        return JSONResponse(
            {
                "token": token,
                "user": await self.store.read_inline(queries.me, accounts.viewer_for(row)),
            }
        )

    async def logout(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("log out needs the bearer token to revoke", code="invalid_token")
        await self.viewer(request)
        await self.store.write(accounts.revoke_token_value, token.strip())
        return Response(status_code=204)

    # -- reading ----------------------------------------------------------------------------

    async def me(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        self._limit(request, viewer)
        return JSONResponse(await self.store.read_inline(queries.me, viewer))

    async def categories(self, request: Request) -> Response:
        viewer = await self.reader(request)
        return JSONResponse(await self.store.read(queries.categories, viewer))

    async def topics(self, request: Request) -> Response:
        viewer = await self.reader(request)
        params = request.query_params
        return JSONResponse(
            await self.store.read(
                queries.topic_list,
                viewer,
                filter=params.get("filter") or "latest",
                category=params.get("category") or None,
                tag=params.get("tag") or None,
                cursor=params.get("cursor") or None,
                limit=query_int(request, "limit"),
            )
        )

    async def topic(self, request: Request) -> Response:
        viewer = await self.reader(request)
        return JSONResponse(
            await self.store.read_inline(queries.topic_view, viewer, path_int(request, "topic_id"))
        )

    async def topic_posts(self, request: Request) -> Response:
        viewer = await self.reader(request)
        return JSONResponse(
            await self.store.read_inline(
                queries.topic_posts,
                viewer,
                path_int(request, "topic_id"),
                ids=query_ids(request, "ids"),
                after=query_int(request, "after"),
                limit=query_int(request, "limit"),
            )
        )

    async def post(self, request: Request) -> Response:
        viewer = await self.reader(request)
        post = await self.store.read_inline(queries.post, viewer, path_int(request, "post_id"))
        return JSONResponse(post, headers={"ETag": f'"{post["version"]}"'})

    async def reactors(self, request: Request) -> Response:
        viewer = await self.reader(request)
        return JSONResponse(
            await self.store.read_inline(queries.reactors, viewer, path_int(request, "post_id"))
        )

    async def topic_links(self, request: Request) -> Response:
        viewer = await self.reader(request)
        return JSONResponse(
            await self.store.read(queries.topic_links, viewer, path_int(request, "topic_id"))
        )

    async def resources(self, request: Request) -> Response:
        viewer = await self.reader(request)
        params = request.query_params
        return JSONResponse(
            await self.store.read(
                queries.resources,
                viewer,
                category=params.get("category") or None,
                tag=params.get("tag") or None,
                q=params.get("q") or None,
                sort=params.get("sort") or "recent",
                cursor=params.get("cursor") or None,
                limit=query_int(request, "limit"),
            )
        )

    async def search(self, request: Request) -> Response:
        viewer = await self.reader(request)
        q = request.query_params.get("q")
        if q is None or not q.strip():
            raise Invalid("missing query parameter: q", code="missing_field")
        return JSONResponse(
            await self.store.read(
                search.search,
                viewer,
                q,
                limit=query_int(request, "limit"),
                offset=query_int(request, "offset", 0) or 0,
            )
        )

    async def bookmarks(self, request: Request) -> Response:
        viewer = await self.reader(request)
        return JSONResponse(await self.store.read(queries.bookmarks, viewer))

    async def notifications(self, request: Request) -> Response:
        viewer = await self.reader(request)
        return JSONResponse(
            await self.store.read_inline(
                queries.notifications,
                viewer,
                cursor=request.query_params.get("cursor") or None,
                limit=query_int(request, "limit"),
                unread_only=request.query_params.get("unread") in ("1", "true"),
            )
        )

    async def changes(self, request: Request) -> Response:
        """Long poll: answer at once when there is news, else wait for a commit (or time out).

        Out-of-process writers (admin commands) do not wake us, so the wait re-checks
        every couple of seconds.
        """
        viewer = await self.reader(request)
        since = query_int(request, "since")
        wait_raw = request.query_params.get("wait") or "0"
        try:
            wait = float(wait_raw)
        except ValueError as exc:
            raise Invalid(
                "query parameter wait must be a number of seconds", code="invalid_field"
            ) from exc
        if not 0 <= wait <= self.settings.max_wait:
            raise Invalid(
                f"wait must be between 0 and {self.settings.max_wait:g} seconds",
                code="invalid_field",
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            event = self.store.commit_event()
            result = await self.store.read(queries.changes, viewer, since)
            remaining = deadline - loop.time()
            if result["changes"] or since is None or remaining <= 0:
                return JSONResponse(result)
            await self.store.wait_for(event, min(remaining, 2.0))

    # -- writing ----------------------------------------------------------------------------

    async def _idempotent(
        self,
        request: Request,
        viewer: Viewer,
        body_bytes: bytes,
        op: Callable[..., Any],
        *args: Any,
        **kwargs: Any,
    ) -> Response:
        key = request.headers.get("idempotency-key")
        if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
            raise Invalid(
                f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} characters",
                code="invalid_header",
            )
        fingerprint = accounts.request_fingerprint(request.method, request.url.path, body_bytes)
        user_id = viewer.user_id
        assert user_id is not None

        def job(conn: Any) -> tuple[int, Any, bool]:
            if key is not None:
                earlier = accounts.idempotent_lookup(conn, user_id, key, fingerprint)
                if earlier is not None:
                    return earlier[0], earlier[1], True
            result = op(conn, viewer, *args, **kwargs)
            if key is not None:
                accounts.idempotent_store(conn, user_id, key, fingerprint, 201, result)
            return 201, result, False

        status, result, replayed = await self.store.write(job)
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return JSONResponse(result, status, headers=headers)

    async def _body(self, request: Request) -> tuple[Viewer, bytes, dict[str, Any]]:
        viewer = await self.viewer(request)
        if viewer.anonymous:
            raise Unauthorized("log in to do this")
        self._limit(request, viewer)
        raw = await read_body(request, self.settings.max_body_bytes)
        return viewer, raw, parse_object(raw)

    async def create_topic(self, request: Request) -> Response:
        viewer, raw_body, body = await self._body(request)
        title = field(body, "title", str)
        raw = field(body, "raw", str)
        category = body.get("category")
        if category is None:
            raise Invalid("missing field: category", code="missing_field")
        if isinstance(category, bool) or not isinstance(category, int | str):
            raise Invalid("field category must be a category id or slug", code="invalid_field")
        tags = str_list(body, "tags") or []
        return await self._idempotent(
            request,
            viewer,
            raw_body,
            ops.create_topic,
            title=title,
            raw=raw,
            category=category,
            tags=tags,
        )

    async def create_post(self, request: Request) -> Response:
        viewer, raw_body, body = await self._body(request)
        raw = field(body, "raw", str)
        reply_to = field(body, "reply_to_post_number", int, required=False)
        return await self._idempotent(
            request,
            viewer,
            raw_body,
            ops.create_post,
            path_int(request, "topic_id"),
            raw=raw,
            reply_to_post_number=reply_to,
        )

    async def edit_post(self, request: Request) -> Response:
        viewer, body = await self.writer(request)
        version = _if_match(request)
        raw = field(body, "raw", str)
        post = await self.store.write(
            ops.edit_post, viewer, path_int(request, "post_id"), raw=raw, expected_version=version
        )
        return JSONResponse(post, headers={"ETag": f'"{post["version"]}"'})

    async def delete_post(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        if viewer.anonymous:
            raise Unauthorized("log in to do this")
        self._limit(request, viewer)
        return JSONResponse(
            await self.store.write(ops.delete_post, viewer, path_int(request, "post_id"))
        )

    async def update_topic(self, request: Request) -> Response:
        viewer, body = await self.writer(request)
        changes: dict[str, Any] = {}
        if "title" in body:
            changes["title"] = field(body, "title", str)
        if "tags" in body:
            changes["tags"] = str_list(body, "tags") or []
        for flag in ("closed", "pinned"):
            if flag in body:
                changes[flag] = field(body, flag, bool)
        if "category" in body:
            category = body["category"]
            if isinstance(category, bool) or not isinstance(category, int | str):
                raise Invalid("field category must be a category id or slug", code="invalid_field")
            changes["category"] = category
        if not changes:
            raise Invalid(
                "nothing to change: send title, tags, category, closed or pinned",
                code="missing_field",
            )
        return JSONResponse(
            await self.store.write(ops.update_topic, viewer, path_int(request, "topic_id"), changes)
        )

    async def reaction(self, request: Request) -> Response:
        viewer, _ = await self.writer(request)
        return JSONResponse(
            await self.store.write(
                ops.set_reaction,
                viewer,
                path_int(request, "post_id"),
                request.path_params["name"],
                request.method == "PUT",
                self.settings.reactions,
            )
        )

    async def solution(self, request: Request) -> Response:
        viewer, body = await self.writer(request)
        topic_id = path_int(request, "topic_id")
        post_id: int | None = None
        if request.method == "PUT":
            post_id = field(body, "post_id", int, required=False)
            number = field(body, "post_number", int, required=False)
            if post_id is None and number is None:
                raise Invalid("missing field: post_id (or post_number)", code="missing_field")
            if post_id is None:
                post_id = await self.store.read_inline(queries.post_id_for_number, topic_id, number)
        return JSONResponse(await self.store.write(ops.set_solution, viewer, topic_id, post_id))

    async def read(self, request: Request) -> Response:
        viewer, body = await self.writer(request)
        number = field(body, "post_number", int)
        assert number is not None
        return JSONResponse(
            await self.store.write(ops.set_read, viewer, path_int(request, "topic_id"), number)
        )

    async def bookmark(self, request: Request) -> Response:
        viewer, _ = await self.writer(request)
        return JSONResponse(
            await self.store.write(
                ops.set_bookmark, viewer, path_int(request, "post_id"), request.method == "PUT"
            )
        )

    async def notifications_read(self, request: Request) -> Response:
        viewer, body = await self.writer(request)
        ids: list[int] | None
        if body.get("all") is True:
            ids = None
        else:
            value = body.get("ids")
            if value is None:
                raise Invalid("missing field: ids (or all: true)", code="missing_field")
            if not isinstance(value, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in value
            ):
                raise Invalid("field ids must be a list of integers", code="invalid_field")
            ids = value
        return JSONResponse(await self.store.write(ops.mark_notifications_read, viewer, ids))

    def routes(self) -> list[Route]:
        r = Route
        return [
            r(f"{API}/site", self.site, methods=["GET"]),
            r(f"{API}/openapi.json", self.openapi, methods=["GET"]),
            r(f"{API}/login", self.login, methods=["POST"]),
            r(f"{API}/logout", self.logout, methods=["POST"]),
            r(f"{API}/me", self.me, methods=["GET"]),
            r(f"{API}/categories", self.categories, methods=["GET"]),
            r(f"{API}/topics", self.topics, methods=["GET"]),
            r(f"{API}/topics", self.create_topic, methods=["POST"]),
            r(f"{API}/topics/{{topic_id:id}}", self.topic, methods=["GET"]),
            r(f"{API}/topics/{{topic_id:id}}", self.update_topic, methods=["PATCH"]),
            r(f"{API}/topics/{{topic_id:id}}/posts", self.topic_posts, methods=["GET"]),
            r(f"{API}/topics/{{topic_id:id}}/posts", self.create_post, methods=["POST"]),
            r(f"{API}/topics/{{topic_id:id}}/solution", self.solution, methods=["PUT", "DELETE"]),
            r(f"{API}/topics/{{topic_id:id}}/read", self.read, methods=["PUT"]),
            r(f"{API}/topics/{{topic_id:id}}/links", self.topic_links, methods=["GET"]),
            r(f"{API}/posts/{{post_id:id}}", self.post, methods=["GET"]),
            r(f"{API}/posts/{{post_id:id}}", self.edit_post, methods=["PATCH"]),
            r(f"{API}/posts/{{post_id:id}}", self.delete_post, methods=["DELETE"]),
            r(f"{API}/posts/{{post_id:id}}/reactions", self.reactors, methods=["GET"]),
            r(
                f"{API}/posts/{{post_id:id}}/reactions/{{name}}",
                self.reaction,
                methods=["PUT", "DELETE"],
            ),
            r(f"{API}/posts/{{post_id:id}}/bookmark", self.bookmark, methods=["PUT", "DELETE"]),
            r(f"{API}/bookmarks", self.bookmarks, methods=["GET"]),
            r(f"{API}/search", self.search, methods=["GET"]),
            r(f"{API}/notifications", self.notifications, methods=["GET"]),
            r(f"{API}/notifications/read", self.notifications_read, methods=["POST"]),
            r(f"{API}/resources", self.resources, methods=["GET"]),
            r(f"{API}/changes", self.changes, methods=["GET"]),
            *self._community_routes(),
        ]

    def _community_routes(self) -> list[Route]:
        # Imported here: server.community_api imports this module.
        from server.community_api import CommunityApi

        return CommunityApi(self).routes()


# -- helpers the handlers share ---------------------------------------------------------------


def _client(request: Request) -> str:
    if request.scope.get(PEER_UID) is not None:
        return f"uid{request.scope[PEER_UID]}"
    return request.client.host if request.client else "unknown"


def _login_name(uid: int) -> str | None:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _if_match(request: Request) -> int:
    value = request.headers.get("if-match")
    if value is None:
        raise PreconditionRequired("send If-Match with the version of the post you edited")
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    try:
        return int(value)
    except ValueError as exc:
        raise Invalid("If-Match must be the post's version number", code="invalid_header") from exc


# -- the application --------------------------------------------------------------------------


async def _store_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoreError)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
        extra["retry_after"] = exc.retry_after
    if isinstance(exc, StaleVersion):
        extra["current_version"] = exc.current_version
        headers["ETag"] = f'"{exc.current_version}"'
    return error_response(exc.status, exc.code, exc.message, headers or None, **extra)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "server_error", "the server failed; the error is in its log")


def create_app(store: Store, settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    api = Api(store, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store.start()
        try:
            yield
        finally:
            await store.stop()

    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        StoreError: _store_error,
        HTTPException: _http_error,
        Exception: _server_error,
    }
    app = Starlette(routes=api.routes(), exception_handlers=handlers, lifespan=lifespan)
    app.state.api = api
    return app
