"""Sort an exception into what a guard should do with it.

4xx: fail now. 5xx, timeouts and network errors: retry, and count toward the
breaker. Anything else (a bug, a missing key, a lost claim) is not the
dependency's fault: it passes through untouched.
"""
from __future__ import annotations

import asyncio
import enum
import sys

from application.errors import DependencyUnavailable, TransientFault


class FaultKind(enum.Enum):
    CLIENT = "client"  # 4xx: our request is wrong; retrying cannot help
    SERVER = "server"  # 5xx
    TIMEOUT = "timeout"
    NETWORK = "network"
    UNAVAILABLE = "unavailable"  # a breaker is open somewhere below: do not retry, do not count
    OTHER = "other"

    @property
    def counts_against_dependency(self) -> bool:
        return self in (FaultKind.SERVER, FaultKind.TIMEOUT, FaultKind.NETWORK)


def _exception_types(base: tuple[type[BaseException], ...],
                     table: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[type[BaseException], ...]:
    """`base` plus the named exception classes of the drivers imported so far. A driver nobody imported
    raised nothing, so a command that never touches aiohttp or S3 does not pay for importing them here."""
    found = list(base)
    for module, names in table:
        mod = sys.modules.get(module)
        if mod is not None:
            found.extend(getattr(mod, n) for n in names if hasattr(mod, n))
    return tuple(found)


_NETWORK_DRIVERS = (
    ("aiohttp", ("ClientConnectionError", "ServerDisconnectedError")),
    ("redis.exceptions", ("ConnectionError",)),
    ("pymongo.errors", ("AutoReconnect", "ConnectionFailure")),
    ("botocore.exceptions", ("EndpointConnectionError", "ConnectionClosedError")),
    ("httpx", ("TransportError",)))
_TIMEOUT_DRIVERS = (
    ("pymongo.errors", ("NetworkTimeout", "ServerSelectionTimeoutError")),
    ("redis.exceptions", ("TimeoutError",)),
    ("aiohttp", ("ServerTimeoutError",)),
    ("botocore.exceptions", ("ReadTimeoutError", "ConnectTimeoutError")),
    ("httpx", ("TimeoutException",)))


def http_status(exc: BaseException) -> int | None:
    """The HTTP status an exception carries, whatever the client library."""
    for attr in ("status", "status_code", "http_status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 100 <= value <= 599:
            return value
    response = getattr(exc, "response", None)
    if isinstance(response, dict):  # botocore ClientError
        value = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return value if isinstance(value, int) else None
    value = getattr(response, "status_code", None) or getattr(response, "status", None)
    return value if isinstance(value, int) else None


def classify(exc: BaseException) -> FaultKind:
    if isinstance(exc, DependencyUnavailable):
        return FaultKind.UNAVAILABLE
    # Timeouts first: several libraries make their timeout a subclass of their connection error.
    if isinstance(exc, _exception_types((TimeoutError, asyncio.TimeoutError), _TIMEOUT_DRIVERS)):
        return FaultKind.TIMEOUT
    status = http_status(exc)
    if status is not None:
        if status == 408 or status == 429:
            return FaultKind.TIMEOUT if status == 408 else FaultKind.SERVER  # the server asks us to come back
        if 400 <= status < 500:
            return FaultKind.CLIENT
        if status >= 500:
            return FaultKind.SERVER
    if isinstance(exc, _exception_types((ConnectionError,), _NETWORK_DRIVERS)):
        return FaultKind.NETWORK
    if isinstance(exc, TransientFault):
        # An adapter already judged it transient; its cause says how.
        cause = exc.__cause__
        kind = classify(cause) if cause is not None else FaultKind.OTHER
        return kind if kind is not FaultKind.OTHER else FaultKind.SERVER
    return FaultKind.OTHER
