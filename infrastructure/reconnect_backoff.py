"""Backoff for outages of Redis and MongoDB: the seed's five quick tries, then a steady pace, forever.

An outage is logged once when it starts, once when the quick tries are spent and
once when it ends; never a line per try.
"""
from __future__ import annotations

import asyncio
import logging
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("docshield.worker")

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)
FIRST_DELAY_S = 0.5
QUICK_TRIES = 5
SLOW_DELAY_S = 10.0


class Backoff:
    """Delays for one outage; logs its start once and its end once."""

    def __init__(self, what: str):
        self.what = what
        self.failures = 0
        self.since = 0.0

    def delay(self) -> float:
        if self.failures < QUICK_TRIES:
            return FIRST_DELAY_S * 2 ** self.failures
        return SLOW_DELAY_S

    def failed(self, exc: BaseException) -> float:
        """Note one failure (logging only the outage's start and the end of the quick tries); the delay to wait."""
        if self.failures == 0:
            self.since = time.monotonic()
            log.warning("%s failed (%s: %s); retrying with backoff, the worker stays up", self.what,
                        type(exc).__name__, str(exc)[:200])
        elif self.failures == QUICK_TRIES:
            log.warning("%s still failing after %d tries; still trying", self.what, QUICK_TRIES)
        delay = self.delay()
        self.failures += 1
        return delay

    async def wait(self, exc: BaseException) -> None:
        await asyncio.sleep(self.failed(exc))

    def ok(self) -> None:
        if self.failures:
            log.warning("%s works again after %.1f s", self.what, time.monotonic() - self.since)
        self.failures = 0
