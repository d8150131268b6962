"""Cohort's configuration: profiles (which forum, and how to log in) and UI settings.

Four TOML layers, each overriding the one before; tables merge key by key and profiles
merge per profile (a layer that gives a profile another `kind` replaces it whole):

1. the shipped defaults, `config/default.toml` (inside the wheel as `tui/config/`);
2. the site-wide file, `/etc/cohort/config.toml`;
3. `profiles.toml` beside the user's config: written by the app (`cohort login`);
4. the user's `config.toml`: written only by the user.

The app never rewrites `config.toml`: tomli-w cannot keep comments or layout, so writing
there would destroy what the user wrote. What the app learns (a forum logged into) goes
to `profiles.toml`, a file it owns whole and rewrites atomically, and the user's own
file still wins over it. Secrets are in neither (see `secrets.py`).

A bad file is reported as `ConfigError` naming the file, the dotted key and the problem.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import tomli_w

from tui.forum import paths
from tui.forum.sanitize import clean_line
from tui.forum.secrets import SecretBackend, file_lock, write_private_file

SavedKind = Literal["embedded", "socket", "cohort", "discourse"]
# "url": a bare URL from the command line, not yet probed for which software serves it.
ProfileKind = Literal["embedded", "socket", "cohort", "discourse", "url"]
AuthKind = Literal["none", "peer", "token", "password", "user_api_key", "api_key"]
Padding = Literal["pkcs1", "oaep"]
ColorMode = Literal["auto", "16", "256", "truecolor"]

SITE_PATH = Path("/etc/cohort/config.toml")
EMBEDDED = "embedded"

_SAVED_KINDS: tuple[str, ...] = get_args(SavedKind)
_AUTHS: tuple[str, ...] = get_args(AuthKind)
_PADDINGS: tuple[str, ...] = get_args(Padding)
_COLORS: tuple[str, ...] = get_args(ColorMode)
_STORES: tuple[str, ...] = get_args(SecretBackend)

# Which keys and which auth each kind takes; the first auth is the default.
_KEYS_FOR: dict[str, tuple[str, ...]] = {
    "embedded": ("kind", "auth", "username"),
    "socket": ("kind", "socket", "auth", "username"),
    "cohort": ("kind", "url", "auth", "username"),
    "discourse": ("kind", "url", "auth", "username", "request_budget", "padding"),
}
_AUTH_FOR: dict[str, tuple[str, ...]] = {
    "embedded": ("peer",),  # the local user is the forum user
    "socket": ("peer",),  # the server knows the caller's uid (SO_PEERCRED)
    "cohort": ("none", "token", "password"),
    "discourse": ("none", "user_api_key", "api_key"),
    "url": ("none",),
}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
_APP_HEADER = (
    "# Forums Cohort saved for you (cohort login). Cohort rewrites this file whole:\n"
    "# put your own settings in config.toml beside it, which wins over this one.\n\n"
)


class ConfigError(Exception):
    """A configuration problem: `file`, `key` (dotted) and `problem`, all in the message."""

    def __init__(
        self,
        problem: str,
        *,
        file: Path | None = None,
        key: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.key = key
        self.line = line
        self.column = column
        where: list[str] = []
        if file is not None:
            place = clean_line(str(file))
            if line is not None:
                place += f", line {line}, column {column}"
            where.append(place)
        if key is not None:
            where.append(key)
        super().__init__(": ".join([*where, problem]))


@dataclass(frozen=True)
class Profile:
    """One forum and how to reach it. Secrets are looked up by `name` in the SecretStore.

    kind: embedded (the local in-process forum), socket (Cohort's server on a Unix socket),
    cohort (Cohort's server at a URL), discourse (a Discourse forum), or url (a bare URL from
    the command line, to be probed: see `probed`; never saved).
    auth: embedded and socket are always "peer"; cohort takes none/token/password;
    discourse none/user_api_key/api_key (api_key also needs `username`, its Api-Username).
    """

    name: str
    kind: ProfileKind
    url: str | None = None  # cohort, discourse, url: normalised (lower-case host, no final /)
    socket: str | None = None  # socket: absolute path
    username: str | None = None
    auth: AuthKind = "none"
    request_budget: int | None = None  # discourse: requests a minute; None: the backend's
    padding: Padding = "pkcs1"  # discourse: the RSA padding asked for in the paste login

    def __post_init__(self) -> None:
        # Identity on these kinds is the local uid, so "peer" is the only true value.
        if self.kind in ("embedded", "socket") and self.auth == "none":
            object.__setattr__(self, "auth", "peer")

    @property
    def needs_probe(self) -> bool:
        return self.kind == "url"

    def probed(self, kind: Literal["cohort", "discourse"]) -> Profile:
        """This URL profile, once probing told which software serves it."""
        if self.kind != "url":
            raise ValueError(f"profile {self.name!r} is already a {self.kind} profile")
        return replace(self, kind=kind)


def _builtin_profiles() -> dict[str, Profile]:
    return {EMBEDDED: Profile(EMBEDDED, "embedded")}


@dataclass(frozen=True)
class Config:
    """The merged configuration. Field defaults equal the shipped default.toml (tested)."""

    default_profile: str = EMBEDDED
    profiles: dict[str, Profile] = field(default_factory=_builtin_profiles)
    theme: str | None = None  # a Textual theme name; None: Textual's default
    color: ColorMode = "auto"
    bell: bool = False
    keys: dict[str, str] = field(default_factory=dict)  # action id -> Textual key string
    secret_store: SecretBackend = "auto"
    sources: tuple[Path, ...] = ()  # the files read, lowest layer first

    def profile(self, name: str | None = None) -> Profile:
        """The profile called `name` (the default profile when None)."""
        wanted = self.default_profile if name is None else name
        try:
            return self.profiles[wanted]
        except KeyError:
            raise ConfigError(
                f"no profile named {_show(wanted)}; defined: {', '.join(self.profiles)}"
            ) from None


# -- where the files are ------------------------------------------------------------------


def defaults_path() -> Path:
    """The shipped default.toml: in the wheel as tui/config, in a checkout as config/."""
    return paths.data_file("tui.config", "config", "default.toml")


def user_config_path() -> Path:
    return paths.config_dir() / "config.toml"


def app_profiles_path(user_path: Path | None = None) -> Path:
    """The app-owned profiles.toml, beside the user's config.toml."""
    return (user_path or user_config_path()).with_name("profiles.toml")


# -- reading and checking one file ---------------------------------------------------------


class _Bad(Exception):
    """A value's problem; the caller adds the file and the key."""


def dotted(*parts: str) -> str:
    """A TOML key path as the user would write it: profiles.work.url, keys."app.quit"."""
    return ".".join(p if _BARE_KEY.match(p) else _show(p) for p in parts)


def _show(value: object) -> str:
    """A value quoted for a message, safe to print and not too long."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = repr(value)
    text = clean_line(text)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind_of(value: object) -> str:
    """The TOML name of a value's type, for "must be a string, not an integer"."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return "a date or time"


def _read_toml(path: Path) -> dict[str, Any] | None:
    """A file's TOML, None when it does not exist; syntax errors name line and column."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read it: {exc.strerror}", file=path) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", file=path) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", message, re.DOTALL)
        if found:
            message, line, column = found[1], int(found[2]), int(found[3])
        else:  # "(at end of document)"
            message = message.removesuffix(" (at end of document)")
            line = text.count("\n") + 1
            column = len(text.rpartition("\n")[2]) + 1
        raise ConfigError(
            f"invalid TOML: {clean_line(message)}", file=path, line=line, column=column
        ) from exc


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise _Bad(f"must be a string, not {_kind_of(value)}")
    if not value.strip():
        raise _Bad("must not be empty")
    if clean_line(value) != value:
        raise _Bad("must be one line of printable text")
    return value


def _choice(options: tuple[str, ...]) -> Callable[[object], str]:
    def check(value: object) -> str:
        if not isinstance(value, str):
            raise _Bad(f"must be a string, one of: {', '.join(options)}; not {_kind_of(value)}")
        if value not in options:
            raise _Bad(f"{_show(value)} is not one of: {', '.join(options)}")
        return value

    return check


def _color(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and str(value) in _COLORS:
        raise _Bad(f'write it as a string: color = "{value}"')
    return _choice(_COLORS)(value)


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"must be true or false, not {_kind_of(value)}")
    return value


def _positive_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(f"must be a whole number, not {_kind_of(value)}")
    if value < 1:
        raise _Bad(f"must be 1 or more, not {value}")
    return value


def _profile_name(value: object) -> str:
    name = _text(value)
    if not _NAME.match(name):
        raise _Bad(
            f"{_show(name)} is not a profile name: letters, digits, '.', '-' and '_', "
            "starting with a letter or digit, at most 64"
        )
    return name


def normalize_url(value: object) -> str:
    """An http(s) forum URL, normalised: lower-case scheme and host, no trailing slash."""
    url = _text(value).strip()
    if any(c.isspace() for c in url):
        raise _Bad(f"{_show(url)} contains spaces")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not url.lower().startswith(f"{scheme}://"):
        raise _Bad(f"{_show(url)} must start with https:// (or http://)")
    if "@" in parts.netloc:
        raise _Bad("must not hold a user name or password: log in with `cohort login` instead")
    if not parts.hostname:
        raise _Bad(f"{_show(url)} has no host name")
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise _Bad(f"{_show(url)} has a bad port") from None
    if parts.query or parts.fragment:
        raise _Bad(f"{_show(url)} must be the forum's address, without ? or #")
    return f"{scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _socket_path(value: object) -> str:
    path = Path(_text(value)).expanduser()
    if not path.is_absolute():
        raise _Bad(f"{_show(str(value))} must be an absolute path, such as /run/cohort/cohort.sock")
    return str(path)


_Check = Callable[[object], object]
_UI: dict[str, _Check] = {"theme": _text, "color": _color, "bell": _boolean}
_SECRETS: dict[str, _Check] = {"store": _choice(_STORES)}
_PROFILE: dict[str, _Check] = {
    "kind": _choice(_SAVED_KINDS),
    "url": normalize_url,
    "socket": _socket_path,
    "username": _text,
    "auth": _choice(_AUTHS),
    "request_budget": _positive_int,
    "padding": _choice(_PADDINGS),
}
_TOP = ("default_profile", "ui", "keys", "secrets", "profiles")


def _checked(file: Path, key: tuple[str, ...], check: _Check, value: object) -> Any:
    try:
        return check(value)
    except _Bad as bad:
        raise ConfigError(str(bad), file=file, key=dotted(*key)) from None


def _unknown(file: Path, key: tuple[str, ...], known: Any) -> ConfigError:
    choices = list(known)
    close = difflib.get_close_matches(key[-1], choices, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return ConfigError(
        f"unknown key{hint}; this table takes: {', '.join(choices)}", file=file, key=dotted(*key)
    )


def _table(file: Path, key: tuple[str, ...], value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"must be a table, not {_kind_of(value)}", file=file, key=dotted(*key))
    return value


def _spec_table(
    file: Path, key: tuple[str, ...], value: object, spec: Mapping[str, _Check]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, item in _table(file, key, value).items():
        if name not in spec:
            raise _unknown(file, (*key, name), spec)
        out[name] = _checked(file, (*key, name), spec[name], item)
    return out


def _key_string(value: object) -> str:
    if isinstance(value, list):
        if not value:
            raise _Bad("must name at least one key")
        return ",".join(_text(v).strip() for v in value)
    return _text(value).strip()


def _keys(file: Path, key: tuple[str, ...], value: object, into: dict[str, str]) -> None:
    """`[keys]` flattened: "app.quit" = "q" and [keys.app] quit = "q" mean the same."""
    for name, item in _table(file, key, value).items():
        if isinstance(item, dict):
            _keys(file, (*key, name), item, into)
        else:
            action = ".".join((*key[1:], name))
            into[action] = _checked(file, (*key, name), _key_string, item)


def _check_file(raw: Mapping[str, Any], file: Path) -> dict[str, Any]:
    """One file's settings with every key and value checked (checks needing all layers later)."""
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if name == "default_profile":
            out[name] = _checked(file, (name,), _profile_name, value)
        elif name == "ui":
            out[name] = _spec_table(file, (name,), value, _UI)
        elif name == "secrets":
            out[name] = _spec_table(file, (name,), value, _SECRETS)
        elif name == "keys":
            keys: dict[str, str] = {}
            _keys(file, (name,), value, keys)
            out[name] = keys
        elif name == "profiles":
            profiles: dict[str, dict[str, Any]] = {}
            for profile, table in _table(file, (name,), value).items():
                _checked(file, (name, profile), _profile_name, profile)
                profiles[profile] = _spec_table(file, (name, profile), table, _PROFILE)
            out[name] = profiles
        else:
            raise _unknown(file, (name,), _TOP)
    return out


# -- merging the layers and checking the result ---------------------------------------------

_Origins = dict[tuple[str, ...], Path]  # which file last set each key


def _merge(merged: dict[str, Any], origins: _Origins, layer: Mapping[str, Any], file: Path) -> None:
    for name, value in layer.items():
        if name == "profiles":
            profiles = merged.setdefault(name, {})
            for profile, table in value.items():
                old = profiles.get(profile)
                if old is None or table.get("kind", old.get("kind")) != old.get("kind"):
                    # A new profile, or another kind of forum: nothing of the old one applies.
                    profiles[profile] = dict(table)
                    for stale in [k for k in origins if k[:2] == (name, profile)]:
                        del origins[stale]
                else:
                    old.update(table)
                origins[(name, profile)] = file
                for key in table:
                    origins[(name, profile, key)] = file
        elif isinstance(value, dict):
            merged.setdefault(name, {}).update(value)
            for key in value:
                origins[(name, key)] = file
        else:
            merged[name] = value
            origins[(name,)] = file


def _profile(name: str, table: Mapping[str, Any], origins: _Origins) -> Profile:
    """A profile from its merged table; blames the file that set the offending key."""

    def fail(key: str, problem: str, blame: str | None = None) -> ConfigError:
        file = origins.get(("profiles", name, blame or key)) or origins.get(("profiles", name))
        return ConfigError(problem, file=file, key=dotted("profiles", name, key))

    kind = table.get("kind")
    if kind is None:
        raise fail("kind", f"missing: every profile needs kind = one of: {', '.join(_SAVED_KINDS)}")
    if name == EMBEDDED and kind != "embedded":
        raise fail("kind", "the profile named embedded is the local forum; name yours otherwise")
    for key in table:
        if key not in _KEYS_FOR[kind]:
            takers = [k for k, keys in _KEYS_FOR.items() if key in keys]
            raise fail(key, f"not used by a {kind} profile, only by: {', '.join(takers)}")
    needed = {"cohort": "url", "discourse": "url", "socket": "socket"}.get(kind)
    if needed is not None and needed not in table:
        example = "/run/cohort/cohort.sock" if needed == "socket" else "https://forum.example.org"
        raise fail(needed, f'missing: a {kind} profile needs {needed} = "{example}"', "kind")
    auth = table.get("auth", _AUTH_FOR[kind][0])
    if auth not in _AUTH_FOR[kind]:
        raise fail(
            "auth", f"{_show(auth)} is not for a {kind} profile; use: {', '.join(_AUTH_FOR[kind])}"
        )
    if auth == "api_key" and "username" not in table:
        raise fail("username", 'missing: auth = "api_key" needs the user the key acts as', "auth")
    return Profile(
        name=name,
        kind=kind,
        url=table.get("url"),
        socket=table.get("socket"),
        username=table.get("username"),
        auth=auth,
        request_budget=table.get("request_budget"),
        padding=table.get("padding", "pkcs1"),
    )


def _build(merged: Mapping[str, Any], origins: _Origins, sources: tuple[Path, ...]) -> Config:
    profiles = {
        name: _profile(name, table, origins) for name, table in merged.get("profiles", {}).items()
    }
    profiles = {**_builtin_profiles(), **profiles}  # the local forum is always there
    default = merged.get("default_profile", EMBEDDED)
    if default not in profiles:
        raise ConfigError(
            f"no profile named {_show(default)}; defined: {', '.join(profiles)}",
            file=origins.get(("default_profile",)),
            key="default_profile",
        )
    ui = merged.get("ui", {})
    return Config(
        default_profile=default,
        profiles=profiles,
        theme=ui.get("theme"),
        color=ui.get("color", "auto"),
        bell=ui.get("bell", False),
        keys=dict(merged.get("keys", {})),
        secret_store=merged.get("secrets", {}).get("store", "auto"),
        sources=sources,
    )


def load_config(*, user_path: Path | None = None, site_path: Path | None = SITE_PATH) -> Config:
    """The merged configuration: defaults < site < app-owned profiles.toml < user's file.

    `user_path` defaults to config.toml in the XDG config folder; `site_path=None` skips
    the site-wide file. Missing files are skipped; a bad one raises ConfigError.
    """
    user = user_path or user_config_path()
    layers = [defaults_path(), site_path, app_profiles_path(user), user]
    merged: dict[str, Any] = {}
    origins: _Origins = {}
    sources: list[Path] = []
    for file in layers:
        if file is None:
            continue
        raw = _read_toml(file)
        if raw is None:
            continue
        _merge(merged, origins, _check_file(raw, file), file)
        sources.append(file)
    return _build(merged, origins, tuple(sources))


# -- showing and writing ---------------------------------------------------------------------


def _profile_table(profile: Profile) -> dict[str, Any]:
    table: dict[str, Any] = {"kind": profile.kind}
    for key in ("url", "socket", "username"):
        value = getattr(profile, key)
        if value is not None:
            table[key] = value
    table["auth"] = profile.auth
    if profile.kind == "discourse":
        if profile.request_budget is not None:
            table["request_budget"] = profile.request_budget
        table["padding"] = profile.padding
    return table


def merged_toml(config: Config) -> str:
    """The merged configuration as TOML (`cohort config --print`); it holds no secrets."""
    ui: dict[str, Any] = {} if config.theme is None else {"theme": config.theme}
    ui |= {"color": config.color, "bell": config.bell}
    document = {
        "default_profile": config.default_profile,
        "ui": ui,
        "secrets": {"store": config.secret_store},
        "keys": dict(sorted(config.keys.items())),
        "profiles": {name: _profile_table(p) for name, p in config.profiles.items()},
    }
    read = "".join(f"#   {clean_line(str(path))}\n" for path in config.sources) or "#   (none)\n"
    return f"# Cohort's configuration, merged from (later wins):\n{read}\n" + tomli_w.dumps(
        document
    )


def save_profile(profile: Profile, *, user_path: Path | None = None) -> Path:
    """Add or replace `profile` in the app-owned profiles.toml (0600); returns that path.

    Other saved profiles are kept. A profiles.toml that does not parse is reported, never
    overwritten. The user's config.toml is not touched and still wins over what is saved.
    """
    if profile.kind == "url":
        raise ValueError(f"probe {profile.url} first (Profile.probed); a bare URL is not saved")
    target = app_profiles_path(user_path)
    table = _profile_table(profile)
    checked = _check_file({"profiles": {profile.name: table}}, target)
    _profile(profile.name, checked["profiles"][profile.name], {("profiles", profile.name): target})
    with file_lock(target):
        raw = _read_toml(target) or {}
        _check_file(raw, target)
        raw.setdefault("profiles", {})[profile.name] = table
        write_private_file(target, _APP_HEADER + tomli_w.dumps(raw))
    return target


def check_profile_name(name: str) -> str:
    """`name` if it can name a saved profile; ConfigError saying why not."""
    try:
        checked = _profile_name(name)
    except _Bad as bad:
        raise ConfigError(str(bad), key="name") from None
    if checked == EMBEDDED:
        raise ConfigError("embedded is the local forum's name; choose another", key="name")
    return checked


def set_default_profile(name: str, *, user_path: Path | None = None) -> Path:
    """Make `name` the default profile in the app-owned profiles.toml; returns that path.

    The profile must be saved there already. A `default_profile` in the user's own
    config.toml still wins (the caller can tell by loading the config again).
    """
    target = app_profiles_path(user_path)
    with file_lock(target):
        raw = _read_toml(target) or {}
        _check_file(raw, target)
        if name not in raw.get("profiles", {}):
            raise ConfigError(f"no saved profile named {_show(name)}", file=target)
        raw["default_profile"] = name
        write_private_file(target, _APP_HEADER + tomli_w.dumps(raw))
    return target


def remove_profile(name: str, *, user_path: Path | None = None) -> bool:
    """Forget a profile the app saved; False if profiles.toml did not hold it.

    A profile the user wrote in config.toml (or the site's) is theirs to remove.
    """
    target = app_profiles_path(user_path)
    with file_lock(target):
        raw = _read_toml(target)
        if raw is None:
            return False
        _check_file(raw, target)
        profiles = raw.get("profiles", {})
        if name not in profiles:
            return False
        del profiles[name]
        if raw.get("default_profile") == name:  # set_default_profile's: it would dangle
            del raw["default_profile"]
        write_private_file(target, _APP_HEADER + tomli_w.dumps(raw))
    return True


def _url_name(url: str) -> str:
    """A profile name for a forum URL: its host (and port and path), e.g. meta.discourse.org."""
    rest = url.split("://", 1)[1]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", rest).strip("-.")[:64].strip("-.")
    return name or "forum"


def unsaved_url(config: Config, forum: str | None) -> bool:
    """Whether `--forum` names a forum URL no profile has (a first run for that forum);
    False for anything else, including a bad value (reported where it is used)."""
    if forum is None:
        return False
    try:
        return profile_for(config, forum).kind == "url"
    except ConfigError:
        return False


def profile_for(config: Config, name_or_url: str) -> Profile:
    """`--forum`'s argument: a profile's name, or a bare http(s) URL.

    A URL of a configured profile gives that profile (and its saved login); any other URL
    gives an unsaved Profile of kind "url", named after its host, for the caller to probe
    (/api/v1/site for Cohort's server, /site.json for Discourse) and then `probed(kind)`.
    """
    if name_or_url in config.profiles:
        return config.profiles[name_or_url]
    if re.match(r"(?i)https?://", name_or_url):
        try:
            url = normalize_url(name_or_url)
        except _Bad as bad:
            raise ConfigError(str(bad), key="--forum") from None
        for profile in config.profiles.values():
            if profile.url == url:
                return profile
        return Profile(name=_url_name(url), kind="url", url=url)
    hint = " (a URL needs its https://)" if "." in name_or_url else ""
    raise ConfigError(
        f"no profile named {_show(name_or_url)}{hint}; "
        f"defined: {', '.join(config.profiles)}; or give a forum's https:// URL",
        key="--forum",
    )
