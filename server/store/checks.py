"""Checking the fields of a request body inside the store, so the HTTP API, the admin
commands and the sample seed all get the same 400 naming the field at fault."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from server.store.errors import Invalid

MAX_URL = 2048


def text(
    fields: dict[str, Any], name: str, limit: int, *, required: bool = False, default: str = ""
) -> str:
    """A string field of at most `limit` characters; `required` ones must not be blank."""
    value = fields.get(name)
    if value is None:
        if required:
            raise Invalid(f"missing field: {name}", code="missing_field")
        return default
    if not isinstance(value, str):
        raise Invalid(f"field {name} must be a string", code="invalid_field")
    if required and not value.strip():
        raise Invalid(f"field {name} must not be empty", code="invalid_field")
    if len(value) > limit:
        raise Invalid(f"field {name} must be at most {limit} characters", code="invalid_field")
    if "\x00" in value:
        raise Invalid(f"field {name} must not contain NUL", code="invalid_field")
    return value


def web_link(value: Any, name: str) -> str:
    """An http(s) URL, or '' for none."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise Invalid(f"field {name} must be a string", code="invalid_field")
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or len(value) > MAX_URL
        or any(c.isspace() or ord(c) < 32 for c in value)
    ):
        raise Invalid(f"field {name} must be an http or https URL", code="invalid_field")
    return value


def integer(
    fields: dict[str, Any], name: str, low: int, high: int, *, default: int | None = None
) -> int | None:
    value = fields.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"field {name} must be an integer from {low} to {high}", code="invalid_field")
    return value


def flag(fields: dict[str, Any], name: str) -> bool | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise Invalid(f"field {name} must be true or false", code="invalid_field")
    return value


def string_list(fields: dict[str, Any], name: str, most: int) -> list[str] | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"field {name} must be a list of strings", code="invalid_field")
    if len(value) > most:
        raise Invalid(f"field {name} holds at most {most}", code="invalid_field")
    return value


def no_controls(value: str) -> bool:
    """True when `value` has no control characters (a role or a tag is one short line)."""
    return not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value)
