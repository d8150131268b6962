"""From a profile to a working backend: which software, which transport, which login."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

import httpx

from tui.forum.backend import ForumBackend, ForumError, Offline
from tui.forum.config import Profile
from tui.forum.http_errors import short
from tui.forum.native import NativeBackend
from tui.forum.secrets import SecretStore

Software = Literal["cohort", "discourse"]
PROBE_TIMEOUT = 15.0


async def probe(url: str, *, http: httpx.AsyncClient | None = None) -> Software:
    """Tell Cohort's server from Discourse by asking each for its self-description."""
    client = http or httpx.AsyncClient(timeout=PROBE_TIMEOUT, follow_redirects=True)
    base = url.rstrip("/")
    try:
        try:
            answer = await client.get(f"{base}/api/v1/site")
            if answer.status_code == 200 and _json_field(answer, "software") == "cohort":
                return "cohort"
            answer = await client.get(f"{base}/site.json")
            if answer.status_code == 200 and _json_field(answer, "categories") is not None:
                return "discourse"
        except httpx.HTTPError as exc:
            raise Offline(f"cannot reach {base}: {_why(exc)}") from exc
    finally:
        if http is None:
            await client.aclose()
    raise ForumError(f"{base} is neither a Cohort server nor a Discourse forum")


def _why(exc: httpx.HTTPError) -> str:
    """What went wrong, in words: a TLS refusal is named as one (it is not an outage)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            reason = short(getattr(cause, "verify_message", None) or cause.reason or str(cause))
            return f"its TLS certificate was not accepted ({reason})"
        cause = cause.__cause__ or cause.__context__
    return short(str(exc)) or type(exc).__name__


def _json_field(response: httpx.Response, key: str) -> object:
    try:
        data = response.json()
    except ValueError:
        return None
    return data.get(key) if isinstance(data, dict) else None


@asynccontextmanager
async def open_backend(
    profile: Profile, secrets: SecretStore, *, embedded_path: Path | None = None
) -> AsyncIterator[ForumBackend]:
    """A backend for `profile`, logged in with its saved secrets; closed on exit."""
    if profile.needs_probe:
        assert profile.url is not None
        profile = profile.probed(await probe(profile.url))
    if profile.kind == "embedded":
        async with NativeBackend.embedded(embedded_path) as backend:
            yield backend
        return
    opened: ForumBackend
    if profile.kind == "socket":
        assert profile.socket is not None
        opened = NativeBackend.for_socket(profile.socket)
    elif profile.kind == "cohort":
        assert profile.url is not None
        opened = NativeBackend.for_url(profile.url, secrets.get(profile.name, "token"))
    else:
        opened = discourse_backend(profile, secrets)
    try:
        yield opened
    finally:
        await opened.aclose()


def discourse_backend(profile: Profile, secrets: SecretStore) -> ForumBackend:
    from tui.forum.discourse import DiscourseBackend, DiscourseCredentials, RequestBudget

    assert profile.url is not None
    credentials: DiscourseCredentials | None = None
    user_key = secrets.get(profile.name, "user_api_key")
    admin_key = secrets.get(profile.name, "api_key")
    if profile.auth == "user_api_key" and user_key:
        credentials = DiscourseCredentials(
            kind="user_api_key", key=user_key, client_id=secrets.get(profile.name, "client_id")
        )
    elif profile.auth == "api_key" and admin_key:
        credentials = DiscourseCredentials(kind="api_key", key=admin_key, username=profile.username)
    per_minute = profile.request_budget
    if per_minute is None and (credentials is None or credentials.kind == "user_api_key"):
        per_minute = 20  # what Discourse allows a user API key (and a polite anonymous reader)
    budget = RequestBudget(per_minute) if per_minute else None
    return DiscourseBackend(profile.url, credentials=credentials, budget=budget)
