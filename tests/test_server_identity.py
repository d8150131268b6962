"""Who the server thinks is asking: Unix-socket peers, bearer tokens, passwords, anonymity.

Every test talks to a real `cohort serve` child process; the database is only opened
directly (read-only) to check what is stored at rest.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.store import accounts
from server.store.db import open_database, run_in_transaction
from tests.serverproc import ServerProcess, run_cohort, start_server

API = "/api/v1"


def _error(response: httpx.Response, status: int) -> dict[str, str]:
    """The JSON error body of a response that must have failed with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return error  # type: ignore[no-any-return]


def _read_only(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def _mint(server: ServerProcess, username: str) -> str:
    """A new user and a token from `admin mint-token`."""
    for args in (("add-user", username), ("mint-token", username)):
        done = server.admin(*args)
        assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _quick_moderator(db: Path, username: str) -> str:
    """A moderator and a token written straight into the database (no CLI start)."""
    conn = open_database(db)
    try:

        def work(c: sqlite3.Connection) -> str:
            token = "cht_" + secrets.token_urlsafe(32)
            accounts.store_token(c, accounts.add_user(c, username, moderator=True), token, "t")
            return token

        return run_in_transaction(conn, work)
    finally:
        conn.close()


def _token_id(server: ServerProcess, username: str, label: str | None = None) -> int:
    done = server.admin("list-tokens", username)
    assert done.returncode == 0, done.stderr
    tokens = [t for t in json.loads(done.stdout) if label is None or t["label"] == label]
    return int(tokens[-1]["id"])


def _serve_socket(db: Path, sock: Path) -> list[str]:
    return ["serve", "--db", str(db), "--socket", str(sock)]


# -- the Unix socket ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("unix"))
    try:
        yield server
    finally:
        server.stop()


def test_socket_peer_becomes_a_user_once(unix: ServerProcess) -> None:
    login = pwd.getpwuid(os.getuid()).pw_name
    with unix.client() as first:
        me = first.get(f"{API}/me")
    assert me.status_code == 200, me.text
    assert me.json()["username"] == login
    assert me.json()["is_moderator"] is False
    with unix.client() as second:  # a new connection, the same person
        again = second.get(f"{API}/me")
        assert second.get(f"{API}/categories").status_code == 200  # reading needs no token
    assert again.json()["id"] == me.json()["id"]
    listed = unix.admin("list-users").stdout.splitlines()
    rows = [line.split() for line in listed[1:]]
    assert [r for r in rows if r[1] == login] == [
        [str(me.json()["id"]), login, str(os.getuid()), "member", "no"]
    ]


def test_socket_folder_and_file_permissions(unix: ServerProcess) -> None:
    assert unix.socket is not None
    folder = unix.socket.parent.stat()
    assert stat.S_IMODE(folder.st_mode) == 0o755
    assert folder.st_uid == os.getuid()
    sock = unix.socket.stat()
    assert stat.S_ISSOCK(sock.st_mode)
    assert sock.st_mode & 0o006 == 0o006  # anyone on the machine may connect


def test_refuses_a_socket_folder_others_can_write(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o775)
    done = run_cohort(*_serve_socket(tmp_path / "forum.db", folder / "cohort.sock"), timeout=30)
    assert done.returncode == 2, done.stderr
    assert "writable by others" in done.stderr
    assert str(folder) in done.stderr
    assert not (folder / "cohort.sock").exists()
    folder.chmod(0o757)  # writable by "other" only: just as unsafe
    done = run_cohort(*_serve_socket(tmp_path / "forum.db", folder / "cohort.sock"), timeout=30)
    assert done.returncode == 2, done.stderr
    assert "writable by others" in done.stderr


def test_never_replaces_a_file_that_is_not_a_socket(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir(mode=0o755)
    precious = tmp_path / "run" / "cohort.sock"
    precious.write_text("not a socket")
    done = run_cohort(*_serve_socket(tmp_path / "forum.db", precious), timeout=30)
    assert done.returncode == 2, done.stderr
    assert "not a socket" in done.stderr
    assert precious.read_text() == "not a socket"


def test_refuses_a_socket_another_server_listens_on(unix: ServerProcess, tmp_path: Path) -> None:
    assert unix.socket is not None
    done = run_cohort(*_serve_socket(tmp_path / "other.db", unix.socket), timeout=30)
    assert done.returncode == 2, done.stderr
    assert "already listening" in done.stderr
    with unix.client() as client:  # the first server is untouched
        assert client.get(f"{API}/me").status_code == 200


def test_a_stale_socket_from_a_killed_server_is_replaced(tmp_path: Path) -> None:
    first = start_server(tmp_path)
    assert first.socket is not None
    first.kill()
    assert first.socket.exists()  # SIGKILL left the socket file behind
    second = start_server(tmp_path)
    try:
        with second.client() as client:
            assert client.get(f"{API}/me").status_code == 200
    finally:
        second.stop()
    assert not first.socket.exists()  # a clean stop removes it


# -- tokens and passwords over TCP -------------------------------------------------------------


@pytest.fixture(scope="module")
def tcp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("tcp"), unix=False)
    try:
        yield server
    finally:
        server.stop()


def _login(server: ServerProcess, username: str, password: str) -> httpx.Response:
    with server.client() as client:
        return client.post(f"{API}/login", json={"username": username, "password": password})


def _me(server: ServerProcess, token: str) -> httpx.Response:
    with server.client(token) as client:
        return client.get(f"{API}/me")


def test_tcp_without_a_token_is_401(tcp: ServerProcess) -> None:
    with tcp.client() as client:
        _error(client.get(f"{API}/me"), 401)
        _error(client.get(f"{API}/topics"), 401)
        assert client.get(f"{API}/site").status_code == 200  # the one public endpoint


def test_minted_token_works_and_revoking_it_ends_it(tcp: ServerProcess) -> None:
    token = _mint(tcp, "tina")
    me = _me(tcp, token)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "tina"
    assert _error(_me(tcp, token + "x"), 401)["code"] == "invalid_token"
    assert _error(_me(tcp, "cht_" + "A" * 43), 401)["code"] == "invalid_token"
    done = tcp.admin("revoke-token", str(_token_id(tcp, "tina")))
    assert done.returncode == 0, done.stderr
    assert _error(_me(tcp, token), 401)["code"] == "invalid_token"
    revoked = json.loads(tcp.admin("list-tokens", "tina").stdout)
    assert revoked[-1]["revoked_at"] is not None


def test_password_login(tcp: ServerProcess) -> None:
    done = tcp.admin("add-user", "bob", "--password-stdin", input="correct horse battery\n")
    assert done.returncode == 0, done.stderr
    answer = _login(tcp, "bob", "correct horse battery")
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"]["username"] == "bob"
    me = _me(tcp, answer.json()["token"])
    assert me.status_code == 200 and me.json()["username"] == "bob"

    wrong = _error(_login(tcp, "bob", "correct horse battery!"), 401)
    unknown = _error(_login(tcp, "nobody-here", "correct horse battery"), 401)
    assert wrong["code"] == unknown["code"] == "invalid_credentials"
    assert wrong["message"] == unknown["message"]  # no hint which of the two was wrong
    no_password = tcp.admin("add-user", "nopass")
    assert no_password.returncode == 0, no_password.stderr
    assert _error(_login(tcp, "nopass", ""), 401)["code"] == "invalid_credentials"

    with _read_only(tcp.db) as conn:
        (stored,) = conn.execute(
            "SELECT password_hash FROM users WHERE username = 'bob'"
        ).fetchone()
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored


def test_only_a_hash_of_each_token_is_stored(tcp: ServerProcess) -> None:
    minted = _mint(tcp, "hasher")
    done = tcp.admin("set-password", "hasher", "--stdin", input="a long enough one\n")
    assert done.returncode == 0, done.stderr
    logged_in = _login(tcp, "hasher", "a long enough one").json()["token"]
    for token in (minted, logged_in):
        assert _me(tcp, token).status_code == 200
        with _read_only(tcp.db) as conn:
            rows = conn.execute("SELECT * FROM tokens").fetchall()
        assert rows
        assert not any(token in str(value) for row in rows for value in row)
        for path in (tcp.db, Path(f"{tcp.db}-wal")):
            if path.exists():
                assert token.encode() not in path.read_bytes()


def test_logout_revokes_the_token(tcp: ServerProcess) -> None:
    done = tcp.admin("add-user", "leaver", "--password-stdin", input="see you later\n")
    assert done.returncode == 0, done.stderr
    token = _login(tcp, "leaver", "see you later").json()["token"]
    other = _login(tcp, "leaver", "see you later").json()["token"]
    with tcp.client(token) as client:
        assert client.post(f"{API}/logout").status_code == 204
    assert _error(_me(tcp, token), 401)["code"] == "invalid_token"
    assert _me(tcp, other).status_code == 200  # only the session that logged out ends
    with tcp.client() as client:
        _error(client.post(f"{API}/logout"), 401)


def test_set_password_revokes_earlier_login_tokens(tcp: ServerProcess) -> None:
    done = tcp.admin("add-user", "changer", "--password-stdin", input="first password\n")
    assert done.returncode == 0, done.stderr
    old = _login(tcp, "changer", "first password").json()["token"]
    assert _me(tcp, old).status_code == 200
    done = tcp.admin("set-password", "changer", "--stdin", input="second password\n")
    assert done.returncode == 0, done.stderr
    assert _error(_me(tcp, old), 401)["code"] == "invalid_token"
    _error(_login(tcp, "changer", "first password"), 401)
    new = _login(tcp, "changer", "second password")
    assert new.status_code == 200, new.text
    assert _me(tcp, new.json()["token"]).status_code == 200


def test_short_passwords_are_refused(tcp: ServerProcess) -> None:
    done = tcp.admin("add-user", "shorty", "--password-stdin", input="short\n")
    assert done.returncode == 2
    assert "at least 8 characters" in done.stderr
    assert "shorty" not in tcp.admin("list-users").stdout


# -- anonymous reading ------------------------------------------------------------------------


def test_anonymous_reading_is_off_by_default(tcp: ServerProcess) -> None:
    with tcp.client() as client:
        assert _error(client.get(f"{API}/topics"), 401)["code"] == "unauthorized"
        _error(client.get(f"{API}/categories"), 401)
        assert client.get(f"{API}/site").json()["anonymous_read"] is False


def test_anonymous_read_shows_public_categories_only(tmp_path: Path) -> None:
    server = start_server(tmp_path, unix=False, args=("--anonymous-read",))
    try:
        for args in (
            ("add-group", "staff"),
            ("add-category", "open", "--name", "Open"),
            ("add-category", "staff-room", "--name", "Staff room", "--group", "staff"),
        ):
            done = server.admin(*args)
            assert done.returncode == 0, done.stderr
        author = _quick_moderator(server.db, "author")
        with server.client(author) as client:
            for slug in ("open", "staff-room"):
                made = client.post(
                    f"{API}/topics",
                    json={
                        "title": f"Hello from {slug}",
                        "raw": f"body of {slug}",
                        "category": slug,
                    },
                )
                assert made.status_code == 201, made.text
            secret_id = made.json()["topic"]["id"]
        with server.client() as anon:
            assert anon.get(f"{API}/site").json()["anonymous_read"] is True
            cats = anon.get(f"{API}/categories")
            assert cats.status_code == 200, cats.text
            assert [c["slug"] for c in cats.json()["categories"]] == ["open"]
            topics = anon.get(f"{API}/topics")
            assert topics.status_code == 200, topics.text
            assert [t["title"] for t in topics.json()["topics"]] == ["Hello from open"]
            open_id = topics.json()["topics"][0]["id"]
            assert anon.get(f"{API}/topics/{open_id}").status_code == 200
            _error(anon.get(f"{API}/topics/{secret_id}"), 404)
            _error(anon.get(f"{API}/topics", params={"category": "staff-room"}), 404)
            _error(
                anon.post(
                    f"{API}/topics", json={"title": "anon", "raw": "anon", "category": "open"}
                ),
                401,
            )
            _error(anon.post(f"{API}/topics/{open_id}/posts", json={"raw": "hi"}), 401)
            _error(anon.get(f"{API}/me"), 401)
            _error(anon.get(f"{API}/notifications"), 401)
    finally:
        server.stop()
