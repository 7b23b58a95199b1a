"""A circuit breaker per dependency, on purgatory.

purgatory (maintained, async-native, optional Redis storage so several workers
could share one breaker) keeps the closed / opened / half-opened state machine
and the open timer. It counts *consecutive* failures; the specification counts
errors per minute, so this class decides when a fault trips it (a sliding
window) and hands purgatory a threshold of one.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from typing import Callable

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from application.errors import DependencyUnavailable
from infrastructure.resilience.fault_kinds import classify
from infrastructure.resilience.policies import BreakerSpec

log = logging.getLogger(__name__)


class CircuitBreaker:
    def __init__(self, name: str, spec: BreakerSpec, *, clock: Callable[[], float] = time.time,
                 on_change: Callable[[str, str], None] | None = None):
        self.name = name
        self.spec = spec
        self._clock = clock
        self._faults: deque[float] = deque()
        self._opened_at: float | None = None
        self._on_change = on_change
        self.transitions: list[str] = []  # states entered, oldest first (operators and tests read it)
        self._factory = AsyncCircuitBreakerFactory(default_threshold=1, default_ttl=spec.open_s)
        self._factory.add_listener(self._changed)

    async def state(self) -> str:
        """'closed', 'opened' or 'half-opened' (purgatory's words)."""
        breaker = await self._factory.get_breaker(self.name)
        return breaker.context.state

    def guard(self):
        """An async context manager around one call: raises DependencyUnavailable while open."""
        return _Guarded(self)

    def _trips(self, exc: BaseException, state: str) -> bool:
        if not classify(exc).counts_against_dependency:
            return False
        now = self._clock()
        if state == "half-opened" or self._opened_at is not None and now < self._opened_at + self.spec.reset_s:
            self._opened_at = now  # still on probation: one fault is enough
            self._faults.clear()
            return True
        self._faults.append(now)
        while self._faults and self._faults[0] <= now - self.spec.window_s:
            self._faults.popleft()
        if len(self._faults) >= self.spec.errors:
            self._faults.clear()
            self._opened_at = now
            return True
        return False

    def _changed(self, name: str, event_type: str, event) -> None:
        if event_type != "state_changed":
            return
        self.transitions.append(event.state)
        (log.warning if event.state == "opened" else log.info)("circuit %s %s", name, event.state)
        if self._on_change is not None:
            self._on_change(name, event.state)


class _Guarded:
    def __init__(self, owner: CircuitBreaker):
        self.owner = owner
        self._inner = None

    async def __aenter__(self) -> None:
        owner = self.owner
        # purgatory calls the predicate with the exception: True means "not a failure".
        self._inner = await owner._factory.get_breaker(
            owner.name, exclude=[(BaseException, lambda exc: not owner._trips(exc, self._inner.context.state))])
        try:
            await self._inner.__aenter__()
        except OpenedState as opened:
            retry_after = max(0.0, opened.opened_at + owner.spec.open_s - time.time())
            raise DependencyUnavailable(owner.name, f"circuit open; retry in {retry_after:.1f} s",
                                        retry_after=retry_after or 0.1) from None

    async def __aexit__(self, exc_type, exc, tb) -> None:
        await self._inner.__aexit__(exc_type, exc, tb)
