"""`NativeBackend`: the `ForumBackend` for Cohort's own server, over its JSON API.

One class serves every way of reaching that server: the embedded forum (in-process
ASGI), a Unix socket (the kernel says who we are) and an HTTP(S) URL with a bearer
token. They differ only in the `httpx.AsyncClient` they are built on. Whatever goes
wrong comes out as one of the typed errors in `tui.forum.backend`, and every string the
server sends is read through `tui.forum.jsonread`, so it is sanitised before any model
holds it.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from tui.forum.backend import (
    ForumError,
    ServerError,
)
from tui.forum.http_errors import finite_seconds, offline_for, parsed, short, typed_error
from tui.forum.jsonread import (
    BadData,
    as_bool,
    as_dicts,
    as_int,
    as_line,
    as_lines,
    as_opt_int,
    as_opt_line,
    as_opt_text,
    as_opt_time,
    as_time,
    clean_json,
)
from tui.forum.models import (
    Bookmark,
    Category,
    Change,
    ChangeBatch,
    Link,
    Notification,
    NotificationKind,
    NotificationList,
    Post,
    Reaction,
    Reactor,
    Reactors,
    Resource,
    ResourceList,
    ResourceShare,
    SearchPage,
    SearchResult,
    SiteInfo,
    Topic,
    TopicList,
    TopicPage,
    User,
)
from tui.forum.sanitize import clean, clean_line

T = TypeVar("T")

API = "/api/v1"
SOCKET_BASE_URL = "http://cohort.socket"
FEATURES = frozenset(
    {"reactions", "solved", "bookmarks", "resources", "changes", "idempotency", "links"}
)
MAX_IDS = 100  # the server's largest page of posts by id
MAX_WAIT = 60.0  # the server's default longest long-poll on /changes
READ_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0
TIMEOUT = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
USER_AGENT = "cohort-tui"


# -- mapping the server's JSON into models ------------------------------------------------------


def _text(data: dict[str, Any], key: str) -> str:
    """A required multi-line string (a post's raw Markdown)."""
    value = as_opt_text(data, key)
    if value is None:
        raise BadData(f"{key!r} should be a string, got {data.get(key)!r:.40}")
    return value


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadData(f"{what} should be an object, got {data!r:.40}")
    return data


def _user(d: dict[str, Any]) -> User:
    return User(
        id=as_int(d, "id"),
        username=as_line(d, "username"),
        name=as_line(d, "name", ""),
        is_moderator=as_bool(d, "is_moderator"),
        bio=as_opt_text(d, "bio") or "",
        groups=as_lines(d, "groups"),
    )


def _site(d: dict[str, Any]) -> SiteInfo:
    if d.get("software") != "cohort":
        raise BadData(f"this is not a Cohort forum (software {d.get('software')!r:.40})")
    reactions = as_lines(d, "reactions")
    return SiteInfo(
        software="cohort",
        name=as_line(d, "name", "") or "Cohort",
        reactions=reactions or ("like",),
        features=FEATURES,
        anonymous_read=as_bool(d, "anonymous_read"),
    )


def _category(d: dict[str, Any]) -> Category:
    return Category.from_api(d)


def _topic(d: dict[str, Any]) -> Topic:
    return Topic.from_api(d)


def _reaction(d: dict[str, Any]) -> Reaction:
    return Reaction(
        name=as_line(d, "name"), count=as_int(d, "count", 0), reacted=as_bool(d, "reacted")
    )


def _reactors(d: dict[str, Any]) -> Reactors:
    return Reactors(
        name=as_line(d, "name"),
        users=tuple(
            Reactor(
                username=as_line(u, "username"),
                name=as_line(u, "name", ""),
                created_at=as_opt_time(u, "created_at"),
            )
            for u in as_dicts(d, "users")
        ),
    )


def _post(d: dict[str, Any]) -> Post:
    return Post(
        id=as_int(d, "id"),
        topic_id=as_int(d, "topic_id"),
        post_number=as_int(d, "post_number"),
        username=as_line(d, "username"),
        created_at=as_time(d, "created_at"),
        raw=_text(d, "raw"),
        reply_to_post_number=as_opt_int(d, "reply_to_post_number"),
        name=as_line(d, "name", ""),
        updated_at=as_opt_time(d, "updated_at"),
        version=as_int(d, "version", 1),
        deleted=as_bool(d, "deleted"),
        like_count=as_int(d, "like_count", 0),
        reply_count=as_int(d, "reply_count", 0),
        reactions=tuple(_reaction(r) for r in as_dicts(d, "reactions", required=False)),
        accepted=as_bool(d, "accepted"),
        bookmarked=as_bool(d, "bookmarked"),
        can_edit=as_bool(d, "can_edit"),
    )


def _posts(d: dict[str, Any]) -> list[Post]:
    return [_post(p) for p in as_dicts(d, "posts")]


def _topic_page(d: dict[str, Any]) -> TopicPage:
    ids = d.get("post_ids")
    post_ids: tuple[int, ...] | None = None
    if ids is not None:
        post_ids = tuple(as_int({"id": i}, "id") for i in _list(ids, "post_ids"))
    return TopicPage(
        topic=_topic(_object(d.get("topic"), "'topic'")), post_ids=post_ids, posts=tuple(_posts(d))
    )


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadData(f"{what!r} should be a list, got {value!r:.40}")
    return value


def _link(d: dict[str, Any]) -> Link:
    return Link(
        url=as_line(d, "url"),
        username=as_line(d, "username", ""),
        post_id=as_int(d, "post_id"),
        post_number=as_int(d, "post_number"),
        topic_id=as_int(d, "topic_id"),
        title=as_opt_line(d, "title"),
        created_at=as_opt_time(d, "created_at"),
        share_count=as_int(d, "share_count", 1),
    )


def _share(d: dict[str, Any]) -> ResourceShare:
    return ResourceShare(
        username=as_line(d, "username", ""),
        topic_id=as_int(d, "topic_id"),
        topic_title=as_line(d, "topic_title", ""),
        post_id=as_int(d, "post_id"),
        post_number=as_int(d, "post_number"),
        created_at=as_opt_time(d, "created_at"),
    )


def _resource(d: dict[str, Any]) -> Resource:
    return Resource(
        url=as_line(d, "url"),
        title=as_opt_line(d, "title"),
        share_count=as_int(d, "share_count", 1),
        topic_count=as_int(d, "topic_count", 1),
        like_count=as_int(d, "like_count", 0),
        first_shared_by=as_opt_line(d, "first_shared_by"),
        first_shared_at=as_opt_time(d, "first_shared_at"),
        last_shared_at=as_opt_time(d, "last_shared_at"),
        shares=tuple(_share(s) for s in as_dicts(d, "shares", required=False)),
    )


def _notification(d: dict[str, Any]) -> Notification:
    raw_kind = as_line(d, "kind", "")
    try:
        kind = NotificationKind(raw_kind)
    except ValueError:
        kind = NotificationKind.OTHER
    data = d.get("data")
    detail = (as_opt_line(data, "reaction") or "") if isinstance(data, dict) else ""
    return Notification(
        id=as_int(d, "id"),
        kind=kind,
        created_at=as_time(d, "created_at"),
        read=as_bool(d, "read"),
        actor=as_line(d, "actor", ""),
        topic_id=as_opt_int(d, "topic_id"),
        topic_title=as_line(d, "topic_title", ""),
        post_id=as_opt_int(d, "post_id"),
        post_number=as_opt_int(d, "post_number"),
        detail=detail,
    )


def _search_result(d: dict[str, Any]) -> SearchResult:
    return SearchResult(
        topic_id=as_int(d, "topic_id"),
        post_number=as_int(d, "post_number"),
        topic_title=as_line(d, "topic_title", ""),
        username=as_line(d, "username", ""),
        blurb=as_line(d, "blurb", ""),
        post_id=as_opt_int(d, "post_id"),
        category_id=as_opt_int(d, "category_id"),
        created_at=as_opt_time(d, "created_at"),
        solved=as_bool(d, "solved"),
        accepted=as_bool(d, "accepted"),
    )


def _bookmark(d: dict[str, Any]) -> Bookmark:
    return Bookmark(post=_post(d), topic_title=as_line(d, "topic_title", ""))


def _change(d: dict[str, Any]) -> Change:
    data = d.get("data")
    return Change(
        kind=as_line(d, "kind"),
        topic_id=as_opt_int(d, "topic_id"),
        post_id=as_opt_int(d, "post_id"),
        category_id=as_opt_int(d, "category_id"),
        seq=as_opt_int(d, "seq"),
        data=clean_json(data) if isinstance(data, dict) else {},
    )


def _cursor(d: dict[str, Any], key: str) -> str | None:
    value = as_opt_line(d, key)
    return value or None


# -- turning HTTP outcomes into the backend's errors --------------------------------------------


def _error_body(response: httpx.Response) -> tuple[str, str, dict[str, Any]]:
    """(message, code, the whole error object) from an error response, JSON or not."""
    try:
        data = response.json()
    except (ValueError, RecursionError):
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        message = error.get("message")
        code = error.get("code")
        return (
            short(message) if isinstance(message, str) else "",
            short(code) if isinstance(code, str) else "",
            error,
        )
    first_line = response.text.strip().splitlines()[0] if response.text.strip() else ""
    return short(first_line), "", {}


def error_for(response: httpx.Response) -> ForumError:
    """The typed error for a failed response (status >= 400)."""
    message, code, error = _error_body(response)
    current = error.get("current_version")
    return typed_error(
        response,
        message,
        code,
        retry_after=finite_seconds(error.get("retry_after")),
        current_version=current
        if isinstance(current, int) and not isinstance(current, bool)
        else None,
    )


# -- the backend -------------------------------------------------------------------------------


class NativeBackend:
    """Cohort's server as a `ForumBackend`."""

    kind = "cohort"

    def __init__(self, http: httpx.AsyncClient, *, base_url: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._api = self.base_url + API
        self._owns_http = False
        self._me: User | None = None

    # -- ways in ---------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def embedded(cls, path: Path | None = None) -> AsyncIterator[NativeBackend]:
        """The in-process forum on the local database (seeded on first use)."""
        from tui.forum.embedded import BASE_URL, EmbeddedForum

        async with EmbeddedForum(path) as http:
            yield cls(http, base_url=BASE_URL)

    @classmethod
    def for_socket(cls, path: Path | str) -> NativeBackend:
        """A server on a Unix socket: no token, the kernel tells it who we are."""
        transport = httpx.AsyncHTTPTransport(uds=str(path))
        http = httpx.AsyncClient(
            transport=transport,
            base_url=SOCKET_BASE_URL,
            timeout=TIMEOUT,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )
        backend = cls(http, base_url=SOCKET_BASE_URL)
        backend._owns_http = True
        return backend

    @classmethod
    def for_url(cls, url: str, token: str | None = None) -> NativeBackend:
        """A server at an http(s) URL, logged in with a bearer token (or anonymous)."""
        base = _base_url(url)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        http = httpx.AsyncClient(base_url=base, timeout=TIMEOUT, headers=headers)
        backend = cls(http, base_url=base)
        backend._owns_http = True
        return backend

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    # -- plumbing ----------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """One request; a failed one raises its typed error."""
        response = await self._send(
            method, path, params=params, body=body, headers=headers, timeout=timeout
        )
        if response.status_code >= 400:
            raise error_for(response)
        return response

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """One request, answered with any status; no answer at all raises Offline."""
        all_headers = dict(headers or {})
        content: bytes | None = None
        if body is not None:
            # Byte-for-byte stable, so a retried create matches its idempotency fingerprint.
            content = json.dumps(
                body, ensure_ascii=False, separators=(",", ":"), sort_keys=True
            ).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = httpx.Timeout(timeout, connect=CONNECT_TIMEOUT)
        try:
            return await self.http.request(
                method,
                self._api + path,
                params=params,
                content=content,
                headers=all_headers,
                **extra,
            )
        except httpx.HTTPError as exc:
            raise offline_for(exc, write=method != "GET") from exc

    async def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await self._call(method, path, **kwargs)
        return parsed(lambda: _object(_decode(response), f"the answer to {path}"))

    async def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        return await self._json("GET", path, params=params)

    # -- reading -----------------------------------------------------------------------------

    async def site(self) -> SiteInfo:
        data = await self._get("/site")
        return parsed(lambda: _site(data))

    async def me(self) -> User | None:
        response = await self._send("GET", "/me")
        if response.status_code == 401:
            error = error_for(response)
            if error.code in ("unauthorized", ""):
                return None  # reading anonymously
            raise error
        if response.status_code >= 400:
            raise error_for(response)
        user = parsed(lambda: _user(_object(_decode(response), "the answer to /me")))
        self._me = user
        return user

    async def categories(self) -> list[Category]:
        data = await self._get("/categories")
        return parsed(lambda: [_category(c) for c in as_dicts(data, "categories")])

    async def topics(
        self,
        filter: str = "latest",
        *,
        category: Category | None = None,
        tag: str | None = None,
        cursor: str | None = None,
    ) -> TopicList:
        params = {"filter": filter}
        if category is not None:
            params["category"] = str(category.id)
        if tag:
            params["tag"] = tag
        if cursor:
            params["cursor"] = cursor
        data = await self._get("/topics", params)
        return parsed(
            lambda: TopicList(
                topics=tuple(_topic(t) for t in as_dicts(data, "topics")),
                next_cursor=_cursor(data, "next_cursor"),
            )
        )

    async def topic(self, topic_id: int) -> TopicPage:
        data = await self._get(f"/topics/{topic_id}")
        return parsed(lambda: _topic_page(data))

    async def posts(self, topic_id: int, post_ids: list[int]) -> list[Post]:
        wanted = list(dict.fromkeys(post_ids))
        found: dict[int, Post] = {}
        for start in range(0, len(wanted), MAX_IDS):
            batch = wanted[start : start + MAX_IDS]
            data = await self._get(
                f"/topics/{topic_id}/posts", {"ids": ",".join(str(i) for i in batch)}
            )
            for post in parsed(functools.partial(_posts, data)):
                found[post.id] = post
        return sorted(found.values(), key=lambda p: p.post_number)

    async def posts_after(self, topic_id: int, post_number: int, limit: int = 20) -> list[Post]:
        data = await self._get(
            f"/topics/{topic_id}/posts",
            {"after": str(post_number), "limit": str(max(1, min(limit, MAX_IDS)))},
        )
        return sorted(parsed(lambda: _posts(data)), key=lambda p: p.post_number)

    async def post(self, post_id: int) -> Post:
        data = await self._get(f"/posts/{post_id}")
        return parsed(lambda: _post(data))

    async def reactors(self, post_id: int) -> list[Reactors]:
        data = await self._get(f"/posts/{post_id}/reactions")
        return parsed(lambda: [_reactors(r) for r in as_dicts(data, "reactions")])

    async def search(self, query: str, *, offset: int = 0) -> SearchPage:
        params = {"q": query}
        if offset:
            params["offset"] = str(offset)
        data = await self._get("/search", params)
        return parsed(
            lambda: SearchPage(
                results=tuple(_search_result(r) for r in as_dicts(data, "results")),
                next_offset=as_opt_int(data, "next_offset"),
            )
        )

    async def notifications(self) -> NotificationList:
        data = await self._get("/notifications")
        return parsed(
            lambda: NotificationList(
                notifications=tuple(_notification(n) for n in as_dicts(data, "notifications")),
                unread_count=as_int(data, "unread_count", 0),
                next_cursor=_cursor(data, "next_cursor"),
            )
        )

    async def mark_notifications_read(self, ids: list[int] | None = None) -> None:
        if ids is not None and not ids:
            return
        body: dict[str, Any] = {"all": True} if ids is None else {"ids": list(ids)}
        await self._call("POST", "/notifications/read", body=body)

    async def topic_links(self, topic_id: int) -> list[Link]:
        data = await self._get(f"/topics/{topic_id}/links")
        return parsed(lambda: [_link(d) for d in as_dicts(data, "links")])

    async def resources(
        self,
        *,
        category: Category | None = None,
        tag: str | None = None,
        query: str | None = None,
        sort: str = "recent",
        cursor: str | None = None,
    ) -> ResourceList:
        params = {"sort": sort}
        if category is not None:
            params["category"] = str(category.id)
        if tag:
            params["tag"] = tag
        if query:
            params["q"] = query
        if cursor:
            params["cursor"] = cursor
        data = await self._get("/resources", params)
        return parsed(
            lambda: ResourceList(
                resources=tuple(_resource(r) for r in as_dicts(data, "resources")),
                next_cursor=_cursor(data, "next_cursor"),
            )
        )

    async def bookmarks(self) -> list[Bookmark]:
        data = await self._get("/bookmarks")
        return parsed(lambda: [_bookmark(b) for b in as_dicts(data, "bookmarks")])

    # -- writing -----------------------------------------------------------------------------

    async def create_topic(
        self, *, title: str, raw: str, category: Category, tags: list[str], key: str
    ) -> TopicPage:
        body = {"title": title, "raw": raw, "category": category.id, "tags": list(tags)}
        data = await self._json("POST", "/topics", body=body, headers={"Idempotency-Key": key})
        return parsed(lambda: _topic_page(data))

    async def reply(
        self, topic_id: int, raw: str, *, reply_to_post_number: int | None, key: str
    ) -> Post:
        body: dict[str, Any] = {"raw": raw}
        if reply_to_post_number is not None:
            body["reply_to_post_number"] = reply_to_post_number
        data = await self._json(
            "POST", f"/topics/{topic_id}/posts", body=body, headers={"Idempotency-Key": key}
        )
        return parsed(lambda: _post(data))

    async def edit_post(self, post: Post, raw: str) -> Post:
        data = await self._json(
            "PATCH",
            f"/posts/{post.id}",
            body={"raw": raw},
            headers={"If-Match": f'"{post.version}"'},
        )
        return parsed(lambda: _post(data))

    async def delete_post(self, post_id: int) -> None:
        await self._call("DELETE", f"/posts/{post_id}")

    async def react(self, post_id: int, name: str, on: bool) -> Post:
        path = f"/posts/{post_id}/reactions/{quote(name, safe='')}"
        data = await self._json("PUT" if on else "DELETE", path)
        return parsed(lambda: _post(data))

    async def set_solution(self, topic_id: int, post_id: int | None) -> None:
        if post_id is None:
            await self._call("DELETE", f"/topics/{topic_id}/solution")
        else:
            await self._call("PUT", f"/topics/{topic_id}/solution", body={"post_id": post_id})

    async def set_read(self, topic_id: int, post_number: int) -> None:
        await self._call("PUT", f"/topics/{topic_id}/read", body={"post_number": post_number})

    async def bookmark(self, post_id: int, on: bool) -> None:
        await self._call("PUT" if on else "DELETE", f"/posts/{post_id}/bookmark")

    async def find_own_post(
        self, topic_id: int, raw: str, *, since_post_number: int
    ) -> Post | None:
        me = self._me or await self.me()
        if me is None:
            return None
        wanted = clean(raw)  # the model holds the sanitised text
        after = since_post_number
        while True:
            batch = await self.posts_after(topic_id, after, limit=MAX_IDS)
            for post in batch:
                if post.username == me.username and not post.deleted and post.raw == wanted:
                    return post
            if len(batch) < MAX_IDS:
                return None
            after = batch[-1].post_number

    # -- staying up to date ------------------------------------------------------------------

    async def changes(self, cursor: str | None, *, wait: float = 0.0) -> ChangeBatch:
        if cursor is None:
            return ChangeBatch(changes=(), cursor=str(await self._last_seq()))
        try:
            since = int(cursor)
        except ValueError:
            since = -1
        if since < 0:  # not a cursor this backend gave out: start again from now
            return await self._reset()
        wait = max(0.0, min(float(wait), MAX_WAIT)) if math.isfinite(wait) else 0.0
        params = {"since": str(since)}
        if wait:
            params["wait"] = f"{wait:g}"
        response = await self._send("GET", "/changes", params=params, timeout=wait + READ_TIMEOUT)
        if response.status_code == 410:
            return await self._reset()
        if response.status_code == 400:
            # A cursor ahead of the server: its database was replaced (restored, reset).
            current = await self._last_seq()
            if since > current:
                return ChangeBatch(changes=(), cursor=str(current), reset=True)
        if response.status_code >= 400:
            raise error_for(response)

        def build() -> ChangeBatch:
            data = _object(_decode(response), "the answer to /changes")
            return ChangeBatch(
                changes=tuple(_change(c) for c in as_dicts(data, "changes")),
                cursor=str(as_int(data, "last_seq")),
            )

        return parsed(build)

    async def _last_seq(self) -> int:
        data = await self._get("/changes")
        return parsed(lambda: as_int(data, "last_seq"))

    async def _reset(self) -> ChangeBatch:
        return ChangeBatch(changes=(), cursor=str(await self._last_seq()), reset=True)


def _decode(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError) as exc:
        raise BadData(f"the answer is not JSON ({type(exc).__name__})") from exc


def _base_url(url: str) -> str:
    """The forum's root URL: http(s) only, without a trailing slash or /api/v1."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http:// or https:// URL: {clean_line(url)!r}")
    base = url.strip().rstrip("/")
    if base.endswith(API):
        base = base[: -len(API)]
    return base


async def login_with_password(url: str, username: str, password: str) -> str:
    """Log in with a username and password; the bearer token the server issued."""
    base = _base_url(url)
    async with httpx.AsyncClient(
        timeout=TIMEOUT, headers={"User-Agent": USER_AGENT, "Accept": "application/json"}
    ) as http:
        backend = NativeBackend(http, base_url=base)
        data = await backend._json(
            "POST", "/login", body={"username": username, "password": password}
        )
    token = parsed(lambda: as_line(data, "token"))
    if not token:
        raise ServerError("the forum's login answer had no token")
    return token


__all__ = [
    "FEATURES",
    "NativeBackend",
    "error_for",
    "login_with_password",
    "offline_for",
]
