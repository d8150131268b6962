"""Screenshots of the home and thread screens at 80x24 and 120x40, compared with the
SVG files committed under tests/snapshots/.

The forum is an in-memory `FakeBackend` built the same way every run, and its times are
set relative to the moment the test runs, well inside one unit of the compact ages the
screens show ("2h", "3d", "2w"), so the same "ago" text is drawn whenever the test runs.

A snapshot failing means the screen looks different. The message shows the difference
as text; the new screenshot is saved next to the test's temporary files to look at. When
the change is intended, rewrite the snapshots and review them like code:

    COHORT_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_snapshots.py

(open the .svg files in a browser to see them).
"""

from __future__ import annotations

import contextlib
import difflib
import html
import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fake_backend import FakeBackend
from tests.pilot import settle
from tui.app import CohortApp
from tui.forum.backend import ForumBackend
from widgets.topic_table import TopicTable

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE = os.environ.get("COHORT_UPDATE_SNAPSHOTS") == "1"
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

THREAD_RAW = """I keep getting `database is locked` when two scripts write at once.
What I tried:

- a longer `timeout=`
- WAL mode, see the [SQLite docs](https://sqlite.org/wal.html)

```python
conn = sqlite3.connect("notes.db", timeout=30)
conn.execute("PRAGMA journal_mode=WAL")
```
"""


def build_forum(now: datetime) -> tuple[FakeBackend, int]:
    """A small forum, the same every run; returns it and the topic the thread tests open."""
    forum = FakeBackend(username="me")
    qa = forum.add_category(
        "peer-qa",
        "Peer Q&A",
        description="One clear question per topic. Mark the reply that solved it.",
        guidelines="- Put the actual question in the title.\n- Show what you tried.",
        unread_topics=1,
    )
    study = forum.add_category(
        "study-groups", "Study Groups", description="Form a group, post weekly check-ins."
    )
    resources = forum.add_category(
        "resources", "Shared Resources", description="Courses, books and tools worth sharing."
    )

    def at(age: timedelta) -> None:
        forum._clock = now - age  # the next event happens then (plus a minute each)

    at(timedelta(days=400))
    welcome = forum.add_topic("Welcome to the forum: start here", category=study, username="maya")
    forum.topic_rows[welcome.id].pinned = True
    at(timedelta(days=45))
    forum.add_topic("Code of conduct", category=study, username="maya")
    at(timedelta(days=17, hours=12))
    forum.add_topic(
        "The Missing Semester of your CS education", category=resources, tags=("shell",)
    )
    at(timedelta(days=3, hours=12))
    closed = forum.add_topic("Forming: SQL for analysts, six weeks", category=study)
    forum.add_post(closed.id, "Count me in.", username="sofia")
    forum.topic_rows[closed.id].closed = True
    at(timedelta(days=1, hours=12))
    solved = forum.add_topic("GROUP BY month gives one row per day?", category=qa)
    answer = forum.add_post(solved.id, "Group by strftime('%Y-%m', day).", username="ben")
    forum.topic_rows[solved.id].solution_post_id = answer.id
    at(timedelta(hours=5, minutes=30))
    forum.add_topic("Pomodoro co-working this week: who's in?", category=study, username="ola")
    at(timedelta(hours=2, minutes=30))
    thread = forum.add_topic(
        "sqlite3: database is locked with two writers", THREAD_RAW, category=qa, username="sofia"
    )
    first = forum.add_post(
        thread.id, "Only one writer at a time: queue the writes.", username="ben", reply_to=1
    )
    forum.add_post(thread.id, "Which version of SQLite is it?", username="ola", reply_to=1)
    forum.add_post(
        thread.id, "> queue the writes\n\nThat fixed it, thank you!", username="sofia", reply_to=2
    )
    forum.add_post(thread.id, "Or one process owns the database.", username="maya", reply_to=2)
    forum.topic_rows[thread.id].solution_post_id = first.id
    forum.reactions_by_post[first.id] = {"like": {"sofia", "ola"}, "heart": {"maya"}}
    forum.read_marks[thread.id] = 2
    forum.read_marks[solved.id] = 2
    return forum, thread.id


def screen_text(svg: str) -> list[str]:
    """The characters of a screenshot, line by line (for a readable difference)."""
    cell = 12.2  # the width of one cell in Rich's SVG export
    lines: dict[int, dict[int, str]] = {}
    for match in re.finditer(
        r'<text[^>]* x="([\d.]+)"[^>]*clip-path="url\(#[\w-]+-line-(\d+)\)">([^<]*)</text>', svg
    ):
        x, line, text = float(match[1]), int(match[2]), html.unescape(match[3])
        lines.setdefault(line, {})[round(x / cell)] = text.replace("\xa0", " ")
    out = []
    for number in range(max(lines, default=-1) + 1):
        row = ""
        for column, text in sorted(lines.get(number, {}).items()):
            row = row.ljust(column) + text
        out.append(row.rstrip())
    return out


def assert_snapshot(name: str, svg: str, tmp_path: Path) -> None:
    expected_file = SNAPSHOTS / f"{name}.svg"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        expected_file.write_text(svg, encoding="utf-8")
        return
    assert expected_file.exists(), f"no snapshot {expected_file.name}: see this module's doc"
    expected = expected_file.read_text(encoding="utf-8")
    if svg == expected:
        return
    actual_file = tmp_path / f"{name}.svg"
    actual_file.write_text(svg, encoding="utf-8")
    diff = "\n".join(
        difflib.unified_diff(
            screen_text(expected), screen_text(svg), "expected", "actual", lineterm=""
        )
    )
    raise AssertionError(
        f"{name} looks different (new screenshot: {actual_file}).\n"
        f"{diff or 'Same characters: only colours or styles differ.'}"
    )


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The look must not depend on the developer's terminal settings."""
    for name in list(os.environ):
        if name.startswith("TEXTUAL") or name in ("NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name)


def make_app(tmp_path: Path) -> tuple[CohortApp, int]:
    forum, topic_id = build_forum(datetime.now(UTC))

    @contextlib.asynccontextmanager
    async def serve() -> AsyncIterator[ForumBackend]:
        yield forum

    return CohortApp(serve, source="study forum", cache_file=tmp_path / "cache.db"), topic_id


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("size", SIZES)
async def test_home_snapshot(size: tuple[int, int], tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("tab", "j", "j")
        await settle(pilot)
        assert_snapshot(f"home_{size[0]}x{size[1]}", app.export_screenshot(), tmp_path)


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("size", SIZES)
async def test_thread_snapshot(size: tuple[int, int], tmp_path: Path) -> None:
    app, topic_id = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        topics = [t.id for t in app.home.query_one(TopicTable).topics]
        await pilot.press(*["j"] * topics.index(topic_id), "enter")
        await settle(pilot)
        assert app.screen is not app.home, "the thread opened"
        await pilot.press("j")
        await settle(pilot)
        assert_snapshot(f"thread_{size[0]}x{size[1]}", app.export_screenshot(), tmp_path)


def test_screen_text_reads_a_screenshot_back() -> None:
    # The difference shown on failure is only useful if the reading is right.
    line = '<text class="r1" x="{}" y="0" clip-path="url(#t-line-{})">{}</text>'
    svg = line.format(0, 0, "ab") + line.format(36.6, 0, "c") + line.format(0, 1, "&#160;&lt;")
    assert screen_text(svg) == ["ab c", " <"]
