"""The retention periods: where data of a given age belongs, and settings that cannot work."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from domain.retention_policy import RetentionError, RetentionPolicy, RetentionStage

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def test_the_specification_defaults():
    policy = RetentionPolicy()
    assert (policy.active_days, policy.archive_days, policy.delete_days) == (90, 365, 1095)


@pytest.mark.parametrize("age, stage", [
    (timedelta(0), RetentionStage.ACTIVE),
    (timedelta(days=90) - timedelta(seconds=1), RetentionStage.ACTIVE),
    (timedelta(days=90), RetentionStage.ARCHIVED),
    (timedelta(days=364), RetentionStage.ARCHIVED),
    (timedelta(days=365), RetentionStage.COLD),
    (timedelta(days=1094), RetentionStage.COLD),
    (timedelta(days=1095), RetentionStage.EXPIRED),
])
def test_stage_by_age(age, stage):
    assert RetentionPolicy().stage(NOW - age, NOW) is stage


def test_configured_periods_move_the_boundaries():
    policy = RetentionPolicy(active_days=30, archive_days=60, delete_days=400)
    assert policy.stage(NOW - timedelta(days=31), NOW) is RetentionStage.ARCHIVED
    assert policy.stage(NOW - timedelta(days=61), NOW) is RetentionStage.COLD
    assert policy.archive_cutoff(NOW) == NOW - timedelta(days=30)
    assert policy.delete_at(NOW) == NOW + timedelta(days=400)


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(active_days=0), "active_days"),
    (dict(archive_days=-5), "archive_days"),
    (dict(delete_days=2.5), "delete_days"),
    (dict(delete_days=True), "delete_days"),
    (dict(active_days=400), "must grow"),
    (dict(archive_days=1095), "must grow"),
])
def test_periods_that_cannot_work_are_refused_by_name(kwargs, fragment):
    with pytest.raises(RetentionError, match=fragment):
        RetentionPolicy(**kwargs)


def test_naive_datetimes_are_refused():
    with pytest.raises(RetentionError, match="timezone-aware"):
        RetentionPolicy().archive_cutoff(datetime(2026, 6, 1))
