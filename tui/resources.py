"""Find the stylesheets that ship with Cohort, installed or not (see
`tui.forum.paths.data_file`)."""

from __future__ import annotations

from pathlib import Path

from tui.forum.paths import data_file

__all__ = ["data_file", "stylesheet"]


def stylesheet() -> Path:
    return data_file("tui.styles", "styles", "cohort.tcss")
