"""The specification's resilience figures, as data that settings can override.

Vocabulary (one meaning everywhere):
- RetrySpec.retries: attempts *after* the first failure ("3 tries" = 3 retries).
- BreakerSpec: `errors` faults within `window_s` open the breaker for `open_s`;
  then one trial call may pass (half-open). Until `reset_s` after the opening,
  a single fault re-opens it at once (a flapping dependency gets no fresh budget).
- RateSpec: `calls` per `per_s`, smoothed (aiolimiter), or a fixed window
  (`fixed_window=True`, e.g. a daily quota) that refuses, rather than waits, once spent.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping


@dataclass(frozen=True)
class RetrySpec:
    retries: int
    delay_s: float = 0.0
    exponential: bool = False  # delay_s x 2^n, n = 0, 1, 2 ...

    def __post_init__(self) -> None:
        if self.retries < 0 or self.delay_s < 0:
            raise ValueError(f"retries and delay_s must be >= 0, got {self.retries} and {self.delay_s}")

    def delay_before(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        return self.delay_s * (2 ** (retry - 1)) if self.exponential else self.delay_s


@dataclass(frozen=True)
class BreakerSpec:
    errors: int
    open_s: float
    reset_s: float
    window_s: float = 60.0

    def __post_init__(self) -> None:
        if self.errors < 1 or self.open_s <= 0 or self.window_s <= 0 or self.reset_s < self.open_s:
            raise ValueError(f"breaker needs errors >= 1, open_s > 0, window_s > 0 and reset_s >= open_s; got {self}")


@dataclass(frozen=True)
class RateSpec:
    calls: int
    per_s: float
    fixed_window: bool = False

    def __post_init__(self) -> None:
        if self.calls < 1 or self.per_s <= 0:
            raise ValueError(f"rate needs calls >= 1 and per_s > 0; got {self}")


@dataclass(frozen=True)
class DependencyPolicy:
    """How calls to one dependency are guarded. A None retry means: fail at once for that kind."""

    name: str
    on_timeout: RetrySpec | None = None
    on_network: RetrySpec | None = None
    on_server_error: RetrySpec | None = None
    breaker: BreakerSpec | None = None
    rate: RateSpec | None = None


# The specification's figures.
RETRIES: dict[str, RetrySpec] = {
    "api_timeout": RetrySpec(retries=3, delay_s=1.0, exponential=True),  # 1 s, 2 s, 4 s
    "network_error": RetrySpec(retries=2, delay_s=0.0),
    "voice_drop": RetrySpec(retries=1, delay_s=5.0),  # one reconnect, for the call line's media leg
    "queue_error": RetrySpec(retries=5, delay_s=0.5, exponential=True),  # then the queue breaker opens
    "database": RetrySpec(retries=3, delay_s=2.0),
}

BREAKERS: dict[str, BreakerSpec] = {
    "livekit": BreakerSpec(errors=5, open_s=30, reset_s=60),
    "openai": BreakerSpec(errors=3, open_s=45, reset_s=90),
    "calendar": BreakerSpec(errors=10, open_s=60, reset_s=120),
    "s3": BreakerSpec(errors=20, open_s=15, reset_s=30),
    "redis": BreakerSpec(errors=5, open_s=30, reset_s=60),
}

DAY_S = 86400.0
RATES: dict[str, RateSpec] = {
    "livekit": RateSpec(calls=100, per_s=60),
    "openai": RateSpec(calls=3000, per_s=60),
    # Google's default Calendar quota is per project and per day; set yours.
    "calendar": RateSpec(calls=1_000_000, per_s=DAY_S, fixed_window=True),
    "logtail": RateSpec(calls=100, per_s=1),
}


def _http_api(name: str) -> DependencyPolicy:
    return DependencyPolicy(name, on_timeout=RETRIES["api_timeout"], on_network=RETRIES["network_error"],
                            on_server_error=RETRIES["api_timeout"], breaker=BREAKERS.get(name),
                            rate=RATES.get(name))


@dataclass(frozen=True)
class ResilienceConfig:
    """Every dependency's policy; `policy(name)` is what adapters are wrapped with."""

    policies: dict[str, DependencyPolicy] = field(default_factory=lambda: {
        "livekit": _http_api("livekit"),
        "openai": _http_api("openai"),
        "calendar": _http_api("calendar"),
        "s3": _http_api("s3"),
        "mongodb": DependencyPolicy("mongodb", on_timeout=RETRIES["database"], on_network=RETRIES["database"],
                                    on_server_error=RETRIES["database"]),
        "redis": DependencyPolicy("redis", on_timeout=RETRIES["queue_error"], on_network=RETRIES["queue_error"],
                                  on_server_error=RETRIES["queue_error"], breaker=BREAKERS["redis"]),
    })
    logtail_rate: RateSpec = RATES["logtail"]
    voice_drop: RetrySpec = RETRIES["voice_drop"]

    def policy(self, name: str) -> DependencyPolicy:
        try:
            return self.policies[name]
        except KeyError:
            raise KeyError(f"no resilience policy named {name!r}; known: {', '.join(sorted(self.policies))}") from None

    def with_policy(self, policy: DependencyPolicy) -> "ResilienceConfig":
        return replace(self, policies={**self.policies, policy.name: policy})

    @classmethod
    def from_json(cls, text: str | None) -> "ResilienceConfig":
        """Defaults, overridden by a JSON object such as
        `{"s3": {"breaker": {"errors": 5}}, "mongodb": {"on_network": {"retries": 1, "delay_s": 0.1}}}`.
        A key set to null removes that guard. Unknown names or fields raise ValueError naming them."""
        config = cls()
        if not text:
            return config
        try:
            overrides = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"RESILIENCE is not valid JSON: {exc}") from None
        if not isinstance(overrides, dict):
            raise ValueError("RESILIENCE must be a JSON object of dependency name -> overrides")
        for name, changes in overrides.items():
            if name == "logtail_rate":
                config = replace(config, logtail_rate=_merge(RateSpec, config.logtail_rate, changes, name))
                continue
            base = config.policies.get(name, DependencyPolicy(name))
            if not isinstance(changes, dict):
                raise ValueError(f"RESILIENCE.{name} must be an object")
            updated = {}
            for key, value in changes.items():
                kind = _POLICY_FIELDS.get(key)
                if kind is None:
                    raise ValueError(f"RESILIENCE.{name}.{key}: unknown; use one of {', '.join(_POLICY_FIELDS)}")
                updated[key] = None if value is None else _merge(kind, getattr(base, key), value, f"{name}.{key}")
            config = config.with_policy(replace(base, **updated))
        return config


_POLICY_FIELDS = {"on_timeout": RetrySpec, "on_network": RetrySpec, "on_server_error": RetrySpec,
                  "breaker": BreakerSpec, "rate": RateSpec}


def _merge(kind: type, current: Any, changes: Any, where: str) -> Any:
    if not isinstance(changes, Mapping):
        raise ValueError(f"RESILIENCE.{where} must be an object")
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValueError(f"RESILIENCE.{where}: unknown field(s) {', '.join(unknown)}; use {', '.join(sorted(known))}")
    try:
        return replace(current, **changes) if current is not None else kind(**changes)
    except TypeError as exc:
        raise ValueError(f"RESILIENCE.{where}: {exc}") from None
