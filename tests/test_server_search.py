"""Search: words (stemmed), Discourse-style filters, hostile query text, and an index that
follows edits and deletions. Against a real server seeded through the API only."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.serverproc import ServerProcess, start_server

API = "/api/v1"


@dataclass
class Seeded:
    server: ServerProcess
    alice: httpx.Client
    bob: httpx.Client
    posts: dict[str, int] = field(default_factory=dict)  # label -> post id
    today: date = date.min


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def create(
    client: httpx.Client, title: str, raw: str, category: str, tags: list[str] | None = None
) -> tuple[int, int]:
    body = {"title": title, "raw": raw, "category": category, "tags": tags or []}
    view = ok(client.post(f"{API}/topics", json=body), 201)
    return view["topic"]["id"], view["posts"][0]["id"]


def answer(client: httpx.Client, topic_id: int, raw: str) -> int:
    return int(ok(client.post(f"{API}/topics/{topic_id}/posts", json={"raw": raw}), 201)["id"])


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    server = start_server(tmp_path_factory.mktemp("search"), unix=False)
    try:
        with ThreadPoolExecutor(4) as pool:  # admin commands are safe to run side by side
            made = [
                pool.submit(server.admin, "add-category", slug, "--name", slug.title())
                for slug in ("python", "math")
            ]
            alice_token, bob_token = pool.map(server.token_for, ("alice", "bob"))
            for future in made:
                done = future.result()
                assert done.returncode == 0, done.stderr
        with server.client(alice_token) as alice, server.client(bob_token) as bob:
            s = Seeded(server, alice, bob)
            _, s.posts["decorators"] = create(
                alice,
                "Learning decorators",
                "I am learning how decorators wrap functions.",
                "python",
                ["beginner"],
            )
            _, s.posts["matrix"] = create(
                bob,
                "Matrix question",
                "How do I learn matrix inversion by hand?",
                "math",
                ["algebra"],
            )
            gen_topic, s.posts["generators"] = create(
                bob, "Generators explained", "The yield keyword pauses a function.", "python"
            )
            s.posts["generators-reply"] = answer(
                alice, gen_topic, "A great explanation of generators, thank you."
            )
            sieve_topic, s.posts["sieve"] = create(
                alice,
                "Prime sieve is slow",
                "My sieve of Eratosthenes crawls.",
                "math",
                ["algebra", "performance"],
            )
            s.posts["sieve-answer"] = answer(bob, sieve_topic, "Use a bytearray for the sieve.")
            ok(
                alice.put(
                    f"{API}/topics/{sieve_topic}/solution",
                    json={"post_id": s.posts["sieve-answer"]},
                )
            )
            created = ok(alice.get(f"{API}/posts/{s.posts['decorators']}"))["created_at"]
            s.today = datetime.fromisoformat(created.replace("Z", "+00:00")).date()
            yield s
    finally:
        server.stop()
    assert "Traceback" not in server.log, server.log


def search(s: Seeded, q: str, client: httpx.Client | None = None, **params: Any) -> set[int]:
    """The post ids a query finds (all pages)."""
    found: list[int] = []
    offset = 0
    while True:
        body = ok(
            (client or s.alice).get(f"{API}/search", params={"q": q, "offset": offset, **params})
        )
        found.extend(r["post_id"] for r in body["results"])
        if body["next_offset"] is None:
            break
        offset = body["next_offset"]
    assert len(found) == len(set(found)), "a result appeared twice"
    return set(found)


def ids(s: Seeded, *labels: str) -> set[int]:
    return {s.posts[label] for label in labels}


def test_words_are_stemmed(seeded: Seeded) -> None:
    both = ids(seeded, "decorators", "matrix")
    assert search(seeded, "learning") == both  # "learning" finds "learn" and vice versa
    assert search(seeded, "learn") == both
    assert search(seeded, "LEARNS") == both
    assert search(seeded, "decorator wrapping") == ids(seeded, "decorators")
    assert search(seeded, "nonexistentword") == set()


def test_results_describe_the_post(seeded: Seeded) -> None:
    body = ok(seeded.bob.get(f"{API}/search", params={"q": "yield"}))
    [hit] = body["results"]
    assert hit["post_id"] == seeded.posts["generators"]
    assert (hit["post_number"], hit["topic_title"], hit["category_slug"], hit["username"]) == (
        1,
        "Generators explained",
        "python",
        "bob",
    )
    assert "yield" in hit["blurb"]
    assert (hit["solved"], hit["accepted"]) == (False, False)
    assert body["query"]["terms"] == ["yield"]


def test_user_filter(seeded: Seeded) -> None:
    assert search(seeded, "learn @bob") == ids(seeded, "matrix")
    assert search(seeded, "@alice") == ids(seeded, "decorators", "generators-reply", "sieve")
    assert search(seeded, "@nobody-here") == set()


def test_category_filter(seeded: Seeded) -> None:
    assert search(seeded, "learn #python") == ids(seeded, "decorators")
    assert search(seeded, "#math") == ids(seeded, "matrix", "sieve", "sieve-answer")
    assert search(seeded, "learn #no-such-category") == set()


def test_tag_filter(seeded: Seeded) -> None:
    assert search(seeded, "tag:algebra") == ids(seeded, "matrix", "sieve", "sieve-answer")
    assert search(seeded, "learn tag:beginner") == ids(seeded, "decorators")
    assert search(seeded, "tag:algebra tag:performance") == ids(seeded, "sieve", "sieve-answer")
    assert search(seeded, "tag:nothing") == set()


def test_in_title(seeded: Seeded) -> None:
    assert search(seeded, "decorators in:title") == ids(seeded, "decorators")
    # "generators" is in a title and in a reply's body; in:title finds only the topic.
    assert search(seeded, "generators") == ids(seeded, "generators-reply")
    assert search(seeded, "generators in:title") == ids(seeded, "generators")
    assert search(seeded, "explanation in:title") == set()  # only in a body


def test_status_filters(seeded: Seeded) -> None:
    assert search(seeded, "status:solved") == ids(seeded, "sieve", "sieve-answer")
    assert search(seeded, "sieve status:unsolved") == set()
    assert search(seeded, "learn status:unsolved") == ids(seeded, "decorators", "matrix")
    body = ok(seeded.alice.get(f"{API}/search", params={"q": "bytearray status:solved"}))
    assert [(r["post_id"], r["solved"], r["accepted"]) for r in body["results"]] == [
        (seeded.posts["sieve-answer"], True, True)
    ]
    bad = seeded.alice.get(f"{API}/search", params={"q": "status:maybe"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_filter"


def test_filters_combine(seeded: Seeded) -> None:
    assert search(seeded, "learn @alice #python tag:beginner") == ids(seeded, "decorators")
    assert search(seeded, "learn @alice #math") == set()
    assert search(seeded, "@bob #math status:solved") == ids(seeded, "sieve-answer")
    assert search(seeded, "sieve @bob tag:performance in:title") == set()  # alice's title


def test_date_filters(seeded: Seeded) -> None:
    today = seeded.today
    tomorrow, yesterday = today + timedelta(days=1), today - timedelta(days=1)
    everything = set(seeded.posts.values())
    assert search(seeded, f"after:{tomorrow.isoformat()}") == set()
    assert search(seeded, f"before:{tomorrow.isoformat()}") >= everything
    assert search(seeded, f"after:{yesterday.isoformat()}") >= everything
    assert search(seeded, f"before:{today.isoformat()}") == set()
    assert search(
        seeded, f"learn after:{yesterday.isoformat()} before:{tomorrow.isoformat()}"
    ) == ids(seeded, "decorators", "matrix")


@pytest.mark.parametrize(
    "q",
    [
        "before:2026-13-45",
        "after:yesterday",
        "before:",
        "after:31/01/2026",
        "learn before:2026-02-30",
    ],
)
def test_invalid_dates_are_400(seeded: Seeded, q: str) -> None:
    response = seeded.alice.get(f"{API}/search", params={"q": q})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_filter"


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "   "}, {}, {"q": "\t\n"}])
def test_empty_query_is_400(seeded: Seeded, params: dict[str, str]) -> None:
    response = seeded.alice.get(f"{API}/search", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "missing_field"


@pytest.mark.parametrize(
    "q",
    [
        "AND",
        "learn AND",
        "OR",
        "NOT learn",
        "NEAR(",
        "NEAR(learn matrix, 3)",
        '"',
        '"learn',
        'learn"',
        '""',
        "*",
        "learn*",
        "-",
        "-learn",
        "learn -matrix",
        "(",
        ")",
        "^learn",
        "raw:learn",
        "{raw}: learn",
        "learn + matrix",
        "'",
        "\\",
        "@",
        "#",
        "tag:",
        "in:",
        "a" * 500,
        "🎉",
        "שלום",
        "\x1b[2J",
        "NUL\x00",
    ],
)
def test_query_syntax_is_just_words(seeded: Seeded, q: str) -> None:
    response = seeded.alice.get(f"{API}/search", params={"q": q})
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["results"], list)


def test_operators_do_not_operate(seeded: Seeded) -> None:
    # "learn OR yield" would find three posts as FTS5 syntax; as words it finds none.
    assert search(seeded, "learn OR yield") == set()
    # A leading "-" does not exclude: "learn -matrix" is two words, not "learn but not".
    assert search(seeded, "learn -matrix") == ids(seeded, "matrix")
    assert search(seeded, '"how decorators"') == ids(seeded, "decorators")


def test_paging(seeded: Seeded) -> None:
    first = ok(seeded.alice.get(f"{API}/search", params={"q": "#math", "limit": 2}))
    assert len(first["results"]) == 2 and first["next_offset"] == 2
    rest = ok(seeded.alice.get(f"{API}/search", params={"q": "#math", "limit": 2, "offset": 2}))
    assert len(rest["results"]) == 1 and rest["next_offset"] is None
    together = {r["post_id"] for r in first["results"] + rest["results"]}
    assert together == ids(seeded, "matrix", "sieve", "sieve-answer")


def test_deleted_posts_are_not_found(seeded: Seeded) -> None:
    alice, bob = seeded.alice, seeded.bob
    topic_id, first = create(alice, "Zanzibar travel", "Zanzibar spice tours", "math")
    reply_id = answer(bob, topic_id, "Zanzibar has beaches and quokkalike crabs")
    assert search(seeded, "zanzibar") == {first, reply_id}
    ok(bob.delete(f"{API}/posts/{reply_id}"))
    assert search(seeded, "zanzibar") == {first}
    assert search(seeded, "beaches") == set()
    ok(alice.delete(f"{API}/posts/{first}"))  # the first post takes the topic with it
    assert search(seeded, "zanzibar") == set()
    assert search(seeded, "zanzibar in:title") == set()


def test_edited_posts_are_found_by_their_new_words(seeded: Seeded) -> None:
    alice = seeded.alice
    _, post_id = create(alice, "Marsupials", "The quokka smiles.", "python")
    assert search(seeded, "quokka") == {post_id}
    edited = alice.patch(
        f"{API}/posts/{post_id}", json={"raw": "The wombat digs."}, headers={"If-Match": "1"}
    )
    ok(edited)
    assert search(seeded, "wombat") == {post_id}
    assert search(seeded, "quokka") == set()


def test_edited_titles_are_found_by_their_new_words(seeded: Seeded) -> None:
    alice = seeded.alice
    topic_id, post_id = create(alice, "Kookaburra laughs", "A bird.", "python")
    assert search(seeded, "kookaburra in:title") == {post_id}
    ok(alice.patch(f"{API}/topics/{topic_id}", json={"title": "Platypus swims"}))
    assert search(seeded, "platypus in:title") == {post_id}
    assert search(seeded, "kookaburra in:title") == set()
