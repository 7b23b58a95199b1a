"""Rate limits per dependency: smoothed on aiolimiter, or a fixed window that refuses once spent."""
from __future__ import annotations

import math
import time
from typing import Callable

from aiolimiter import AsyncLimiter

from application.errors import DependencyUnavailable
from infrastructure.resilience.policies import RateSpec


class FixedWindowQuota:
    """`calls` per window aligned on the epoch (a UTC day for 86400 s). Spent: DependencyUnavailable
    until the next window, because waiting hours inside a job would hold a worker slot."""

    def __init__(self, name: str, spec: RateSpec, clock: Callable[[], float] = time.time):
        self.name = name
        self.spec = spec
        self._clock = clock
        self._window = -1
        self._used = 0

    async def acquire(self) -> None:
        now = self._clock()
        window = math.floor(now / self.spec.per_s)
        if window != self._window:
            self._window, self._used = window, 0
        if self._used >= self.spec.calls:
            retry_after = (window + 1) * self.spec.per_s - now
            raise DependencyUnavailable(self.name, f"quota of {self.spec.calls} calls per window spent",
                                        retry_after=retry_after)
        self._used += 1


class SmoothedLimit:
    def __init__(self, name: str, spec: RateSpec):
        self.name = name
        self._limiter = AsyncLimiter(spec.calls, spec.per_s)

    async def acquire(self) -> None:
        await self._limiter.acquire()


def rate_limit(name: str, spec: RateSpec):
    return FixedWindowQuota(name, spec) if spec.fixed_window else SmoothedLimit(name, spec)


class RecordRateLimit:
    """A synchronous token bucket for log records (logging handlers cannot await)."""

    def __init__(self, spec: RateSpec, clock: Callable[[], float] = time.monotonic):
        self.rate = spec.calls / spec.per_s
        self.capacity = float(spec.calls)
        self._tokens = self.capacity
        self._clock = clock
        self._last = clock()
        self.dropped = 0

    def allow(self) -> bool:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        self.dropped += 1
        return False
