"""The one place that knows which adapter serves which port.

Entry points build a Container from validated Settings (`await build_container(settings)`)
and take use cases from it (`await container.conduct_call()`); resources such as
the embedded servers start on first use and stop in `close_container`. Tests
override providers with fakes (`container.call_line.override(...)`).
"""
from __future__ import annotations

import importlib
from datetime import timedelta
from typing import AsyncIterator

from dependency_injector import containers, providers

from application.archive_calls import ArchiveCalls
from application.book_meeting import BookMeeting
from application.call_report import BuildCallReport
from application.compliance_gate import PolicyComplianceGate
from application.conduct_call import ClaimPolicy, ConductCall
from application.erase_contact import EraseContact
from domain.call_report import Prices
from domain.calling_policy import CallingPolicy
from domain.retention_policy import RetentionPolicy
from infrastructure.arq_follow_ups import ArqFollowUpQueue
from infrastructure.embedded_services import EmbeddedMongo, EmbeddedRedis
from infrastructure.ics_calendar import IcsCalendar
from infrastructure.local_artifacts import LocalArtifacts
from infrastructure.mongo_archive import MongoCallArchive
from infrastructure.mongo_call_statistics import MongoCallStatistics
from infrastructure.mongo_claims import MongoCallClaims
from infrastructure.mongo_compliance import MongoComplianceAudit, MongoDoNotCallList
from infrastructure.mongo_erasure import MongoErasureAudit, MongoPersonalDataStore
from infrastructure.mongo_models import CallRecordDoc, CampaignDoc, ContactDoc
from infrastructure.mongo_repositories import (MongoCallRecordRepository, MongoCampaignRepository,
                                               MongoContactRepository)
from infrastructure.mongo_scripts import MongoScriptCatalog
from infrastructure.offline_coach import OfflineCoach
from infrastructure.otel_telemetry import OtelTelemetry
from infrastructure.redis_handback import RedisHandback
from infrastructure.redis_outcome_events import RedisOutcomeEvents
from infrastructure.resilience import Guards, ResilienceConfig
from infrastructure.resilience.shared_store import SharedStore
from infrastructure.settings import Settings
from infrastructure.simulated_line import SimulatedLine
from infrastructure.system_clock import FrozenClock, SystemClock


def lazy(path: str):
    """The adapter class at `module:Name`, imported when first built: a command that never
    touches S3, LiveKit, Google or OpenAI does not pay seconds importing their SDKs."""
    module, name = path.split(":")

    def build(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    return build


async def redis_url(settings: Settings) -> AsyncIterator[str]:
    if settings.redis_url:
        yield settings.redis_url
        return
    embedded = EmbeddedRedis(settings.data_dir / "redis")
    try:
        yield embedded.start()
    finally:
        embedded.stop()


async def mongo_uri(settings: Settings) -> AsyncIterator[str]:
    if settings.mongodb_uri:
        yield settings.mongodb_uri
        return
    embedded = EmbeddedMongo(settings.data_dir)
    try:
        yield embedded.start()
    finally:
        embedded.stop()


async def redis_client(url: str):
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        yield client
    finally:
        await client.aclose()


async def motor_client(uri: str, timeout_ms: int = 5000):
    from motor.motor_asyncio import AsyncIOMotorClient

    client = AsyncIOMotorClient(uri, serverSelectionTimeoutMS=timeout_ms, tz_aware=False)
    try:
        yield client
    finally:
        client.close()


async def mongo_database(client, name: str, guards: Guards):
    """The database, with the specification's indexes in place before anyone uses it.

    The set-up runs through the MongoDB guard like any other MongoDB call: an unreachable
    server is a TransientFault (the job is retried, never failed for good), and the next
    use tries the set-up again."""
    from odmantic import AIOEngine

    async def set_up() -> None:
        await AIOEngine(client=client, database=name).configure_database([ContactDoc, CampaignDoc, CallRecordDoc])
        await MongoComplianceAudit(client[name]).ensure_indexes()

    await guards["mongodb"].call(set_up)
    yield client[name]


async def call_artifacts(settings: Settings, guards: Guards):
    """S3 when a bucket is configured, else files under the data folder; S3's client is closed at shutdown."""
    if not settings.s3_bucket:
        yield LocalArtifacts(settings.data_dir / "artifacts", prefix=settings.s3_prefix)
        return
    s3_artifacts = lazy("infrastructure.s3_artifacts:S3Artifacts")
    store = s3_artifacts(bucket=settings.s3_bucket, region=settings.aws_region,
                         endpoint_url=settings.s3_endpoint_url, kms_key_id=settings.s3_kms_key_id,
                         prefix=settings.s3_prefix)
    try:
        yield guarded(store, guards, "s3")
    finally:
        await store.aclose()


def egress_target(settings: Settings):
    """Where LiveKit Egress puts recordings: beside the transcripts, or nowhere without a bucket."""
    if not settings.s3_bucket:
        return None
    egress = lazy("infrastructure.livekit_call_line:EgressS3Settings")
    return egress(bucket=settings.s3_bucket, prefix=settings.s3_prefix, region=settings.aws_region,
                  endpoint=settings.s3_endpoint_url or "")


def shared_store(settings: Settings, redis_url) -> SharedStore | None:
    """Where account-wide limits and breakers live; `redis_url` is the provider, awaited on the
    first guarded call, so a command that never calls out never starts Redis."""
    return SharedStore(redis_url) if settings.shared_limits else None


def resilience_guards(settings: Settings, telemetry, retry_notice=None, shared: SharedStore | None = None) -> Guards:
    return Guards(ResilienceConfig.from_json(settings.resilience),
                  on_breaker_change=getattr(telemetry, "breaker_changed", None), on_retry=retry_notice,
                  shared=shared)


def guarded(adapter, guards: Guards, dependency: str, no_retry: tuple[str, ...] = (), no_limit: tuple[str, ...] = ()):
    return guards.wrap(adapter, dependency, no_retry=no_retry, no_limit=no_limit)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    redis_url = providers.Resource(redis_url, settings)
    mongo_uri = providers.Resource(mongo_uri, settings)
    redis = providers.Resource(redis_client, redis_url)
    mongo_client = providers.Resource(motor_client, mongo_uri, settings.provided.mongodb_timeout_ms)
    clock = providers.Selector(
        providers.Callable(lambda s: "frozen" if s.clock_frozen_at else "system", settings),
        frozen=providers.Singleton(FrozenClock, settings.provided.clock_frozen_at),
        system=providers.Singleton(SystemClock),
    )
    telemetry = providers.Singleton(OtelTelemetry)
    # Who hears of each retry as it starts (the command line shows them to the operator); nobody by default.
    retry_notice = providers.Object(None)
    shared_store = providers.Singleton(shared_store, settings, redis_url.provider)
    guards = providers.Singleton(resilience_guards, settings, telemetry, retry_notice, shared_store)
    database = providers.Resource(mongo_database, mongo_client, settings.provided.mongodb_database, guards)
    engine = providers.Singleton(lambda db: __import__("odmantic").AIOEngine(client=db.client, database=db.name),
                                 database)

    campaigns = providers.Singleton(guarded, providers.Singleton(MongoCampaignRepository, engine), guards, "mongodb")
    dnc_hash_key = providers.Callable(str.encode, settings.provided.dnc_hash_key)
    contacts = providers.Singleton(guarded, providers.Singleton(MongoContactRepository, engine, dnc_hash_key), guards,
                                   "mongodb")
    call_records = providers.Singleton(guarded, providers.Singleton(MongoCallRecordRepository, engine), guards,
                                       "mongodb")
    claims = providers.Singleton(guarded, providers.Singleton(MongoCallClaims, database), guards, "mongodb")
    do_not_call = providers.Singleton(guarded, providers.Singleton(
        MongoDoNotCallList, database, dnc_hash_key), guards, "mongodb")
    audit = providers.Singleton(guarded, providers.Singleton(MongoComplianceAudit, database), guards, "mongodb")
    scripts = providers.Singleton(guarded, providers.Singleton(
        MongoScriptCatalog, database, cache_s=settings.provided.script_cache_s), guards, "mongodb")
    artifacts = providers.Resource(call_artifacts, settings, guards)
    handback = providers.Singleton(RedisHandback, redis)
    outcome_events = providers.Singleton(guarded, providers.Singleton(RedisOutcomeEvents, redis), guards, "redis")
    follow_ups = providers.Singleton(guarded, providers.Singleton(
        ArqFollowUpQueue, redis, queue_name=settings.provided.queue_name), guards, "redis")

    calling_policy = providers.Singleton(CallingPolicy)
    compliance = providers.Singleton(PolicyComplianceGate, do_not_call, calling_policy)

    sales_coach = providers.Selector(
        providers.Callable(lambda s: "openai" if s.openai_api_key else "offline", settings),
        # The coach loop has its own deadline and skips a slow review: the guard only breaks and limits.
        openai=providers.Singleton(guarded, providers.Singleton(
            lazy("infrastructure.openai_coach:OpenAICoach"), api_key=settings.provided.openai_api_key,
            model=settings.provided.coach_model,
            base_url=settings.provided.openai_base_url), guards, "openai", no_retry=("review",)),
        offline=providers.Singleton(OfflineCoach),
    )

    calendar = providers.Selector(
        providers.Callable(lambda s: "google" if s.google_calendar else "local", settings),
        # BookMeeting retries transient faults itself; the guard adds the breaker and the rate limits.
        google=providers.Singleton(guarded, providers.Singleton(
            lazy("infrastructure.google_calendar:GoogleCalendar"),
            api_endpoint=settings.provided.google_calendar_endpoint), guards, "calendar",
            no_retry=("busy", "insert", "get")),
        local=providers.Singleton(IcsCalendar, providers.Callable(lambda s: s.data_dir / "calendar", settings)),
    )
    calendar_credentials = providers.Selector(
        providers.Callable(
            lambda s: "clerk" if s.clerk_secret_key else ("static" if s.google_calendar else "local"), settings),
        clerk=providers.Singleton(lazy("infrastructure.calendar_credentials:ClerkCalendarCredentials"),
                                  secret_key=settings.provided.clerk_secret_key,
                                  server_url=settings.provided.clerk_api_url),
        static=providers.Singleton(
            lazy("infrastructure.calendar_credentials:StaticRefreshTokenCredentials"),
            client_id=settings.provided.google_client_id,
            client_secret=settings.provided.google_client_secret,
            refresh_token=settings.provided.google_refresh_token, token_uri=settings.provided.google_token_uri),
        local=providers.Singleton(lazy("infrastructure.calendar_credentials:LocalCalendarAccess")),
    )
    book_meeting = providers.Factory(BookMeeting, calendar, calendar_credentials, clock)

    call_line = providers.Selector(
        providers.Callable(lambda s: "livekit" if s.real_calls else "simulated", settings),
        livekit=providers.Singleton(guarded, providers.Singleton(
            lazy("infrastructure.livekit_call_line:LiveKitCallLine"),
            providers.Singleton(
                lazy("infrastructure.livekit_call_line:LiveKitCallSettings"),
                url=settings.provided.livekit_url, api_key=settings.provided.livekit_api_key,
                api_secret=settings.provided.livekit_api_secret,
                sip_trunk_id=settings.provided.sip_outbound_trunk_id, agent_name=settings.provided.agent_name,
                ringing_timeout_s=settings.provided.ringing_timeout_s,
                max_call_duration_s=settings.provided.max_call_duration_s),
            handback,
            recording=providers.Callable(egress_target, settings),
            clock=clock, telemetry=telemetry,
            # LiveKit's quota counts API requests: the line spends it per request, not per call.
            pace=providers.Callable(Guards.pace, guards, "livekit")),
            guards, "livekit", no_retry=("conduct",), no_limit=("conduct",)),
        # Without credentials: a campaign naming a practice scenario gets that practice (the simulator's
        # people and the offline brain), any other the plain simulated line.
        simulated=providers.Singleton(
            lazy("simulator.embedded_line:EmbeddedPracticeLine"),
            providers.Singleton(
                SimulatedLine, clock, agent_name=settings.provided.agent_display_name,
                company=settings.provided.company_name, callback_number=settings.provided.callback_number,
                hold_s=settings.provided.simulated_call_seconds, telemetry=telemetry),
            clock=clock, do_not_call=do_not_call, book_meeting=book_meeting,
            agent_name=settings.provided.agent_display_name, company=settings.provided.company_name,
            callback_number=settings.provided.callback_number, telemetry=telemetry,
            max_follow_ups=settings.provided.max_follow_ups_per_step),
    )

    claim_policy = providers.Singleton(
        lambda s: ClaimPolicy(lease=timedelta(seconds=s.claim_lease_s),
                              renew_every=timedelta(seconds=max(1, s.claim_lease_s // 4))), settings)

    conduct_call = providers.Factory(
        ConductCall, campaigns=campaigns, contacts=contacts, records=call_records, claims=claims,
        compliance=compliance, audit=audit, scripts=scripts, call_line=call_line, artifacts=artifacts,
        telemetry=telemetry, events=outcome_events, follow_ups=follow_ups, clock=clock,
        worker_id=settings.provided.worker_id, claim_policy=claim_policy,
        max_follow_ups=settings.provided.max_follow_ups_per_step,
    )

    retention_policy = providers.Singleton(
        RetentionPolicy, active_days=settings.provided.retention_active_days,
        archive_days=settings.provided.retention_archive_days, delete_days=settings.provided.retention_delete_days)
    call_archive = providers.Singleton(MongoCallArchive, database)
    archive_calls = providers.Factory(ArchiveCalls, call_archive, retention_policy, clock)
    call_statistics = providers.Singleton(guarded, providers.Singleton(MongoCallStatistics, database), guards,
                                          "mongodb")
    prices = providers.Singleton(
        Prices, telephony_per_min=settings.provided.price_telephony_per_min,
        realtime_per_min=settings.provided.price_realtime_per_min, livekit_per_min=settings.provided.price_livekit_per_min)
    call_report = providers.Factory(BuildCallReport, call_statistics, artifacts, clock, prices)

    personal_data = providers.Singleton(MongoPersonalDataStore, database)
    erasure_audit = providers.Singleton(MongoErasureAudit, database)
    erase_contact = providers.Factory(EraseContact, personal_data, artifacts, do_not_call, erasure_audit, clock,
                                      calendar, calendar_credentials, follow_ups)


async def build_container(settings: Settings) -> Container:
    """A container whose resources start on first use: `stop-worker` never starts MongoDB."""
    return Container(settings=settings)


async def close_container(container: Container) -> None:
    shared = container.shared_store()
    if shared is not None:
        await shared.aclose()  # before Redis itself stops (a no-op when it never connected)
    pending = container.shutdown_resources()
    if pending is not None:
        await pending
