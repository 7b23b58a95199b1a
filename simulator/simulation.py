"""Run scenarios through the real pipeline: seed, enqueue, the real worker in burst mode, collect, check.

Each run uses its own queue, database and folder (DATA_DIR/simulations/RUN; all dropped at the
end unless kept), so it never touches real campaigns, real calls' transcripts or a worker serving
the real queue. The product's container is reused as is; the simulator's stand-ins (clock, line,
do-not-call list, artifacts, the scenario-timed use case) replace its providers only for the run,
through dependency-injector's override context managers.
"""
from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Awaitable, Callable

import aiohttp
from arq.connections import ArqRedis, create_pool
from arq.jobs import JobResult, JobStatus
from bson import ObjectId
from dependency_injector import providers

from application.call.brief import CallIdentity
from application.book_meeting import BookMeeting
from application.call_report import ReportAnswer, ReportRequest
from application.commands import ConductCallCommand, job_id_for
from application.conduct_call import ConductCall
from application.ports.compliance import ComplianceAudit
from application.ports.telemetry import Telemetry
from containers import Container, build_container, close_container, guarded
from domain.call_record import CallRecord
from domain.campaign import CallAttempt, Campaign, FollowUp
from domain.compliance import ComplianceDecision, Verdict
from domain.contact import Contact
from domain.outcome_event import OutcomeEvent
from infrastructure.arq_follow_ups import ArqFollowUpQueue
from infrastructure.redis_outcome_events import STREAM, to_wire
from domain.model_cost import TokenUsage, prices_for
from domain.slot_finder import WorkingHours
from infrastructure.arq_jobs import (deserialize, enqueue_call, job_results, job_statuses, redis_settings, serialize,
                                     withdraw_job)
from infrastructure.ics_calendar import IcsCalendar, LocalCalendarAccess
from infrastructure.local_artifacts import LocalArtifacts
from infrastructure.settings import Settings
from simulator.expectations import check
from simulator.model_choice import ModelChoice, model_factory
from simulator.line_audio import make_ahead
from simulator.practice import box_recording
from simulator.practice_line import PracticeLine
from simulator.scenario import Scenario
from simulator.scoped_do_not_call import ScopedContactRepository, ScopedDoNotCallList, scenario_scope
from simulator.simulated_clock import SimulatedClock
from simulator.worker_processes import Manifest, WorkerProcesses
from simulator.text_call import MAX_TURNS

log = logging.getLogger(__name__)
# Scenarios seeded or read back at once (each a few round trips): the database server works while this
# process prepares the next (one at a time, seeding and reading took a fifth of a run's time).
ROUND_TRIPS_AT_ONCE = 16
SEED_CHUNK = 48  # scenarios stored, then queued, at a time: the workers start on the first while the rest is stored
SCENARIOS_PER_PROCESS = 100  # by default a worker process per this many scenarios, at most one per core


@dataclass
class ScenarioRun:
    scenario: Scenario
    campaign_id: str
    scope: str
    observed: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    pipeline_s: float | None = None  # wall time of the job minus the conversation
    repeat: int | None = None  # with --repeat: which run of this scenario (1..N)
    pass_rate: float | None = None  # with --repeat: the share of this scenario's runs that passed
    transcript_at: list[str | None] = field(default_factory=list)  # when each transcript line was said (ISO)
    started_at: datetime | None = None  # the call's start on the simulated clock
    worker_id: str | None = None  # the worker process that took the call's job
    contact_id: str | None = None  # the contact seeded for the scenario

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_json(self) -> dict:
        repeats = {} if self.repeat is None else {"repeat": self.repeat, "pass_rate": round(self.pass_rate or 0.0, 4)}
        return {"id": self.scenario.id, "file": self.scenario.source, **self.observed, "passed": self.passed,
                "failures": self.failures, **repeats}


class ScenarioJobs:
    """Stands in for the use case: each job runs at its scenario's simulated time, with its own
    do-not-call list, through the product's own ConductCall."""

    def __init__(self, inner: ConductCall, clock: SimulatedClock, runs: dict[str, ScenarioRun],
                 timings: dict[str, float]):
        self.inner = inner
        self.clock = clock
        self.runs = runs
        self.timings = timings

    async def __call__(self, command: ConductCallCommand):
        run = self.runs.get(command.campaign_id)
        if run is None:
            return await self.inner(command)
        started = time.perf_counter()
        try:
            with self.clock.starting_at(run.scenario.now), scenario_scope(run.scope):
                return await self.inner(command)
        finally:
            self.timings[command.campaign_id] = time.perf_counter() - started


def awaited_stand_in(value) -> providers.Object:
    """A provider for `value` that answers like the container's use cases do (awaitable)."""
    provider = providers.Object(value)
    provider.enable_async_mode()
    return provider


@dataclass
class RunReads:
    """What the run reads once, after its jobs, for every scenario's observation."""

    events: dict[str, list[OutcomeEvent]]  # by job id
    results: dict[str, JobResult | None]   # arq's, by job id
    records: dict[str, list[CallRecord]]   # by campaign id, oldest first
    contacts: dict[str, Contact]           # by contact id
    listed: set[tuple[str, str]]           # (scope, phone) on the scenario's do-not-call list
    follow_ups: dict[str, list[tuple[ConductCallCommand, datetime]]]  # scheduled, by campaign id


@dataclass
class Simulation:
    settings: Settings
    model: ModelChoice = ModelChoice("offline", "offline-script")
    max_turns: int = MAX_TURNS  # per call: a model that never ends a call is cut off here
    time_limit_s: float | None = None  # per call, wall time: a real model's run stays bounded
    on_done: Callable[[ScenarioRun], None] | None = None
    keep_data: bool = False
    telemetry: Telemetry | None = None  # a Telemetry to use instead of the container's (tests read its spans)
    audio: bool = False  # the calls run on sound (simulator/audio): needs the audio extra
    _events_after: str = field(default="0", init=False, repr=False)  # the outcome stream's id when the run began
    _follow_ups: ArqFollowUpQueue | None = field(default=None, init=False, repr=False)
    with_report: bool = False  # also count the run's records as `docshield report` does (see `report`)
    report: ReportAnswer | None = None
    # Worker processes taking the run's jobs, this one included; None: one per core when there are many
    # scenarios (see `_processes`).
    processes: int | None = None
    worker_processes: Callable[[], WorkerProcesses] = WorkerProcesses  # the helpers of a run, when it has any

    async def run(self, scenarios: list[Scenario]) -> list[ScenarioRun]:
        run_id = uuid.uuid4().hex[:8]
        settings = self._run_settings(run_id)
        # Everything a run writes outside its database: never beside real calls' transcripts and recordings.
        folder = simulation_folder(settings, run_id)
        processes = self._processes(len(scenarios))
        if not self.audio and processes == 1:
            # The voicemail boxes' clips, made on another core while the run sets up and calls (with worker
            # processes beside this one, each makes the clips its calls play, when they play them).
            make_ahead([partial(box_recording, s, node) for s in scenarios for node in s.line.values()
                        if node.kind == "voicemail"])
        timings: dict[str, float] = {}
        runs = {}
        for index, scenario in enumerate(scenarios):
            campaign_id = str(ObjectId())
            runs[campaign_id] = ScenarioRun(scenario, campaign_id, scope=f"{index}:{scenario.id}")
        helpers = self.worker_processes()
        container: Container | None = None
        http: aiohttp.ClientSession | None = None
        pool: ArqRedis | None = None
        try:
            if processes > 1:
                # Forked first, before this run connects anything or starts a thread; they wait for the
                # manifest, and connect and set up while this process seeds.
                await helpers.start(processes - 1, run_id, folder)
            container = await build_container(settings)
            # The Realtime client needs an HTTP session of its own outside a LiveKit job.
            http = aiohttp.ClientSession() if self.model.kind == "realtime" else None
            with ExitStack() as stand_ins:
                if self.telemetry is not None:
                    stand_ins.enter_context(container.telemetry.override(providers.Object(self.telemetry)))
                # Both servers start at once (embedded ones take a fraction of a second each).
                mongo_uri = asyncio.ensure_future(container.mongo_uri())
                try:
                    redis_url = await container.redis_url()
                    newest = await (await container.redis()).xrevrange(STREAM, count=1)
                    self._events_after = newest[0][0].decode() if newest else "0"
                    pool = await create_pool(redis_settings(redis_url), job_serializer=serialize,
                                             job_deserializer=deserialize, default_queue_name=settings.queue_name)
                    if processes > 1:
                        await helpers.hand_over(self._manifest(settings, runs, folder, run_id, redis_url,
                                                               await mongo_uri))
                    await mongo_uri
                finally:
                    if not mongo_uri.done():
                        mongo_uri.cancel()
                        await asyncio.gather(mongo_uri, return_exceptions=True)
                line, dnc, calendar, artifacts = await self._stand_ins(container, settings, runs, folder, http,
                                                                       timings, stand_ins)
                # A scenario's job is queued once its contact, campaign and do-not-call entry are stored, a
                # chunk at a time: the workers start on the first chunk while the rest is seeded.
                queued: set[str] = set()
                queued_some = asyncio.Event()
                seeding = asyncio.ensure_future(self._seed(container, pool, settings, runs, dnc, calendar, queued,
                                                           queued_some))
                try:
                    await self._work(container, settings, runs, pool, await container.audit(), helpers, seeding,
                                     queued, queued_some)
                finally:
                    if not seeding.done():
                        seeding.cancel()
                    await asyncio.gather(seeding, return_exceptions=True)
                for cid in timings:
                    runs[cid].worker_id = settings.worker_id
                for theirs in await helpers.results():
                    line.usage.update({cid: TokenUsage(**u) for cid, u in theirs["usage"].items()})
                    line.conversation_s.update(theirs["conversation_s"])
                    timings.update(theirs["timings"])
                    for cid in theirs["timings"]:
                        runs[cid].worker_id = theirs["worker_id"]
                # What every scenario's observation reads, one read each, all at once: the run's outcome events,
                # the jobs' results, every scenario's call records, contact, do-not-call entry and follow-ups.
                job_ids = [job_id_for(r.campaign_id, r.scenario.step, r.scenario.attempt) for r in runs.values()]
                published, results, records, contacts, listed, follow_ups = await asyncio.gather(
                    (await container.outcome_events()).read(after=self._events_after, count=100_000),
                    job_results(await container.redis(), job_ids),
                    (await container.call_records()).for_campaigns(list(runs)),
                    (await container.contacts()).get_many([r.contact_id for r in runs.values() if r.contact_id]),
                    dnc.listed([(r.scope, r.scenario.contact["phone"]) for r in runs.values()]),
                    self._follow_ups.scheduled_for(runs))
                read = RunReads(events={}, results=results, records=records, contacts=contacts, listed=listed,
                                follow_ups=follow_ups)
                for _, event in published:
                    read.events.setdefault(event.job_id, []).append(event)
                await at_most(ROUND_TRIPS_AT_ONCE, [self._observe(container, run, artifacts, read)
                                                    for run in runs.values()])
                for run in runs.values():
                    self._price(run, line.usage.get(run.campaign_id, TokenUsage()), settings)
                    conversation = line.conversation_s.get(run.campaign_id, 0.0)
                    if run.campaign_id in timings:
                        run.pipeline_s = max(0.0, timings[run.campaign_id] - conversation)
                if self.with_report:
                    # Every record of this run's database, up to a day past the latest scenario's clock.
                    until = max(r.scenario.now for r in runs.values()) + timedelta(days=1)
                    self.report = await (await container.call_report())(ReportRequest(until=until))
            return list(runs.values())
        finally:
            await helpers.stop()
            if pool is not None:
                await pool.aclose()
            if http is not None:
                await http.close()
            if not self.keep_data:
                drop = []
                if container is not None:
                    database = await container.database()
                    drop.append(database.client.drop_database(database.name))
                await asyncio.gather(asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True), *drop)
            if container is not None:
                await close_container(container)

    def _run_settings(self, run_id: str) -> Settings:
        return self.settings.model_copy(update={
            "queue_name": f"docshield:simulate:{run_id}",
            "mongodb_database": f"{self.settings.mongodb_database}_sim_{run_id}",
            "poll_delay_s": min(self.settings.poll_delay_s, 0.02),
            "worker_id": f"simulate-{run_id}",
            # The agent framework makes this process larger than a plain worker; the limit guards real workers.
            "memory_limit_mb": max(self.settings.memory_limit_mb, 4096),
        })

    def _processes(self, scenarios: int) -> int:
        """Worker processes for this run, this one included. On sound, or with a Telemetry handed in, one."""
        if self.audio or self.telemetry is not None:
            return 1
        if self.processes is not None:
            return self.processes
        # A worker process costs about 3 s of CPU to import and connect: worth it for many calls only.
        return max(1, min(len(os.sched_getaffinity(0)), scenarios // SCENARIOS_PER_PROCESS))

    def _manifest(self, settings: Settings, runs: dict[str, ScenarioRun], folder: Path, run_id: str,
                  redis_url: str, mongo_uri: str) -> "Manifest":
        # The helpers use this process's servers (embedded ones included) and take jobs under ids of their own.
        shared = settings.model_copy(update={"redis_url": redis_url, "mongodb_uri": mongo_uri})
        return Manifest(settings=shared, model=self.model, max_turns=self.max_turns, time_limit_s=self.time_limit_s,
                        runs=runs, folder=folder, run_id=run_id)

    async def _stand_ins(self, container: Container, settings: Settings, runs: dict[str, ScenarioRun],
                         folder: Path, http: aiohttp.ClientSession | None, timings: dict[str, float],
                         stand_ins: ExitStack) -> tuple[PracticeLine, ScopedDoNotCallList, IcsCalendar, LocalArtifacts]:
        """Put the simulator's stand-ins in the container's place for this run (in every worker process)."""
        clock = SimulatedClock()
        dnc = ScopedDoNotCallList(await container.database(), settings.dnc_hash_key.encode())
        calendar = IcsCalendar(folder / "calendars")
        artifacts = LocalArtifacts(folder / "artifacts", prefix=settings.s3_prefix)
        line = PracticeLine(
            scenarios={cid: r.scenario for cid, r in runs.items()}, clock=clock, do_not_call=dnc,
            book_meeting=BookMeeting(calendar, LocalCalendarAccess(), clock),
            identity=CallIdentity(settings.agent_display_name, settings.company_name,
                                  settings.callback_number),
            model_factory=model_factory(self.model, settings, clock, http), telemetry=container.telemetry(),
            audio=self.audio, detection_timeout_s=settings.amd_timeout_s,
            max_follow_ups=settings.max_follow_ups_per_step)
        line.max_turns, line.time_limit_s = self.max_turns, self.time_limit_s
        # Follow-ups (callbacks) go on a queue of their own, real ARQ jobs on the real Redis that this
        # run's worker does not take: their simulated time has passed in real time, and a scenario
        # is one call.
        self._follow_ups = ArqFollowUpQueue(await container.redis(), queue_name=f"{settings.queue_name}:follow-ups")
        stand_ins.enter_context(container.override_providers(
            clock=providers.Object(clock), do_not_call=providers.Object(dnc),
            call_line=providers.Object(line), artifacts=providers.Object(artifacts),
            follow_ups=providers.Object(self._follow_ups)))
        product_use_case = await container.conduct_call()
        stand_ins.enter_context(container.conduct_call.override(
            awaited_stand_in(ScenarioJobs(product_use_case, clock, runs, timings))))
        return line, dnc, calendar, artifacts

    async def serve(self, manifest: "Manifest", worker_id: str, go: Callable[[], Awaitable[bool]]) -> dict:
        """A helper process's part of a run (simulator/worker_process.py): the same stand-ins, then the
        run's jobs with a burst worker of its own once `go` says they are queued. Returns what only this
        process saw (the model's usage, the conversations' and the jobs' times, by campaign)."""
        settings = manifest.settings.model_copy(update={"worker_id": worker_id})
        container = await build_container(settings)
        http = aiohttp.ClientSession() if self.model.kind == "realtime" else None
        timings: dict[str, float] = {}
        try:
            with ExitStack() as stand_ins:
                line, *_ = await self._stand_ins(container, settings, manifest.runs, manifest.folder, http, timings,
                                                 stand_ins)
                from entrypoints.warm_start import warm_up
                from entrypoints.worker import run_worker

                await warm_up(container, settings)
                if not await go():
                    return {}
                await run_worker(settings, burst=True, container=container)
                return {"worker_id": worker_id, "usage": {cid: u.as_json() for cid, u in line.usage.items()},
                        "conversation_s": line.conversation_s, "timings": timings}
        finally:
            if http is not None:
                await http.close()
            await close_container(container)

    def _price(self, run: ScenarioRun, usage: TokenUsage, settings: Settings) -> None:
        run.observed["model"] = self.model.name
        run.observed["usage"] = usage.as_json()
        run.observed["cost_usd"] = usage.cost_usd(prices_for(self.model.name, settings.model_prices))

    async def _seed(self, container: Container, pool: ArqRedis, settings: Settings, runs: dict[str, ScenarioRun],
                    dnc: ScopedDoNotCallList, calendar: IcsCalendar, queued: set[str], queued_some: asyncio.Event) -> None:
        """Store every scenario's contact, campaign, calendar and do-not-call entry, SEED_CHUNK scenarios at a
        time, and queue each chunk's jobs once it is stored (their job ids go into `queued`; `queued_some`
        is set once there are some)."""
        campaigns = await container.campaigns()
        people, plans, scopes = [], [], {}

        def seed(run: ScenarioRun) -> None:
            s = run.scenario
            c = s.contact
            contact = Contact(id=str(ObjectId()), first_name=c["first_name"], last_name=c["last_name"],
                              phone=c["phone"], practice=c["practice"], title=c["title"], email=c["email"],
                              # Unset stays unset: the worker derives the zones from the number, as in production.
                              state=c["state"] or None, timezone=c["timezone"] or None, known=s.known)
            calendar_id = f"rep-{run.campaign_id}"
            calendar.seed(calendar_id, timezone_name=s.calendar.timezone,
                          working_hours=WorkingHours.parse(s.calendar.working_hours), busy=list(s.calendar.busy))
            run.contact_id = contact.id
            scopes[contact.id] = run.scope
            campaign = Campaign(id=run.campaign_id, contact_id=contact.id, batch="simulation",
                                rep_calendar_id=calendar_id, rep_name="Jordan Blake",
                                settings={"rep_timezone": s.calendar.timezone,
                                          "rep_working_hours": s.calendar.working_hours},
                                call_history=[CallAttempt(at=at.astimezone(timezone.utc), step=n, outcome=outcome)
                                              for n, (at, outcome) in enumerate(s.history)])
            if s.attempt:
                # The call that asked for this callback, as the worker planned it.
                campaign.follow_ups.append(FollowUp(step=s.step, attempt=s.attempt, at=s.now.astimezone(timezone.utc),
                                                    asked_at=s.now.astimezone(timezone.utc)))
            if s.history:
                campaign.last_call_date = max(at for at, _ in s.history).astimezone(timezone.utc)
            people.append(contact)
            plans.append(campaign)

        ordered = list(runs.values())
        # A chunk's contacts and campaigns in one round trip each (a write per scenario took a tenth of a run),
        # at once. Each contact is saved with its number's digest under its scenario's list key: a call reads
        # its do-not-call entry with the campaign, as a real call does.
        contacts = guarded(ScopedContactRepository(await container.engine(), dnc, scopes), container.guards(),
                           "mongodb")
        for start in range(0, len(ordered), SEED_CHUNK):
            chunk = ordered[start:start + SEED_CHUNK]
            people.clear()
            plans.clear()
            for run in chunk:
                seed(run)
            await asyncio.gather(
                contacts.add_many(people), campaigns.add_many(plans),
                at_most(ROUND_TRIPS_AT_ONCE, [
                    dnc.within(run.scope).add(run.scenario.contact["phone"], reason="seeded by scenario",
                                              source="simulation", at=run.scenario.now)
                    for run in chunk if run.scenario.do_not_call]))
            # A few at once: each is a transaction of its own (one after another, 381 took 0.3 s).
            await at_most(ROUND_TRIPS_AT_ONCE, [
                enqueue_call(pool, ConductCallCommand(run.campaign_id, run.scenario.step, run.scenario.final_step,
                                                      run.scenario.attempt), queue_name=settings.queue_name)
                for run in chunk])
            queued.update(job_id_for(run.campaign_id, run.scenario.step, run.scenario.attempt) for run in chunk)
            queued_some.set()

    async def _work(self, container: Container, settings: Settings, runs: dict[str, ScenarioRun], pool: ArqRedis,
                    audit: ComplianceAudit, helpers: "WorkerProcesses", seeding: asyncio.Future,
                    queued: set[str], queued_some: asyncio.Event) -> None:
        """The jobs, taken by this process's burst worker and the helpers', to the last; they start once the
        seeding has queued its first chunk."""
        from entrypoints.worker import BURST_HORIZON_S, run_worker

        first = asyncio.ensure_future(queued_some.wait())
        try:
            await asyncio.wait([seeding, first], return_when=asyncio.FIRST_COMPLETED)
        finally:
            first.cancel()
        if not queued:
            await seeding  # it failed, or had nothing to queue
        going = asyncio.create_task(helpers.go())  # each helper joins when it is ready
        worker = asyncio.create_task(run_worker(settings, burst=True, container=container))
        reported: set[str] = set()
        watcher = asyncio.create_task(self._watch(pool, settings, runs, audit, reported, queued))
        try:
            await worker
            await seeding
            # A burst worker stops when no job is due: one that ran dry before the seeding had queued the
            # last chunk (a database far slower than the calls) left jobs behind for this one.
            while await pool.zcount(settings.queue_name, "-inf", (time.time() + BURST_HORIZON_S) * 1000):
                await run_worker(settings, burst=True, container=container)
            await going
            await helpers.finished()
        finally:
            for task in (going, watcher):
                task.cancel()
            await asyncio.gather(going, watcher, return_exceptions=True)
        # The burst worker has ended every job it took; the watcher may not have looked since the last.
        for run in runs.values():
            if self.on_done and run.campaign_id not in reported:
                self.on_done(run)
        again = [r for r in runs.values() if r.scenario.redeliver]
        if again:
            # At-least-once delivery: the same job comes back after it finished (its result expired,
            # or the producer sent it twice). It must dial nothing and queue nothing new.
            for run in again:
                command = ConductCallCommand(run.campaign_id, run.scenario.step, run.scenario.final_step, run.scenario.attempt)
                await pool.delete(f"arq:result:{command.job_id}")
                await enqueue_call(pool, command, queue_name=settings.queue_name)
            await run_worker(settings, burst=True, container=container)

    async def _watch(self, pool, settings: Settings, runs: dict[str, ScenarioRun], audit: ComplianceAudit,
                     reported: set[str], queued: set[str]) -> None:
        """Report finished jobs; take those deferred to a lawful hour off this run's queue (they
        would wait for real hours). Job states are arq's (`job_statuses`: every pending job's in one
        round trip, four times a second; a round trip per job every 20 ms took a fifth of a run)."""
        pending = {job_id_for(r.campaign_id, r.scenario.step, r.scenario.attempt): r for r in runs.values()}
        while pending:
            # Only jobs already queued: one the seeding has not queued yet is not found, and not done.
            statuses = await job_statuses(pool, [job_id for job_id in pending if job_id in queued],
                                          queue_name=settings.queue_name)
            for job_id, status in statuses.items():
                run = pending[job_id]
                done = status in (JobStatus.complete, JobStatus.not_found)
                if status is JobStatus.deferred and await _deferral(audit, run) is not None:
                    await withdraw_job(pool, job_id, queue_name=settings.queue_name)
                    done = True
                if done:
                    pending.pop(job_id)
                    reported.add(run.campaign_id)
                    if self.on_done:
                        self.on_done(run)
            await asyncio.sleep(0.25)

    async def _observe(self, container: Container, run: ScenarioRun,
                       artifacts: LocalArtifacts, read: RunReads) -> None:
        job_id = job_id_for(run.campaign_id, run.scenario.step, run.scenario.attempt)
        finished = read.results.get(job_id)
        records = read.records.get(run.campaign_id, [])
        contact = read.contacts.get(run.contact_id) if run.contact_id else None
        last: dict = {}
        if finished is not None:
            last = finished.result if finished.success else {"reason": f"job failed: {finished.result}"}
        # A job that did not finish was deferred, or never ran: the audit says which.
        deferral = await _deferral(await container.audit(), run) if finished is None else None
        if deferral is not None:
            last = {"outcome": "deferred", "reason": f"{deferral.rule}: {deferral.reason}",
                    "deferred_until": deferral.until.isoformat() if deferral.until else None}
        on_list = (run.scope, run.scenario.contact["phone"]) in read.listed
        record = records[-1] if records else None
        transcript, coaching, audio, on_the_line = [], [], None, None
        if record is not None and record.transcript_key:
            stored = await artifacts.get_transcript(record.transcript_key)
            transcript = [{"speaker": line["speaker"], "text": line["text"]} for line in stored.get("transcript", [])]
            run.transcript_at = [line.get("at") for line in stored.get("transcript", [])]
            coaching = list((stored.get("report") or {}).get("coach", {}).get("given", []))
            audio = (stored.get("report") or {}).get("audio")
            on_the_line = (stored.get("report") or {}).get("decision_maker_on_the_line")
        run.started_at = record.started_at if record else None
        outcome = record.outcome.value if record else last.get("outcome", "failed")
        meeting = record.meeting if record else None
        follow_ups = read.follow_ups[run.campaign_id]
        events = read.events.get(job_id, [])
        run.observed = {
            "outcome": outcome,
            "reached_human": bool(record and record.reached_human),
            "digits": list(record.digits) if record else [],
            "meeting": {"start": meeting.start.isoformat(), "end": meeting.end.isoformat()} if meeting else None,
            "voicemail_left": bool(record and record.voicemail_left),
            "pitched": record.pitched if record else None,
            # What the call core judged from the words, and the simulated line's truth.
            "decision_maker_reached": record.decision_maker_reached if record else None,
            "decision_maker_on_the_line": on_the_line,
            "voicemail_after_beep": record.voicemail_after_beep if record else None,
            "disclosed_ai": bool(record and record.disclosed_ai),
            "do_not_call": on_list,
            "deferred_until": last.get("deferred_until") if outcome == "deferred" else None,
            "objections": list(record.objections) if record else [],
            "decline_reason": record.decline_reason if record else None,
            "callback_at": record.callback_at.isoformat() if record and record.callback_at else None,
            "next_step": record.next_step if record else None,
            "duration_s": record.duration_s if record else None,
            "reason": (record.reason if record else last.get("reason")
                       or "the worker never processed this job"),
            "transcript": transcript,
            "coaching": coaching,
            "scheduled": ({"step": follow_ups[0][0].step, "attempt": follow_ups[0][0].attempt,
                           "at": follow_ups[0][1].isoformat()} if follow_ups else None),
            "scheduled_calls": len(follow_ups),
            "captured": contact.known.as_dict() if contact else {},
            "event": to_wire(events[-1]) if events else None,
            "events_published": len(events),
            "dials": len(records),
            **({"audio": audio} if self.audio else {}),
        }
        run.failures = check(run.scenario.expect, run.observed)


async def _deferral(audit: ComplianceAudit, run: ScenarioRun) -> ComplianceDecision | None:
    """The compliance gate's decision to defer this run's step, when its last word was that."""
    decisions = [d for step, d in await audit.for_campaign(run.campaign_id) if step == run.scenario.step]
    return decisions[-1] if decisions and decisions[-1].verdict is Verdict.DEFER else None


async def at_most(limit: int, steps: list[Awaitable[object]]) -> None:
    """Await `steps`, `limit` at a time: the database works on one while the next is being prepared."""
    gate = asyncio.Semaphore(limit)

    async def gated(step: Awaitable[object]) -> None:
        async with gate:
            await step

    await asyncio.gather(*(gated(step) for step in steps))


def simulation_folder(settings: Settings, run_id: str) -> Path:
    """Where one run keeps its calendars, transcripts and recordings: under DATA_DIR/simulations,
    never in DATA_DIR/artifacts (real calls) nor in the recordings bucket."""
    return settings.data_dir / "simulations" / run_id
