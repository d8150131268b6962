"""Where Cohort keeps its files: the XDG folders, through platformdirs.

platformdirs honours XDG_DATA_HOME, XDG_CACHE_HOME and XDG_CONFIG_HOME on Linux, so
tests and users can move everything. Folders are created private (0700): they hold the
embedded forum's database, and later tokens and caches.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "cohort"


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
