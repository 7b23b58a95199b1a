"""A circuit breaker shared by every process of the account, in Redis.

The same rules as the per-process CircuitBreaker (policies.BreakerSpec): `errors` faults
within `window_s` open it for `open_s`; then ONE trial call may pass (half-open) for the whole
fleet, not one per process; until `reset_s` after the opening, a single fault re-opens it.
Each step is one Lua script, so two processes never both take the trial or both miss an opening.

purgatory's Redis store (used per process by CircuitBreaker) reads and writes its state in
separate commands and lets every process send its own trial; hence this script. While Redis does
not answer, calls go through `local`, the per-process breaker.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Callable

from application.errors import DependencyUnavailable
from infrastructure.resilience.fault_kinds import classify
from infrastructure.resilience.policies import BreakerSpec
from infrastructure.resilience.shared_store import KEY_PREFIX, SharedStore, down_errors

log = logging.getLogger(__name__)

# KEYS[1] state hash {state, opened_at, probation_until, trial, trial_until}; KEYS[2] fault times (zset).
# ARGV: op, now, token, errors, window_s, open_s, reset_s, trial_s.
# Returns {verdict, seconds}: admit -> pass | trial | refuse; fault -> opened | counted; success -> closed | ok.
_SCRIPT = """
local state_key, faults_key = KEYS[1], KEYS[2]
local op, now, token = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local errors, window_s, open_s = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local reset_s, trial_s = tonumber(ARGV[7]), tonumber(ARGV[8])
local keep = math.ceil(open_s + reset_s + window_s)
local state = redis.call('HGET', state_key, 'state') or 'closed'

local function open()
  redis.call('HSET', state_key, 'state', 'opened', 'opened_at', now, 'probation_until', now + reset_s,
             'trial', '', 'trial_until', 0)
  redis.call('EXPIRE', state_key, keep)
  redis.call('DEL', faults_key)
  return {'opened', tostring(open_s)}
end

if op == 'admit' then
  if state == 'opened' then
    local reopen = tonumber(redis.call('HGET', state_key, 'opened_at')) + open_s
    if now < reopen then return {'refuse', tostring(reopen - now)} end
    state = 'half-opened'
  elseif state == 'half-opened' then
    local trial_until = tonumber(redis.call('HGET', state_key, 'trial_until') or '0')
    if now < trial_until then return {'refuse', tostring(math.min(trial_until - now, 5))} end
  else
    return {'pass', '0'}
  end
  -- Half-open and no trial out (or the last one's process vanished): this caller is the trial.
  redis.call('HSET', state_key, 'state', 'half-opened', 'trial', token, 'trial_until', now + trial_s)
  redis.call('EXPIRE', state_key, keep)
  return {'trial', '0'}
elseif op == 'fault' then
  local probation = tonumber(redis.call('HGET', state_key, 'probation_until') or '0')
  if state == 'half-opened' or now < probation then return open() end
  redis.call('ZADD', faults_key, now, token)
  redis.call('ZREMRANGEBYSCORE', faults_key, '-inf', now - window_s)
  redis.call('EXPIRE', faults_key, math.ceil(window_s))
  if redis.call('ZCARD', faults_key) >= errors then return open() end
  return {'counted', '0'}
else
  if state == 'half-opened' and redis.call('HGET', state_key, 'trial') == token then
    redis.call('HSET', state_key, 'state', 'closed', 'trial', '', 'trial_until', 0)
    return {'closed', '0'}
  end
  return {'ok', '0'}
end
"""


class SharedCircuitBreaker:
    """The same `guard()`, `state()` and `transitions` as CircuitBreaker; state in Redis."""

    def __init__(self, name: str, spec: BreakerSpec, store: SharedStore, local, *,
                 clock: Callable[[], float] = time.time, on_change: Callable[[str, str], None] | None = None,
                 trial_s: float = 60.0):
        self.name = name
        self.spec = spec
        self.store = store
        self.local = local
        self._clock = clock
        self._on_change = on_change
        self.trial_s = trial_s  # a trial's process that dies frees the trial after this
        self.transitions: list[str] = []  # states this process moved the shared breaker into
        self._keys = [f"{KEY_PREFIX}{name}:breaker", f"{KEY_PREFIX}{name}:faults"]
        self._script = None

    async def _run(self, op: str, token: str) -> tuple[str, float]:
        redis = await self.store.redis()
        if self._script is None:
            self._script = redis.register_script(_SCRIPT)
        spec = self.spec
        verdict, seconds = await self._script(keys=self._keys, args=[
            op, repr(self._clock()), token, spec.errors, spec.window_s, spec.open_s, spec.reset_s, self.trial_s])
        return (verdict.decode() if isinstance(verdict, bytes) else verdict), float(seconds)

    async def state(self) -> str:
        """'closed', 'opened' or 'half-opened', as every process sees it."""
        try:
            raw = await (await self.store.redis()).hget(self._keys[0], "state")
        except down_errors():
            return await self.local.state()
        return raw.decode() if raw else "closed"

    def guard(self):
        return _SharedGuarded(self)

    def _entered(self, state: str) -> None:
        self.transitions.append(state)
        (log.warning if state == "opened" else log.info)("circuit %s %s (all workers)", self.name, state)
        if self._on_change is not None:
            self._on_change(self.name, state)


class _SharedGuarded:
    def __init__(self, owner: SharedCircuitBreaker):
        self.owner = owner
        self.token = uuid.uuid4().hex
        self._local = None  # the per-process guard, while Redis is down
        self._trial = False

    async def __aenter__(self) -> None:
        owner = self.owner
        if owner.store.available:
            try:
                verdict, seconds = await owner._run("admit", self.token)
            except down_errors() as exc:
                owner.store.went_down("breakers", exc)
            else:
                if verdict == "refuse":
                    raise DependencyUnavailable(owner.name, f"circuit open (all workers); retry in {seconds:.1f} s",
                                                retry_after=seconds or 0.1)
                if verdict == "trial":
                    self._trial = True
                    owner._entered("half-opened")
                return
        self._local = owner.local.guard()
        await self._local.__aenter__()

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if self._local is not None:
            await self._local.__aexit__(exc_type, exc, tb)
            return
        owner = self.owner
        fault = exc is not None and classify(exc).counts_against_dependency
        if not fault and (not self._trial or isinstance(exc, asyncio.CancelledError)):
            # A passing call in a closed breaker costs no round trip; a cancelled trial frees itself (trial_s).
            return
        try:
            verdict, _ = await owner._run("fault" if fault else "success", self.token)
        except down_errors() as down:
            owner.store.went_down("breakers", down)
            return
        if verdict in ("opened", "closed"):
            owner._entered(verdict)
