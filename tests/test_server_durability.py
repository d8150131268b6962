"""An acknowledged write survives SIGKILL: the server answers 201 only after the commit is
on disk, so killing it mid-burst may lose requests in flight but never a post it confirmed."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import httpx

from tests.serverproc import ServerProcess, start_server

API = "/api/v1"
WRITERS = 8
BURST_SECONDS = 2.0


def writer(
    server: ServerProcess,
    token: str,
    topic_id: int,
    number: int,
    acked: dict[int, str],
    lock: threading.Lock,
    endings: list[str],
) -> None:
    """Post as fast as possible until the connection dies (or a safety deadline)."""
    deadline = time.monotonic() + 30
    sent = 0
    try:
        with server.client(token) as client:
            while time.monotonic() < deadline:
                raw = f"writer {number} post {sent} ✓ — {'x' * (sent % 50)}"
                sent += 1
                response = client.post(f"{API}/topics/{topic_id}/posts", json={"raw": raw})
                if response.status_code == 201:
                    with lock:
                        acked[int(response.json()["id"])] = raw
                else:
                    endings.append(f"status {response.status_code}: {response.text}")
                    return
    except httpx.TransportError as exc:  # the kill: refused, reset, or cut off mid-answer
        endings.append(f"transport: {type(exc).__name__}")
        return
    except Exception as exc:  # reported by the test, not lost in a thread
        endings.append(f"error: {exc!r}")
        return
    endings.append("deadline")


def test_kill_during_a_write_burst_loses_no_acknowledged_post(tmp_path: Path) -> None:
    server = start_server(tmp_path, unix=False)
    try:
        done = server.admin("add-category", "general", "--name", "General")
        assert done.returncode == 0, done.stderr
        token = server.token_for("alice")
        with server.client(token) as client:
            created = client.post(
                f"{API}/topics",
                json={"title": "Burst", "raw": "before the burst", "category": "general"},
            )
            assert created.status_code == 201, created.text
            topic_id = int(created.json()["topic"]["id"])

        acked: dict[int, str] = {}
        lock = threading.Lock()
        endings: list[str] = []
        threads = [
            threading.Thread(target=writer, args=(server, token, topic_id, n, acked, lock, endings))
            for n in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(BURST_SECONDS)
        with lock:
            acked_before_kill = len(acked)
        server.kill()  # SIGKILL while every writer is mid-stream
        for thread in threads:
            thread.join(timeout=40)
        assert not any(thread.is_alive() for thread in threads)
    finally:
        server.stop()

    assert acked_before_kill > 0, "nothing was written before the kill"
    # Every writer was still writing when the server died; none stopped for another reason.
    assert len(endings) == WRITERS
    assert all(end.startswith("transport") for end in endings), endings

    restarted = start_server(tmp_path, db=server.db, unix=False)
    try:
        with restarted.client(token) as client:
            post_ids = client.get(f"{API}/topics/{topic_id}").json()["post_ids"]
            assert set(acked) <= set(post_ids)
            wanted = sorted(acked)
            for start in range(0, len(wanted), 100):
                chunk = wanted[start : start + 100]
                response = client.get(
                    f"{API}/topics/{topic_id}/posts", params={"ids": ",".join(map(str, chunk))}
                )
                assert response.status_code == 200, response.text
                found = {p["id"]: p["raw"] for p in response.json()["posts"]}
                assert found == {post_id: acked[post_id] for post_id in chunk}
            # The topic's counters agree with the posts that exist.
            topic = client.get(f"{API}/topics/{topic_id}").json()["topic"]
            assert topic["posts_count"] == len(post_ids)
            assert topic["highest_post_number"] == len(post_ids)
            # And the restarted server takes new writes.
            after = client.post(f"{API}/topics/{topic_id}/posts", json={"raw": "after"})
            assert after.status_code == 201, after.text
    finally:
        restarted.stop()
    assert "Traceback" not in restarted.log, restarted.log

    conn = sqlite3.connect(str(server.db))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = dict(
            conn.execute("SELECT id, raw FROM posts WHERE topic_id = ?", (topic_id,)).fetchall()
        )
        assert all(stored[post_id] == raw for post_id, raw in acked.items())
        # The search index agrees with the posts (this raises if it does not).
        conn.execute("INSERT INTO posts_fts(posts_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        conn.close()
