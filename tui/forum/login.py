"""What a login yields, and saving it: one path for `cohort login` and the login screen.

A login gives a profile (which forum, how to reach it) and its secrets. They are kept
together in memory as a `ForumLogin` until the user has named the profile, then saved:
the secrets first (a profile saved without them could not log in), then the profile in
the app-owned profiles.toml, and, when asked, as the default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from tui.forum.backend import AuthError
from tui.forum.config import (
    ConfigError,
    Padding,
    Profile,
    check_profile_name,
    load_config,
    save_profile,
    set_default_profile,
)
from tui.forum.discourse.auth import LoginResult, api_key_credentials
from tui.forum.native import NativeBackend, login_with_password
from tui.forum.sanitize import clean_line
from tui.forum.secrets import KEYS, SecretStore

SOCKET_NAME = "local"  # the name offered for a server on a Unix socket


@dataclass(frozen=True)
class ForumLogin:
    """A forum logged into, not yet saved. `profile.name` is only a proposal until
    `save_login`; `who` is the account as the forum knows it, to show the user."""

    profile: Profile
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    who: str | None = None
    site_name: str | None = None


def name_for(text: str, fallback: str = SOCKET_NAME) -> str:
    """A profile name made of `text` (a site's name): letters, digits, '.', '-', '_'."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip().lower()).strip("-.")[:64].strip("-.")
    return name or fallback


# -- Cohort's server -------------------------------------------------------------------------


async def socket_login(path: str, name: str = SOCKET_NAME) -> ForumLogin:
    """Cohort's server on a Unix socket: nothing to type, the server knows our uid. The
    socket is asked who we are, which also proves it is a Cohort server."""
    backend = NativeBackend.for_socket(path)
    try:
        site = await backend.site()
        me = await backend.me()
    finally:
        await backend.aclose()
    profile = Profile(name=name, kind="socket", socket=path)
    return ForumLogin(profile, who=me.username if me else None, site_name=site.name)


async def cohort_password_login(profile: Profile, username: str, password: str) -> ForumLogin:
    """Cohort's server at a URL: a username and password, exchanged for a token."""
    assert profile.url is not None
    token = await login_with_password(profile.url, username, password)
    return ForumLogin(
        replace(profile, kind="cohort", auth="token", username=username),
        {"token": token},
        who=username,
    )


async def cohort_token_login(
    profile: Profile, token: str, username: str | None = None
) -> ForumLogin:
    """Cohort's server at a URL with a token an administrator minted; checked now, so a
    mistyped token is found while the user is still here."""
    assert profile.url is not None
    token = token.strip()
    if not token or clean_line(token) != token or any(c.isspace() for c in token):
        raise AuthError("that is not a token (one word, as `cohort admin mint-token` prints)")
    backend = NativeBackend.for_url(profile.url, token)
    try:
        me = await backend.me()
    finally:
        await backend.aclose()
    if me is None:
        raise AuthError("the forum did not accept this token")
    return ForumLogin(
        replace(profile, kind="cohort", auth="token", username=username or me.username),
        {"token": token},
        who=me.username,
    )


def anonymous_login(profile: Profile, kind: Literal["cohort", "discourse"]) -> ForumLogin:
    """A forum read without logging in (public categories only)."""
    return ForumLogin(replace(profile, kind=kind, auth="none", username=None))


# -- Discourse -------------------------------------------------------------------------------


def discourse_key_login(profile: Profile, result: LoginResult, padding: Padding) -> ForumLogin:
    """A User API key from the device-code or paste flow, with the private key it was
    delivered to (needed to read a payload again, never shown)."""
    creds = result.credentials
    secrets = {"user_api_key": creds.key, "private_key_pem": result.private_pem}
    if creds.client_id:
        secrets["client_id"] = creds.client_id
    return ForumLogin(
        replace(
            profile,
            kind="discourse",
            auth="user_api_key",
            padding=padding,
            username=creds.username or profile.username,
        ),
        secrets,
        who=creds.username,
    )


def discourse_admin_key_login(profile: Profile, key: str, username: str) -> ForumLogin:
    """An admin's API key acting as `username` (the fallback when user keys are off)."""
    creds = api_key_credentials(key, username)
    return ForumLogin(
        replace(profile, kind="discourse", auth="api_key", username=creds.username),
        {"api_key": creds.key},
        who=creds.username,
    )


# -- saving ----------------------------------------------------------------------------------


def save_login(
    login: ForumLogin,
    store: SecretStore,
    *,
    name: str | None = None,
    make_default: bool = False,
    user_path: Path | None = None,
) -> Profile:
    """Save `login` under `name` (default: its proposed name): its secrets, replacing any
    the name had (a profile that changed kind keeps no stale key), then the profile.

    ConfigError for a bad name or a config file that does not parse; SecretError when the
    secrets cannot be stored. Nothing is saved to profiles.toml if the secrets fail.
    """
    profile = replace(login.profile, name=check_profile_name(name or login.profile.name))
    if profile.kind not in ("socket", "cohort", "discourse"):
        raise ValueError(f"a {profile.kind} profile is not saved by a login")
    for key in KEYS:
        if key not in login.secrets:
            store.delete(profile.name, key)
    for key, value in login.secrets.items():
        store.set(profile.name, key, value)
    save_profile(profile, user_path=user_path)
    if make_default:
        set_default_profile(profile.name, user_path=user_path)
    return profile


def default_overridden(name: str, *, user_path: Path | None = None) -> bool:
    """Whether another file (the user's config.toml) sets a default that wins over `name`."""
    try:
        return load_config(user_path=user_path).default_profile != name
    except ConfigError:
        return False  # a broken file is reported when Cohort next reads it


__all__ = [
    "SOCKET_NAME",
    "ForumLogin",
    "anonymous_login",
    "cohort_password_login",
    "cohort_token_login",
    "default_overridden",
    "discourse_admin_key_login",
    "discourse_key_login",
    "name_for",
    "save_login",
    "socket_login",
]
