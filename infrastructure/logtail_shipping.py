"""Ship logs to Better Stack (Logtail) with logtail-python when LOGTAIL_SOURCE_TOKEN is set.

Records are redacted before they are queued for upload and limited to the
specification's rate (100/s by default, `RESILIENCE={"logtail_rate": ...}`); a burst
beyond it is dropped and counted, never allowed to block the worker.

The rate is the account's: with a shared Redis, every process's uploads draw on one
moving window there (`AccountWideShipping`, in the handler's flush thread, so the
event loop never waits on it); each process also keeps its own bucket on records, which
alone decides while Redis does not answer.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from infrastructure.log_redaction import RedactingFilter
from infrastructure.resilience.policies import RATES, RateSpec, ResilienceConfig
from infrastructure.resilience.rate_limits import RecordRateLimit
from infrastructure.resilience.shared_rate_limits import rate_item
from infrastructure.resilience.shared_store import SharedStore, down_errors


class ShippingRateFilter(logging.Filter):
    def __init__(self, spec: RateSpec = RATES["logtail"]):
        super().__init__()
        self.bucket = RecordRateLimit(spec)

    @property
    def dropped(self) -> int:
        return self.bucket.dropped

    def filter(self, record: logging.LogRecord) -> bool:
        return self.bucket.allow()


class _NothingSent:
    """What the flush thread sees when the account's window left no room for a batch: nothing to retry."""

    status_code = 202


class AccountWideShipping:
    """Stands in for the handler's uploader: a batch leaves with as many of its records as the account's
    window has room for (all processes count in one Redis moving window); the rest are dropped and
    counted. A batch the flush thread retries after a 5xx is not counted twice. While `store` does not
    answer (or for a window under a second, which `limits` cannot count) the per-process bucket alone
    decides."""

    def __init__(self, upload: Callable[[list[Any]], Any], spec: RateSpec, store: SharedStore):
        self.upload = upload
        self.store = store
        self._item = rate_item(spec)
        self._limiter: Any = None
        self._lock = threading.Lock()
        self._last: tuple[int, list[Any]] | None = None  # (id of the frame handed in, what was sent of it)
        self.dropped = 0  # records the account's window had no room for

    def room(self, wanted: int) -> int:
        """How many of `wanted` records may leave now, spent from the account's window."""
        if wanted == 0 or self._item is None or not self.store.available:
            return wanted
        try:
            if self._limiter is None:
                from limits.strategies import MovingWindowRateLimiter

                self._limiter = MovingWindowRateLimiter(self.store.blocking_limits_storage())
            if self._limiter.hit(self._item, "logtail", cost=wanted):
                return wanted
            remaining = self._limiter.get_window_stats(self._item, "logtail").remaining
            while remaining > 0 and not self._limiter.hit(self._item, "logtail", cost=remaining):
                remaining = self._limiter.get_window_stats(self._item, "logtail").remaining  # another process won
            return max(0, remaining)
        except down_errors() as exc:
            self.store.went_down("log rate limit", exc)
            return wanted

    def __call__(self, frame: list[Any]) -> Any:
        with self._lock:
            if self._last is not None and self._last[0] == id(frame):
                allowed = self._last[1]
            else:
                allowed = frame[:self.room(len(frame))]
                self.dropped += len(frame) - len(allowed)
                self._last = (id(frame), allowed)
        if not allowed:
            return _NothingSent()
        return self.upload(allowed)


def logtail_handler(source_token: str, host: str, *, level: str | int = logging.INFO,
                    rate: RateSpec = RATES["logtail"], flush_interval: float = 1.0,
                    shared_redis_url: str | None = None) -> logging.Handler:
    """A LogtailHandler posting msgpack batches to `host`, with redaction and the rate limit installed
    (account-wide in `shared_redis_url` when given, per process otherwise)."""
    from logtail import LogtailHandler

    if not source_token:
        raise ValueError("LOGTAIL_SOURCE_TOKEN is empty")
    # drop_extra_events: a full buffer (Logtail unreachable) drops records instead of blocking the event loop.
    handler = LogtailHandler(source_token=source_token, host=host, level=level, flush_interval=flush_interval,
                             drop_extra_events=True, include_extra_attributes=False)
    handler.addFilter(RedactingFilter())
    handler.addFilter(ShippingRateFilter(rate))
    if shared_redis_url:
        # The flush thread is made on the first record, with the uploader the handler holds then.
        handler.uploader = AccountWideShipping(handler.uploader, rate, SharedStore(shared_redis_url))
    return handler


def install_logtail(settings, logger: logging.Logger | None = None, *,
                    shared_redis_url: str | None = None) -> logging.Handler | None:
    """Add the Logtail handler to the root logger when a source token is configured; returns it.

    The rate is RESILIENCE's `logtail_rate`; it is the account's when `shared_redis_url` is given."""

    if not settings.logtail_source_token:
        return None
    target = logger or logging.getLogger()
    for existing in target.handlers:
        if type(existing).__name__ == "LogtailHandler":
            return existing
    handler = logtail_handler(settings.logtail_source_token, settings.logtail_host, level=settings.log_level,
                              rate=ResilienceConfig.from_json(settings.resilience).logtail_rate,
                              shared_redis_url=shared_redis_url if settings.shared_limits else None)
    target.addHandler(handler)
    return handler
