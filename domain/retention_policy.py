"""How long call data lives: active, archived, in cold storage, then deleted (specification 3.2.3)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class RetentionStage(str, Enum):
    ACTIVE = "active"  # live collections, standard storage
    ARCHIVED = "archived"  # archive collections, infrequent-access storage
    COLD = "cold"  # deep archive storage
    EXPIRED = "expired"  # due for deletion


class RetentionError(ValueError):
    """The retention periods do not make sense together; the message names the problem."""


@dataclass(frozen=True)
class RetentionPolicy:
    """Ages (days since the call, or since a campaign closed) at which data moves on.

    Active until `active_days`, archived until `archive_days`, in cold storage
    until `delete_days`, then deleted. Each period must be longer than the one before.
    """

    active_days: int = 90
    archive_days: int = 365
    delete_days: int = 3 * 365

    def __post_init__(self) -> None:
        for name in ("active_days", "archive_days", "delete_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RetentionError(f"{name} must be a whole number of days >= 1, got {value!r}")
        if not self.active_days < self.archive_days < self.delete_days:
            raise RetentionError(
                f"retention periods must grow: active ({self.active_days} d) < archive ({self.archive_days} d) "
                f"< delete ({self.delete_days} d)")

    @property
    def active(self) -> timedelta:
        return timedelta(days=self.active_days)

    @property
    def archive(self) -> timedelta:
        return timedelta(days=self.archive_days)

    @property
    def delete(self) -> timedelta:
        return timedelta(days=self.delete_days)

    def archive_cutoff(self, now: datetime) -> datetime:
        """Anything dated before this moment is no longer active and belongs in the archive."""
        _aware(now, "now")
        return now - self.active

    def delete_at(self, dated: datetime) -> datetime:
        """When data dated `dated` must be gone."""
        _aware(dated, "dated")
        return dated + self.delete

    def stage(self, dated: datetime, now: datetime) -> RetentionStage:
        """Where data dated `dated` belongs at `now`."""
        age = _aware(now, "now") - _aware(dated, "dated")
        if age < self.active:
            return RetentionStage.ACTIVE
        if age < self.archive:
            return RetentionStage.ARCHIVED
        if age < self.delete:
            return RetentionStage.COLD
        return RetentionStage.EXPIRED


def _aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise RetentionError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value
