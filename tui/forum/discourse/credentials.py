"""Who the client is on a Discourse forum: a User API key, or an admin API key.

A User API key (what an end user gets by approving Cohort on the forum) travels as
`User-Api-Key` with the `User-Api-Client-Id` it was issued to; an admin's API key as
`Api-Key` with the `Api-Username` to act as. Nothing here is ever written to the config:
the secrets store keeps the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CredentialKind = Literal["user_api_key", "api_key"]


@dataclass(frozen=True)
class DiscourseCredentials:
    kind: CredentialKind
    key: str = field(repr=False)  # a secret: never in a repr, a log line or an error
    client_id: str | None = None
    username: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("user_api_key", "api_key"):
            raise ValueError(f"unknown Discourse credential kind {self.kind!r}")
        if not self.key:
            raise ValueError("a Discourse API key cannot be empty")
        if self.kind == "api_key" and not self.username:
            raise ValueError("an admin API key needs the username to act as (Api-Username)")
        for value in (self.key, self.client_id or "", self.username or ""):
            if any(c in value for c in "\r\n\0"):
                raise ValueError("a Discourse credential cannot hold line breaks")

    def headers(self) -> dict[str, str]:
        """The request headers that authenticate as this account."""
        if self.kind == "user_api_key":
            headers = {"User-Api-Key": self.key}
            if self.client_id:
                headers["User-Api-Client-Id"] = self.client_id
            return headers
        return {"Api-Key": self.key, "Api-Username": self.username or ""}

    @property
    def is_user_key(self) -> bool:
        """User API keys are rate limited per user; admin keys are not (as tightly)."""
        return self.kind == "user_api_key"
