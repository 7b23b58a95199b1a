"""CallArtifacts on S3 (aiobotocore): transcripts, session reports and recordings, encrypted at rest.

Every object is written with server-side encryption: SSE-KMS with `kms_key_id`
when one is configured, else SSE-S3 (AES256). URLs are presigned SigV4 GETs.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
from typing import Any, BinaryIO

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from domain.call_record import TranscriptLine
from infrastructure.call_artifact_layout import (
    checked_prefix, content_type_for, recording_key, transcript_document, transcript_key,
)

MIN_PART_SIZE = 5 * 1024 * 1024  # S3 refuses smaller parts (all but the last)
MAX_PRESIGN_S = 7 * 24 * 3600  # SigV4 presigned URLs cannot live longer


def default_encryption(kms_key_id: str | None) -> dict[str, Any]:
    """The bucket default-encryption configuration matching what every write carries:
    SSE-KMS with `kms_key_id` (and an S3 Bucket Key, fewer KMS calls) when given, else AES256."""
    rule: dict[str, Any] = {"SSEAlgorithm": "aws:kms" if kms_key_id else "AES256"}
    if kms_key_id:
        rule["KMSMasterKeyID"] = kms_key_id
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": rule, "BucketKeyEnabled": bool(kms_key_id)}]}


class S3Artifacts:
    """Settings: `bucket`; `region`; `endpoint_url` (None for AWS, or MinIO/moto);
    `access_key_id`/`secret_access_key` (None: the default AWS credential chain);
    `kms_key_id` (None: AES256); `prefix` ('' or 'path/'); `part_size` for multipart
    recordings (>= 5 MiB); `addressing_style` ('auto', 'path' or 'virtual'); `timeout_s` for
    connecting and for each read. Each request is tried once: retries, the breaker and their
    figures are the resilience guard's (containers.guarded), so they do not multiply with botocore's.

    Open a client lazily on first use in the running loop; call `aclose()` when done."""

    def __init__(self, *, bucket: str, region: str = "us-east-1", endpoint_url: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None,
                 kms_key_id: str | None = None, prefix: str = "calls/", part_size: int = 8 * 1024 * 1024,
                 addressing_style: str = "auto", timeout_s: float = 60.0):
        if not bucket:
            raise ValueError("bucket must be set")
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3 minimum), got {part_size}")
        if addressing_style not in ("auto", "path", "virtual"):
            raise ValueError(f"addressing_style must be auto, path or virtual, got {addressing_style!r}")
        if (access_key_id is None) != (secret_access_key is None):
            raise ValueError("access_key_id and secret_access_key must be given together")
        self.bucket = bucket
        self.region = region
        self.endpoint_url = endpoint_url
        self.kms_key_id = kms_key_id or None
        self.prefix = checked_prefix(prefix)
        self.part_size = part_size
        self._credentials = {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key}
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        self._config = AioConfig(signature_version="s3v4", s3={"addressing_style": addressing_style},
                                 connect_timeout=timeout_s, read_timeout=timeout_s,
                                 retries={"total_max_attempts": 1})
        self._client: Any = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._lock = asyncio.Lock()

    @property
    def encryption(self) -> dict[str, str]:
        """The server-side encryption arguments every write carries."""
        if self.kms_key_id:
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        return {"ServerSideEncryption": "AES256"}

    async def put_transcript(self, call_id: str, lines: list[TranscriptLine], report: dict) -> str:
        key = transcript_key(call_id, self.prefix)
        body = transcript_document(call_id, lines, report)
        client = await self._s3()
        await client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json",
                                **self.encryption)
        return key

    async def get_transcript(self, key: str) -> dict:
        client = await self._s3()
        try:
            response = await client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in ("NoSuchKey", "404"):
                raise KeyError(key) from None
            raise
        async with response["Body"] as stream:
            return json.loads(await stream.read())

    async def url_for(self, key: str, expires_s: int = 3600) -> str:
        if not 1 <= expires_s <= MAX_PRESIGN_S:
            raise ValueError(f"expires_s must be between 1 and {MAX_PRESIGN_S}, got {expires_s}")
        client = await self._s3()
        return await client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_s)

    async def delete(self, key: str) -> None:
        client = await self._s3()
        await client.delete_object(Bucket=self.bucket, Key=key)

    async def put_recording(self, call_id: str, source: str | os.PathLike | BinaryIO,
                            *, extension: str = ".ogg") -> str:
        """Upload a recording from a file path or a binary stream; returns its key.

        Anything larger than `part_size` goes up as a multipart upload (aborted on failure)."""
        key = recording_key(call_id, extension, self.prefix)
        with _opened(source) as stream:
            first = await asyncio.to_thread(stream.read, self.part_size)
            second = await asyncio.to_thread(stream.read, self.part_size) if len(first) == self.part_size else b""
            client = await self._s3()
            if not second:
                await client.put_object(Bucket=self.bucket, Key=key, Body=first,
                                        ContentType=content_type_for(key), **self.encryption)
                return key
            await self._multipart(client, key, stream, [first, second])
        return key

    async def ensure_bucket(self) -> None:
        """Create the bucket when missing and make the same encryption its default.

        LiveKit Egress uploads recordings without SSE headers (its S3Upload has no
        encryption field), so the bucket default is what encrypts them."""
        client = await self._s3()
        try:
            await client.head_bucket(Bucket=self.bucket)
        except ClientError:
            extra = {} if self.region == "us-east-1" else {
                "CreateBucketConfiguration": {"LocationConstraint": self.region}}
            await client.create_bucket(Bucket=self.bucket, **extra)
        await client.put_bucket_encryption(Bucket=self.bucket,
                                           ServerSideEncryptionConfiguration=default_encryption(self.kms_key_id))

    async def aclose(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = None
        self._client = None

    async def _multipart(self, client: Any, key: str, stream: BinaryIO, pending: list[bytes]) -> None:
        upload = await client.create_multipart_upload(Bucket=self.bucket, Key=key,
                                                      ContentType=content_type_for(key), **self.encryption)
        upload_id = upload["UploadId"]
        parts = []
        try:
            number = 0
            while pending:
                chunk = pending.pop(0)
                number += 1
                response = await client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                    PartNumber=number, Body=chunk)
                parts.append({"PartNumber": number, "ETag": response["ETag"]})
                following = await asyncio.to_thread(stream.read, self.part_size)
                if following:
                    pending.append(following)
            await client.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                   MultipartUpload={"Parts": parts})
        except BaseException:
            # An unfinished upload keeps its parts (and costs) until aborted.
            with contextlib.suppress(Exception):
                await asyncio.shield(client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id))
            raise

    async def _s3(self) -> Any:
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                stack = contextlib.AsyncExitStack()
                self._client = await stack.enter_async_context(get_session().create_client(
                    "s3", region_name=self.region, endpoint_url=self.endpoint_url, config=self._config,
                    **self._credentials))
                self._stack = stack
        return self._client


@contextlib.contextmanager
def _opened(source: str | os.PathLike | BinaryIO):
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as stream:
            yield stream
    elif isinstance(source, (bytes, bytearray)):
        raise TypeError("pass a path or a binary stream, not bytes (wrap them in io.BytesIO)")
    elif hasattr(source, "read"):
        yield source
    else:
        raise TypeError(f"recording source must be a path or a binary stream, got {type(source).__name__}")


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


