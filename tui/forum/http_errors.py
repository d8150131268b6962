"""Turning HTTP outcomes into the backend's typed errors, the same way for every adapter.

Each adapter knows how its forum words an error (Cohort: `{"error": {...}}`; Discourse:
`{"errors": [...]}`, extras.wait_seconds, plain text from a proxy) and passes the words
in; what a status *means* (auth, not found, conflict, slow down, refused, failed) and
when a broken connection leaves a write ambiguous is decided here, once.
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from tui.forum.backend import (
    AuthError,
    Conflict,
    ForumError,
    NotFound,
    Offline,
    RateLimited,
    Rejected,
    ServerError,
)
from tui.forum.jsonread import BadData
from tui.forum.sanitize import clean_line

T = TypeVar("T")

MAX_MESSAGE = 300  # characters of a forum's error message worth showing
DEFAULT_RETRY_AFTER = 10.0  # a 429 that does not say how long to wait
# Failures before any byte of the request left: the forum cannot have acted on it.
NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


def short(text: str) -> str:
    """A forum's words, safe and short enough for a status line."""
    text = " ".join(clean_line(text).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def finite_seconds(value: Any) -> float | None:
    """A JSON number of seconds, or None when it is not one."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return max(0.0, float(value))
    return None


def header_retry_after(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (it may be a number or an HTTP date)."""
    header = response.headers.get("retry-after", "").strip()
    if not header:
        return None
    try:
        return finite_seconds(float(header))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def typed_error(
    response: httpx.Response,
    message: str,
    code: str,
    *,
    retry_after: float | None = None,
    current_version: int | None = None,
) -> ForumError:
    """The error for a failed answer (status >= 400), worded with the forum's message."""
    status = response.status_code
    if status in (401, 403):
        fallback = "log in first" if status == 401 else "not allowed"
        return AuthError(f"the forum refused: {message or fallback}", status=status, code=code)
    if status in (404, 410):
        return NotFound(message or "not found (it may have been deleted)", status=status, code=code)
    if status in (409, 412):
        return Conflict(
            message or "someone changed it first",
            current_version=current_version,
            status=status,
            code=code,
        )
    if status == 429:
        wait = header_retry_after(response)
        if wait is None:
            wait = retry_after if retry_after is not None else DEFAULT_RETRY_AFTER
        return RateLimited(
            f"the forum asks us to slow down: {message or 'too many requests'}"
            f" (try again in {math.ceil(wait)} s)",
            retry_after=wait,
            status=status,
            code=code,
        )
    if status >= 500:
        return ServerError(
            f"the forum failed (HTTP {status}): {message or response.reason_phrase}",
            status=status,
            code=code,
        )
    return Rejected(f"the forum refused: {message or f'HTTP {status}'}", status=status, code=code)


def offline_for(exc: httpx.HTTPError, *, write: bool) -> ForumError:
    """The error for a request that got no answer. Once a request may have reached the
    forum (the connection broke while waiting for the answer), a write is ambiguous."""
    detail = short(str(exc)) or type(exc).__name__
    if isinstance(exc, NOT_SENT):
        return Offline(f"cannot reach the forum: {detail}", ambiguous=False)
    if isinstance(exc, httpx.WriteError | httpx.WriteTimeout):
        # The request did not get out whole: the forum cannot have acted on it.
        return Offline(f"the connection to the forum broke: {detail}", ambiguous=False)
    if isinstance(exc, httpx.TransportError):
        return Offline(f"the connection to the forum broke: {detail}", ambiguous=write)
    return ServerError(f"the forum's answer could not be read: {detail}")


def parsed(build: Callable[[], T]) -> T:
    """Run a mapping from JSON to models; data of the wrong shape is the forum's failure."""
    try:
        return build()
    except (BadData, KeyError, TypeError, ValueError) as exc:
        raise ServerError(f"the forum sent data the client cannot read: {short(str(exc))}") from exc
