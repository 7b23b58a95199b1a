"""CallArtifacts contract over the in-memory fake, the local folder and S3 (moto's server over HTTP)."""
from __future__ import annotations

import asyncio
import hashlib
import io
import os
import stat
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from aiobotocore.session import get_session

from domain.call_record import TranscriptLine
from domain.outcomes import CallOutcome
from infrastructure.local_artifacts import LocalArtifacts
from infrastructure.s3_artifacts import MIN_PART_SIZE, S3Artifacts
from tests.fakes.storage import InMemoryArtifacts

KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


def s3_settings(endpoint: str, **extra) -> dict:
    return dict(bucket=f"calls-{uuid.uuid4().hex[:12]}", endpoint_url=endpoint, region="us-east-1",
                addressing_style="path", part_size=MIN_PART_SIZE, **CREDENTIALS, **extra)


@pytest.fixture(params=["fake", "local", "s3", "s3-kms"])
async def artifacts(request, tmp_path, s3_endpoint):
    if request.param == "fake":
        yield InMemoryArtifacts()
    elif request.param == "local":
        yield LocalArtifacts(tmp_path / "artifacts")
    else:
        extra = {"kms_key_id": KMS_KEY} if request.param == "s3-kms" else {}
        store = S3Artifacts(**s3_settings(s3_endpoint, **extra))
        await store.ensure_bucket()
        yield store
        await store.aclose()


@pytest.fixture
async def s3_client(s3_endpoint):
    async with get_session().create_client(
        "s3", region_name="us-east-1", endpoint_url=s3_endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    ) as client:
        yield client


def lines() -> list[TranscriptLine]:
    at = datetime(2026, 3, 10, 15, 20, 5, tzinfo=timezone.utc)
    return [
        TranscriptLine("agent", "Hi, this is the DocShield assistant, an AI. Is Dana there?", at),
        TranscriptLine("callee", "Ça dépend: who's asking?", None),
    ]


def report() -> dict:
    return {"outcome": CallOutcome.DECLINED, "latency_ms": [812.5, 640.0],
            "ended_at": datetime(2026, 3, 10, 15, 25, tzinfo=timezone.utc), "usage": {"tokens": 1234}}


async def fetch(url: str) -> bytes:
    def get() -> bytes:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read()
    return await asyncio.to_thread(get)


class TestTranscripts:
    async def test_round_trip_keeps_speakers_text_timestamps_and_report(self, artifacts):
        key = await artifacts.put_transcript("call-1", lines(), report())
        document = await artifacts.get_transcript(key)
        assert document["call_id"] == "call-1"
        assert document["transcript"] == [
            {"speaker": "agent", "text": lines()[0].text, "at": "2026-03-10T15:20:05+00:00"},
            {"speaker": "callee", "text": "Ça dépend: who's asking?", "at": None},
        ]
        assert document["report"] == {"outcome": "declined", "latency_ms": [812.5, 640.0],
                                      "ended_at": "2026-03-10T15:25:00+00:00", "usage": {"tokens": 1234}}

    async def test_key_is_named_after_the_call(self, artifacts):
        assert await artifacts.put_transcript("abc123", lines(), {}) == "calls/abc123/transcript.json"

    async def test_url_opens_to_the_same_document(self, artifacts):
        key = await artifacts.put_transcript("call-2", lines(), report())
        url = await artifacts.url_for(key, expires_s=300)
        assert (await fetch(url)).decode("utf-8").count("Ça dépend") == 1

    async def test_deleted_transcript_is_gone(self, artifacts):
        key = await artifacts.put_transcript("call-3", lines(), {})
        await artifacts.delete(key)
        with pytest.raises(KeyError):
            await artifacts.get_transcript(key)

    @pytest.mark.parametrize("bad", ["", "../etc", "a/b", "with space"])
    async def test_unsafe_call_id_is_refused(self, artifacts, bad):
        with pytest.raises(ValueError, match="call_id"):
            await artifacts.put_transcript(bad, lines(), {})

    async def test_report_that_json_cannot_hold_is_refused_with_its_path(self, artifacts):
        with pytest.raises(TypeError, match=r"report\.audio"):
            await artifacts.put_transcript("call-4", lines(), {"audio": object()})


class TestRecordings:
    async def test_large_recording_round_trips(self, artifacts, tmp_path):
        data = os.urandom(10 * 1024 * 1024 + 12345)
        source = tmp_path / "recording.ogg"
        source.write_bytes(data)
        key = await artifacts.put_recording("call-5", source)
        assert key == "calls/call-5/recording.ogg"
        body = await fetch(await artifacts.url_for(key))
        assert hashlib.sha256(body).hexdigest() == hashlib.sha256(data).hexdigest()

    async def test_small_recording_from_a_stream(self, artifacts):
        key = await artifacts.put_recording("call-6", io.BytesIO(b"OggS" + b"\0" * 100), extension=".ogg")
        assert await fetch(await artifacts.url_for(key)) == b"OggS" + b"\0" * 100

    async def test_bytes_are_refused_with_a_hint(self, artifacts):
        with pytest.raises(TypeError, match="stream"):
            await artifacts.put_recording("call-7", b"raw")


class TestS3:
    @pytest.mark.parametrize("kms", [None, KMS_KEY])
    async def test_every_object_is_encrypted_server_side(self, s3_endpoint, s3_client, tmp_path, kms):
        store = S3Artifacts(**s3_settings(s3_endpoint, kms_key_id=kms))
        await store.ensure_bucket()
        big = tmp_path / "big.ogg"
        big.write_bytes(os.urandom(MIN_PART_SIZE + 1000))
        keys = [await store.put_transcript("call-8", lines(), {}),
                await store.put_recording("call-8", big),
                await store.put_recording("call-9", io.BytesIO(b"small"))]
        await store.aclose()
        for key in keys:
            head = await s3_client.head_object(Bucket=store.bucket, Key=key)
            if kms:
                assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", kms), key
            else:
                assert head["ServerSideEncryption"] == "AES256", key

    async def test_large_recording_goes_up_in_parts_of_at_least_5_mib(self, s3_endpoint, s3_client, tmp_path):
        store = S3Artifacts(**s3_settings(s3_endpoint))
        await store.ensure_bucket()
        source = tmp_path / "r.ogg"
        source.write_bytes(os.urandom(10 * 1024 * 1024 + 1))
        key = await store.put_recording("call-10", source)
        await store.aclose()
        head = await s3_client.head_object(Bucket=store.bucket, Key=key, PartNumber=1)
        assert head["PartsCount"] == 3
        assert head["ContentLength"] == MIN_PART_SIZE
        uploads = await s3_client.list_multipart_uploads(Bucket=store.bucket)
        assert not uploads.get("Uploads")

    async def test_failed_multipart_upload_is_aborted(self, s3_endpoint, s3_client):
        store = S3Artifacts(**s3_settings(s3_endpoint))
        await store.ensure_bucket()

        class Breaks(io.RawIOBase):
            reads = 0

            def readable(self):
                return True

            def read(self, size=-1):
                self.reads += 1
                if self.reads > 2:
                    raise OSError("disk gone")
                return b"x" * size

        with pytest.raises(OSError, match="disk gone"):
            await store.put_recording("call-11", Breaks())
        await store.aclose()
        uploads = await s3_client.list_multipart_uploads(Bucket=store.bucket)
        assert not uploads.get("Uploads")

    async def test_bucket_default_encryption_covers_egress_uploads(self, s3_endpoint, s3_client):
        store = S3Artifacts(**s3_settings(s3_endpoint, kms_key_id=KMS_KEY))
        await store.ensure_bucket()
        await store.aclose()
        config = await s3_client.get_bucket_encryption(Bucket=store.bucket)
        rule = config["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
        assert rule == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KMS_KEY}

    async def test_presigned_url_is_sigv4(self, s3_endpoint):
        store = S3Artifacts(**s3_settings(s3_endpoint))
        await store.ensure_bucket()
        url = await store.url_for(await store.put_transcript("call-12", [], {}), expires_s=60)
        await store.aclose()
        assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url

    def test_settings_are_checked(self):
        with pytest.raises(ValueError, match="part_size"):
            S3Artifacts(bucket="b", part_size=1024)
        with pytest.raises(ValueError, match="bucket"):
            S3Artifacts(bucket="")
        with pytest.raises(ValueError, match="together"):
            S3Artifacts(bucket="b", access_key_id="x")


def test_local_files_are_private(tmp_path):
    store = LocalArtifacts(tmp_path / "a")
    key = asyncio.run(store.put_transcript("call-13", lines(), {}))
    path = Path(store.root, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert asyncio.run(store.url_for(key)) == path.as_uri()
