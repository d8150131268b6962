"""`cohort admin ...` against a running server's database, and `cohort serve --sample`."""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.store import accounts
from server.store.db import open_database, run_in_transaction
from server.store.schema import SCHEMA_VERSION
from tests.serverproc import ServerProcess, run_cohort, start_server

API = "/api/v1"


def admin_ok(server: ServerProcess, *args: str, input: str | None = None) -> str:
    done = server.admin(*args, input=input)
    assert done.returncode == 0, done.stderr
    return done.stdout


def admin_fails(server: ServerProcess, *args: str) -> str:
    """Run a command that must fail with one clear line, not a traceback."""
    done = server.admin(*args)
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("cohort: "), done.stderr
    return done.stderr


def quick_token(db: Path, username: str) -> str:
    """A user and a token written straight into the database, for tests whose subject is
    another command (starting the CLI is the slow part of these tests)."""
    conn = open_database(db)
    try:

        def work(c: sqlite3.Connection) -> str:
            token = "cht_" + secrets.token_urlsafe(32)
            accounts.store_token(c, accounts.add_user(c, username), token, "test")
            return token

        return run_in_transaction(conn, work)
    finally:
        conn.close()


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def users(server: ServerProcess) -> dict[str, list[str]]:
    """list-users as {username: [id, uid?, role, password]}."""
    lines = admin_ok(server, "list-users").splitlines()
    assert lines[0].split() == ["id", "username", "uid", "role", "password"]
    table: dict[str, list[str]] = {}
    for line in lines[1:]:
        cells = line.split()
        table[cells[1]] = [cells[0], *cells[2:]]
    return table


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    running = start_server(tmp_path_factory.mktemp("admin"), unix=False)
    try:
        admin_ok(running, "add-category", "general", "--name", "General")
        yield running
    finally:
        running.stop()


def test_add_user_and_list_users(server: ServerProcess) -> None:
    out = admin_ok(server, "add-user", "ann", "--name", "Ann Example", "--uid", "4242")
    assert re.fullmatch(r"added member ann \(id \d+\)\n", out)
    out = admin_ok(
        server, "add-user", "max", "--moderator", "--password-stdin", input="a fine password\n"
    )
    assert out.startswith("added moderator max")
    listed = users(server)
    assert listed["ann"][1:] == ["4242", "member", "no"]
    assert listed["max"][1:] == ["moderator", "yes"]  # no uid column value
    token = admin_ok(server, "mint-token", "ann").strip()
    me = ok(server.client(token).get(f"{API}/me"))
    assert (me["username"], me["name"], str(me["id"])) == ("ann", "Ann Example", listed["ann"][0])


def test_add_user_refuses_duplicates_and_bad_names(server: ServerProcess) -> None:
    admin_ok(server, "add-user", "dupe")
    assert "already exists" in admin_fails(server, "add-user", "DUPE")  # names ignore case
    assert "username" in admin_fails(server, "add-user", "no spaces")
    admin_ok(server, "add-user", "uidone", "--uid", "7001")
    assert "already belongs" in admin_fails(server, "add-user", "uidtwo", "--uid", "7001")
    with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True) as conn:
        names = [r[0] for r in conn.execute("SELECT username FROM users")]
    assert "uidtwo" not in names and "no spaces" not in names
    assert [name for name in names if name.lower() == "dupe"] == ["dupe"]


def test_set_moderator(server: ServerProcess) -> None:
    token = quick_token(server.db, "promoted")
    with server.client(token) as client:
        assert ok(client.get(f"{API}/me"))["is_moderator"] is False
        assert admin_ok(server, "set-moderator", "promoted") == "promoted is a moderator\n"
        assert ok(client.get(f"{API}/me"))["is_moderator"] is True
        assert users(server)["promoted"][-2] == "moderator"
        admin_ok(server, "set-moderator", "promoted", "--off")
        assert ok(client.get(f"{API}/me"))["is_moderator"] is False
    assert "no user named" in admin_fails(server, "set-moderator", "ghost")


def test_tokens_are_listed_without_secrets(server: ServerProcess) -> None:
    quick_token(server.db, "keyholder")
    done = server.admin("mint-token", "keyholder", "--label", "laptop")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert token.startswith("cht_") and done.stdout.count("\n") == 1  # only the token
    assert "shown once" in done.stderr
    listed = json.loads(admin_ok(server, "list-tokens", "keyholder"))
    assert [t["label"] for t in listed] == ["test", "laptop"]
    assert token not in json.dumps(listed)
    assert "no active token" in admin_fails(server, "revoke-token", "999999")
    assert "no user named" in admin_fails(server, "mint-token", "ghost")


def test_add_category_with_guidelines_from_a_file(server: ServerProcess, tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text("# Be kind\n\nShare what you **learn**, and cite it.\n", encoding="utf-8")
    out = admin_ok(
        server,
        "add-category",
        "study-hall",
        "--name",
        "Study hall",
        "--description",
        "Work together",
        "--guidelines",
        f"@{guide}",
    )
    assert out.startswith("added category study-hall (id ")
    admin_ok(server, "add-category", "inline", "--name", "Inline", "--guidelines", "Plain text")
    token = quick_token(server.db, "reader")
    cats = {c["slug"]: c for c in ok(server.client(token).get(f"{API}/categories"))["categories"]}
    assert cats["study-hall"]["guidelines"] == guide.read_text(encoding="utf-8")
    assert cats["study-hall"]["description"] == "Work together"
    assert cats["study-hall"]["name"] == "Study hall"
    assert cats["inline"]["guidelines"] == "Plain text"
    assert cats["inline"]["position"] > cats["study-hall"]["position"]

    missing = admin_fails(
        server,
        "add-category",
        "nofile",
        "--name",
        "No file",
        "--guidelines",
        f"@{tmp_path / 'missing.md'}",
    )
    assert "missing.md" in missing and "No such file" in missing


def test_add_category_refuses_bad_slugs_and_duplicates(server: ServerProcess) -> None:
    for slug in ("Bad Slug", "-leading", "x" * 51):
        message = admin_fails(server, "add-category", "--name", "Bad", "--", slug)
        assert "slug" in message and "lowercase letters" in message
    assert "already exists" in admin_fails(server, "add-category", "general", "--name", "Again")
    assert "no group named" in admin_fails(
        server, "add-category", "ghostly", "--name", "G", "--group", "ghosts"
    )
    token = quick_token(server.db, "slugreader")
    slugs = [c["slug"] for c in ok(server.client(token).get(f"{API}/categories"))["categories"]]
    assert "ghostly" not in slugs  # the failed command left no half-made category
    assert slugs.count("general") == 1


def test_groups(server: ServerProcess) -> None:
    token = quick_token(server.db, "grouped")
    admin_ok(server, "add-group", "mentors")
    assert "already exists" in admin_fails(server, "add-group", "mentors")
    assert "no group named 'ghosts'" in admin_fails(server, "add-to-group", "ghosts", "grouped")
    # One unknown user fails the whole command: nobody is half added.
    assert "no user named" in admin_fails(server, "add-to-group", "mentors", "grouped", "ghost")
    with server.client(token) as client:
        assert ok(client.get(f"{API}/me"))["groups"] == []
        assert admin_ok(server, "add-to-group", "mentors", "grouped") == (
            "added grouped to mentors\n"
        )
        assert ok(client.get(f"{API}/me"))["groups"] == ["mentors"]
        admin_ok(server, "remove-from-group", "mentors", "grouped")
        assert ok(client.get(f"{API}/me"))["groups"] == []


def test_admin_needs_an_existing_database(tmp_path: Path) -> None:
    db = tmp_path / "nowhere.db"
    done = run_cohort("admin", "--db", str(db), "list-users")
    assert done.returncode == 2
    assert "no such database" in done.stderr
    assert not db.exists()


# -- backup ---------------------------------------------------------------------------------


def _post_count(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0])


def test_backup_while_the_server_writes(server: ServerProcess, tmp_path: Path) -> None:
    token = quick_token(server.db, "writer")
    with server.client(token) as client:
        topic_id = ok(
            client.post(
                f"{API}/topics", json={"title": "Busy topic", "raw": "Start", "category": "general"}
            ),
            201,
        )["topic"]["id"]
    stop = threading.Event()
    written: list[int] = []
    failures: list[str] = []

    def keep_writing() -> None:
        with server.client(token) as client:
            while not stop.is_set():
                answer = client.post(
                    f"{API}/topics/{topic_id}/posts",
                    json={"raw": f"Backupword reply {len(written)}"},
                )
                if answer.status_code != 201:
                    failures.append(answer.text)
                    return
                written.append(answer.json()["id"])

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 20 and writer.is_alive():
            stop.wait(0.01)
        before = _post_count(server.db)
        dest = tmp_path / "backup.db"
        out = admin_ok(server, "backup", str(dest))
        after = _post_count(server.db)
    finally:
        stop.set()
        writer.join()
    assert not failures, failures
    assert out.startswith("backed up ")
    assert before < after  # the server really was writing while the backup ran

    assert stat.S_IMODE(dest.stat().st_mode) & 0o077 == 0  # hashes inside: owner only
    with sqlite3.connect(f"file:{dest}?mode=ro", uri=True) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        posts = [r[0] for r in copy.execute("SELECT id FROM posts ORDER BY id")]
        assert before <= len(posts) <= after
        # Transaction-consistent: every topic's counters match the posts it has.
        for tid, count, highest, real_count, real_highest in copy.execute(
            """SELECT t.id, t.posts_count, t.highest_post_number, COUNT(p.id),
                      MAX(p.post_number)
               FROM topics t LEFT JOIN posts p ON p.topic_id = t.id GROUP BY t.id"""
        ):
            assert (count, highest) == (real_count, real_highest), tid
        # The search index is part of the same snapshot.
        indexed = copy.execute(
            "SELECT COUNT(*) FROM posts_fts WHERE posts_fts MATCH 'backupword'"
        ).fetchone()[0]
        replies = copy.execute(
            "SELECT COUNT(*) FROM posts WHERE raw LIKE 'Backupword reply %'"
        ).fetchone()[0]
        assert indexed == replies >= 20
    with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True) as live:
        live_ids = [r[0] for r in live.execute("SELECT id FROM posts ORDER BY id")]
    assert posts == live_ids[: len(posts)]  # a prefix of history, nothing missing in between


def test_backup_never_overwrites(server: ServerProcess, tmp_path: Path) -> None:
    dest = tmp_path / "precious.db"
    dest.write_bytes(b"do not touch")
    message = admin_fails(server, "backup", str(dest))
    assert "exists" in message
    assert dest.read_bytes() == b"do not touch"
    message = admin_fails(server, "backup", str(tmp_path / "no-such-dir" / "x.db"))
    assert "No such file" in message


# -- the sample community -----------------------------------------------------------------


@dataclass
class Snapshot:
    log: str
    categories: list[dict[str, Any]]
    topics: list[dict[str, Any]]
    views: dict[int, dict[str, Any]]
    resources: list[dict[str, Any]]


def _moderator(server: ServerProcess) -> str:
    for name, cells in users(server).items():
        if "moderator" in cells:
            return server.token_for(name)
    raise AssertionError("the sample community has no moderator")


def _snapshot(server: ServerProcess, *, views: bool) -> Snapshot:
    with server.client(_moderator(server)) as client:
        categories = ok(client.get(f"{API}/categories"))["categories"]
        topics: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = ok(client.get(f"{API}/topics", params={"limit": 100, "cursor": cursor or ""}))
            topics += page["topics"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        seen: dict[int, dict[str, Any]] = {}
        if views:
            for topic in topics:
                view = ok(client.get(f"{API}/topics/{topic['id']}"))
                rest = [i for i in view["post_ids"] if i not in {p["id"] for p in view["posts"]}]
                while rest:
                    ids = ",".join(str(i) for i in rest[:100])
                    more = ok(client.get(f"{API}/topics/{topic['id']}/posts", params={"ids": ids}))
                    view["posts"] += more["posts"]
                    rest = rest[100:]
                seen[topic["id"]] = view
        resources = ok(client.get(f"{API}/resources", params={"limit": 100}))["resources"]
    return Snapshot(server.log, categories, topics, seen, resources)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Snapshot, Snapshot]:
    """The sample community on its first start, and again after a second `--sample` start."""
    tmp = tmp_path_factory.mktemp("sample")
    first = start_server(tmp, unix=False, args=("--sample",))
    try:
        one = _snapshot(first, views=True)
    finally:
        first.stop()
    second = start_server(tmp, unix=False, args=("--sample",))
    try:
        two = _snapshot(second, views=False)
    finally:
        second.stop()
    return one, two


def _chain_depth(posts: list[dict[str, Any]]) -> int:
    """The longest reply-to-a-reply chain among a topic's replies (post 1 not counted)."""
    by_number = {p["post_number"]: p for p in posts}

    def depth(post: dict[str, Any]) -> int:
        parent = by_number.get(post["reply_to_post_number"] or 0)
        if parent is None or parent["post_number"] == 1:
            return 1
        return 1 + depth(parent)

    return max((depth(p) for p in posts if p["post_number"] > 1), default=0)


def test_sample_community_is_seeded(sample: tuple[Snapshot, Snapshot]) -> None:
    first, _ = sample
    assert "seeded the sample community" in first.log
    assert len(first.categories) > 5
    assert any(c["restricted"] for c in first.categories)
    assert len(first.topics) >= 30
    assert all(c["topic_count"] > 0 for c in first.categories)
    solved = [t for t in first.topics if t["solved"]]
    assert solved
    for topic in solved:
        accepted = [p for p in first.views[topic["id"]]["posts"] if p["accepted"]]
        assert [p["post_number"] for p in accepted] == [topic["solution_post_number"]]
    posts = [p for view in first.views.values() for p in view["posts"]]
    assert max(_chain_depth(view["posts"]) for view in first.views.values()) >= 3
    assert any(r["count"] > 0 for p in posts for r in p["reactions"])
    assert any(t["like_count"] > 0 for t in first.topics)
    assert first.resources
    assert all(r["url"].startswith(("http://", "https://")) for r in first.resources)
    assert len({p["username"] for p in posts}) >= 5  # a community, not a monologue
    assert not any("{topic}" in p["raw"] for p in posts)  # placeholders were filled in


def test_sample_is_not_seeded_twice(sample: tuple[Snapshot, Snapshot]) -> None:
    first, second = sample
    assert "left as it is" in second.log
    assert "seeded the sample community" not in second.log
    slugs = [c["slug"] for c in second.categories]
    assert len(slugs) == len(set(slugs))
    assert slugs == [c["slug"] for c in first.categories]
    assert sorted(t["id"] for t in second.topics) == sorted(t["id"] for t in first.topics)
