"""Find the data files that ship with Cohort, installed or not.

A wheel carries styles/ as the package `tui.styles` (see pyproject.toml), where
`importlib.resources` finds it; a checkout run in place has it as `styles/` beside `tui/`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def data_file(package: str, folder: str, name: str) -> Path:
    """`name` inside the data package `package`, else inside the repository's `folder`."""
    try:
        found = resources.files(package).joinpath(name)
    except ModuleNotFoundError:
        found = None
    if isinstance(found, Path) and found.is_file():
        return found
    return REPOSITORY / folder / name


def stylesheet() -> Path:
    return data_file("tui.styles", "styles", "cohort.tcss")
