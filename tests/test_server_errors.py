"""Every failure the API can report is JSON `{"error": {"code", "message"}}` with the right
status, and nothing a client sends, however malformed, turns into a 500.

Servers here run as real processes; each module-scoped one is checked at teardown for a
traceback in its log, so an unhandled error anywhere in these tests fails the run.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.serverproc import ServerProcess, start_server

API = "/api/v1"
JSON = {"Content-Type": "application/json"}


def assert_no_tracebacks(server: ServerProcess) -> None:
    assert "Traceback" not in server.log, server.log
    assert "unhandled error" not in server.log, server.log


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("errors"), unix=False)
    try:
        done = server.admin("add-category", "general", "--name", "General")
        assert done.returncode == 0, done.stderr
        yield server
    finally:
        server.stop()
    assert_no_tracebacks(server)


@pytest.fixture(scope="module")
def alice(srv: ServerProcess) -> Iterator[httpx.Client]:
    with srv.client(srv.token_for("alice")) as client:
        yield client


@pytest.fixture(scope="module")
def topic_id(alice: httpx.Client) -> int:
    body = {"title": "Errors live here", "raw": "first", "category": "general"}
    response = alice.post(f"{API}/topics", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["topic"]["id"])


def error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the documented error shape with this status (and code)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert isinstance(err["code"], str) and err["code"]
    assert isinstance(err["message"], str) and err["message"]
    if code is not None:
        assert err["code"] == code, err
    return dict(err)


# -- bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"   ", b'{"title": "x",}', b"\xff\xfe\x00garbage", b"nul\x00"],
    ids=["broken", "empty", "blank", "trailing-comma", "bad-utf8", "nul"],
)
def test_invalid_json_is_400(alice: httpx.Client, body: bytes) -> None:
    error(alice.post(f"{API}/topics", content=body, headers=JSON), 400, "invalid_json")


@pytest.mark.parametrize("body", [b"[]", b'[{"title": "x"}]', b'"a string"', b"42", b"null"])
def test_body_must_be_an_object(alice: httpx.Client, body: bytes) -> None:
    error(alice.post(f"{API}/topics", content=body, headers=JSON), 400, "invalid_json")


def test_deeply_nested_json_is_400_not_500(alice: httpx.Client) -> None:
    deep = b'{"title": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    error(alice.post(f"{API}/topics", content=deep, headers=JSON), 400, "invalid_json")


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"raw": "r", "category": "general"}, "title"),
        ({"title": "t", "category": "general"}, "raw"),
        ({"title": "t", "raw": "r"}, "category"),
        ({"title": None, "raw": "r", "category": "general"}, "title"),
    ],
)
def test_missing_fields_are_named(alice: httpx.Client, body: dict[str, Any], name: str) -> None:
    err = error(alice.post(f"{API}/topics", json=body), 400, "missing_field")
    assert name in err["message"]


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"title": 5, "raw": "r", "category": "general"}, "title"),
        ({"title": "t", "raw": ["r"], "category": "general"}, "raw"),
        ({"title": "t", "raw": "r", "category": True}, "category"),
        ({"title": "t", "raw": "r", "category": {"id": 1}}, "category"),
        ({"title": "t", "raw": "r", "category": "general", "tags": "a,b"}, "tags"),
        ({"title": "t", "raw": "r", "category": "general", "tags": [1]}, "tags"),
        ({"title": "   ", "raw": "r", "category": "general"}, "title"),
        ({"title": "t", "raw": "\n\t ", "category": "general"}, "raw"),
        ({"title": "t" * 256, "raw": "r", "category": "general"}, "title"),
    ],
)
def test_wrong_field_types_are_named(alice: httpx.Client, body: dict[str, Any], name: str) -> None:
    err = error(alice.post(f"{API}/topics", json=body), 400, "invalid_field")
    assert name in err["message"]


@pytest.mark.parametrize("value", ["two", 2.5, True, [2], 10**30, -(10**30)])
def test_reply_to_post_number_must_be_an_integer(
    alice: httpx.Client, topic_id: int, value: Any
) -> None:
    body = {"raw": "a reply", "reply_to_post_number": value}
    err = error(alice.post(f"{API}/topics/{topic_id}/posts", json=body), 400, "invalid_field")
    assert "reply_to_post_number" in err["message"]


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        ("/read", "PUT", b'{"post_number": 99999999999999999999999}'),
        ("/solution", "PUT", b'{"post_id": 99999999999999999999999}'),
        ("/solution", "PUT", b'{"post_number": -99999999999999999999999}'),
    ],
)
def test_huge_integers_in_bodies_are_400(
    alice: httpx.Client, topic_id: int, path: str, method: str, body: bytes
) -> None:
    response = alice.request(method, f"{API}/topics/{topic_id}{path}", content=body, headers=JSON)
    error(response, 400, "invalid_field")


@pytest.mark.parametrize(
    ("raw_body", "name"),
    [
        (b'{"title": "\\ud800", "raw": "r", "category": "general"}', "title"),
        (b'{"title": "t", "raw": "x\\udfffy", "category": "general"}', "raw"),
        (b'{"title": "t", "raw": "r", "category": "gen\\ud800"}', "category"),
        (b'{"title": "t", "raw": "r", "category": "general", "tags": ["\\udc00"]}', "tags"),
        (b'{"title": "t", "raw": "r", "category": "general", "extra": {"\\ud800": 1}}', "extra"),
    ],
)
def test_lone_surrogates_are_400(alice: httpx.Client, raw_body: bytes, name: str) -> None:
    err = error(alice.post(f"{API}/topics", content=raw_body, headers=JSON), 400)
    assert name in err["message"]


def test_a_proper_surrogate_pair_is_fine(alice: httpx.Client) -> None:
    body = b'{"title": "pair \\ud83c\\udf89", "raw": "r", "category": "general"}'
    response = alice.post(f"{API}/topics", content=body, headers=JSON)
    assert response.status_code == 201, response.text
    assert response.json()["topic"]["title"] == "pair \U0001f389"


def test_lone_surrogate_in_a_topic_patch_is_400(alice: httpx.Client, topic_id: int) -> None:
    body = b'{"title": "\\ud800"}'
    error(alice.patch(f"{API}/topics/{topic_id}", content=body, headers=JSON), 400)


# -- routes and methods -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/nope",
        "/",
        "/favicon.ico",
        f"{API}/topics/abc",
        f"{API}/topics/1/nothing",
        f"{API}/topics/99999999999999999999999",
        f"{API}/posts/{'9' * 5000}",
    ],
)
def test_unknown_routes_are_json_404(alice: httpx.Client, path: str) -> None:
    error(alice.get(path), 404, "not_found")


def test_missing_things_are_json_404(alice: httpx.Client) -> None:
    error(alice.get(f"{API}/topics/999999"), 404, "not_found")
    error(alice.get(f"{API}/posts/999999"), 404, "not_found")
    error(alice.post(f"{API}/topics/999999/posts", json={"raw": "x"}), 404, "not_found")
    error(
        alice.post(f"{API}/topics", json={"title": "t", "raw": "r", "category": "nope"}),
        404,
        "not_found",
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/topics"),
        ("PUT", "/topics"),
        ("POST", "/site"),
        ("GET", "/login"),
        ("POST", "/posts/1"),
        ("PATCH", "/changes"),
    ],
)
def test_wrong_method_is_json_405(alice: httpx.Client, method: str, path: str) -> None:
    response = alice.request(method, f"{API}{path}")
    error(response, 405, "method_not_allowed")
    assert response.headers.get("allow")


def test_unauthenticated_is_json_401(srv: ServerProcess) -> None:
    with srv.client() as anonymous:
        error(anonymous.get(f"{API}/topics"), 401, "unauthorized")
        error(anonymous.post(f"{API}/topics", json={}), 401)
    with srv.client("cht_not-a-real-token") as forged:
        error(forged.get(f"{API}/topics"), 401, "invalid_token")
    with srv.client() as odd:
        error(
            odd.get(f"{API}/topics", headers={"Authorization": "Basic abc"}), 401, "invalid_token"
        )


def test_paths_are_not_files(alice: httpx.Client) -> None:
    error(alice.get("/../../etc/passwd"), 404)
    error(alice.get(f"{API}/..%2f..%2fetc%2fpasswd"), 404)


# -- query parameters ---------------------------------------------------------------------


def test_huge_limit_is_clamped(alice: httpx.Client, topic_id: int) -> None:
    for n in range(104):
        response = alice.post(f"{API}/topics/{topic_id}/posts", json={"raw": f"filler {n}"})
        assert response.status_code == 201, response.text
    posts = alice.get(f"{API}/topics/{topic_id}/posts", params={"after": 0, "limit": 1_000_000})
    assert posts.status_code == 200, posts.text
    assert [p["post_number"] for p in posts.json()["posts"]] == list(range(1, 101))
    topics = alice.get(f"{API}/topics", params={"limit": 1_000_000})
    assert topics.status_code == 200, topics.text
    # Beyond any 64-bit integer the number is refused, not overflowed into a 500.
    error(alice.get(f"{API}/topics", params={"limit": 10**30}), 400, "invalid_field")
    error(alice.get(f"{API}/topics", params={"limit": 0}), 400, "invalid_field")
    error(alice.get(f"{API}/topics", params={"limit": -5}), 400, "invalid_field")


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/topics", {"limit": "ten"}, "limit"),
        ("/topics", {"limit": "1.5"}, "limit"),
        ("/topics/{tid}/posts", {"after": "x"}, "after"),
        ("/topics/{tid}/posts", {"after": "99999999999999999999999"}, "after"),
        ("/topics/{tid}/posts", {"ids": "1,two,3"}, "ids"),
        ("/search", {"q": "word", "offset": "first"}, "offset"),
        ("/search", {"q": "word", "limit": "[]"}, "limit"),
        ("/changes", {"since": "yesterday"}, "since"),
        ("/changes", {"since": "0", "wait": "soon"}, "wait"),
        ("/notifications", {"limit": "many"}, "limit"),
        ("/resources", {"limit": "1e3"}, "limit"),
    ],
)
def test_non_integer_query_params_are_400(
    alice: httpx.Client, topic_id: int, path: str, params: dict[str, str], name: str
) -> None:
    response = alice.get(API + path.format(tid=topic_id), params=params)
    err = error(response, 400, "invalid_field")
    assert name in err["message"]


@pytest.mark.parametrize("path", ["/topics", "/notifications", "/resources"])
def test_forged_cursors_are_400(alice: httpx.Client, path: str) -> None:
    for values in (
        b"[99999999999999999999999, 1, 1]",
        b"[99999999999999999999999]",
        b"[99999999999999999999999, 1]",
        b"[" * 5000 + b"]" * 5000,
    ):
        cursor = base64.urlsafe_b64encode(values).decode()
        error(alice.get(API + path, params={"cursor": cursor}), 400, "invalid_cursor")


# -- limits -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    server = start_server(tmp_path_factory.mktemp("small"), unix=False, args=("--max-body", "1024"))
    try:
        done = server.admin("add-category", "general", "--name", "General")
        assert done.returncode == 0, done.stderr
        yield server, server.token_for("alice")
    finally:
        server.stop()
    assert_no_tracebacks(server)


def topic_body(raw: str) -> dict[str, str]:
    return {"title": "Sized", "raw": raw, "category": "general"}


def test_body_within_the_limit_is_accepted(small: tuple[ServerProcess, str]) -> None:
    server, token = small
    with server.client(token) as client:
        response = client.post(f"{API}/topics", json=topic_body("x" * 900))
        assert response.status_code == 201, response.text


def test_body_over_the_limit_with_content_length_is_413(
    small: tuple[ServerProcess, str],
) -> None:
    server, token = small
    with server.client(token) as client:
        response = client.post(f"{API}/topics", json=topic_body("x" * 2000))
        err = error(response, 413, "payload_too_large")
        assert "1024" in err["message"]


def test_chunked_body_over_the_limit_is_413(small: tuple[ServerProcess, str]) -> None:
    server, token = small
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        yield b'{"title": "Too big", "category": "general", "raw": "'
        for _ in range(8):
            sent.append(1)
            yield b"y" * 256
        yield b'"}'

    with server.client(token) as client:
        response = client.post(f"{API}/topics", content=chunks(), headers=JSON)
        assert "content-length" not in {k.lower() for k in response.request.headers}
        assert response.request.headers["transfer-encoding"] == "chunked"
        error(response, 413, "payload_too_large")
        # Nothing was created, and the server still answers.
        listed = client.get(f"{API}/topics")
        assert listed.status_code == 200
        assert "Too big" not in [t["title"] for t in listed.json()["topics"]]
    assert sent


def test_small_chunked_body_is_accepted(small: tuple[ServerProcess, str]) -> None:
    server, token = small

    def chunks() -> Iterator[bytes]:
        yield b'{"title": "Chunked", "category": "general", '
        yield b'"raw": "small enough"}'

    with server.client(token) as client:
        response = client.post(f"{API}/topics", content=chunks(), headers=JSON)
        assert response.status_code == 201, response.text
        assert response.json()["posts"][0]["raw"] == "small enough"


@pytest.fixture(scope="module")
def limited(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    server = start_server(
        tmp_path_factory.mktemp("limited"),
        unix=False,
        no_limits=False,
        args=("--write-rate", "3", "--read-rate", "6"),
    )
    try:
        done = server.admin("add-category", "general", "--name", "General")
        assert done.returncode == 0, done.stderr
        names = ("writer", "bystander", "reader")
        with ThreadPoolExecutor(len(names)) as pool:
            tokens = dict(zip(names, pool.map(server.token_for, names), strict=True))
        yield server, tokens
    finally:
        server.stop()
    assert_no_tracebacks(server)


def rate_limited(response: httpx.Response) -> None:
    err = error(response, 429, "rate_limited")
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    assert err["retry_after"] == retry_after


def test_fourth_quick_write_is_429(limited: tuple[ServerProcess, dict[str, str]]) -> None:
    server, tokens = limited
    with server.client(tokens["writer"]) as writer:
        for n in range(3):
            response = writer.post(f"{API}/topics", json=topic_body(f"write {n}"))
            assert response.status_code == 201, response.text
        rate_limited(writer.post(f"{API}/topics", json=topic_body("one too many")))
    # The limit is per user: someone else may still write.
    with server.client(tokens["bystander"]) as bystander:
        response = bystander.post(f"{API}/topics", json=topic_body("mine"))
        assert response.status_code == 201, response.text


def test_seventh_quick_read_is_429(limited: tuple[ServerProcess, dict[str, str]]) -> None:
    server, tokens = limited
    with server.client(tokens["reader"]) as reader:
        for _ in range(6):
            response = reader.get(f"{API}/topics")
            assert response.status_code == 200, response.text
        rate_limited(reader.get(f"{API}/categories"))
        # The site description stays reachable, so a client can still show what is wrong.
        assert reader.get(f"{API}/site").status_code == 200


def test_server_log_has_no_tracebacks(srv: ServerProcess, alice: httpx.Client) -> None:
    """Runs last in this module: everything above answered without an unhandled error."""
    assert alice.get(f"{API}/site").status_code == 200
    assert_no_tracebacks(srv)
