"""Study groups against a real server: admission rules, roles and the last organiser, the
category a group owns, schedules and their next meeting (across changes of clocks)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server import sample
from server.store import Store, events, groups, messages, people, queries, schema
from server.store.times import Weekly
from server.store.viewer import Viewer
from tests.community import API, Forum, admin_ok, error, ok, running_forum

BERLIN = ZoneInfo("Europe/Berlin")
SCHEDULE = {"weekday": "sunday", "time": "18:00", "timezone": "Europe/Berlin"}


@pytest.fixture(scope="module")
def forum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forum]:
    with running_forum(
        tmp_path_factory.mktemp("groups"),
        ("alice", "bob", "carol", "dave", "erin"),
    ) as running:
        yield running


def notification_kinds(forum: Forum, who: str) -> list[tuple[str, dict[str, Any]]]:
    found = ok(forum[who].get(f"{API}/notifications"))["notifications"]
    return [(n["kind"], n["data"]) for n in found]


# -- creating and changing a group ---------------------------------------------------------


def test_a_new_group_has_its_maker_as_organiser(forum: Forum) -> None:
    made = forum.group(
        "alice",
        "sql-circle",
        name="SQL Circle",
        goal="Finish SQLBolt together.",
        expectations="Do the lesson before the call.",
        schedule={**SCHEDULE, "duration_minutes": 90, "link": "https://meet.example/sql"},
    )
    assert made["slug"] == "sql-circle" and made["name"] == "SQL Circle"
    assert made["goal"] == "Finish SQLBolt together."
    assert made["admission"] == "open"  # the default
    assert made["organisers"] == ["alice"] and made["my_roles"] == ["organiser"]
    assert made["my_status"] == "member" and made["can_manage"] is True
    assert made["members"][0]["username"] == "alice"
    assert made["schedule"] == {
        "weekday": "sunday",
        "time": "18:00",
        "timezone": "Europe/Berlin",
        "duration_minutes": 90,
        "place": "",
        "link": "https://meet.example/sql",
    }
    nxt = made["next_meeting"]
    local = datetime.fromisoformat(nxt["starts_at_local"])
    assert local.weekday() == 6 and (local.hour, local.minute) == (18, 0)
    assert local.utcoffset() == BERLIN.utcoffset(local.replace(tzinfo=None))
    utc = datetime.fromisoformat(nxt["starts_at"].replace("Z", "+00:00"))
    assert utc == local
    assert datetime.fromisoformat(nxt["ends_at"].replace("Z", "+00:00")) > datetime.now(UTC)
    assert nxt["date"] == local.date().isoformat()
    seen = ok(forum["bob"].get(f"{API}/groups/sql-circle"))
    assert seen["my_status"] == "none" and seen["can_manage"] is False
    assert seen["pending_requests"] is None  # only organisers see that count


def test_creating_a_group_checks_every_field(forum: Forum) -> None:
    post = forum["alice"].post
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "No slug"}, "slug"),
        ({"slug": "Bad Slug", "name": "x"}, "slug"),
        ({"slug": "no-name"}, "name"),
        ({"slug": "ok-1", "name": "x", "admission": "secret"}, "admission"),
        (
            {"slug": "ok-2", "name": "x", "schedule": {**SCHEDULE, "timezone": "Mars/Olympus"}},
            "schedule.timezone",
        ),
        (
            {"slug": "ok-3", "name": "x", "schedule": {**SCHEDULE, "weekday": "someday"}},
            "schedule.weekday",
        ),
        ({"slug": "ok-4", "name": "x", "schedule": {**SCHEDULE, "time": "25:00"}}, "schedule.time"),
        (
            {"slug": "ok-5", "name": "x", "schedule": {"weekday": "monday", "time": "10:00"}},
            "schedule.timezone",
        ),
        (
            {"slug": "ok-6", "name": "x", "schedule": {**SCHEDULE, "link": "javascript:alert(1)"}},
            "schedule.link",
        ),
        (
            {"slug": "ok-7", "name": "x", "schedule": {**SCHEDULE, "duration_minutes": 0}},
            "schedule.duration_minutes",
        ),
    ]
    for body, named in cases:
        problem = error(post(f"{API}/groups", json=body), 400)
        assert named in problem["message"], (body, problem)
    forum.group("alice", "taken")
    assert (
        error(post(f"{API}/groups", json={"slug": "taken", "name": "x"}), 409)["code"] == "exists"
    )
    anonymous = forum.server.client()
    try:
        assert error(anonymous.post(f"{API}/groups", json={"slug": "a", "name": "a"}), 401)
    finally:
        anonymous.close()


def test_creating_a_group_is_idempotent_with_a_key(forum: Forum) -> None:
    body = {"slug": "retry-circle", "name": "Retry Circle"}
    headers = {"Idempotency-Key": "group-retry-1"}
    first = forum["bob"].post(f"{API}/groups", json=body, headers=headers)
    again = forum["bob"].post(f"{API}/groups", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["slug"] == first.json()["slug"]
    assert (
        len(
            [
                g
                for g in ok(forum["bob"].get(f"{API}/groups"))["groups"]
                if g["slug"] == "retry-circle"
            ]
        )
        == 1
    )


def test_only_organisers_change_a_group(forum: Forum) -> None:
    forum.group("alice", "edit-me", admission="open")
    url = f"{API}/groups/edit-me"
    ok(forum["alice"].post(f"{url}/join"))
    ok(forum["bob"].post(f"{url}/join"))
    assert error(forum["bob"].patch(url, json={"goal": "mine now"}), 403)["code"] == "forbidden"
    changed = ok(
        forum["alice"].patch(
            url,
            json={"goal": "Read one paper a week.", "admission": "request", "schedule": SCHEDULE},
        )
    )
    assert changed["goal"] == "Read one paper a week." and changed["admission"] == "request"
    assert changed["schedule"]["weekday"] == "sunday"
    cleared = ok(forum["mod"].patch(url, json={"schedule": None}))  # moderators may, too
    assert cleared["schedule"] is None and cleared["next_meeting"] is None
    assert error(forum["alice"].patch(url, json={}), 400)["code"] == "missing_field"
    assert error(forum["alice"].patch(f"{API}/groups/nope", json={"goal": "x"}), 404)


def test_groups_are_listed_and_filtered(forum: Forum) -> None:
    forum.group(
        "dave", "lisp-readers", name="Lisp Readers", goal="SICP, slowly", admission="invite"
    )
    listed = ok(forum["carol"].get(f"{API}/groups"))["groups"]
    assert "lisp-readers" in [g["slug"] for g in listed]
    assert "members" not in listed[0]  # lists carry no member lists
    found = ok(forum["carol"].get(f"{API}/groups", params={"q": "SICP"}))["groups"]
    assert [g["slug"] for g in found] == ["lisp-readers"]
    invite = ok(forum["carol"].get(f"{API}/groups", params={"admission": "invite"}))["groups"]
    assert {g["admission"] for g in invite} == {"invite"}
    mine = ok(forum["dave"].get(f"{API}/groups", params={"mine": "true"}))["groups"]
    assert "lisp-readers" in [g["slug"] for g in mine]
    assert all(g["my_status"] == "member" for g in mine)
    assert error(forum["dave"].get(f"{API}/groups", params={"admission": "x"}), 400)
    assert error(forum["dave"].get(f"{API}/groups", params={"mine": "maybe"}), 400)


# -- admission -------------------------------------------------------------------------------


def test_an_open_group_is_joined_and_left_at_once(forum: Forum) -> None:
    forum.group("alice", "open-door", admission="open")
    url = f"{API}/groups/open-door"
    joined = ok(forum["bob"].post(f"{url}/join"))
    assert joined["my_status"] == "member" and joined["member_count"] == 2
    assert ok(forum["bob"].post(f"{url}/join"))["member_count"] == 2  # joining twice: no change
    assert error(forum["bob"].post(f"{url}/requests", json={}), 409)["code"] == "already_member"
    assert error(forum["carol"].post(f"{url}/requests", json={}), 409)["code"] == "open_group"
    members = ok(forum["carol"].get(f"{url}/members"))["members"]
    assert [m["username"] for m in members] == ["alice", "bob"]  # organisers first
    left = ok(forum["bob"].delete(f"{url}/members/bob"))
    assert left["my_status"] == "none" and left["member_count"] == 1
    assert error(forum["bob"].delete(f"{url}/members/bob"), 404)["code"] == "not_member"


def test_a_request_to_join_waits_for_an_organiser(forum: Forum) -> None:
    forum.group("alice", "by-request", admission="request")
    url = f"{API}/groups/by-request"
    assert error(forum["carol"].post(f"{url}/join"), 403)["code"] == "request_required"
    asked = ok(forum["carol"].post(f"{url}/requests", json={"message": "May I?"}))
    assert asked["my_status"] == "requested" and asked["member_count"] == 1
    assert (
        "group_request",
        {"group": "by-request", "group_name": "By-Request", "username": "carol"},
    ) in notification_kinds(forum, "alice")
    pending = ok(forum["alice"].get(f"{url}/requests"))["requests"]
    assert [(r["username"], r["message"]) for r in pending] == [("carol", "May I?")]
    assert ok(forum["alice"].get(url))["pending_requests"] == 1
    # Only organisers see and answer requests.
    assert error(forum["bob"].get(f"{url}/requests"), 403)["code"] == "forbidden"
    assert error(forum["bob"].post(f"{url}/requests/carol/approve"), 403)
    approved = ok(forum["alice"].post(f"{url}/requests/carol/approve"))
    assert "carol" in [m["username"] for m in approved["members"]]
    assert approved["pending_requests"] == 0
    assert ok(forum["carol"].get(url))["my_status"] == "member"
    assert any(kind == "group_approved" for kind, _ in notification_kinds(forum, "carol"))
    assert error(forum["alice"].post(f"{url}/requests/carol/approve"), 404)["code"] == "no_request"
    # A request can be withdrawn by its maker, or turned down by an organiser.
    ok(forum["dave"].post(f"{url}/requests", json={}))
    assert ok(forum["dave"].delete(f"{url}/requests/dave"))["my_status"] == "none"
    ok(forum["erin"].post(f"{url}/requests", json={}))
    assert error(forum["dave"].delete(f"{url}/requests/erin"), 403)
    ok(forum["alice"].delete(f"{url}/requests/erin"))
    assert ok(forum["erin"].get(url))["my_status"] == "none"
    assert error(forum["alice"].delete(f"{url}/requests/erin"), 404)["code"] == "no_request"
    too_long = {"message": "x" * 1001}
    assert "message" in error(forum["erin"].post(f"{url}/requests", json=too_long), 400)["message"]


def test_an_invite_only_group_is_entered_only_when_added(forum: Forum) -> None:
    forum.group("alice", "invited", admission="invite")
    url = f"{API}/groups/invited"
    assert error(forum["bob"].post(f"{url}/join"), 403)["code"] == "invite_only"
    assert error(forum["bob"].post(f"{url}/requests", json={}), 403)["code"] == "invite_only"
    assert error(forum["carol"].post(f"{url}/members", json={"username": "bob"}), 403)
    added = ok(
        forum["alice"].post(f"{url}/members", json={"username": "bob", "roles": ["note-taker"]})
    )
    assert {"username": "bob", "roles": ["note-taker"]}.items() <= next(
        m for m in added["members"] if m["username"] == "bob"
    ).items()
    assert any(kind == "group_added" for kind, _ in notification_kinds(forum, "bob"))
    again = forum["alice"].post(f"{url}/members", json={"username": "bob"})
    assert error(again, 409)["code"] == "already_member"
    nobody = forum["alice"].post(f"{url}/members", json={"username": "nobody"})
    problem = error(nobody, 400)
    assert problem["code"] == "unknown_user" and "username" in problem["message"]
    assert error(forum["alice"].post(f"{url}/members", json={}), 400)["code"] == "missing_field"


# -- roles and the last organiser ---------------------------------------------------------------


def test_roles_are_named_freely_and_a_group_keeps_an_organiser(forum: Forum) -> None:
    forum.group("alice", "roles-circle", admission="open")
    url = f"{API}/groups/roles-circle"
    ok(forum["bob"].post(f"{url}/join"))
    ok(forum["carol"].post(f"{url}/join"))
    # The last organiser can neither leave nor step down.
    assert error(forum["alice"].delete(f"{url}/members/alice"), 409)["code"] == "last_organiser"
    step_down = forum["alice"].put(f"{url}/members/alice", json={"roles": ["facilitator"]})
    assert error(step_down, 409)["code"] == "last_organiser"
    assert error(forum["mod"].delete(f"{url}/members/alice"), 409)["code"] == "last_organiser"
    # Roles are any short names; "organizer" is spelled the group's way.
    given = ok(
        forum["alice"].put(
            f"{url}/members/bob", json={"roles": ["Organizer", "note-taker", "Note-Taker"]}
        )
    )
    bob = next(m for m in given["members"] if m["username"] == "bob")
    assert bob["roles"] == ["organiser", "note-taker"]
    assert given["organisers"] == ["alice", "bob"]
    assert error(forum["carol"].put(f"{url}/members/bob", json={"roles": []}), 403)
    for bad in (["x" * 31], [""], ["two\nlines"], "facilitator", [1]):
        assert error(forum["alice"].put(f"{url}/members/carol", json={"roles": bad}), 400)
    assert (
        error(forum["alice"].put(f"{url}/members/carol", json={}), 400)["code"] == "missing_field"
    )
    assert error(forum["alice"].put(f"{url}/members/dave", json={"roles": []}), 404)
    # With a second organiser the first may go; organisers remove others, members do not.
    assert error(forum["carol"].delete(f"{url}/members/bob"), 403)
    assert ok(forum["alice"].delete(f"{url}/members/alice"))["organisers"] == ["bob"]
    ok(forum["bob"].delete(f"{url}/members/carol"))
    assert ok(forum["mod"].put(f"{url}/members/bob", json={"roles": ["organiser", "facilitator"]}))


# -- a group's own category ---------------------------------------------------------------


def _category_slugs(forum: Forum, who: str) -> list[str]:
    return [c["slug"] for c in ok(forum[who].get(f"{API}/categories"))["categories"]]


def test_a_group_category_is_for_its_members_only(forum: Forum) -> None:
    made = forum.group(
        "alice",
        "night-owls",
        name="Night Owls",
        admission="open",
        category={"slug": "night-owls-room", "name": "Night Owls' Room"},
    )
    assert made["has_category"] is True
    assert made["category"]["slug"] == "night-owls-room"
    room = next(
        c
        for c in ok(forum["alice"].get(f"{API}/categories"))["categories"]
        if c["slug"] == "night-owls-room"
    )
    assert room["restricted"] is True and room["groups"] == ["night-owls"]
    topic = forum.topic("alice", "Owls only: the reading list", "night-owls-room")
    topic_id = topic["topic"]["id"]
    before = forum.last_seq("bob")
    # A non-member sees the group, not its category nor what is in it.
    seen = ok(forum["bob"].get(f"{API}/groups/night-owls"))
    assert seen["has_category"] is True and seen["category"] is None
    assert "night-owls-room" not in _category_slugs(forum, "bob")
    assert error(forum["bob"].get(f"{API}/topics/{topic_id}"), 404)
    assert error(forum["bob"].get(f"{API}/topics", params={"category": "night-owls-room"}), 404)
    # Joining opens it; the change feed tells the member their membership changed.
    ok(forum["bob"].post(f"{API}/groups/night-owls/join"))
    assert "night-owls-room" in _category_slugs(forum, "bob")
    assert ok(forum["bob"].get(f"{API}/topics/{topic_id}"))["topic"]["title"].startswith("Owls")
    assert ok(forum["bob"].get(f"{API}/groups/night-owls"))["category"]["slug"] == (
        "night-owls-room"
    )
    kinds = [(c["kind"], c["data"]) for c in forum.changes("bob", before)]
    assert ("group.membership", {"group": "night-owls", "status": "member"}) in kinds
    assert all(
        c["data"].get("status") != "member"
        for c in forum.changes("carol", before)
        if c["kind"] == "group.membership"
    )
    # Leaving closes it again.
    ok(forum["bob"].delete(f"{API}/groups/night-owls/members/bob"))
    assert "night-owls-room" not in _category_slugs(forum, "bob")
    assert error(forum["bob"].get(f"{API}/topics/{topic_id}"), 404)
    # Moderators see every category, a group's included.
    assert "night-owls-room" in _category_slugs(forum, "mod")


def test_a_category_is_added_to_a_group_once(forum: Forum) -> None:
    forum.group("carol", "later-room")
    url = f"{API}/groups/later-room"
    assert ok(forum["carol"].patch(url, json={"category": True}))["category"]["slug"] == (
        "later-room"
    )
    assert error(forum["carol"].patch(url, json={"category": True}), 409)["code"] == "has_category"
    taken = forum["dave"].post(
        f"{API}/groups", json={"slug": "clash", "name": "Clash", "category": {"slug": "general"}}
    )
    assert error(taken, 409)["code"] == "exists"
    assert error(forum["dave"].get(f"{API}/groups/clash"), 404)  # nothing half-made


def test_the_admin_command_makes_a_study_group_for_its_organisers(forum: Forum) -> None:
    out = admin_ok(
        forum.server,
        "add-group",
        "admin-made",
        "--organiser",
        "dave",
        "--organiser",
        "erin",
        "--full-name",
        "Admin Made",
        "--admission",
        "request",
        "--own-category",
    )
    assert "admin-made" in out
    made = ok(forum["dave"].get(f"{API}/groups/admin-made"))
    assert made["organisers"] == ["dave", "erin"] and made["admission"] == "request"
    assert made["category"]["slug"] == "admin-made"
    done = forum.server.admin("add-group", "half", "--goal", "no organiser")
    assert done.returncode != 0 and "--organiser" in done.stderr


def test_study_groups_and_access_groups_are_told_apart(forum: Forum) -> None:
    admin_ok(forum.server, "add-group", "reviewers")  # a permission group: no organiser
    admin_ok(forum.server, "add-to-group", "reviewers", "carol")
    forum.group("erin", "kind-circle", name="Kind Circle")
    listed = {g["slug"]: g for g in ok(forum["carol"].get(f"{API}/groups"))["groups"]}
    assert listed["reviewers"]["kind"] == "access"
    assert listed["kind-circle"]["kind"] == "study"
    assert ok(forum["carol"].get(f"{API}/groups/reviewers"))["kind"] == "access"
    study = ok(forum["carol"].get(f"{API}/groups", params={"kind": "study"}))["groups"]
    assert "kind-circle" in {g["slug"] for g in study} and "reviewers" not in {
        g["slug"] for g in study
    }
    assert {g["kind"] for g in study} == {"study"}
    access = ok(forum["carol"].get(f"{API}/groups", params={"kind": "access"}))["groups"]
    assert [g["slug"] for g in access if g["slug"] == "reviewers"] == ["reviewers"]
    assert {g["kind"] for g in access} == {"access"}
    assert error(forum["carol"].get(f"{API}/groups", params={"kind": "secret"}), 400)
    schema = ok(forum["carol"].get(f"{API}/openapi.json"))["components"]["schemas"]["Group"]
    assert schema["properties"]["kind"]["enum"] == ["study", "access"]


# -- the next meeting, computed in the group's time zone -----------------------------------------


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_the_next_meeting_keeps_its_wall_clock_time_across_a_change_of_clocks() -> None:
    sundays = Weekly(weekday=6, clock="18:00", tz=BERLIN, minutes=60)
    # Berlin moves to summer time on 29 March 2026: 18:00 is 17:00 UTC before, 16:00 after.
    before = sundays.next_after(_at("2026-03-22T12:00:00+00:00"))
    across = sundays.next_after(_at("2026-03-28T12:00:00+00:00"))
    assert (before.date, before.starts_at) == (date(2026, 3, 22), _at("2026-03-22T17:00:00Z"))
    assert (across.date, across.starts_at) == (date(2026, 3, 29), _at("2026-03-29T16:00:00Z"))
    assert across.ends_at - across.starts_at == 3600
    # And back on 25 October: 17:00 UTC again.
    autumn = sundays.next_after(_at("2026-10-24T20:00:00+00:00"))
    assert (autumn.date, autumn.starts_at) == (date(2026, 10, 25), _at("2026-10-25T17:00:00Z"))
    # A meeting under way is the next one until it ends.
    assert sundays.next_after(_at("2026-03-29T16:30:00Z")).date == date(2026, 3, 29)
    assert sundays.next_after(_at("2026-03-29T17:00:00Z")).date == date(2026, 4, 5)


def test_a_meeting_time_the_clocks_skip_is_held_an_hour_later() -> None:
    early = Weekly(weekday=6, clock="02:30", tz=BERLIN, minutes=30)
    skipped = early.on(date(2026, 3, 29))  # 02:00-03:00 does not exist that night
    assert skipped.starts_at == _at("2026-03-29T01:30:00Z")  # 03:30 summer time
    repeated = early.on(date(2026, 10, 25))  # 02:30 happens twice: the first one counts
    assert repeated.starts_at == _at("2026-10-25T00:30:00Z")


def test_meetings_between_two_instants_follow_the_local_calendar() -> None:
    tokyo = Weekly(weekday=0, clock="08:00", tz=ZoneInfo("Asia/Tokyo"), minutes=45)
    # 08:00 on a Monday in Tokyo is 23:00 UTC on the Sunday before: a UTC window ending
    # at midnight on Monday 18 May holds that day's meeting in Tokyo.
    found = tokyo.between(_at("2026-05-03T00:00:00Z"), _at("2026-05-18T00:00:00Z"))
    assert [m.date for m in found] == [date(2026, 5, 4), date(2026, 5, 11), date(2026, 5, 18)]
    assert found[0].starts_at == _at("2026-05-03T23:00:00Z")
    assert tokyo.between(_at("2026-05-03T23:45:00Z"), _at("2026-05-10T22:59:00Z")) == []


# -- the sample community ---------------------------------------------------------------------


def test_the_sample_community_has_study_groups_mentors_events_and_a_private_message(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "sample.db")
    try:
        counts = store.write_sync(sample.seed)
        assert counts["study_groups"] == 2 and counts["events"] >= 3 and counts["messages"] == 1

        def viewer(name: str) -> Viewer:
            row = store.read_sync(
                lambda c: c.execute(
                    "SELECT id, is_moderator FROM users WHERE username = ?", (name,)
                ).fetchone()
            )
            return Viewer(row[0], name, bool(row[1]))

        kwame, tomas, ben, ola = (viewer(n) for n in ("kwame", "tomas", "ben", "ola"))
        listed = store.read_sync(groups.list_groups, kwame)["groups"]
        study = {g["slug"]: g for g in listed if g["kind"] == "study"}
        assert {g["slug"] for g in listed if g["kind"] == "access"} == {"mentors", "organisers"}
        assert {g["admission"] for g in study.values()} == {"open", "request"}
        closed = next(g for g in study.values() if g["admission"] == "request")
        assert closed["has_category"] and closed["category"] is None  # kwame is not in it
        mine = store.read_sync(groups.group, tomas, closed["slug"])
        assert mine["pending_requests"] >= 1 and mine["category"] is not None
        room = mine["category"]["slug"]
        inside = store.read_sync(lambda c: queries.topic_list(c, tomas, category=room))
        assert len(inside["topics"]) >= 1
        mentors = store.read_sync(lambda c: people.people(c, kwame, mentors=True))["people"]
        assert len(mentors) >= 2 and all(m["expertise"] for m in mentors)
        coming = store.read_sync(lambda c: events.upcoming(c, kwame, meetings=False))["events"]
        assert len(coming) >= 3 and all(e["group"] is None for e in coming)  # not the circle's
        assert any(e["rsvp_counts"]["going"] for e in coming)
        assert store.read_sync(lambda c: messages.inbox(c, ben))["messages"]
        assert store.read_sync(lambda c: messages.inbox(c, ola))["unread_topics"] == 1
        assert not store.read_sync(lambda c: messages.inbox(c, kwame))["messages"]
        # The private message is in no public list, count or search.
        public = store.read_sync(lambda c: queries.topic_list(c, viewer("maya"), limit=100))
        assert not any(t["private_message"] for t in public["topics"])
    finally:
        store.close()


# -- an older forum -------------------------------------------------------------------------------


def test_a_forum_from_before_study_groups_keeps_its_groups_and_categories(tmp_path: Path) -> None:
    db = tmp_path / "v1.db"
    conn = sqlite3.connect(db)
    try:
        for statement in schema.MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO users (id, username, created_at) VALUES (1, 'old', 0)")
        conn.execute("INSERT INTO groups (id, name, created_at) VALUES (1, 'staff', 0)")
        conn.execute("INSERT INTO group_members (group_id, user_id) VALUES (1, 1)")
        conn.execute(
            "INSERT INTO categories (id, slug, name, created_at) VALUES (1, 'back-room', 'B', 0)"
        )
        conn.execute("INSERT INTO category_groups (category_id, group_id) VALUES (1, 1)")
        conn.commit()
    finally:
        conn.close()
    store = Store(db)
    try:
        old = Viewer(1, "old")
        staff = store.read_sync(groups.group, old, "staff")
        assert staff["admission"] == "invite"  # groups made by admins stay theirs to fill
        assert staff["members"] == [{"username": "old", "name": "", "roles": [], "joined_at": None}]
        assert staff["organisers"] == [] and staff["schedule"] is None
        listed = store.read_sync(queries.categories, old)["categories"]
        assert [c["slug"] for c in listed] == ["back-room"]
        # A group with no organiser is left by anyone, and run by moderators.
        assert store.write_sync(lambda c: groups.remove_member(c, old, "staff", "old"))
        assert store.read_sync(queries.categories, old)["categories"] == []
    finally:
        store.close()


def test_the_site_says_what_this_forum_can_do(forum: Forum) -> None:
    site = ok(forum["bob"].get(f"{API}/site"))
    assert {"groups", "events", "people", "messages"} <= set(site["features"])
