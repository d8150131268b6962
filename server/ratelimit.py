"""Per-user token buckets; an empty bucket answers 429 with the seconds until the next token."""

from __future__ import annotations

import math
import time

from server.store.errors import StoreError


class RateLimited(StoreError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after))


class RateLimiter:
    """`per_minute` requests per key, with bursts up to the same number. 0 turns it off."""

    MAX_KEYS = 100_000

    def __init__(self, per_minute: int, what: str) -> None:
        self.per_minute = per_minute
        self.what = what
        self._buckets: dict[str, tuple[float, float]] = {}

    def hit(self, key: str) -> None:
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise RateLimited(
                f"too many {self.what}; at most {self.per_minute} a minute",
                retry_after=(1.0 - tokens) / rate,
            )
        if len(self._buckets) >= self.MAX_KEYS and key not in self._buckets:
            self._buckets.clear()  # a flood of new keys must not grow memory without end
        self._buckets[key] = (tokens - 1.0, now)
