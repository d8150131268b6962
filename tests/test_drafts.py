"""Drafts survive anything short of a power cut, and the state file is never damaged
or thrown away: a file Cohort cannot use is refused by name and left as it was."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tui.forum import statedb
from tui.forum.drafts import (
    Draft,
    Drafts,
    check_key,
    edit_key,
    message_key,
    new_topic_key,
    reply_key,
)
from tui.forum.outbox import Outbox

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


# -- drafts -----------------------------------------------------------------------------------


def test_save_load_delete(db: Path) -> None:
    with Drafts(db, "home") as drafts:
        assert drafts.load("reply:5") is None
        drafts.save("reply:5", raw="Half a thought")
        draft = drafts.load("reply:5")
        assert isinstance(draft, Draft)
        assert draft.raw == "Half a thought" and draft.key == "reply:5" and draft.kind == "reply"
        assert draft.topic_id == 5 and draft.reply_to_post_number is None
        drafts.save("reply:5", raw="Half a thought, finished.")
        again = drafts.load("reply:5")
        assert again is not None and again.raw == "Half a thought, finished."
        assert again.created_at == draft.created_at and again.updated_at >= draft.updated_at
        drafts.delete("reply:5")
        assert drafts.load("reply:5") is None
        drafts.delete("reply:5")  # deleting nothing is fine


def test_every_field_round_trips_and_survives_reopening(db: Path) -> None:
    with Drafts(db, "home") as drafts:
        drafts.save("new:4", raw="Body\n\twith a tab", title="A title", tags=("python", "help"))
        drafts.save("reply:12:3", raw="To post three")
        drafts.save("edit:99", raw="Corrected", topic_id=12)
    with Drafts(db, "home") as drafts:
        new = drafts.load("new:4")
        assert new is not None
        assert (new.raw, new.title, new.category, new.tags) == (
            "Body\n\twith a tab",
            "A title",
            4,
            ("python", "help"),
        )
        reply = drafts.load("reply:12:3")
        assert reply is not None and (reply.topic_id, reply.reply_to_post_number) == (12, 3)
        edit = drafts.load("edit:99")
        assert edit is not None and edit.topic_id == 12 and edit.kind == "edit"


def test_an_empty_text_and_title_deletes_the_draft(db: Path) -> None:
    with Drafts(db, "home") as drafts:
        drafts.save("new:any", raw="", title="Just a title so far")
        assert drafts.load("new:any") is not None  # a title alone is worth keeping
        drafts.save("new:any", raw="  \n", title=" ")
        assert drafts.load("new:any") is None
        drafts.save("reply:1", raw="x")
        drafts.save("reply:1", raw="")
        assert drafts.load("reply:1") is None


def test_all_lists_the_newest_first_and_only_this_profile(db: Path) -> None:
    with Drafts(db, "home") as home, Drafts(db, "work") as work:
        home.save("reply:1", raw="one")
        home.save("reply:2", raw="two")
        work.save("reply:1", raw="someone else's forum")
        home.save("reply:1", raw="one, changed last")
        assert [d.key for d in home.all()] == ["reply:1", "reply:2"]
        assert [d.raw for d in work.all()] == ["someone else's forum"]
        work.delete("reply:1")
        assert home.load("reply:1") is not None


def test_the_key_scheme() -> None:
    assert reply_key(7) == "reply:7"
    assert reply_key(7, 3) == "reply:7:3"
    assert new_topic_key(None) == "new:any"
    assert new_topic_key(4) == "new:4"
    assert edit_key(99) == "edit:99"
    for key in ("reply:7", "reply:7:3", "new:any", "new:4", "edit:99"):
        check_key(key)
    for bad in ("", "reply:", "reply:x", "new:", "edit:1:2", "reply:1 ", "draft:1"):
        with pytest.raises(ValueError):
            check_key(bad)


def test_a_bad_key_is_refused(db: Path) -> None:
    with Drafts(db, "home") as drafts, pytest.raises(ValueError):
        drafts.save("reply:one", raw="text")


def test_many_saves_keep_one_row_and_the_last_text(db: Path) -> None:
    with Drafts(db, "home") as drafts:
        for i in range(2000):
            drafts.save(f"reply:{i % 20}", raw=f"text {i}")
        assert len(drafts.all()) == 20
        draft = drafts.load("reply:19")
        assert draft is not None and draft.raw == "text 1999"
    rows = sqlite3.connect(db).execute("SELECT count(*) FROM drafts").fetchone()[0]
    assert rows == 20


def test_text_read_back_from_the_file_is_sanitised(db: Path) -> None:
    with Drafts(db, "home") as drafts:
        drafts.save("new:any", raw="ok\x1b[2J\u202eevil\n", title="t\x9bitle")
        draft = drafts.load("new:any")
        assert draft is not None
        assert draft.raw == "ok[2Jevil\n" and draft.title == "title"


KILL_LOOP = r"""
import sys
from tui.forum.drafts import Drafts
drafts = Drafts(sys.argv[1], "home")
i = 0
while True:
    i += 1
    drafts.save("reply:7", raw=f"draft number {i} " + "x" * (i % 50 * 400))
    sys.stdout.write(f"{i}\n")
    sys.stdout.flush()
"""


@pytest.mark.parametrize("saves_before_kill", [50, 700, 3000])
def test_a_draft_survives_kill_9_mid_typing(db: Path, saves_before_kill: int) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", KILL_LOOP, str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    acknowledged = 0
    try:
        for line in child.stdout:
            acknowledged = int(line)
            if acknowledged >= saves_before_kill:
                break
        os.kill(child.pid, signal.SIGKILL)
        for line in child.stdout:  # saves acknowledged before the signal landed
            acknowledged = int(line)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert acknowledged >= saves_before_kill

    check = sqlite3.connect(db)
    assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    check.close()
    with Drafts(db, "home") as drafts:
        draft = drafts.load("reply:7")
    assert draft is not None
    found = re.fullmatch(r"draft number (\d+) (x*)", draft.raw)
    assert found, draft.raw[:80]
    number = int(found[1])
    assert number >= acknowledged  # the last acknowledged save, or one after it
    assert len(found[2]) == number % 50 * 400  # whole, not a mix of two saves


def test_a_new_conversation_keeps_whom_it_is_for(db: Path) -> None:
    assert (
        message_key(["ola", "@Chen", "ola"]) == "message:chen,ola" == message_key(["chen", "OLA"])
    )
    assert message_key([]) == "message:"
    for key in ("message:", "message:ola", "message:chen,ola.b-c_d"):
        assert check_key(key)
    for bad in ("message:ola,", "message:,ola", "message:o la"):
        with pytest.raises(ValueError):
            check_key(bad)
    with pytest.raises(ValueError, match="not a username"):
        message_key(["ola", "a b"])
    with Drafts(db, "home") as drafts:
        drafts.save("message:ola", raw="Could we talk?", title="Mentoring")
        drafts.save("message:", raw="To be addressed", participants=["hana", "chen"])
        drafts.save("message:ben", raw="Changed my mind", participants=["ola"])
    with Drafts(db, "home") as drafts:
        first = drafts.load("message:ola")
        assert first is not None and first.kind == "message"
        assert (first.title, first.participants) == ("Mentoring", ("ola",))  # from the key
        nobody = drafts.load("message:")
        assert nobody is not None and nobody.participants == ("hana", "chen")
        moved = drafts.load("message:ben")
        assert moved is not None and moved.participants == ("ola",)  # what was typed wins
        assert {d.key for d in drafts.all()} == {"message:ola", "message:", "message:ben"}


# -- the state database -----------------------------------------------------------------------


def _fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_the_state_file_is_private_and_in_wal_mode(db: Path) -> None:
    drafts = Drafts(db, "home")
    drafts.save("reply:1", raw="private")
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    wal = db.with_name(db.name + "-wal")
    assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600
    check = sqlite3.connect(db)
    assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert check.execute("PRAGMA user_version").fetchone()[0] == statedb.SCHEMA_VERSION
    assert check.execute("PRAGMA application_id").fetchone()[0] == statedb.APPLICATION_ID
    check.close()
    drafts.close()


def test_the_default_state_file_is_in_the_data_dir(isolated_xdg: Path) -> None:
    path = statedb.default_path()
    assert path.name == "state.db"
    assert path.parent == isolated_xdg / "xdg_data_home" / "cohort"
    with Drafts(path, "home") as drafts:
        drafts.save("reply:1", raw="here")
    assert path.exists()


def test_a_wider_mode_is_narrowed_on_open(db: Path) -> None:
    Drafts(db, "home").close()
    db.chmod(0o644)
    Drafts(db, "home").close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_drafts_and_outbox_share_the_file(db: Path) -> None:
    with Drafts(db, "home") as drafts, Outbox(db, "home") as outbox:
        drafts.save("reply:3", raw="both")
        outbox.enqueue_reply(3, "both", draft_key="reply:3")
        assert drafts.load("reply:3") is not None and len(outbox.pending_for(3)) == 1


def test_a_newer_schema_is_refused_and_left_alone(db: Path) -> None:
    with Drafts(db, "home") as drafts:
        drafts.save("reply:1", raw="written by a newer Cohort")
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {statedb.SCHEMA_VERSION + 1}")
    conn.execute("PRAGMA journal_mode = DELETE")  # everything in the main file
    conn.close()
    before = _fingerprint(db)
    for opener in (lambda: Drafts(db, "home"), lambda: Outbox(db, "home")):
        with pytest.raises(statedb.StateDbError) as caught:
            opener()
        assert str(db) in str(caught.value) and "newer" in str(caught.value)
        assert caught.value.path == db
    assert _fingerprint(db) == before
    assert not db.with_name(db.name + "-wal").exists()


def test_a_garbage_file_is_refused_and_left_alone(db: Path) -> None:
    db.write_bytes(b"These are my notes, not a database.\n" * 100)
    before = _fingerprint(db)
    with pytest.raises(statedb.StateDbError) as caught:
        Drafts(db, "home")
    assert str(db) in str(caught.value) and "not a SQLite database" in str(caught.value)
    assert _fingerprint(db) == before
    assert not [p for p in db.parent.iterdir() if p.name.startswith(db.name + "-")]


def test_someone_elses_database_is_refused_and_left_alone(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.commit()
    conn.close()
    before = _fingerprint(db)
    with pytest.raises(statedb.StateDbError, match="not Cohort's state"):
        Outbox(db, "home")
    assert _fingerprint(db) == before


def test_a_damaged_state_file_is_refused_and_left_alone(db: Path) -> None:
    with Drafts(db, "home") as drafts:
        for i in range(300):
            drafts.save(f"reply:{i}", raw=f"draft {i} " + "words " * 200)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    assert len(data) > 10 * page_size
    for page in (2, 3, 5, 8):  # scribble over b-tree pages
        start = page * page_size
        data[start : start + 64] = b"\xff" * 64
    db.write_bytes(bytes(data))
    before = _fingerprint(db)
    with pytest.raises(statedb.StateDbError, match="damaged") as caught:
        Drafts(db, "home")
    assert str(db) in str(caught.value)
    assert _fingerprint(db) == before


def test_an_empty_file_becomes_a_state_file(db: Path) -> None:
    db.touch(mode=0o600)
    with Drafts(db, "home") as drafts:
        drafts.save("reply:1", raw="fresh")
        assert drafts.load("reply:1") is not None


# Migrations: tests/test_state_migration.py (a real schema 1 file, and no loss by any of them).
