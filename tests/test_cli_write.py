"""`cohort new`, `cohort reply` and `cohort send` as scripts run them, against a real
server process: the text comes on standard input and goes through the outbox, so a forum
that cannot be reached keeps it queued (exit 75) until `cohort send` delivers it, once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serverproc import ROOT, ServerProcess, cohort_command, run_cohort, start_server
from tui.forum import statedb
from tui.forum.native import NativeBackend
from tui.forum.outbox import Outbox, OutboxState

TEMPFAIL = 75


@pytest.fixture
def club(tmp_path: Path, isolated_xdg: Path) -> Iterator[ServerProcess]:
    """A real server with the sample community on a Unix socket, the default profile `club`."""
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


def cohort(*args: str, text: str | None = None) -> tuple[int, str, str]:
    done = run_cohort(*args, input=text)
    return done.returncode, done.stdout, done.stderr


def posts_of(server: ServerProcess, topic_id: int) -> list[dict[str, Any]]:
    with server.client() as client:
        answer = client.get(f"/api/v1/topics/{topic_id}")
        assert answer.status_code == 200, answer.text
        posts: list[dict[str, Any]] = answer.json()["posts"]
    return posts


def open_topic(server: ServerProcess) -> int:
    """A topic anyone may reply to (not closed)."""
    with server.client() as client:
        topics = client.get("/api/v1/topics").json()["topics"]
    return int(next(t["id"] for t in topics if not t["closed"]))


def outbox() -> Outbox:
    return Outbox(statedb.default_path(), "club")


# -- posting ------------------------------------------------------------------------------------


def test_reply_reads_stdin_and_posts(club: ServerProcess) -> None:
    topic = open_topic(club)
    code, out, err = cohort("reply", str(topic), text="Thanks, this helped!\n")
    assert code == 0, err
    number = posts_of(club, topic)[-1]["post_number"]
    assert out == f"topic {topic} post {number}\n"  # a socket has no URL to print
    assert posts_of(club, topic)[-1]["raw"] == "Thanks, this helped!"
    code, out, err = cohort("reply", str(topic), "--to", "1", "--json", text="And a follow-up.")
    assert code == 0, err
    data = json.loads(out)
    assert data["state"] == "sent" and data["post"]["reply_to_post_number"] == 1
    assert data["post"]["raw"] == "And a follow-up." and data["topic_id"] == topic
    assert [i.state for i in outbox().items()] == [OutboxState.SENT, OutboxState.SENT]


def test_new_topic_by_slug_name_or_id(club: ServerProcess) -> None:
    code, out, err = cohort(
        "new", "--category", "peer-qa", "--title", "Window functions?", "--tag", "sql",
        text="How do I rank rows within a group?\n",
    )  # fmt: skip
    assert code == 0, err
    topic_id = int(out.split()[1])
    (first,) = posts_of(club, topic_id)
    assert first["raw"] == "How do I rank rows within a group?"
    with club.client() as client:
        topic = client.get(f"/api/v1/topics/{topic_id}").json()["topic"]
        categories = client.get("/api/v1/categories").json()["categories"]
    peer_qa = next(c for c in categories if c["slug"] == "peer-qa")
    assert topic["category_id"] == peer_qa["id"] and topic["tags"] == ["sql"]
    for way in ("Peer Q&A", str(peer_qa["id"])):
        code, out, err = cohort(
            "new", "--category", way, "--title", f"Asked by {way}", "--json", text="Body."
        )
        assert code == 0, err
        assert json.loads(out)["topic"]["category_id"] == peer_qa["id"]


def test_unknown_category_lists_the_choices(club: ServerProcess) -> None:
    code, _out, err = cohort("new", "--category", "nowhere", "--title", "T", text="Body.")
    assert code == 2
    assert "no category 'nowhere'" in err and "peer-qa (Peer Q&A)" in err
    assert outbox().items() == []


@pytest.mark.parametrize("text", ["", "  \n\n\t\n"])
def test_an_empty_text_is_refused(club: ServerProcess, text: str) -> None:
    code, _out, err = cohort("reply", str(open_topic(club)), text=text)
    assert code == 2 and "empty" in err
    assert outbox().items() == []


def test_a_terminal_on_stdin_is_refused(club: ServerProcess) -> None:
    """Run from a terminal with nothing piped in, it says how to give the text rather than
    waiting for the user to guess that it reads standard input."""
    controller, terminal = os.openpty()
    try:
        done = subprocess.run(
            cohort_command("reply", "1"),
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == 2
    assert "standard input" in done.stderr and "cohort reply 12 < note.md" in done.stderr


def test_bad_arguments(club: ServerProcess) -> None:
    code, _out, err = cohort("reply", "not-a-topic", text="Hi")
    assert code == 2 and "neither a topic id nor a topic URL" in err
    code, _out, err = cohort("reply", "1", "--to", "0", text="Hi")
    assert code == 2 and "--to" in err
    code, _out, err = cohort("new", "--category", "peer-qa", "--title", "   ", text="Hi")
    assert code == 2 and "--title" in err


# -- when the forum is away, refuses, or answers late ---------------------------------------


def test_offline_then_send(club: ServerProcess, tmp_path: Path) -> None:
    topic = open_topic(club)
    before = len(posts_of(club, topic))
    club.stop()
    code, out, err = cohort("reply", str(topic), text="Written on the train.")
    assert code == TEMPFAIL, err
    assert out == ""
    assert "queued" in err and "`cohort send`" in err
    code, _out, err = cohort("send")
    assert code == TEMPFAIL and "1 still queued" in err
    (item,) = outbox().pending()
    assert item.raw == "Written on the train."

    server = start_server(tmp_path, db=club.db)  # the same forum, back
    try:
        code, out, err = cohort("send")
        assert code == 0, err
        posts = posts_of(server, topic)
        assert len(posts) == before + 1 and posts[-1]["raw"] == "Written on the train."
        number = posts[-1]["post_number"]
        assert out == f"sent reply to topic {topic}: topic {topic} post {number}\n"
        code, out, _err = cohort("send")
        assert (code, out) == (0, "nothing to send\n")
        assert len(posts_of(server, topic)) == before + 1
    finally:
        server.stop()


def test_a_rejection_keeps_the_text_as_a_problem(club: ServerProcess) -> None:
    topic = open_topic(club)
    code, _out, err = cohort("reply", str(topic), "--to", "9999", text="To a post not there.")
    assert code == 1
    assert "refused" in err and "reply_to_post_number 9999 is not a post" in err
    (problem,) = outbox().problems()
    assert problem.state is OutboxState.REJECTED and problem.raw == "To a post not there."
    code, out, err = cohort("send", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["attempted"] == [] and [p["state"] for p in data["problems"]] == ["rejected"]
    assert "1 refused post in the outbox" in err


def test_a_retried_send_never_posts_twice(club: ServerProcess) -> None:
    """The first attempt reached the forum but its answer was lost (the connection broke
    after sending): the item is still queued. `cohort send` sends it again with the same
    idempotency key, and the forum answers with the post it made the first time."""
    topic = open_topic(club)
    with outbox() as box:
        item = box.enqueue_reply(topic, "Sent once, answered never.")

    async def first_attempt() -> int:
        backend = NativeBackend.for_socket(str(club.socket))
        try:
            post = await backend.reply(
                topic, item.raw, reply_to_post_number=None, key=item.idempotency_key
            )
        finally:
            await backend.aclose()
        return post.id

    made = asyncio.run(first_attempt())
    code, out, err = cohort("send", "--json")
    assert code == 0, err
    (sent,) = json.loads(out)["attempted"]
    assert sent["state"] == "sent" and sent["post"]["id"] == made
    mine = [p for p in posts_of(club, topic) if p["raw"] == "Sent once, answered never."]
    assert [p["id"] for p in mine] == [made]
    code, _out, _err = cohort("send")
    assert code == 0
    assert len([p for p in posts_of(club, topic) if p["raw"] == item.raw]) == 1


# -- a forum at a URL --------------------------------------------------------------------------


def test_over_a_url_it_prints_the_posts_url(tmp_path: Path, isolated_xdg: Path) -> None:
    server = start_server(tmp_path, unix=False, args=("--sample",))
    try:
        token = server.token_for("maya")
        code, _out, err = cohort("login", server.base_url, "--token-stdin", text=token + "\n")
        assert code == 0, err
        code, out, err = cohort(
            "new", "--forum", server.base_url, "--category", "peer-qa",
            "--title", "Joins, explained", text="Inner, left, right.",
        )  # fmt: skip
        assert code == 0, err
        url = out.strip()
        assert url.startswith(f"{server.base_url}/t/joins-explained/") and url.endswith("/1")
        code, out, err = cohort("reply", url, text="Thanks!")  # the topic by its URL
        assert code == 0, err
        code, page, err = cohort("read", url, "--plain")
        assert code == 0, err
        assert "Inner, left, right." in page and "Thanks!" in page
    finally:
        server.stop()
