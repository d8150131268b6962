"""Secrets: a private file written atomically, or the OS keyring; never the config."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from tui.forum.config import Profile, load_config, merged_toml, save_profile
from tui.forum.secrets import SERVICE, SecretError, SecretStore

PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"


@pytest.fixture(autouse=True)
def no_os_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever this machine has installed, `import keyring` fails unless a test fakes it."""
    monkeypatch.setitem(sys.modules, "keyring", None)


class FakeKeyring:
    def __init__(self, priority: float, broken: bool = False) -> None:
        self.priority = priority
        self.broken = broken
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        if self.broken:
            raise RuntimeError("no session bus")
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.broken:
            raise RuntimeError("no session bus")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise KeyError(username)  # keyring raises PasswordDeleteError
        del self.entries[(service, username)]


def fake_keyring(monkeypatch: pytest.MonkeyPatch, backend: FakeKeyring) -> None:
    module = types.ModuleType("keyring")
    module.get_keyring = lambda: backend  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", module)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secrets_live_in_a_0600_file_in_the_data_folder(isolated_xdg: Path) -> None:
    store = SecretStore()
    assert not store.uses_keyring
    assert store.get("work", "token") is None
    store.set("work", "token", "tok-1")
    store.set("meta", "private_key_pem", PEM)
    store.set("meta", "client_id", "cid")
    path = isolated_xdg / "xdg_data_home" / "cohort" / "secrets.toml"
    assert store.path == path and store.location == str(path)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    again = SecretStore()  # a new process reads what the last one wrote
    assert again.get("work", "token") == "tok-1"
    assert again.get("meta", "private_key_pem") == PEM
    assert again.get("work", "client_id") is None


def test_delete_one_secret_or_a_whole_profile(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "s.toml")
    store.set("meta", "user_api_key", "key")
    store.set("meta", "client_id", "cid")
    store.set("work", "token", "tok")
    store.delete("meta", "client_id")
    assert (store.get("meta", "client_id"), store.get("meta", "user_api_key")) == (None, "key")
    store.delete("meta")
    assert store.get("meta", "user_api_key") is None
    assert store.get("work", "token") == "tok"
    assert "meta" not in (tmp_path / "s.toml").read_text(encoding="utf-8")
    store.delete("nobody")  # nothing to forget is not an error


def test_a_file_others_can_read_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    store = SecretStore(path)
    store.set("work", "token", "tok")
    path.chmod(0o644)
    with pytest.raises(SecretError) as caught:
        store.get("work", "token")
    message = str(caught.value)
    assert message.startswith(f"{path}: other users can read or change it (mode 0644)")
    assert message.endswith(f"run: chmod 600 {path}")
    with pytest.raises(SecretError):
        store.set("work", "token", "other")  # nor is it rewritten behind the user's back
    path.chmod(0o600)
    assert store.get("work", "token") == "tok"


def test_a_crash_while_writing_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data" / "secrets.toml"
    store = SecretStore(path)
    store.set("work", "token", "old")
    before = path.read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError("power cut")

    with monkeypatch.context() as patched:
        patched.setattr(os, "replace", crash)
        with pytest.raises(OSError, match="power cut"):
            store.set("work", "token", "new")
    assert path.read_bytes() == before
    assert SecretStore(path).get("work", "token") == "old"
    # The half-made temporary file is gone too.
    assert sorted(p.name for p in path.parent.iterdir()) == [".secrets.toml.lock", "secrets.toml"]


def test_a_damaged_file_is_reported_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text("[work\n", encoding="utf-8")
    path.chmod(0o600)
    store = SecretStore(path)
    with pytest.raises(SecretError, match=f"{path}: not valid TOML"):
        store.set("work", "token", "tok")
    assert path.read_text(encoding="utf-8") == "[work\n"
    path.write_text('work = "tok"\n', encoding="utf-8")
    with pytest.raises(SecretError, match=r"\[work\] must be a table of strings"):
        store.get("work", "token")


def test_only_known_secrets_are_stored(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "s.toml")
    with pytest.raises(ValueError, match="unknown secret 'password'"):
        store.set("work", "password", "hunter2")
    with pytest.raises(ValueError):
        store.set("work", "token", "")
    assert not (tmp_path / "s.toml").exists()


def test_secrets_never_reach_the_config(tmp_path: Path, isolated_xdg: Path) -> None:
    user = tmp_path / "cfg" / "config.toml"
    user.parent.mkdir()
    user.write_text('[profiles.work]\nkind = "cohort"\nurl = "https://w.example"\n')
    save_profile(Profile("work", "cohort", url="https://w.example", auth="token"), user_path=user)
    store = SecretStore()
    store.set("work", "token", "SECRET-TOKEN-123")
    save_profile(Profile("meta", "discourse", url="https://m.example"), user_path=user)
    for path in user.parent.iterdir():
        assert "SECRET-TOKEN-123" not in path.read_text(encoding="utf-8"), path
    assert "SECRET-TOKEN-123" not in merged_toml(load_config(user_path=user, site_path=None))
    # ...and it is where the search above would have found it.
    assert "SECRET-TOKEN-123" in store.path.read_text(encoding="utf-8")


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from tui.forum.secrets import SecretStore
        store = SecretStore(Path(sys.argv[1]))
        for i in range(25):
            store.set(f"{sys.argv[2]}{i}", "token", str(i))
        """
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(path), prefix]) for prefix in "ab"
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    store = SecretStore(path)
    for prefix in "ab":
        assert [store.get(f"{prefix}{i}", "token") for i in range(25)] == [
            str(i) for i in range(25)
        ]


def test_the_os_keyring_is_used_when_it_has_a_real_backend(
    monkeypatch: pytest.MonkeyPatch, isolated_xdg: Path
) -> None:
    backend = FakeKeyring(priority=5)
    fake_keyring(monkeypatch, backend)
    store = SecretStore()
    assert store.uses_keyring and store.location == "the OS keyring"
    store.set("meta", "user_api_key", "key")
    assert backend.entries == {(SERVICE, "meta/user_api_key"): "key"}
    assert not store.path.exists()
    assert store.get("meta", "user_api_key") == "key"
    store.delete("meta")
    assert backend.entries == {}
    # Naming a file means the file, keyring or not.
    named = SecretStore(isolated_xdg / "named.toml")
    named.set("meta", "token", "t")
    assert backend.entries == {}


def test_a_keyring_without_a_real_backend_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_keyring(monkeypatch, FakeKeyring(priority=0))  # keyring's fail backend
    store = SecretStore()
    assert not store.uses_keyring
    store.set("work", "token", "tok-in-file")
    assert "tok-in-file" in store.path.read_text(encoding="utf-8")
    with pytest.raises(SecretError, match="no usable OS keyring"):
        SecretStore(backend="keyring")


def test_a_failing_keyring_falls_back_to_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeKeyring(priority=5, broken=True)
    fake_keyring(monkeypatch, backend)
    store = SecretStore()
    store.set("work", "token", "file-copy")
    assert "file-copy" in store.path.read_text(encoding="utf-8")
    assert store.get("work", "token") == "file-copy"
    # Once the keyring works again, a new secret goes there and the file copy is dropped.
    backend.broken = False
    store.set("work", "token", "keyring-copy")
    assert backend.entries == {(SERVICE, "work/token"): "keyring-copy"}
    assert "file-copy" not in store.path.read_text(encoding="utf-8")
    assert store.get("work", "token") == "keyring-copy"
