"""The benchmark forum generator: its forum is whole and consistent when read through the
API, and its fast bulk writer leaves the same rows as the server's own write path."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.generate import generate
from tests.serverproc import start_server

POSTS = 600
LONG = 200
NOW = 1_760_000_000.0  # a fixed clock, so two runs can be compared row for row


def _all_topics(client: httpx.Client) -> list[dict[str, Any]]:
    topics: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/topics", params=params)
        assert page.status_code == 200, page.text
        topics += page.json()["topics"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return topics
    raise AssertionError("the topic list never ended")


def _posts(client: httpx.Client, topic_id: int) -> list[dict[str, Any]]:
    view = client.get(f"/api/v1/topics/{topic_id}").json()
    ids = view["post_ids"]
    posts: list[dict[str, Any]] = []
    for start in range(0, len(ids), 100):
        chunk = ",".join(str(i) for i in ids[start : start + 100])
        got = client.get(f"/api/v1/topics/{topic_id}/posts", params={"ids": chunk})
        assert got.status_code == 200, got.text
        posts += got.json()["posts"]
    return posts


def test_generated_forum_reads_whole_through_the_api(tmp_path: Path) -> None:
    db = tmp_path / "forum.db"
    stats = generate(db, posts=POSTS, long_thread=LONG, users=80, seed=3)
    assert stats["posts"] == POSTS
    assert 0 < stats["restricted_posts"] < POSTS
    server = start_server(tmp_path, unix=False, db=db)
    try:
        member = server.client(server.token_for("newcomer"))
        moderator = server.client(server.token_for(stats["moderators"][0]))
        with member, moderator:
            # Every post is counted once; the restricted category is the difference.
            seen_by_mod = _all_topics(moderator)
            seen_by_member = _all_topics(member)
            assert sum(t["posts_count"] for t in seen_by_mod) == POSTS
            assert sum(t["posts_count"] for t in seen_by_member) == (
                POSTS - stats["restricted_posts"]
            )
            slugs = {c["slug"] for c in member.get("/api/v1/categories").json()["categories"]}
            assert "mentors" not in slugs and "help" in slugs
            hidden = [t for t in seen_by_mod if t["category_slug"] == "mentors"]
            assert hidden and all(t["category_slug"] != "mentors" for t in seen_by_member)
            assert member.get(f"/api/v1/topics/{hidden[0]['id']}").status_code == 404
            assert moderator.get(f"/api/v1/topics/{hidden[0]['id']}").status_code == 200
            assert member.get("/api/v1/search", params={"q": "#mentors"}).json()["results"] == []

            # Exactly one thread of LONG posts, all listed by id.
            long_id = stats["long_thread_topic_id"]
            view = member.get(f"/api/v1/topics/{long_id}").json()
            assert len(view["post_ids"]) == LONG == len(set(view["post_ids"]))
            assert view["topic"]["highest_post_number"] == LONG
            assert len(view["posts"]) == view["chunk_size"]
            assert [t["posts_count"] for t in seen_by_mod].count(LONG) == 1

            # Reply trees point backwards at real posts; the counters agree with the posts.
            for topic in seen_by_mod:
                posts = _posts(moderator, topic["id"])
                numbers = [p["post_number"] for p in posts]
                assert numbers == list(range(1, topic["posts_count"] + 1))
                replies = Counter(p["reply_to_post_number"] for p in posts)
                for p in posts:
                    parent = p["reply_to_post_number"]
                    assert parent is None or 1 <= parent < p["post_number"]
                    assert p["reply_count"] == replies[p["post_number"]]
                    assert (
                        p["like_count"]
                        == next((r["count"] for r in p["reactions"] if r["name"] == "like"), 0)
                        or p["deleted"]
                    )
                assert topic["like_count"] == sum(p["like_count"] for p in posts)
                assert topic["last_poster"] == posts[-1]["username"]

            # Search finds words, needles and filters.
            common = member.get("/api/v1/search", params={"q": stats["common_word"]}).json()
            assert len(common["results"]) == 20 and common["next_offset"] == 20
            rare, count = next(iter(stats["rare_words"].items()))
            found = moderator.get("/api/v1/search", params={"q": rare, "limit": "100"}).json()
            assert 1 <= len(found["results"]) <= count
            for hit in found["results"]:
                raw = moderator.get(f"/api/v1/posts/{hit['post_id']}").json()["raw"]
                assert rare in raw
            solved = member.get("/api/v1/search", params={"q": "status:solved"}).json()
            assert solved["results"] and all(r["solved"] for r in solved["results"])
            links = member.get("/api/v1/resources", params={"sort": "shared"}).json()
            assert links["resources"][0]["share_count"] > 1
    finally:
        server.stop()


# Columns the server takes from the clock rather than from the plan are left out.
_SAME = {
    "users": "SELECT id, username, name, uid, is_moderator, created_at FROM users ORDER BY id",
    "group_members": "SELECT * FROM group_members ORDER BY 1, 2",
    "categories": "SELECT id, slug, name, position FROM categories ORDER BY id",
    "category_groups": "SELECT * FROM category_groups ORDER BY 1, 2",
    "topics": "SELECT * FROM topics ORDER BY id",
    "topic_tags": "SELECT * FROM topic_tags ORDER BY 1, 2",
    "posts": """SELECT id, topic_id, post_number, reply_to_post_number, user_id, raw,
                created_at, CASE WHEN version = 1 THEN updated_at END, version, like_count,
                reply_count, deleted_at IS NULL, deleted_by FROM posts ORDER BY id""",
    "reactions": "SELECT post_id, user_id, name FROM reactions ORDER BY 1, 2, 3",
    "bookmarks": "SELECT user_id, post_id FROM bookmarks ORDER BY 1, 2",
    "read_state": "SELECT user_id, topic_id, last_read_post_number FROM read_state ORDER BY 1, 2",
    "notifications": """SELECT id, user_id, kind, actor_id, topic_id, post_id, data,
                        read_at IS NULL FROM notifications ORDER BY id""",
    # A link is shared when its post is written (an edit's links: when edited, by the clock).
    "links": """SELECT l.id, l.post_id, l.topic_id, l.user_id, l.url, l.title, l.position,
                CASE WHEN p.version = 1 THEN l.created_at END
                FROM links l JOIN posts p ON p.id = l.post_id ORDER BY l.id""",
    "search": "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'code OR help' ORDER BY rowid",
    "titles": "SELECT rowid FROM topics_fts WHERE topics_fts MATCH 'in OR for' ORDER BY rowid",
}


def test_bulk_writer_leaves_the_rows_the_server_would(tmp_path: Path) -> None:
    bulk = generate(
        tmp_path / "bulk.db", posts=500, long_thread=120, users=40, seed=11, now=NOW, method="bulk"
    )
    generate(
        tmp_path / "ops.db", posts=500, long_thread=120, users=40, seed=11, now=NOW, method="ops"
    )
    assert bulk["notifications"] > 0 and bulk["links"] > 0 and bulk["edited_posts"] > 0
    a = sqlite3.connect(tmp_path / "bulk.db")
    b = sqlite3.connect(tmp_path / "ops.db")
    try:
        for name, sql in _SAME.items():
            rows = a.execute(sql).fetchall()
            assert rows, name
            assert rows == b.execute(sql).fetchall(), name
        # The index the triggers built matches the posts it indexes.
        a.execute("INSERT INTO posts_fts(posts_fts) VALUES ('integrity-check')")
        a.execute("INSERT INTO topics_fts(topics_fts) VALUES ('integrity-check')")
    finally:
        a.close()
        b.close()
