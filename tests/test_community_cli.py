"""`cohort groups|events|people` as a script would run them, against a real server with
the sample community (a Unix socket: the test's own uid is the user) and the fake
Discourse (where the features it lacks are refused in one plain line)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_discourse import RunningFake, start_fake
from tests.serverproc import ServerProcess, run_cohort, start_server

ESC = "\x1b"


@pytest.fixture
def sample_server(tmp_path: Path, isolated_xdg: Path) -> Iterator[ServerProcess]:
    """A real server with the sample community on a Unix socket, saved as profile `club`."""
    server = start_server(tmp_path, args=("--sample",))
    config_dir = Path(os.environ["XDG_CONFIG_HOME"]) / "cohort"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(
        'default_profile = "club"\n\n'
        f'[profiles.club]\nkind = "socket"\nsocket = "{server.socket}"\n'
    )
    try:
        yield server
    finally:
        server.stop()


def cohort(*args: str) -> tuple[int, str, str]:
    done = run_cohort(*args)
    return done.returncode, done.stdout, done.stderr


def test_groups_plain_json_and_one_group(sample_server: ServerProcess) -> None:
    code, out, err = cohort("groups", "--plain")
    assert code == 0, err
    assert "missing-semester  Missing Semester Reading Group" in out
    assert "meets wednesdays 18:30 Europe/Berlin" in out and ESC not in out
    code, out, err = cohort("groups", "--json")
    assert code == 0, err
    groups = {g["slug"]: g for g in json.loads(out)["groups"]}
    assert groups["stats-circle"]["admission"] == "request"
    assert groups["stats-circle"]["schedule"]["timezone"] == "UTC"
    code, out, err = cohort("groups", "stats-circle")
    assert code == 0, err
    assert "tomas  Tomás Herrera (organiser)" in out and "expectations" in out
    code, _out, err = cohort("groups", "no-such-group")
    assert code == 1 and err.startswith("cohort: ")


def test_events_and_an_ics_of_those_you_go_to(sample_server: ServerProcess, tmp_path: Path) -> None:
    code, out, err = cohort("events", "--days", "30", "--json")
    assert code == 0, err
    events = json.loads(out)["events"]
    assert events and all(e["starts_at"].endswith("+00:00") for e in events)
    office = next(e for e in events if e["title"].startswith("Mentor office hours"))
    code, out, err = cohort("events", "--days", "30", "--plain")
    assert code == 0, err
    assert "Mentor office hours" in out and "Europe/London" in out
    code, out, err = cohort("events", "--group", "missing-semester", "--days", "30", "--json")
    assert code == 0, err
    assert {e["group_slug"] for e in json.loads(out)["events"]} == {"missing-semester"}
    # A group with a members-only category keeps its meetings to its members.
    code, out, err = cohort("events", "--group", "stats-circle", "--days", "30", "--json")
    assert code == 0 and json.loads(out)["events"] == [], err
    # Going to one event (the socket's user is this test's uid), then the calendar.
    with sample_server.client() as http:
        answer = http.put(f"/api/v1/events/{office['id']}/rsvp", json={"status": "going"})
        assert answer.status_code == 200, answer.text
    target = tmp_path / "going.ics"
    code, _out, err = cohort("events", "--days", "30", "--ics", str(target))
    assert code == 0, err
    assert "wrote 1 event(s)" in err
    raw = target.read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    text = raw.decode("utf-8").replace("\r\n ", "")
    assert text.count("BEGIN:VEVENT") == 1
    assert f"UID:event:{office['id']}@" in text
    assert "SUMMARY:Mentor office hours: applications and CVs" in text
    start = office["starts_at"][:19].replace("-", "").replace(":", "")
    assert f"DTSTART:{start}Z" in text
    code, out, err = cohort("events", "--days", "30", "--ics", "-")
    assert code == 0 and out.count("BEGIN:VEVENT") == 1, err
    code, _out, err = cohort("events", "--days", "0")
    assert code == 2 and "--days" in err


def test_people_and_mentors(sample_server: ServerProcess) -> None:
    code, out, err = cohort("people", "--mentors", "--json")
    assert code == 0, err
    assert {p["username"] for p in json.loads(out)["people"]} == {"chen", "ola", "priya", "hana"}
    code, out, err = cohort("people", "--mentors", "--expertise", "career-change", "--plain")
    assert code == 0, err
    assert "ola  Ola Nowak" in out and "priya  Priya Raman" in out and "chen" not in out
    assert "mentor, 3 h a month" in out
    code, out, err = cohort("people", "ola")
    assert code == 0, err
    assert "in Stats Circle (facilitator)" in out


@pytest.fixture
def discourse(isolated_xdg: Path) -> Iterator[RunningFake]:
    running = start_fake()
    config_dir = Path(os.environ["XDG_CONFIG_HOME"]) / "cohort"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(
        f'[profiles.meta]\nkind = "discourse"\nurl = "{running.url}"\nauth = "none"\n'
    )
    try:
        yield running
    finally:
        running.stop()


def test_discourse_says_plainly_what_it_lacks(discourse: RunningFake) -> None:
    code, out, err = cohort("groups", "--forum", "meta", "--plain")
    assert code == 0, err
    assert "discourse  Awesome Team" in out
    code, out, err = cohort("people", "--forum", "meta", "--mentors")
    assert code == 1 and out == ""
    assert "Discourse has no mentoring profiles" in err
    code, out, err = cohort("events", "--forum", "meta")
    assert code == 1 and "discourse-post-event" in err
