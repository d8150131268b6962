"""Shared fixtures: isolated XDG folders, and real server processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serverproc import ServerProcess, running


@pytest.fixture(autouse=True)
def isolated_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user's config, data or cache."""
    home = tmp_path / "home"
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = home / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(path))
    # A developer's real keyring is never touched: secrets go to the test's file.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    return home


@pytest.fixture
def unix_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server on a Unix socket in the test's folder; the caller's uid is the user."""
    yield from running(tmp_path)


@pytest.fixture
def tcp_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server on 127.0.0.1 and a free port, for token and password logins."""
    yield from running(tmp_path, unix=False)
