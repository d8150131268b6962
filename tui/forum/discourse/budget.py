"""How many requests a Discourse forum lets us make, shared by every call of one account.

Discourse limits User API keys to 20 requests a minute and 2,880 a day
(`max_user_api_reqs_per_minute`, `max_user_api_reqs_per_day`), admin API keys to 60 a
minute, and every client to a few hundred a minute per IP address. Its `RateLimiter`
counts requests in a sliding window: the (N+1)th request within any `window` seconds is
refused. A token bucket that lets a burst through and then refills would exceed that, so
`RequestBudget` keeps the same sliding window on our side and makes a caller wait (never
fail) until a request fits, with a small margin for the network. After a 429 the forum
says how long to stop; `hold()` pauses every caller for that long.

The clock and sleep are injectable, so tests run on a fake clock and take no time.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

MINUTE = 60.0
DAY = 86_400.0
USER_KEY_PER_MINUTE = 20  # Discourse's max_user_api_reqs_per_minute
USER_KEY_PER_DAY = 2_880  # Discourse's max_user_api_reqs_per_day
ADMIN_KEY_PER_MINUTE = 60  # Discourse's max_admin_api_reqs_per_minute
ANONYMOUS_PER_MINUTE = 60  # well under the per-IP limits (200 a minute, 50 in 10 seconds)
MARGIN = 1.0  # seconds added to each window: requests arrive later than they leave


@dataclass
class _Window:
    """At most `limit` requests in any `seconds`."""

    limit: int
    seconds: float
    sent: deque[float]

    def wait(self, now: float, margin: float) -> float:
        """Seconds until one more request fits (0 when it fits now)."""
        while self.sent and now - self.sent[0] >= self.seconds + margin:
            self.sent.popleft()
        if len(self.sent) < self.limit:
            return 0.0
        return self.sent[0] + self.seconds + margin - now


class RequestBudget:
    """A sliding-window request budget shared by all of one account's calls.

    `acquire()` waits until a request may be sent and counts it; it never lets more than
    the limit through. Pass `per_minute=None` for no per-minute limit.
    """

    def __init__(
        self,
        per_minute: int | None = USER_KEY_PER_MINUTE,
        *,
        per_day: int | None = None,
        margin: float = MARGIN,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._windows = [
            _Window(limit, seconds, deque())
            for limit, seconds in ((per_minute, MINUTE), (per_day, DAY))
            if limit is not None
        ]
        for window in self._windows:
            if window.limit < 1:
                raise ValueError("a request budget must allow at least one request")
        self.per_minute = per_minute
        self.per_day = per_day
        self.margin = margin
        self._clock = clock
        self._sleep = sleep
        self._hold_until = float("-inf")
        self._lock: asyncio.Lock | None = None
        self.waited = 0.0  # seconds spent waiting, all callers together (for a status line)

    @classmethod
    def for_kind(
        cls,
        kind: str | None,
        *,
        margin: float = MARGIN,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> RequestBudget:
        """The budget Discourse gives a credential kind: "user_api_key", "api_key", or None
        for anonymous reading."""
        per_minute, per_day = ANONYMOUS_PER_MINUTE, None
        if kind == "user_api_key":
            per_minute, per_day = USER_KEY_PER_MINUTE, USER_KEY_PER_DAY
        elif kind == "api_key":
            per_minute = ADMIN_KEY_PER_MINUTE
        return cls(per_minute, per_day=per_day, margin=margin, clock=clock, sleep=sleep)

    def _wait(self, now: float) -> float:
        wait = max(0.0, self._hold_until - now)
        for window in self._windows:
            wait = max(wait, window.wait(now, self.margin))
        return wait

    async def acquire(self) -> None:
        """Wait until one more request is allowed, then count it as sent."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one waiter at a time: requests go out in order
            while True:
                now = self._clock()
                wait = self._wait(now)
                if wait <= 0:
                    for window in self._windows:
                        window.sent.append(now)
                    return
                self.waited += wait
                await self._sleep(wait)

    def hold(self, seconds: float) -> None:
        """Send nothing for `seconds` (the forum answered 429 and said how long)."""
        if seconds > 0:
            self._hold_until = max(self._hold_until, self._clock() + seconds)

    def ready_in(self) -> float:
        """Seconds until a request could go out now (0 when it could)."""
        return self._wait(self._clock())
