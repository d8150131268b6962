"""Adding a forum: where it is, how to log in, and what to call it.

Three steps on one screen. Where: a Unix socket path or a URL (probing tells Cohort's
server from Discourse, or the user says which). Log in: nothing on a socket (the server
knows the local account); a password or a token on Cohort's server; on Discourse a User
API key, approved on any device with a code or by pasting back the forum's answer, so no
browser is needed where Cohort runs. Name: the profile's name and whether it becomes the
default. The screen dismisses with the saved `Profile`, or None.

Every network call runs in the "login" worker group; escape stops it. Every field stays
mounted from first to last step, so going back, an error or a cancelled call loses
nothing typed. The logic of logging in and saving is `tui.forum.login`'s and
`tui.forum.discourse.auth`'s, shared with `cohort login`.
"""

from __future__ import annotations

import asyncio
import enum
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Literal

import httpx
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import (
    Checkbox,
    Footer,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Static,
    TextArea,
)
from textual.worker import WorkerState

from tui import keymap
from tui.forum.backend import ForumError
from tui.forum.config import Config, ConfigError, Profile, load_config, profile_for
from tui.forum.connect import probe
from tui.forum.discourse import auth
from tui.forum.login import (
    SOCKET_NAME,
    ForumLogin,
    anonymous_login,
    cohort_password_login,
    cohort_token_login,
    default_overridden,
    discourse_key_login,
    name_for,
    save_login,
    socket_login,
)
from tui.forum.native import NativeBackend
from tui.forum.sanitize import clean, clean_line
from tui.forum.secrets import SecretError, SecretStore
from tui.resources import data_file

HTTP_TIMEOUT = 30.0


class Step(enum.IntEnum):
    WHERE = 1
    LOGIN = 2
    NAME = 3


STEP_TITLES = {Step.WHERE: "Where is it?", Step.LOGIN: "Log in", Step.NAME: "Name it"}
Kind = Literal["socket", "cohort", "discourse"]
# The kinds the user can choose in step 1, in the RadioSet's order (None: find out).
KIND_CHOICES: tuple[tuple[str, Kind | None], ...] = (
    ("Find out from the address", None),
    ("Cohort's server on this machine (a Unix socket)", "socket"),
    ("Cohort's server at a URL", "cohort"),
    ("A Discourse forum", "discourse"),
)
COHORT_WAYS = ("password", "token", "anonymous")
DISCOURSE_WAYS = ("device", "paste", "anonymous")
_SCHEME = re.compile(r"(?i)https?://")


def _problem(exc: BaseException) -> str:
    """An exception in words for the form: the forum's own words where it gave them."""
    if isinstance(exc, ForumError):
        return clean_line(exc.message)
    if isinstance(exc, ConfigError | SecretError | ValueError):
        return clean_line(str(exc))
    return clean_line(f"{type(exc).__name__}: {exc}")


class LoginScreen(Screen[Profile | None]):
    BINDINGS = keymap.bindings("login")
    CSS_PATH = data_file("tui.styles", "styles", "login.tcss")

    def __init__(
        self,
        address: str = "",
        *,
        start: bool = False,
        secrets: SecretStore | None = None,
        user_path: Path | None = None,
        sleep: auth.Sleep = asyncio.sleep,
    ) -> None:
        """`address` fills the first field, and with `start` it is checked at once (a
        first run from `cohort --forum URL`). `secrets`, `user_path` (the user's
        config.toml; profiles.toml is beside it) and `sleep` (between device-code polls)
        default to the real ones."""
        super().__init__(name="login")
        self.initial_address = address
        self.start_now = start and bool(address.strip())
        self.secrets = secrets
        self.user_path = user_path
        self.sleep = sleep
        self.step = Step.WHERE
        self.config = Config()
        self.forum: Profile | None = None  # step 1's answer: kind, url or socket, a name
        self.site_name: str | None = None
        self.anonymous_read = False  # Cohort's server lets anyone read public categories
        self.begun: auth.LoginStart | None = None  # Discourse: this attempt's key and flows
        self.begun_at = 0.0
        self.done: ForumLogin | None = None  # step 2's answer, saved in step 3
        self.proposed_name: str | None = None  # the name offered, until the user types one
        # How the user logs in, per kind of forum: what its RadioSet shows as chosen.
        self.ways: dict[str, str] = {"cohort": COHORT_WAYS[0], "discourse": DISCOURSE_WAYS[0]}

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("Add a forum", "bold"), id="login-title")
        yield Static(id="login-steps")
        with VerticalScroll(id="login-body"):
            with Vertical(id="login-where", classes="login-step"):
                yield Label("Address: a forum's URL, or the path of a Unix socket")
                yield Input(
                    self.initial_address,
                    placeholder="https://forum.example.org  or  /run/cohort/cohort.sock",
                    id="login-address",
                    select_on_focus=False,
                )
                yield Label("What is it?")
                with RadioSet(id="login-kind"):
                    for index, (label, _kind) in enumerate(KIND_CHOICES):
                        yield RadioButton(label, value=index == 0)
            with Vertical(id="login-login", classes="login-step"):
                yield Static(id="login-forum")
                with Vertical(id="login-cohort"):
                    with RadioSet(id="login-cohort-way"):
                        yield RadioButton("Username and password", value=True)
                        yield RadioButton("A token an administrator gave you")
                        yield RadioButton("Without logging in (public categories only)")
                    with Vertical(id="login-password-fields"):
                        yield Label("Username")
                        yield Input(id="login-username", select_on_focus=False)
                        yield Label("Password")
                        yield Input(id="login-password", password=True, select_on_focus=False)
                    with Vertical(id="login-token-fields"):
                        yield Label("Token")
                        yield Input(id="login-token", password=True, select_on_focus=False)
                with Vertical(id="login-discourse"):
                    with RadioSet(id="login-discourse-way"):
                        yield RadioButton(
                            "Approve with a code, on any device", value=True, id="way-device"
                        )
                        yield RadioButton("Approve on any device, then paste the answer")
                        yield RadioButton("Without logging in (public forums only)")
                    yield Static(id="login-device")
                    with Vertical(id="login-paste"):
                        yield Static(
                            "Open this address on any device (a phone is fine), log in to "
                            "the forum, approve, and copy the block of text it shows "
                            "(ctrl+o copies the address):",
                            classes="login-explain",
                        )
                        yield TextArea(
                            id="login-paste-url", read_only=True, soft_wrap=True, language=None
                        )
                        yield Label("Paste the block of text here, then ctrl+s:")
                        yield TextArea(id="login-payload", soft_wrap=True, language=None)
                with Vertical(id="login-socket"):
                    yield Static(
                        "Nothing to type: the server knows your local account.",
                        classes="login-explain",
                    )
            with Vertical(id="login-name", classes="login-step"):
                yield Static(id="login-who")
                yield Label("Profile name (cohort --forum NAME opens it)")
                yield Input(id="login-profile-name", select_on_focus=False)
                yield Static(id="login-name-note")
                yield Checkbox(
                    "Make it the default forum (what a plain `cohort` opens)",
                    False,
                    id="login-default",
                )
        yield Static(id="login-error")
        yield Static(id="login-status")
        yield Footer()

    def on_mount(self) -> None:
        try:
            self.config = load_config(user_path=self.user_path)
        except ConfigError as exc:
            self._error(f"your configuration has a problem: {_problem(exc)}")
        self._show_step(Step.WHERE)
        if self.start_now:
            self.action_next()

    # -- small helpers --------------------------------------------------------------------------

    def _error(self, text: str | None) -> None:
        error = self.query_one("#login-error", Static)
        error.update(Content.styled(text, "$text-error") if text else "")
        error.set_class(bool(text), "-shown")

    def _status(self, text: str | None) -> None:
        self.query_one("#login-status", Static).update(
            Content.styled(text, "$text-muted") if text else ""
        )

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def _choose_way(self, kind: str, way: str) -> None:
        """Choose a way for the user (the RadioSet follows; its message then changes nothing)."""
        names = COHORT_WAYS if kind == "cohort" else DISCOURSE_WAYS
        self.ways[kind] = way
        self.query_one(f"#login-{kind}-way", RadioSet).query(RadioButton)[
            names.index(way)
        ].value = True

    @property
    def busy(self) -> bool:
        live = (WorkerState.PENDING, WorkerState.RUNNING)
        return any(w.group == "login" and w.node is self and w.state in live for w in self.workers)

    def _stop(self) -> bool:
        """Stop the running network call, if any; whether there was one."""
        running = self.busy
        self.workers.cancel_group(self, "login")
        return running

    def _show_step(self, step: Step) -> None:
        self.step = step
        parts = []
        for each, title in STEP_TITLES.items():
            text = f" {each.value} {title} "
            parts.append(Content.styled(text, "reverse bold") if each is step else Content(text))
        self.query_one("#login-steps", Static).update(Content(" · ").join(parts))
        for each, node in (
            (Step.WHERE, "#login-where"),
            (Step.LOGIN, "#login-login"),
            (Step.NAME, "#login-name"),
        ):
            self.query_one(node).display = each is step
        if step is Step.LOGIN:
            self._show_login_fields()
        focus = {
            Step.WHERE: "#login-address",
            Step.LOGIN: self._login_focus(),
            Step.NAME: "#login-profile-name",
        }[step]
        self.query_one(focus).focus()

    def _kind(self) -> Kind | None:
        kind = self.forum.kind if self.forum else None
        if kind == "socket" or kind == "cohort" or kind == "discourse":
            return kind
        return None

    def _show_login_fields(self) -> None:
        kind = self._kind()
        self.query_one("#login-cohort").display = kind == "cohort"
        self.query_one("#login-discourse").display = kind == "discourse"
        self.query_one("#login-socket").display = kind == "socket"
        if kind == "cohort":
            way = self.ways["cohort"]
            self.query_one("#login-password-fields").display = way == "password"
            self.query_one("#login-token-fields").display = way == "token"
        elif kind == "discourse":
            way = self.ways["discourse"]
            device = self.begun.device if self.begun else None
            self.query_one("#login-device").display = way == "device"
            self.query_one("#login-paste").display = way == "paste"
            self.query_one("#way-device", RadioButton).disabled = (
                self.begun is not None and device is None
            )
            if self.begun is not None:
                self.query_one("#login-paste-url", TextArea).text = self.begun.paste.url
            self._show_device()

    def _show_device(self) -> None:
        box = self.query_one("#login-device", Static)
        flow = self.begun.device if self.begun else None
        if flow is None:
            box.update("")
            return
        lines = [
            Content("Open this address on any device (a phone is fine):\n"),
            Content.styled(flow.open_url, "bold"),
            Content("\nand enter the code  "),
            Content.styled(flow.user_code, "bold reverse"),
        ]
        if flow.verification_uri_with_request:
            lines.append(Content(f"\n(or open {flow.verification_uri} and type the code there)"))
        box.update(Content.assemble(*lines))

    def _login_focus(self) -> str:
        kind = self._kind()
        if kind == "cohort":
            way = self.ways["cohort"]
            if way == "password":
                return "#login-password" if self._value("#login-username") else "#login-username"
            return "#login-token" if way == "token" else "#login-cohort-way"
        if kind == "discourse":
            way = self.ways["discourse"]
            return "#login-payload" if way == "paste" else "#login-discourse-way"
        return "#login-body"

    # -- keys -----------------------------------------------------------------------------------

    def action_back(self) -> None:
        """Stop what is running; else one step back; from the first step, leave."""
        if self._stop():
            self._status("Stopped. ctrl+s tries again; escape goes back.")
            return
        self._error(None)
        self._status(None)
        if self.step is Step.NAME:
            self._show_step(Step.WHERE if self._kind() == "socket" else Step.LOGIN)
        elif self.step is Step.LOGIN:
            self._show_step(Step.WHERE)
        else:
            self.dismiss(None)

    def action_next(self) -> None:
        if self.busy:
            return
        self._error(None)
        if self.step is Step.WHERE:
            self._check_where()
        elif self.step is Step.LOGIN:
            self._log_in()
        else:
            self._save()

    def action_copy_address(self) -> None:
        """The address to open on another device, to the clipboard (OSC 52: over SSH too)."""
        if self.step is not Step.LOGIN or self.begun is None:
            return
        way = self.ways["discourse"]
        flow = self.begun.device
        address = flow.open_url if way == "device" and flow else self.begun.paste.url
        self.app.copy_to_clipboard(address)
        self.notify("Address copied (where the terminal allows it).", markup=False)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "login-username":
            self.query_one("#login-password").focus()
        else:
            self.action_next()

    @on(RadioSet.Changed)
    def _way_changed(self, event: RadioSet.Changed) -> None:
        """The user chose another way to log in: what the last one started stops."""
        kinds = {"login-cohort-way": "cohort", "login-discourse-way": "discourse"}
        kind = kinds.get(event.radio_set.id or "")
        if kind is None:
            return
        names = COHORT_WAYS if kind == "cohort" else DISCOURSE_WAYS
        way = names[event.index] if 0 <= event.index < len(names) else names[0]
        if self.ways[kind] == way:
            return  # chosen by the screen, which is doing it already
        self.ways[kind] = way
        if self.step is not Step.LOGIN:
            return
        self._stop()
        self._error(None)
        self._status(None)
        self._show_login_fields()
        if kind == "discourse":
            self._discourse_way_chosen()

    def _discourse_way_chosen(self) -> None:
        way = self.ways["discourse"]
        if way == "device":
            self._wait_for_approval()
        elif way == "paste":
            self._status("Waiting for what you paste; ctrl+s checks it.")

    # -- step 1: where ----------------------------------------------------------------------------

    def _check_where(self) -> None:
        address = self._value("#login-address").strip()
        index = self.query_one("#login-kind", RadioSet).pressed_index
        chosen = KIND_CHOICES[index][1] if 0 <= index < len(KIND_CHOICES) else None
        if not address:
            self._error("Type the forum's address (its URL) or a Unix socket's path.")
            return
        looks_like_path = address.startswith(("/", "~", "."))
        if chosen == "socket" or (chosen is None and looks_like_path):
            if _SCHEME.match(address):
                self._error("A Unix socket is a path, such as /run/cohort/cohort.sock.")
                return
            self._where_socket(str(Path(address).expanduser().absolute()))
            return
        if looks_like_path:
            self._error("That is a path: choose “Cohort's server on this machine”, or type a URL.")
            return
        if address not in self.config.profiles and not _SCHEME.match(address):
            address = f"https://{address}"  # a bare host name: forums are served over HTTPS
        try:
            profile = profile_for(self.config, address)
        except ConfigError as exc:
            self._error(_problem(exc).removeprefix("--forum: "))
            return
        if profile.kind == "socket" and profile.socket:  # a saved profile, named
            self._where_socket(profile.socket)
        elif profile.url is None:
            self._error("The embedded forum needs no login: type a forum's URL or a socket.")
        else:
            self._where_url(profile, chosen)

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _where_socket(self, path: str) -> None:
        self._status(f"Asking the server on {path}…")
        saved = next(
            (p for p in self.config.profiles.values() if p.kind == "socket" and p.socket == path),
            None,
        )
        try:
            done = await socket_login(path, saved.name if saved else SOCKET_NAME)
        except Exception as exc:
            self._status(None)
            self._error(f"No Cohort server answers on {clean_line(path)}: {_problem(exc)}")
            return
        if saved is None and done.site_name:
            done = replace(done, profile=replace(done.profile, name=name_for(done.site_name)))
        self.forum = done.profile
        self._status(None)
        self._logged_in(done)

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _where_url(self, profile: Profile, chosen: Kind | None) -> None:
        assert profile.url is not None
        url = profile.url
        self._status(f"Asking {url} what it is…")
        try:
            kind = await probe(url)
            if chosen is not None and chosen != kind:
                names = {"cohort": "Cohort's server", "discourse": "a Discourse forum"}
                self._status(None)
                self._error(
                    f"{url} is {names[kind]}, not {names[chosen]}: "
                    "choose “Find out from the address”, or the other kind."
                )
                return
            self.forum = replace(profile, kind=kind)
            self.begun = None
            if kind == "cohort":
                backend = NativeBackend.for_url(url)
                try:
                    site = await backend.site()
                finally:
                    await backend.aclose()
                self.site_name = site.name
                self.anonymous_read = site.anonymous_read
            else:
                self.site_name = None
                async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
                    self.begun = await auth.begin_login(http, url, padding=profile.padding)
                self.begun_at = time.monotonic()
        except Exception as exc:
            self._status(None)
            self._error(_problem(exc))
            return
        self._status(None)
        self._enter_login()

    def _enter_login(self) -> None:
        forum = self.forum
        assert forum is not None and forum.url is not None
        what = "Cohort's server" if forum.kind == "cohort" else "Discourse forum"
        title = f" ({self.site_name})" if self.site_name else ""
        self.query_one("#login-forum", Static).update(
            Content.assemble((what, "bold"), f" at {forum.url}{title}")
        )
        if forum.kind == "discourse":
            device = self.begun is not None and self.begun.device is not None
            if self.ways["discourse"] == "device" and not device:
                self._choose_way("discourse", "paste")
            self._show_step(Step.LOGIN)
            if self.begun is not None and self.begun.device_refused:
                self._status("The forum's device login is not available; paste instead.")
            self._discourse_way_chosen()
        else:
            self._show_step(Step.LOGIN)

    # -- step 2: logging in ------------------------------------------------------------------------

    def _log_in(self) -> None:
        forum = self.forum
        assert forum is not None
        if forum.kind == "socket":
            self._show_step(Step.NAME)
            return
        if forum.kind == "cohort":
            way = self.ways["cohort"]
            if way == "anonymous":
                if not self.anonymous_read:
                    self._error("This forum lets no one read without logging in.")
                    return
                self._logged_in(anonymous_login(forum, "cohort"))
                return
            if way == "password":
                username = self._value("#login-username").strip()
                password = self._value("#login-password")
                if not username or not password:
                    self._error("Type your username and your password.")
                    self.query_one("#login-username" if not username else "#login-password").focus()
                    return
                self._cohort_login(forum, username=username, password=password)
            else:
                token = self._value("#login-token").strip()
                if not token:
                    self._error("Paste the token an administrator gave you.")
                    return
                self._cohort_login(forum, token=token)
            return
        way = self.ways["discourse"]
        if way == "anonymous":
            self._logged_in(anonymous_login(forum, "discourse"))
        elif way == "paste":
            self._check_payload()
        else:
            self._wait_for_approval()

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _cohort_login(
        self, forum: Profile, *, username: str = "", password: str = "", token: str = ""
    ) -> None:
        self._status("Logging in…")
        try:
            if token:
                done = await cohort_token_login(forum, token)
            else:
                done = await cohort_password_login(forum, username, password)
        except Exception as exc:
            self._status(None)
            self._error(_problem(exc))
            focus = "#login-token" if token else "#login-password"
            self.query_one(focus).focus()
            return
        self._status(None)
        self._logged_in(done)

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _wait_for_approval(self) -> None:
        forum = self.forum
        assert forum is not None and forum.url is not None
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
                begun = self.begun
                flow = begun.device if begun else None
                if begun is None or flow is None or self._lapsed(flow):
                    self._status("Asking the forum for a code…")
                    begun = await auth.begin_login(http, forum.url, padding=forum.padding)
                    self.begun, self.begun_at = begun, time.monotonic()
                    self._show_login_fields()
                    flow = begun.device
                if flow is None:
                    self._status(None)
                    self._error("The forum offers no device login: approve and paste instead.")
                    return
                minutes = max(1, flow.expires_in // 60)
                self._status(
                    f"Waiting for your approval (the code is valid for {minutes} minutes); "
                    "escape stops."
                )
                creds = await auth.poll_device_flow(http, flow, begun.private_pem, sleep=self.sleep)
                creds = await auth.with_username(http, forum.url, creds)
        except Exception as exc:
            self._status(None)
            self._error(f"{_problem(exc)} ctrl+s starts again.")
            if isinstance(exc, auth.LoginError) and exc.code in ("expired", "denied"):
                self.begun = None  # that code is spent: a new one next time
            return
        self._status(None)
        self.begun_at = float("-inf")  # that code is used up: a new one if the user comes back
        result = auth.LoginResult(credentials=creds, private_pem=begun.private_pem)
        self._logged_in(discourse_key_login(forum, result, begun.paste.padding))

    def _lapsed(self, flow: auth.DeviceFlow) -> bool:
        return time.monotonic() - self.begun_at >= flow.expires_in - flow.interval

    def _check_payload(self) -> None:
        begun = self.begun
        if begun is None:
            self._error("Start again: escape, then ctrl+s.")
            return
        pasted = self.query_one("#login-payload", TextArea).text
        try:
            creds = begun.paste.credentials(pasted)
        except auth.LoginError as exc:
            self._error(_problem(exc))
            self.query_one("#login-payload").focus()
            return
        self._finish_paste(creds)

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _finish_paste(self, creds: auth.DiscourseCredentials) -> None:
        forum, begun = self.forum, self.begun
        assert forum is not None and forum.url is not None and begun is not None
        self._status("Asking the forum who you are…")
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
            creds = await auth.with_username(http, forum.url, creds)  # never raises
        self._status(None)
        result = auth.LoginResult(credentials=creds, private_pem=begun.private_pem)
        self._logged_in(discourse_key_login(forum, result, begun.paste.padding))

    # -- step 3: naming and saving -----------------------------------------------------------------

    def _logged_in(self, done: ForumLogin) -> None:
        self.done = done
        profile = done.profile
        if profile.kind == "socket":
            who = f"You are {done.who or 'your local account'} on this server"
        elif profile.auth == "none":
            who = "You will read without logging in"
        else:
            who = f"Logged in as {done.who}" if done.who else "Logged in"
        place = clean_line(done.site_name or profile.url or profile.socket or "")
        self.query_one("#login-who", Static).update(
            Content.assemble((clean(who), "bold"), f" · {place}" if place else "")
        )
        name_input = self.query_one("#login-profile-name", Input)
        if not name_input.value.strip() or name_input.value == self.proposed_name:
            name_input.value = profile.name
        self.proposed_name = profile.name
        self._note_name(name_input.value)
        self._show_step(Step.NAME)

    @on(Input.Changed, "#login-profile-name")
    def _name_changed(self, event: Input.Changed) -> None:
        self._note_name(event.value)

    def _note_name(self, name: str) -> None:
        existing = self.config.profiles.get(name.strip())
        note = ""
        if existing is not None and self.done is not None:
            same = (existing.url, existing.socket) == (
                self.done.profile.url,
                self.done.profile.socket,
            )
            note = (
                f"Replaces your saved login to {clean_line(name.strip())}."
                if same
                else f"A profile named {clean_line(name.strip())} exists: saving replaces it."
            )
        self.query_one("#login-name-note", Static).update(
            Content.styled(note, "$text-warning") if note else ""
        )

    def _save(self) -> None:
        done = self.done
        if done is None:
            self._show_step(Step.WHERE)
            return
        name = self._value("#login-profile-name").strip()
        make_default = self.query_one("#login-default", Checkbox).value
        try:
            store = self.secrets or SecretStore(backend=self.config.secret_store)
            profile = save_login(
                done, store, name=name, make_default=make_default, user_path=self.user_path
            )
        except (ConfigError, SecretError, ValueError) as exc:
            self._error(_problem(exc).removeprefix("name: "))
            self.query_one("#login-profile-name").focus()
            return
        if make_default and default_overridden(profile.name, user_path=self.user_path):
            self.notify(
                "Your config.toml names another default_profile, and it wins over this one.",
                severity="warning",
                markup=False,
            )
        self.dismiss(profile)
