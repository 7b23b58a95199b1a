"""Wrap any port adapter so its public async methods run under a DependencyGuard."""
from __future__ import annotations

import functools
import inspect
from typing import Any, Iterable

from infrastructure.resilience.guard import DependencyGuard
from infrastructure.resilience.shared_breaker import SharedCircuitBreaker
from infrastructure.resilience.shared_rate_limits import SharedRateLimit
from infrastructure.resilience.shared_store import SharedStore


class Resilient:
    """A stand-in for `target`: the same attributes, with every public coroutine method guarded.

    `no_retry` names methods that are guarded (breaker, rate limit) but never
    retried here, e.g. a call line's `conduct`: a phone call is not idempotent.
    `no_limit` names methods that skip the rate limit because the adapter spends it per
    request itself (the LiveKit call line's `pace`).
    `only`, when given, limits guarding to those methods.
    """

    def __init__(self, target: Any, guard: DependencyGuard, *, no_retry: Iterable[str] = (),
                 only: Iterable[str] | None = None, no_limit: Iterable[str] = ()):
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_guard", guard)
        object.__setattr__(self, "_no_retry", frozenset(no_retry))
        object.__setattr__(self, "_no_limit", frozenset(no_limit))
        object.__setattr__(self, "_only", frozenset(only) if only is not None else None)
        object.__setattr__(self, "_wrapped", {})

    @property
    def __class__(self):  # noqa: D105 - isinstance(proxy, S3Artifacts) stays true for callers that check
        return type(self._target)

    @property
    def guard(self) -> DependencyGuard:
        return self._guard

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if name.startswith("_") or not inspect.iscoroutinefunction(value):
            return value
        if self._only is not None and name not in self._only:
            return value
        cached = self._wrapped.get(name)
        if cached is None:
            retry, limit = name not in self._no_retry, name not in self._no_limit

            @functools.wraps(value)
            async def guarded(*args: Any, **kwargs: Any) -> Any:
                return await self._guard.call(getattr(self._target, name), *args, retry=retry, limit=limit,
                                              **kwargs)

            cached = self._wrapped[name] = guarded
        return cached

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def __repr__(self) -> str:
        return f"Resilient({self._target!r}, policy={self._guard.name!r})"


# Dependencies whose quotas and health are the account's, not one process's: their rate limits
# and breakers live in the shared store when there is one. (A breaker about Redis cannot live in it.)
ACCOUNT_WIDE = frozenset({"livekit", "openai", "calendar", "s3"})


class Guards:
    """One DependencyGuard per dependency name, shared by every adapter of that dependency
    (so the S3 breaker sees the faults of every S3 call in this process). With a `shared`
    store, the ACCOUNT_WIDE ones limit and break for every process on that Redis."""

    def __init__(self, config, *, on_breaker_change=None, on_retry=None, shared: SharedStore | None = None):
        self.config = config
        self._on_breaker_change = on_breaker_change
        self._on_retry = on_retry
        self.shared = shared
        self._guards: dict[str, DependencyGuard] = {}

    def __getitem__(self, name: str) -> DependencyGuard:
        guard = self._guards.get(name)
        if guard is None:
            guard = self._guards[name] = DependencyGuard(self.config.policy(name),
                                                         on_breaker_change=self._on_breaker_change,
                                                         on_retry=self._on_retry)
            if self.shared is not None and name in ACCOUNT_WIDE:
                if guard.limit is not None:
                    guard.limit = SharedRateLimit(name, guard.policy.rate, self.shared, guard.limit)
                if guard.breaker is not None:
                    guard.breaker = SharedCircuitBreaker(name, guard.policy.breaker, self.shared, guard.breaker,
                                                         on_change=self._on_breaker_change)
        return guard

    def wrap(self, target: Any, name: str, *, no_retry: Iterable[str] = (), only: Iterable[str] | None = None,
             no_limit: Iterable[str] = ()):
        return Resilient(target, self[name], no_retry=no_retry, only=only, no_limit=no_limit)

    def pace(self, name: str):
        """The rate limit of `name` as an awaitable to call per request, or None when it has none."""
        limit = self[name].limit
        return limit.acquire if limit is not None else None
