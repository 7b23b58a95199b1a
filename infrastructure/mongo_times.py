"""Times as MongoDB keeps them (UTC without a zone) and as the domain handles them (aware, UTC).

Apart from the odmantic documents (infrastructure.mongo_models) so an adapter that only reads and counts
(the report's statistics) does not import the document classes.
"""
from __future__ import annotations

from datetime import datetime, timezone


def aware(value: datetime | None) -> datetime | None:
    """MongoDB keeps UTC without a zone; the domain only handles aware datetimes."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def stored(value: datetime | None) -> datetime | None:
    """Odmantic accepts only naive datetimes: store UTC without a zone, whatever zone came in."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)
