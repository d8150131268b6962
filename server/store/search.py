"""Full-text search with Discourse-style filters over the FTS5 indexes.

The words a person types never reach FTS5's query language: each becomes a quoted
string, so `AND`, `NEAR`, `*` and stray quotes are plain words.

Private messages are left out, as on Discourse, unless the query says `in:messages`
(or `in:personal`): then only the asker's own private messages are searched.
"""

from __future__ import annotations

import shlex
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from server.store.common import iso
from server.store.errors import Invalid
from server.store.private import PARTICIPATING
from server.store.queries import MAX_PAGE, clamp_limit
from server.store.viewer import Viewer, ids_param, visible_category_ids


@dataclass
class SearchQuery:
    terms: list[str] = field(default_factory=list)
    user: str | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    in_title: bool = False
    in_messages: bool = False
    status: str | None = None
    before: float | None = None
    after: float | None = None


def _date(value: str, name: str) -> float:
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise Invalid(f"{name}: expects a date like 2026-01-31", code="invalid_filter") from exc
    return day.timestamp()


def parse_query(q: str) -> SearchQuery:
    try:
        words = shlex.split(q)
    except ValueError:
        words = q.split()
    query = SearchQuery()
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
        elif lower in ("in:messages", "in:personal"):
            query.in_messages = True
        elif lower.startswith("status:"):
            status = lower[7:]
            if status not in ("solved", "unsolved"):
                raise Invalid("status: expects solved or unsolved", code="invalid_filter")
            query.status = status
        elif lower.startswith("before:"):
            query.before = _date(word[7:], "before")
        elif lower.startswith("after:"):
            query.after = _date(word[6:], "after")
        else:
            query.terms.append(word)
    return query


def fts_expression(terms: list[str]) -> str:
    # FTS5 reads its query as a C string: a NUL would end it inside the quotes.
    return " ".join('"' + t.replace('"', '""').replace("\x00", " ") + '"' for t in terms)


def search(
    conn: sqlite3.Connection,
    viewer: Viewer,
    q: str,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> dict[str, Any]:
    query = parse_query(q)
    if not query.terms and not (
        query.user
        or query.category
        or query.tags
        or query.status
        or query.before
        or query.after
        or query.in_messages
    ):
        raise Invalid("search needs some words or a filter", code="missing_field")
    page = clamp_limit(limit, 20)
    if offset < 0 or offset > 10 * MAX_PAGE * 10:
        raise Invalid("offset out of range", code="invalid_field")
    where = ["t.deleted_at IS NULL", "p.deleted_at IS NULL"]
    params: list[Any] = []
    if query.in_messages:
        where.append(f"t.id IN {PARTICIPATING}")
        params.append(viewer.user_id or -1)
        if query.category is not None:
            where.append("0")  # no category holds private messages
    else:
        visible = visible_category_ids(conn, viewer)
        if query.category is not None:
            row = conn.execute(
                "SELECT id FROM categories WHERE slug = ?", (query.category,)
            ).fetchone()
            # An unknown or hidden category matches nothing, exactly alike.
            visible = [row[0]] if row is not None and row[0] in visible else []
        where.append("t.category_id IN (SELECT value FROM json_each(?))")
        params.append(ids_param(visible))
    if query.user is not None:
        where.append("u.username = ?")
        params.append(query.user)
    for tag in query.tags:
        where.append("t.id IN (SELECT topic_id FROM topic_tags WHERE tag = ?)")
        params.append(tag)
    if query.status == "solved":
        where.append("t.solution_post_id IS NOT NULL")
    elif query.status == "unsolved":
        where.append("t.solution_post_id IS NULL")
    if query.before is not None:
        where.append("p.created_at < ?")
        params.append(query.before)
    if query.after is not None:
        where.append("p.created_at >= ?")
        params.append(query.after)

    select = """p.id AS post_id, p.topic_id, p.post_number, p.created_at, p.raw,
        t.title AS topic_title, t.category_id, c.slug AS category_slug,
        t.solution_post_id, u.username"""
    joins = """JOIN topics t ON t.id = p.topic_id JOIN users u ON u.id = p.user_id
        JOIN categories c ON c.id = t.category_id"""
    if query.terms and query.in_title:
        sql = f"""SELECT {select}, '' AS blurb FROM topics_fts
            JOIN posts p ON p.topic_id = topics_fts.rowid AND p.post_number = 1 {joins}
            WHERE topics_fts MATCH ? AND {" AND ".join(where)}
            ORDER BY topics_fts.rank LIMIT ? OFFSET ?"""
        args = [fts_expression(query.terms), *params]
    elif query.terms:
        sql = f"""SELECT {select}, snippet(posts_fts, 0, '', '', '…', 16) AS blurb FROM posts_fts
            JOIN posts p ON p.id = posts_fts.rowid {joins}
            WHERE posts_fts MATCH ? AND {" AND ".join(where)}
            ORDER BY posts_fts.rank LIMIT ? OFFSET ?"""
        args = [fts_expression(query.terms), *params]
    else:
        if query.in_title:
            where.append("p.post_number = 1")
        sql = f"""SELECT {select}, '' AS blurb FROM posts p {joins}
            WHERE {" AND ".join(where)} ORDER BY p.created_at DESC, p.id DESC LIMIT ? OFFSET ?"""
        args = params
    try:
        rows = conn.execute(sql, (*args, page + 1, offset)).fetchall()
    except sqlite3.OperationalError as exc:  # e.g. a term FTS5's tokenizer reduces to nothing
        raise Invalid(f"search could not use that query: {exc}", code="invalid_query") from exc
    more = len(rows) > page
    rows = rows[:page]
    results = []
    for r in rows:
        blurb = r["blurb"] or r["raw"][:200]
        results.append(
            {
                "post_id": r["post_id"],
                "topic_id": r["topic_id"],
                "post_number": r["post_number"],
                "topic_title": r["topic_title"],
                "category_id": r["category_id"],
                "category_slug": r["category_slug"],
                "username": r["username"],
                "created_at": iso(r["created_at"]),
                "blurb": blurb,
                "solved": r["solution_post_id"] is not None,
                "accepted": r["solution_post_id"] == r["post_id"],
            }
        )
    return {
        "results": results,
        "next_offset": offset + page if more else None,
        "query": {
            "terms": query.terms,
            "user": query.user,
            "category": query.category,
            "tags": query.tags,
            "in_title": query.in_title,
            "in_messages": query.in_messages,
            "status": query.status,
        },
    }
