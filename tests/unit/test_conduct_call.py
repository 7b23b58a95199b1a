"""ConductCall driven with in-memory fakes: every path a job can take."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from application.commands import ConductCallCommand
from application.conduct_call import OUTCOME_UNKNOWN_REASON, ConductCall
from application.errors import MalformedJob, RetryAt, TransientFault, UnknownCampaign
from application.ports.call_line import CallResult
from domain.call_claim import ClaimStatus
from domain.call_record import TranscriptLine
from domain.campaign import Campaign, CampaignStatus
from domain.compliance import Verdict
from domain.contact import Contact
from domain.meeting import Meeting
from domain.outcomes import CallOutcome
from domain.script import default_script
from tests.fakes.call_line import ScriptedCallLine
from tests.fakes.claims import FakeCallClaims
from tests.fakes.compliance import FakeComplianceAudit, FixedComplianceGate
from tests.fakes.follow_up_queue import InMemoryFollowUpQueue
from tests.fakes.outcome_events import InMemoryOutcomeEvents
from tests.fakes.repositories import FakeCallRecordRepository, FakeCampaignRepository, FakeContactRepository
from tests.fakes.runtime import FakeClock, FakeScriptCatalog, FakeTelemetry
from tests.fakes.storage import InMemoryArtifacts

NOW = datetime(2026, 3, 10, 15, 15, tzinfo=timezone.utc)
CAMPAIGN_ID = "65f0c0ffee0000000000abcd"
CONTACT_ID = "65f0c0ffee0000000000dcba"


def a_contact(**overrides) -> Contact:
    fields = dict(id=CONTACT_ID, first_name="Dana", last_name="Reyes", phone="+15125550143",
                  practice="Lakeside Orthopedics", title="Practice Administrator", email="dana@lakeside.example",
                  timezone="America/Chicago")
    fields.update(overrides)
    return Contact(**fields)


class UnreachableArtifacts(InMemoryArtifacts):
    async def put_transcript(self, call_id, lines, report):
        raise ConnectionError("s3 down")


def result(outcome: CallOutcome, **kw) -> CallResult:
    return CallResult(outcome=outcome, ended_at=NOW + timedelta(minutes=3), **kw)


class World:
    """The use case wired to fakes, with handles on each fake for assertions."""

    def __init__(self, *results, gate=None, campaign=None, contact=None, artifacts=None, line=None):
        self.contacts = FakeContactRepository(contact or a_contact())
        self.campaigns = FakeCampaignRepository(campaign or Campaign(id=CAMPAIGN_ID, contact_id=CONTACT_ID),
                                                contacts=self.contacts)
        self.records = FakeCallRecordRepository()
        self.audit = FakeComplianceAudit()
        self.claims = FakeCallClaims(audit=self.audit)
        self.gate = gate or FixedComplianceGate()
        self.scripts = FakeScriptCatalog()
        self.line = line or ScriptedCallLine(*results)
        self.artifacts = artifacts or InMemoryArtifacts()
        self.telemetry = FakeTelemetry()
        self.events = InMemoryOutcomeEvents()
        self.follow_ups = InMemoryFollowUpQueue()
        self.clock = FakeClock(NOW)

    def use_case(self, worker_id: str = "worker-a") -> ConductCall:
        return ConductCall(
            campaigns=self.campaigns, contacts=self.contacts, records=self.records, claims=self.claims,
            compliance=self.gate, audit=self.audit, scripts=self.scripts, call_line=self.line,
            artifacts=self.artifacts, telemetry=self.telemetry, events=self.events, follow_ups=self.follow_ups,
            clock=self.clock, worker_id=worker_id,
        )


def command(step: int = 0, final_step: bool = False) -> ConductCallCommand:
    return ConductCallCommand(campaign_id=CAMPAIGN_ID, step=step, final_step=final_step)


class TestOutcomes:
    @pytest.mark.parametrize("outcome", [o for o in CallOutcome if o.dialed])
    async def test_each_call_outcome_is_recorded_on_the_record_and_the_campaign(self, outcome):
        world = World(result(outcome, reached_human=outcome.conversation))
        job = await world.use_case()(command(step=1))
        assert job.outcome is outcome
        [record] = await world.records.for_campaign(CAMPAIGN_ID)
        assert record.outcome is outcome and record.step == 1
        assert record.reached_human is outcome.conversation
        campaign = await world.campaigns.get(CAMPAIGN_ID)
        assert campaign.call_history[-1].outcome is outcome
        assert campaign.last_completed_step == 1
        assert (await world.claims.get(CAMPAIGN_ID, 1)).status is ClaimStatus.COMPLETED
        assert world.telemetry.finished[-1].outcome is outcome

    async def test_a_booked_meeting_and_transcript_are_kept(self):
        meeting = Meeting(start=NOW + timedelta(days=1), end=NOW + timedelta(days=1, minutes=30), event_id="abc123")
        world = World(result(CallOutcome.MEETING_BOOKED, meeting=meeting, reached_human=True,
                             transcript=[TranscriptLine("agent", "Hi"), TranscriptLine("callee", "Hello")]))
        job = await world.use_case()(command())
        record = await world.records.get(job.call_id)
        assert record.meeting == meeting
        assert record.transcript_key in world.artifacts.objects
        assert (await world.campaigns.get(CAMPAIGN_ID)).status is CampaignStatus.COMPLETED

    async def test_what_the_report_measures_is_kept_on_the_record(self):
        world = World(result(CallOutcome.DECLINED, reached_human=True, decision_maker_reached=True, first_reply_s=0.9,
                             verdict_s=1.8))
        job = await world.use_case()(command())
        record = await world.records.get(job.call_id)
        assert (record.decision_maker_reached, record.first_reply_s, record.verdict_s) == (True, 0.9, 1.8)
        assert record.callee_timezone == "America/Chicago"

    async def test_the_callee_zone_comes_from_the_number_when_the_contact_has_none(self):
        world = World(result(CallOutcome.NO_ANSWER), contact=a_contact(timezone=None, phone="+12125550143"))
        job = await world.use_case()(command())
        assert (await world.records.get(job.call_id)).callee_timezone == "America/New_York"

    async def test_the_final_step_closes_the_campaign_whatever_the_outcome(self):
        world = World(result(CallOutcome.NO_ANSWER))
        await world.use_case()(command(step=3, final_step=True))
        assert (await world.campaigns.get(CAMPAIGN_ID)).status is CampaignStatus.COMPLETED

    async def test_a_non_final_no_answer_leaves_the_campaign_active(self):
        world = World(result(CallOutcome.NO_ANSWER))
        await world.use_case()(command(step=0))
        assert (await world.campaigns.get(CAMPAIGN_ID)).status is CampaignStatus.ACTIVE

    async def test_a_transcript_that_cannot_be_stored_does_not_lose_the_outcome(self):
        world = World(result(CallOutcome.DECLINED, transcript=[TranscriptLine("agent", "Hi")]),
                      artifacts=UnreachableArtifacts())
        job = await world.use_case()(command())
        record = await world.records.get(job.call_id)
        assert record.outcome is CallOutcome.DECLINED
        assert record.transcript_key is None and "transcript not stored" in record.reason


class TestBadInput:
    async def test_unknown_campaign_is_refused_with_its_id(self):
        world = World()
        with pytest.raises(UnknownCampaign, match="65f0c0ffee0000000000ffff"):
            await world.use_case()(ConductCallCommand("65f0c0ffee0000000000ffff", 0, False))
        assert world.line.requests == []

    async def test_a_campaign_whose_contact_is_gone_is_refused(self):
        world = World(campaign=Campaign(id=CAMPAIGN_ID, contact_id="65f0c0ffee0000000000eeee"))
        with pytest.raises(MalformedJob, match="unknown contact"):
            await world.use_case()(command())

    async def test_a_script_with_an_unknown_placeholder_is_refused_naming_it(self):
        from dataclasses import replace
        world = World()
        world.scripts.default = replace(default_script(), greeting="Hi {first_name}, your {policy_number}")
        with pytest.raises(MalformedJob, match="policy_number"):
            await world.use_case()(command())
        assert world.line.requests == []

    @pytest.mark.parametrize("kwargs, fragment", [
        ({"campaign_id": "nope", "step": 0, "final_step": False}, "24-hex"),
        ({"campaign_id": CAMPAIGN_ID, "final_step": False}, "missing kwarg(s): step"),
        ({"campaign_id": CAMPAIGN_ID, "step": -1, "final_step": False}, "step must be an integer >= 0"),
        ({"campaign_id": CAMPAIGN_ID, "step": "1", "final_step": False}, "step must be an integer"),
        ({"campaign_id": CAMPAIGN_ID, "step": True, "final_step": False}, "step must be an integer"),
        ({"campaign_id": CAMPAIGN_ID, "step": 0, "final_step": "yes"}, "final_step must be a boolean"),
        ({"campaign_id": CAMPAIGN_ID, "step": 0, "final_step": False, "x": 1}, "unexpected kwarg(s): x"),
        ({"campaign_id": CAMPAIGN_ID, "step": 0, "final_step": False, "attempt": 0}, "attempt must be an integer >= 1"),
        ({"campaign_id": CAMPAIGN_ID, "step": 0, "final_step": False, "attempt": "2"}, "attempt must be an integer"),
    ])
    def test_malformed_kwargs_are_named(self, kwargs, fragment):
        with pytest.raises(MalformedJob) as err:
            ConductCallCommand.from_kwargs(kwargs)
        assert fragment in str(err.value)

    async def test_a_closed_campaign_is_skipped_without_dialing(self):
        world = World(campaign=Campaign(id=CAMPAIGN_ID, contact_id=CONTACT_ID, status=CampaignStatus.OPTED_OUT))
        job = await world.use_case()(command())
        assert job.outcome is CallOutcome.SKIPPED and world.line.requests == []


class TestCompliance:
    async def test_a_deferral_releases_the_claim_and_says_until_when(self):
        until = NOW + timedelta(hours=14)
        world = World(gate=FixedComplianceGate(Verdict.DEFER, rule="federal_window", until=until))
        job = await world.use_case()(command())
        assert job.outcome is CallOutcome.DEFERRED and job.deferred_until == until
        assert (await world.claims.get(CAMPAIGN_ID, 0)).status is ClaimStatus.RELEASED
        assert world.line.requests == []
        assert await world.records.for_campaign(CAMPAIGN_ID) == []
        [(step, decision)] = await world.audit.for_campaign(CAMPAIGN_ID)
        assert decision.verdict is Verdict.DEFER and decision.rule == "federal_window"

    async def test_a_deferred_step_can_be_claimed_again_later(self):
        world = World(result(CallOutcome.NO_ANSWER),
                      gate=FixedComplianceGate(Verdict.DEFER, until=NOW + timedelta(hours=1)))
        await world.use_case()(command())
        world.gate.verdict = Verdict.ALLOW
        job = await world.use_case()(command())
        assert job.outcome is CallOutcome.NO_ANSWER and world.line.dials == 1

    @pytest.mark.parametrize("verdict, outcome", [(Verdict.SKIP, CallOutcome.SKIPPED),
                                                  (Verdict.WRONG_NUMBER, CallOutcome.WRONG_NUMBER)])
    async def test_a_refusal_is_recorded_with_the_rule_and_never_dials(self, verdict, outcome):
        world = World(gate=FixedComplianceGate(verdict, rule="internal_dnc"))
        job = await world.use_case()(command())
        assert job.outcome is outcome and "internal_dnc" in job.reason
        assert world.line.requests == []
        [record] = await world.records.for_campaign(CAMPAIGN_ID)
        assert record.outcome is outcome
        assert (await world.claims.get(CAMPAIGN_ID, 0)).status is ClaimStatus.COMPLETED


class TestAtMostOnce:
    async def test_the_same_step_delivered_twice_dials_once(self):
        world = World(result(CallOutcome.DECLINED), result(CallOutcome.DECLINED))
        first = await world.use_case("worker-a")(command())
        second = await world.use_case("worker-b")(command())
        assert world.line.dials == 1
        assert second.duplicate and second.outcome is CallOutcome.DECLINED and second.call_id == first.call_id

    async def test_a_step_held_by_a_live_worker_is_retried_when_its_lease_ends(self):
        world = World(result(CallOutcome.DECLINED))
        await world.claims.acquire(CAMPAIGN_ID, 0, worker_id="worker-a", call_id="c1", now=NOW,
                                   lease_until=NOW + timedelta(minutes=2))
        await world.claims.mark_dialing(CAMPAIGN_ID, 0, worker_id="worker-a", lease_until=NOW + timedelta(minutes=2))
        with pytest.raises(RetryAt) as retry:
            await world.use_case("worker-b")(command())
        assert retry.value.when > NOW + timedelta(minutes=2)
        assert world.line.dials == 0

    async def test_a_worker_lost_mid_call_is_recorded_as_unknown_and_never_redialed(self):
        world = World(result(CallOutcome.DECLINED))
        await world.claims.acquire(CAMPAIGN_ID, 0, worker_id="worker-a", call_id="c1", now=NOW,
                                   lease_until=NOW + timedelta(minutes=2))
        await world.claims.mark_dialing(CAMPAIGN_ID, 0, worker_id="worker-a", lease_until=NOW + timedelta(minutes=2))
        world.clock.advance(minutes=10)
        job = await world.use_case("worker-b")(command())
        assert job.outcome is CallOutcome.FAILED and job.reason == OUTCOME_UNKNOWN_REASON
        assert world.line.dials == 0
        record = await world.records.get("c1")
        assert record.reason == OUTCOME_UNKNOWN_REASON and record.worker_id == "worker-a"
        again = await world.use_case("worker-c")(command())
        assert again.duplicate and world.line.dials == 0

    async def test_an_outcome_recorded_before_the_claim_could_complete_is_kept(self):
        # The record was stored, then the claim update failed (or the worker died): the
        # worker that finds the expired DIALING claim must not overwrite the real outcome.
        class ClaimsThatFailOnce(FakeCallClaims):
            failed = False

            async def complete(self, campaign_id, step, *, outcome, attempt=0):
                if not self.failed:
                    self.failed = True
                    raise TransientFault("mongodb", "connection reset")
                await super().complete(campaign_id, step, outcome=outcome, attempt=attempt)

        world = World(result(CallOutcome.MEETING_BOOKED, reached_human=True))
        world.claims = ClaimsThatFailOnce()
        with pytest.raises(TransientFault):
            await world.use_case("worker-a")(command())
        world.clock.advance(minutes=10)
        job = await world.use_case("worker-b")(command())
        assert world.line.dials == 1
        assert job.outcome is CallOutcome.MEETING_BOOKED
        [record] = await world.records.for_campaign(CAMPAIGN_ID)
        assert record.outcome is CallOutcome.MEETING_BOOKED and record.reason != OUTCOME_UNKNOWN_REASON
        claim = await world.claims.get(CAMPAIGN_ID, 0)
        assert claim.status is ClaimStatus.COMPLETED and claim.outcome is CallOutcome.MEETING_BOOKED
        campaign = await world.campaigns.get(CAMPAIGN_ID)
        assert [a.outcome for a in campaign.call_history] == [CallOutcome.MEETING_BOOKED]

    async def test_a_worker_lost_before_dialing_lets_another_worker_call(self):
        world = World(result(CallOutcome.NO_ANSWER))
        await world.claims.acquire(CAMPAIGN_ID, 0, worker_id="worker-a", call_id="c1", now=NOW,
                                   lease_until=NOW + timedelta(minutes=2))
        world.clock.advance(minutes=5)
        job = await world.use_case("worker-b")(command())
        assert job.outcome is CallOutcome.NO_ANSWER and world.line.dials == 1


class TestFaults:
    async def test_a_transient_fault_before_dialing_releases_the_claim_for_a_retry(self):
        line = ScriptedCallLine(fail_before_dialing=TransientFault("livekit", "503"))
        world = World(line=line)
        with pytest.raises(TransientFault):
            await world.use_case()(command())
        assert (await world.claims.get(CAMPAIGN_ID, 0)).status is ClaimStatus.RELEASED
        assert await world.records.for_campaign(CAMPAIGN_ID) == []

    async def test_a_crash_after_dialing_is_recorded_as_failed_not_retried(self):
        world = World(RuntimeError("agent exploded"))
        job = await world.use_case()(command())
        assert job.outcome is CallOutcome.FAILED and "RuntimeError" in job.reason
        assert (await world.claims.get(CAMPAIGN_ID, 0)).status is ClaimStatus.COMPLETED
        assert world.line.dials == 1

    async def test_every_stage_is_traced(self):
        world = World(result(CallOutcome.DECLINED, transcript=[TranscriptLine("agent", "Hi")]))
        await world.use_case()(command())
        names = [name for name, _ in world.telemetry.stages]
        assert names == ["job", "compliance", "claim", "call", "storage"]


class RefusedBeforeDialing:
    """A line whose service refuses the call setup (a 4xx): it reports FAILED without dialing."""

    async def conduct(self, request, on_dialing):
        return CallResult(outcome=CallOutcome.FAILED, ended_at=NOW, reason="not dialed: LiveKit refused the call setup")


async def test_a_call_refused_before_dialing_is_recorded_but_is_no_attempt_on_the_contact():
    world = World(line=RefusedBeforeDialing())
    job = await world.use_case()(command())
    assert job.outcome is CallOutcome.FAILED and job.reason.startswith("not dialed")
    campaign = await world.campaigns.get(CAMPAIGN_ID)
    assert campaign.call_history == [] and campaign.last_completed_step == 0
    assert (await world.claims.get(CAMPAIGN_ID, 0)).status is ClaimStatus.COMPLETED


class CampaignsThatFailOnce(FakeCampaignRepository):
    def __init__(self, *campaigns, contacts=None):
        super().__init__(*campaigns, contacts=contacts)
        self.failures = 1

    async def save(self, campaign):
        if self.failures:
            self.failures -= 1
            raise TransientFault("mongodb", "AutoReconnect")
        await super().save(campaign)


async def test_a_campaign_update_lost_after_the_record_is_repaired_once_and_never_redialed():
    world = World(result(CallOutcome.DECLINED))
    world.campaigns = CampaignsThatFailOnce(Campaign(id=CAMPAIGN_ID, contact_id=CONTACT_ID), contacts=world.contacts)
    with pytest.raises(TransientFault):
        await world.use_case("worker-a")(command())
    assert (await world.claims.get(CAMPAIGN_ID, 0)).status is ClaimStatus.DIALING
    world.clock.advance(minutes=10)
    job = await world.use_case("worker-b")(command())
    again = await world.use_case("worker-c")(command())
    assert job.outcome is CallOutcome.DECLINED and again.duplicate and world.line.dials == 1
    campaign = await world.campaigns.get(CAMPAIGN_ID)
    assert [a.outcome for a in campaign.call_history] == [CallOutcome.DECLINED]
    assert (await world.claims.get(CAMPAIGN_ID, 0)).status is ClaimStatus.COMPLETED


def test_folding_the_same_call_twice_counts_it_once():
    campaign = Campaign(id=CAMPAIGN_ID, contact_id=CONTACT_ID)
    for _ in range(2):
        campaign.record_call(step=0, outcome=CallOutcome.NO_ANSWER, at=NOW, final_step=False, call_id="c1")
    assert len(campaign.call_history) == 1


class TestOutcomeEvents:
    """Contracts section 4: one event per finished job, ids and times only, at least once."""

    async def test_a_finished_call_publishes_one_event_with_its_ids_meeting_and_callback(self):
        meeting = Meeting(start=NOW + timedelta(days=1), end=NOW + timedelta(days=1, minutes=30), event_id="e1",
                          attendee_email="dana@lakeside.example")
        world = World(result(CallOutcome.MEETING_BOOKED, meeting=meeting, reached_human=True,
                             next_step="Dana Reyes wants the deck at dana@lakeside.example or 512-555-0143"))
        job = await world.use_case()(command(step=2))
        [event] = world.events.events
        assert (event.job_id, event.campaign_id, event.step, event.attempt) == (job.job_id, CAMPAIGN_ID, 2, 0)
        assert (event.outcome, event.call_id, event.reached_human) == (CallOutcome.MEETING_BOOKED, job.call_id, True)
        assert event.meeting == meeting.interval and event.at == NOW
        for personal in ("Dana", "Reyes", "dana@", "555"):
            assert personal not in event.next_step

    async def test_a_deferral_publishes_an_event_with_the_time_it_moved_to(self):
        until = NOW + timedelta(hours=14)
        world = World(gate=FixedComplianceGate(Verdict.DEFER, until=until))
        await world.use_case()(command())
        [event] = world.events.events
        assert event.outcome is CallOutcome.DEFERRED and event.deferred_until == until and event.call_id is None

    async def test_a_redelivered_job_publishes_again_with_the_same_call_id(self):
        world = World(result(CallOutcome.CALLBACK_REQUESTED, reached_human=True,
                             callback_at=NOW + timedelta(hours=3)))
        first = await world.use_case()(command())
        await world.use_case()(command())
        assert [e.call_id for e in world.events.events] == [first.call_id, first.call_id]
        assert [e.callback_at for e in world.events.events] == [NOW + timedelta(hours=3)] * 2
        assert len(world.line.requests) == 1

    async def test_an_event_that_cannot_be_published_retries_the_job_and_the_retry_publishes(self):
        world = World(result(CallOutcome.DECLINED, reached_human=True))
        world.events.fail = True
        with pytest.raises(TransientFault, match="outcome_events"):
            await world.use_case()(command())
        world.events.fail = False
        job = await world.use_case()(command())
        assert job.duplicate and [e.outcome for e in world.events.events] == [CallOutcome.DECLINED]
        assert len(world.line.requests) == 1

    async def test_a_worker_lost_mid_call_is_announced_as_failed(self):
        world = World(result(CallOutcome.DECLINED))
        await world.claims.acquire(CAMPAIGN_ID, 0, worker_id="gone", call_id="lost-call", now=NOW,
                                   lease_until=NOW + timedelta(minutes=2))
        await world.claims.mark_dialing(CAMPAIGN_ID, 0, worker_id="gone", lease_until=NOW + timedelta(minutes=2))
        world.clock.advance(minutes=5)
        await world.use_case()(command())
        [event] = world.events.events
        assert (event.outcome, event.call_id) == (CallOutcome.FAILED, "lost-call")


class LawfulFromNine:
    """Allows calls at or after 09:00 UTC on the day asked; earlier ones are deferred to 09:00."""

    async def check(self, contact, campaign, now):
        from domain.compliance import ComplianceDecision
        if now.hour >= 9:
            return ComplianceDecision(Verdict.ALLOW, "calling_window", "within hours", now)
        return ComplianceDecision(Verdict.DEFER, "calling_window", "before 09:00", now,
                                  until=now.replace(hour=9, minute=0, second=0, microsecond=0))

    async def check_callback(self, contact, campaign, asked, *, asked_on):
        return await self.check(contact, campaign, asked)


def test_a_follow_up_job_reads_its_attempt_and_has_the_contracts_job_id():
    parsed = ConductCallCommand.from_kwargs({"campaign_id": CAMPAIGN_ID, "step": 2, "final_step": False, "attempt": 1})
    assert parsed.job_id == f"call:{CAMPAIGN_ID}:2:1" and parsed.to_kwargs()["attempt"] == 1
    producer = ConductCallCommand.from_kwargs({"campaign_id": CAMPAIGN_ID, "step": 2, "final_step": False})
    assert producer.attempt == 0 and producer.job_id == f"call:{CAMPAIGN_ID}:2" and "attempt" not in producer.to_kwargs()


class TestCallbacks:
    """A callee who asks to be called back gets that call, queued once, at a lawful minute."""

    def callback(self, at):
        return result(CallOutcome.CALLBACK_REQUESTED, reached_human=True, callback_at=at)

    async def test_a_lawful_callback_is_queued_for_that_minute_as_the_next_attempt(self):
        asked = datetime(2026, 3, 11, 14, 30, 20, tzinfo=timezone.utc)
        world = World(self.callback(asked), gate=LawfulFromNine())
        job = await world.use_case()(command(step=1))
        [(queued, at)] = world.follow_ups.jobs.values()
        assert queued == ConductCallCommand(CAMPAIGN_ID, 1, False, attempt=1)
        assert queued.job_id == f"call:{CAMPAIGN_ID}:1:1"
        assert at == asked.replace(second=0) and job.scheduled.at == at
        [event] = world.events.events
        assert (event.scheduled.step, event.scheduled.attempt, event.scheduled.at) == (1, 1, at)
        [follow_up] = (await world.campaigns.get(CAMPAIGN_ID)).follow_ups
        assert follow_up.asked_at == asked and not follow_up.moved

    async def test_an_unlawful_callback_moves_to_the_nearest_lawful_minute(self):
        asked = datetime(2026, 3, 11, 7, 0, tzinfo=timezone.utc)
        world = World(self.callback(asked), gate=LawfulFromNine())
        await world.use_case()(command())
        [(_, at)] = world.follow_ups.jobs.values()
        assert at == datetime(2026, 3, 11, 9, 0, tzinfo=timezone.utc)
        assert (await world.campaigns.get(CAMPAIGN_ID)).follow_ups[0].moved

    async def test_a_redelivered_job_queues_no_second_callback(self):
        world = World(self.callback(NOW + timedelta(days=1)))
        await world.use_case()(command())
        await world.use_case("worker-b")(command())
        assert len(world.follow_ups.jobs) == 1
        assert len((await world.campaigns.get(CAMPAIGN_ID)).follow_ups) == 1
        assert len(world.line.requests) == 1

    async def test_the_callback_is_claimed_apart_and_knows_what_was_asked(self):
        asked = NOW + timedelta(days=1)
        world = World(self.callback(asked), result(CallOutcome.DECLINED, reached_human=True))
        await world.use_case()(command())
        follow_up = await world.use_case()(ConductCallCommand(CAMPAIGN_ID, 0, False, attempt=1))
        assert follow_up.job_id == f"call:{CAMPAIGN_ID}:0:1" and not follow_up.duplicate
        assert [r.attempt for r in world.line.requests] == [0, 1]
        assert world.line.requests[1].callback_asked_at == asked
        assert (await world.claims.get(CAMPAIGN_ID, 0, attempt=1)).status is ClaimStatus.COMPLETED

    async def test_follow_ups_per_step_are_capped(self):
        world = World(self.callback(NOW + timedelta(days=1)), self.callback(NOW + timedelta(days=2)),
                      self.callback(NOW + timedelta(days=3)))
        use_case = world.use_case()
        use_case.max_follow_ups = 2
        for attempt in range(3):
            await use_case(ConductCallCommand(CAMPAIGN_ID, 0, False, attempt=attempt))
        assert sorted(world.follow_ups.jobs) == [f"call:{CAMPAIGN_ID}:0:1", f"call:{CAMPAIGN_ID}:0:2"]

    async def test_a_callback_that_can_never_be_lawful_is_not_queued(self):
        class NothingAfterThisCall:
            async def check(self, contact, campaign, now):
                from domain.compliance import ComplianceDecision
                verdict = Verdict.ALLOW if now == NOW else Verdict.SKIP
                return ComplianceDecision(verdict, "do_not_call", "listed", now)

            async def check_callback(self, contact, campaign, asked, *, asked_on):
                return await self.check(contact, campaign, asked)

        world = World(self.callback(NOW + timedelta(days=1)), gate=NothingAfterThisCall())
        job = await world.use_case()(command())
        assert job.outcome is CallOutcome.CALLBACK_REQUESTED and job.scheduled is None
        assert world.follow_ups.jobs == {}

    async def test_a_crash_before_queueing_is_finished_by_the_next_delivery(self):
        class QueueDown(InMemoryFollowUpQueue):
            down = True

            async def schedule(self, command, at):
                if self.down:
                    raise TransientFault("redis", "connection refused")
                return await super().schedule(command, at)

        world = World(self.callback(NOW + timedelta(days=1)))
        world.follow_ups = QueueDown()
        with pytest.raises(TransientFault):
            await world.use_case()(command())
        world.follow_ups.down = False
        world.clock.advance(minutes=5)
        await world.use_case("worker-b")(command())
        assert list(world.follow_ups.jobs) == [f"call:{CAMPAIGN_ID}:0:1"] and len(world.line.requests) == 1


async def test_what_the_front_desk_said_is_kept_on_the_contact_for_the_next_attempt(caplog):
    from datetime import time

    from domain.front_desk import BestTime, FrontDeskDetails
    world = World(result(CallOutcome.GATEKEEPER_BLOCKED, reached_human=True, front_desk=FrontDeskDetails(
        decision_maker="Dr. Kent", extension="214", best_time=BestTime(("thu",), time(14), time(17)))),
        contact=a_contact(known=FrontDeskDetails(direct_line="+15125550188", extension="200")))
    caplog.set_level("DEBUG")
    await world.use_case()(command())
    for personal in ("Kent", "214", "5550188"):  # personal data: never in a log line
        assert personal not in caplog.text
    known = (await world.contacts.get(CONTACT_ID)).known
    assert known == FrontDeskDetails(decision_maker="Dr. Kent", direct_line="+15125550188", extension="214",
                                     best_time=BestTime(("thu",), time(14), time(17)),
                                     learned_at=NOW + timedelta(minutes=3))  # retention counts from the call
