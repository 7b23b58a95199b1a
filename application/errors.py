"""Errors the use cases raise and the entrypoints translate."""
from __future__ import annotations

from datetime import datetime


class MalformedJob(ValueError):
    """A job that can never succeed: fail it once, never retry."""


class UnknownCampaign(MalformedJob):
    pass


class TransientFault(Exception):
    """A dependency failed in a way that may pass: retry later.

    `retry_after` is a hint in seconds; `dependency` names what failed.
    """

    def __init__(self, dependency: str, message: str, retry_after: float | None = None):
        super().__init__(f"{dependency}: {message}")
        self.dependency = dependency
        self.retry_after = retry_after


class DependencyUnavailable(TransientFault):
    """A circuit breaker is open: do not spend an attempt, come back later."""


class RetryAt(Exception):
    """Re-queue the same job for a given moment (compliance deferral, transient fault)."""

    def __init__(self, when: datetime, reason: str):
        super().__init__(reason)
        self.when = when
        self.reason = reason
