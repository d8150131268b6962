"""Discourse login: payloads encrypted exactly as Discourse encrypts them, and the
device-code and paste flows against a small fake Discourse on loopback.

The fake follows discourse/discourse:
- app/controllers/user_api_keys_controller.rb (`new` answering HEAD with Auth-Api-Version
  and Auth-Api-Device-Code; `create_device_request` and its JSON body; `poll_device_request`
  and `ensure_json_request!`; `revoke` answering success_json),
- app/services/user_api_key/device_auth.rb (codes, 10-minute TTL, 5-second interval),
- app/services/user_api_key/device_auth/poll.rb ({status} and, when authorized, {payload}),
- app/services/user_api_key/device_auth/crypto.rb (PKCS#1 v1.5 unless padding == "oaep";
  OpenSSL's OAEP defaults: SHA-1 and MGF1-SHA-1), Base64.encode64 (60-character lines),
- spec/requests/user_api_keys_controller_spec.rb (status codes for refused requests).
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tui.forum.discourse import auth
from tui.forum.discourse.auth import LoginError

# Discourse's own helpers, as the fake uses them


def ruby_encode64(data: bytes) -> str:
    """Ruby's Base64.encode64 (pack "m"): 60 characters a line, each ending in a newline."""
    return "".join(
        base64.b64encode(data[i : i + 45]).decode("ascii") + "\n" for i in range(0, len(data), 45)
    )


def discourse_encrypt(plain: bytes, public_pem: str, mode: str | None) -> str:
    """UserApiKey::DeviceAuth::Crypto.encrypt! then Base64.encode64."""
    key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    assert isinstance(key, rsa.RSAPublicKey)
    scheme: padding.AsymmetricPadding = (
        padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
        if mode == "oaep"
        else padding.PKCS1v15()
    )
    return ruby_encode64(key.encrypt(plain, scheme))


def payload_json(key: str, nonce: str) -> bytes:
    """{key, nonce, push, api}.to_json, as UserApiKeysController#create builds it."""
    return json.dumps(
        {"key": key, "nonce": nonce, "push": False, "api": 4}, separators=(",", ":")
    ).encode()


def user_code() -> str:
    """UserApiKey::DeviceAuth.generate_user_code."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    code = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


# Values from the real fixture ../shared/discourse/fixtures/session_current__core.json
# (GET /session/current.json), trimmed to the fields a login reads.
SESSION_CURRENT = {
    "current_user": {
        "id": 19,
        "username": "eviltrout",
        "name": "Robin Ward",
        "unread_notifications": 0,
        "admin": True,
        "moderator": True,
        "trust_level": 4,
    }
}
# Discourse's JSON errors (lib/json_error.rb): {"errors": [...], "error_type": ...}.
INVALID_ACCESS = {
    "errors": ["You are not permitted to view the requested resource."],
    "error_type": "invalid_access",
}
# ../shared/discourse/fixtures/error_rate_limit_429__core_test.json
RATE_LIMITED = {
    "errors": [
        "You\u2019ve performed this action too many times. "
        "Please wait 10 seconds before trying again."
    ],
    "error_type": "rate_limit",
    "extras": {"wait_seconds": 10},
}
ALLOWED_SCOPES = set(auth.CORE_SCOPES)


@dataclass
class FakeDiscourse:
    """What the fake forum remembers, and how it is told to behave."""

    device_code_header: bool = True  # False: a Discourse older than the device flow
    poll_script: list[str] = field(default_factory=lambda: ["authorized"])
    start_status: int = 200
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> {client_id, revoked}
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, content-type
    polls: int = 0

    def issue_key(self, client_id: str) -> str:
        """A new UserApiKey (SecureRandom.hex) for the user, replacing the client's old ones."""
        for data in self.keys.values():
            if data["client_id"] == client_id:
                data["revoked"] = True
        key = secrets.token_hex(16)
        self.keys[key] = {"client_id": client_id, "revoked": False}
        return key

    def active(self, request: Request) -> bool:
        data = self.keys.get(request.headers.get("User-Api-Key", ""))
        if data is None or data["revoked"]:
            return False
        client = request.headers.get("User-Api-Client-Id")
        return client is None or client == data["client_id"]

    def approve_in_browser(self, url: str) -> str:
        """The user opens the paste-flow address and approves: UserApiKeysController#create
        without auth_redirect shows Base64.encode64 of the encrypted payload."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert "auth_redirect" not in query
        key = self.issue_key(query["client_id"])
        return discourse_encrypt(
            payload_json(key, query["nonce"]), query["public_key"], query.get("padding")
        )


def fake_discourse_app(fake: FakeDiscourse) -> Starlette:
    def note(request: Request) -> None:
        fake.seen.append(
            (request.method, request.url.path, request.headers.get("content-type", ""))
        )

    async def new(request: Request) -> Response:
        note(request)
        # `head :ok, auth_api_version: AUTH_API_VERSION, auth_api_device_code: "true"`;
        # before the device flow existed: `head :ok, auth_api_version: AUTH_API_VERSION`.
        headers = {"Auth-Api-Version": "4"}
        if fake.device_code_header:
            headers["Auth-Api-Device-Code"] = "true"
        return Response(status_code=200, headers=headers)

    def json_request(request: Request) -> bool:
        return request.headers.get("content-type", "").startswith("application/json")

    async def create_device_request(request: Request) -> Response:
        note(request)
        if not json_request(request):  # ensure_json_request! -> Discourse::InvalidAccess
            return JSONResponse(INVALID_ACCESS, status_code=403)
        if fake.start_status == 429:
            return JSONResponse(RATE_LIMITED, status_code=429)
        params = await request.json()
        missing = [
            p for p in ("nonce", "scopes", "client_id", "application_name") if not params.get(p)
        ]
        if missing:
            return JSONResponse(
                {"errors": [f"param is missing or the value is empty: {missing[0]}"]},
                status_code=400,
            )
        scopes = params["scopes"].split(",")
        if "one_time_password" in scopes or params.get("padding") not in (None, "pkcs1", "oaep"):
            return JSONResponse(
                {"errors": ["You supplied invalid parameters to the request: scopes"]},
                status_code=400,
            )
        if not set(scopes) <= ALLOWED_SCOPES:
            return JSONResponse(INVALID_ACCESS, status_code=403)
        serialization.load_pem_public_key(params["public_key"].encode())  # "has got to parse"
        device_code = secrets.token_hex(32)
        token = secrets.token_urlsafe(6)[:8]
        fake.grants[device_code] = {**params, "user_code": user_code(), "request_token": token}
        verification_uri = f"{str(request.base_url).rstrip('/')}/user-api-key/activate"
        return JSONResponse(
            {
                "device_code": device_code,
                "user_code": fake.grants[device_code]["user_code"],
                "verification_uri": verification_uri,
                "verification_uri_with_request": f"{verification_uri}?request={quote(token)}",
                "expires_in": 600,  # DEVICE_AUTH_TTL
                "interval": 5,  # DEVICE_AUTH_INTERVAL
            }
        )

    async def poll_device_request(request: Request) -> Response:
        note(request)
        if not json_request(request):
            return JSONResponse(INVALID_ACCESS, status_code=403)
        body = await request.json()
        grant = fake.grants.get(body.get("device_code", ""))
        if grant is None:
            return JSONResponse({"status": "expired_token"})
        step = fake.poll_script[min(fake.polls, len(fake.poll_script) - 1)]
        fake.polls += 1
        if step == "429":
            return JSONResponse(RATE_LIMITED, status_code=429)
        if step == "429-plain":  # a per-IP limit from nginx: plain text, Retry-After only
            return PlainTextResponse("Too Many Requests", 429, headers={"Retry-After": "7"})
        if step != "authorized":
            return JSONResponse({"status": step})
        key = fake.issue_key(grant["client_id"])
        payload = discourse_encrypt(
            payload_json(key, grant["nonce"]), grant["public_key"], grant.get("padding")
        )
        fake.grants.pop(body["device_code"])  # GrantStore.consume_authorized
        return JSONResponse({"status": "authorized", "payload": payload})

    async def session_current(request: Request) -> Response:
        note(request)
        if not fake.active(request):
            return JSONResponse(
                {"errors": ["The requested URL or resource could not be found."]},
                status_code=404,
            )
        return JSONResponse(SESSION_CURRENT)

    async def revoke(request: Request) -> Response:
        note(request)
        if not fake.active(request):  # requires_login: an unknown or revoked key
            return JSONResponse(INVALID_ACCESS, status_code=403)
        fake.keys[request.headers["User-Api-Key"]]["revoked"] = True
        return JSONResponse({"success": "OK"})

    return Starlette(
        routes=[
            Route("/user-api-key/new", new, methods=["HEAD"]),
            Route("/user-api-key/device.json", create_device_request, methods=["POST"]),
            Route("/user-api-key/device/poll.json", poll_device_request, methods=["POST"]),
            Route("/user-api-key/revoke.json", revoke, methods=["POST"]),
            Route("/session/current.json", session_current, methods=["GET"]),
        ]
    )


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Run `app` with uvicorn in a thread on 127.0.0.1 and a free port; always stopped."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", loop="asyncio", http="h11")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake Discourse did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def fake() -> Iterator[tuple[FakeDiscourse, str]]:
    state = FakeDiscourse()
    with serving(fake_discourse_app(state)) as url:
        yield state, url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        yield client


class Sleeps:
    """An instant `sleep` that remembers what it was asked to wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture(scope="module")
def keypair() -> tuple[str, str]:
    return auth.generate_keypair()


# Keys, identifiers and the payload


def test_keypair_is_rsa_2048_in_pem(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    public = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.public_numbers() == private.public_key().public_numbers()
    assert auth.generate_keypair()[0] != private_pem


def test_client_ids_and_nonces_are_fresh_hex() -> None:
    ids = {auth.new_client_id() for _ in range(5)}
    nonces = {auth.new_nonce() for _ in range(5)}
    assert len(ids) == 5 and len(nonces) == 5
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids | nonces)


@pytest.mark.parametrize("mode", ["pkcs1", "oaep"])
def test_payload_round_trip(keypair: tuple[str, str], mode: auth.Padding) -> None:
    private_pem, public_pem = keypair
    nonce = auth.new_nonce()
    pasted = discourse_encrypt(payload_json("a" * 32, nonce), public_pem, mode)
    assert "\n" in pasted.strip()  # several lines, as the forum shows it
    credentials = auth.decrypt_payload(
        pasted, private_pem, padding=mode, expected_nonce=nonce, client_id="client-1"
    )
    assert credentials.kind == "user_api_key"
    assert credentials.key == "a" * 32
    assert credentials.client_id == "client-1"


def test_oaep_is_sha1_as_discourse_uses_it(keypair: tuple[str, str]) -> None:
    """OAEP with SHA-256 (not what OpenSSL's defaults give Discourse) does not decrypt."""
    private_pem, public_pem = keypair
    nonce = auth.new_nonce()
    key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    sha256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    pasted = ruby_encode64(key.encrypt(payload_json("b" * 32, nonce), sha256))
    with pytest.raises(LoginError) as caught:
        auth.decrypt_payload(pasted, private_pem, padding="oaep", expected_nonce=nonce)
    assert caught.value.code == "wrong_key"


def test_pasted_text_may_be_mangled_by_terminals(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    nonce = auth.new_nonce()
    pasted = discourse_encrypt(payload_json("c" * 32, nonce), public_pem, "pkcs1")
    variants = [
        "   " + pasted.replace("\n", "\r\n    ") + "  \n\n",  # indented, CRLF
        pasted.replace("\n", " "),  # joined with spaces
        pasted.replace("\n", ""),  # one line
        "payload=" + quote_plus(pasted),  # copied from a redirect URL (CGI.escape)
        json.dumps(pasted),  # copied from the JSON answer, quotes and \n escapes included
    ]
    for variant in variants:
        credentials = auth.decrypt_payload(
            variant, private_pem, padding="pkcs1", expected_nonce=nonce
        )
        assert credentials.key == "c" * 32, variant


def test_nonce_mismatch_is_refused(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    pasted = discourse_encrypt(payload_json("d" * 32, "an-old-nonce"), public_pem, "pkcs1")
    with pytest.raises(LoginError) as caught:
        auth.decrypt_payload(pasted, private_pem, padding="pkcs1", expected_nonce="the-new-nonce")
    assert caught.value.code == "nonce_mismatch"
    assert "nonce" in caught.value.message and "again" in caught.value.message


@pytest.mark.parametrize(
    ("pasted", "words"),
    [
        ("", "Nothing was pasted"),
        ("   \n  ", "Nothing was pasted"),
        ("hello, world!", "not Base64"),
        ("SGVsbG8gd29ybGQ=", "incomplete"),
    ],
)
def test_garbage_is_refused_readably(keypair: tuple[str, str], pasted: str, words: str) -> None:
    with pytest.raises(LoginError) as caught:
        auth.decrypt_payload(pasted, keypair[0], padding="pkcs1", expected_nonce="n")
    assert caught.value.code == "bad_payload"
    assert words in caught.value.message


def test_a_truncated_copy_is_named_incomplete(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    lines = discourse_encrypt(payload_json("e" * 32, "n"), public_pem, "pkcs1").splitlines()
    with pytest.raises(LoginError) as caught:
        auth.decrypt_payload("\n".join(lines[:-2]), private_pem, expected_nonce="n")
    assert "incomplete" in caught.value.message and "of 256 bytes" in caught.value.message


def test_a_payload_for_another_key_is_refused(keypair: tuple[str, str]) -> None:
    other_private, other_public = auth.generate_keypair()
    pasted = discourse_encrypt(payload_json("f" * 32, "n"), other_public, "pkcs1")
    with pytest.raises(LoginError) as caught:
        auth.decrypt_payload(pasted, keypair[0], padding="pkcs1", expected_nonce="n")
    assert caught.value.code == "wrong_key"
    assert "not made for this login" in caught.value.message
    # ... and it does open with its own key.
    assert auth.decrypt_payload(pasted, other_private, expected_nonce="n").key == "f" * 32


@pytest.mark.parametrize(("made", "asked"), [("pkcs1", "oaep"), ("oaep", "pkcs1")])
def test_the_wrong_padding_is_refused_not_a_traceback(
    keypair: tuple[str, str], made: str, asked: auth.Padding
) -> None:
    private_pem, public_pem = keypair
    pasted = discourse_encrypt(payload_json("g" * 32, "n"), public_pem, made)
    with pytest.raises(LoginError) as caught:
        auth.decrypt_payload(pasted, private_pem, padding=asked, expected_nonce="n")
    assert caught.value.code == "wrong_key"


def test_a_plaintext_that_is_not_text_reads_as_the_wrong_key(keypair: tuple[str, str]) -> None:
    """PKCS#1 v1.5 decryption with the wrong key yields random bytes, never an error."""
    private_pem, public_pem = keypair
    pasted = discourse_encrypt(b"\xff\xfe\x00binary", public_pem, "pkcs1")
    with pytest.raises(LoginError) as caught:
        auth.decrypt_payload(pasted, private_pem, padding="pkcs1", expected_nonce="n")
    assert caught.value.code == "wrong_key"


@pytest.mark.parametrize(
    "plain", [b"", b"a", b"{}", b"\x01\x02\x03", b"long enough\x07but not text"]
)
def test_short_or_control_character_plaintexts_read_as_the_wrong_key(
    keypair: tuple[str, str], plain: bytes
) -> None:
    """What a wrong key's random bytes look like when they happen to be UTF-8 (about one
    wrong key in a hundred): too short for Discourse's JSON, or with control characters."""
    private_pem, public_pem = keypair
    pasted = discourse_encrypt(plain, public_pem, "pkcs1")
    with pytest.raises(LoginError) as caught:
        auth.decrypt_payload(pasted, private_pem, padding="pkcs1", expected_nonce="n")
    assert caught.value.code == "wrong_key"


@pytest.mark.parametrize(
    ("plain", "words"),
    [
        (b"this is not json", "not the JSON"),
        (b'["a", "list"]', "not a JSON object"),
        (b'{"nonce": "n", "push": false, "api": 4}', "no usable key"),
        (b'{"key": "bad key\\r\\nX-Evil: 1", "nonce": "n"}', "no usable key"),
    ],
)
def test_a_decrypted_payload_that_is_not_discourses_is_refused(
    keypair: tuple[str, str], plain: bytes, words: str
) -> None:
    private_pem, public_pem = keypair
    pasted = discourse_encrypt(plain, public_pem, "pkcs1")
    with pytest.raises(LoginError) as caught:
        auth.decrypt_payload(pasted, private_pem, padding="pkcs1", expected_nonce="n")
    assert caught.value.code == "bad_payload"
    assert words in caught.value.message


def test_an_unreadable_private_key_is_a_login_error() -> None:
    with pytest.raises(LoginError) as caught:
        auth.decrypt_payload("AAAA", "not a key", expected_nonce="n")
    assert caught.value.code == "bad_private_key"


# The authorization address


def test_authorization_url_has_every_parameter_and_no_redirect(keypair: tuple[str, str]) -> None:
    public_pem = keypair[1]
    url = auth.authorization_url(
        "https://forum.example.org/community/",
        public_key_pem=public_pem,
        client_id="cid",
        nonce="n0nce",
        padding="oaep",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "forum.example.org",
        "/community/user-api-key/new",
    )
    query = parse_qs(parts.query, strict_parsing=True)
    assert {k: v[0] for k, v in query.items()} == {
        "application_name": "Cohort",
        "client_id": "cid",
        "scopes": "read,write,notifications,session_info,message_bus",
        "public_key": public_pem,
        "nonce": "n0nce",
        "padding": "oaep",
    }
    assert all(len(v) == 1 for v in query.values())
    assert "auth_redirect" not in query and "push_url" not in query


def test_default_scopes_exist_in_discourse() -> None:
    assert set(auth.DEFAULT_SCOPES) <= auth.CORE_SCOPES
    url = auth.authorization_url(
        "http://f.test", public_key_pem="k", client_id="c", nonce="n", scopes=["read"]
    )
    assert parse_qs(urlsplit(url).query)["scopes"] == ["read"]
    assert parse_qs(urlsplit(url).query)["padding"] == ["pkcs1"]


@pytest.mark.parametrize("scopes", [[], ["read", ""], ["read,write"], ["one_time_password"]])
def test_bad_scopes_are_a_programming_error(scopes: list[str]) -> None:
    with pytest.raises(ValueError):
        auth.authorization_url(
            "http://f.test", public_key_pem="k", client_id="c", nonce="n", scopes=scopes
        )


def test_only_http_forums() -> None:
    with pytest.raises(LoginError) as caught:
        auth.authorization_url("ftp://f.test", public_key_pem="k", client_id="c", nonce="n")
    assert "not a forum address" in caught.value.message


# Probing for the device flow


async def test_probe_sees_the_device_code_header(
    fake: tuple[FakeDiscourse, str], http: httpx.AsyncClient
) -> None:
    state, url = fake
    assert await auth.probe_device_flow(http, url) is True
    assert state.seen == [("HEAD", "/user-api-key/new", "")]
    state.device_code_header = False
    assert await auth.probe_device_flow(http, url + "/") is False


async def test_probe_failures_mean_no_device_flow(
    fake: tuple[FakeDiscourse, str], http: httpx.AsyncClient
) -> None:
    _, url = fake
    assert await auth.probe_device_flow(http, url + "/no-forum-here") is False  # 404
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    assert await auth.probe_device_flow(http, f"http://127.0.0.1:{port}") is False
    assert await auth.probe_device_flow(http, "not a url") is False


# The device flow


async def start(
    http: httpx.AsyncClient, url: str, public_pem: str, mode: auth.Padding = "pkcs1"
) -> auth.DeviceFlow:
    return await auth.start_device_flow(
        http,
        url,
        public_key_pem=public_pem,
        client_id="client-7",
        scopes=auth.DEFAULT_SCOPES,
        application_name="Cohort",
        padding=mode,
    )


@pytest.mark.parametrize("mode", ["pkcs1", "oaep"])
async def test_device_flow_pending_pending_approved(
    fake: tuple[FakeDiscourse, str],
    http: httpx.AsyncClient,
    keypair: tuple[str, str],
    mode: auth.Padding,
) -> None:
    state, url = fake
    state.poll_script = ["authorization_pending", "authorization_pending", "authorized"]
    private_pem, public_pem = keypair
    flow = await start(http, url, public_pem, mode)

    [(device_code, grant)] = state.grants.items()
    assert flow.device_code == device_code and re.fullmatch(r"[0-9a-f]{64}", device_code)
    assert flow.user_code == grant["user_code"]
    assert flow.verification_uri == f"{url}/user-api-key/activate"
    assert flow.open_url == f"{url}/user-api-key/activate?request={grant['request_token']}"
    assert (flow.interval, flow.expires_in, flow.padding) == (5, 600, mode)
    assert grant["public_key"] == public_pem and grant["nonce"] == flow.nonce
    assert grant["scopes"] == "read,write,notifications,session_info,message_bus"
    assert (grant["client_id"], grant["application_name"], grant["padding"]) == (
        "client-7",
        "Cohort",
        mode,
    )
    assert "auth_redirect" not in grant

    sleeps = Sleeps()
    credentials = await auth.poll_device_flow(http, flow, private_pem, sleep=sleeps)
    assert credentials.kind == "user_api_key" and credentials.client_id == "client-7"
    assert state.keys[credentials.key] == {"client_id": "client-7", "revoked": False}
    assert state.polls == 3 and sleeps.calls == [5, 5, 5]
    # Every device request went as JSON, which the controller insists on.
    posts = [seen for seen in state.seen if seen[0] == "POST"]
    assert len(posts) == 4 and all(ct == "application/json" for _, _, ct in posts)


async def test_device_flow_denied(
    fake: tuple[FakeDiscourse, str], http: httpx.AsyncClient, keypair: tuple[str, str]
) -> None:
    state, url = fake
    state.poll_script = ["authorization_pending", "access_denied"]
    flow = await start(http, url, keypair[1])
    with pytest.raises(LoginError) as caught:
        await auth.poll_device_flow(http, flow, keypair[0], sleep=Sleeps())
    assert caught.value.code == "denied" and "denied" in caught.value.message
    assert state.polls == 2


async def test_device_flow_expired_on_the_forum(
    fake: tuple[FakeDiscourse, str], http: httpx.AsyncClient, keypair: tuple[str, str]
) -> None:
    state, url = fake
    state.poll_script = ["authorization_pending", "expired_token"]
    flow = await start(http, url, keypair[1])
    with pytest.raises(LoginError) as caught:
        await auth.poll_device_flow(http, flow, keypair[0], sleep=Sleeps())
    assert caught.value.code == "expired" and "expired" in caught.value.message


async def test_device_flow_gives_up_when_the_code_has_lapsed(
    fake: tuple[FakeDiscourse, str], http: httpx.AsyncClient, keypair: tuple[str, str]
) -> None:
    state, url = fake
    state.poll_script = ["authorization_pending"]
    flow = dataclasses.replace(await start(http, url, keypair[1]), expires_in=20)
    sleeps = Sleeps()
    with pytest.raises(LoginError) as caught:
        await auth.poll_device_flow(http, flow, keypair[0], sleep=sleeps)
    assert caught.value.code == "expired"
    assert sum(sleeps.calls) == 20 and state.polls == 4


async def test_device_flow_slows_down_when_rate_limited(
    fake: tuple[FakeDiscourse, str], http: httpx.AsyncClient, keypair: tuple[str, str]
) -> None:
    state, url = fake
    state.poll_script = ["429", "429-plain", "authorized"]
    flow = await start(http, url, keypair[1])
    sleeps = Sleeps()
    credentials = await auth.poll_device_flow(http, flow, keypair[0], sleep=sleeps)
    assert credentials.key in state.keys
    # 5, then extras.wait_seconds (10) and a longer interval; then Retry-After (7) on the
    # plain-text 429, and longer again.
    assert sleeps.calls == [5, 10, 10, 7, 15]


async def test_a_stale_device_code_is_expired(
    fake: tuple[FakeDiscourse, str], http: httpx.AsyncClient, keypair: tuple[str, str]
) -> None:
    state, url = fake
    flow = await start(http, url, keypair[1])
    state.grants.clear()  # the grant has left Redis
    with pytest.raises(LoginError) as caught:
        await auth.poll_device_flow(http, flow, keypair[0], sleep=Sleeps())
    assert caught.value.code == "expired"


async def test_device_start_refusals_are_login_errors(
    fake: tuple[FakeDiscourse, str], http: httpx.AsyncClient, keypair: tuple[str, str]
) -> None:
    state, url = fake
    with pytest.raises(LoginError) as caught:
        await auth.start_device_flow(
            http, url, public_key_pem=keypair[1], client_id="c", scopes=["read", "admin"]
        )
    assert caught.value.status == 403
    assert "not permitted" in caught.value.message  # Discourse's own words, passed on
    state.start_status = 429
    with pytest.raises(LoginError) as caught:
        await start(http, url, keypair[1])
    assert caught.value.code == "rate_limited" and "10 seconds" in caught.value.message
    with pytest.raises(LoginError) as caught:
        await start(http, url + "/missing", keypair[1])
    assert caught.value.code == "unavailable"


# The whole login


async def test_login_with_a_device_code(
    fake: tuple[FakeDiscourse, str], http: httpx.AsyncClient
) -> None:
    state, url = fake
    state.poll_script = ["authorization_pending", "authorized"]
    said: list[str] = []

    def no_prompt(question: str) -> str:
        raise AssertionError("the device flow asks nothing")

    result = await auth.login(url, prompt=no_prompt, say=said.append, http=http, sleep=Sleeps())

    credentials = result.credentials
    assert credentials.kind == "user_api_key"
    assert state.keys[credentials.key]["client_id"] == credentials.client_id
    assert credentials.username == "eviltrout"  # from /session/current.json with the new key
    seen_paths = [path for _, path, _ in state.seen]
    assert seen_paths == [
        "/user-api-key/new",
        "/user-api-key/device.json",
        "/user-api-key/device/poll.json",
        "/user-api-key/device/poll.json",
        "/session/current.json",
    ]
    text = "\n".join(said)
    assert f"{url}/user-api-key/activate?request=" in text
    assert re.search(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b", text)
    # The private key returned is the one the forum encrypted to.
    private = serialization.load_pem_private_key(result.private_pem.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert not state.grants  # consumed


async def test_login_by_pasting_when_there_is_no_device_flow(
    fake: tuple[FakeDiscourse, str], http: httpx.AsyncClient
) -> None:
    state, url = fake
    state.device_code_header = False
    said: list[str] = []
    questions: list[str] = []
    lines: list[str] = []

    def prompt(question: str) -> str:
        """The user opens the address said on another device, approves, and pastes; the
        terminal hands over the forum's payload one line at a time."""
        questions.append(question)
        if not questions[:-1]:  # approves once; after the paste, only Enter
            address = next(s for s in said if "/user-api-key/new?" in s)
            lines.extend(state.approve_in_browser(address).splitlines())
        return lines.pop(0) if lines else ""

    result = await auth.login(url, prompt=prompt, say=said.append, padding="oaep", http=http)

    assert result.credentials.username == "eviltrout"
    assert state.keys[result.credentials.key]["client_id"] == result.credentials.client_id
    assert len(questions) == 6 and not lines  # 344 Base64 characters in 60-character lines
    assert "Paste" in questions[0] and questions[1:] == [""] * 5
    address = next(s for s in said if "/user-api-key/new?" in s)
    query = parse_qs(urlsplit(address).query)
    assert query["padding"] == ["oaep"] and query["client_id"] == [result.credentials.client_id]
    assert "any device" in "\n".join(said)
    assert [path for _, path, _ in state.seen] == ["/user-api-key/new", "/session/current.json"]


async def test_login_lets_a_bad_paste_be_tried_again(
    fake: tuple[FakeDiscourse, str], http: httpx.AsyncClient
) -> None:
    state, url = fake
    state.device_code_header = False
    said: list[str] = []
    answers: list[str] = ["this is not it", "", "???", ""]
    approved: list[str] = []

    def prompt(question: str) -> str:
        if not answers and not approved:  # the third try: the real payload, as one line
            address = next(s for s in said if "/user-api-key/new?" in s)
            approved.append(state.approve_in_browser(address).replace("\n", " "))
            return approved[0]
        return answers.pop(0) if answers else ""

    result = await auth.login(url, prompt=prompt, say=said.append, http=http)
    assert result.credentials.key in state.keys
    assert sum("Try again" in line for line in said) == 2


async def test_login_gives_up_after_three_bad_pastes(
    fake: tuple[FakeDiscourse, str], http: httpx.AsyncClient
) -> None:
    state, url = fake
    state.device_code_header = False
    typed = itertools.cycle(["garbage!", ""])  # a line, then Enter
    questions: list[str] = []

    def prompt(question: str) -> str:
        questions.append(question)
        return next(typed)

    with pytest.raises(LoginError) as caught:
        await auth.login(url, prompt=prompt, say=lambda s: None, http=http)
    assert caught.value.code == "bad_payload"
    assert len(questions) == 6  # three tries of a line and Enter


# Admin API keys and revoking


def test_api_key_credentials() -> None:
    credentials = auth.api_key_credentials("  " + "ab12" * 16 + "\n", " system ")
    assert (credentials.kind, credentials.key, credentials.username) == (
        "api_key",
        "ab12" * 16,
        "system",
    )
    assert credentials.client_id is None
    with pytest.raises(LoginError):
        auth.api_key_credentials("not a key!", "system")
    with pytest.raises(LoginError):
        auth.api_key_credentials("ab12" * 16, "  ")


async def test_revoke_a_user_api_key(
    fake: tuple[FakeDiscourse, str], http: httpx.AsyncClient
) -> None:
    state, url = fake
    key = state.issue_key("client-9")
    credentials = auth.DiscourseCredentials(kind="user_api_key", key=key, client_id="client-9")
    assert await auth.revoke(http, url, credentials) is True
    assert state.keys[key]["revoked"] is True
    assert await auth.revoke(http, url, credentials) is False  # already refused by the forum
    with pytest.raises(LoginError) as caught:
        await auth.revoke(http, url, auth.api_key_credentials("ab12" * 16, "system"))
    assert caught.value.code == "not_revocable"


async def test_revoke_when_the_forum_is_unreachable(http: httpx.AsyncClient) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    credentials = auth.DiscourseCredentials(kind="user_api_key", key="ab" * 16, client_id="c")
    with pytest.raises(LoginError) as caught:
        await auth.revoke(http, f"http://127.0.0.1:{port}", credentials)
    assert caught.value.code == "unreachable"
    assert f"127.0.0.1:{port}" in caught.value.message
