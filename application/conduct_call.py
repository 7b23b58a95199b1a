"""ConductCall: process one outbound-call job from claim to recorded outcome."""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from application.book_meeting import contact_zone
from application.commands import ConductCallCommand
from application.errors import MalformedJob, RetryAt, TransientFault, UnknownCampaign
from application.ports.call_claims import CallClaims, ClaimLost
from application.ports.call_line import CallLine, CallRequest, CallResult
from application.ports.clock import Clock
from application.ports.compliance import ComplianceAudit, ComplianceGate, DoNotCallListing
from application.ports.follow_up_queue import FollowUpQueue
from application.ports.outcome_events import OutcomeEvents
from application.ports.repositories import CallRecordRepository, CampaignRepository, ContactRepository
from application.ports.scripts import ScriptCatalog
from application.ports.storage import CallArtifacts
from application.ports.telemetry import Telemetry
from domain.call_claim import Claim, ClaimStatus, claim_key
from domain.call_record import CallRecord
from domain.campaign import MAX_FOLLOW_UPS_PER_STEP, Campaign, FollowUp
from domain.compliance import ComplianceDecision, Verdict
from domain.contact import Contact
from domain.outcome_event import OutcomeEvent, ScheduledCall
from domain.outcomes import CallOutcome
from domain.script import ScriptError
from domain.transcript_redaction import TranscriptRedactor, transcript_to_store

log = logging.getLogger(__name__)

# The phone may have rung; nobody knows how it ended. A person must look.
OUTCOME_UNKNOWN_REASON = "outcome unknown: the worker handling this call was lost mid-call; not re-dialed"
_REFUSALS = uuid.UUID("5f1d0b8e-6a47-4c1e-9d55-2f0c3a7e9b10")


@dataclass(frozen=True)
class JobResult:
    """What a job reports back (stored by ARQ as the job result, printed by replay)."""

    job_id: str
    outcome: CallOutcome
    call_id: str | None = None
    reason: str | None = None
    deferred_until: datetime | None = None
    duplicate: bool = False  # another delivery of this step already handled it
    # The call's stored record, when there is one: the outcome event is built from it.
    record: CallRecord | None = field(default=None, compare=False, repr=False)
    scheduled: FollowUp | None = None  # the follow-up call this job queued (a callback)

    def to_dict(self) -> dict:
        return {
            "job_id": self.job_id,
            "outcome": self.outcome.value,
            "call_id": self.call_id,
            "reason": self.reason,
            "deferred_until": self.deferred_until.isoformat() if self.deferred_until else None,
            "duplicate": self.duplicate,
            "scheduled": ({"step": self.scheduled.step, "attempt": self.scheduled.attempt,
                           "at": self.scheduled.at.isoformat()} if self.scheduled else None),
        }


@dataclass(frozen=True)
class ClaimPolicy:
    lease: timedelta = timedelta(minutes=2)
    renew_every: timedelta = timedelta(seconds=30)


class ConductCall:
    def __init__(
        self,
        *,
        campaigns: CampaignRepository,
        contacts: ContactRepository,
        records: CallRecordRepository,
        claims: CallClaims,
        compliance: ComplianceGate,
        audit: ComplianceAudit,
        scripts: ScriptCatalog,
        call_line: CallLine,
        artifacts: CallArtifacts,
        telemetry: Telemetry,
        events: OutcomeEvents,
        follow_ups: FollowUpQueue,
        clock: Clock,
        worker_id: str,
        claim_policy: ClaimPolicy = ClaimPolicy(),
        max_follow_ups: int = MAX_FOLLOW_UPS_PER_STEP,
    ):
        self.campaigns = campaigns
        self.contacts = contacts
        self.records = records
        self.claims = claims
        self.compliance = compliance
        self.audit = audit
        self.scripts = scripts
        self.call_line = call_line
        self.artifacts = artifacts
        self.telemetry = telemetry
        self.events = events
        self.follow_ups = follow_ups
        self.max_follow_ups = max_follow_ups
        self.clock = clock
        self.worker_id = worker_id
        self.claim_policy = claim_policy

    async def __call__(self, command: ConductCallCommand) -> JobResult:
        with self.telemetry.stage("job", job_id=command.job_id, step=command.step):
            # One round trip for the campaign, its contact and the do-not-call list's answer.
            found = await self.campaigns.get_with_contact(command.campaign_id)
            if found is None:
                raise UnknownCampaign(f"unknown campaign {command.campaign_id}")
            campaign, contact, listing = found
            if contact is None:
                raise MalformedJob(f"campaign {campaign.id} points to unknown contact {campaign.contact_id}")
            result = await self._run(command, campaign, contact, listing)
            await self._announce(command, result, contact)
            return result

    async def _announce(self, command: ConductCallCommand, result: JobResult, contact: Contact) -> None:
        """Publish the job's outcome event. Every ending publishes, a repeated delivery too: that is
        what makes the event at-least-once when a worker dies between storing and publishing."""
        record = result.record
        if record is None and result.duplicate and result.call_id:
            record = await self.records.get(result.call_id)
        next_step = record.next_step if record is not None else None
        event = OutcomeEvent(
            job_id=result.job_id, campaign_id=command.campaign_id, step=command.step, attempt=command.attempt,
            outcome=result.outcome, at=self.clock.now(), call_id=result.call_id,
            reached_human=record.reached_human if record is not None else False,
            meeting=record.meeting.interval if record is not None and record.meeting else None,
            callback_at=record.callback_at if record is not None else None,
            next_step=TranscriptRedactor.for_contact(contact).text(next_step) if next_step else None,
            deferred_until=result.deferred_until,
            scheduled=(ScheduledCall(result.scheduled.step, result.scheduled.attempt, result.scheduled.at)
                       if result.scheduled else None),
        )
        try:
            await self.events.publish(event)
        except Exception as exc:  # unpublished: retry the job; its next delivery publishes again
            raise TransientFault("outcome_events", f"{type(exc).__name__} while publishing") from exc

    async def _run(self, command: ConductCallCommand, campaign, contact: Contact,
                   listing: DoNotCallListing | None = None) -> JobResult:
        try:
            script = await self.scripts.for_campaign(campaign.batch, campaign.script_id)
            script.validate(frozenset(contact.extra))
        except ScriptError as exc:
            raise MalformedJob(f"campaign {campaign.id}: {exc}") from exc

        now = self.clock.now()
        call_id = uuid.uuid4().hex
        decision = None
        if not campaign.closed:
            with self.telemetry.stage("compliance"):
                # A follow-up (attempt >= 1) is a callback at a time the callee named: the front desk's best
                # time does not move it (it was queued for the lawful minute nearest to what they asked).
                decision = await self.compliance.check(contact, campaign, now, listing,
                                                       time_named_by_callee=command.attempt > 0)
        with self.telemetry.stage("claim"):
            # The decision is kept with the claim, in the same write: the audit trail costs no round trip.
            won, claim = await self.claims.acquire(
                campaign.id, command.step, worker_id=self.worker_id, call_id=call_id,
                now=now, lease_until=now + self.claim_policy.lease, attempt=command.attempt, decision=decision,
            )
        if not won:
            return await self._not_ours(command, campaign, claim, now)
        if decision is None:  # the campaign is closed
            return await self._closed(command, campaign, call_id)
        if not decision.allowed:
            return await self._refused(command, campaign, call_id, decision, now)

        asked = campaign.follow_up_after(command.step, command.attempt - 1) if command.attempt else None
        request = CallRequest(
            call_id=call_id, campaign=campaign, contact=contact, script=script,
            step=command.step, final_step=command.final_step, started_at=now, attempt=command.attempt,
            callback_asked_at=asked.asked_at if asked else None,
        )
        result, dialed = await self._conduct(request)
        return await self._finish(command, campaign, request, result, dialed=dialed)

    async def _not_ours(self, command: ConductCallCommand, campaign: Campaign, claim: Claim,
                        now: datetime) -> JobResult:
        job_id = command.job_id
        if claim.status is ClaimStatus.COMPLETED:
            # A crash may have come between storing the campaign and queueing its follow-up.
            scheduled = await self._queue_follow_up(campaign, command)
            return JobResult(job_id, claim.outcome or CallOutcome.FAILED, call_id=claim.call_id,
                             reason="step already handled", duplicate=True, scheduled=scheduled)
        if claim.status is ClaimStatus.DIALING and claim.expired(now):
            # Whoever dialed is gone. Record what we know; never dial again.
            stored = await self.records.get(claim.call_id)
            if stored is not None:
                # It stored its record, then died before the campaign or the claim: keep its
                # outcome, not "unknown", and finish the writes it did not make.
                scheduled = await self._settle(command, stored.outcome, campaign=campaign, record=stored, stored=True)
                return JobResult(job_id, stored.outcome, call_id=stored.call_id, reason=stored.reason, record=stored,
                                 scheduled=scheduled)
            record = CallRecord(
                call_id=claim.call_id, campaign_id=claim.campaign_id, step=claim.step,
                outcome=CallOutcome.FAILED, started_at=claim.lease_until, ended_at=now,
                reason=OUTCOME_UNKNOWN_REASON, worker_id=claim.worker_id,
            )
            await self._settle(command, CallOutcome.FAILED, campaign=campaign, record=record)
            log.warning("job %s: %s (call %s)", job_id, OUTCOME_UNKNOWN_REASON, claim.call_id)
            return JobResult(job_id, CallOutcome.FAILED, call_id=claim.call_id, reason=OUTCOME_UNKNOWN_REASON,
                             record=record)
        # Another worker holds a live lease (or died and its lease has not run out yet):
        # come back when the lease ends, then the claim tells what happened.
        raise RetryAt(claim.lease_until + timedelta(seconds=1),
                      f"step is {claim.status.value} by worker {claim.worker_id}")

    async def _refused(self, command: ConductCallCommand, campaign, call_id: str,
                       decision: ComplianceDecision, now: datetime) -> JobResult:
        job_id = command.job_id
        reason = f"{decision.rule}: {decision.reason}"
        if decision.verdict is Verdict.DEFER:
            await self.claims.release(campaign.id, command.step, worker_id=self.worker_id, attempt=command.attempt)
            return JobResult(job_id, CallOutcome.DEFERRED, reason=reason, deferred_until=decision.until)
        outcome = CallOutcome.WRONG_NUMBER if decision.verdict is Verdict.WRONG_NUMBER else CallOutcome.SKIPPED
        # One refusal record per step, whatever the deliveries: a worker that died after storing
        # it leaves the claim merely CLAIMED, and the next delivery's refusal replaces it.
        call_id = refusal_call_id(campaign.id, command.step)
        record = CallRecord(call_id=call_id, campaign_id=campaign.id, step=command.step, outcome=outcome,
                            started_at=now, ended_at=now, reason=reason, worker_id=self.worker_id)
        await self._settle(command, outcome, campaign=campaign, record=record)
        return JobResult(job_id, outcome, call_id=call_id, reason=reason, record=record)

    async def _closed(self, command: ConductCallCommand, campaign: Campaign, call_id: str) -> JobResult:
        """A step of a campaign that is already over: nothing is dialed.

        When the campaign was closed by this very step (a worker stored its record and the
        campaign, then died before the claim), the step settles with that record's outcome.
        """
        mine = [r for r in await self.records.for_campaign(campaign.id) if r.step == command.step]
        if mine:
            stored = mine[-1]
            await self._settle(command, stored.outcome, campaign=campaign, record=stored, stored=True)
            return JobResult(command.job_id, stored.outcome, call_id=stored.call_id, reason=stored.reason,
                             record=stored)
        await self._settle(command, CallOutcome.SKIPPED)
        return JobResult(command.job_id, CallOutcome.SKIPPED, call_id=call_id,
                         reason=f"campaign is {campaign.status.value}")

    async def _conduct(self, request: CallRequest) -> tuple[CallResult, bool]:
        """The call's result, and whether the phone may have rung (the dialing hook ran)."""
        campaign_id, step, attempt = request.campaign.id, request.step, request.attempt
        dialed = False

        async def on_dialing() -> None:
            nonlocal dialed
            now = self.clock.now()
            await self.claims.mark_dialing(campaign_id, step, worker_id=self.worker_id,
                                           lease_until=now + self.claim_policy.lease, attempt=attempt)
            dialed = True

        renewer = asyncio.create_task(self._keep_lease(campaign_id, step, attempt))
        try:
            with self.telemetry.stage("call", call_id=request.call_id):
                return await self.call_line.conduct(request, on_dialing), dialed
        except ClaimLost:
            raise TransientFault("claims", "the claim changed hands before dialing; not dialed") from None
        except TransientFault:
            if not dialed:
                await self.claims.release(campaign_id, step, worker_id=self.worker_id, attempt=attempt)
                raise
            return self._failed(request, "a dependency failed after dialing"), True
        except asyncio.CancelledError:
            if not dialed:
                await asyncio.shield(self.claims.release(campaign_id, step, worker_id=self.worker_id,
                                                         attempt=attempt))
                raise
            # A forced stop after the phone rang: the line has ended the call; record it
            # rather than leave a claim that looks like a lost worker.
            return self._failed(request, "ended early: the worker was stopped"), True
        except Exception as exc:  # the call must end recorded, whatever broke
            log.exception("call %s failed", request.call_id)
            if not dialed:
                await self.claims.release(campaign_id, step, worker_id=self.worker_id, attempt=attempt)
                raise TransientFault("call_line", f"{type(exc).__name__} before dialing") from exc
            return self._failed(request, f"{type(exc).__name__} during the call"), True
        finally:
            renewer.cancel()

    def _failed(self, request: CallRequest, reason: str) -> CallResult:
        return CallResult(outcome=CallOutcome.FAILED, ended_at=self.clock.now(), reason=reason)

    async def _keep_lease(self, campaign_id: str, step: int, attempt: int) -> None:
        while True:
            await asyncio.sleep(self.claim_policy.renew_every.total_seconds())
            try:
                await self.claims.renew(campaign_id, step, worker_id=self.worker_id,
                                        lease_until=self.clock.now() + self.claim_policy.lease, attempt=attempt)
            except Exception:  # a missed renewal is survivable; the next one may pass
                log.warning("could not renew the claim on %s:%s", campaign_id, step, exc_info=True)

    async def _finish(self, command: ConductCallCommand, campaign, request: CallRequest,
                      result: CallResult, *, dialed: bool) -> JobResult:
        record = CallRecord(
            call_id=request.call_id, campaign_id=campaign.id, step=command.step, outcome=result.outcome,
            started_at=request.started_at, ended_at=result.ended_at, reached_human=result.reached_human,
            digits=list(result.digits), decline_reason=result.decline_reason, callback_at=result.callback_at,
            next_step=result.next_step,
            objections=list(result.objections), voicemail_left=result.voicemail_left,
            voicemail_after_beep=result.voicemail_after_beep, disclosed_ai=result.disclosed_ai,
            meeting=result.meeting, recording_key=result.recording_key, reason=result.reason,
            turn_latencies_ms=list(result.turn_latencies_ms), worker_id=self.worker_id,
            callee_timezone=_zone_name(request.contact), decision_maker_reached=result.decision_maker_reached,
            first_reply_s=result.first_reply_s, verdict_s=result.verdict_s, pitched=result.pitched,
        )
        if result.transcript or result.report:
            with self.telemetry.stage("storage", call_id=request.call_id):
                try:
                    record.transcript_key = await self.artifacts.put_transcript(
                        request.call_id, transcript_to_store(result.transcript, campaign, request.contact),
                        result.report)
                except Exception as exc:  # the outcome matters more than the transcript
                    log.error("call %s: transcript not stored (%s)", request.call_id, type(exc).__name__)
                    record.reason = (record.reason + "; " if record.reason else "") + "transcript not stored"
        if result.front_desk:
            # The next attempt asks for that person, dials that extension, calls at that time.
            request.contact.known = replace(request.contact.known.updated_with(result.front_desk),
                                            learned_at=result.ended_at)
            await self.contacts.save(request.contact)
        await self._plan_callback(command, campaign, request.contact, record)
        scheduled = await self._settle(command, record.outcome, campaign=campaign, record=record, dialed=dialed)
        return JobResult(command.job_id, record.outcome, call_id=record.call_id, reason=record.reason, record=record,
                         scheduled=scheduled)

    async def _plan_callback(self, command: ConductCallCommand, campaign: Campaign, contact: Contact,
                             record: CallRecord) -> None:
        """A callee who asked to be called back at a time gets that call: at the time asked when it is
        lawful, else at the nearest lawful time to it (the calling policy decides, as for any call; the
        front desk's best time does not move a time the callee named)."""
        if record.outcome is not CallOutcome.CALLBACK_REQUESTED or record.callback_at is None:
            return
        decision = await self.compliance.check_callback(contact, campaign, record.callback_at,
                                                        asked_on=self.clock.now())
        at = decision.lawful_callback(record.callback_at)
        if at is None:  # never lawful (the list, the state, the number): no call to promise
            log.info("call %s: no callback queued (%s)", record.call_id, decision.rule)
            return
        campaign.plan_follow_up(step=command.step, attempt=command.attempt, at=at, asked_at=record.callback_at,
                                call_id=record.call_id, cap=self.max_follow_ups)

    async def _queue_follow_up(self, campaign: Campaign, command: ConductCallCommand) -> FollowUp | None:
        follow_up = campaign.follow_up_after(command.step, command.attempt)
        if follow_up is None:
            return None
        queued = await self.follow_ups.schedule(
            ConductCallCommand(campaign.id, command.step, command.final_step, follow_up.attempt), follow_up.at)
        log.info("job %s: follow-up attempt %d %s for %s", command.job_id, follow_up.attempt,
                 "queued" if queued else "already queued", follow_up.at.isoformat())
        return follow_up

    async def _settle(self, command: ConductCallCommand, outcome: CallOutcome, *,
                      campaign: Campaign | None = None, record: CallRecord | None = None,
                      stored: bool = False, dialed: bool | None = None) -> FollowUp | None:
        """The one way a step ends: its record, then the campaign (and its follow-up queued), then the claim.

        Until the claim completes, a later delivery finds the record and finishes the rest
        (record_call ignores a call it already holds; queueing the same follow-up is a no-op);
        completing the claim first would leave a finished step whose campaign missed it.
        `stored`: the record is already there.
        """
        if record is not None and not stored:
            await self.records.add(record)
        scheduled = None
        if record is not None and campaign is not None:
            campaign.record_call(step=command.step, outcome=outcome, at=record.ended_at or record.started_at,
                                 final_step=command.final_step, call_id=record.call_id, dialed=dialed)
            await self.campaigns.save(campaign)
            scheduled = await self._queue_follow_up(campaign, command)
        await self.claims.complete(command.campaign_id, command.step, outcome=outcome, attempt=command.attempt)
        if record is not None and not stored:
            self.telemetry.call_finished(record)
        return scheduled


def refusal_call_id(campaign_id: str, step: int) -> str:
    """The record id of a step the compliance gate refused (stable across deliveries)."""
    return uuid.uuid5(_REFUSALS, claim_key(campaign_id, step)).hex


def _zone_name(contact) -> str | None:
    """The zone the report reads the callee's local hour in (the one meetings are spoken in)."""
    try:
        return contact_zone(contact).key
    except Exception:  # a zone name the contact record got wrong must not cost the call its record
        return None
