"""The database schema: versioning, migrations, and the OpenAPI document matching the routes."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.app import create_app
from server.settings import Settings
from server.store import Store, schema
from server.store.schema import SCHEMA_VERSION, SchemaTooNew, migrate
from tests.serverproc import ServerProcess, run_cohort, start_server

API = "/api/v1"


def _pragma(db: Path, name: str) -> object:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    running = start_server(tmp_path_factory.mktemp("schema"), unix=False)
    try:
        yield running
    finally:
        running.stop()


def test_a_new_database_is_current_and_in_wal_mode(server: ServerProcess) -> None:
    assert _pragma(server.db, "user_version") == SCHEMA_VERSION
    assert _pragma(server.db, "journal_mode") == "wal"
    assert server.db.stat().st_mode & 0o077 == 0  # password and token hashes inside
    with server.client() as client:
        assert client.get(f"{API}/site").status_code == 200


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_a_newer_database_is_refused_and_left_untouched(tmp_path: Path, journal: str) -> None:
    db = tmp_path / "future.db"
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA journal_mode = {journal}")
        conn.execute("CREATE TABLE from_the_future (x TEXT)")
        conn.execute("INSERT INTO from_the_future VALUES ('keep me')")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = db.read_bytes()
    files = sorted(p.name for p in tmp_path.iterdir())
    done = run_cohort(
        "serve", "--db", str(db), "--socket", str(tmp_path / "run" / "s.sock"), timeout=30
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert f"schema version {SCHEMA_VERSION + 1} is newer than this server" in done.stderr
    assert "upgrade Cohort" in done.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "run") == files
    done = run_cohort("admin", "--db", str(db), "list-users")  # admin refuses it too
    assert done.returncode != 0 and "newer than this server" in done.stderr
    assert db.read_bytes() == before


def test_an_old_database_is_migrated_keeping_its_data(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE local_notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        conn.executemany(
            "INSERT INTO local_notes (body) VALUES (?)", [("first note",), ("second note",)]
        )
    conn.close()
    assert _pragma(db, "user_version") == 0
    server = start_server(tmp_path, db=db)
    try:
        with server.client() as client:
            assert client.get(f"{API}/me").status_code == 200
            assert client.get(f"{API}/categories").json() == {"categories": []}
        assert _pragma(db, "user_version") == SCHEMA_VERSION
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            notes = conn.execute("SELECT id, body FROM local_notes ORDER BY id").fetchall()
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert notes == [(1, "first note"), (2, "second note")]
        assert {"users", "posts", "topics", "tokens", "changes"} <= tables
    finally:
        server.stop()


def _extra_steps(monkeypatch: pytest.MonkeyPatch, *steps: list[str]) -> int:
    """Pretend this Cohort has more migrations than it ships."""
    migrations = [*schema.MIGRATIONS, *steps]
    monkeypatch.setattr(schema, "MIGRATIONS", migrations)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(migrations))
    return len(migrations)


def test_migrations_run_step_by_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "steps.db"
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        assert migrate(conn) == 0
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        conn.execute("INSERT INTO settings (key, value) VALUES ('kept', 'yes')")
        top = _extra_steps(
            monkeypatch,
            ["CREATE TABLE step_one (x INTEGER)", "INSERT INTO step_one VALUES (1)"],
            ["ALTER TABLE step_one ADD COLUMN y INTEGER DEFAULT 2"],
        )
        assert migrate(conn) == SCHEMA_VERSION  # started from the shipped version
        assert conn.execute("PRAGMA user_version").fetchone()[0] == top
        assert conn.execute("SELECT x, y FROM step_one").fetchall() == [(1, 2)]
        assert conn.execute("SELECT value FROM settings WHERE key = 'kept'").fetchone() == ("yes",)
        assert migrate(conn) == top  # nothing left to do
    finally:
        conn.close()


def test_a_failing_migration_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "broken.db"
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        migrate(conn)
        _extra_steps(
            monkeypatch,
            ["CREATE TABLE good_step (x INTEGER)"],
            ["CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL"],
        )
        with pytest.raises(sqlite3.OperationalError):
            migrate(conn)
        # The good step stays applied; the broken one left nothing behind.
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "good_step" in tables and "half_done" not in tables
        assert not conn.in_transaction
    finally:
        conn.close()


def test_migrate_refuses_a_newer_schema(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "new.db", isolation_level=None)
    try:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
        with pytest.raises(SchemaTooNew, match="newer than this server"):
            migrate(conn)
        assert conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0
    finally:
        conn.close()


# -- the OpenAPI document --------------------------------------------------------------------


def _app_routes(tmp_path: Path) -> set[tuple[str, str]]:
    store = Store(tmp_path / "routes.db")
    try:
        app = create_app(store, Settings())
        found: set[tuple[str, str]] = set()
        for route in app.routes:
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)  # type: ignore[attr-defined]
            for method in route.methods or ():  # type: ignore[attr-defined]
                if method != "HEAD":  # Starlette adds HEAD to every GET
                    found.add((path, method.lower()))
        return found
    finally:
        store.close()


def test_openapi_documents_exactly_the_routes(server: ServerProcess, tmp_path: Path) -> None:
    with server.client() as client:
        answer = client.get(f"{API}/openapi.json")  # readable without logging in
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert doc["openapi"].startswith("3.")
    documented = {
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method in ("get", "put", "post", "patch", "delete", "head", "options", "trace")
    }
    routes = _app_routes(tmp_path)
    assert len(routes) > 20
    assert documented == routes, (
        f"undocumented: {sorted(routes - documented)}; no such route: {sorted(documented - routes)}"
    )
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op["summary"] and op["responses"], (path, method)
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"\{(\w+)\}", path)), (path, method)
    for ref in re.findall(r"#/components/schemas/(\w+)", answer.text):
        assert ref in doc["components"]["schemas"]
