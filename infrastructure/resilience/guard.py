"""One dependency's guard: rate limit, then breaker, then the call, retried on tenacity."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, TypeVar

from tenacity import AsyncRetrying, RetryCallState

from application.errors import TransientFault
from infrastructure.resilience.breaker import CircuitBreaker
from infrastructure.resilience.fault_kinds import FaultKind, classify
from infrastructure.resilience.policies import DependencyPolicy, RetrySpec
from infrastructure.resilience.rate_limits import rate_limit

log = logging.getLogger(__name__)
T = TypeVar("T")
# Told of each retry as it starts: (dependency, the fault, retry number, retries allowed, seconds before it).
RetryNotice = Callable[[str, BaseException, int, int, float], None]


class DependencyGuard:
    """Runs calls to one dependency under its policy.

    Promises: a 4xx or a non-dependency error passes through at once, untouched;
    5xx, timeouts and network errors are retried per the policy, then raised as
    TransientFault (the original kept as __cause__); an open breaker raises
    DependencyUnavailable(retry_after=...) without calling the dependency.
    """

    def __init__(self, policy: DependencyPolicy, *, on_breaker_change: Callable[[str, str], None] | None = None,
                 sleep: Callable[[float], Awaitable[None]] | None = None, on_retry: RetryNotice | None = None):
        self.policy = policy
        self.on_retry = on_retry
        self.name = policy.name
        self.breaker = CircuitBreaker(policy.name, policy.breaker, on_change=on_breaker_change) \
            if policy.breaker else None
        self.limit = rate_limit(policy.name, policy.rate) if policy.rate else None
        self._sleep = sleep
        self.retries_made = 0

    def _spec_for(self, exc: BaseException | None) -> RetrySpec | None:
        kind = classify(exc) if exc is not None else FaultKind.OTHER
        return {FaultKind.TIMEOUT: self.policy.on_timeout, FaultKind.NETWORK: self.policy.on_network,
                FaultKind.SERVER: self.policy.on_server_error}.get(kind)

    def _stop(self, state: RetryCallState) -> bool:
        spec = self._spec_for(state.outcome.exception())
        return spec is None or state.attempt_number > spec.retries

    def _wait(self, state: RetryCallState) -> float:
        spec = self._spec_for(state.outcome.exception())
        return spec.delay_before(state.attempt_number) if spec else 0.0

    def _retryable(self, exc: BaseException) -> bool:
        return self._spec_for(exc) is not None

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries_made += 1
        exc = state.outcome.exception()
        log.warning("%s: %s (%s); retry %d in %.1f s", self.name, type(exc).__name__, classify(exc).value,
                    state.attempt_number, state.upcoming_sleep)
        if self.on_retry is not None:
            spec = self._spec_for(exc)
            self.on_retry(self.name, exc, state.attempt_number, spec.retries if spec else 0, state.upcoming_sleep)

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any, retry: bool = True, limit: bool = True,
                   **kwargs: Any) -> T:
        options: dict[str, Any] = dict(
            stop=self._stop if retry else (lambda state: True), wait=self._wait, reraise=True,
            retry=_RetryIf(self._retryable), before_sleep=self._before_sleep)
        if self._sleep is not None:
            options["sleep"] = self._sleep
        try:
            async for attempt in AsyncRetrying(**options):
                with attempt:
                    return await self._once(fn, *args, limit=limit, **kwargs)
        except TransientFault:
            raise
        except Exception as exc:
            if classify(exc).counts_against_dependency:
                spec = self._spec_for(exc)
                # The job's next try waits what one more retry here would have waited.
                hint = spec.delay_before(spec.retries + 1) if spec and retry else None
                raise TransientFault(self.name, f"{type(exc).__name__}: {exc}"[:300], retry_after=hint or None) from exc
            raise
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def _once(self, fn: Callable[..., Awaitable[T]], *args: Any, limit: bool = True, **kwargs: Any) -> T:
        if limit and self.limit is not None:
            await self.limit.acquire()
        if self.breaker is None:
            return await fn(*args, **kwargs)
        async with self.breaker.guard():
            return await fn(*args, **kwargs)


class _RetryIf:
    # tenacity's retry_if_exception, spelled out so the predicate also sees non-Exception outcomes as final.
    def __init__(self, predicate: Callable[[BaseException], bool]):
        self.predicate = predicate

    def __call__(self, state: RetryCallState) -> bool:
        if state.outcome is None or not state.outcome.failed:
            return False
        return self.predicate(state.outcome.exception())
