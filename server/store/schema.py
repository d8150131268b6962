"""The database schema and its migrations.

Each migration is a list of statements applied in one transaction and recorded in
`PRAGMA user_version`, so an old database is brought forward step by step and a failed
step leaves it exactly as it was. Migrations only ever add: never drop user data.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[list[str]] = [
    # 1: the Discourse-shaped core.
    [
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL DEFAULT '',
            bio TEXT NOT NULL DEFAULT '',
            uid INTEGER UNIQUE,
            password_hash TEXT,
            is_moderator INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE tokens (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            token_hash TEXT NOT NULL UNIQUE,
            label TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            last_used_at REAL,
            revoked_at REAL
        )""",
        """CREATE TABLE groups (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE group_members (
            group_id INTEGER NOT NULL REFERENCES groups(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            PRIMARY KEY (group_id, user_id)
        )""",
        """CREATE TABLE categories (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            guidelines TEXT NOT NULL DEFAULT '',
            position INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE category_groups (
            category_id INTEGER NOT NULL REFERENCES categories(id),
            group_id INTEGER NOT NULL REFERENCES groups(id),
            PRIMARY KEY (category_id, group_id)
        )""",
        """CREATE TABLE topics (
            id INTEGER PRIMARY KEY,
            category_id INTEGER NOT NULL REFERENCES categories(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            title TEXT NOT NULL,
            created_at REAL NOT NULL,
            bumped_at REAL NOT NULL,
            highest_post_number INTEGER NOT NULL DEFAULT 0,
            posts_count INTEGER NOT NULL DEFAULT 0,
            like_count INTEGER NOT NULL DEFAULT 0,
            closed INTEGER NOT NULL DEFAULT 0,
            pinned INTEGER NOT NULL DEFAULT 0,
            solution_post_id INTEGER,
            deleted_at REAL
        )""",
        "CREATE INDEX topics_bumped ON topics(bumped_at DESC, id DESC)",
        "CREATE INDEX topics_category_bumped ON topics(category_id, bumped_at DESC, id DESC)",
        "CREATE INDEX topics_created ON topics(created_at DESC, id DESC)",
        """CREATE TABLE topic_tags (
            topic_id INTEGER NOT NULL REFERENCES topics(id),
            tag TEXT NOT NULL COLLATE NOCASE,
            PRIMARY KEY (topic_id, tag)
        )""",
        "CREATE INDEX topic_tags_tag ON topic_tags(tag, topic_id)",
        """CREATE TABLE posts (
            id INTEGER PRIMARY KEY,
            topic_id INTEGER NOT NULL REFERENCES topics(id),
            post_number INTEGER NOT NULL,
            reply_to_post_number INTEGER,
            user_id INTEGER NOT NULL REFERENCES users(id),
            raw TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            like_count INTEGER NOT NULL DEFAULT 0,
            reply_count INTEGER NOT NULL DEFAULT 0,
            deleted_at REAL,
            deleted_by INTEGER REFERENCES users(id),
            UNIQUE (topic_id, post_number)
        )""",
        "CREATE INDEX posts_user ON posts(user_id, created_at)",
        "CREATE INDEX posts_created ON posts(created_at)",
        """CREATE TABLE reactions (
            post_id INTEGER NOT NULL REFERENCES posts(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            name TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (post_id, user_id, name)
        )""",
        """CREATE TABLE bookmarks (
            user_id INTEGER NOT NULL REFERENCES users(id),
            post_id INTEGER NOT NULL REFERENCES posts(id),
            created_at REAL NOT NULL,
            PRIMARY KEY (user_id, post_id)
        )""",
        """CREATE TABLE read_state (
            user_id INTEGER NOT NULL REFERENCES users(id),
            topic_id INTEGER NOT NULL REFERENCES topics(id),
            last_read_post_number INTEGER NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (user_id, topic_id)
        )""",
        """CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            kind TEXT NOT NULL,
            actor_id INTEGER REFERENCES users(id),
            topic_id INTEGER REFERENCES topics(id),
            post_id INTEGER REFERENCES posts(id),
            data TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL,
            read_at REAL
        )""",
        "CREATE INDEX notifications_user ON notifications(user_id, id DESC)",
        """CREATE TABLE links (
            id INTEGER PRIMARY KEY,
            post_id INTEGER NOT NULL REFERENCES posts(id),
            topic_id INTEGER NOT NULL REFERENCES topics(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            url TEXT NOT NULL,
            title TEXT,
            position INTEGER NOT NULL,
            created_at REAL NOT NULL
        )""",
        "CREATE INDEX links_post ON links(post_id)",
        "CREATE INDEX links_topic ON links(topic_id, id)",
        "CREATE INDEX links_url ON links(url)",
        """CREATE TABLE changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            category_id INTEGER,
            topic_id INTEGER,
            post_id INTEGER,
            user_id INTEGER,
            data TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE idempotency (
            user_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            status INTEGER NOT NULL,
            response TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (user_id, key)
        )""",
        """CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        # Full-text search: external-content FTS5 tables kept in step by triggers.
        """CREATE VIRTUAL TABLE posts_fts USING fts5(
            raw, content='posts', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        )""",
        """CREATE TRIGGER posts_fts_ai AFTER INSERT ON posts BEGIN
            INSERT INTO posts_fts(rowid, raw) VALUES (new.id, new.raw);
        END""",
        """CREATE TRIGGER posts_fts_ad AFTER DELETE ON posts BEGIN
            INSERT INTO posts_fts(posts_fts, rowid, raw) VALUES ('delete', old.id, old.raw);
        END""",
        """CREATE TRIGGER posts_fts_au AFTER UPDATE OF raw ON posts BEGIN
            INSERT INTO posts_fts(posts_fts, rowid, raw) VALUES ('delete', old.id, old.raw);
            INSERT INTO posts_fts(rowid, raw) VALUES (new.id, new.raw);
        END""",
        """CREATE VIRTUAL TABLE topics_fts USING fts5(
            title, content='topics', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        )""",
        """CREATE TRIGGER topics_fts_ai AFTER INSERT ON topics BEGIN
            INSERT INTO topics_fts(rowid, title) VALUES (new.id, new.title);
        END""",
        """CREATE TRIGGER topics_fts_ad AFTER DELETE ON topics BEGIN
            INSERT INTO topics_fts(topics_fts, rowid, title) VALUES ('delete', old.id, old.title);
        END""",
        """CREATE TRIGGER topics_fts_au AFTER UPDATE OF title ON topics BEGIN
            INSERT INTO topics_fts(topics_fts, rowid, title) VALUES ('delete', old.id, old.title);
            INSERT INTO topics_fts(rowid, title) VALUES (new.id, new.title);
        END""",
    ],
    # 2: the peer-learning community: study groups, events, mentors, private messages.
    [
        # Study groups are the groups of migration 1 (their members already see the
        # categories the group is given): `name` stays the handle (the slug), as in
        # Discourse; admin-made groups keep being managed by moderators (invite).
        "ALTER TABLE groups ADD COLUMN full_name TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE groups ADD COLUMN goal TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE groups ADD COLUMN expectations TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE groups ADD COLUMN admission TEXT NOT NULL DEFAULT 'invite'",
        "ALTER TABLE groups ADD COLUMN meeting_weekday INTEGER",  # 0 Monday .. 6 Sunday
        "ALTER TABLE groups ADD COLUMN meeting_time TEXT",  # HH:MM, wall time in the zone
        "ALTER TABLE groups ADD COLUMN meeting_timezone TEXT",  # IANA name
        "ALTER TABLE groups ADD COLUMN meeting_minutes INTEGER",
        "ALTER TABLE groups ADD COLUMN meeting_place TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE groups ADD COLUMN meeting_link TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE groups ADD COLUMN category_id INTEGER REFERENCES categories(id)",
        "ALTER TABLE groups ADD COLUMN updated_at REAL",
        "ALTER TABLE group_members ADD COLUMN roles TEXT NOT NULL DEFAULT '[]'",  # JSON list
        "ALTER TABLE group_members ADD COLUMN joined_at REAL",
        "CREATE INDEX group_members_user ON group_members(user_id, group_id)",
        """CREATE TABLE group_requests (
            group_id INTEGER NOT NULL REFERENCES groups(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            message TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            PRIMARY KEY (group_id, user_id)
        )""",
        # Private messages are topics in the one category of kind 'messages', which no
        # one sees as a category; each one is seen by its participants only.
        "ALTER TABLE categories ADD COLUMN kind TEXT NOT NULL DEFAULT 'forum'",
        """CREATE TABLE topic_participants (
            topic_id INTEGER NOT NULL REFERENCES topics(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            added_at REAL NOT NULL,
            PRIMARY KEY (topic_id, user_id)
        )""",
        "CREATE INDEX topic_participants_user ON topic_participants(user_id, topic_id)",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            starts_at REAL NOT NULL,
            ends_at REAL NOT NULL,
            timezone TEXT NOT NULL,
            location TEXT NOT NULL DEFAULT '',
            link TEXT NOT NULL DEFAULT '',
            group_id INTEGER REFERENCES groups(id),
            topic_id INTEGER REFERENCES topics(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            deleted_at REAL
        )""",
        "CREATE INDEX events_starts ON events(starts_at)",
        "CREATE INDEX events_group ON events(group_id, starts_at)",
        """CREATE TABLE event_rsvps (
            event_id INTEGER NOT NULL REFERENCES events(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            status TEXT NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (event_id, user_id)
        )""",
        # A group's weekly meetings are computed from its schedule, never stored; an
        # answer to one is kept against the group and the meeting's local date.
        """CREATE TABLE meeting_rsvps (
            group_id INTEGER NOT NULL REFERENCES groups(id),
            occurrence TEXT NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id),
            status TEXT NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (group_id, occurrence, user_id)
        )""",
        "ALTER TABLE users ADD COLUMN open_to_mentoring INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE users ADD COLUMN mentoring_hours INTEGER",  # per month; NULL: not said
        """CREATE TABLE user_expertise (
            user_id INTEGER NOT NULL REFERENCES users(id),
            tag TEXT NOT NULL COLLATE NOCASE,
            position INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (user_id, tag)
        )""",
        "CREATE INDEX user_expertise_tag ON user_expertise(tag, user_id)",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer Cohort; opening it could lose data."""


def check_not_too_new(conn: sqlite3.Connection) -> int:
    """The database's schema version; SchemaTooNew when a newer Cohort wrote it."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"database schema version {version} is newer than this server ({SCHEMA_VERSION}); "
            "upgrade Cohort instead"
        )
    return version


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database up to SCHEMA_VERSION; returns the version it started at."""
    start = check_not_too_new(conn)
    for version in range(start, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if current > version:
                conn.execute("COMMIT")
                continue
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return start
