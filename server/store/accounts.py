"""Users, groups, categories, tokens and idempotency records: the administrative side."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from typing import Any

from server.store.common import now, record_change
from server.store.errors import Conflict, Invalid, NotFound, Unprocessable
from server.store.viewer import Viewer

_USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,39}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")


def token_hash(token: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 is enough to make a stolen table useless."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_username(username: str) -> None:
    if not _USERNAME.match(username):
        raise Invalid(
            f"username {username!r}: 1-40 letters, digits, '_', '.' or '-', "
            "starting with a letter, digit or '_'",
            code="invalid_field",
        )


def user_by_name(conn: sqlite3.Connection, username: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        raise NotFound(f"no user named {username!r}")
    return row  # type: ignore[no-any-return]


def viewer_for(row: sqlite3.Row) -> Viewer:
    return Viewer(row["id"], row["username"], bool(row["is_moderator"]))


def user_by_uid(conn: sqlite3.Connection, uid: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM users WHERE uid = ?", (uid,)).fetchone()  # type: ignore[no-any-return]


def find_user(conn: sqlite3.Connection, username: str) -> sqlite3.Row | None:
    return conn.execute(  # type: ignore[no-any-return]
        "SELECT * FROM users WHERE username = ?", (username,)
    ).fetchone()


def add_user(
    conn: sqlite3.Connection,
    username: str,
    *,
    name: str = "",
    bio: str = "",
    moderator: bool = False,
    uid: int | None = None,
    password_hash: str | None = None,
    created_at: float | None = None,
) -> int:
    check_username(username)
    if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
        raise Conflict(f"user {username!r} already exists", code="exists")
    if uid is not None and conn.execute("SELECT 1 FROM users WHERE uid = ?", (uid,)).fetchone():
        raise Conflict(f"uid {uid} already belongs to another user", code="exists")
    cur = conn.execute(
        """INSERT INTO users (username, name, bio, uid, password_hash, is_moderator, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (
            username,
            name,
            bio,
            uid,
            password_hash,
            int(moderator),
            created_at if created_at is not None else now(),
        ),
    )
    return int(cur.lastrowid or 0)


def user_for_uid(conn: sqlite3.Connection, uid: int, login_name: str | None) -> sqlite3.Row:
    """The user a local account maps to, provisioned on first contact.

    The login name is used when free; otherwise `name-uid`, so a local account never
    takes over an account someone registered by hand under the same name.
    """
    row = conn.execute("SELECT * FROM users WHERE uid = ?", (uid,)).fetchone()
    if row is not None:
        return row  # type: ignore[no-any-return]
    base = login_name if login_name and _USERNAME.match(login_name) else f"uid{uid}"
    candidate = base
    if conn.execute("SELECT 1 FROM users WHERE username = ?", (candidate,)).fetchone():
        candidate = f"{base}-{uid}"
    user_id = add_user(conn, candidate, uid=uid)
    return conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()  # type: ignore[no-any-return]


def set_password_hash(conn: sqlite3.Connection, username: str, password_hash: str) -> None:
    user = user_by_name(conn, username)
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user["id"]))
    # A new password ends every session made with the old one.
    conn.execute(
        "UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL "
        "AND label = 'login'",
        (now(), user["id"]),
    )


def set_moderator(conn: sqlite3.Connection, username: str, on: bool) -> None:
    user = user_by_name(conn, username)
    conn.execute("UPDATE users SET is_moderator = ? WHERE id = ?", (int(on), user["id"]))


def store_token(conn: sqlite3.Connection, user_id: int, token: str, label: str) -> int:
    cur = conn.execute(
        "INSERT INTO tokens (user_id, token_hash, label, created_at) VALUES (?, ?, ?, ?)",
        (user_id, token_hash(token), label, now()),
    )
    return int(cur.lastrowid or 0)


def user_for_token(conn: sqlite3.Connection, token: str) -> sqlite3.Row | None:
    return conn.execute(  # type: ignore[no-any-return]
        """SELECT u.* FROM tokens t JOIN users u ON u.id = t.user_id
           WHERE t.token_hash = ? AND t.revoked_at IS NULL""",
        (token_hash(token),),
    ).fetchone()


def revoke_token(conn: sqlite3.Connection, token_id: int) -> None:
    cur = conn.execute(
        "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now(), token_id)
    )
    if not cur.rowcount:
        raise NotFound(f"no active token with id {token_id}")


def revoke_token_value(conn: sqlite3.Connection, token: str) -> None:
    conn.execute(
        "UPDATE tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
        (now(), token_hash(token)),
    )


def list_tokens(conn: sqlite3.Connection, username: str) -> list[dict[str, Any]]:
    user = user_by_name(conn, username)
    return [
        dict(r)
        for r in conn.execute(
            """SELECT id, label, created_at, last_used_at, revoked_at FROM tokens
               WHERE user_id = ? ORDER BY id""",
            (user["id"],),
        )
    ]


def list_users(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in conn.execute(
            """SELECT id, username, name, uid, is_moderator,
                      password_hash IS NOT NULL AS has_password
               FROM users ORDER BY username"""
        )
    ]


def add_group(conn: sqlite3.Connection, name: str) -> int:
    check_username(name)
    if conn.execute("SELECT 1 FROM groups WHERE name = ?", (name,)).fetchone():
        raise Conflict(f"group {name!r} already exists", code="exists")
    cur = conn.execute("INSERT INTO groups (name, created_at) VALUES (?, ?)", (name, now()))
    return int(cur.lastrowid or 0)


def group_id(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT id FROM groups WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFound(f"no group named {name!r}")
    return int(row[0])


def add_group_member(conn: sqlite3.Connection, group: str, username: str) -> None:
    gid = group_id(conn, group)
    user = user_by_name(conn, username)
    conn.execute(
        "INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)", (gid, user["id"])
    )


def remove_group_member(conn: sqlite3.Connection, group: str, username: str) -> None:
    gid = group_id(conn, group)
    user = user_by_name(conn, username)
    conn.execute("DELETE FROM group_members WHERE group_id = ? AND user_id = ?", (gid, user["id"]))


def add_category(
    conn: sqlite3.Connection,
    slug: str,
    name: str,
    *,
    description: str = "",
    guidelines: str = "",
    groups: list[str] | None = None,
    position: int | None = None,
) -> int:
    if not _SLUG.match(slug):
        raise Invalid(
            f"slug {slug!r}: lowercase letters, digits and '-', at most 50", code="invalid_field"
        )
    if not name.strip():
        raise Invalid("a category needs a name", code="invalid_field")
    if conn.execute("SELECT 1 FROM categories WHERE slug = ?", (slug,)).fetchone():
        raise Conflict(f"category {slug!r} already exists", code="exists")
    if position is None:
        position = int(
            conn.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM categories").fetchone()[0]
        )
    cur = conn.execute(
        """INSERT INTO categories (slug, name, description, guidelines, position, created_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (slug, name, description, guidelines, position, now()),
    )
    category_id = int(cur.lastrowid or 0)
    for group in groups or []:
        conn.execute(
            "INSERT INTO category_groups (category_id, group_id) VALUES (?, ?)",
            (category_id, group_id(conn, group)),
        )
    record_change(conn, "category.created", category_id=category_id)
    return category_id


# -- idempotency --------------------------------------------------------------------------

IDEMPOTENCY_TTL = 24 * 3600


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def idempotent_lookup(
    conn: sqlite3.Connection, user_id: int, key: str, fingerprint: str
) -> tuple[int, Any] | None:
    row = conn.execute(
        "SELECT * FROM idempotency WHERE user_id = ? AND key = ? AND created_at > ?",
        (user_id, key, now() - IDEMPOTENCY_TTL),
    ).fetchone()
    if row is None:
        return None
    if row["request_hash"] != fingerprint:
        raise Unprocessable(
            "this Idempotency-Key was already used for a different request",
            code="idempotency_key_reused",
        )
    return int(row["status"]), json.loads(row["response"])


def idempotent_store(
    conn: sqlite3.Connection, user_id: int, key: str, fingerprint: str, status: int, body: Any
) -> None:
    conn.execute(
        """INSERT OR REPLACE INTO idempotency (user_id, key, request_hash, status, response,
                                               created_at) VALUES (?, ?, ?, ?, ?, ?)""",
        (user_id, key, fingerprint, status, json.dumps(body), now()),
    )


def prune(conn: sqlite3.Connection, keep_changes: int) -> None:
    """Housekeeping the writer runs now and then: old idempotency records, old changes."""
    conn.execute("DELETE FROM idempotency WHERE created_at < ?", (now() - IDEMPOTENCY_TTL,))
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
    if row is not None and keep_changes > 0:
        conn.execute("DELETE FROM changes WHERE seq <= ?", (int(row[0]) - keep_changes,))
