"""Server settings: defaults, an optional TOML file, then command-line flags."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_REACTIONS = ["like", "+1", "clap", "tada", "laughing", "thinking", "eyes"]


@dataclass
class Settings:
    site_name: str = "Cohort"
    anonymous_read: bool = False  # read public categories without logging in
    max_body_bytes: int = 256 * 1024
    write_rate: int = 60  # creates and edits per user per minute; 0 turns the limit off
    read_rate: int = 1200  # requests per user (or address) per minute; 0 turns it off
    login_rate: int = 10  # password attempts per address and username per minute
    keep_changes: int = 100_000  # change-feed entries kept; older cursors get 410
    max_wait: float = 60.0  # longest long-poll on /changes, in seconds
    reactions: list[str] = field(default_factory=lambda: list(DEFAULT_REACTIONS))

    @classmethod
    def from_toml(cls, path: Path) -> Settings:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"{path}: {exc}") from exc
        return cls.from_mapping(data.get("server", data), source=str(path))

    @classmethod
    def from_mapping(cls, data: dict[str, Any], *, source: str = "settings") -> Settings:
        settings = cls()
        known = {f.name: f for f in fields(cls)}
        for key, value in data.items():
            if key not in known:
                raise SettingsError(f"{source}: unknown key {key!r}")
            default = getattr(settings, key)
            if isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, int):
                ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            elif isinstance(default, float):
                ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
            elif isinstance(default, list):
                ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
            else:
                ok = isinstance(value, str)
            if not ok:
                raise SettingsError(f"{source}: {key} must be like {default!r}, got {value!r}")
            setattr(settings, key, value)
        if "like" not in settings.reactions:
            raise SettingsError(f"{source}: reactions must include 'like'")
        return settings


class SettingsError(ValueError):
    pass
