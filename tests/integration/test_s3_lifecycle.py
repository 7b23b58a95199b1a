"""The recordings bucket's lifecycle and default encryption on moto's S3 server: as applied, read back."""
from __future__ import annotations

import json
import uuid

import pytest
from aiobotocore.session import get_session

from domain.retention_policy import RetentionPolicy
from entrypoints.cli import main
from infrastructure.s3_lifecycle import (RULE_ID, LifecycleError, S3BucketLifecycle, differences,
                                         encryption_differences, retention_rule)

KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture
async def bucket(s3_endpoint):
    name = f"recordings-{uuid.uuid4().hex[:10]}"
    async with get_session().create_client("s3", region_name="us-east-1", endpoint_url=s3_endpoint, **KEYS) as s3:
        await s3.create_bucket(Bucket=name)
    return name


async def read_back(s3_endpoint: str, bucket: str) -> list[dict]:
    async with get_session().create_client("s3", region_name="us-east-1", endpoint_url=s3_endpoint, **KEYS) as s3:
        return (await s3.get_bucket_lifecycle_configuration(Bucket=bucket))["Rules"]


def lifecycle_for(s3_endpoint: str, bucket: str) -> S3BucketLifecycle:
    return S3BucketLifecycle(bucket=bucket, endpoint_url=s3_endpoint, access_key_id="testing",
                             secret_access_key="testing")


async def test_the_default_policy_as_applied_and_read_back(s3_endpoint, bucket):
    async with lifecycle_for(s3_endpoint, bucket) as lifecycle:
        assert await lifecycle.rules() == []
        await lifecycle.apply(retention_rule(RetentionPolicy(), "calls/"))
    [rule] = await read_back(s3_endpoint, bucket)
    assert rule["ID"] == RULE_ID and rule["Status"] == "Enabled"
    assert rule["Filter"] == {"Prefix": "calls/"}
    assert sorted((t["Days"], t["StorageClass"]) for t in rule["Transitions"]) == [
        (90, "GLACIER_IR"), (365, "DEEP_ARCHIVE")]
    assert rule["Expiration"] == {"Days": 1095}


async def test_configured_periods_and_class_reach_the_bucket(s3_endpoint, bucket):
    policy = RetentionPolicy(active_days=45, archive_days=200, delete_days=800)
    async with lifecycle_for(s3_endpoint, bucket) as lifecycle:
        rules = await lifecycle.apply(retention_rule(policy, "recordings/", archive_class="STANDARD_IA"))
    [rule] = await read_back(s3_endpoint, bucket)
    assert rule == rules[0]
    assert sorted((t["Days"], t["StorageClass"]) for t in rule["Transitions"]) == [
        (45, "STANDARD_IA"), (200, "DEEP_ARCHIVE")]
    assert rule["Expiration"] == {"Days": 800} and rule["Filter"] == {"Prefix": "recordings/"}


async def test_other_rules_are_kept_and_reapplying_replaces_ours(s3_endpoint, bucket):
    theirs = {"ID": "logs-expiry", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 30}}
    async with get_session().create_client("s3", region_name="us-east-1", endpoint_url=s3_endpoint, **KEYS) as s3:
        await s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [theirs]})
    async with lifecycle_for(s3_endpoint, bucket) as lifecycle:
        await lifecycle.apply(retention_rule(RetentionPolicy(), "calls/"))
        wanted = retention_rule(RetentionPolicy(delete_days=2000), "calls/")
        assert differences(wanted, await lifecycle.rules()) == [
            "expiration days: bucket has 1095, settings want 2000"]
        await lifecycle.apply(wanted)
    rules = {r["ID"]: r for r in await read_back(s3_endpoint, bucket)}
    assert set(rules) == {"logs-expiry", RULE_ID}
    assert rules["logs-expiry"]["Expiration"] == {"Days": 30}
    assert rules[RULE_ID]["Expiration"] == {"Days": 2000}


@pytest.mark.parametrize("kwargs, prefix, fragment", [
    (dict(archive_class="GLACIER"), "calls/", "archive storage class"),
    (dict(archive_class="STANDARD_IA"), "calls/", None),
    ({}, "", "must not be empty"),
    ({}, "/abs/", "prefix"),
])
def test_rules_that_cannot_work_are_refused(kwargs, prefix, fragment):
    policy = RetentionPolicy(active_days=20, archive_days=100, delete_days=400)
    if fragment is None:
        with pytest.raises(LifecycleError, match="STANDARD_IA after 30 days"):
            retention_rule(policy, prefix, **kwargs)
        return
    with pytest.raises(LifecycleError, match=fragment):
        retention_rule(policy, prefix, **kwargs)


@pytest.fixture
def bucket_env(monkeypatch, tmp_path, s3_endpoint, bucket):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("S3_BUCKET", bucket)
    monkeypatch.setenv("S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return monkeypatch


def test_the_command_applies_shows_and_notices_drift(bucket_env, capsys):
    bucket_env.setenv("RETENTION_ACTIVE_DAYS", "60")
    assert main(["storage", "lifecycle", "--show"]) == 1
    assert "no rule 'docshield-call-retention'" in capsys.readouterr().err
    assert main(["storage", "lifecycle", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "GLACIER_IR at 60 d, DEEP_ARCHIVE at 365 d, deleted at 1095 d" in out
    assert main(["storage", "lifecycle", "--show"]) == 0
    bucket_env.setenv("RETENTION_ACTIVE_DAYS", "90")
    assert main(["storage", "lifecycle", "--show"]) == 1
    assert "transitions: bucket has [(60, 'GLACIER_IR')" in capsys.readouterr().err


def test_the_command_refuses_without_a_bucket_or_with_both_flags(bucket_env, capsys):
    assert main(["storage", "lifecycle", "--apply", "--show"]) == 2
    assert "exactly one of --apply or --show" in capsys.readouterr().err
    bucket_env.delenv("S3_BUCKET")
    assert main(["storage", "lifecycle", "--show"]) == 1
    assert "S3_BUCKET" in capsys.readouterr().err


async def read_encryption(s3_endpoint: str, bucket: str) -> dict:
    async with get_session().create_client("s3", region_name="us-east-1", endpoint_url=s3_endpoint, **KEYS) as s3:
        return (await s3.get_bucket_encryption(Bucket=bucket))["ServerSideEncryptionConfiguration"]


async def test_default_encryption_is_read_and_applied(s3_endpoint, bucket):
    async with lifecycle_for(s3_endpoint, bucket) as lifecycle:
        assert await lifecycle.encryption() is None
        assert await lifecycle.apply_encryption(None) == {"SSEAlgorithm": "AES256"}
        [rule] = (await read_encryption(s3_endpoint, bucket))["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
        kms = await lifecycle.apply_encryption("arn:aws:kms:us-east-1:111122223333:key/calls")
    assert kms == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:us-east-1:111122223333:key/calls"}
    [rule] = (await read_encryption(s3_endpoint, bucket))["Rules"]
    assert rule["BucketKeyEnabled"] is True


@pytest.mark.parametrize("kms_key_id", [None, "arn:aws:kms:us-east-1:111122223333:key/calls"])
async def test_the_command_puts_the_same_encryption_as_the_artifacts_store(s3_endpoint, kms_key_id):
    from infrastructure.s3_artifacts import S3Artifacts

    names = [f"enc-{uuid.uuid4().hex[:10]}" for _ in range(2)]
    store = S3Artifacts(bucket=names[0], endpoint_url=s3_endpoint, access_key_id="testing",
                        secret_access_key="testing", kms_key_id=kms_key_id)
    try:
        await store.ensure_bucket()
    finally:
        await store.aclose()
    async with get_session().create_client("s3", region_name="us-east-1", endpoint_url=s3_endpoint, **KEYS) as s3:
        await s3.create_bucket(Bucket=names[1])
    async with lifecycle_for(s3_endpoint, names[1]) as lifecycle:
        await lifecycle.apply_encryption(kms_key_id)
    assert await read_encryption(s3_endpoint, names[0]) == await read_encryption(s3_endpoint, names[1])


@pytest.mark.parametrize("kms_key_id, actual, problem", [
    (None, None, "default encryption: bucket has none, settings want AES256"),
    (None, {"SSEAlgorithm": "AES256"}, None),
    ("k1", {"SSEAlgorithm": "AES256"}, "default encryption: bucket has AES256, settings want aws:kms (key k1)"),
    ("k1", {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k2"}, "default encryption key: bucket has 'k2', "
                                                                 "settings want 'k1'"),
    ("k1", {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k1"}, None),
    (None, {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k1"}, "default encryption: bucket has aws:kms (key k1), "
                                                                "settings want AES256"),
])
def test_encryption_drift_is_named(kms_key_id, actual, problem):
    assert encryption_differences(kms_key_id, actual) == ([problem] if problem else [])


def test_the_command_applies_and_shows_the_default_encryption(bucket_env, s3_endpoint, bucket, capsys):
    assert main(["storage", "lifecycle", "--show"]) == 1
    captured = capsys.readouterr()
    assert "default encryption: none" in captured.out
    assert "differs: default encryption: bucket has none, settings want AES256" in captured.err
    assert main(["storage", "lifecycle", "--apply"]) == 0
    assert "default encryption: AES256" in capsys.readouterr().out
    assert main(["storage", "lifecycle", "--show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["encryption"] == {"SSEAlgorithm": "AES256"}
    # A KMS key in the settings: the bucket's AES256 default is drift until applied again.
    bucket_env.setenv("S3_KMS_KEY_ID", "arn:aws:kms:us-east-1:111122223333:key/calls")
    assert main(["storage", "lifecycle", "--show"]) == 1
    assert "bucket has AES256, settings want aws:kms (key arn:aws:kms" in capsys.readouterr().err
    assert main(["storage", "lifecycle", "--apply"]) == 0
    assert "default encryption: aws:kms (key arn:aws:kms:us-east-1:111122223333:key/calls)" in capsys.readouterr().out
    assert main(["storage", "lifecycle", "--show"]) == 0
