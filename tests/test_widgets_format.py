"""Display helpers: compact ages, title marks with an ASCII fallback, theme-only styles."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tui.app import CohortApp
from tui.resources import stylesheet
from widgets.formatting import ASCII_MARKS, UNICODE_MARKS, ago, marks_for

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=-30), "now"),  # a clock slightly ahead of ours
        (timedelta(seconds=59), "now"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=59, seconds=59), "59m"),
        (timedelta(hours=3), "3h"),
        (timedelta(days=2), "2d"),
        (timedelta(days=6, hours=23), "6d"),
        (timedelta(days=7), "1w"),
        (timedelta(days=29), "4w"),
        (timedelta(days=45), "1mo"),
        (timedelta(days=364), "12mo"),
        (timedelta(days=365 * 3), "3y"),
    ],
)
def test_ago(delta: timedelta, expected: str) -> None:
    assert ago(NOW - delta, NOW) == expected
    assert len(expected) <= 4


def test_marks_fall_back_to_ascii() -> None:
    assert marks_for("utf-8") == UNICODE_MARKS
    assert marks_for("ascii") == ASCII_MARKS
    assert marks_for("latin-1") == ASCII_MARKS
    assert marks_for(None) == ASCII_MARKS
    assert marks_for("no-such-codec") == ASCII_MARKS
    assert all(mark.isascii() for mark in ASCII_MARKS)


def test_the_app_finds_its_stylesheet() -> None:
    assert stylesheet().is_file()
    assert stylesheet() == CohortApp.CSS_PATH


COLOUR_PROPERTY = re.compile(
    r"(^|-)(color|background|tint)$|^(border|outline)(-(top|right|bottom|left))?$"
)


@pytest.mark.parametrize("path", sorted((ROOT / "styles").glob("*.tcss")), ids=lambda p: p.name)
def test_styles_use_theme_variables_not_literal_colours(path: Path) -> None:
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    declarations = re.findall(r"([\w-]+)\s*:\s*([^;{}]*);", text)
    colours = [
        (name, value.strip()) for name, value in declarations if COLOUR_PROPERTY.search(name)
    ]
    assert colours, "no colour declarations found"
    bad = [
        f"{name}: {value}"
        for name, value in colours
        if "$" not in value and value not in ("none", "transparent", "hidden")
    ]
    assert not bad, bad
    assert not re.search(
        r"#[0-9a-fA-F]{3,8}\b|\b(rgb|rgba|hsl|hsla)\(", " ".join(v for _, v in colours)
    )
