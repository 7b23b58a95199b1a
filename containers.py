"""The one place that knows which adapter serves which port.

Entry points build a Container from validated Settings (`await build_container(settings)`)
and take use cases from it (`await container.conduct_call()`); resources such as
the embedded servers start on first use and stop in `close_container`. Tests
override providers with fakes (`container.call_line.override(...)`).
"""
from __future__ import annotations

import asyncio
import importlib
from datetime import timedelta
from typing import AsyncIterator

from dependency_injector import containers, providers

from domain.call_report import Prices
from infrastructure.resilience import Guards, ResilienceConfig
from infrastructure.resilience.shared_store import SharedStore
from infrastructure.settings import Settings


def lazy(path: str):
    """The class at `module:Name`, imported when first built: a command imports only what it uses
    (`report` needs MongoDB, not Redis, arq, the call's use cases or the SDKs of S3, LiveKit, Google, OpenAI)."""
    module, name = path.split(":")

    def build(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    return build


# The adapters and use cases, each imported when a provider first builds it.
ArchiveCalls = lazy("application.archive_calls:ArchiveCalls")
BookMeeting = lazy("application.book_meeting:BookMeeting")
BuildCallReport = lazy("application.call_report:BuildCallReport")
PolicyComplianceGate = lazy("application.compliance_gate:PolicyComplianceGate")
ClaimPolicy = lazy("application.conduct_call:ClaimPolicy")
ConductCall = lazy("application.conduct_call:ConductCall")
EraseContact = lazy("application.erase_contact:EraseContact")
CallingPolicy = lazy("domain.calling_policy:CallingPolicy")
RetentionPolicy = lazy("domain.retention_policy:RetentionPolicy")
ArqFollowUpQueue = lazy("infrastructure.arq_follow_ups:ArqFollowUpQueue")
ClerkCalendarCredentials = lazy("infrastructure.calendar_credentials:ClerkCalendarCredentials")
LocalCalendarAccess = lazy("infrastructure.ics_calendar:LocalCalendarAccess")
StaticRefreshTokenCredentials = lazy("infrastructure.calendar_credentials:StaticRefreshTokenCredentials")
GoogleCalendar = lazy("infrastructure.google_calendar:GoogleCalendar")
IcsCalendar = lazy("infrastructure.ics_calendar:IcsCalendar")
EgressS3Settings = lazy("infrastructure.livekit_call_line:EgressS3Settings")
LiveKitCallLine = lazy("infrastructure.livekit_call_line:LiveKitCallLine")
LiveKitCallSettings = lazy("infrastructure.livekit_call_line:LiveKitCallSettings")
MongoCallArchive = lazy("infrastructure.mongo_archive:MongoCallArchive")
MongoCallStatistics = lazy("infrastructure.mongo_call_statistics:MongoCallStatistics")
MongoCallClaims = lazy("infrastructure.mongo_claims:MongoCallClaims")
MongoComplianceAudit = lazy("infrastructure.mongo_compliance:MongoComplianceAudit")
MongoDoNotCallList = lazy("infrastructure.mongo_compliance:MongoDoNotCallList")
MongoErasureAudit = lazy("infrastructure.mongo_erasure:MongoErasureAudit")
MongoPersonalDataStore = lazy("infrastructure.mongo_erasure:MongoPersonalDataStore")
MongoCallRecordRepository = lazy("infrastructure.mongo_repositories:MongoCallRecordRepository")
MongoCampaignRepository = lazy("infrastructure.mongo_repositories:MongoCampaignRepository")
MongoContactRepository = lazy("infrastructure.mongo_repositories:MongoContactRepository")
MongoScriptCatalog = lazy("infrastructure.mongo_scripts:MongoScriptCatalog")
OfflineCoach = lazy("infrastructure.offline_coach:OfflineCoach")
OpenAICoach = lazy("infrastructure.openai_coach:OpenAICoach")
OtelTelemetry = lazy("infrastructure.otel_telemetry:OtelTelemetry")
RedisHandback = lazy("infrastructure.redis_handback:RedisHandback")
RedisOutcomeEvents = lazy("infrastructure.redis_outcome_events:RedisOutcomeEvents")
S3Artifacts = lazy("infrastructure.s3_artifacts:S3Artifacts")
SimulatedLine = lazy("infrastructure.simulated_line:SimulatedLine")
FrozenClock = lazy("infrastructure.system_clock:FrozenClock")
SystemClock = lazy("infrastructure.system_clock:SystemClock")


async def redis_url(settings: Settings) -> AsyncIterator[str]:
    if settings.redis_url:
        yield settings.redis_url
        return
    from infrastructure.embedded_services import EmbeddedRedis

    embedded = EmbeddedRedis(settings.data_dir / "redis")
    try:
        yield await asyncio.to_thread(embedded.start)  # on a thread: the embedded servers start together
    finally:
        embedded.stop()


async def mongo_uri(settings: Settings) -> AsyncIterator[str]:
    if settings.mongodb_uri:
        yield settings.mongodb_uri
        return
    from infrastructure.embedded_services import EmbeddedMongo

    embedded = EmbeddedMongo(settings.data_dir)
    try:
        yield await asyncio.to_thread(embedded.start)
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


async def mongo_reader(uri: str, timeout_ms: int = 5000):
    """pymongo's own asyncio client, for what only reads (the report). Its server monitors are asyncio tasks
    that `close()` stops; Motor's are threads that pymongo's exit hook joins, and they look at their stop
    flag only every 0.5 s, so a command on Motor waited up to half a second after its last answer to exit.
    (odmantic needs Motor, so the repositories stay on `mongo_client`.)"""
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient = AsyncMongoClient(uri, serverSelectionTimeoutMS=timeout_ms, tz_aware=False)
    try:
        yield client
    finally:
        await client.close()


async def mongo_database(client, name: str, guards: Guards):
    """The database, with the specification's indexes in place before anyone uses it.

    The set-up runs through the MongoDB guard like any other MongoDB call: an unreachable
    server is a TransientFault (the job is retried, never failed for good), and the next
    use tries the set-up again."""
    from odmantic import AIOEngine

    from infrastructure.mongo_compliance import MongoComplianceAudit
    from infrastructure.mongo_models import CallRecordDoc, CampaignDoc, ContactDoc

    async def set_up() -> None:
        await AIOEngine(client=client, database=name).configure_database([ContactDoc, CampaignDoc, CallRecordDoc])
        await MongoComplianceAudit(client[name]).ensure_indexes()

    await guards["mongodb"].call(set_up)
    yield client[name]


async def call_artifacts(settings: Settings, guards: Guards):
    """S3 when a bucket is configured, else files under the data folder; S3's client is closed at shutdown."""
    if not settings.s3_bucket:
        from infrastructure.local_artifacts import LocalArtifacts

        yield LocalArtifacts(settings.data_dir / "artifacts", prefix=settings.s3_prefix)
        return
    store = S3Artifacts(bucket=settings.s3_bucket, region=settings.aws_region,
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
    return EgressS3Settings(bucket=settings.s3_bucket, prefix=settings.s3_prefix, region=settings.aws_region,
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
    mongo_reader = providers.Resource(mongo_reader, mongo_uri, settings.provided.mongodb_timeout_ms)
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
            OpenAICoach, api_key=settings.provided.openai_api_key,
            model=settings.provided.coach_model,
            base_url=settings.provided.openai_base_url), guards, "openai", no_retry=("review",)),
        offline=providers.Singleton(OfflineCoach),
    )

    calendar = providers.Selector(
        providers.Callable(lambda s: "google" if s.google_calendar else "local", settings),
        # BookMeeting retries transient faults itself; the guard adds the breaker and the rate limits.
        google=providers.Singleton(guarded, providers.Singleton(
            GoogleCalendar,
            api_endpoint=settings.provided.google_calendar_endpoint), guards, "calendar",
            no_retry=("busy", "insert", "get")),
        local=providers.Singleton(IcsCalendar, providers.Callable(lambda s: s.data_dir / "calendar", settings)),
    )
    calendar_credentials = providers.Selector(
        providers.Callable(
            lambda s: "clerk" if s.clerk_secret_key else ("static" if s.google_calendar else "local"), settings),
        clerk=providers.Singleton(ClerkCalendarCredentials,
                                  secret_key=settings.provided.clerk_secret_key,
                                  server_url=settings.provided.clerk_api_url),
        static=providers.Singleton(
            StaticRefreshTokenCredentials,
            client_id=settings.provided.google_client_id,
            client_secret=settings.provided.google_client_secret,
            refresh_token=settings.provided.google_refresh_token, token_uri=settings.provided.google_token_uri),
        local=providers.Singleton(LocalCalendarAccess),
    )
    book_meeting = providers.Factory(BookMeeting, calendar, calendar_credentials, clock)

    call_line = providers.Selector(
        providers.Callable(lambda s: "livekit" if s.real_calls else "simulated", settings),
        livekit=providers.Singleton(guarded, providers.Singleton(
            LiveKitCallLine,
            providers.Singleton(
                LiveKitCallSettings,
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
    # The report only reads what the workers wrote: the database as it is, without the set-up's index checks
    # (ten round trips, and the document classes imported, on every `docshield report`).
    database_as_is = providers.Singleton(lambda client, name: client[name], mongo_reader,
                                         settings.provided.mongodb_database)
    call_statistics = providers.Singleton(guarded, providers.Singleton(MongoCallStatistics, database_as_is), guards,
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
