"""Logging in to a Discourse forum from a terminal, with a User API key.

Discourse hands a key to an application by encrypting it with the application's RSA public
key, so the key never appears in a URL or a browser's history. Two ways to get it here:

- Device code (newer Discourse: `HEAD /user-api-key/new` answers `Auth-Api-Device-Code:
  true`): `POST /user-api-key/device.json` gives a short code; the user approves it on any
  device; `POST /user-api-key/device/poll.json` returns the encrypted payload.
- Paste (every Discourse): the user opens `/user-api-key/new?...` (without `auth_redirect`)
  on any device, approves, and pastes the Base64 block the forum shows.

Both end with the same payload: Base64 of RSA(JSON {key, nonce, push, api}), PKCS#1 v1.5 by
default or OAEP (SHA-1, MGF1-SHA-1: OpenSSL's defaults, which Discourse's Ruby uses) when
`padding=oaep` was asked for. Sources: discourse/discourse
`app/controllers/user_api_keys_controller.rb`, `app/services/user_api_key/device_auth/*.rb`,
`app/models/user_api_key_scope.rb`, `lib/tasks/user_api_key.rake`.

Every failure a user can cause or meet is a `LoginError` whose message says what to do.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import hmac
import json
import math
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args
from urllib.parse import unquote, urlencode, urlsplit

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric import rsa

from tui.forum.backend import ForumError
from tui.forum.discourse.credentials import DiscourseCredentials
from tui.forum.http_errors import finite_seconds, header_retry_after
from tui.forum.sanitize import clean_line

__all__ = [
    "CORE_SCOPES",
    "DEFAULT_SCOPES",
    "DeviceFlow",
    "DiscourseCredentials",
    "LoginError",
    "LoginResult",
    "LoginStart",
    "Padding",
    "PasteFlow",
    "api_key_credentials",
    "authorization_url",
    "begin_login",
    "decrypt_payload",
    "generate_keypair",
    "login",
    "new_client_id",
    "new_nonce",
    "poll_device_flow",
    "probe_device_flow",
    "revoke",
    "start_device_flow",
    "start_paste_flow",
    "with_username",
]

Padding = Literal["pkcs1", "oaep"]
Sleep = Callable[[float], Awaitable[None]]

MIN_PAYLOAD = 8  # bytes: Discourse's smallest payload is several times this

APPLICATION_NAME = "Cohort"
# What Cohort needs: read and write, notifications, /session/current.json (who am I), and
# MessageBus polling for live updates.
DEFAULT_SCOPES: tuple[str, ...] = ("read", "write", "notifications", "session_info", "message_bus")
# UserApiKeyScope::SCOPES in core (app/models/user_api_key_scope.rb); plugins may add more.
CORE_SCOPES: frozenset[str] = frozenset(
    {
        "read",
        "write",
        "message_bus",
        "push",
        "one_time_password",
        "notifications",
        "session_info",
        "bookmarks_calendar",
        "user_status",
    }
)

RSA_BITS = 2048
_JSON = {"Accept": "application/json"}
# Poll statuses of UserApiKey::DeviceAuth::Poll.
_PENDING = "authorization_pending"
_AUTHORIZED = "authorized"
_DENIED = "access_denied"
_EXPIRED = "expired_token"
_MAX_INTERVAL = 60
_MAX_NETWORK_FAILURES = 3
_PASTE_ATTEMPTS = 3


class LoginError(ForumError):
    """Logging in failed; `message` says why and what to do (`code` names the case)."""

    def __init__(self, message: str, *, code: str = "login", status: int | None = None) -> None:
        super().__init__(message, status=status, code=code)


@dataclass(frozen=True)
class LoginResult:
    """A working key, and the private key it was delivered to (kept as a secret)."""

    credentials: DiscourseCredentials
    private_pem: str


@dataclass(frozen=True)
class DeviceFlow:
    """A device-code login in progress: what to show the user, and what to poll with."""

    base_url: str
    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_with_request: str | None
    expires_in: int
    interval: int
    nonce: str
    client_id: str
    padding: Padding

    @property
    def open_url(self) -> str:
        """The address to open: it names the request, so only the code is left to type."""
        return self.verification_uri_with_request or self.verification_uri


@dataclass(frozen=True)
class PasteFlow:
    """A paste login in progress: the address to approve on any device, and what the
    pasted answer must match (this attempt's key and nonce)."""

    url: str
    nonce: str
    client_id: str
    padding: Padding
    private_pem: str = field(repr=False)

    @property
    def expected_chars(self) -> int:
        """How long the Base64 payload is, for a terminal reading it line by line."""
        return _b64_chars(_load_private_key(self.private_pem).key_size // 8)

    def credentials(self, pasted: str) -> DiscourseCredentials:
        """The key in what the user pasted; LoginError saying what is wrong with it."""
        return decrypt_payload(
            pasted,
            self.private_pem,
            padding=self.padding,
            expected_nonce=self.nonce,
            client_id=self.client_id,
        )


@dataclass(frozen=True)
class LoginStart:
    """A login begun: the device code to show where the forum offers one, and always the
    paste flow (the fallback, or the user's choice). Both deliver to `private_pem`."""

    paste: PasteFlow
    device: DeviceFlow | None
    device_refused: bool  # the forum offers the device flow but would not start one
    private_pem: str = field(repr=False)


# Keys and identifiers


def generate_keypair() -> tuple[str, str]:
    """A fresh RSA-2048 pair as (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return private_pem, public_pem


def new_client_id() -> str:
    """An identifier for this installation; Discourse keeps one key per user and client."""
    return uuid.uuid4().hex


def new_nonce() -> str:
    """A one-time value the payload must echo back, so an old or foreign payload is refused.

    Short on purpose: the whole JSON payload must fit in one RSA block (214 bytes with OAEP).
    """
    return secrets.token_hex(16)


def _check_padding(padding: str) -> Padding:
    if padding not in get_args(Padding):
        raise ValueError(f"padding must be 'pkcs1' or 'oaep', not {padding!r}")
    return cast(Padding, padding)


def _scope_param(scopes: Iterable[str]) -> str:
    """Scopes as Discourse reads them: one comma-separated string."""
    names = list(scopes)
    if not names:
        raise ValueError("at least one scope is needed")
    for name in names:
        if not name or "," in name or name != name.strip():
            raise ValueError(f"bad scope name {name!r}")
        if name == "one_time_password":
            # Delivered only through auth_redirect, and refused by the device flow.
            raise ValueError("one_time_password cannot be granted to a terminal login")
    return ",".join(names)


def _site(base_url: str) -> str:
    """The forum's address without a trailing slash; only http(s) is accepted."""
    site = base_url.strip().rstrip("/")
    parts = urlsplit(site)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LoginError(f"{clean_line(base_url)!r} is not a forum address (http:// or https://)")
    return site


def authorization_url(
    base_url: str,
    *,
    public_key_pem: str,
    client_id: str,
    nonce: str,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    application_name: str = APPLICATION_NAME,
    padding: Padding = "pkcs1",
) -> str:
    """The page where the user approves the key (the paste flow).

    No `auth_redirect`: the forum then shows the encrypted payload for the user to copy, so
    it can be opened on any device, and needs no browser or listener on this machine.
    """
    query = {
        "application_name": application_name,
        "client_id": client_id,
        "scopes": _scope_param(scopes),
        "public_key": public_key_pem,
        "nonce": nonce,
        "padding": _check_padding(padding),
    }
    return f"{_site(base_url)}/user-api-key/new?{urlencode(query)}"


def start_paste_flow(
    base_url: str,
    *,
    private_pem: str,
    public_key_pem: str,
    client_id: str,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    application_name: str = APPLICATION_NAME,
    padding: Padding = "pkcs1",
) -> PasteFlow:
    """A paste login: a fresh nonce and the address where the user approves it."""
    nonce = new_nonce()
    url = authorization_url(
        base_url,
        public_key_pem=public_key_pem,
        client_id=client_id,
        nonce=nonce,
        scopes=scopes,
        application_name=application_name,
        padding=padding,
    )
    return PasteFlow(
        url=url, nonce=nonce, client_id=client_id, padding=padding, private_pem=private_pem
    )


# Decrypting the payload


def _load_private_key(private_pem: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise LoginError(
            "The private key of this login attempt is unreadable; start the login again.",
            code="bad_private_key",
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise LoginError("The stored private key is not an RSA key.", code="bad_private_key")
    return key


def _compact(pasted: str) -> str:
    """The Base64 text alone: Discourse breaks it into 60-character lines, terminals and
    mail programs add spaces and line breaks, a URL copy has it percent-encoded."""
    text = pasted.strip().strip("\"'")
    text = text.removeprefix("payload=")
    if "%" in text:
        text = unquote(text)
    text = text.replace("\\n", "").replace("\\r", "")
    text = "".join(text.split())
    return text.translate(str.maketrans("-_", "+/"))


def _b64_chars(key_bytes: int) -> int:
    return 4 * math.ceil(key_bytes / 3)


def decrypt_payload(
    payload_b64: str,
    private_pem: str,
    *,
    padding: Padding = "pkcs1",
    expected_nonce: str,
    client_id: str | None = None,
) -> DiscourseCredentials:
    """The key inside Discourse's encrypted payload, after checking it answers our request."""
    _check_padding(padding)
    key = _load_private_key(private_pem)
    key_bytes = key.key_size // 8
    text = _compact(payload_b64)
    if not text:
        raise LoginError("Nothing was pasted.", code="bad_payload")
    text += "=" * (-len(text) % 4)
    try:
        ciphertext = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise LoginError(
            "That is not the block of text the forum showed (it is not Base64): "
            "copy only the block, from its first character to its last.",
            code="bad_payload",
        ) from None
    if len(ciphertext) != key_bytes:
        raise LoginError(
            f"The pasted text is {'incomplete' if len(ciphertext) < key_bytes else 'too long'} "
            f"({len(ciphertext)} of {key_bytes} bytes): copy the whole block, and nothing else.",
            code="bad_payload",
        )
    scheme: rsa_padding.AsymmetricPadding = (
        rsa_padding.OAEP(
            mgf=rsa_padding.MGF1(algorithm=hashes.SHA1()),
            algorithm=hashes.SHA1(),
            label=None,
        )
        if padding == "oaep"
        else rsa_padding.PKCS1v15()
    )
    wrong_key = LoginError(
        "This payload was not made for this login attempt (it does not decrypt with its "
        "key): approve the address shown by this login, then paste what the forum shows.",
        code="wrong_key",
    )
    try:
        plain = key.decrypt(ciphertext, scheme)
        # PKCS#1 v1.5 decryption rejects implicitly (the Marvin countermeasure): a wrong key
        # gives random bytes of a random length, not an error. Random bytes are rarely
        # UTF-8, but a few of them can be (about one wrong key in a hundred gives 0-3
        # bytes that are): Discourse's JSON is longer than that and has no control
        # characters, which random text almost always has.
        text_plain = plain.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise wrong_key from None
    if len(plain) < MIN_PAYLOAD or any(ord(c) < 0x20 and c not in "\t\n\r" for c in text_plain):
        raise wrong_key
    try:
        data = json.loads(text_plain)
    except ValueError:
        raise LoginError(
            "The forum's payload decrypted, but it is not the JSON Discourse sends.",
            code="bad_payload",
        ) from None
    if not isinstance(data, dict):
        raise LoginError("The forum's payload is not a JSON object.", code="bad_payload")
    nonce = data.get("nonce")
    if not isinstance(nonce, str) or not hmac.compare_digest(
        nonce.encode("utf-8"), expected_nonce.encode("utf-8")
    ):
        raise LoginError(
            "This payload answers a different login request (its nonce does not match): "
            "start the login again and paste the new payload.",
            code="nonce_mismatch",
        )
    api_key = data.get("key")
    if not isinstance(api_key, str) or not _is_token(api_key):
        raise LoginError("The forum's payload holds no usable key.", code="bad_payload")
    return DiscourseCredentials(kind="user_api_key", key=api_key, client_id=client_id)


def _is_token(value: str) -> bool:
    """A key goes into an HTTP header: letters, digits, '-' and '_' only (Discourse: hex)."""
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    return 16 <= len(value) <= 512 and set(value) <= allowed


# HTTP helpers


def _server_says(response: httpx.Response) -> str:
    """Discourse's own explanation ({"errors": [...]}), cleaned and short, or ''."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], str):
            return clean_line(errors[0])[:200]
        error = body.get("error")
        if isinstance(error, str):
            return clean_line(error)[:200]
    return ""


def _refused(what: str, response: httpx.Response, *, code: str = "refused") -> LoginError:
    detail = _server_says(response)
    return LoginError(
        f"The forum refused {what} (HTTP {response.status_code}{': ' + detail if detail else ''}).",
        code=code,
        status=response.status_code,
    )


def _unreachable(site: str, exc: Exception) -> LoginError:
    reason = clean_line(str(exc))[:200] or type(exc).__name__
    return LoginError(f"Could not reach {site}: {reason}", code="unreachable")


def _retry_after(response: httpx.Response, default: float) -> float:
    """How long a 429 asks to wait: Retry-After (seconds or a date), then Discourse's
    extras.wait_seconds, else `default` (a per-IP 429 from nginx is plain text)."""
    wait = header_retry_after(response)
    if wait is None:
        try:
            body = response.json()
        except ValueError:
            body = None
        extras = body.get("extras") if isinstance(body, dict) else None
        wait = finite_seconds(extras.get("wait_seconds")) if isinstance(extras, dict) else None
    return _clamp_wait(default if wait is None else wait)


def _clamp_wait(seconds: float) -> float:
    return min(max(seconds, 0.0), 3600.0)


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise LoginError(f"The forum's answer to {what} is not JSON.", code="bad_response")
    return body


# Device code flow


async def probe_device_flow(http: httpx.AsyncClient, base_url: str) -> bool:
    """Whether the forum offers the device-code login (any failure means no)."""
    try:
        response = await http.head(
            f"{_site(base_url)}/user-api-key/new", headers=_JSON, follow_redirects=False
        )
    except (httpx.HTTPError, httpx.InvalidURL, LoginError, ValueError, OSError):
        return False
    if response.status_code != 200:
        return False
    header: str = response.headers.get("Auth-Api-Device-Code", "")
    return header.strip().lower() == "true"


def _int_field(body: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        return default
    return min(max(value, low), high)


def _http_url(value: object, fallback: str) -> str:
    if isinstance(value, str):
        text = clean_line(value).strip()
        parts = urlsplit(text)
        if parts.scheme in ("http", "https") and parts.netloc:
            return text
    return fallback


async def start_device_flow(
    http: httpx.AsyncClient,
    base_url: str,
    *,
    public_key_pem: str,
    client_id: str,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    application_name: str = APPLICATION_NAME,
    padding: Padding = "pkcs1",
) -> DeviceFlow:
    """Ask the forum for a user code (UserApiKeysController#create_device_request)."""
    site = _site(base_url)
    nonce = new_nonce()
    body = {
        "application_name": application_name,
        "client_id": client_id,
        "scopes": _scope_param(scopes),
        "public_key": public_key_pem,
        "nonce": nonce,
        "padding": _check_padding(padding),
    }
    try:
        # JSON on purpose: the controller refuses a device request of any other type (403).
        response = await http.post(f"{site}/user-api-key/device.json", json=body, headers=_JSON)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise _unreachable(site, exc) from None
    if response.status_code == 429:
        wait = _retry_after(response, 60.0)
        raise LoginError(
            f"The forum has had too many login requests; try again in {wait:.0f} seconds.",
            code="rate_limited",
            status=429,
        )
    if response.status_code in (404, 405):
        raise _refused("a device-code login", response, code="unavailable")
    if response.status_code != 200:
        raise _refused("a device-code login", response)
    data = _json_object(response, "the device-code request")
    device_code = data.get("device_code")
    user_code = data.get("user_code")
    if not isinstance(device_code, str) or not _is_token(device_code):
        raise LoginError("The forum's device-code answer has no device code.", code="bad_response")
    if not isinstance(user_code, str) or not clean_line(user_code).strip():
        raise LoginError("The forum's device-code answer has no user code.", code="bad_response")
    activate = f"{site}/user-api-key/activate"
    verification_uri = _http_url(data.get("verification_uri"), activate)
    with_request = data.get("verification_uri_with_request")
    interval = _int_field(data, "interval", 5, 1, _MAX_INTERVAL)
    return DeviceFlow(
        base_url=site,
        device_code=device_code,
        user_code=clean_line(user_code).strip()[:32],
        verification_uri=verification_uri,
        verification_uri_with_request=_http_url(with_request, "") or None,
        expires_in=_int_field(data, "expires_in", 600, interval, 24 * 3600),
        interval=interval,
        nonce=nonce,
        client_id=client_id,
        padding=padding,
    )


async def poll_device_flow(
    http: httpx.AsyncClient,
    flow: DeviceFlow,
    private_pem: str,
    *,
    sleep: Sleep = asyncio.sleep,
) -> DiscourseCredentials:
    """Wait for the user to approve the code (UserApiKeysController#poll_device_request).

    Polls every `interval` seconds until the forum answers authorized (the payload is then
    decrypted and checked), denied or expired, or `expires_in` has passed. A 429 slows the
    polling down; a few network failures in a row end it.
    """
    url = f"{flow.base_url}/user-api-key/device/poll.json"
    interval = float(flow.interval)
    waited = 0.0
    failures = 0
    while True:
        if waited >= flow.expires_in:
            raise _expired()
        await sleep(interval)
        waited += interval
        try:
            response = await http.post(url, json={"device_code": flow.device_code}, headers=_JSON)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            failures += 1
            if failures >= _MAX_NETWORK_FAILURES:
                raise _unreachable(flow.base_url, exc) from None
            continue
        if response.status_code == 429:
            extra = _retry_after(response, interval)
            interval = min(interval + 5, float(_MAX_INTERVAL))
            await sleep(extra)
            waited += extra
            continue
        if response.status_code >= 500:
            failures += 1
            if failures >= _MAX_NETWORK_FAILURES:
                raise _refused("to report the login's state", response, code="server_error")
            continue
        failures = 0
        if response.status_code != 200:
            raise _refused("to report the login's state", response)
        data = _json_object(response, "the login poll")
        status = data.get("status")
        if status == _PENDING:
            continue
        if status == _AUTHORIZED:
            payload = data.get("payload")
            if not isinstance(payload, str):
                raise LoginError(
                    "The forum approved the login but sent no key.", code="bad_response"
                )
            return decrypt_payload(
                payload,
                private_pem,
                padding=flow.padding,
                expected_nonce=flow.nonce,
                client_id=flow.client_id,
            )
        if status == _DENIED:
            raise LoginError("The login was denied on the forum.", code="denied")
        if status == _EXPIRED:
            raise _expired()
        raise LoginError(
            f"The forum answered the login poll with an unknown status "
            f"{clean_line(str(status))[:40]!r}.",
            code="bad_response",
        )


def _expired() -> LoginError:
    return LoginError(
        "The login code expired before it was approved; run the login again.", code="expired"
    )


# The whole terminal login


def _read_payload(prompt: Callable[[str], str], expected_chars: int) -> str:
    """Everything the user pastes: a terminal hands over one line per read, and the
    forum shows the payload as several lines, so read until the block is complete or an
    empty line ends it."""
    lines: list[str] = []
    question = "Paste the text the forum shows, then press Enter: "
    while True:
        try:
            line = prompt(question)
        except EOFError:
            break
        lines.append(line)
        if not line.strip() or len(_compact("".join(lines))) >= expected_chars:
            break
        question = ""
    return "\n".join(lines)


async def with_username(
    http: httpx.AsyncClient, site: str, credentials: DiscourseCredentials
) -> DiscourseCredentials:
    """Fill in the username from /session/current.json, when the forum tells it."""
    try:
        response = await http.get(
            f"{site}/session/current.json", headers={**_JSON, **credentials.headers()}
        )
        body = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return credentials
    user = body.get("current_user") if isinstance(body, dict) else None
    name = user.get("username") if isinstance(user, dict) else None
    if isinstance(name, str) and clean_line(name).strip():
        return dataclasses.replace(credentials, username=clean_line(name).strip())
    return credentials


async def begin_login(
    http: httpx.AsyncClient,
    base_url: str,
    *,
    padding: Padding = "pkcs1",
    scopes: Iterable[str] = DEFAULT_SCOPES,
    application_name: str = APPLICATION_NAME,
) -> LoginStart:
    """Start a login: a fresh key pair and client id, the device code where the forum
    offers it, and the paste flow in any case. What to show, and how to finish, is the
    caller's: a terminal prompt (`login`) or a screen."""
    site = _site(base_url)
    scope_list = tuple(scopes)
    _scope_param(scope_list)
    _check_padding(padding)
    # A 2048-bit key takes a noticeable moment: off the event loop, so a screen stays live.
    private_pem, public_pem = await asyncio.to_thread(generate_keypair)
    client_id = new_client_id()
    paste = start_paste_flow(
        site,
        private_pem=private_pem,
        public_key_pem=public_pem,
        client_id=client_id,
        scopes=scope_list,
        application_name=application_name,
        padding=padding,
    )
    device: DeviceFlow | None = None
    refused = False
    if await probe_device_flow(http, site):
        try:
            device = await start_device_flow(
                http,
                site,
                public_key_pem=public_pem,
                client_id=client_id,
                scopes=scope_list,
                application_name=application_name,
                padding=padding,
            )
        except LoginError as exc:
            if exc.code != "unavailable":
                raise
            refused = True
    return LoginStart(paste=paste, device=device, device_refused=refused, private_pem=private_pem)


async def login(
    base_url: str,
    *,
    prompt: Callable[[str], str],
    say: Callable[[str], None],
    http: httpx.AsyncClient | None = None,
    padding: Padding = "pkcs1",
    scopes: Iterable[str] = DEFAULT_SCOPES,
    application_name: str = APPLICATION_NAME,
    sleep: Sleep = asyncio.sleep,
) -> LoginResult:
    """Log in from a terminal: device code where the forum offers it, else the paste flow.

    Nothing needs a browser on this machine: the user approves on any device (a phone is
    fine). The returned private key belongs with the other secrets (never in the config).
    """
    site = _site(base_url)
    own = http is None
    client = http if http is not None else httpx.AsyncClient(timeout=30.0)
    try:
        start = await begin_login(
            client, site, padding=padding, scopes=scopes, application_name=application_name
        )
        if start.device_refused:
            say("The forum's device login is not available; using the paste login.")
        flow = start.device
        if flow is not None:
            say("To log in, open this address on any device (a phone is fine):")
            say(flow.open_url)
            say(f"and enter the code  {flow.user_code}")
            if flow.verification_uri_with_request:
                say(f"(or open {flow.verification_uri} and type the code there)")
            minutes = max(1, flow.expires_in // 60)
            say(f"Waiting for approval; the code is valid for {minutes} minutes...")
            credentials = await poll_device_flow(client, flow, start.private_pem, sleep=sleep)
        else:
            credentials = _paste_login(start.paste, prompt=prompt, say=say)
        credentials = await with_username(client, site, credentials)
    finally:
        if own:
            await client.aclose()
    return LoginResult(credentials=credentials, private_pem=start.private_pem)


def _paste_login(
    flow: PasteFlow, *, prompt: Callable[[str], str], say: Callable[[str], None]
) -> DiscourseCredentials:
    say("To log in, open this address in a browser on any device (a phone is fine),")
    say("log in to the forum, approve the request, and copy the block of text it shows:")
    say(flow.url)
    expected = flow.expected_chars
    for attempt in range(1, _PASTE_ATTEMPTS + 1):
        pasted = _read_payload(prompt, expected)
        try:
            return flow.credentials(pasted)
        except LoginError as exc:
            if attempt == _PASTE_ATTEMPTS or exc.code == "bad_private_key":
                raise
            say(f"{exc.message} Try again.")
    raise AssertionError("unreachable")  # pragma: no cover


# Other credentials


def api_key_credentials(key: str, username: str) -> DiscourseCredentials:
    """An admin API key acting as `username` (Api-Key + Api-Username): the fallback when
    User API keys are switched off; an administrator creates the key in the admin panel."""
    key = key.strip()
    username = username.strip()
    if not _is_token(key):
        raise LoginError("That is not a Discourse API key (letters and digits).", code="bad_key")
    if not username or clean_line(username) != username:
        raise LoginError("An API key needs the username it acts as.", code="bad_key")
    return DiscourseCredentials(kind="api_key", key=key, username=username)


async def revoke(http: httpx.AsyncClient, base_url: str, credentials: DiscourseCredentials) -> bool:
    """Revoke a User API key on the forum (log out): True when revoked now, False when the
    forum no longer accepts it anyway. Admin API keys are revoked in the admin panel."""
    if credentials.kind != "user_api_key":
        raise LoginError(
            "An admin API key is revoked in the forum's admin panel, not from here.",
            code="not_revocable",
        )
    site = _site(base_url)
    try:
        response = await http.post(
            f"{site}/user-api-key/revoke.json", headers={**_JSON, **credentials.headers()}
        )
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise _unreachable(site, exc) from None
    if response.status_code == 200:
        return True
    if response.status_code in (401, 403, 404):
        return False
    raise _refused("to revoke the key", response)
