"""The iCalendar export (RFC 5545): line endings, folding, escaping, UTC times, UIDs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from tui.forum.community import Event
from tui.forum.ics import calendar, escape_text, fold, utc_stamp

STAMP = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _event(**changes: object) -> Event:
    values: dict[str, object] = {
        "key": "event:7",
        "id": 7,
        "kind": "event",
        "title": "Study hall",
        "starts_at": datetime(2026, 12, 2, 17, 30, tzinfo=UTC),
        "ends_at": datetime(2026, 12, 2, 18, 30, tzinfo=UTC),
        "timezone": "Europe/Berlin",
        "my_rsvp": "going",
    }
    values.update(changes)
    return Event(**values)  # type: ignore[arg-type]


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_escaping_of_text_values() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    assert escape_text("one\r\ntwo\rthree") == "one\\ntwo\\nthree"
    assert escape_text("bell\x07 and \u202eflip") == "bell and flip"  # sanitised first


def test_folding_at_75_octets_without_splitting_characters() -> None:
    line = "DESCRIPTION:" + "é" * 100
    folded = fold(line)
    physical = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(physical)) == line
    assert fold("SHORT:x") == "SHORT:x"
    exact = "X:" + "a" * 73
    assert fold(exact) == exact


def test_times_are_utc_with_z() -> None:
    berlin = timezone(timedelta(hours=1))
    assert utc_stamp(datetime(2026, 12, 2, 18, 30, tzinfo=berlin)) == "20261202T173000Z"
    assert utc_stamp(datetime(2026, 12, 2, 18, 30)) == "20261202T183000Z"


def test_a_whole_calendar() -> None:
    event = _event(
        title="Chapter 6; sampling, at last",
        description="Bring questions.\nAnd biscuits, please. " + "Long words " * 20,
        location="Library, room 2",
        link="https://meet.example/room",
        group_name="Stats Circle",
    )
    meeting = _event(key="meeting:stats-circle:2026-12-06", id=None, kind="meeting", link="")
    text = calendar([event, meeting], host="forum.example", stamp=STAMP)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(len(p.encode("utf-8")) <= 75 for p in text.split("\r\n"))
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    assert lines.count("BEGIN:VEVENT") == 2 and lines.count("END:VEVENT") == 2
    assert "UID:event:7@forum.example" in lines
    assert "UID:meeting:stats-circle:2026-12-06@forum.example" in lines
    assert lines.count("DTSTAMP:20261128T120000Z") == 2
    assert "DTSTART:20261202T173000Z" in lines and "DTEND:20261202T183000Z" in lines
    assert "SUMMARY:Chapter 6\\; sampling\\, at last" in lines
    assert "LOCATION:Library\\, room 2" in lines
    assert "URL:https://meet.example/room" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert description.startswith("DESCRIPTION:Bring questions.\\nAnd biscuits\\, please.")
    assert description.endswith("\\n\\nGroup: Stats Circle")


def test_an_empty_calendar_and_unsafe_links() -> None:
    assert unfold(calendar([], stamp=STAMP))[-2] == "END:VCALENDAR"
    text = calendar([_event(link="javascript:alert(1)")], stamp=STAMP)
    assert "URL:" not in text
