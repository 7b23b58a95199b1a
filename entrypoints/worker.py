"""The ARQ worker: turns queue messages into ConductCall commands.

Run it with `docshield start-worker`, or with ARQ's own CLI as
`arq entrypoints.worker.WorkerSettings` (REDIS_URL and MONGODB_URI required there).
"""
from __future__ import annotations

import asyncio
import logging
import signal
import time
from datetime import datetime

from arq import Retry
from arq.worker import func

from application.commands import ConductCallCommand, parse_job_id
from application.errors import DependencyUnavailable, MalformedJob, RetryAt, TransientFault
from containers import Container, build_container, close_container
from domain.outcome_event import OutcomeEvent
from domain.outcomes import CallOutcome
from infrastructure.arq_jobs import FAULTS_PREFIX, FUNCTION_NAME, deserialize, record_last, redis_settings, serialize
from infrastructure.daily_job import DailyJob
from infrastructure.guarded_worker import GuardedWorker
from infrastructure.reconnect_backoff import REDIS_DOWN
from infrastructure.settings import Settings, load_settings
from infrastructure.start_banner import start_banner
from entrypoints.warm_start import warm_up
from infrastructure.worker_lifecycle import WorkerLifecycle
from infrastructure.worker_operations import start_operations
from infrastructure.worker_registry import WorkerRegistry

log = logging.getLogger("docshield.worker")


class GaveUp(Exception):
    """A transient fault outlasted every retry: the job fails, with the reason."""


async def conduct_outbound_call(ctx: dict, /, *args, **kwargs) -> dict:
    # `ctx` is positional-only: a producer's kwarg named `ctx` is an unexpected kwarg, not a TypeError.
    job_id = ctx.get("job_id", "?")
    settings: Settings = ctx["settings"]
    try:
        if args:
            raise MalformedJob("positional arguments are not accepted; send campaign_id, step, final_step as kwargs")
        command = ConductCallCommand.from_kwargs(kwargs)
        if job_id != command.job_id:
            raise MalformedJob(f"job id must be {command.job_id!r} so a step cannot be queued twice")
        use_case = await ctx["container"].conduct_call()
        result = await use_case(command)
    except MalformedJob as exc:
        log.error("job %s rejected: %s", job_id, exc)
        await _announce_failure(ctx)
        raise
    except RetryAt as exc:
        await _remember(ctx, {"status": "waiting", "reason": exc.reason, "until": exc.when.isoformat()})
        raise Retry(defer=_seconds_until(exc.when, ctx)) from None
    except DependencyUnavailable as exc:
        # An open breaker: come back when it may have closed, without burning the budget of faults.
        log.warning("job %s deferred: %s", job_id, exc)
        await _remember(ctx, {"status": "waiting", "reason": str(exc)})
        raise Retry(defer=exc.retry_after or 30) from None
    except TransientFault as exc:
        tries = await _count_fault(ctx)
        if tries >= settings.transient_max_tries:
            log.error("job %s gave up after %d tries: %s", job_id, tries, exc)
            await _announce_failure(ctx)
            raise GaveUp(f"{exc} (after {tries} tries)") from None
        delay = exc.retry_after if exc.retry_after is not None else min(2 ** tries, 300)
        log.warning("job %s: %s; retry %d in %.0f s", job_id, exc, tries, delay)
        await _remember(ctx, {"status": "retrying", "reason": str(exc)})
        raise Retry(defer=delay) from None

    payload = result.to_dict()
    deferred = result.outcome is CallOutcome.DEFERRED and result.deferred_until is not None
    if deferred:  # a finished job's last word is ARQ's result: no second copy (one Redis round trip a call)
        await _remember(ctx, {"status": "deferred", **payload})
        log.info("job %s deferred until %s (%s)", job_id, result.deferred_until.isoformat(), result.reason)
        raise Retry(defer=_seconds_until(result.deferred_until, ctx))
    log.info("job %s: %s", job_id, result.outcome.value)
    return payload


async def _count_fault(ctx: dict) -> int:
    """This job's faults so far, this one included. ARQ's job_try also counts deferrals
    (compliance, leases, open breakers), which must not spend the budget of faults."""
    key = FAULTS_PREFIX + ctx.get("job_id", "?")
    try:
        faults = await ctx["redis"].incr(key)
        await ctx["redis"].expire(key, ctx["settings"].keep_result_s)
        return int(faults)
    except Exception:  # Redis unreachable: fall back to ARQ's count, which errs on giving up sooner
        log.warning("could not count the faults of job %s", ctx.get("job_id"), exc_info=True)
        return ctx.get("job_try", 1)


def _seconds_until(when: datetime, ctx: dict) -> float:
    # The product's clock, not the host's: under CLOCK_FROZEN_AT a deferral to 08:00 waits as long as it says.
    return max(1.0, (when - ctx["container"].clock().now()).total_seconds())


async def _remember(ctx: dict, payload: dict) -> None:
    try:
        await record_last(ctx["redis"], ctx.get("job_id", "?"), payload, ctx["settings"].keep_result_s)
    except Exception:  # bookkeeping must never change a job's fate
        log.warning("could not record the last state of job %s", ctx.get("job_id"), exc_info=True)


async def _announce_failure(ctx: dict) -> None:
    """A job that ends failed before the use case could finish it still publishes its outcome
    event (contracts section 4); ids come only from a well-formed job id."""
    parsed = parse_job_id(ctx.get("job_id"))
    campaign_id, step, attempt = parsed if parsed else (None, None, 0)
    try:
        container = ctx["container"]
        event = OutcomeEvent(job_id=ctx.get("job_id") if parsed else None, campaign_id=campaign_id, step=step,
                             attempt=attempt, outcome=CallOutcome.FAILED, at=container.clock().now())
        await (await container.outcome_events()).publish(event)
    except Exception:  # ARQ keeps the failure in the job result; the event is best effort here
        log.warning("could not publish the outcome event of job %s", ctx.get("job_id"), exc_info=True)


ARCHIVE_JOB_NAME = "archive_old_calls"
ARCHIVE_AT_UTC = (3, 17)
ARCHIVE_TIMEOUT_S = 3600


async def archive_old_calls(ctx: dict) -> dict:
    """Daily: move call data past its active period into the archive collections."""
    report = await (await ctx["container"].archive_calls())()
    return report.to_dict()


async def daily_archive(settings: Settings, container: Container) -> DailyJob:
    """The archive, once a day across all workers, beside ARQ (never an ARQ function: see DailyJob)."""
    return DailyJob(ARCHIVE_JOB_NAME, lambda: archive_old_calls({"container": container}), await container.redis(),
                    hour=ARCHIVE_AT_UTC[0], minute=ARCHIVE_AT_UTC[1], timeout_s=ARCHIVE_TIMEOUT_S,
                    owner=settings.worker_id)


def worker_functions(settings: Settings) -> list:
    return [func(conduct_outbound_call, name=FUNCTION_NAME, timeout=settings.job_timeout_s,
                 max_tries=settings.job_max_tries, keep_result=settings.keep_result_s)]


def build_worker(settings: Settings, container: Container, url: str) -> GuardedWorker:
    # Only the call job is registered: ARQ's in-progress lock is then JOB_TIMEOUT_S + 10 s.
    return GuardedWorker(
        functions=worker_functions(settings),
        redis_settings=redis_settings(url),
        queue_name=settings.queue_name,
        poll_delay=settings.poll_delay_s,
        max_jobs=settings.max_concurrent_calls,
        job_serializer=serialize,
        job_deserializer=deserialize,
        keep_result=settings.keep_result_s,
        handle_signals=False,
        ctx={"container": container, "settings": settings},
    )


# Burst mode waits for retries due within this window; a call deferred to a lawful hour
# stays queued for a later run instead of holding the process for hours.
BURST_HORIZON_S = 60.0


async def _idle(worker: GuardedWorker, redis, settings: Settings) -> int:
    """Return when no job runs and none is due within the burst horizon; the count of jobs left queued."""
    while True:
        await asyncio.sleep(min(settings.poll_delay_s, 0.25))
        if any(not task.done() for task in worker.tasks.values()):
            continue
        horizon_ms = (time.time() + BURST_HORIZON_S) * 1000
        try:
            if await redis.zcount(settings.queue_name, "-inf", horizon_ms) == 0:
                return await redis.zcard(settings.queue_name)
        except REDIS_DOWN:  # the worker's poll loop rides the outage out; so does burst mode
            await asyncio.sleep(1)


async def run_worker(settings: Settings, *, burst: bool = False, container: Container | None = None) -> str:
    """Run until a drain completes or a signal comes; with `burst`, until nothing is due (see
    BURST_HORIZON_S). Returns why it stopped."""
    own_container = container is None
    log.info(start_banner(settings))
    container = container or await build_container(settings)
    url = await container.redis_url()
    await warm_up(container, settings)
    worker = build_worker(settings, container, url)
    lifecycle = WorkerLifecycle(worker, WorkerRegistry(await container.redis()), settings.worker_id,
                                interval_s=settings.heartbeat_interval_s, memory_limit_mb=settings.memory_limit_mb)
    loop = asyncio.get_running_loop()
    interrupts = 0

    def on_interrupt(signum: int) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts > 1 or signum == signal.SIGQUIT:
            lifecycle.force(signal.Signals(signum).name)
        else:
            lifecycle.drain(signal.Signals(signum).name)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        try:
            loop.add_signal_handler(signum, on_interrupt, signum)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests): signals stay default
            pass
    try:
        await lifecycle.start()  # before the first poll: a worker whose id is taken takes no job
    except BaseException:
        if own_container:
            await close_container(container)
        raise
    # No job before MongoDB's set-up has succeeded: DatabaseSetUp (in start_operations) allows picking then.
    worker.allow_pick_jobs = False
    main = asyncio.create_task(worker.main(), name="arq-main")
    worker.main_task = main
    stopping = asyncio.create_task(lifecycle.stopping.wait())
    daily = asyncio.create_task((await daily_archive(settings, container)).forever(), name="docshield-daily")
    idle = asyncio.create_task(_idle(worker, await container.redis(), settings)) if burst else None
    operations = await start_operations(settings, container, worker, lambda: lifecycle.beat.state)
    try:
        await asyncio.wait({main, stopping} | ({idle} if idle else set()), return_when=asyncio.FIRST_COMPLETED)
        if not main.done():
            main.cancel()
        await asyncio.gather(main, return_exceptions=True)
        if main.done() and not main.cancelled() and main.exception():
            raise main.exception()
    finally:
        stopping.cancel()
        daily.cancel()
        left = idle.result() if idle is not None and idle.done() and not idle.cancelled() else 0
        if idle is not None:
            idle.cancel()
        await operations.stop()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            try:
                loop.remove_signal_handler(signum)
            except (NotImplementedError, RuntimeError):
                pass
        await lifecycle.close()
        await worker.close()
        if own_container:
            await close_container(container)
    if lifecycle.exit_reason:
        return lifecycle.exit_reason
    if burst:
        return f"nothing due; {left} deferred job(s) left on the queue" if left else "queue empty"
    return "stopped"


def __getattr__(name: str):
    # `arq entrypoints.worker.WorkerSettings` reads this lazily, so importing the
    # module for the job function never needs configuration.
    if name != "WorkerSettings":
        raise AttributeError(name)
    settings = load_settings()
    if not (settings.redis_url and settings.mongodb_uri):
        raise RuntimeError("arq's own CLI needs REDIS_URL and MONGODB_URI; use `docshield start-worker` "
                           "for the embedded defaults")

    async def on_startup(ctx: dict) -> None:
        ctx["container"] = await build_container(settings)
        ctx["settings"] = settings
        await warm_up(ctx["container"], settings)
        ctx["daily"] = asyncio.create_task((await daily_archive(settings, ctx["container"])).forever())

    async def on_shutdown(ctx: dict) -> None:
        ctx["daily"].cancel()
        await close_container(ctx["container"])

    return type("WorkerSettings", (), dict(
        functions=worker_functions(settings),
        redis_settings=redis_settings(settings.redis_url),
        queue_name=settings.queue_name, max_jobs=settings.max_concurrent_calls,
        poll_delay=settings.poll_delay_s, job_serializer=serialize, job_deserializer=deserialize,
        keep_result=settings.keep_result_s, job_completion_wait=settings.max_call_duration_s + 60,
        on_startup=on_startup, on_shutdown=on_shutdown,
    ))
