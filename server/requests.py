"""Reading requests safely: bounded bodies, JSON objects, typed fields, query parameters."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from starlette.requests import Request

from server.store.errors import Invalid, StoreError

T = TypeVar("T")

# SQLite integers are 64-bit; a bigger number from a client is refused, not an OverflowError.
MAX_INT = 2**63 - 1
MIN_INT = -(2**63)


class PayloadTooLarge(StoreError):
    status = 413
    code = "payload_too_large"


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing anything over `limit` bytes before it is all in memory."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError as exc:
            raise Invalid("Content-Length is not a number", code="invalid_header") from exc
        if size > limit:
            raise PayloadTooLarge(f"request body is {size} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(f"request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_object(body: bytes) -> dict[str, Any]:
    if not body:
        raise Invalid("request body must be a JSON object", code="invalid_json")
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise Invalid(f"request body is not valid JSON: {exc}", code="invalid_json") from exc
    if not isinstance(value, dict):
        raise Invalid("request body must be a JSON object", code="invalid_json")
    for name, item in value.items():
        # Every string, nested or not, must be storable: SQLite cannot encode a lone
        # surrogate, and a field the handler does not check itself would become a 500.
        if not _is_text(name) or not _is_text(item):
            raise Invalid(
                f"field {name} contains a lone surrogate, which is not Unicode text",
                code="invalid_field",
            )
    return value


def _is_text(value: Any) -> bool:
    """No lone surrogate in any string inside `value` (iterative: nesting can be deep)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
    return True


def _check_text(name: str, value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Invalid(
            f"{name} contains a lone surrogate, which is not Unicode text", code="invalid_field"
        ) from exc
    return value


def field(body: dict[str, Any], name: str, kind: type[T], *, required: bool = True) -> T | None:
    """A field of the given JSON type; 400 naming the field when it is missing or wrong."""
    if name not in body or body[name] is None:
        if required:
            raise Invalid(f"missing field: {name}", code="missing_field")
        return None
    value = body[name]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise Invalid(f"field {name} must be an integer", code="invalid_field")
    if kind is int and not MIN_INT <= value <= MAX_INT:
        raise Invalid(f"field {name} is out of range", code="invalid_field")
    if not isinstance(value, kind):
        raise Invalid(f"field {name} must be {_type_name(kind)}", code="invalid_field")
    if isinstance(value, str):
        _check_text(name, value)
    return value


def str_list(body: dict[str, Any], name: str) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"field {name} must be a list of strings", code="invalid_field")
    return [_check_text(name, v) for v in value]


def _type_name(kind: type) -> str:
    return {
        str: "a string",
        int: "an integer",
        bool: "true or false",
        list: "a list",
        dict: "an object",
    }.get(kind, kind.__name__)


def query_int(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise Invalid(f"query parameter {name} must be an integer", code="invalid_field") from exc
    if not MIN_INT <= value <= MAX_INT:
        raise Invalid(f"query parameter {name} is out of range", code="invalid_field")
    return value


def query_ids(request: Request, name: str) -> list[int] | None:
    raw = request.query_params.getlist(name)
    if not raw:
        return None
    ids: list[int] = []
    for part in ",".join(raw).split(","):
        if part.strip():
            try:
                ids.append(int(part))
            except ValueError as exc:
                raise Invalid(
                    f"query parameter {name} must be comma-separated integers", code="invalid_field"
                ) from exc
    return ids


def path_int(request: Request, name: str) -> int:
    return int(request.path_params[name])
