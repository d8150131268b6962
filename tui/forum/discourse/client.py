"""`DiscourseBackend`: any Discourse forum as a `ForumBackend`, over its JSON API.

Reads go to the same JSON the Discourse web app uses (`/latest.json`, `/t/{id}.json`,
...), anonymously or with a User API key (or an admin API key). Every request first takes
a turn from a `RequestBudget` (a user key gets 20 a minute), and a 429 pauses every call
for as long as the forum says, then retries a bounded number of times. Whatever goes wrong
comes out as one of the typed errors in `tui.forum.backend`, and every string the forum
sends is read through `mapping` (and so through `tui.forum.jsonread` and the sanitiser).

What Discourse does not have is said plainly: it has no idempotency keys (the outbox
checks the thread's tail with `find_own_post` before sending again) and no resource
library (`resources()` raises). Live updates come from MessageBus (the long-poll channel
the web app uses), with a plain poll of /latest.json where MessageBus is refused.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import httpx

from tui.forum.backend import (
    TOPIC_FILTERS,
    AuthError,
    Conflict,
    ForumError,
    NotFound,
    Offline,
    RateLimited,
    Rejected,
    ServerError,
)
from tui.forum.discourse import mapping
from tui.forum.discourse.budget import RequestBudget
from tui.forum.discourse.credentials import DiscourseCredentials
from tui.forum.http_errors import (
    DEFAULT_RETRY_AFTER,
    finite_seconds,
    offline_for,
    parsed,
    short,
    typed_error,
)
from tui.forum.models import (
    Bookmark,
    Category,
    Change,
    ChangeBatch,
    Link,
    NotificationList,
    Post,
    Reactors,
    ResourceList,
    SearchPage,
    SiteInfo,
    TopicList,
    TopicPage,
    User,
)
from tui.forum.sanitize import clean, clean_line

T = TypeVar("T")

USER_AGENT = "cohort-tui"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_IDS = 20  # posts by id per request: Discourse's chunk size
MAX_RETRIES = 2  # after a 429, try again this many times...
MAX_RETRY_WAIT = 120.0  # ...when the forum asks us to wait no longer than this
MAX_REDIRECTS = 3
TOPIC_CACHE = 8  # recent topic views kept for topic_links() without another request
TOPIC_CACHE_SECONDS = 120.0
FIND_OWN_LIMIT = 200  # posts after the tail looked through by find_own_post
LONG_POLL_SLACK = 2.0
READ_TIME_MS = 1000  # reading time reported with /topics/timings
BUS_CHANNELS = tuple(mapping.TOPIC_CHANNELS)
NO_RESOURCES = "this Discourse forum has no resource library"

_REDIRECTS = (301, 302, 303, 307, 308)


# -- turning HTTP outcomes into the backend's errors --------------------------------------------


def _error_body(response: httpx.Response) -> tuple[str, str, dict[str, Any]]:
    """(message, error_type, body) of an error answer. Discourse answers JSON
    {"errors": [...], "error_type": ...} mostly, plain text for the per-IP 429, and an HTML
    page for a missing topic: HTML is never shown."""
    try:
        data = response.json()
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        errors = data.get("errors")
        parts: list[str] = []
        if isinstance(errors, list):
            parts = [e for e in errors if isinstance(e, str)]
        elif isinstance(errors, str):
            parts = [errors]
        for key in ("error", "message"):
            if not parts and isinstance(data.get(key), str):
                parts = [data[key]]
        error_type = data.get("error_type")
        return (
            short("; ".join(parts)),
            short(error_type) if isinstance(error_type, str) else "",
            data,
        )
    content_type = response.headers.get("content-type", "")
    text = response.text.strip() if "text/plain" in content_type else ""
    return short(text.splitlines()[0]) if text else "", "", {}


def _wait_seconds(body: dict[str, Any]) -> float | None:
    """Discourse's own word on how long to wait after a 429: extras.wait_seconds."""
    extras = body.get("extras")
    return finite_seconds(extras.get("wait_seconds")) if isinstance(extras, dict) else None


def error_for(response: httpx.Response) -> ForumError:
    """The typed error for a failed answer (status >= 400)."""
    message, code, body = _error_body(response)
    if response.status_code == 403 and code != "not_logged_in" and not message:
        message = "not allowed"
    return typed_error(response, message, code, retry_after=_wait_seconds(body))


def _base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) forum address: {url!r:.80}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _same_text(a: str, b: str) -> bool:
    """Whether two post texts are the same post (Discourse trims and normalises newlines)."""

    def norm(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()

    return norm(a) == norm(b)


def _chunks(items: Sequence[int], size: int) -> list[Sequence[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# -- the backend -------------------------------------------------------------------------------


class DiscourseBackend:
    """A Discourse forum as a `ForumBackend`, as one account or anonymously."""

    kind = "discourse"

    def __init__(
        self,
        base_url: str,
        *,
        credentials: DiscourseCredentials | None = None,
        http: httpx.AsyncClient | None = None,
        budget: RequestBudget | None = None,
        max_retries: int = MAX_RETRIES,
        max_retry_wait: float = MAX_RETRY_WAIT,
    ) -> None:
        self.base_url = _base_url(base_url)
        self.credentials = credentials
        self._owns_http = http is None
        self.http = http if http is not None else httpx.AsyncClient(timeout=TIMEOUT)
        self.budget = budget or RequestBudget.for_kind(credentials.kind if credentials else None)
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self._origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.base_url))
        self._base_path = urlsplit(self.base_url).path
        self._site_json: dict[str, Any] | None = None
        self._basic_info: dict[str, Any] | None = None
        self._basic_info_known = False
        self._me: User | None = None
        self._me_known = False
        self._categories: dict[int, Category] = {}
        self._main_reaction: str | None = None
        self._reactions: tuple[str, ...] = ()
        self._solved = False
        self._topics: OrderedDict[int, tuple[float, dict[str, Any]]] = OrderedDict()
        self._bus_client_id = uuid.uuid4().hex
        self._bus_seq = 0

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    # -- plumbing ----------------------------------------------------------------------------

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.credentials is not None:
            headers.update(self.credentials.headers())
        if extra:
            headers.update(extra)
        return headers

    def _url(self, path: str) -> str:
        if not path.startswith("/") or path.startswith("//"):
            raise ValueError(f"not a path on the forum: {path!r:.80}")
        return self.base_url + path

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
        write: bool = False,
    ) -> httpx.Response:
        """One request within the budget. A 429 pauses every call for as long as the forum
        says and is retried (at most `max_retries` times); a redirect is followed only on
        the same site, so a key never travels elsewhere; any other failure is raised."""
        url = self._url(path)
        hops = retries = 0
        while True:
            await self.budget.acquire()
            try:
                response = await self.http.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    data=form,
                    headers=self._headers(headers),
                    timeout=timeout if timeout is not None else TIMEOUT,
                    follow_redirects=False,
                )
            except httpx.HTTPError as exc:
                raise offline_for(exc, write=write) from exc
            status = response.status_code
            if status in _REDIRECTS and method == "GET" and hops < MAX_REDIRECTS:
                target = urljoin(url, response.headers.get("location", ""))
                if "{0.scheme}://{0.netloc}".format(urlsplit(target)) != self._origin:
                    raise ServerError("the forum redirected to another site; not following it")
                url, params, hops = target, None, hops + 1
                continue
            if status == 429:
                error = error_for(response)
                wait = error.retry_after if isinstance(error, RateLimited) else DEFAULT_RETRY_AFTER
                self.budget.hold(wait)
                if retries < self.max_retries and wait <= self.max_retry_wait:
                    retries += 1
                    continue
                raise error
            if status >= 400:
                raise error_for(response)
            if status in _REDIRECTS:
                raise ServerError(f"the forum answered a redirect (HTTP {status}) to a write")
            return response

    async def _json(self, method: str, path: str, **options: Any) -> Any:
        """The JSON of a successful answer (None for an empty body)."""
        response = await self._request(method, path, **options)
        if not response.content.strip():
            return None
        try:
            return response.json()
        except (ValueError, RecursionError) as exc:
            raise ServerError(
                "the forum's answer is not JSON (is this a Discourse forum?)"
            ) from exc

    async def _get(self, path: str, params: Any = None) -> Any:
        return await self._json("GET", path, params=params)

    def _learn(self, body: Any) -> None:
        """Plugins show themselves in what the forum sends: discourse-reactions through a
        topic's `valid_reactions` (the first counts as a like), discourse-solved through
        its fields on topics and posts."""
        if not isinstance(body, dict):
            return
        reactions = body.get("valid_reactions")
        if isinstance(reactions, list):
            names = tuple(clean_line(r) for r in reactions if isinstance(r, str))
            if names:
                self._main_reaction = names[0]
                self._reactions = names[1:]
        if "accepted_answer" in body or "has_accepted_answer" in body:
            self._solved = True
        stream = body.get("post_stream")
        posts = stream.get("posts") if isinstance(stream, dict) else None
        if isinstance(posts, list) and any(
            isinstance(p, dict) and "can_accept_answer" in p for p in posts
        ):
            self._solved = True

    # -- the site and the account --------------------------------------------------------------

    async def _site_payload(self, *, refresh: bool = False) -> dict[str, Any]:
        if self._site_json is None or refresh:
            body = await self._get("/site.json")
            self._site_json = parsed(lambda: mapping.site_payload(body))
            self._solved = self._solved or mapping.has_solved(self._site_json)
        return self._site_json

    async def site(self) -> SiteInfo:
        site = await self._site_payload(refresh=True)
        if not self._basic_info_known:
            try:
                basic = await self._get("/site/basic-info.json")
            except (NotFound, AuthError):
                basic = None  # older forums: the name falls back to the host
            self._basic_info = basic if isinstance(basic, dict) else None
            self._basic_info_known = True
        host = urlsplit(self.base_url).hostname or self.base_url
        return parsed(
            lambda: mapping.site_info(
                site,
                self._basic_info,
                host=host,
                reactions=self._reactions,
                solved=self._solved,
            )
        )

    async def me(self) -> User | None:
        if self.credentials is None:
            return None
        if not self._me_known:
            try:
                body = await self._get("/session/current.json")
            except NotFound:
                body = None  # Discourse answers 404 when nobody is logged in
            self._me = parsed(lambda: mapping.current_user(body)) if body is not None else None
            self._me_known = True
        return self._me

    # -- reading -----------------------------------------------------------------------------

    async def categories(self) -> list[Category]:
        """From /site.json (every category, subcategories included, in one request); from
        /categories.json where a large forum loads its categories lazily instead."""
        site = await self._site_payload(refresh=True)
        found = parsed(lambda: mapping.categories(site))
        if not found:
            body = await self._get("/categories.json", {"include_subcategories": "true"})
            found = parsed(lambda: mapping.categories(body))
        self._categories = {c.id: c for c in found}
        return found

    def _category_path(self, category: Category) -> str:
        chain = [category.slug]
        parent = self._categories.get(category.parent_id) if category.parent_id else None
        if parent is not None:
            chain.insert(0, parent.slug)
        # Discourse finds a category by the id at the end; the slugs are for people.
        return "/".join([*(quote(s, safe="") for s in chain if s), str(int(category.id))])

    def _cursor_path(self, cursor: str) -> tuple[str, str]:
        """A `more_topics_url` back into (path, query) on this forum, as JSON."""
        parts = urlsplit(cursor)
        path = parts.path
        if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//"):
            raise Rejected("that page cursor is not from this forum")
        if self._base_path and path.startswith(self._base_path + "/"):
            path = path[len(self._base_path) :]
        if not path.endswith(".json"):
            path += ".json"
        return path, parts.query

    async def topics(
        self,
        filter: str = "latest",
        *,
        category: Category | None = None,
        tag: str | None = None,
        cursor: str | None = None,
    ) -> TopicList:
        if filter not in TOPIC_FILTERS:
            raise Rejected(f"unknown topic list {filter!r:.40}")
        query: Any = None
        if cursor:
            path, query = self._cursor_path(cursor)
        elif category is not None and tag:
            path = f"/tags/c/{self._category_path(category)}/{quote(tag, safe='')}/l/{filter}.json"
        elif category is not None:
            path = f"/c/{self._category_path(category)}/l/{filter}.json"
        elif tag:
            path = f"/tag/{quote(tag, safe='')}/l/{filter}.json"
        else:
            path = f"/{filter}.json"
        body = await self._get(path, query or None)
        self._learn_list(body)
        return parsed(lambda: mapping.topic_list(body))

    def _learn_list(self, body: Any) -> None:
        listing = body.get("topic_list") if isinstance(body, dict) else None
        topics = listing.get("topics") if isinstance(listing, dict) else None
        if isinstance(topics, list) and any(
            isinstance(t, dict) and "has_accepted_answer" in t for t in topics
        ):
            self._solved = True

    async def _topic_json(self, topic_id: int) -> dict[str, Any]:
        body = await self._get(f"/t/{int(topic_id)}.json", {"include_raw": "true"})
        if not isinstance(body, dict):
            raise ServerError("the forum's topic is not an object")
        self._learn(body)
        self._topics[topic_id] = (time.monotonic(), body)
        self._topics.move_to_end(topic_id)
        while len(self._topics) > TOPIC_CACHE:
            self._topics.popitem(last=False)
        return body

    async def topic(self, topic_id: int) -> TopicPage:
        body = await self._topic_json(topic_id)
        return parsed(lambda: mapping.topic_page(body, main_reaction=self._main_reaction))

    async def posts(self, topic_id: int, post_ids: list[int]) -> list[Post]:
        """Posts by id, at most 20 ids a request (Discourse's own batch)."""
        wanted = list(dict.fromkeys(int(i) for i in post_ids))
        found: dict[int, Post] = {}
        for chunk in _chunks(wanted, MAX_IDS):
            params = [("post_ids[]", str(i)) for i in chunk] + [("include_raw", "true")]
            body = await self._get(f"/t/{int(topic_id)}/posts.json", params)
            for item in self._stream(body, topic_id):
                if item.id in wanted:
                    found[item.id] = item
        return sorted(found.values(), key=lambda p: p.post_number)

    async def posts_after(self, topic_id: int, post_number: int, limit: int = 20) -> list[Post]:
        """Posts numbered above `post_number`: /t/{id}/posts.json?post_number=N&asc=true
        answers the (up to 20) posts after N, which is how a topic too long to list its
        post ids (10,000+) is read."""
        found: list[Post] = []
        after = post_number
        while len(found) < limit:
            params = {"post_number": str(after), "asc": "true", "include_raw": "true"}
            body = await self._get(f"/t/{int(topic_id)}/posts.json", params)
            batch = sorted(
                (p for p in self._stream(body, topic_id) if p.post_number > after),
                key=lambda p: p.post_number,
            )
            if not batch:
                break
            found.extend(batch)
            after = batch[-1].post_number
        return found[:limit]

    def _stream(self, body: Any, topic_id: int) -> list[Post]:
        return parsed(
            lambda: mapping.post_stream(body, topic_id=topic_id, main_reaction=self._main_reaction)
        )

    async def post(self, post_id: int) -> Post:
        body = await self._get(f"/posts/{int(post_id)}.json")
        return parsed(lambda: mapping.post(body, main_reaction=self._main_reaction))

    async def reactors(self, post_id: int) -> list[Reactors]:
        """Who liked the post: one request to /post_action_users.json (core Discourse; with
        discourse-reactions its main reaction is the like). The plugin's other reactions
        keep their counts on the post but not their people here."""
        body = await self._get(
            "/post_action_users.json",
            {"id": str(int(post_id)), "post_action_type_id": str(mapping.LIKE_ACTION)},
        )
        return parsed(lambda: mapping.likers(body))

    async def search(self, query: str, *, offset: int = 0) -> SearchPage:
        page = max(0, offset) // mapping.SEARCH_PAGE_SIZE + 1
        params = {"q": query, "page": str(page)}
        body = await self._get("/search.json", params)
        start = (page - 1) * mapping.SEARCH_PAGE_SIZE
        return parsed(lambda: mapping.search_page(body, offset=start))

    async def notifications(self) -> NotificationList:
        if self.credentials is None:
            raise AuthError("log in to see notifications", code="not_logged_in")
        site = await self._site_payload()
        types = parsed(lambda: mapping.notification_types(site))
        body = await self._get("/notifications.json")
        return parsed(lambda: mapping.notification_list(body, types))

    async def mark_notifications_read(self, ids: list[int] | None = None) -> None:
        if ids is None:
            await self._request("PUT", "/notifications/mark-read.json", json_body={}, write=True)
            return
        for notification_id in dict.fromkeys(ids):
            if notification_id > 0:  # 0: a notification the forum gave no id
                await self._request(
                    "PUT",
                    "/notifications/mark-read.json",
                    json_body={"id": notification_id},
                    write=True,
                )

    async def topic_links(self, topic_id: int) -> list[Link]:
        """The links of the topic map (`details.links`); the topic just read is reused."""
        cached = self._topics.get(topic_id)
        if cached is not None and time.monotonic() - cached[0] < TOPIC_CACHE_SECONDS:
            body = cached[1]
        else:
            body = await self._topic_json(topic_id)
        return parsed(lambda: mapping.topic_links(body, base_url=self.base_url))

    async def resources(
        self,
        *,
        category: Category | None = None,
        tag: str | None = None,
        query: str | None = None,
        sort: str = "recent",
        cursor: str | None = None,
    ) -> ResourceList:
        raise ForumError(NO_RESOURCES, code="unsupported")

    async def bookmarks(self) -> list[Bookmark]:
        me = await self.me()
        if me is None:
            return []
        body = await self._get(f"/u/{quote(me.username, safe='')}/bookmarks.json")
        return parsed(lambda: mapping.bookmarks(body))

    # -- writing -----------------------------------------------------------------------------

    def _created(self, body: Any) -> Post:
        made = parsed(lambda: mapping.created_post(body, main_reaction=self._main_reaction))
        if made.post is None:
            raise Rejected(
                "the forum holds this post for a moderator's approval; it appears once approved",
                code="pending_approval",
            )
        return made.post

    async def create_topic(
        self, *, title: str, raw: str, category: Category, tags: list[str], key: str
    ) -> TopicPage:
        """POST /posts.json with a title. `key` is unused: Discourse has no idempotency
        keys (see `find_own_post`)."""
        payload: dict[str, Any] = {"title": title, "raw": raw, "category": category.id}
        if tags:
            payload["tags"] = list(tags)
        body = await self._json("POST", "/posts.json", json_body=payload, write=True)
        created = self._created(body)
        return await self.topic(created.topic_id)

    async def reply(
        self, topic_id: int, raw: str, *, reply_to_post_number: int | None, key: str
    ) -> Post:
        """POST /posts.json. `key` is unused: Discourse has no idempotency keys; after an
        ambiguous failure the outbox asks `find_own_post` before sending again."""
        payload: dict[str, Any] = {"raw": raw, "topic_id": topic_id}
        if reply_to_post_number is not None:
            payload["reply_to_post_number"] = reply_to_post_number
        body = await self._json("POST", "/posts.json", json_body=payload, write=True)
        return self._created(body)

    async def edit_post(self, post: Post, raw: str) -> Post:
        """PUT /posts/{id}.json with `raw_old`: the forum answers 409 (Conflict) when the
        post is no longer the text this edit was made from."""
        old = post.raw
        if old is None:
            current = await self.post(post.id)
            if current.version != post.version or current.raw is None:
                raise Conflict("the post changed since it was read", code="edit_conflict")
            old = current.raw
        body = await self._json(
            "PUT",
            f"/posts/{int(post.id)}.json",
            json_body={"post": {"raw": raw, "raw_old": old}},
            write=True,
        )
        edited = parsed(lambda: mapping.post(body, main_reaction=self._main_reaction))
        if edited.raw is None:  # the answer carries no raw: it is the text just sent
            edited = dataclasses.replace(edited, raw=clean(raw))
        return edited

    async def delete_post(self, post_id: int) -> None:
        await self._request("DELETE", f"/posts/{int(post_id)}.json", write=True)

    async def react(self, post_id: int, name: str, on: bool) -> Post:
        """A like is core (post action 2); other reactions need discourse-reactions, whose
        toggle endpoint flips the reaction, so the post is read first to know its state."""
        if name == mapping.LIKE:
            return await self._like(post_id, on)
        body = await self._get(f"/posts/{int(post_id)}.json")
        known = self._main_reaction is not None and name in self._reactions
        if (
            not isinstance(body, dict)
            or "reactions" not in body
            or (self._main_reaction is not None and not known)
        ):
            raise Rejected(f"this forum has no reaction {name!r:.40}", code="unknown_reaction")
        current = parsed(lambda: mapping.post(body, main_reaction=self._main_reaction))
        if any(r.name == name and r.reacted for r in current.reactions) == on:
            return current
        toggled = await self._json(
            "PUT",
            f"/discourse-reactions/posts/{int(post_id)}/custom-reactions/"
            f"{quote(name, safe='')}/toggle.json",
            write=True,
        )
        return parsed(lambda: mapping.post(toggled, main_reaction=self._main_reaction))

    async def _like(self, post_id: int, on: bool) -> Post:
        try:
            if on:
                body = await self._json(
                    "POST",
                    "/post_actions.json",
                    json_body={"id": post_id, "post_action_type_id": mapping.LIKE_ACTION},
                    write=True,
                )
            else:
                body = await self._json(
                    "DELETE",
                    f"/post_actions/{int(post_id)}.json",
                    params={"post_action_type_id": str(mapping.LIKE_ACTION)},
                    write=True,
                )
        except (AuthError, NotFound) as exc:
            # Liking twice is refused (403) and unliking what is not liked is 404: when the
            # post already is as asked, that is success.
            current = await self.post(post_id)
            if any(r.name == mapping.LIKE and r.reacted for r in current.reactions) == on:
                return current
            raise exc
        return parsed(lambda: mapping.post(body, main_reaction=self._main_reaction))

    async def set_solution(self, topic_id: int, post_id: int | None) -> None:
        """discourse-solved: POST /solution/accept.json or unaccept.json with the post."""
        if post_id is not None:
            await self._request(
                "POST", "/solution/accept.json", json_body={"id": post_id}, write=True
            )
            return
        body = await self._topic_json(topic_id)
        page = parsed(lambda: mapping.topic_page(body, main_reaction=self._main_reaction))
        number = page.topic.solution_post_number
        if number is None:
            return
        accepted = next((p for p in page.posts if p.post_number == number), None)
        if accepted is None:
            near = await self.posts_after(topic_id, number - 1, limit=1)
            accepted = near[0] if near and near[0].post_number == number else None
        if accepted is None:
            raise NotFound("the accepted answer could not be found in the topic")
        await self._request(
            "POST", "/solution/unaccept.json", json_body={"id": accepted.id}, write=True
        )

    async def set_read(self, topic_id: int, post_number: int) -> None:
        """POST /topics/timings: reading `post_number` moves the topic's last-read mark
        there (anonymous readers have no read state to keep)."""
        if self.credentials is None or post_number < 1:
            return
        form = {
            "topic_id": str(int(topic_id)),
            "topic_time": str(READ_TIME_MS),
            f"timings[{int(post_number)}]": str(READ_TIME_MS),
        }
        await self._request("POST", "/topics/timings", form=form, write=True)

    async def bookmark(self, post_id: int, on: bool) -> None:
        if on:
            await self._request(
                "POST",
                "/bookmarks.json",
                json_body={
                    "bookmarkable_id": post_id,
                    "bookmarkable_type": "Post",
                    "post_id": post_id,  # Discourse before polymorphic bookmarks (2022)
                },
                write=True,
            )
            return
        body = await self._get(f"/posts/{int(post_id)}.json")
        bookmark_id = parsed(lambda: mapping.bookmark_id(body))
        if bookmark_id is not None:
            await self._request("DELETE", f"/bookmarks/{int(bookmark_id)}.json", write=True)

    async def find_own_post(
        self, topic_id: int, raw: str, *, since_post_number: int
    ) -> Post | None:
        """A post of ours with this text after `since_post_number`: after an ambiguous
        failure, whether the forum got the post after all (Discourse has no idempotency)."""
        me = await self.me()
        if me is None:
            return None
        after = since_post_number
        seen = 0
        while seen < FIND_OWN_LIMIT:
            batch = await self.posts_after(topic_id, after, limit=MAX_IDS)
            if not batch:
                return None
            for candidate in batch:
                if candidate.username.casefold() != me.username.casefold() or candidate.deleted:
                    continue
                text = candidate.raw
                if text is None:
                    text = (await self.post(candidate.id)).raw
                if text is not None and _same_text(text, raw):
                    return candidate
            seen += len(batch)
            after = batch[-1].post_number
        return None

    # -- staying up to date --------------------------------------------------------------------

    async def changes(self, cursor: str | None, *, wait: float = 0.0) -> ChangeBatch:
        """What changed since `cursor`, from MessageBus (the web app's live channel).

        The cursor holds the last message id of each channel. A forum that refuses
        MessageBus (a key without that scope) is polled through /latest.json instead: the
        cursor then holds each listed topic's highest post number.
        """
        state = _load_cursor(cursor)
        if state is not None and state.get("mode") == "latest":
            return await self._latest_changes(state)
        try:
            return await self._bus_changes(state, wait)
        except (NotFound, AuthError):
            batch = await self._latest_changes(None)
            return dataclasses.replace(batch, reset=cursor is not None)

    async def _channels(self) -> list[str]:
        channels = list(BUS_CHANNELS)
        me = await self.me()
        if me is not None:
            channels.append(f"/notification/{me.id}")
        return channels

    async def _poll(self, positions: dict[str, int], wait: float) -> list[mapping.BusMessage]:
        self._bus_seq += 1
        payload: dict[str, Any] = {**positions, "__seq": self._bus_seq}
        path = f"/message-bus/{self._bus_client_id}/poll"
        params = None if wait > 0 else {"dlp": "t"}  # dlp=t: answer at once, no long poll
        timeout = httpx.Timeout(TIMEOUT.connect or 10.0, read=wait + LONG_POLL_SLACK)
        # A long poll the forum holds past `wait` is cut short here: no news in that time.
        try:
            body = await self._json(
                "POST",
                path,
                params=params,
                json_body=payload,
                headers={"Dont-Chunk": "true"},  # one JSON array, not a stream of chunks
                timeout=timeout if wait > 0 else None,
            )
        except Offline as exc:
            if wait > 0 and isinstance(exc.__cause__, httpx.ReadTimeout):
                return []  # nothing happened while we waited
            raise
        return parsed(lambda: mapping.bus_messages(body if body is not None else []))

    async def _bus_changes(self, state: dict[str, Any] | None, wait: float) -> ChangeBatch:
        channels = await self._channels()
        known = state.get("channels") if state is not None else None
        positions: dict[str, int] = {}
        if isinstance(known, dict):
            positions = {
                c: v for c, v in known.items() if isinstance(v, int) and not isinstance(v, bool)
            }
        reset = state is not None and state.get("mode") != "bus"
        asked = {c: positions.get(c, -1) for c in channels}
        starting = all(v == -1 for v in asked.values())
        messages = await self._poll(asked, 0.0 if starting else wait)
        changes: list[Change] = []
        for message in messages:
            if message.channel == mapping.STATUS_CHANNEL:
                for channel, last in mapping.bus_status(message).items():
                    if asked.get(channel, -1) > last:
                        reset = True  # the forum's backlog restarted: we may have missed news
                    if channel in asked:
                        asked[channel] = last
                continue
            if message.channel in asked:
                asked[message.channel] = max(asked[message.channel], message.message_id)
            change = mapping.bus_change(message)
            if change is not None and not starting:
                changes.append(change)
        cursor = mapping.dumps_cursor({"mode": "bus", "channels": asked})
        return ChangeBatch(changes=tuple(changes), cursor=cursor, reset=reset and state is not None)

    async def _latest_changes(self, state: dict[str, Any] | None) -> ChangeBatch:
        listing = await self.topics("latest")
        current = {
            str(t.id): [t.highest_post_number, t.bumped_at.isoformat()] for t in listing.topics
        }
        known = state.get("topics") if state is not None else None
        changes: list[Change] = []
        if isinstance(known, dict):
            for item in listing.topics:
                before = known.get(str(item.id))
                if before is None:
                    kind = "topic.created" if item.posts_count <= 1 else "topic.updated"
                elif before != current[str(item.id)]:
                    kind = "topic.updated"
                else:
                    continue
                changes.append(
                    Change(
                        kind=kind,
                        topic_id=item.id,
                        category_id=item.category_id or None,
                        data={"highest_post_number": item.highest_post_number},
                    )
                )
            merged = {**known, **current}
            current = dict(list(merged.items())[-500:])
        cursor = mapping.dumps_cursor({"mode": "latest", "topics": current})
        return ChangeBatch(changes=tuple(changes), cursor=cursor, reset=False)


def _load_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        state = json.loads(cursor)
    except ValueError:
        return {"mode": "invalid"}
    return state if isinstance(state, dict) else {"mode": "invalid"}


__all__ = ["DiscourseBackend", "error_for", "offline_for"]
