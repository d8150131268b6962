"""The per-account cache: what it stores, how it searches offline, and that no file it
finds (damaged, foreign, from another version, half-written by a killed process) and no
filesystem it lives on makes it crash."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
import typing
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import tui.forum.cache as cache_mod
from tui.forum import paths
from tui.forum.cache import (
    SCHEMA_VERSION,
    Cache,
    cache_path,
    filesystem_type,
    is_network_filesystem,
    parse_query,
    safe_name,
)
from tui.forum.html_text import html_text
from tui.forum.models import (
    Category,
    Notification,
    NotificationKind,
    NotificationList,
    Post,
    Reaction,
    Topic,
    TopicList,
    TopicPage,
    User,
    dump,
    load,
)

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def topic(topic_id: int, title: str = "A topic", **fields: object) -> Topic:
    values: dict[str, object] = {
        "id": topic_id,
        "title": title,
        "category_id": 1,
        "username": "alice",
        "posts_count": 1,
        "reply_count": 0,
        "bumped_at": T0,
        "created_at": T0,
    }
    values.update(fields)
    return Topic(**values)  # type: ignore[arg-type]


def post(
    post_id: int, topic_id: int, number: int, raw: str | None = "text", **fields: object
) -> Post:
    values: dict[str, object] = {
        "id": post_id,
        "topic_id": topic_id,
        "post_number": number,
        "username": "alice",
        "created_at": T0 + timedelta(days=number),
        "raw": raw,
    }
    values.update(fields)
    return Post(**values)  # type: ignore[arg-type]


def thread(topic_id: int, count: int, *, first_id: int = 1000) -> TopicPage:
    posts = tuple(post(first_id + n, topic_id, n, f"post number {n}") for n in range(1, count + 1))
    return TopicPage(
        topic=topic(topic_id, posts_count=count, highest_post_number=count),
        post_ids=tuple(p.id for p in posts),
        posts=posts,
    )


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened = Cache(tmp_path / "cache.db")
    yield opened
    opened.close()


def sql(path: Path, statement: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(statement).fetchall()
    finally:
        conn.close()


# -- where it lives, and who can read it -----------------------------------------------------


def test_cache_path_is_one_file_per_profile_under_the_xdg_cache_dir() -> None:
    work = cache_path("work")
    assert work == paths.cache_dir() / "work.db"
    assert os.environ["XDG_CACHE_HOME"] in str(work)
    odd = cache_path("../../etc/passwd")
    assert odd.parent == paths.cache_dir() and "/" not in odd.name and not odd.name.startswith(".")
    # Names that clean up to the same text still get different files.
    assert safe_name("a b") != safe_name("a_b")
    assert safe_name("a b") != safe_name("a/b")
    assert cache_path("") != cache_path("_")


def test_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        opened = Cache(tmp_path / "private.db")
        opened.put_topics([topic(1)])
        files = [tmp_path / "private.db"]
        files += [p for p in tmp_path.iterdir() if p.name.endswith(("-wal", "-shm"))]
        assert len(files) == 3 if opened.journal_mode == "wal" else len(files) == 1
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        opened.close()
    finally:
        os.umask(old)


def test_an_existing_file_with_loose_permissions_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "loose.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    Cache(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- journal mode: WAL, but never on a network filesystem -------------------------------------


def test_local_filesystem_uses_wal(tmp_path: Path) -> None:
    if is_network_filesystem(filesystem_type(tmp_path)):
        pytest.skip("the test folder is on a network filesystem")
    opened = Cache(tmp_path / "c.db")
    assert opened.journal_mode == "wal"
    assert sql(tmp_path / "c.db", "PRAGMA journal_mode") == [("wal",)]
    opened.close()


def test_network_filesystem_falls_back_to_a_rollback_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Path] = []

    def nfs(folder: Path, mounts: str | None = None) -> str:
        seen.append(folder)
        return "nfs4"

    monkeypatch.setattr(cache_mod, "filesystem_type", nfs)
    path = tmp_path / "c.db"
    opened = Cache(path)
    assert seen == [tmp_path]
    assert opened.journal_mode == "delete"
    opened.put_thread(thread(5, 3))
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    assert sql(path, "PRAGMA journal_mode") == [("delete",)]
    assert [p.post_number for p in opened.get_posts(5)] == [1, 2, 3]
    opened.close()


def test_a_wal_cache_moved_onto_a_network_filesystem_leaves_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.db"
    first = Cache(path)
    first.put_topics([topic(1)])
    first.close()
    monkeypatch.setattr(cache_mod, "filesystem_type", lambda folder, mounts=None: "cifs")
    again = Cache(path)
    assert again.journal_mode == "delete"
    assert again.get_topic(1) == topic(1)
    again.close()


def test_where_sqlite_refuses_wal_the_cache_uses_a_rollback_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A VFS without shared memory (unix-dotfile, as on some odd filesystems) answers
    "delete" to `PRAGMA journal_mode=WAL`: the cache must notice and carry on."""
    real_type = filesystem_type(tmp_path)
    if is_network_filesystem(real_type):
        pytest.skip("the test folder is on a network filesystem")

    def dotfile(path: Path) -> sqlite3.Connection:
        return sqlite3.connect(
            f"file:{path}?vfs=unix-dotfile", uri=True, isolation_level=None, check_same_thread=False
        )

    monkeypatch.setattr(cache_mod, "_connect", dotfile)
    opened = Cache(tmp_path / "c.db")
    assert opened.journal_mode == "delete"
    opened.put_topics([topic(3, "Dotfile")])
    assert opened.get_topic(3) == topic(3, "Dotfile")
    opened.close()


def test_filesystem_type_reads_the_longest_matching_mount() -> None:
    mounts = textwrap.dedent(
        """\
        /dev/vda1 / ext4 rw,relatime 0 0
        server:/home /home nfs4 rw,vers=4.2 0 0
        //nas/share /home/ann/my\\040share cifs rw 0 0
        sshfs#box: /home/ann/box fuse.sshfs rw 0 0
        tmpfs /home/ann/boxes tmpfs rw 0 0
        """
    )
    assert filesystem_type(Path("/var/cache/x"), mounts) == "ext4"
    assert filesystem_type(Path("/home/bob/.cache"), mounts) == "nfs4"
    assert filesystem_type(Path("/home/ann/my share/c"), mounts) == "cifs"
    assert filesystem_type(Path("/home/ann/box"), mounts) == "fuse.sshfs"
    assert filesystem_type(Path("/home/ann/boxes/c"), mounts) == "tmpfs"  # not box's
    assert filesystem_type(Path("/x"), "") is None
    for kind in ("nfs", "nfs4", "cifs", "smb2", "fuse.sshfs", "9p"):
        assert is_network_filesystem(kind)
    for local in ("ext4", "btrfs", "xfs", "tmpfs", "overlay", None):
        assert not is_network_filesystem(local)


def test_filesystem_type_of_a_real_folder() -> None:
    if not Path("/proc/self/mounts").exists():
        pytest.skip("no /proc here")
    assert filesystem_type(Path("/")) not in (None, "")


# -- files it must rebuild rather than crash on ------------------------------------------------


def filled(path: Path, posts: int = 400) -> None:
    opened = Cache(path)
    opened.put_categories([Category(id=1, slug="general", name="General")])
    opened.put_thread(thread(7, posts))
    opened.close()


def test_garbage_file_is_moved_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    opened = Cache(path)
    assert opened.rebuilt is not None and "damaged" in opened.rebuilt
    assert Path(f"{path}.corrupt").read_bytes() == garbage
    assert opened.get_thread(7) is None
    opened.put_thread(thread(7, 2))
    assert len(opened.get_posts(7)) == 2
    assert sql(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    opened.close()


def test_a_newer_schema_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    filled(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    opened = Cache(path)
    assert opened.rebuilt is not None and "newer" in opened.rebuilt
    assert opened.get_thread(7) is None and opened.get_categories() is None
    assert sql(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    opened.put_topics([topic(1)])
    assert opened.get_topic(1) == topic(1)
    opened.close()


def test_an_older_schema_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.db"
    filled(path)
    monkeypatch.setattr(cache_mod, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    opened = Cache(path)
    assert opened.rebuilt is not None and "older" in opened.rebuilt
    assert opened.get_thread(7) is None
    assert sql(path, "PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]
    opened.close()


def test_a_database_that_is_not_a_cache_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE something_else (x)")
    conn.close()
    opened = Cache(path)
    assert opened.rebuilt is not None
    assert sql(path, "SELECT count(*) FROM sqlite_master WHERE name = 'something_else'") == [(0,)]
    opened.close()


def test_a_file_truncated_half_way_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    filled(path, posts=2000)
    size = path.stat().st_size
    assert size > 100_000
    with path.open("r+b") as handle:
        handle.truncate(size // 2)
    opened = Cache(path)
    assert opened.rebuilt is not None
    assert opened.get_thread(7) is None
    opened.put_thread(thread(7, 3))
    assert [p.post_number for p in opened.get_posts(7)] == [1, 2, 3]
    opened.close()
    assert sql(path, "PRAGMA integrity_check") == [("ok",)]


def test_damage_found_while_reading_rebuilds_instead_of_crashing(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    filled(path, posts=2000)
    page_size = sql(path, "PRAGMA page_size")[0][0]
    assert isinstance(page_size, int)
    size = path.stat().st_size
    with path.open("r+b") as handle:  # scribble over the middle, leave page 1 intact
        handle.seek(page_size * 4)
        handle.write(b"\xa5" * (size - page_size * 8))
    opened = Cache(path)  # may or may not notice while opening
    posts = opened.get_posts(7)
    assert opened.rebuilt is not None
    assert posts == []
    opened.put_thread(thread(7, 2))
    assert len(opened.get_posts(7)) == 2
    opened.close()
    assert sql(path, "PRAGMA integrity_check") == [("ok",)]


def test_an_unusable_location_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    opened = Cache(blocker / "c.db")
    assert not opened.persistent
    opened.put_topics([topic(1)])
    assert opened.get_topic(1) == topic(1)
    opened.close()


def test_a_locked_cache_skips_writes_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    opened = Cache(path)
    opened.put_topics([topic(1, "before")])
    opened.busy_timeout = 0.05
    opened.close()
    locked = Cache(path)
    locked._db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        assert locked.put_topics([topic(1, "after")]) is False
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert locked.get_topic(1) == topic(1, "before")
    assert locked.put_topics([topic(1, "after")]) is True
    locked.close()


def test_rows_that_no_longer_load_are_skipped(cache: Cache) -> None:
    cache.put_thread(thread(7, 3))
    cache._db.execute(
        "UPDATE posts SET json = json_remove(json, '$.username') WHERE post_number = 2"
    )
    cache._db.execute("UPDATE posts SET json = 'not json' WHERE post_number = 3")
    assert [p.post_number for p in cache.get_posts(7)] == [1]
    assert cache.get_post(1002) is None


def test_a_closed_cache_answers_nothing_and_does_not_raise(tmp_path: Path) -> None:
    opened = Cache(tmp_path / "c.db")
    opened.put_topics([topic(1)])
    opened.close()
    assert opened.closed
    assert opened.get_topic(1) is None
    assert opened.put_topics([topic(2)]) is False
    assert opened.search("anything").results == ()


KILLED_WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path

import tui.forum.cache as cache_mod
from tui.forum.models import Post

path, mode, pause_at = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
if mode == "delete":
    cache_mod.filesystem_type = lambda folder, mounts=None: "nfs"
cache = cache_mod.Cache(path)
assert cache.journal_mode == mode, cache.journal_mode
cache._db.execute("PRAGMA cache_size = 8")  # spill pages to disk inside transactions
when = datetime(2026, 1, 1, tzinfo=UTC)


class Posts(list):
    # Read inside the cache's write transaction: can stop there, half the rows written.
    def __iter__(self):
        for index, post in enumerate(super().__iter__()):
            if index == 400 and generation == pause_at:
                print("mid", generation, flush=True)
                sys.stdin.readline()  # wait here, mid-transaction, for the kill
            yield post


generation = int(cache.get_meta("generation") or 0)
while True:
    generation += 1
    posts = Posts(
        Post(id=i, topic_id=1, post_number=i, username="w", created_at=when,
             raw=f"generation {generation} post {i} " + "x" * 400)
        for i in range(1, 801)
    )
    cache.put_posts(posts)  # one transaction: all 800 or none
    cache.set_meta("generation", str(generation))
    print("done", generation, flush=True)
"""


@pytest.mark.parametrize("mode", ["wal", "delete"])
@pytest.mark.parametrize("moment", ["mid-transaction", "anywhere"])
def test_a_writer_killed_mid_write_leaves_old_or_new_state(
    tmp_path: Path, mode: str, moment: str
) -> None:
    """SIGKILL a process writing big transactions to the cache: reopening finds either
    the state before the transaction or after it, never a mix, and never a crash."""
    if mode == "wal" and is_network_filesystem(filesystem_type(tmp_path)):
        pytest.skip("the test folder is on a network filesystem")
    path = tmp_path / "c.db"
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    previous = 0
    for round_ in range(2):
        pause_at = previous + 2 + round_ if moment == "mid-transaction" else -1
        child = subprocess.Popen(
            [sys.executable, str(script), str(path), mode, str(pause_at)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert child.stdout is not None
            lines: list[str] = []
            while line := child.stdout.readline():
                lines.append(line.strip())
                if line.startswith("mid") or len(lines) == 2 + round_:
                    break
            if moment == "anywhere":
                time.sleep(random.uniform(0, 0.05))  # lands wherever the writer is
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
            for stream in (child.stdin, child.stdout):
                if stream is not None:
                    stream.close()
            assert child.stderr is not None
            errors = child.stderr.read()
            child.stderr.close()
        committed = [int(x.split()[1]) for x in lines if x.startswith("done")]
        if moment == "mid-transaction":
            assert lines[-1] == f"mid {pause_at}", errors
            if mode == "delete":  # the half-written transaction is on disk, to roll back
                assert Path(f"{path}-journal").exists()
        else:
            assert len(committed) == 2 + round_, errors

        reopened = Cache(path)
        assert reopened.rebuilt is None, reopened.rebuilt
        posts = reopened.get_posts(1)
        assert len(posts) == 800
        generations = {p.raw.split()[1] for p in posts if p.raw}
        assert len(generations) == 1, generations  # never half of one and half of another
        generation = int(generations.pop())
        if moment == "mid-transaction":
            assert generation == pause_at - 1  # the interrupted one is rolled back
        else:
            assert generation >= committed[-1]
        assert reopened.get_meta("generation") in (str(generation), str(generation - 1))
        assert reopened._db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        found = reopened.search(f'"generation {generation}"').results
        assert found and all(h.topic_id == 1 for h in found)
        stored_meta = reopened.get_meta("generation")
        previous = int(stored_meta or 0)
        reopened.close()


# -- what it stores ----------------------------------------------------------------------------


def test_categories_keep_the_forums_order_and_are_replaced_whole(cache: Cache) -> None:
    assert cache.get_categories() is None
    cats = [Category(id=9, slug="z", name="Z"), Category(id=2, slug="a", name="A")]
    assert cache.put_categories(cats) is True
    assert cache.get_categories() == cats
    cache.put_categories([cats[1]])
    assert cache.get_categories() == [cats[1]]
    assert cache.get_categories() is not None and cache.get_categories() != []
    cache.put_categories([])
    assert cache.get_categories() == []


def test_topic_lists_by_key_in_order(cache: Cache) -> None:
    key = Cache.list_key("latest", 3, "sql", None)
    assert key != Cache.list_key("latest", 3, "sql", "2")
    assert key != Cache.list_key("latest", None, "sql", None)
    assert cache.get_topic_list(key) is None
    page = TopicList(topics=(topic(3, "c"), topic(1, "a"), topic(2, "b")), next_cursor="30")
    cache.put_topic_list(key, page)
    assert cache.get_topic_list(key) == page
    assert cache.get_topic(1) == topic(1, "a")
    cache.forget_topic(1)  # deleted since: left out of the page
    assert cache.get_topic_list(key) == TopicList(
        topics=(topic(3, "c"), topic(2, "b")), next_cursor="30"
    )


def test_marking_lists_stale(cache: Cache) -> None:
    one, two = Cache.list_key("latest"), Cache.list_key("top")
    cache.put_topic_list(one, TopicList(topics=(topic(1), topic(2))))
    cache.put_topic_list(two, TopicList(topics=(topic(3),)))
    assert cache.invalidate_lists(2) == 1
    assert cache.list_fetched_at(one) == 0.0
    fetched = cache.list_fetched_at(two)
    assert fetched is not None and fetched > 0
    assert cache.invalidate_lists() == 2
    assert cache.list_fetched_at(two) == 0.0
    assert cache.get_topic_list(one) is not None  # still there for offline reading


def test_a_thread_round_trip_in_post_number_order(cache: Cache) -> None:
    page = thread(7, 5)
    shuffled = TopicPage(topic=page.topic, post_ids=page.post_ids, posts=page.posts[::-1])
    cache.put_thread(shuffled)
    assert cache.get_thread(7) == page
    assert cache.get_post_ids(7) == page.post_ids
    assert cache.get_post(1003) == page.posts[2]
    assert cache.cached_post_numbers(7) == {1000 + n: n for n in range(1, 6)}
    assert cache.get_thread(8) is None


def test_a_thread_drops_cached_posts_the_forum_no_longer_lists(cache: Cache) -> None:
    cache.put_thread(thread(7, 5))
    page = thread(7, 5)
    assert page.post_ids is not None
    fewer = TopicPage(topic=page.topic, post_ids=page.post_ids[:3], posts=page.posts[:1])
    cache.put_thread(fewer)
    assert sorted(cache.cached_post_numbers(7).values()) == [1, 2, 3]


def test_long_threads_without_ids_keep_their_posts(cache: Cache) -> None:
    page = thread(7, 5)
    cache.put_thread(page)
    cache.put_thread(TopicPage(topic=page.topic, post_ids=None, posts=page.posts[:2]))
    stored = cache.get_thread(7)
    assert stored is not None and stored.post_ids is None and len(stored.posts) == 5


def test_new_posts_join_the_thread_outline_in_number_order(cache: Cache) -> None:
    cache.put_thread(thread(7, 3))
    cache.put_posts([post(2000, 7, 5, "five"), post(1999, 7, 4, "four")])
    assert cache.get_post_ids(7) == (1001, 1002, 1003, 1999, 2000)
    page = cache.get_thread(7)
    assert page is not None and [p.post_number for p in page.posts] == [1, 2, 3, 4, 5]
    cache.put_posts([post(1002, 7, 2, "edited")])  # already listed: outline unchanged
    assert cache.get_post_ids(7) == (1001, 1002, 1003, 1999, 2000)
    cached = cache.get_post(1002)
    assert cached is not None and cached.raw == "edited"


def test_removed_and_deleted_posts(cache: Cache) -> None:
    cache.put_thread(thread(7, 3))
    assert cache.search("number").results
    cache.remove_posts([1001])
    assert cache.get_post(1001) is None
    assert cache.get_post_ids(7) == (1001, 1002, 1003)  # still listed: refetched later
    assert cache.mark_posts_deleted([1002, 99999]) == [7]
    tomb = cache.get_post(1002)
    assert tomb is not None and tomb.deleted and tomb.raw == ""
    assert [(r.post_number) for r in cache.search("number").results] == [3]


def test_read_state_never_moves_back_and_tracks_what_the_forum_was_told(cache: Cache) -> None:
    assert cache.get_read_state(7) is None
    assert cache.set_read_state(7, 5, pending=True) == 5
    assert cache.set_read_state(7, 3) == 5
    assert cache.pending_reads() == [(7, 5)]
    cache.clear_pending_read(7, 4)  # an older mark reached the forum: 5 still pending
    assert cache.pending_reads() == [(7, 5)]
    cache.clear_pending_read(7, 5)
    assert cache.pending_reads() == []
    # What a topic from the forum says counts, and local marks show on cached topics.
    cache.put_topics([topic(8, last_read_post_number=2, highest_post_number=10, unread_count=8)])
    assert cache.get_read_state(8) == 2
    cache.set_read_state(8, 6, pending=True)
    shown = cache.get_topic(8)
    assert shown is not None
    assert (shown.last_read_post_number, shown.unread_count, shown.seen) == (6, 4, True)


def test_notifications_users_and_meta(cache: Cache) -> None:
    notes = NotificationList(
        notifications=(
            Notification(id=1, kind=NotificationKind.MENTION, created_at=T0, actor="bob"),
        ),
        unread_count=1,
    )
    assert cache.get_notifications() is None
    cache.put_notifications(notes)
    assert cache.get_notifications() == notes
    user = User(id=4, username="ann", groups=("mentors",))
    cache.put_user(user)
    assert cache.get_user(4) == user
    assert cache.get_meta("sync.cursor") is None
    cache.set_meta("sync.cursor", "41")
    cache.set_meta("sync.cursor", "42")
    assert cache.get_meta("sync.cursor") == "42"
    cache.set_meta("sync.cursor", None)
    assert cache.get_meta("sync.cursor") is None


def test_stale_marks_on_entities(cache: Cache) -> None:
    cache.put_thread(thread(7, 1))
    fetched = cache.fetched_at("thread", 7)
    assert fetched is not None and fetched > 0
    cache.mark_stale("thread", 7)
    assert cache.fetched_at("thread", 7) == 0.0
    assert cache.fetched_at("thread", 8) is None
    cache.put_topics([topic(1)])
    cache.invalidate_all()
    assert cache.fetched_at("topic", 1) == 0.0


# -- offline search ----------------------------------------------------------------------------


@pytest.fixture
def forum(cache: Cache) -> Cache:
    cache.put_categories(
        [Category(id=1, slug="python", name="Python"), Category(id=2, slug="rust", name="Rust")]
    )
    cache.put_topics(
        [
            topic(10, "Async generators explained", category_id=1, tags=("asyncio",), solved=True),
            topic(20, "Borrow checker woes", category_id=2, username="bob"),
        ]
    )
    cache.put_posts(
        [
            post(101, 10, 1, "How do async generators work with sqlite?"),
            post(102, 10, 2, "They yield; sqlite does not care.", username="bob", accepted=True),
            post(201, 20, 1, "The borrow checker rejects my sqlite wrapper.", username="bob"),
            post(
                202,
                20,
                2,
                None,
                cooked="<p>Use <strong>Arc</strong> &amp; Mutex</p><script>secretword()</script>"
                '<img src="x.png" alt="diagram">',
            ),
        ]
    )
    return cache


def hits(cache: Cache, query: str) -> list[int]:
    """Post ids found (-1 for a title hit whose first post is not cached)."""
    return [-1 if r.post_id is None else r.post_id for r in cache.search(query).results]


def test_offline_search_finds_words_with_titles_and_blurbs(forum: Cache) -> None:
    results = forum.search("generators").results
    assert [r.post_id for r in results] == [101]
    (hit,) = results
    assert hit.topic_title == "Async generators explained"
    assert hit.category_id == 1 and hit.solved and not hit.accepted
    assert "generators" in hit.blurb and hit.username == "alice"
    assert hit.created_at == T0 + timedelta(days=1)
    assert sorted(hits(forum, "sqlite")) == [101, 102, 201]
    assert hits(forum, "nothing-like-this") == []


def test_offline_search_filters(forum: Cache) -> None:
    assert sorted(hits(forum, "sqlite @bob")) == [102, 201]
    assert sorted(hits(forum, "sqlite #python")) == [101, 102]
    assert hits(forum, "sqlite #nope") == []
    assert sorted(hits(forum, "tag:asyncio")) == [101, 102]
    assert sorted(hits(forum, "sqlite status:solved")) == [101, 102]
    assert hits(forum, "sqlite status:unsolved") == [201]
    # first posts are dated Feb 2, second posts Feb 3
    assert sorted(hits(forum, "sqlite before:2026-02-03")) == [101, 201]
    assert hits(forum, "sqlite after:2026-02-03") == [102]
    accepted = forum.search("yield").results
    assert accepted[0].accepted


def test_offline_search_in_title(forum: Cache) -> None:
    results = forum.search("checker in:title").results
    assert [(r.topic_id, r.post_number, r.post_id, r.username) for r in results] == [
        (20, 1, 201, "bob")
    ]
    assert forum.search("sqlite in:title").results == ()
    # A title matches even when no post of the topic was ever fetched.
    forum.put_topics([topic(30, "Lonely title")])
    assert [(r.topic_id, r.post_id) for r in forum.search("lonely in:title").results] == [
        (30, None)
    ]
    assert [r.topic_id for r in forum.search("in:title @bob").results] == [20]


def test_offline_search_reads_cooked_html_as_text(forum: Cache) -> None:
    assert hits(forum, "Arc Mutex") == [202]
    assert hits(forum, "strong") == []  # tags are not words
    assert hits(forum, "secretword") == []  # nor is script
    assert hits(forum, "diagram") == [202]  # an image's alt text is
    (hit,) = forum.search("mutex").results
    assert "&" in hit.blurb and "<" not in hit.blurb


def test_offline_search_treats_operators_and_quotes_as_words(forum: Cache) -> None:
    for query in ("sqlite AND", "NEAR(sqlite", "sq*", '"unbalanced', "x\x00y", "-sqlite", "^"):
        assert isinstance(forum.search(query).results, tuple)
    assert hits(forum, "OR") == []
    assert forum.search("").results == ()
    assert forum.search("   ").results == ()


def test_offline_search_pages(cache: Cache) -> None:
    cache.put_thread(thread(7, 45))
    first = cache.search("number", limit=20)
    assert len(first.results) == 20 and first.next_offset == 20
    second = cache.search("number", offset=20, limit=20)
    third = cache.search("number", offset=40, limit=20)
    assert len(second.results) == 20 and len(third.results) == 5 and third.next_offset is None
    seen = {r.post_id for r in (*first.results, *second.results, *third.results)}
    assert len(seen) == 45


def test_query_parsing() -> None:
    q = parse_query('"exact words" @ann #py tag:a,b in:title status:solved before:2026-01-02 x')
    assert q.terms == ["exact words", "x"] and q.user == "ann" and q.category == "py"
    assert q.tags == ["a", "b"] and q.in_title and q.status == "solved"
    assert q.before == datetime(2026, 1, 2, tzinfo=UTC).timestamp()
    assert parse_query("status:maybe before:soon").terms == ["status:maybe", "before:soon"]
    assert parse_query("").empty and not parse_query("@ann").empty


def test_html_text_is_the_visible_text() -> None:
    html = (
        "<h1>Title</h1><p>One &lt;two&gt; <em>three</em></p>"
        "<style>p { color: red }</style><ul><li>a</li><li>b</li></ul>"
        '<p>bad \x1b[2J escape <a href="javascript:x">link</a></p>'
    )
    assert html_text(html) == "Title\nOne <two> three\na\nb\nbad [2J escape link"
    assert html_text("<p>unclosed <b>bold") == "unclosed bold"
    assert html_text("") == ""


def test_the_fast_post_format_agrees_with_dump_and_load() -> None:
    full = Post(
        id=5,
        topic_id=6,
        post_number=7,
        username="ann",
        created_at=T0,
        raw="**raw** é \u2603",
        cooked="<p>cooked</p>",
        reply_to_post_number=3,
        name="Ann",
        updated_at=T0 + timedelta(hours=1),
        version=4,
        deleted=True,
        like_count=2,
        reply_count=1,
        reactions=(Reaction("like", 2, True), Reaction("heart", 1)),
        accepted=True,
        bookmarked=True,
        can_edit=True,
        pending=True,
    )
    bare = post(1, 2, 3, None)
    for value in (full, bare):
        assert cache_mod._load_post(cache_mod._post_json(value)) == value
        assert load(Post, json.loads(cache_mod._post_json(value))) == value
        assert cache_mod._load_post(json.dumps(dump(value))) == value
    # The fast format maps datetimes and reactions by hand: a new field of another
    # non-JSON type must be added there too.
    hints = typing.get_type_hints(Post)
    plain = {int, str, bool, int | None, str | None}
    special = {name for name, hint in hints.items() if hint not in plain}
    assert special == {"created_at", "updated_at", "reactions"}
