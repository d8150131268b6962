"""Events and group meetings against a real server: time zones (across changes of clocks),
RSVP, listing windows, edits, and what a group's restricted category hides."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.community import API, Forum, error, ok, running_forum

# The change to summer time in Europe next year (the last Sunday of March) and back
# (the last Sunday of October): always in the future, so RSVPs are still open.
YEAR = datetime.now(UTC).year + 1


def _last_sunday(month: int) -> date:
    day = date(YEAR, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


SPRING = _last_sunday(3)
AUTUMN = _last_sunday(10)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _window(start: date, end: date) -> dict[str, str]:
    return {"from": f"{start.isoformat()}T00:00:00Z", "to": f"{end.isoformat()}T00:00:00Z"}


@pytest.fixture(scope="module")
def forum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forum]:
    with running_forum(
        tmp_path_factory.mktemp("events"), ("alice", "bob", "carol", "dave")
    ) as running:
        running.group(
            "alice", "inner", name="Inner Circle", admission="invite", category={"slug": "inner"}
        )
        ok(running["alice"].post(f"{API}/groups/inner/members", json={"username": "bob"}))
        running.group(
            "alice",
            "sunday-club",
            name="Sunday Club",
            schedule={"weekday": "sunday", "time": "18:00", "timezone": "Europe/Berlin"},
        )
        yield running


def _event(forum: Forum, who: str = "alice", **fields: Any) -> dict[str, Any]:
    body = {
        "title": "Study hall",
        "starts_at": f"{SPRING + timedelta(days=14)}T10:00",
        "timezone": "Europe/Berlin",
        **fields,
    }
    return ok(forum[who].post(f"{API}/events", json=body), 201)  # type: ignore[no-any-return]


# -- times ----------------------------------------------------------------------------------------


def test_an_event_at_18_00_in_berlin_stays_at_18_00_across_the_change_of_clocks(
    forum: Forum,
) -> None:
    saturday_before = SPRING - timedelta(days=1)
    saturday_after = SPRING + timedelta(days=6)
    winter = _event(forum, starts_at=f"{saturday_before}T18:00", ends_at=f"{saturday_before}T20:00")
    summer = _event(forum, starts_at=f"{saturday_after}T18:00", ends_at=f"{saturday_after}T20:00")
    assert winter["timezone"] == summer["timezone"] == "Europe/Berlin"
    assert winter["starts_at"] == f"{saturday_before}T17:00:00.000Z"
    assert summer["starts_at"] == f"{saturday_after}T16:00:00.000Z"
    assert winter["starts_at_local"] == f"{saturday_before}T18:00:00+01:00"
    assert summer["starts_at_local"] == f"{saturday_after}T18:00:00+02:00"
    assert summer["ends_at_local"] == f"{saturday_after}T20:00:00+02:00"
    # An event spanning the night the clocks go forward is an hour shorter than it looks.
    overnight = _event(forum, starts_at=f"{saturday_before}T18:00", ends_at=f"{SPRING}T18:00")
    length = _utc(overnight["ends_at"]) - _utc(overnight["starts_at"])
    assert length == timedelta(hours=23)
    # And back in October: 18:00 is 17:00 UTC again.
    october = _event(forum, starts_at=f"{AUTUMN}T18:00")
    assert october["starts_at"] == f"{AUTUMN}T17:00:00.000Z"
    assert october["ends_at"] == f"{AUTUMN}T18:00:00.000Z"  # an hour unless told


def test_times_with_an_offset_need_no_time_zone(forum: Forum) -> None:
    day = SPRING + timedelta(days=20)
    offset = _event(forum, starts_at=f"{day}T18:00:00+01:00", timezone=None)
    assert offset["starts_at"] == f"{day}T17:00:00.000Z" and offset["timezone"] == "UTC"
    zulu = _event(
        forum, starts_at=f"{day}T09:30:00Z", ends_at=f"{day}T11:00:00Z", timezone="America/New_York"
    )
    assert zulu["starts_at"] == f"{day}T09:30:00.000Z"
    assert zulu["starts_at_local"].endswith("-04:00")  # shown in New York (summer time)


def test_bad_times_are_refused_naming_the_field(forum: Forum) -> None:
    post = forum["alice"].post
    day = SPRING + timedelta(days=30)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": "x", "starts_at": f"{day}T18:00"}, "starts_at"),  # no offset, no zone
        ({"title": "x", "starts_at": "tomorrow at six", "timezone": "UTC"}, "starts_at"),
        ({"title": "x", "starts_at": f"{day}T18:00", "timezone": "Europe/Atlantis"}, "timezone"),
        ({"title": "x", "starts_at": f"{day}T18:00", "timezone": 5}, "timezone"),
        (
            {"title": "x", "starts_at": f"{SPRING}T02:30", "timezone": "Europe/Berlin"},
            "does not exist",
        ),
        ({"title": "x", "starts_at": f"{day}T18:00Z", "ends_at": f"{day}T17:00Z"}, "ends_at"),
        (
            {
                "title": "x",
                "starts_at": f"{day}T18:00Z",
                "ends_at": f"{day + timedelta(days=40)}T18:00Z",
            },
            "at most",
        ),
        ({"title": "x", "starts_at": "0001-01-01T00:00Z"}, "starts_at"),
        ({"starts_at": f"{day}T18:00Z"}, "title"),
        ({"title": "x"}, "starts_at"),
        ({"title": "x", "starts_at": f"{day}T18:00Z", "link": "ftp://example.org"}, "link"),
        ({"title": "x", "starts_at": f"{day}T18:00Z", "topic_id": "one"}, "topic_id"),
    ]
    for body, named in cases:
        problem = error(post(f"{API}/events", json=body), 400)
        assert named in problem["message"], (body, problem)
    assert error(
        post(
            f"{API}/events",
            json={"title": "x", "starts_at": f"{day}T18:00Z", "group": "no-such-group"},
        ),
        404,
    )


# -- RSVP -----------------------------------------------------------------------------------------


def test_one_rsvp_a_person_changed_at_will(forum: Forum) -> None:
    made = _event(forum, title="RSVP me")
    url = f"{API}/events/{made['id']}/rsvp"
    going = ok(forum["bob"].put(url, json={"status": "going"}))
    assert going["my_rsvp"] == "going"
    assert going["rsvp_counts"] == {"going": 1, "interested": 0, "not_going": 0}
    ok(forum["bob"].put(url, json={"status": "going"}))  # the same answer twice: still one
    ok(forum["carol"].put(url, json={"status": "interested"}))
    changed = ok(forum["bob"].put(url, json={"status": "not_going"}))
    assert changed["rsvp_counts"] == {"going": 0, "interested": 1, "not_going": 1}
    assert [(a["username"], a["status"]) for a in changed["attendees"]] == [
        ("carol", "interested"),
        ("bob", "not_going"),
    ]
    seen = ok(forum["dave"].get(f"{API}/events/{made['id']}"))
    assert seen["my_rsvp"] is None and seen["rsvp_counts"]["not_going"] == 1
    back = ok(forum["bob"].delete(url))
    assert back["my_rsvp"] is None and back["rsvp_counts"]["not_going"] == 0
    assert error(forum["bob"].put(url, json={"status": "maybe"}), 400)["code"] == "invalid_field"
    assert error(forum["bob"].put(url, json={}), 400)["code"] == "missing_field"
    assert error(forum["bob"].put(f"{API}/events/999999/rsvp", json={"status": "going"}), 404)


def test_an_event_that_is_over_takes_no_answers(forum: Forum) -> None:
    past = _event(forum, starts_at="2020-01-01T10:00:00Z", ends_at="2020-01-01T12:00:00Z")
    answer = forum["bob"].put(f"{API}/events/{past['id']}/rsvp", json={"status": "going"})
    assert error(answer, 409)["code"] == "event_over"


# -- listing --------------------------------------------------------------------------------------


def test_events_are_listed_by_window_group_and_answer(forum: Forum) -> None:
    first_day = SPRING + timedelta(days=50)
    early = _event(forum, title="Early", starts_at=f"{first_day}T09:00")
    late = _event(forum, title="Late", starts_at=f"{first_day + timedelta(days=3)}T09:00")
    window = _window(first_day, first_day + timedelta(days=2))
    listed = ok(forum["dave"].get(f"{API}/events", params={**window, "meetings": "false"}))
    assert [e["id"] for e in listed["events"]] == [early["id"]]
    assert listed["from"] == f"{first_day}T00:00:00.000Z" and listed["truncated"] is False
    wide = _window(first_day, first_day + timedelta(days=5))
    both = ok(forum["dave"].get(f"{API}/events", params={**wide, "meetings": "false"}))
    assert [e["id"] for e in both["events"]] == [early["id"], late["id"]]  # in order of start
    ok(forum["dave"].put(f"{API}/events/{late['id']}/rsvp", json={"status": "going"}))
    going = ok(forum["dave"].get(f"{API}/events", params={**wide, "rsvp": "going"}))
    assert [e["id"] for e in going["events"]] == [late["id"]]
    limited = ok(
        forum["dave"].get(f"{API}/events", params={**wide, "meetings": "false", "limit": 1})
    )
    assert len(limited["events"]) == 1 and limited["truncated"] is True
    get = forum["dave"].get
    for params, named in (
        ({"from": "2027-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "after"),
        ({"from": "2026-01-01T00:00:00Z", "to": "2028-01-01T00:00:00Z"}, "366"),
        ({"from": "soon"}, "from"),
        ({"from": "2026-01-01T00:00:00"}, "from"),  # no offset
        ({"rsvp": "perhaps"}, "rsvp"),
        ({"meetings": "sometimes"}, "meetings"),
    ):
        assert named in error(get(f"{API}/events", params=params), 400)["message"]
    anonymous = forum.server.client()
    try:
        assert error(anonymous.get(f"{API}/events"), 401)  # this forum is for members
    finally:
        anonymous.close()


def test_a_groups_weekly_meetings_follow_its_schedule_across_the_change_of_clocks(
    forum: Forum,
) -> None:
    window = _window(SPRING - timedelta(days=8), SPRING + timedelta(days=8))
    listed = ok(forum["carol"].get(f"{API}/events", params={**window, "group": "sunday-club"}))
    meetings = [e for e in listed["events"] if e["kind"] == "meeting"]
    assert [m["occurrence"] for m in meetings] == [
        str(SPRING - timedelta(days=7)),
        str(SPRING),
        str(SPRING + timedelta(days=7)),
    ]
    assert [m["starts_at"][11:16] for m in meetings] == ["17:00", "16:00", "16:00"]  # UTC
    assert {m["starts_at_local"][11:] for m in meetings} == {"18:00:00+01:00", "18:00:00+02:00"}
    first = meetings[0]
    assert first["id"] is None and first["recurring"] is True
    assert first["key"] == f"meeting:sunday-club:{SPRING - timedelta(days=7)}"
    assert first["group"] == {"slug": "sunday-club", "name": "Sunday Club"}
    assert first["ends_at"][11:16] == "18:00"  # an hour unless the schedule says otherwise
    only_events = ok(
        forum["carol"].get(
            f"{API}/events", params={**window, "group": "sunday-club", "meetings": "false"}
        )
    )
    assert only_events["events"] == []


def test_answers_to_a_meeting_are_kept_by_date(forum: Forum) -> None:
    day = SPRING + timedelta(days=7)
    url = f"{API}/groups/sunday-club/meetings/{day}"
    shown = ok(forum["carol"].get(url))
    assert shown["starts_at_local"] == f"{day}T18:00:00+02:00" and shown["attendees"] == []
    answered = ok(forum["carol"].put(f"{url}/rsvp", json={"status": "going"}))
    assert answered["my_rsvp"] == "going" and answered["rsvp_counts"]["going"] == 1
    ok(forum["dave"].put(f"{url}/rsvp", json={"status": "interested"}))
    changed = ok(forum["carol"].put(f"{url}/rsvp", json={"status": "interested"}))
    assert changed["rsvp_counts"] == {"going": 0, "interested": 2, "not_going": 0}
    assert ok(forum["carol"].delete(f"{url}/rsvp"))["my_rsvp"] is None
    listed = ok(
        forum["dave"].get(
            f"{API}/events", params={**_window(day, day + timedelta(days=1)), "rsvp": "any"}
        )
    )
    assert [(e["kind"], e["occurrence"], e["my_rsvp"]) for e in listed["events"]] == [
        ("meeting", str(day), "interested")
    ]
    wrong_day = f"{API}/groups/sunday-club/meetings/{day + timedelta(days=1)}"
    assert error(forum["carol"].get(wrong_day), 404)["code"] == "no_meeting"
    assert error(forum["carol"].get(f"{API}/groups/sunday-club/meetings/someday"), 400)
    assert error(forum["carol"].put(f"{url}/rsvp", json={"status": "yes"}), 400)
    past = f"{API}/groups/sunday-club/meetings/2020-01-05/rsvp"
    assert error(forum["carol"].put(past, json={"status": "going"}), 409)["code"] == "event_over"
    # A new schedule moves every meeting: the old day has none any more.
    ok(
        forum["alice"].patch(
            f"{API}/groups/sunday-club",
            json={"schedule": {"weekday": "monday", "time": "18:00", "timezone": "Europe/Berlin"}},
        )
    )
    try:
        assert error(forum["carol"].get(url), 404)["code"] == "no_meeting"
        assert ok(
            forum["carol"].get(f"{API}/groups/sunday-club/meetings/{day + timedelta(days=1)}")
        )["occurrence"]
    finally:
        ok(
            forum["alice"].patch(
                f"{API}/groups/sunday-club",
                json={
                    "schedule": {"weekday": "sunday", "time": "18:00", "timezone": "Europe/Berlin"}
                },
            )
        )
    assert ok(forum["dave"].get(url))["my_rsvp"] == "interested"  # kept against the date


# -- editing --------------------------------------------------------------------------------------


def test_an_event_is_changed_by_its_author_organisers_or_moderators(forum: Forum) -> None:
    day = SPRING + timedelta(days=60)
    made = _event(
        forum, "dave", title="Dave's meetup", starts_at=f"{day}T18:00", ends_at=f"{day}T20:00"
    )
    url = f"{API}/events/{made['id']}"
    assert made["can_edit"] is True
    assert ok(forum["carol"].get(url))["can_edit"] is False
    assert error(forum["carol"].patch(url, json={"title": "mine"}), 403)["code"] == "forbidden"
    moved = ok(forum["dave"].patch(url, json={"starts_at": f"{day}T19:00"}))
    assert moved["starts_at_local"] == f"{day}T19:00:00+02:00"
    assert moved["ends_at_local"] == f"{day}T21:00:00+02:00"  # the length is kept
    shown_elsewhere = ok(forum["dave"].patch(url, json={"timezone": "Europe/London"}))
    assert shown_elsewhere["starts_at"] == moved["starts_at"]  # the same instant
    assert shown_elsewhere["starts_at_local"] == f"{day}T18:00:00+01:00"
    retitled = ok(forum["mod"].patch(url, json={"title": "Dave's meetup (moved)"}))
    assert retitled["title"] == "Dave's meetup (moved)"
    assert error(forum["dave"].patch(url, json={}), 400)["code"] == "missing_field"
    assert error(forum["dave"].patch(url, json={"ends_at": f"{day}T10:00Z"}), 400)
    assert error(forum["carol"].delete(url), 403)
    assert ok(forum["dave"].delete(url)) == {"id": made["id"], "deleted": True}
    assert error(forum["dave"].get(url), 404)


# -- a restricted group's events ------------------------------------------------------------------


def test_an_event_of_a_group_with_a_restricted_category_is_for_its_members(
    forum: Forum,
) -> None:
    before = forum.last_seq("carol")
    denied = forum["bob"].post(
        f"{API}/events",
        json={
            "title": "Members' night",
            "starts_at": f"{SPRING + timedelta(days=70)}T18:00Z",
            "group": "inner",
        },
    )
    assert error(denied, 403)["code"] == "forbidden"  # bob is a member, not an organiser
    made = _event(
        forum,
        title="Members' night",
        starts_at=f"{SPRING + timedelta(days=70)}T18:00",
        group="inner",
    )
    assert made["group"] == {"slug": "inner", "name": "Inner Circle"}
    url = f"{API}/events/{made['id']}"
    window = _window(SPRING + timedelta(days=69), SPRING + timedelta(days=71))
    for member in ("alice", "bob", "mod"):  # moderators see every category
        assert ok(forum[member].get(url))["title"] == "Members' night"
        listed = ok(forum[member].get(f"{API}/events", params=window))["events"]
        assert made["id"] in [e["id"] for e in listed]
    assert error(forum["carol"].get(url), 404)["code"] == "not_found"
    listed = ok(forum["carol"].get(f"{API}/events", params=window))["events"]
    assert made["id"] not in [e["id"] for e in listed]
    by_group = ok(forum["carol"].get(f"{API}/events", params={**window, "group": "inner"}))
    assert by_group["events"] == []
    assert error(forum["carol"].put(f"{url}/rsvp", json={"status": "going"}), 404)
    assert error(forum["carol"].patch(url, json={"title": "x"}), 404)
    # The change feed keeps it from non-members, too.
    assert not [
        c for c in forum.changes("carol", before) if c["data"].get("event_id") == made["id"]
    ]
    assert [
        c["kind"] for c in forum.changes("bob", before) if c["data"].get("event_id") == made["id"]
    ] == ["event.created"]
    # An organiser's edit is allowed even though another organiser wrote it.
    ok(forum["alice"].post(f"{API}/groups/inner/members", json={"username": "dave"}))
    ok(forum["alice"].put(f"{API}/groups/inner/members/dave", json={"roles": ["organiser"]}))
    assert ok(forum["dave"].patch(url, json={"location": "Room 2"}))["location"] == "Room 2"


def test_an_events_discussion_topic_shows_only_to_those_who_may_read_it(forum: Forum) -> None:
    hidden = forum.topic("alice", "Inner planning thread", "inner")["topic"]["id"]
    public = forum.topic("alice", "Public planning thread", "general")["topic"]["id"]
    open_event = _event(forum, title="Open day", topic_id=hidden)
    assert open_event["topic_id"] == hidden  # alice may read it
    seen = ok(forum["carol"].get(f"{API}/events/{open_event['id']}"))
    assert seen["topic_id"] is None and seen["topic_title"] is None
    assert ok(forum["bob"].get(f"{API}/events/{open_event['id']}"))["topic_id"] == hidden
    linked = _event(forum, "carol", title="Carol's talk", topic_id=public)
    assert linked["topic_title"] == "Public planning thread"
    cannot = forum["carol"].post(
        f"{API}/events", json={"title": "x", "starts_at": f"{SPRING}T10:00Z", "topic_id": hidden}
    )
    assert error(cannot, 404)  # a topic she cannot see is no topic
