"""The recordings bucket's lifecycle configuration: build it from the retention policy, apply it, read it back.

The same command also keeps the bucket's default encryption in line with the
artifacts' (SSE-KMS with the configured key, else AES256): LiveKit Egress
uploads recordings without encryption headers, so the default is what
encrypts them.

One rule, `docshield-call-retention`, on the call artifacts prefix: to an
infrequent-access class (GLACIER_IR by default, or STANDARD_IA) when a call
stops being active, to DEEP_ARCHIVE when its archive period ends, deleted when
the policy says. Rules the bucket has for other prefixes are left as they are.
"""
from __future__ import annotations

import contextlib
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from domain.retention_policy import RetentionPolicy
from infrastructure.call_artifact_layout import checked_prefix
from infrastructure.s3_artifacts import default_encryption

RULE_ID = "docshield-call-retention"
ARCHIVE_CLASSES = ("GLACIER_IR", "STANDARD_IA")
COLD_CLASS = "DEEP_ARCHIVE"
STANDARD_IA_MIN_DAYS = 30  # S3 refuses an earlier transition to STANDARD_IA
INCOMPLETE_UPLOAD_DAYS = 7


class LifecycleError(ValueError):
    """The lifecycle cannot be built from these settings; the message names the problem."""


def retention_rule(policy: RetentionPolicy, prefix: str, *, archive_class: str = "GLACIER_IR") -> dict[str, Any]:
    """The S3 lifecycle rule that carries out `policy` for objects under `prefix`."""
    if archive_class not in ARCHIVE_CLASSES:
        raise LifecycleError(f"archive storage class must be one of {', '.join(ARCHIVE_CLASSES)}, "
                             f"got {archive_class!r}")
    if archive_class == "STANDARD_IA" and policy.active_days < STANDARD_IA_MIN_DAYS:
        raise LifecycleError(f"S3 moves objects to STANDARD_IA after {STANDARD_IA_MIN_DAYS} days at the "
                             f"earliest; RETENTION_ACTIVE_DAYS is {policy.active_days}")
    try:
        prefix = checked_prefix(prefix)
    except ValueError as exc:
        raise LifecycleError(str(exc)) from None
    if not prefix:
        # An empty prefix would put every object of the bucket under call retention.
        raise LifecycleError("the artifacts prefix (S3_PREFIX) must not be empty for a lifecycle rule")
    return {
        "ID": RULE_ID,
        "Filter": {"Prefix": prefix},
        "Status": "Enabled",
        "Transitions": [
            {"Days": policy.active_days, "StorageClass": archive_class},
            {"Days": policy.archive_days, "StorageClass": COLD_CLASS},
        ],
        "Expiration": {"Days": policy.delete_days},
        # Parts of an upload that never completed would otherwise be kept (and billed) forever.
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": INCOMPLETE_UPLOAD_DAYS},
    }


def differences(expected: dict[str, Any], rules: list[dict[str, Any]]) -> list[str]:
    """How the bucket's rules differ from the expected rule; empty when they agree."""
    ours = [r for r in rules if r.get("ID") == expected["ID"]]
    if not ours:
        return [f"no rule {expected['ID']!r} on the bucket"]
    actual = ours[0]
    found = []
    for name, want, got in (
        ("status", expected["Status"], actual.get("Status")),
        ("prefix", _prefix(expected), _prefix(actual)),
        ("transitions", _transitions(expected), _transitions(actual)),
        ("expiration days", expected["Expiration"]["Days"], (actual.get("Expiration") or {}).get("Days")),
    ):
        if want != got:
            found.append(f"{name}: bucket has {got!r}, settings want {want!r}")
    return found


def encryption_differences(kms_key_id: str | None, actual: dict[str, Any] | None) -> list[str]:
    """How the bucket's default encryption (as `S3BucketLifecycle.encryption` reads it) differs from
    what the settings want; empty when they agree."""
    want = default_encryption(kms_key_id)["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    if actual is None:
        # LiveKit Egress uploads recordings without SSE headers: only the bucket default encrypts them.
        return [f"default encryption: bucket has none, settings want {describe_encryption(want)}"]
    found = []
    if actual.get("SSEAlgorithm") != want["SSEAlgorithm"]:
        found.append(f"default encryption: bucket has {describe_encryption(actual)}, "
                     f"settings want {describe_encryption(want)}")
    elif kms_key_id and actual.get("KMSMasterKeyID") != kms_key_id:
        found.append(f"default encryption key: bucket has {actual.get('KMSMasterKeyID')!r}, "
                     f"settings want {kms_key_id!r}")
    return found


def describe_encryption(rule: dict[str, Any] | None) -> str:
    """'AES256', 'aws:kms (key K)' or 'none', for people."""
    if not rule:
        return "none"
    key = rule.get("KMSMasterKeyID")
    return f"{rule.get('SSEAlgorithm')} (key {key})" if key else str(rule.get("SSEAlgorithm"))


class S3BucketLifecycle:
    """Reads and writes one bucket's lifecycle and default-encryption configuration.
    Use `async with` or call `aclose()`."""

    def __init__(self, *, bucket: str, region: str = "us-east-1", endpoint_url: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None):
        if not bucket:
            raise LifecycleError("no bucket: set S3_BUCKET (local artifacts have no lifecycle)")
        self.bucket = bucket
        self.region = region
        self.endpoint_url = endpoint_url
        self._credentials = {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key}
        self._stack: contextlib.AsyncExitStack | None = None
        self._client: Any = None

    async def __aenter__(self) -> "S3BucketLifecycle":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def rules(self) -> list[dict[str, Any]]:
        """The bucket's lifecycle rules as S3 reports them; empty when it has none."""
        client = await self._s3()
        try:
            response = await client.get_bucket_lifecycle_configuration(Bucket=self.bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchLifecycleConfiguration":
                return []
            raise
        return list(response.get("Rules", []))

    async def apply(self, rule: dict[str, Any]) -> list[dict[str, Any]]:
        """Put `rule` in place of any rule with its ID, keep the others; returns the rules read back."""
        others = [r for r in await self.rules() if r.get("ID") != rule["ID"]]
        client = await self._s3()
        await client.put_bucket_lifecycle_configuration(
            Bucket=self.bucket, LifecycleConfiguration={"Rules": [*others, rule]})
        return await self.rules()

    async def encryption(self) -> dict[str, Any] | None:
        """The bucket's default encryption (`SSEAlgorithm`, maybe `KMSMasterKeyID`); None when it has none."""
        client = await self._s3()
        try:
            response = await client.get_bucket_encryption(Bucket=self.bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ServerSideEncryptionConfigurationNotFoundError":
                return None
            raise
        rules = (response.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
        return dict(rules[0].get("ApplyServerSideEncryptionByDefault") or {}) if rules else None

    async def apply_encryption(self, kms_key_id: str | None) -> dict[str, Any] | None:
        """Make the artifacts' encryption (SSE-KMS with `kms_key_id`, else AES256) the bucket default,
        the same configuration S3Artifacts.ensure_bucket puts; returns it read back."""
        client = await self._s3()
        await client.put_bucket_encryption(Bucket=self.bucket,
                                           ServerSideEncryptionConfiguration=default_encryption(kms_key_id))
        return await self.encryption()

    async def aclose(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = None
        self._client = None

    async def _s3(self) -> Any:
        if self._client is None:
            stack = contextlib.AsyncExitStack()
            self._client = await stack.enter_async_context(get_session().create_client(
                "s3", region_name=self.region, endpoint_url=self.endpoint_url,
                config=AioConfig(signature_version="s3v4"), **self._credentials))
            self._stack = stack
        return self._client


def _prefix(rule: dict[str, Any]) -> str | None:
    flt = rule.get("Filter") or {}
    if "Prefix" in flt:
        return flt["Prefix"]
    if "And" in flt:
        return flt["And"].get("Prefix")
    return rule.get("Prefix")


def _transitions(rule: dict[str, Any]) -> list[tuple[int | None, str | None]]:
    return sorted((t.get("Days"), t.get("StorageClass")) for t in rule.get("Transitions") or [])
