"""Translate MongoDB driver failures into the application's fault types."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout, ServerSelectionTimeoutError

from application.errors import TransientFault

_TRANSIENT = (AutoReconnect, ConnectionFailure, NetworkTimeout, ServerSelectionTimeoutError)


@contextmanager
def mongo_faults(operation: str) -> Iterator[None]:
    try:
        yield
    except _TRANSIENT as exc:
        raise TransientFault("mongodb", f"{operation}: {type(exc).__name__}", retry_after=2.0) from exc
