"""Rate limits for the whole account, on `limits`' Redis-backed windows.

Smoothed limits (LiveKit, OpenAI) use a moving window: at most `calls` in any `per_s` seconds,
across every process; a caller over it waits until the oldest call leaves the window. Quotas
(`fixed_window`, Calendar's daily quota) count in windows aligned on the epoch (a UTC day) and
refuse once spent (DependencyUnavailable until the next window), as the per-process quota does.
"""
from __future__ import annotations

import asyncio
import math
import time
from typing import Awaitable, Callable

from application.errors import DependencyUnavailable
from infrastructure.resilience.policies import RateSpec
from infrastructure.resilience.shared_store import SharedStore, down_errors


def rate_item(spec: RateSpec):
    """The `limits` item for `spec`, or None: limits counts whole seconds, so a window shorter than one
    second stays per process."""
    from limits import RateLimitItemPerSecond

    return RateLimitItemPerSecond(spec.calls, round(spec.per_s), namespace="docshield") if spec.per_s >= 1 else None


class SharedRateLimit:
    """`local` (the per-process limiter) is used while Redis does not answer."""

    def __init__(self, name: str, spec: RateSpec, store: SharedStore, local, *,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.name = name
        self.spec = spec
        self.store = store
        self.local = local
        self._clock = clock
        self._sleep = sleep
        self._item = rate_item(spec)
        self._limiter = None

    async def acquire(self) -> None:
        if self._item is None or not self.store.available:
            return await self.local.acquire()
        try:
            if self.spec.fixed_window:
                return await self._spend_quota()
            return await self._wait_for_room()
        except down_errors() as exc:
            self.store.went_down("rate limits", exc)
            return await self.local.acquire()

    async def _strategy(self):
        if self._limiter is None:
            from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

            kind = FixedWindowRateLimiter if self.spec.fixed_window else MovingWindowRateLimiter
            self._limiter = kind(await self.store.limits_storage())
        return self._limiter

    async def _spend_quota(self) -> None:
        limiter = await self._strategy()
        now = self._clock()
        window = math.floor(now / self.spec.per_s)
        if not await limiter.hit(self._item, self.name, str(window)):
            raise DependencyUnavailable(self.name, f"quota of {self.spec.calls} calls per window spent "
                                                   f"(all workers)", retry_after=(window + 1) * self.spec.per_s - now)

    async def _wait_for_room(self) -> None:
        limiter = await self._strategy()
        while not await limiter.hit(self._item, self.name):
            stats = await limiter.get_window_stats(self._item, self.name)
            # reset_time: when the oldest call in the window leaves it (epoch seconds).
            await self._sleep(min(max(stats.reset_time - self._clock(), 0.01), self.spec.per_s))
