"""Configuration from the environment (and an optional .env file), validated at start.

Every problem is reported on its own line, naming the variable, so an operator
can fix them all in one go.
"""
from __future__ import annotations

import difflib
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Optional

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.campaign import MAX_FOLLOW_UPS_PER_STEP
from infrastructure.answering_machine import DETECTION_TIMEOUT_S


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


EMBEDDED_LINE_MEMORY_LIMIT_MB = 1024
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      case_sensitive=False)

    # Where things run. Unset service URLs mean "start the embedded one".
    redis_url: Optional[str] = None
    mongodb_uri: Optional[str] = None
    mongodb_database: str = "docshield"
    # Refuse plain-text Redis and MongoDB to hosts other than loopback (the Docker image sets it).
    require_tls: bool = False
    data_dir: Path = Path(".docshield")

    # The queue and the worker.
    queue_name: str = "docshield:calls"
    worker_id: str = Field(default_factory=_default_worker_id)
    max_concurrent_calls: int = Field(default=4, ge=1, le=100)
    poll_delay_s: float = Field(default=0.5, gt=0, le=10)
    max_call_duration_s: int = Field(default=900, ge=5, le=7200)
    job_timeout_s: int = Field(default=1200, ge=5)
    job_max_tries: int = Field(default=50, ge=1)
    transient_max_tries: int = Field(default=8, ge=1)
    keep_result_s: int = Field(default=86400, ge=60)
    heartbeat_interval_s: float = Field(default=2.0, gt=0, le=60)
    claim_lease_s: int = Field(default=120, ge=10)
    # Callbacks the worker queues itself, per step (a callee may ask again on the callback).
    max_follow_ups_per_step: int = Field(default=MAX_FOLLOW_UPS_PER_STEP, ge=0, le=10)
    memory_limit_mb: int = Field(default=450, ge=50)
    scale_up_queue_depth: int = Field(default=100, ge=1)
    health_port: Optional[int] = Field(default=None, ge=0, le=65535)  # /healthz and /readyz; unset: no server
    health_host: str = "0.0.0.0"
    # JSON overrides of the resilience defaults (infrastructure/resilience/policies.py), e.g.
    # {"s3": {"breaker": {"errors": 5}}, "mongodb": {"on_network": {"retries": 1, "delay_s": 0.5}}}
    resilience: Optional[str] = None
    # Rate limits and breakers of LiveKit, OpenAI, Calendar and S3 kept in Redis for every process
    # (per process when false, or while Redis does not answer).
    shared_limits: bool = True
    mongodb_timeout_ms: int = Field(default=5000, ge=50, le=60000)
    script_cache_s: float = Field(default=30.0, ge=0, le=3600)  # a process re-reads a call script after this
    # The simulated line holds each call this long after dialing (load tests, crash tests).
    simulated_call_seconds: float = Field(default=0.0, ge=0, le=3600)

    # Logs and traces.
    log_level: str = "INFO"
    log_json: bool = False
    logtail_source_token: Optional[str] = None
    logtail_host: str = "https://in.logs.betterstack.com"
    otel_exporter_otlp_endpoint: Optional[str] = None
    otel_service_name: str = "docshield-voice-worker"

    # Voice: LiveKit SIP and OpenAI. All LiveKit settings or none.
    livekit_url: Optional[str] = None
    livekit_api_key: Optional[str] = None
    livekit_api_secret: Optional[str] = None
    sip_outbound_trunk_id: Optional[str] = None
    agent_name: str = "docshield-sales-agent"
    openai_api_key: Optional[str] = None
    openai_realtime_model: str = "gpt-realtime"
    openai_voice: str = "marin"
    openai_base_url: Optional[str] = None
    openai_turn_detection: str = Field(default="semantic_vad", pattern="^(semantic_vad|server_vad)$")
    openai_vad_eagerness: str = Field(default="auto", pattern="^(low|medium|high|auto)$")
    amd_enabled: bool = True
    # From the answer: past it the detector says "uncertain" and the callee's words decide (see README, "Calls on sound").
    amd_timeout_s: float = Field(default=DETECTION_TIMEOUT_S, gt=0, le=60)
    # `simulate --model openai...`: prices per million tokens as JSON, e.g. {"gpt-realtime": {"input": 4, "output": 16}}
    # (keys: input, cached_input, output, audio_input, audio_output); OpenAI's list prices when unset.
    model_prices: Optional[str] = None
    amd_model: str = "gpt-4.1-mini"
    coach_model: str = "gpt-4.1-mini"
    coach_interval_s: float = Field(default=15.0, gt=0)
    ringing_timeout_s: int = Field(default=30, ge=5, le=120)
    agent_display_name: str = "Alex"
    company_name: str = "DocShield"
    callback_number: str = "(800) 555-0199"

    # Storage. No bucket means local files under data_dir.
    s3_bucket: Optional[str] = None
    s3_prefix: str = "calls/"
    s3_endpoint_url: Optional[str] = None
    s3_kms_key_id: Optional[str] = None
    aws_region: str = "us-east-1"
    s3_archive_storage_class: str = "GLACIER_IR"  # or STANDARD_IA: where calls go when no longer active

    # Retention (days since the call, or since a campaign closed): active, archived, then deleted.
    retention_active_days: int = Field(default=90, ge=1)
    retention_archive_days: int = Field(default=365, ge=1)
    retention_delete_days: int = Field(default=3 * 365, ge=1)

    # Calendar. No Google credentials means the embedded ICS calendar.
    google_client_id: Optional[str] = None
    google_client_secret: Optional[str] = None
    google_refresh_token: Optional[str] = None
    google_token_uri: str = "https://oauth2.googleapis.com/token"
    google_calendar_endpoint: Optional[str] = None
    clerk_secret_key: Optional[str] = None
    clerk_api_url: Optional[str] = None

    # The report's cost per call: per-minute prices (USD) of the phone line, the realtime model and LiveKit.
    # The defaults are rough list prices; set your own.
    price_telephony_per_min: float = Field(default=0.014, ge=0, le=100)
    price_realtime_per_min: float = Field(default=0.06, ge=0, le=100)
    price_livekit_per_min: float = Field(default=0.01, ge=0, le=100)

    # Compliance.
    dnc_hash_key: str = "docshield-local-dnc-key"
    # The product's clock stopped at this instant (ISO 8601 with its offset): walkthroughs and tests at a
    # chosen hour. Simulated calls only: refused together with real-call settings.
    clock_frozen_at: Optional[datetime] = None

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return upper

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: Optional[str]) -> Optional[str]:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value or None

    @field_validator("model_prices")
    @classmethod
    def _prices(cls, value: Optional[str]) -> Optional[str]:
        from domain.model_cost import validate_prices

        return validate_prices(value) if value else None

    @field_validator("mongodb_uri")
    @classmethod
    def _mongo(cls, value: Optional[str]) -> Optional[str]:
        if value and not value.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value or None

    @model_validator(mode="after")
    def _coherent(self) -> "Settings":
        problems = []
        # OPENAI_API_KEY alone is fine: the coach and `simulate --model openai...` use it without LiveKit.
        livekit = {"LIVEKIT_URL": self.livekit_url, "LIVEKIT_API_KEY": self.livekit_api_key,
                   "LIVEKIT_API_SECRET": self.livekit_api_secret, "SIP_OUTBOUND_TRUNK_ID": self.sip_outbound_trunk_id}
        given = [k for k, v in livekit.items() if v]
        needed = {**livekit, "OPENAI_API_KEY": self.openai_api_key}
        if given and not all(needed.values()):
            missing = [k for k, v in needed.items() if not v]
            problems.append(f"real calls need all of {', '.join(needed)}; missing: {', '.join(missing)}")
        google = {"GOOGLE_CLIENT_ID": self.google_client_id, "GOOGLE_CLIENT_SECRET": self.google_client_secret}
        if any(google.values()) and not all(google.values()):
            problems.append("GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET go together")
        # A real call waits up to MAX_CALL_DURATION_S + 60 s for the agent's result; a simulated one does not.
        margin = 60 if self.real_calls else 0
        if self.job_timeout_s <= self.max_call_duration_s + margin:
            problems.append(f"JOB_TIMEOUT_S ({self.job_timeout_s}) must exceed MAX_CALL_DURATION_S "
                            f"({self.max_call_duration_s}) by more than {margin} s, or ARQ would cut calls short")
        if not self.retention_active_days < self.retention_archive_days < self.retention_delete_days:
            problems.append("retention periods must grow: RETENTION_ACTIVE_DAYS < RETENTION_ARCHIVE_DAYS "
                            "< RETENTION_DELETE_DAYS")
        if self.resilience:
            from infrastructure.resilience.policies import ResilienceConfig

            try:
                ResilienceConfig.from_json(self.resilience)
            except ValueError as exc:
                problems.append(str(exc))
        if "memory_limit_mb" not in self.model_fields_set and not self.real_calls:
            # Without credentials the embedded practice line runs the agent framework in this process.
            self.memory_limit_mb = EMBEDDED_LINE_MEMORY_LIMIT_MB
        if self.clock_frozen_at is not None and self.clock_frozen_at.tzinfo is None:
            problems.append("CLOCK_FROZEN_AT needs its UTC offset, e.g. 2026-03-10T05:37:00-06:00")
        if self.clock_frozen_at is not None and self.real_calls:
            problems.append("CLOCK_FROZEN_AT is for simulated calls only: unset it to place real calls")
        if self.require_tls:
            from infrastructure.transport_security import plain_text_problems

            problems.extend(plain_text_problems(self.redis_url, self.mongodb_uri))
        if self.real_calls and self.dnc_hash_key == "docshield-local-dnc-key":
            problems.append("DNC_HASH_KEY must be set to a secret of your own when placing real calls")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def real_calls(self) -> bool:
        return bool(self.livekit_url and self.sip_outbound_trunk_id)

    @property
    def google_calendar(self) -> bool:
        return bool(self.google_client_id and (self.google_refresh_token or self.clerk_secret_key))


def load_settings(env_file: str | Path | None = None, **overrides) -> Settings:
    """Build Settings or raise ConfigError with one line per problem."""
    if env_file is not None and not Path(env_file).is_file():
        raise ConfigError([f"--env-file {env_file}: no such file"])
    try:
        if env_file is not None:
            return Settings(_env_file=str(env_file), **overrides)
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError([line for err in exc.errors() for line in _lines(err)]) from None


# Read from the environment by libraries, not by Settings: a .env may name them without a warning.
_LIBRARY_KEYS = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"})


def unknown_env_keys(env_file: str | Path | None = None) -> list[str]:
    """One line per key of the .env file (default `.env` here) that no setting reads, naming the
    closest known setting: a misspelt `MAX_CONCURENT_CALLS` would otherwise be silently ignored."""
    from dotenv import dotenv_values

    path = Path(env_file) if env_file is not None else Path(".env")
    if not path.is_file():
        return []
    known = sorted(name.upper() for name in Settings.model_fields)
    lines = []
    for key in dotenv_values(path):
        name = key.upper()
        if name in known or name in _LIBRARY_KEYS:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        lines.append(f"{path.name}: unknown setting {name} is ignored{hint}")
    return lines


_SECRET_WORDS = ("KEY", "SECRET", "TOKEN", "PASSWORD", "URI", "URL")


def _lines(err: dict) -> list[str]:
    location = "_".join(str(p) for p in err.get("loc", ()) if p != "__root__").upper()
    message = err.get("msg", "invalid").removeprefix("Value error, ")
    if not location:
        return [f"configuration: {part}" for part in message.split("\n")]
    if err.get("type") == "missing":
        return [f"{location}: required"]
    # Never echo a credential back into a terminal or a log.
    shown = "" if any(w in location for w in _SECRET_WORDS) else f" (got {err.get('input')!r})"
    return [f"{location}: {message}{shown}"]
