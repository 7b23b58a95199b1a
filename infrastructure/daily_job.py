"""A job run once a day across every worker, outside ARQ.

ARQ sizes every job's in-progress lock from the slowest registered function,
crons included: a cron with an hour's timeout made each call's lock an hour
long, so a call whose worker died waited an hour. Daily work therefore runs
here, beside the worker, with its own timeout; a Redis key per day lets one
worker run it.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable

log = logging.getLogger(__name__)

DAILY_PREFIX = "docshield:daily:"


class DailyJob:
    def __init__(self, name: str, run: Callable[[], Awaitable[object]], redis, *, hour: int, minute: int,
                 timeout_s: float, owner: str, now: Callable[[], float] = time.time):
        self.name = name
        self.run = run
        self.redis = redis
        self.hour = hour
        self.minute = minute
        self.timeout_s = timeout_s
        self.owner = owner
        self.now = now

    def next_run(self) -> datetime:
        current = datetime.fromtimestamp(self.now(), timezone.utc)
        due = current.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        return due if due > current else due + timedelta(days=1)

    async def run_once(self, day: str) -> bool:
        """Run it for `day` unless another worker already has; True when this one ran it."""
        if not await self.redis.set(f"{DAILY_PREFIX}{self.name}:{day}", self.owner, nx=True, ex=2 * 86400):
            return False
        try:
            result = await asyncio.wait_for(self.run(), self.timeout_s)
            log.info("daily %s done: %s", self.name, result)
        except asyncio.TimeoutError:
            log.error("daily %s cut after %.0f s", self.name, self.timeout_s)
        except Exception:
            log.error("daily %s failed", self.name, exc_info=True)
        return True

    async def forever(self) -> None:
        while True:
            due = self.next_run()
            await asyncio.sleep(max(0.0, due.timestamp() - self.now()))
            try:
                await self.run_once(due.date().isoformat())
            except Exception:  # Redis away at that minute: tomorrow's run catches up the backlog
                log.warning("daily %s skipped", self.name, exc_info=True)
            await asyncio.sleep(1)
