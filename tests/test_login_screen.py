"""The login screen, driven through Textual's Pilot against real forums: Cohort's server
as a real process (on a Unix socket, and on 127.0.0.1 with passwords and tokens), and
Discourse as the loopback fake serving its real responses (tests/fake_discourse.py), with
the User API key endpoints of tests/test_discourse_auth.py's fake in front of it.

Each test asserts what was saved: the profile in profiles.toml and its secrets.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import pwd
import socket
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from textual import events
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, RadioButton, RadioSet, Static, TextArea

from tests.fake_discourse import FakeDiscourse, RunningFake, serving
from tests.pilot import settle
from tests.serverproc import ServerProcess, run_cohort
from tests.test_discourse_auth import FakeDiscourse as KeyFake
from tests.test_discourse_auth import fake_discourse_app as key_routes
from tests.test_discourse_auth import serving as serving_app
from tui.app import CohortApp
from tui.first_run import LoginApp
from tui.forum.config import Profile, load_config, save_profile
from tui.forum.secrets import SecretStore
from tui.screens.login import LoginScreen, Step

PASSWORD = "correct horse battery"
SIZES = [(80, 24), (120, 40)]


# -- helpers -----------------------------------------------------------------------------------


def profiles_file() -> dict[str, Any]:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "cohort" / "profiles.toml"
    return tomllib.loads(path.read_text())


def secret(profile: str, key: str) -> str | None:
    return SecretStore(backend="file").get(profile, key)


def login_screen(app: Any) -> LoginScreen:
    screen = app.screen
    assert isinstance(screen, LoginScreen), screen
    return screen


def text_of(app: Any, selector: str) -> str:
    widget = login_screen(app).query_one(selector, Static)
    content = widget.render()
    return str(content.plain if isinstance(content, Content) else content)


def step_of(screen: LoginScreen) -> Step:
    """The screen's step, read afresh (a function, so a type checker does not narrow it)."""
    return screen.step


def busy(screen: LoginScreen) -> bool:
    return screen.busy


async def type_into(pilot: Pilot[Any], selector: str, text: str) -> None:
    """Focus a field and type, key by key, as a user does."""
    login_screen(pilot.app).query_one(selector).focus()
    await pilot.press(*[c if c != " " else "space" for c in text])


class Gate:
    """A `sleep` for the device-code polling that waits until the test opens it, so what
    the screen shows while waiting for approval can be looked at."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.calls = 0

    async def __call__(self, seconds: float) -> None:
        self.calls += 1
        await self.open.wait()


# -- fixtures ----------------------------------------------------------------------------------


@dataclass
class Discourse:
    """The fake Discourse (real responses) with the User API key endpoints in front."""

    keys: KeyFake
    running: RunningFake

    @property
    def url(self) -> str:
        return self.running.url


@contextmanager
def discourse(*, device: bool) -> Iterator[Discourse]:
    keys = KeyFake(device_code_header=device)
    keys.poll_script = ["authorization_pending", "authorized"]
    forum = FakeDiscourse()
    # Starlette tries routes in order: the key endpoints (and /session/current.json, which
    # knows the keys they issue), then the forum's own.
    forum.app = Starlette(routes=[*key_routes(keys).routes, *forum.app.routes])
    with serving(forum) as running:
        yield Discourse(keys, running)


@pytest.fixture
def member(tcp_server: ServerProcess) -> ServerProcess:
    """A TCP server with a member, maya, who has a password."""
    done = tcp_server.admin("add-user", "maya", "--password-stdin", input=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    return tcp_server


def token_works(server: ServerProcess, token: str | None, username: str) -> bool:
    with server.client(token) as client:
        answer = client.get("/api/v1/me")
    return answer.status_code == 200 and answer.json()["username"] == username


# -- Cohort's server ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_a_server_on_a_unix_socket(unix_server: ServerProcess, size: tuple[int, int]) -> None:
    app = LoginApp(str(unix_server.socket))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = login_screen(app)
        assert step_of(screen) is Step.NAME  # nothing to type: the uid is the identity
        assert f"You are {pwd.getpwuid(os.getuid()).pw_name}" in text_of(app, "#login-who")
        name = screen.query_one("#login-profile-name", Input)
        assert name.value == "cohort"  # from the server's name
        assert name.region.bottom <= size[1] - 1  # on screen, above the footer
        await pilot.press("ctrl+s")
        await pilot.pause()
    profile = app.return_value
    assert isinstance(profile, Profile)
    assert profile.kind == "socket" and profile.socket == str(unix_server.socket)
    saved = profiles_file()["profiles"]["cohort"]
    assert saved == {"kind": "socket", "socket": str(unix_server.socket), "auth": "peer"}
    assert load_config().profile("cohort").socket == str(unix_server.socket)


@pytest.mark.parametrize("size", SIZES)
async def test_a_server_by_url_with_a_password(
    member: ServerProcess, size: tuple[int, int]
) -> None:
    app = LoginApp(member.base_url)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = login_screen(app)
        assert step_of(screen) is Step.LOGIN
        assert "Cohort's server at" in text_of(app, "#login-forum")
        assert screen.focused is screen.query_one("#login-username")
        await pilot.press(*"maya", "enter")  # enter moves on to the password
        assert screen.focused is screen.query_one("#login-password")
        await type_into(pilot, "#login-password", PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert step_of(screen) is Step.NAME
        assert "Logged in as maya" in text_of(app, "#login-who")
        name = screen.query_one("#login-profile-name", Input)
        assert name.value == member.base_url.split("://")[1].replace(":", "-")  # its host
        name.value = "club"
        screen.query_one("#login-default", Checkbox).value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert isinstance(app.return_value, Profile) and app.return_value.name == "club"
    saved = profiles_file()
    assert saved["default_profile"] == "club"
    assert saved["profiles"]["club"] == {
        "kind": "cohort",
        "url": member.base_url,
        "username": "maya",
        "auth": "token",
    }
    assert load_config().profile().name == "club"
    token = secret("club", "token")
    assert token and token_works(member, token, "maya")
    assert (
        PASSWORD not in (Path(os.environ["XDG_DATA_HOME"]) / "cohort" / "secrets.toml").read_text()
    )


async def test_a_wrong_password_is_said_and_nothing_typed_is_lost(member: ServerProcess) -> None:
    app = LoginApp(member.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = login_screen(app)
        await type_into(pilot, "#login-username", "maya")
        await type_into(pilot, "#login-password", "not the password")
        await pilot.press("enter")
        await settle(pilot)
        assert step_of(screen) is Step.LOGIN
        assert "wrong username or password" in text_of(app, "#login-error")
        assert screen.query_one("#login-username", Input).value == "maya"
        assert screen.query_one("#login-password", Input).value == "not the password"
        assert screen.focused is screen.query_one("#login-password")
        screen.query_one("#login-password", Input).value = PASSWORD
        await pilot.press("enter")
        await settle(pilot)
        assert step_of(screen) is Step.NAME
        assert text_of(app, "#login-error") == ""
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert isinstance(app.return_value, Profile)
    assert token_works(member, secret(app.return_value.name, "token"), "maya")


async def test_a_token_from_an_administrator(member: ServerProcess) -> None:
    token = member.token_for("maya")
    app = LoginApp(member.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = login_screen(app)
        ways = screen.query_one("#login-cohort-way", RadioSet)
        ways.focus()
        await pilot.press("down", "enter")  # the second way: a token
        await pilot.pause()
        assert screen.query_one("#login-token").display
        assert not screen.query_one("#login-password-fields").display
        await type_into(pilot, "#login-token", "cht_not-a-real-token")
        await pilot.press("enter")
        await settle(pilot)
        assert step_of(screen) is Step.LOGIN
        assert "token is unknown or revoked" in text_of(app, "#login-error")
        screen.query_one("#login-token", Input).value = token
        await pilot.press("enter")
        await settle(pilot)
        assert "Logged in as maya" in text_of(app, "#login-who")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert isinstance(app.return_value, Profile)
    assert secret(app.return_value.name, "token") == token


async def test_unreachable_not_a_forum_and_the_wrong_kind_are_said(
    member: ServerProcess, unused_tcp_port: int
) -> None:
    app = LoginApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = login_screen(app)
        address = screen.query_one("#login-address", Input)
        address.value = f"http://127.0.0.1:{unused_tcp_port}"
        await pilot.press("enter")
        await settle(pilot)
        assert step_of(screen) is Step.WHERE
        assert "cannot reach" in text_of(app, "#login-error")
        assert address.value == f"http://127.0.0.1:{unused_tcp_port}"

        # Only the key endpoints: neither Cohort's /api/v1/site nor /site.json.
        with serving_app(key_routes(KeyFake())) as bare:
            address.value = bare
            await pilot.press("enter")
            await settle(pilot)
            assert "neither a Cohort server nor a Discourse forum" in text_of(app, "#login-error")
        # Cohort's server, said to be Discourse.
        address.value = member.base_url
        screen.query_one("#login-kind", RadioSet).query(RadioButton)[3].value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "is Cohort's server, not a Discourse forum" in text_of(app, "#login-error")
        assert step_of(screen) is Step.WHERE
        # A socket path nothing listens on.
        screen.query_one("#login-kind", RadioSet).query(RadioButton)[0].value = True
        address.value = str(Path(os.environ["XDG_DATA_HOME"]) / "no.sock")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "No Cohort server answers on" in text_of(app, "#login-error")
        await pilot.press("escape")  # from the first step: leave, saving nothing
        await pilot.pause()
    assert app.return_value is None
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "cohort" / "profiles.toml").exists()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no authority signed, and its key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


async def test_a_certificate_this_machine_does_not_trust_is_said(tmp_path: Path) -> None:
    cert_file, key_file = self_signed(tmp_path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        Starlette(),
        log_level="critical",
        lifespan="off",
        ssl_certfile=str(cert_file),
        ssl_keyfile=str(key_file),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        app = LoginApp(f"https://127.0.0.1:{port}")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = login_screen(app)
            assert step_of(screen) is Step.WHERE
            error = text_of(app, "#login-error")
            assert "TLS certificate was not accepted" in error, error
            assert screen.query_one("#login-address", Input).value == f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


# -- Discourse -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_discourse_with_a_device_code(size: tuple[int, int]) -> None:
    gate = Gate()
    with discourse(device=True) as forum:
        app = LoginApp(forum.url, sleep=gate)
        async with app.run_test(size=size) as pilot:
            for _ in range(100):  # the worker waits at the gate: settle() would too
                await pilot.pause(0.05)
                if gate.calls:
                    break
            screen = login_screen(app)
            assert step_of(screen) is Step.LOGIN
            (grant,) = forum.keys.grants.values()
            shown = text_of(app, "#login-device")
            assert grant["user_code"] in shown
            assert f"{forum.url}/user-api-key/activate?request=" in shown
            assert "Waiting for your approval" in text_of(app, "#login-status")
            device = screen.query_one("#login-device")
            assert device.region.bottom <= size[1] - 1  # the code is on screen
            gate.open.set()  # the user approves on their phone
            await settle(pilot)
            assert step_of(screen) is Step.NAME
            assert "Logged in as eviltrout" in text_of(app, "#login-who")
            await pilot.press("ctrl+s")
            await pilot.pause()
        profile = app.return_value
    assert isinstance(profile, Profile)
    assert profile.kind == "discourse" and profile.auth == "user_api_key"
    key = secret(profile.name, "user_api_key")
    assert key is not None and forum.keys.keys[key] == {
        "client_id": secret(profile.name, "client_id"),
        "revoked": False,
    }
    assert "BEGIN PRIVATE KEY" in (secret(profile.name, "private_key_pem") or "")
    saved = profiles_file()["profiles"][profile.name]
    assert saved["auth"] == "user_api_key" and saved["username"] == "eviltrout"
    assert "key" not in str(saved).replace("user_api_key", "")  # no secret in the config


async def test_discourse_by_pasting_the_answer() -> None:
    with discourse(device=False) as forum:
        app = LoginApp(forum.url)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = login_screen(app)
            assert step_of(screen) is Step.LOGIN
            assert not screen.query_one("#login-device").display
            url = screen.query_one("#login-paste-url", TextArea).text
            assert url.startswith(f"{forum.url}/user-api-key/new?")
            assert screen.focused is screen.query_one("#login-payload")
            payload = screen.query_one("#login-payload", TextArea)
            app.post_message(events.Paste("this is not it!"))
            await pilot.pause()
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert "not the block of text the forum showed" in text_of(app, "#login-error")
            assert payload.text == "this is not it!"  # kept, to be fixed
            answer = forum.keys.approve_in_browser(url)  # on another device
            payload.text = ""
            app.post_message(events.Paste(answer))
            await pilot.pause()
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert step_of(screen) is Step.NAME, text_of(app, "#login-error")
            assert "Logged in as eviltrout" in text_of(app, "#login-who")
            await pilot.press("ctrl+s")
            await pilot.pause()
        profile = app.return_value
    assert isinstance(profile, Profile) and profile.auth == "user_api_key"
    key = secret(profile.name, "user_api_key")
    assert key in forum.keys.keys
    assert forum.keys.keys[key]["client_id"] == secret(profile.name, "client_id")
    assert [p for _, p, _ in forum.keys.seen if p.startswith("/user-api-key/device")] == []


async def test_escape_stops_waiting_and_goes_back_keeping_the_address() -> None:
    gate = Gate()  # never opened: the user does not approve
    with discourse(device=True) as forum:
        app = LoginApp(forum.url, sleep=gate)
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(100):
                await pilot.pause(0.05)
                if gate.calls:
                    break
            screen = login_screen(app)
            assert busy(screen)
            await pilot.press("escape")
            for _ in range(50):  # settle() would raise: a cancelled worker did not complete
                await pilot.pause(0.02)
                if not busy(screen):
                    break
            assert not busy(screen) and step_of(screen) is Step.LOGIN
            assert "Stopped" in text_of(app, "#login-status")
            await pilot.press("escape")
            await pilot.pause()
            assert step_of(screen) is Step.WHERE
            assert screen.query_one("#login-address", Input).value == forum.url
            await pilot.press("escape")
            await pilot.pause()
        assert app.return_value is None


# -- from the app, and from the command line ---------------------------------------------------


async def test_g_f_adds_a_forum_from_the_app(unix_server: ServerProcess) -> None:
    app = CohortApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g", "f")
        await pilot.pause()
        screen = login_screen(app)
        screen.query_one("#login-address", Input).value = str(unix_server.socket)
        await pilot.press("enter")
        await settle(pilot)
        assert step_of(screen) is Step.NAME
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, LoginScreen)
        told = [n.message for n in app._notifications]
        assert any("Added cohort; run `cohort --forum cohort`" in m for m in told), told
    assert load_config().profile("cohort").kind == "socket"


def test_cohort_login_without_a_forum_needs_a_terminal() -> None:
    done = run_cohort("login", input="")
    assert done.returncode == 2
    assert "cohort login URL" in done.stderr


def test_cohort_login_with_a_token_still_works(member: ServerProcess) -> None:
    token = member.token_for("maya")
    done = run_cohort("login", member.base_url, "--token-stdin", input=token + "\n")
    assert done.returncode == 0, done.stderr
    name = member.base_url.split("://")[1].replace(":", "-")
    assert secret(name, "token") == token
    assert profiles_file()["profiles"][name]["username"] == "maya"
    done = run_cohort("login", member.base_url, "--token-stdin", input="cht_wrong\n")
    assert done.returncode == 1 and "token is unknown or revoked" in done.stderr
    assert secret(name, "token") == token  # a failed login changes nothing


def test_a_first_run_on_an_unsaved_url_logs_in_then_opens_it(
    member: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cohort --forum URL` with no profile for URL: the login form, then the TUI on the
    profile it saved; `cohort` alone (`make run`) goes straight to the embedded forum."""
    import tui.__main__ as entry
    import tui.app
    import tui.first_run

    shown: list[str] = []
    opened: list[str | None] = []

    def login(startup: object, *, address: str = "") -> Profile:
        shown.append(address)
        profile = Profile("club", "cohort", url=member.base_url, auth="none")
        save_profile(profile)
        return profile

    monkeypatch.setattr(tui.first_run, "run_login", login)

    def run_app(args: argparse.Namespace, startup: object) -> int:
        opened.append(args.forum)
        return 0

    monkeypatch.setattr(tui.app, "run_app", run_app)
    assert entry.main(["--forum", member.base_url]) == 0
    assert shown == [member.base_url] and opened == ["club"]
    assert entry.main(["--forum", member.base_url]) == 0  # saved now: no form
    assert entry.main([]) == 0
    assert shown == [member.base_url] and opened == ["club", member.base_url, None]
