"""Errors the store raises; the HTTP layer turns each into its status and JSON body."""

from __future__ import annotations


class StoreError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class Invalid(StoreError):
    status = 400
    code = "invalid"


class Unauthorized(StoreError):
    status = 401
    code = "unauthorized"


class Forbidden(StoreError):
    status = 403
    code = "forbidden"


class NotFound(StoreError):
    status = 404
    code = "not_found"


class Conflict(StoreError):
    status = 409
    code = "conflict"


class StaleVersion(StoreError):
    status = 412
    code = "stale_version"

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


class CursorExpired(StoreError):
    status = 410
    code = "cursor_expired"


class Unprocessable(StoreError):
    status = 422
    code = "unprocessable"
