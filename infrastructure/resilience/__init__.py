"""Retries (tenacity), circuit breakers (purgatory) and rate limits (aiolimiter) around adapters.

    guards = Guards(ResilienceConfig.from_json(settings.resilience))
    claims = guards.wrap(MongoCallClaims(db), "mongodb")
    line = guards.wrap(LiveKitCallLine(...), "livekit", no_retry={"conduct"})
"""
from infrastructure.resilience.breaker import CircuitBreaker
from infrastructure.resilience.fault_kinds import FaultKind, classify, http_status
from infrastructure.resilience.guard import DependencyGuard
from infrastructure.resilience.policies import (BREAKERS, RATES, RETRIES, BreakerSpec, DependencyPolicy, RateSpec,
                                                ResilienceConfig, RetrySpec)
from infrastructure.resilience.proxy import Guards, Resilient
from infrastructure.resilience.rate_limits import FixedWindowQuota, RecordRateLimit, SmoothedLimit, rate_limit

__all__ = ["BREAKERS", "RATES", "RETRIES", "BreakerSpec", "CircuitBreaker", "DependencyGuard", "DependencyPolicy",
           "FaultKind", "FixedWindowQuota", "Guards", "RateSpec", "RecordRateLimit", "Resilient", "ResilienceConfig",
           "RetrySpec", "SmoothedLimit", "classify", "http_status", "rate_limit"]
