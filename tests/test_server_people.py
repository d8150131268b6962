"""People and mentors against a real server: editing one's profile, finding mentors by
expertise and availability, and a profile's recent posts (only those the viewer may read)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.community import API, Forum, error, ok, running_forum


@pytest.fixture(scope="module")
def forum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forum]:
    with running_forum(
        tmp_path_factory.mktemp("people"), ("chen", "ola", "priya", "ben", "amara")
    ) as running:
        profiles: dict[str, dict[str, Any]] = {
            "chen": {
                "expertise": ["python", "git"],
                "open_to_mentoring": True,
                "mentoring_hours": 4,
                "bio": "Backend engineer.",
            },
            "ola": {"expertise": ["statistics", "Python"], "open_to_mentoring": True},
            "priya": {"expertise": ["design"], "open_to_mentoring": False},
            "ben": {"expertise": ["logistics"], "bio": "Learning SQL."},
        }
        for name, fields in profiles.items():
            ok(running[name].patch(f"{API}/people/{name}", json=fields))
        yield running


def _names(answer: dict[str, Any]) -> list[str]:
    return [p["username"] for p in answer["people"]]


def test_a_member_edits_their_own_profile(forum: Forum) -> None:
    edited = ok(
        forum["amara"].patch(
            f"{API}/people/amara",
            json={
                "name": "Amara Diallo",
                "bio": "Nursing student.",
                "expertise": ["pharmacology", "flashcards", "Flashcards"],
                "open_to_mentoring": True,
                "mentoring_hours": 2,
            },
        )
    )
    assert edited["name"] == "Amara Diallo" and edited["bio"] == "Nursing student."
    assert edited["expertise"] == ["pharmacology", "flashcards"]  # no repeats, in order
    assert edited["open_to_mentoring"] is True and edited["mentoring_hours"] == 2
    cleared = ok(
        forum["amara"].patch(
            f"{API}/people/amara",
            json={"mentoring_hours": None, "open_to_mentoring": False, "expertise": []},
        )
    )
    assert cleared["mentoring_hours"] is None and cleared["expertise"] == []
    assert ok(forum["ben"].get(f"{API}/people/amara"))["name"] == "Amara Diallo"


def test_a_profile_is_edited_by_its_owner_or_a_moderator_only(forum: Forum) -> None:
    denied = forum["ben"].patch(f"{API}/people/chen", json={"bio": "Hacked"})
    assert error(denied, 403)["code"] == "forbidden"
    assert ok(forum["chen"].get(f"{API}/people/chen"))["bio"] == "Backend engineer."
    fixed = ok(forum["mod"].patch(f"{API}/people/ben", json={"bio": "Learning SQL and Python."}))
    assert fixed["bio"] == "Learning SQL and Python."
    assert error(forum["mod"].patch(f"{API}/people/nobody", json={"bio": "x"}), 404)
    assert error(forum["ben"].get(f"{API}/people/nobody"), 404)["code"] == "not_found"


def test_profile_fields_are_checked_and_named(forum: Forum) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"expertise": ["two words"]}, "expertise"),
        ({"expertise": "python"}, "expertise"),
        ({"expertise": [f"tag{n}" for n in range(11)]}, "expertise"),
        ({"mentoring_hours": -1}, "mentoring_hours"),
        ({"mentoring_hours": 1000}, "mentoring_hours"),
        ({"mentoring_hours": "4"}, "mentoring_hours"),
        ({"open_to_mentoring": "yes"}, "open_to_mentoring"),
        ({"bio": "x" * 2001}, "bio"),
        ({"name": 7}, "name"),
        ({}, "nothing to change"),
    ]
    for body, named in cases:
        problem = error(forum["ben"].patch(f"{API}/people/ben", json=body), 400)
        assert named in problem["message"], (body, problem)
    anonymous = forum.server.client()
    try:
        assert error(anonymous.patch(f"{API}/people/ben", json={"bio": "x"}), 401)
    finally:
        anonymous.close()


def test_mentors_are_found_by_expertise_and_availability(forum: Forum) -> None:
    get = forum["ben"].get
    mentors = ok(get(f"{API}/people", params={"mentors": "true"}))
    assert _names(mentors) == ["chen", "ola"]
    assert all(p["open_to_mentoring"] for p in mentors["people"])
    python = ok(get(f"{API}/people", params={"expertise": "python"}))
    assert _names(python) == ["chen", "ola"]  # tags match whatever their case
    assert _names(ok(get(f"{API}/people", params={"expertise": "design"}))) == ["priya"]
    none = ok(get(f"{API}/people", params={"expertise": "design", "mentors": "1"}))
    assert none["people"] == []
    chen = next(p for p in python["people"] if p["username"] == "chen")
    assert chen["expertise"] == ["python", "git"] and chen["mentoring_hours"] == 4
    # Every tag among the people the other filters let through, most common first.
    tags = {t["tag"].lower(): t["count"] for t in mentors["expertise"]}
    assert tags == {"python": 2, "git": 1, "statistics": 1}
    assert _names(ok(get(f"{API}/people", params={"q": "backend"}))) == ["chen"]
    assert error(get(f"{API}/people", params={"mentors": "often"}), 400)


def test_people_are_paged(forum: Forum) -> None:
    first = ok(forum["ben"].get(f"{API}/people", params={"limit": 2}))
    assert len(first["people"]) == 2 and first["next_offset"] == 2
    rest = ok(forum["ben"].get(f"{API}/people", params={"limit": 100, "offset": 2}))
    everyone = ok(forum["ben"].get(f"{API}/people"))
    assert _names(first) + _names(rest) == _names(everyone)
    assert rest["next_offset"] is None
    assert error(forum["ben"].get(f"{API}/people", params={"limit": 0}), 400)
    assert error(forum["ben"].get(f"{API}/people", params={"offset": -1}), 400)


def test_a_profile_shows_only_recent_posts_the_viewer_may_read(forum: Forum) -> None:
    forum.group("chen", "chen-circle", admission="invite", category={"slug": "chen-room"})
    ok(forum["chen"].post(f"{API}/groups/chen-circle/members", json={"username": "ola"}))
    public = forum.topic("chen", "Git tips for beginners", "general", "Commit early.")
    hidden = forum.topic("chen", "Circle plans", "chen-room", "Secret circle plans.")
    gone = forum.reply("chen", public["topic"]["id"], "A reply I will delete.")
    ok(forum["chen"].delete(f"{API}/posts/{gone['id']}"))
    pm = ok(
        forum["chen"].post(
            f"{API}/messages",
            json={"participants": ["ben"], "title": "Mentoring", "raw": "Private words for Ben."},
        ),
        201,
    )

    def posts(who: str) -> list[str]:
        profile = ok(forum[who].get(f"{API}/people/chen"))
        assert profile["post_count"] == len(profile["recent_posts"])
        return [p["excerpt"] for p in profile["recent_posts"]]

    assert posts("ola") == ["Secret circle plans.", "Commit early."]  # newest first
    assert posts("ben") == ["Commit early."]  # no circle, no private message, no deleted post
    assert posts("mod") == ["Secret circle plans.", "Commit early."]
    assert posts("chen") == ["Secret circle plans.", "Commit early."]  # messages stay out
    profile = ok(forum["ben"].get(f"{API}/people/chen"))
    assert profile["recent_posts"][0]["topic_title"] == "Git tips for beginners"
    assert profile["groups"] == [
        {"slug": "chen-circle", "name": "Chen-Circle", "roles": ["organiser"]}
    ]
    assert pm["topic"]["id"] not in [p["topic_id"] for p in profile["recent_posts"]]
    assert hidden["topic"]["id"] not in [p["topic_id"] for p in profile["recent_posts"]]
