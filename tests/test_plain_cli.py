"""`cohort latest|read|search|notifications|config` as a script would run them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serverproc import ServerProcess, run_cohort, start_server

ESC = "\x1b"


@pytest.fixture
def sample_server(tmp_path: Path, isolated_xdg: Path) -> Iterator[ServerProcess]:
    """A real server with the sample community on a Unix socket, saved as profile `club`."""
    server = start_server(tmp_path, args=("--sample",))
    config_dir = Path(os.environ["XDG_CONFIG_HOME"]) / "cohort"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(
        'default_profile = "club"\n\n'
        f'[profiles.club]\nkind = "socket"\nsocket = "{server.socket}"\n'
    )
    try:
        yield server
    finally:
        server.stop()


def cohort(*args: str) -> tuple[int, str, str]:
    done = run_cohort(*args)
    return done.returncode, done.stdout, done.stderr


def test_latest_plain_and_json(sample_server: ServerProcess) -> None:
    code, out, err = cohort("latest", "--plain")
    assert code == 0, err
    assert "Welcome to Cohort" in out
    assert ESC not in out
    code, out, err = cohort("latest", "--json", "--limit", "5")
    assert code == 0, err
    data = json.loads(out)
    assert data["freshness"] == "fresh" and len(data["topics"]) == 5
    assert all(isinstance(t["id"], int) for t in data["topics"])


def test_latest_of_a_category(sample_server: ServerProcess) -> None:
    code, out, err = cohort("latest", "--json", "--category", "peer-qa")
    assert code == 0, err
    topics = json.loads(out)["topics"]
    assert topics and len({t["category_id"] for t in topics}) == 1
    code, _out, err = cohort("latest", "--category", "no-such-thing")
    assert code == 2 and "no category" in err


def test_read_a_thread(sample_server: ServerProcess) -> None:
    code, out, err = cohort("latest", "--json")
    solved = next(t for t in json.loads(out)["topics"] if t["solved"])
    code, out, err = cohort("read", str(solved["id"]), "--plain")
    assert code == 0, err
    assert solved["title"] in out
    assert "accepted answer" in out
    assert "#2 " in out and "in reply to #" in out
    code, out, err = cohort("read", str(solved["id"]), "--json")
    posts = json.loads(out)["posts"]
    assert [p["post_number"] for p in posts] == sorted(p["post_number"] for p in posts)
    assert len(posts) == solved["posts_count"]


def test_read_by_url_and_bad_topic(sample_server: ServerProcess) -> None:
    code, _out, err = cohort("read", "not-a-topic")
    assert code == 2 and "neither a topic id nor a topic URL" in err
    code, _out, err = cohort("read", "99999")
    assert code == 1 and "not found" in err


def test_search_and_notifications(sample_server: ServerProcess) -> None:
    code, out, err = cohort("search", "pandas", "--plain")
    assert code == 0, err
    assert "pandas" in out.lower()
    code, out, err = cohort("search", "pandas", "@nobody-here", "--json")
    assert code == 0 and json.loads(out)["results"] == []
    code, out, err = cohort("notifications", "--json")
    assert code == 0, err
    assert json.loads(out)["unread_count"] == 0


def test_hostile_text_prints_inert(sample_server: ServerProcess) -> None:
    token = sample_server.token_for("mallory")
    hostile = "Evil \x1b]0;pwned\x07 \x1b[2J \x9b6n \u202eitxet [@click=app.quit]x[/]"
    with sample_server.client(token) as c:
        c.post("/api/v1/topics", json={"title": hostile, "raw": hostile, "category": "peer-qa"})
    for fmt in ("--plain", "--json"):
        code, out, err = cohort("latest", fmt)
        assert code == 0, err
        assert "[@click=app.quit]x[/]" in out
        for bad in ("\x1b", "\x9b", "\u202e", "\x07"):
            assert bad not in out


def test_offline_reads_and_searches_the_cache(sample_server: ServerProcess) -> None:
    code, out, _err = cohort("read", "1", "--plain")
    assert code == 0
    sample_server.stop()
    code, offline, err = cohort("read", "1", "--plain")
    assert code == 0, err
    assert "cannot be reached" in err
    assert offline.splitlines()[0] == out.splitlines()[0]
    first_word = next(w for w in offline.split() if w.isalpha() and len(w) > 6)
    code, found, err = cohort("search", first_word, "--json")
    assert code == 0, err
    assert json.loads(found)["freshness"] == "offline"
    assert any(r["topic_id"] == 1 for r in json.loads(found)["results"])


def test_a_bare_url_is_probed(tmp_path: Path) -> None:
    server = start_server(tmp_path, unix=False, args=("--sample", "--anonymous-read"))
    try:
        code, out, err = cohort("latest", "--forum", server.base_url, "--plain")
        assert code == 0, err
        assert "Welcome to Cohort" in out
    finally:
        server.stop()
    code, _out, err = cohort("latest", "--forum", "https://")
    assert code == 2


def test_config_print_and_a_bad_config(isolated_xdg: Path) -> None:
    code, out, err = cohort("config", "--print")
    assert code == 0, err
    assert "[profiles.embedded]" in out
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "cohort" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[profiles.work]\nkind = "cohort"\n')
    code, _out, err = cohort("latest")
    assert code == 2
    assert str(path) in err and "profiles.work" in err
