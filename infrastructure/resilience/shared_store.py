"""Where account-wide limits and breakers live: the Redis every worker and agent process shares.

The quotas they protect (LiveKit 100 requests/min, OpenAI, Calendar's daily quota) are per
account, not per process. While Redis does not answer, each guard falls back to its
per-process limiter and breaker, and tries Redis again after `retry_after_s`.
"""
from __future__ import annotations

import functools
import inspect
import logging
import time
from typing import Any, Awaitable, Callable

log = logging.getLogger(__name__)

# Keys: docshield:guard:<dependency>:... (breaker state and faults); limits' keys under LIMITS:docshield:*.
KEY_PREFIX = "docshield:guard:"


@functools.cache
def down_errors() -> tuple[type[BaseException], ...]:
    """What says the shared Redis is down (`except down_errors():`). redis-py is imported here, once a shared
    store is in use, not by every command that imports the guards (about 0.1 s at start-up)."""
    import redis.exceptions

    return OSError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError


LIMITS_PREFIX = "LIMITS:docshield"


def blocking_limits_uri(url: str) -> str:
    """The synchronous `limits` storage URI for a redis-py URL (redis://, rediss://, unix://)."""
    if url.startswith("unix://"):
        return "redis+unix://" + url.removeprefix("unix://")
    return url


def limits_uri(url: str) -> str:
    """The `limits` storage URI (asyncio) for a redis-py URL (redis://, rediss://, unix://)."""
    return "async+" + blocking_limits_uri(url)


class SharedStore:
    """A lazily connected Redis for the guards of one process. `url` is the Redis URL or an
    awaitable-returning callable (the container's embedded Redis starts on first use)."""

    def __init__(self, url: str | Callable[[], Awaitable[str] | str], *, timeout_s: float = 0.5,
                 retry_after_s: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self._url = url
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s
        self._clock = clock
        self._redis: Any = None
        self._limits: Any = None
        self._blocking_limits: Any = None
        self._down_until = 0.0
        self.fallbacks = 0  # how many times a guard fell back to its per-process state

    @property
    def available(self) -> bool:
        return self._clock() >= self._down_until

    async def _resolve_url(self) -> str:
        if isinstance(self._url, str):
            return self._url
        url = self._url()
        return await url if inspect.isawaitable(url) else url

    async def redis(self):
        if self._redis is None:
            from redis.asyncio import Redis

            self._redis = Redis.from_url(await self._resolve_url(), socket_timeout=self.timeout_s,
                                         socket_connect_timeout=self.timeout_s)
        return self._redis

    async def limits_storage(self):
        if self._limits is None:
            from limits.aio.storage import RedisStorage

            self._limits = RedisStorage(limits_uri(await self._resolve_url()), implementation="redispy",
                                        key_prefix=LIMITS_PREFIX, socket_timeout=self.timeout_s,
                                        socket_connect_timeout=self.timeout_s)
        return self._limits

    def blocking_limits_storage(self):
        """The same windows for a thread that cannot await (the log shipper's flush thread); `url` a string."""
        if self._blocking_limits is None:
            if not isinstance(self._url, str):
                raise TypeError("a blocking limits storage needs the Redis URL itself")
            from limits.storage import RedisStorage

            self._blocking_limits = RedisStorage(blocking_limits_uri(self._url), key_prefix=LIMITS_PREFIX,
                                                 socket_timeout=self.timeout_s,
                                                 socket_connect_timeout=self.timeout_s)
        return self._blocking_limits

    def went_down(self, what: str, exc: BaseException) -> None:
        self.fallbacks += 1
        if self.available:
            log.warning("shared %s unavailable (%s): per-process limits and breakers for %.0f s",
                        what, type(exc).__name__, self.retry_after_s)
        self._down_until = self._clock() + self.retry_after_s

    async def aclose(self) -> None:
        client, self._redis = self._redis, None
        if client is not None:
            await client.aclose()
        storage, self._limits = self._limits, None
        if storage is not None:
            connection = getattr(storage, "storage", None)
            if connection is not None:
                await connection.aclose()
