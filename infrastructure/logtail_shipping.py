"""Ship logs to Better Stack (Logtail) with logtail-python when LOGTAIL_SOURCE_TOKEN is set.

Records are redacted before they are queued for upload and limited to the
specification's rate (100/s by default); a burst beyond it is dropped and
counted, never allowed to block the worker.
"""
from __future__ import annotations

import logging

from infrastructure.log_redaction import RedactingFilter
from infrastructure.resilience.policies import RATES, RateSpec
from infrastructure.resilience.rate_limits import RecordRateLimit


class ShippingRateFilter(logging.Filter):
    def __init__(self, spec: RateSpec = RATES["logtail"]):
        super().__init__()
        self.bucket = RecordRateLimit(spec)

    @property
    def dropped(self) -> int:
        return self.bucket.dropped

    def filter(self, record: logging.LogRecord) -> bool:
        return self.bucket.allow()


def logtail_handler(source_token: str, host: str, *, level: str | int = logging.INFO,
                    rate: RateSpec = RATES["logtail"], flush_interval: float = 1.0) -> logging.Handler:
    """A LogtailHandler posting msgpack batches to `host`, with redaction and the rate limit installed."""
    from logtail import LogtailHandler

    if not source_token:
        raise ValueError("LOGTAIL_SOURCE_TOKEN is empty")
    # drop_extra_events: a full buffer (Logtail unreachable) drops records instead of blocking the event loop.
    handler = LogtailHandler(source_token=source_token, host=host, level=level, flush_interval=flush_interval,
                             drop_extra_events=True, include_extra_attributes=False)
    handler.addFilter(RedactingFilter())
    handler.addFilter(ShippingRateFilter(rate))
    return handler


def install_logtail(settings, logger: logging.Logger | None = None) -> logging.Handler | None:
    """Add the Logtail handler to the root logger when a source token is configured; returns it."""
    if not settings.logtail_source_token:
        return None
    target = logger or logging.getLogger()
    for existing in target.handlers:
        if type(existing).__name__ == "LogtailHandler":
            return existing
    handler = logtail_handler(settings.logtail_source_token, settings.logtail_host, level=settings.log_level)
    target.addHandler(handler)
    return handler
