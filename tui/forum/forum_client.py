"""The TUI's view of the forum's HTTP API: typed calls over an `httpx.AsyncClient`.

Every backend (the embedded forum, a Unix socket, a remote server) is just a differently
built `httpx.AsyncClient`; this class neither knows nor cares which. Whatever goes wrong
(network, HTTP status, malformed JSON) comes out as one `ForumError` with a sanitised,
human-readable message, so screens have a single thing to catch and show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from tui.forum.jsonread import BadData
from tui.forum.models import Category, TopicSummary
from tui.forum.sanitize import clean_line

API = "/api/v1"
T = TypeVar("T")


class ForumError(Exception):
    """A request to the forum failed; `message` is safe to display."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class ForumClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def me(self) -> str:
        """The username the forum knows us as."""
        data = await self._get("/me")
        return self._parse(lambda: clean_line(_expect(data.get("username"), str)))

    async def categories(self) -> list[Category]:
        data = await self._get("/categories")
        return self._parse(lambda: [Category.from_api(c) for c in _list(data, "categories")])

    async def topics(
        self, filter: str = "latest", category: int | None = None, cursor: str | None = None
    ) -> tuple[list[TopicSummary], str | None]:
        """One page of a topic list and the cursor of the next page (None at the end)."""
        params: dict[str, str] = {"filter": filter}
        if category is not None:
            params["category"] = str(category)
        if cursor:
            params["cursor"] = cursor
        data = await self._get("/topics", params)

        def parse() -> tuple[list[TopicSummary], str | None]:
            topics = [TopicSummary.from_api(t) for t in _list(data, "topics")]
            next_cursor = data.get("next_cursor")
            return topics, next_cursor if isinstance(next_cursor, str) and next_cursor else None

        return self._parse(parse)

    # -- plumbing -----------------------------------------------------------------------------

    async def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            response = await self.http.get(API + path, params=params)
        except httpx.HTTPError as exc:
            raise ForumError(
                f"cannot reach the forum: {clean_line(str(exc)) or type(exc).__name__}"
            ) from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.is_error:
            raise _error_from(response.status_code, data)
        if not isinstance(data, dict):
            raise ForumError(
                f"the forum sent an unexpected answer to {path}", status=response.status_code
            )
        return data

    @staticmethod
    def _parse(build: Callable[[], T]) -> T:
        try:
            return build()
        except (BadData, KeyError, TypeError, ValueError) as exc:
            raise ForumError(
                f"the forum sent data the client cannot read: {clean_line(str(exc))}"
            ) from exc


def _error_from(status: int, data: Any) -> ForumError:
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        code = error.get("code")
        return ForumError(
            clean_line(error["message"]),
            status=status,
            code=clean_line(code) if isinstance(code, str) else "",
        )
    return ForumError(f"the forum answered HTTP {status}", status=status)


def _expect(value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise BadData(f"expected {kind.__name__}, got {value!r:.40}")
    return value


def _list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = _expect(data.get(key), list)
    for item in items:
        _expect(item, dict)
    return list(items)
