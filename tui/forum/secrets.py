"""Where Cohort keeps tokens and keys: never in config.toml.

Config files are meant to be shared, copied into bug reports and printed with
`cohort config --print`, so a secret in them would leak. Secrets go to the OS keyring
when the optional `keyring` package is installed and has a real backend (Cohort does not
depend on it), else to `secrets.toml` in the data folder: mode 0600, refused when others
can read it, and replaced atomically so a crash leaves the old file or the new one.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import os
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, Protocol, cast, get_args

import tomli_w

from tui.forum import paths

SecretBackend = Literal["auto", "file", "keyring"]
SecretKey = Literal["token", "user_api_key", "client_id", "private_key_pem", "api_key"]
# A closed list: the keyring cannot enumerate entries, so `delete(profile)` walks this.
KEYS: tuple[str, ...] = get_args(SecretKey)
SERVICE = "cohort"  # the keyring's service name; the entry is "<profile>/<key>"

_HEADER = (
    "# Cohort's secrets: tokens and keys, one table per profile. Written by cohort.\n"
    "# Keep this file private (chmod 600); never copy it into config.toml.\n\n"
)


class SecretError(Exception):
    """The secret store cannot be used; the message says which file and what to do."""


class _Keyring(Protocol):
    """The part of a `keyring` backend Cohort uses."""

    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


def usable_keyring() -> _Keyring | None:
    """The OS keyring's backend, or None when `keyring` is absent or has no real backend.

    keyring's own rule: backends of priority below 1 (its fail, null and plaintext ones)
    are not suitable. `PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring` turns it off.
    """
    try:
        module = importlib.import_module("keyring")
        backend = module.get_keyring()
        priority = float(backend.priority)
    except Exception:  # not installed, or a broken install: the file will do
        return None
    return cast(_Keyring, backend) if priority >= 1 else None


def write_private_file(path: Path, text: str) -> None:
    """Replace `path` with `text`, mode 0600, atomically: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    # The rename itself reaches the disk only once the folder is synced.
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for `path`'s read-modify-write, so two processes lose nothing."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def read_private_file(path: Path) -> str | None:
    """The text of a file only its owner can read; None if absent; SecretError otherwise."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SecretError(f"{path}: cannot read it: {exc.strerror}") from exc
    with handle:
        # Checked on the open file, so a swap between check and read changes nothing.
        info = os.fstat(handle.fileno())
        if info.st_uid != os.getuid():
            raise SecretError(
                f"{path}: belongs to another user (uid {info.st_uid}); "
                "Cohort keeps secrets only in a file of your own"
            )
        if info.st_mode & 0o077:
            raise SecretError(
                f"{path}: other users can read or change it (mode {info.st_mode & 0o777:04o}), "
                f"so Cohort will not use it; run: chmod 600 {path}"
            )
        data = handle.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SecretError(f"{path}: not UTF-8 text (byte {exc.start})") from exc


def _check(profile: str, key: str) -> None:
    if not profile or "/" in profile:
        raise ValueError(f"bad profile name for a secret: {profile!r}")
    if key not in KEYS:
        raise ValueError(f"unknown secret {key!r}; known: {', '.join(KEYS)}")


class SecretStore:
    """Secrets per profile: `get`, `set`, `delete`.

    `backend="auto"` uses the OS keyring when usable and no `path` was given, else the file;
    naming a file therefore means the file (tests do). Whatever the keyring cannot do (a
    locked or absent session bus over SSH) falls back to the file, and reads look in both,
    so a secret stored either way is found.
    """

    def __init__(self, path: Path | None = None, *, backend: SecretBackend = "auto") -> None:
        self._path = path
        self._keyring: _Keyring | None = None
        if backend == "keyring" or (backend == "auto" and path is None):
            self._keyring = usable_keyring()
            if self._keyring is None and backend == "keyring":
                raise SecretError(
                    "no usable OS keyring (install the keyring package and a backend for it), "
                    'or set store = "file" in the [secrets] table of config.toml'
                )

    @property
    def path(self) -> Path:
        """The secrets file (also used when the keyring fails)."""
        if self._path is None:
            self._path = paths.data_dir() / "secrets.toml"
        return self._path

    @property
    def uses_keyring(self) -> bool:
        return self._keyring is not None

    @property
    def location(self) -> str:
        """Where secrets go, for messages such as "token saved in ..."."""
        return "the OS keyring" if self._keyring is not None else str(self.path)

    def get(self, profile: str, key: str) -> str | None:
        _check(profile, key)
        if self._keyring is not None:
            try:
                found = self._keyring.get_password(SERVICE, f"{profile}/{key}")
            except Exception:
                found = None
            if found is not None:
                return found
        return self._load().get(profile, {}).get(key)

    def set(self, profile: str, key: str, value: str) -> None:
        _check(profile, key)
        if not value:
            raise ValueError("a secret must not be empty")
        if self._keyring is not None:
            try:
                self._keyring.set_password(SERVICE, f"{profile}/{key}", value)
            except Exception:
                pass  # the keyring is unusable right now: keep it in the file instead
            else:
                self._drop_from_file(profile, [key])  # one copy only
                return
        with file_lock(self.path):
            data = self._load()
            data.setdefault(profile, {})[key] = value
            self._save(data)

    def delete(self, profile: str, key: str | None = None) -> None:
        """Forget one secret of `profile`, or all of them (logging out, removing a profile)."""
        keys = list(KEYS) if key is None else [key]
        for each in keys:
            _check(profile, each)
        if self._keyring is not None:
            for each in keys:
                with contextlib.suppress(Exception):  # PasswordDeleteError when absent
                    self._keyring.delete_password(SERVICE, f"{profile}/{each}")
        self._drop_from_file(profile, keys)

    def _drop_from_file(self, profile: str, keys: list[str]) -> None:
        if not self.path.exists():
            return
        with file_lock(self.path):
            data = self._load()
            table = data.get(profile)
            if table is None or not any(k in table for k in keys):
                return
            for each in keys:
                table.pop(each, None)
            if not table:
                del data[profile]
            self._save(data)

    def _load(self) -> dict[str, dict[str, str]]:
        text = read_private_file(self.path)
        if text is None:
            return {}
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SecretError(f"{self.path}: not valid TOML ({exc}); fix or remove it") from exc
        data: dict[str, dict[str, str]] = {}
        for profile, table in raw.items():
            if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                raise SecretError(
                    f"{self.path}: [{profile}] must be a table of strings; fix or remove it"
                )
            data[profile] = dict(table)
        return data

    def _save(self, data: dict[str, dict[str, str]]) -> None:
        write_private_file(self.path, _HEADER + tomli_w.dumps(data, multiline_strings=True))
