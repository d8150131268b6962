"""Where Cohort keeps its files: the XDG folders, through platformdirs, and the data
files it ships.

platformdirs honours XDG_DATA_HOME, XDG_CACHE_HOME and XDG_CONFIG_HOME on Linux, so
tests and users can move everything. Folders are created private (0700): they hold the
embedded forum's database, and later tokens and caches.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "cohort"
PACKAGE = Path(__file__).resolve().parent.parent  # tui/
REPOSITORY = PACKAGE.parent


def data_file(package: str, folder: str, name: str) -> Path:
    """`name` in the data package `package` ("tui.styles": a wheel carries styles/ and
    config/ as tui/styles and tui/config, see pyproject.toml), else, in a checkout, in
    the repository's `folder`. Plain files are looked for first, so a start needs no
    importlib.resources (some 8 ms); it is asked only for an unusual installation."""
    installed = PACKAGE.joinpath(*package.split(".")[1:], name)
    checkout = REPOSITORY / folder / name
    for candidate in (installed, checkout):
        if candidate.is_file():
            return candidate
    from importlib import resources

    try:
        found = resources.files(package).joinpath(name)
    except ModuleNotFoundError:
        return checkout
    return found if isinstance(found, Path) and found.is_file() else checkout


def _private(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def data_dir() -> Path:
    return _private(platformdirs.user_data_path(APP, appauthor=False))


def cache_dir() -> Path:
    return _private(platformdirs.user_cache_path(APP, appauthor=False))


def config_dir() -> Path:
    return _private(platformdirs.user_config_path(APP, appauthor=False))


def embedded_db_path() -> Path:
    """The database of the embedded (local, in-process) forum."""
    return data_dir() / "forum.db"
