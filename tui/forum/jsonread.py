"""Reading untrusted JSON into typed, sanitised values.

Every backend maps a forum's JSON into models through these functions: they check the
type of each field (a wrong one raises `BadData`, never a crash further in) and run every
string through the one sanitiser.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tui.forum.sanitize import clean, clean_line

_MISSING: Any = object()


class BadData(ValueError):
    """The forum's JSON did not have the shape the client expects."""


def _get(data: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        name = getattr(kind, "__name__", str(kind))
        raise BadData(f"{key!r} should be {name}, got {value!r:.40}")
    return value


def as_int(data: dict[str, Any], key: str, default: int | None = None) -> int:
    if default is not None and data.get(key) is None:
        return default
    value: int = _get(data, key, int)
    return value


def as_opt_int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadData(f"{key!r} should be an integer or null, got {value!r:.40}")
    return value


def as_bool(data: dict[str, Any], key: str) -> bool:
    return bool(data.get(key))


def as_line(data: dict[str, Any], key: str, default: str | None = None) -> str:
    """A one-line string (title, name): sanitised, line breaks folded to spaces."""
    if default is not None and data.get(key) is None:
        return default
    return clean_line(_get(data, key, str))


def as_opt_line(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return clean_line(value) if isinstance(value, str) else None


def as_text(data: dict[str, Any], key: str) -> str:
    """A multi-line string (a post body, a description), sanitised; "" when absent."""
    value = data.get(key)
    return clean(value) if isinstance(value, str) else ""


def as_opt_text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return clean(value) if isinstance(value, str) else None


def parse_time(raw: str) -> datetime:
    try:
        when = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise BadData(f"not an ISO time: {raw!r:.40}") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def as_time(data: dict[str, Any], key: str) -> datetime:
    return parse_time(_get(data, key, str))


def as_opt_time(data: dict[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    return parse_time(value) if isinstance(value, str) and value else None


def as_list(data: dict[str, Any], key: str, *, required: bool = True) -> list[Any]:
    value = data.get(key)
    if value is None and not required:
        return []
    return list(_get(data, key, list))


def as_dicts(data: dict[str, Any], key: str, *, required: bool = True) -> list[dict[str, Any]]:
    items = as_list(data, key, required=required)
    for item in items:
        if not isinstance(item, dict):
            raise BadData(f"{key!r} should hold objects, got {item!r:.40}")
    return items


def as_lines(data: dict[str, Any], key: str) -> tuple[str, ...]:
    """A list of strings (tags, group names); non-strings are skipped."""
    value = data.get(key) or []
    if not isinstance(value, list):
        raise BadData(f"{key!r} should be a list, got {value!r:.40}")
    return tuple(clean_line(v) for v in value if isinstance(v, str))


def clean_json(value: Any, depth: int = 0) -> Any:
    """A copy of free-form JSON (a change's data, a MessageBus payload) with every string
    sanitised; what nests too deep or is not JSON becomes None."""
    if isinstance(value, str):
        return clean(value)
    if depth > 16:
        return None
    if isinstance(value, list):
        return [clean_json(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {clean_line(str(k)): clean_json(v, depth + 1) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float):
        return value
    return None
