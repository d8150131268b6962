"""The per-account SQLite cache that keeps Cohort readable offline and fast over slow links.

What the forum said last is kept here: categories, topics and topic-list pages, threads
(their post ids in order and the posts themselves), notifications, read state and sync
cursors, with an FTS5 index over the text of cached posts so that search still answers
when the forum cannot be reached.

A cache may always be thrown away, so it never stops the app: a file that is not a
database, is damaged, or was written by an older or newer Cohort is moved aside or
deleted and built again; a cache that cannot be written (disk full, locked) is skipped
with a warning. On a network filesystem, where SQLite's shared-memory WAL index is
unsafe, it uses a rollback journal instead. The file is private (0600): it holds what
the account can read, restricted categories included.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import re
import shlex
import sqlite3
import threading
import time
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from tui.forum import paths
from tui.forum.models import (
    Category,
    NotificationList,
    Post,
    Reaction,
    SearchPage,
    SearchResult,
    SiteInfo,
    Topic,
    TopicList,
    TopicPage,
    User,
    dump,
    load,
)
from tui.forum.sanitize import clean

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M")

SCHEMA_VERSION = 1

# Filesystems where SQLite's WAL (which needs shared memory between processes on one
# host) is unsafe or unsupported: the cache falls back to a rollback journal there.
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "fuse.sshfs",
        "sshfs",
        "9p",
        "afs",
        "ncpfs",
        "coda",
        "ceph",
        "glusterfs",
        "fuse.glusterfs",
        "lustre",
        "gpfs",
        "davfs",
        "fuse.davfs2",
        "fuse.rclone",
        "fuse.s3fs",
    }
)

# SQLite's primary result codes the cache treats specially.
_CORRUPT = 11
_NOTADB = 26
_TRANSIENT = {5, 6, 8, 10, 13, 14, 15}  # busy, locked, readonly, ioerr, full, cantopen, protocol

_TABLES = ("meta", "entities", "topic_lists", "posts", "posts_fts", "titles_fts", "read_state")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

-- Categories, topic heads, users, thread outlines (post ids), notifications: one JSON
-- model each. fetched_at 0 means "known to be out of date": refetch before trusting it.
CREATE TABLE IF NOT EXISTS entities (
    kind TEXT NOT NULL,
    id INTEGER NOT NULL,
    json TEXT NOT NULL,
    fetched_at REAL NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

-- One page of a topic list: key = filter|category|tag|cursor; topic_ids a JSON array.
CREATE TABLE IF NOT EXISTS topic_lists (
    key TEXT PRIMARY KEY,
    topic_ids TEXT NOT NULL,
    next_cursor TEXT,
    fetched_at REAL NOT NULL
) WITHOUT ROWID;

-- Posts get their own table: threads read them in post-number order, and the FTS index
-- uses it as its external content (body = Markdown, or the text of cooked HTML).
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY,
    topic_id INTEGER NOT NULL,
    post_number INTEGER NOT NULL,
    username TEXT NOT NULL,
    created_at REAL NOT NULL,
    deleted INTEGER NOT NULL,
    body TEXT NOT NULL,
    json TEXT NOT NULL,
    fetched_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_by_topic ON posts (topic_id, post_number);

CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5(
    body, content='posts', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER IF NOT EXISTS posts_fts_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER IF NOT EXISTS posts_fts_update AFTER UPDATE OF body ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO posts_fts (rowid, body) VALUES (new.id, new.body);
END;

-- Topic titles, for in:title (rowid = topic id); small, so it keeps its own copy.
CREATE VIRTUAL TABLE IF NOT EXISTS titles_fts USING fts5(
    title, tokenize='unicode61 remove_diacritics 2'
);

-- How far the user has read; pending = marked here, not yet told to the forum.
CREATE TABLE IF NOT EXISTS read_state (
    topic_id INTEGER PRIMARY KEY,
    last_read_post_number INTEGER NOT NULL,
    pending INTEGER NOT NULL DEFAULT 0
);
"""

# entities.kind values
CATEGORY = "category"
TOPIC = "topic"
USER = "user"
THREAD = "thread"  # {"post_ids": [...] | null} for a topic
CATEGORY_ORDER = "categories"  # id 0: the category ids in the forum's order
NOTIFICATIONS = "notifications"  # id 0: the last NotificationList
SITE = "site"  # id 0: the SiteInfo
ME = "me"  # id 0: the logged-in User


def safe_name(name: str) -> str:
    """A file name for a profile: letters, digits, '.', '_' and '-' only; a short hash is
    added when anything had to change, so two profiles never share a cache."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".")
    if cleaned == name and cleaned:
        return cleaned
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned[:64] or 'profile'}-{digest}"


def cache_path(profile_name: str) -> Path:
    """Where the cache of one account (profile) lives, under the XDG cache folder."""
    return paths.cache_dir() / f"{safe_name(profile_name)}.db"


def _unescape_mount(field_: str) -> str:
    # /proc/mounts writes space, tab, newline and backslash as octal escapes.
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field_)


def filesystem_type(folder: Path, mounts: str | None = None) -> str | None:
    """The type of the filesystem holding `folder` ("ext4", "nfs4", ...): the longest
    mount point in the mount table (/proc/self/mounts, or `mounts`) that contains it.
    None where that cannot be told (no /proc); the WAL probe still guards those."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    target = os.path.realpath(folder)
    best: tuple[int, str] | None = None
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        mount, kind = _unescape_mount(parts[1]), parts[2]
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and (best is None or len(mount) >= best[0]):
            best = (len(mount), kind)
    return best[1] if best else None


def is_network_filesystem(kind: str | None) -> bool:
    return kind is not None and (kind in NETWORK_FILESYSTEMS or kind.startswith("nfs"))


def _connect(path: Path) -> sqlite3.Connection:
    """Open the database file (tests replace this to open it through another VFS)."""
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False)


def post_text(post: Post) -> str:
    """What the search index holds for a post: its Markdown, else the text of its HTML."""
    if post.deleted:
        return ""
    if post.raw is not None:
        return post.raw
    from tui.forum.html_text import html_text  # html.parser: not needed to start

    return html_text(post.cooked or "")


# -- offline search queries -------------------------------------------------------------------


@dataclass
class LocalQuery:
    """A search as typed, split like the forums do: words and @user #category tag:x
    in:title status:solved|unsolved before:/after:YYYY-MM-DD filters."""

    terms: list[str] = field(default_factory=list)
    user: str | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    in_title: bool = False
    status: str | None = None
    before: float | None = None
    after: float | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.terms
            or self.user
            or self.category
            or self.tags
            or self.status
            or self.before is not None
            or self.after is not None
        )


def _day(value: str) -> float | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def parse_query(text: str) -> LocalQuery:
    """Split a query; a filter that does not parse (status:maybe) is kept as a word."""
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    query = LocalQuery()
    for word in words:
        lower = word.lower()
        if word.startswith("@") and len(word) > 1:
            query.user = word[1:]
        elif word.startswith("#") and len(word) > 1:
            query.category = word[1:]
        elif lower.startswith("tag:") and len(word) > 4:
            query.tags.extend(t for t in word[4:].split(",") if t)
        elif lower == "in:title":
            query.in_title = True
        elif lower in ("status:solved", "status:unsolved"):
            query.status = lower[7:]
        elif lower.startswith("before:") and _day(word[7:]) is not None:
            query.before = _day(word[7:])
        elif lower.startswith("after:") and _day(word[6:]) is not None:
            query.after = _day(word[6:])
        else:
            query.terms.append(word)
    return query


def fts_match(terms: Sequence[str]) -> str:
    """An FTS5 query in which every typed word is a quoted string: no operators leak in."""
    return " ".join('"' + t.replace('"', '""').replace("\x00", " ") + '"' for t in terms)


# -- the cache --------------------------------------------------------------------------------


class _Rebuild(Exception):
    def __init__(self, reason: str, *, corrupt: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.corrupt = corrupt


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def _is_corrupt(exc: sqlite3.Error) -> bool:
    if _code(exc) in (_CORRUPT, _NOTADB):
        return True
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def _guard(
    default: Callable[[], Any],
) -> Callable[[Callable[Concatenate[Cache, P], R]], Callable[Concatenate[Cache, P], R]]:
    """Run a cache method under the lock; rebuild a corrupt cache and try once more; on a
    cache that cannot be used just now (locked, full, read-only) answer `default()`."""

    def wrap(method: Callable[Concatenate[Cache, P], R]) -> Callable[Concatenate[Cache, P], R]:
        @functools.wraps(method)
        def guarded(self: Cache, /, *args: P.args, **kwargs: P.kwargs) -> R:
            with self._lock:
                for attempt in (1, 2):
                    if self._conn is None:
                        return typing.cast(R, default())
                    try:
                        return method(self, *args, **kwargs)
                    except sqlite3.DatabaseError as exc:
                        if _is_corrupt(exc) and attempt == 1:
                            log.warning("cache %s is damaged (%s): rebuilding it", self.path, exc)
                            self._recover(f"damaged: {exc}")
                            continue
                        if _is_corrupt(exc) or _code(exc) in _TRANSIENT:
                            log.warning("cache %s unusable for now: %s", self.path, exc)
                            return typing.cast(R, default())
                        raise
            return typing.cast(R, default())

        return guarded

    return wrap


def _none() -> None:
    return None


def _false() -> bool:
    return False


def _ts(value: datetime | None) -> float:
    return value.timestamp() if value is not None else 0.0


def _json(model: Any) -> str:
    return json.dumps(dump(model), ensure_ascii=False, separators=(",", ":"))


def _load(cls: type[M], text: str) -> M | None:
    """A cached model, or None when it no longer loads (e.g. written by another version)."""
    try:
        return load(cls, json.loads(text))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


# Posts are the bulk of a cache (a 10,000-post thread is read whole), so they get a
# direct JSON mapping instead of the reflective `dump`/`load`; same format, ~15x faster.
# tests/test_cache.py checks it agrees with `dump`/`load` on every field of Post.
_POST_FIELDS = tuple(f.name for f in dataclasses.fields(Post))
_POST_FIELD_SET = frozenset(_POST_FIELDS)


_POST_DEFAULTS = {
    f.name: f.default for f in dataclasses.fields(Post) if f.default is not dataclasses.MISSING
}


def _post_json(post: Post) -> str:
    """A post as `dump` would write it, less the fields that hold their default."""
    data = {
        name: value
        for name in _POST_FIELDS
        if (value := getattr(post, name)) != _POST_DEFAULTS.get(name, dataclasses.MISSING)
    }
    data["created_at"] = post.created_at.isoformat()
    if post.updated_at is not None:
        data["updated_at"] = post.updated_at.isoformat()
    if post.reactions:
        data["reactions"] = [
            {"name": r.name, "count": r.count, "reacted": r.reacted} for r in post.reactions
        ]
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _load_post(text: str) -> Post | None:
    try:
        data = json.loads(text)
        data["created_at"] = datetime.fromisoformat(data["created_at"])
        if data.get("updated_at") is not None:
            data["updated_at"] = datetime.fromisoformat(data["updated_at"])
        if "reactions" in data:
            data["reactions"] = tuple(Reaction(**r) for r in data["reactions"])
        return Post(**{k: v for k, v in data.items() if k in _POST_FIELD_SET})
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


class Cache:
    """One account's cache in one SQLite file. Thread-safe (one lock): the repository
    calls it from worker threads so the UI's event loop never waits on the disk."""

    busy_timeout = 5.0  # seconds to wait for another process's write before giving up

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.journal_mode = "delete"
        self.persistent = True  # False: fell back to memory (the file could not be used)
        self.rebuilt: str | None = None  # why the file was rebuilt while opening, if it was
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._open()

    # -- opening, checking, rebuilding --

    def _open(self) -> None:
        for _attempt in (1, 2):
            try:
                self._conn = self._open_file()
                return
            except _Rebuild as why:
                log.warning("cache %s: %s; rebuilding it", self.path, why.reason)
                self.rebuilt = why.reason
                try:
                    self._discard(corrupt=why.corrupt)
                except OSError as exc:
                    log.warning("cache %s cannot be replaced (%s): in memory", self.path, exc)
                    break
            except (OSError, sqlite3.Error) as exc:
                log.warning("cache %s cannot be used (%s): keeping it in memory", self.path, exc)
                break
        self._conn = self._open_memory()

    def _open_file(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
        conn = _connect(self.path)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if version == 0 and names:
                raise _Rebuild("not a Cohort cache", corrupt=False)
            if version not in (0, SCHEMA_VERSION):
                age = "older" if version < SCHEMA_VERSION else "newer"
                raise _Rebuild(f"written by an {age} Cohort (schema {version})", corrupt=False)
            if version == SCHEMA_VERSION and not set(_TABLES) <= names:
                raise _Rebuild("tables are missing", corrupt=True)
            self.journal_mode = self._set_journal_mode(conn)
            if version == 0:
                self._create_schema(conn)
            self.persistent = True
            return conn
        except sqlite3.DatabaseError as exc:
            conn.close()
            if _is_corrupt(exc):
                raise _Rebuild(f"damaged: {exc}", corrupt=True) from exc
            raise
        except _Rebuild:
            conn.close()
            raise

    def _set_journal_mode(self, conn: sqlite3.Connection) -> str:
        """WAL where it is safe; a rollback journal on network filesystems, or wherever
        SQLite will not switch to WAL."""
        mode = ""
        if not is_network_filesystem(filesystem_type(self.path.parent)):
            try:
                mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            except sqlite3.OperationalError as exc:
                log.info("cache %s: no WAL (%s)", self.path, exc)
        if mode != "wal":
            mode = str(conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]).lower()
        # A cache may lose its last transaction on power loss, never its consistency.
        conn.execute("PRAGMA synchronous = " + ("NORMAL" if mode == "wal" else "FULL"))
        return mode

    @staticmethod
    def _create_schema(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                for statement in _statements(_SCHEMA):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _open_memory(self) -> sqlite3.Connection:
        self.persistent = False
        self.journal_mode = "memory"
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self._create_schema(conn)
        return conn

    def _discard(self, *, corrupt: bool) -> None:
        """Move a damaged file aside (one copy, for a bug report) or delete an outdated
        one, with its journal: a stale WAL must never be replayed into a new database."""
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        if corrupt and self.path.exists():
            os.replace(self.path, f"{self.path}.corrupt")
        else:
            self.path.unlink(missing_ok=True)

    def _recover(self, reason: str) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self.rebuilt = reason
        if self.persistent:
            try:
                self._discard(corrupt=True)
            except OSError as exc:
                log.warning("cache %s cannot be moved aside (%s): in memory", self.path, exc)
            else:
                self._open()
                return
        self._conn = self._open_memory()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @property
    def closed(self) -> bool:
        return self._conn is None

    # -- helpers --

    @property
    def _db(self) -> sqlite3.Connection:
        assert self._conn is not None  # checked by _guard
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._db
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One snapshot for reads that take several statements."""
        conn = self._db
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def _put_entities(
        self, conn: sqlite3.Connection, kind: str, items: Iterable[tuple[int, str]], now: float
    ) -> None:
        conn.executemany(
            "INSERT INTO entities (kind, id, json, fetched_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind, id) DO UPDATE SET json = excluded.json, "
            "fetched_at = excluded.fetched_at",
            ((kind, i, text, now) for i, text in items),
        )

    def _entity(self, conn: sqlite3.Connection, kind: str, id_: int) -> str | None:
        row = conn.execute(
            "SELECT json FROM entities WHERE kind = ? AND id = ?", (kind, id_)
        ).fetchone()
        return None if row is None else str(row[0])

    def _store_topics(self, conn: sqlite3.Connection, topics: Sequence[Topic], now: float) -> None:
        self._put_entities(conn, TOPIC, ((t.id, _json(t)) for t in topics), now)
        conn.executemany("DELETE FROM titles_fts WHERE rowid = ?", ((t.id,) for t in topics))
        conn.executemany(
            "INSERT INTO titles_fts (rowid, title) VALUES (?, ?)", ((t.id, t.title) for t in topics)
        )
        # What the forum says was read counts too (never moving the mark backwards).
        conn.executemany(
            "INSERT INTO read_state (topic_id, last_read_post_number) VALUES (?, ?) "
            "ON CONFLICT (topic_id) DO UPDATE SET last_read_post_number = "
            "max(last_read_post_number, excluded.last_read_post_number)",
            ((t.id, t.last_read_post_number) for t in topics if t.last_read_post_number),
        )

    def _store_posts(self, conn: sqlite3.Connection, posts: Iterable[Post], now: float) -> None:
        conn.executemany(
            "INSERT INTO posts (id, topic_id, post_number, username, created_at, deleted, body,"
            " json, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " topic_id = excluded.topic_id, post_number = excluded.post_number,"
            " username = excluded.username, created_at = excluded.created_at,"
            " deleted = excluded.deleted, body = excluded.body, json = excluded.json,"
            " fetched_at = excluded.fetched_at",
            (
                (
                    p.id,
                    p.topic_id,
                    p.post_number,
                    p.username,
                    _ts(p.created_at),
                    int(p.deleted),
                    post_text(p),
                    _post_json(p),
                    now,
                )
                for p in posts
            ),
        )

    def _with_read_state(self, conn: sqlite3.Connection, topics: list[Topic]) -> list[Topic]:
        """Topics as far as the user has read here, even before the forum has heard of it."""
        if not topics:
            return topics
        marks = dict(
            conn.execute(
                "SELECT topic_id, last_read_post_number FROM read_state "
                "WHERE topic_id IN (SELECT value FROM json_each(?))",
                (json.dumps([t.id for t in topics]),),
            ).fetchall()
        )
        return [_read_up_to(t, marks.get(t.id)) for t in topics]

    # -- categories --

    @_guard(_false)
    def put_categories(self, categories: Sequence[Category]) -> bool:
        """Replace the cached categories with the forum's current list (in its order)."""
        now = time.time()
        with self._write() as conn:
            conn.execute("DELETE FROM entities WHERE kind = ?", (CATEGORY,))
            self._put_entities(conn, CATEGORY, ((c.id, _json(c)) for c in categories), now)
            order = json.dumps([c.id for c in categories])
            self._put_entities(conn, CATEGORY_ORDER, [(0, order)], now)
        return True

    @_guard(_none)
    def get_categories(self) -> list[Category] | None:
        with self._read() as conn:
            order = self._entity(conn, CATEGORY_ORDER, 0)
            if order is None:
                return None
            rows = dict(
                conn.execute("SELECT id, json FROM entities WHERE kind = ?", (CATEGORY,)).fetchall()
            )
        found = (_load(Category, rows[i]) for i in json.loads(order) if i in rows)
        return [c for c in found if c is not None]

    # -- the forum and who we are on it --

    @_guard(_false)
    def put_site(self, site: SiteInfo) -> bool:
        with self._write() as conn:
            self._put_entities(conn, SITE, [(0, _json(site))], time.time())
        return True

    @_guard(_none)
    def get_site(self) -> SiteInfo | None:
        text = self._entity(self._db, SITE, 0)
        return None if text is None else _load(SiteInfo, text)

    @_guard(_false)
    def put_me(self, user: User | None) -> bool:
        """The logged-in user (to start offline knowing who we are); None: anonymous."""
        with self._write() as conn:
            if user is None:
                conn.execute("DELETE FROM entities WHERE kind = ?", (ME,))
            else:
                self._put_entities(conn, ME, [(0, _json(user))], time.time())
                self._put_entities(conn, USER, [(user.id, _json(user))], time.time())
        return True

    @_guard(_none)
    def get_me(self) -> User | None:
        text = self._entity(self._db, ME, 0)
        return None if text is None else _load(User, text)

    # -- users --

    @_guard(_false)
    def put_user(self, user: User) -> bool:
        with self._write() as conn:
            self._put_entities(conn, USER, [(user.id, _json(user))], time.time())
        return True

    @_guard(_none)
    def get_user(self, user_id: int) -> User | None:
        text = self._entity(self._db, USER, user_id)
        return None if text is None else _load(User, text)

    # -- topics and topic lists --

    @staticmethod
    def list_key(
        filter: str = "latest",
        category_id: int | None = None,
        tag: str | None = None,
        cursor: str | None = None,
    ) -> str:
        """The key of one page of a topic list."""
        return json.dumps([filter, category_id, tag, cursor], separators=(",", ":"))

    @_guard(_false)
    def put_topics(self, topics: Sequence[Topic]) -> bool:
        with self._write() as conn:
            self._store_topics(conn, topics, time.time())
        return True

    @_guard(_none)
    def get_topic(self, topic_id: int) -> Topic | None:
        with self._read() as conn:
            text = self._entity(conn, TOPIC, topic_id)
            topic = None if text is None else _load(Topic, text)
            return None if topic is None else self._with_read_state(conn, [topic])[0]

    @_guard(_false)
    def put_topic_list(self, key: str, page: TopicList) -> bool:
        now = time.time()
        with self._write() as conn:
            self._store_topics(conn, page.topics, now)
            conn.execute(
                "INSERT INTO topic_lists (key, topic_ids, next_cursor, fetched_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "topic_ids = excluded.topic_ids, next_cursor = excluded.next_cursor, "
                "fetched_at = excluded.fetched_at",
                (key, json.dumps([t.id for t in page.topics]), page.next_cursor, now),
            )
        return True

    @_guard(_none)
    def get_topic_list(self, key: str) -> TopicList | None:
        """A cached page; topics forgotten since (deleted) are left out."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT topic_ids, next_cursor FROM topic_lists WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                return None
            ids: list[int] = json.loads(row[0])
            texts = dict(
                conn.execute(
                    "SELECT id, json FROM entities WHERE kind = ? "
                    "AND id IN (SELECT value FROM json_each(?))",
                    (TOPIC, row[0]),
                ).fetchall()
            )
            loaded = (_load(Topic, texts[i]) for i in ids if i in texts)
            topics = self._with_read_state(conn, [t for t in loaded if t is not None])
        return TopicList(topics=tuple(topics), next_cursor=row[1])

    @_guard(_none)
    def forget_topic(self, topic_id: int) -> None:
        """Drop a topic that was deleted or became invisible: its head, outline and posts."""
        with self._write() as conn:
            conn.execute(
                "DELETE FROM entities WHERE kind IN (?, ?) AND id = ?", (TOPIC, THREAD, topic_id)
            )
            conn.execute("DELETE FROM titles_fts WHERE rowid = ?", (topic_id,))
            conn.execute("DELETE FROM posts WHERE topic_id = ?", (topic_id,))
            conn.execute("DELETE FROM read_state WHERE topic_id = ?", (topic_id,))

    # -- staleness --

    @_guard(_none)
    def fetched_at(self, kind: str, id_: int) -> float | None:
        """When an entity was fetched (0.0: marked stale), or None when it is not cached."""
        row = self._db.execute(
            "SELECT fetched_at FROM entities WHERE kind = ? AND id = ?", (kind, id_)
        ).fetchone()
        return None if row is None else float(row[0])

    @_guard(_none)
    def list_fetched_at(self, key: str) -> float | None:
        row = self._db.execute(
            "SELECT fetched_at FROM topic_lists WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else float(row[0])

    @_guard(lambda: 0)
    def invalidate_lists(self, topic_id: int | None = None) -> int:
        """Mark stale every cached list page, or those that show `topic_id`; returns how many."""
        with self._write() as conn:
            if topic_id is None:
                cur = conn.execute("UPDATE topic_lists SET fetched_at = 0")
            else:
                cur = conn.execute(
                    "UPDATE topic_lists SET fetched_at = 0 WHERE EXISTS "
                    "(SELECT 1 FROM json_each(topic_lists.topic_ids) WHERE value = ?)",
                    (topic_id,),
                )
            return int(cur.rowcount)

    @_guard(_none)
    def mark_stale(self, kind: str, id_: int | None = None) -> None:
        """Mark an entity (or every entity of a kind) as out of date: it stays readable
        offline, but a reader will refetch it before calling it fresh."""
        with self._write() as conn:
            if id_ is None:
                conn.execute("UPDATE entities SET fetched_at = 0 WHERE kind = ?", (kind,))
            else:
                conn.execute(
                    "UPDATE entities SET fetched_at = 0 WHERE kind = ? AND id = ?", (kind, id_)
                )

    @_guard(_none)
    def invalidate_all(self) -> None:
        """After a sync reset: everything cached may be out of date (it is kept for offline)."""
        with self._write() as conn:
            conn.execute("UPDATE topic_lists SET fetched_at = 0")
            conn.execute("UPDATE entities SET fetched_at = 0")
            conn.execute("UPDATE posts SET fetched_at = 0")

    # -- threads and posts --

    @_guard(_false)
    def put_thread(self, page: TopicPage) -> bool:
        """Store a thread's head, its post ids and the posts that came with it. Posts
        cached for the topic that the forum no longer lists are dropped."""
        now = time.time()
        with self._write() as conn:
            self._store_topics(conn, [page.topic], now)
            ids = None if page.post_ids is None else list(page.post_ids)
            self._put_entities(conn, THREAD, [(page.topic.id, json.dumps({"post_ids": ids}))], now)
            if ids is not None:
                conn.execute(
                    "DELETE FROM posts WHERE topic_id = ? "
                    "AND id NOT IN (SELECT value FROM json_each(?))",
                    (page.topic.id, json.dumps(ids + [p.id for p in page.posts])),
                )
            self._store_posts(conn, page.posts, now)
        return True

    @_guard(_none)
    def get_post_ids(self, topic_id: int) -> tuple[int, ...] | None:
        text = self._entity(self._db, THREAD, topic_id)
        if text is None:
            return None
        ids = json.loads(text).get("post_ids")
        return None if ids is None else tuple(int(i) for i in ids)

    @_guard(_none)
    def get_thread(self, topic_id: int, *, limit: int | None = None) -> TopicPage | None:
        """The cached thread: its head (None if never cached), post ids and every cached
        post in post-number order (the first `limit` only, when given: enough for a first
        screen of a long thread, read in a fraction of the time)."""
        with self._read() as conn:
            text = self._entity(conn, TOPIC, topic_id)
            topic = None if text is None else _load(Topic, text)
            if topic is None:
                return None
            topic = self._with_read_state(conn, [topic])[0]
            outline = self._entity(conn, THREAD, topic_id)
            rows = conn.execute(
                "SELECT json FROM posts WHERE topic_id = ? ORDER BY post_number, id LIMIT ?",
                (topic_id, -1 if limit is None else limit),
            ).fetchall()
        ids = None if outline is None else json.loads(outline).get("post_ids")
        posts = (_load_post(r[0]) for r in rows)
        return TopicPage(
            topic=topic,
            post_ids=None if ids is None else tuple(ids),
            posts=tuple(p for p in posts if p is not None),
        )

    @_guard(dict)
    def cached_post_numbers(self, topic_id: int) -> dict[int, int]:
        """Post id -> post number of every post cached for a topic."""
        rows = self._db.execute(
            "SELECT id, post_number FROM posts WHERE topic_id = ?", (topic_id,)
        ).fetchall()
        return {int(i): int(n) for i, n in rows}

    @_guard(_false)
    def put_posts(self, posts: Sequence[Post]) -> bool:
        """Store posts (new or changed); a thread outline learns of ids it lacked."""
        now = time.time()
        with self._write() as conn:
            self._store_posts(conn, posts, now)
            self._add_to_outlines(conn, posts, now)
        return True

    def _add_to_outlines(self, conn: sqlite3.Connection, posts: Sequence[Post], now: float) -> None:
        by_topic: dict[int, list[Post]] = {}
        for post in posts:
            by_topic.setdefault(post.topic_id, []).append(post)
        for topic_id, new in by_topic.items():
            text = self._entity(conn, THREAD, topic_id)
            if text is None:
                continue
            ids = json.loads(text).get("post_ids")
            if ids is None or {p.id for p in new} <= set(ids):
                continue
            numbers = dict(
                conn.execute(
                    "SELECT id, post_number FROM posts WHERE topic_id = ?", (topic_id,)
                ).fetchall()
            )
            merged = _ordered_ids(ids, new, numbers)
            conn.execute(
                "UPDATE entities SET json = ? WHERE kind = ? AND id = ?",
                (json.dumps({"post_ids": merged}), THREAD, topic_id),
            )

    @_guard(_none)
    def get_post(self, post_id: int) -> Post | None:
        row = self._db.execute("SELECT json FROM posts WHERE id = ?", (post_id,)).fetchone()
        return None if row is None else _load_post(row[0])

    @_guard(list)
    def get_posts(self, topic_id: int) -> list[Post]:
        rows = self._db.execute(
            "SELECT json FROM posts WHERE topic_id = ? ORDER BY post_number, id", (topic_id,)
        ).fetchall()
        return [p for p in (_load_post(r[0]) for r in rows) if p is not None]

    @_guard(list)
    def accepted_post_ids(self, topic_id: int) -> list[int]:
        """Cached posts of a topic marked as its accepted answer (at most one, normally)."""
        rows = self._db.execute(
            "SELECT id FROM posts WHERE topic_id = ? AND json_extract(json, '$.accepted') = 1",
            (topic_id,),
        ).fetchall()
        return [int(r[0]) for r in rows]

    @_guard(_none)
    def remove_posts(self, post_ids: Iterable[int]) -> None:
        """Forget posts entirely (they stay in their thread's outline, to be refetched)."""
        with self._write() as conn:
            conn.executemany("DELETE FROM posts WHERE id = ?", ((i,) for i in post_ids))

    @_guard(list)
    def mark_posts_deleted(self, post_ids: Iterable[int]) -> list[int]:
        """Turn cached posts into tombstones (as the forum shows a deleted post: no text,
        out of the search index). Returns the topics they belong to."""
        topics: set[int] = set()
        with self._write() as conn:
            for post_id in post_ids:
                row = conn.execute("SELECT json FROM posts WHERE id = ?", (post_id,)).fetchone()
                post = None if row is None else _load_post(row[0])
                if post is None:
                    continue
                tomb = replace(post, deleted=True, raw="", cooked="", like_count=0, reactions=())
                self._store_posts(conn, [tomb], time.time())
                topics.add(post.topic_id)
        return sorted(topics)

    # -- read state --

    @_guard(lambda: 0)
    def set_read_state(self, topic_id: int, post_number: int, *, pending: bool = False) -> int:
        """Record that the user read up to `post_number` (the mark never moves back);
        `pending`: the forum has not been told yet. Returns the mark now held."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO read_state (topic_id, last_read_post_number, pending) "
                "VALUES (?, ?, ?) ON CONFLICT (topic_id) DO UPDATE SET "
                "pending = CASE WHEN excluded.last_read_post_number > last_read_post_number "
                "THEN excluded.pending ELSE max(pending, excluded.pending) END, "
                "last_read_post_number = "
                "max(last_read_post_number, excluded.last_read_post_number)",
                (topic_id, post_number, int(pending)),
            )
            row = conn.execute(
                "SELECT last_read_post_number FROM read_state WHERE topic_id = ?", (topic_id,)
            ).fetchone()
            return int(row[0])

    @_guard(_none)
    def get_read_state(self, topic_id: int) -> int | None:
        row = self._db.execute(
            "SELECT last_read_post_number FROM read_state WHERE topic_id = ?", (topic_id,)
        ).fetchone()
        return None if row is None else int(row[0])

    @_guard(list)
    def pending_reads(self) -> list[tuple[int, int]]:
        """(topic id, post number) marks the forum has not been told about yet."""
        rows = self._db.execute(
            "SELECT topic_id, last_read_post_number FROM read_state WHERE pending = 1 "
            "ORDER BY topic_id"
        ).fetchall()
        return [(int(t), int(n)) for t, n in rows]

    @_guard(_none)
    def clear_pending_read(self, topic_id: int, post_number: int) -> None:
        """The forum now knows the mark (a later, higher mark stays pending)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE read_state SET pending = 0 WHERE topic_id = ? "
                "AND last_read_post_number <= ?",
                (topic_id, post_number),
            )

    # -- notifications --

    @_guard(_false)
    def put_notifications(self, notifications: NotificationList) -> bool:
        with self._write() as conn:
            self._put_entities(conn, NOTIFICATIONS, [(0, _json(notifications))], time.time())
        return True

    @_guard(_none)
    def get_notifications(self) -> NotificationList | None:
        text = self._entity(self._db, NOTIFICATIONS, 0)
        return None if text is None else _load(NotificationList, text)

    # -- meta --

    @_guard(_none)
    def set_meta(self, key: str, value: str | None) -> None:
        """Keep a small value (e.g. a sync cursor); None removes it."""
        with self._write() as conn:
            if value is None:
                conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    @_guard(_none)
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # -- offline search --

    @_guard(lambda: SearchPage(results=()))
    def search(self, query: str, *, offset: int = 0, limit: int = 20) -> SearchPage:
        """Search the cached posts (FTS5) with the forum's simple filters."""
        parsed = parse_query(query)
        if parsed.empty:
            return SearchPage(results=())
        where: list[str] = []
        args: list[Any] = []
        if parsed.category is not None:
            where.append(
                "json_extract(t.json, '$.category_id') IN (SELECT id FROM entities "
                "WHERE kind = 'category' AND json_extract(json, '$.slug') = ?)"
            )
            args.append(parsed.category)
        for tag in parsed.tags:
            where.append("EXISTS (SELECT 1 FROM json_each(t.json, '$.tags') WHERE value = ?)")
            args.append(tag)
        if parsed.status == "solved":
            where.append("json_extract(t.json, '$.solved') = 1")
        elif parsed.status == "unsolved":
            where.append("ifnull(json_extract(t.json, '$.solved'), 0) = 0")
        if parsed.before is not None:
            where.append("p.created_at < ?")
            args.append(parsed.before)
        if parsed.after is not None:
            where.append("p.created_at >= ?")
            args.append(parsed.after)
        topic_fields = (
            "ifnull(json_extract(t.json, '$.title'), '') AS title, "
            "json_extract(t.json, '$.category_id') AS category_id, "
            "ifnull(json_extract(t.json, '$.solved'), 0) AS solved"
        )
        page = max(1, min(limit, 100))
        if parsed.in_title:
            # Titles match even for topics whose first post was never fetched.
            if parsed.user is not None:
                where.append("json_extract(t.json, '$.username') = ? COLLATE NOCASE")
                args.append(parsed.user)
            source = "entities t"
            if parsed.terms:
                source = "titles_fts JOIN entities t ON t.id = titles_fts.rowid"
                where.insert(0, "titles_fts MATCH ?")
                args.insert(0, fts_match(parsed.terms))
            sql = f"""
                SELECT p.id, t.id, 1, ifnull(json_extract(t.json, '$.username'), ''),
                    p.created_at, '', {topic_fields},
                    ifnull(json_extract(p.json, '$.accepted'), 0)
                FROM {source}
                LEFT JOIN posts p ON p.topic_id = t.id AND p.post_number = 1
                WHERE t.kind = 'topic' AND {" AND ".join(where or ["1"])}
                ORDER BY {"titles_fts.rank" if parsed.terms else "t.id DESC"}
                LIMIT ? OFFSET ?"""
        else:
            where.append("p.deleted = 0")
            if parsed.user is not None:
                where.append("p.username = ? COLLATE NOCASE")
                args.append(parsed.user)
            if parsed.terms:
                source = "posts_fts JOIN posts p ON p.id = posts_fts.rowid"
                blurb = "snippet(posts_fts, 0, '', '', '…', 16)"
                where.insert(0, "posts_fts MATCH ?")
                args.insert(0, fts_match(parsed.terms))
                order = "posts_fts.rank"
            else:
                source, blurb, order = "posts p", "substr(p.body, 1, 200)", "p.created_at DESC"
            sql = f"""
                SELECT p.id, p.topic_id, p.post_number, p.username, p.created_at, {blurb},
                    {topic_fields}, ifnull(json_extract(p.json, '$.accepted'), 0)
                FROM {source}
                LEFT JOIN entities t ON t.kind = 'topic' AND t.id = p.topic_id
                WHERE {" AND ".join(where)}
                ORDER BY {order}, p.id DESC
                LIMIT ? OFFSET ?"""
        try:
            rows = self._db.execute(sql, (*args, page + 1, max(0, offset))).fetchall()
        except sqlite3.OperationalError as exc:
            if _code(exc) in _TRANSIENT:
                raise
            # e.g. a word the tokenizer reduces to nothing: no results, not an error.
            log.info("offline search %r failed: %s", query, exc)
            return SearchPage(results=())
        results = tuple(
            SearchResult(
                post_id=post_id,
                topic_id=int(topic_id),
                post_number=int(number),
                topic_title=clean(str(title)),
                username=str(username),
                blurb=clean(" ".join(str(blurb or "").split())),
                category_id=None if category_id is None else int(category_id),
                created_at=datetime.fromtimestamp(created, UTC) if created else None,
                solved=bool(solved),
                accepted=bool(accepted),
            )
            for (
                post_id,
                topic_id,
                number,
                username,
                created,
                blurb,
                title,
                category_id,
                solved,
                accepted,
            ) in rows[:page]
        )
        more = len(rows) > page
        return SearchPage(results=results, next_offset=offset + page if more else None)


def _ordered_ids(ids: list[int], new: Sequence[Post], numbers: dict[int, int]) -> list[int]:
    """A thread outline with new posts inserted where their post numbers put them."""
    merged = list(ids)
    known = set(ids)
    for post in sorted(new, key=lambda p: p.post_number):
        if post.id in known:
            continue
        at = len(merged)
        for index, other in enumerate(merged):
            number = numbers.get(other)
            if number is not None and number > post.post_number:
                at = index
                break
        merged.insert(at, post.id)
        known.add(post.id)
    return merged


def _read_up_to(topic: Topic, mark: int | None) -> Topic:
    """`topic` with a local read mark applied when it is ahead of what the forum said."""
    if mark is None or (topic.last_read_post_number or 0) >= mark:
        return topic
    unread = topic.unread_count
    if topic.highest_post_number:
        unread = max(0, topic.highest_post_number - mark)
    return replace(topic, last_read_post_number=mark, unread_count=unread, seen=True)


def _statements(script: str) -> list[str]:
    """Split the schema script into statements (triggers hold ';' inside BEGIN...END)."""
    statements: list[str] = []
    current: list[str] = []
    for line in script.splitlines():
        if line.startswith("--") or not line.strip():
            continue
        current.append(line)
        text = "\n".join(current)
        if sqlite3.complete_statement(text):
            statements.append(text)
            current = []
    return statements
