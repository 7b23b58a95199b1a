"""A circuit breaker per dependency, on purgatory.

purgatory (maintained, async-native, optional Redis storage so several workers
could share one breaker) keeps the closed / opened / half-opened state machine
and the open timer. It counts *consecutive* failures; the specification counts
errors per minute, so this class decides when a fault trips it (a sliding
window) and hands purgatory a threshold of one.

purgatory is imported and its breaker built at the first fault (or the first
`state()` question): until something fails the breaker is closed, and a command
whose calls all succeed never pays for the import (about 0.15 s: purgatory
imports the Redis client).
"""
from __future__ import annotations

import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Callable

from application.errors import DependencyUnavailable
from infrastructure.resilience.fault_kinds import classify
from infrastructure.resilience.policies import BreakerSpec

if TYPE_CHECKING:
    from purgatory import AsyncCircuitBreakerFactory

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
        self._purgatory: AsyncCircuitBreakerFactory | None = None  # built at the first fault or state question

    @property
    def _factory(self) -> AsyncCircuitBreakerFactory:
        if self._purgatory is None:
            from purgatory import AsyncCircuitBreakerFactory

            self._purgatory = AsyncCircuitBreakerFactory(default_threshold=1, default_ttl=self.spec.open_s)
            self._purgatory.add_listener(self._changed)
        return self._purgatory

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
        if self.owner._purgatory is None:
            return  # nothing has failed yet: closed, and purgatory is needed only once something does
        await self._enter()

    async def _enter(self) -> None:
        from purgatory.domain.model import OpenedState

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
        if self._inner is None:
            if exc is None:
                return  # a success while closed changes nothing
            # The first fault of a call that began before purgatory was needed: enter its breaker now and
            # give it the fault, as if it had watched the call. A breaker another call has opened meanwhile
            # keeps its state (purgatory does the same for a call that entered while it was closed).
            try:
                await self._enter()
            except DependencyUnavailable:
                return
        await self._inner.__aexit__(exc_type, exc, tb)
