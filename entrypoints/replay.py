"""Replay: re-run one stored job through the same ConductCall use case (contracts section 2).

A dry run reads only: the campaign, the compliance decision it would get now,
the claim on the step and the calls already recorded, and says what a real
run would do. A step with a final outcome is never dialed again unless forced.
"""
from __future__ import annotations

import inspect
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from arq.jobs import Job

from application.commands import ConductCallCommand, job_id_for
from application.errors import RetryAt, TransientFault
from domain.call_claim import ClaimStatus
from domain.outcomes import CallOutcome
from domain.personal_data import mask_phone
from infrastructure.arq_jobs import deserialize
from infrastructure.claim_reopening import reopen_claim

log = logging.getLogger("docshield.replay")


class ReplayRefused(Exception):
    """The step must not be run again as asked; the message says why and what would allow it."""


@dataclass
class ReplayPlan:
    job_id: str
    campaign_id: str
    step: int
    final_step: bool
    final_step_source: str  # "stored job", "option" or "assumed"
    attempt: int = 0  # 0: the producer's job; 1, 2, ...: a follow-up the worker queued (a callback)
    campaign_status: str | None = None
    contact: str | None = None  # masked phone and practice, never the number in clear
    compliance: dict[str, Any] | None = None
    claim: dict[str, Any] | None = None
    recorded_calls: list[dict[str, Any]] = field(default_factory=list)
    action: str = ""  # what a real run would do
    refused: str | None = None  # why it will not run without --force (or at all)
    result: dict[str, Any] | None = None  # filled after a real run

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


async def _provided(provider) -> Any:
    # A provider that depends on an async resource returns an awaitable; an override may not.
    value = provider()
    return await value if inspect.isawaitable(value) else value


async def stored_final_step(redis, job_id: str, queue_name: str) -> bool | None:
    """final_step as the stored job (queued, or kept as a result) says; None when Redis has neither."""
    info = await Job(job_id, redis, _queue_name=queue_name, _deserializer=deserialize).info()
    if info is None or not isinstance(info.kwargs, dict):
        return None
    value = info.kwargs.get("final_step")
    return value if isinstance(value, bool) else None


async def plan_replay(container, campaign_id: str, step: int, *, final_step: bool | None, queue_name: str,
                      force: bool = False, now: datetime | None = None, attempt: int = 0) -> ReplayPlan:
    now = now or datetime.now(timezone.utc)
    job_id = job_id_for(campaign_id, step, attempt)
    source = "option"
    if final_step is None:
        final_step = await stored_final_step(await _provided(container.redis), job_id, queue_name)
        source = "stored job" if final_step is not None else "assumed"
        final_step = bool(final_step)
    plan = ReplayPlan(job_id, campaign_id, step, final_step, source, attempt)
    campaign = await (await _provided(container.campaigns)).get(campaign_id)
    if campaign is None:
        plan.refused = f"unknown campaign {campaign_id}"
        plan.action = "nothing: the use case would reject the job"
        return plan
    plan.campaign_status = campaign.status.value
    contact = await (await _provided(container.contacts)).get(campaign.contact_id)
    if contact is not None:
        plan.contact = f"{mask_phone(contact.phone)} ({contact.practice})"
        decision = await (await _provided(container.compliance)).check(contact, campaign, now)
        plan.compliance = {"verdict": decision.verdict.value, "allowed": decision.allowed, "rule": decision.rule,
                           "reason": decision.reason, "until": decision.until.isoformat() if decision.until else None}
    claims = await _provided(container.claims)
    # A record carries its step, not its attempt: this attempt's are those no earlier attempt's claim names.
    earlier = {c.call_id for a in range(attempt) if (c := await claims.get(campaign_id, step, a)) is not None}
    records = [r for r in await (await _provided(container.call_records)).for_campaign(campaign_id)
               if r.step == step and r.call_id not in earlier]
    plan.recorded_calls = [{"call_id": r.call_id, "outcome": r.outcome.value, "reason": r.reason,
                            "started_at": r.started_at.isoformat()} for r in records]
    claim = await claims.get(campaign_id, step, attempt)
    if claim is not None:
        plan.claim = {"status": claim.status.value, "worker_id": claim.worker_id, "call_id": claim.call_id,
                      "lease_until": claim.lease_until.isoformat(),
                      "outcome": claim.outcome.value if claim.outcome else None}
    final = [r for r in records if r.outcome is not CallOutcome.DEFERRED]
    if claim is not None and claim.status is ClaimStatus.DIALING and not claim.expired(now):
        plan.refused = f"worker {claim.worker_id} is on this call now (lease until {claim.lease_until.isoformat()})"
        plan.action = "nothing"
    elif claim is not None and claim.status is ClaimStatus.DIALING:
        plan.action = "record the lost call as outcome unknown (failed) without dialing"
    elif (claim is not None and claim.status is ClaimStatus.COMPLETED) or final:
        outcome = claim.outcome.value if claim is not None and claim.outcome else final[-1].outcome.value
        if not force:
            plan.refused = f"{job_id} already has a final outcome ({outcome}); --force dials it again"
            plan.action = "nothing"
        else:
            plan.action = f"reopen the claim (was {outcome}) and run the use case again"
    elif campaign.closed:
        plan.action = f"the use case would skip it: campaign is {campaign.status.value}"
    elif plan.compliance is not None and not plan.compliance["allowed"]:
        plan.action = f"no dial: compliance says {plan.compliance['verdict']} ({plan.compliance['rule']})"
    else:
        plan.action = "claim the step and dial"
    return plan


async def replay(container, campaign_id: str, step: int, *, final_step: bool | None, queue_name: str,
                 dry_run: bool = False, force: bool = False, attempt: int = 0) -> ReplayPlan:
    """Plan, then (unless dry_run or refused) run ConductCall once; raises ReplayRefused with the reason."""
    plan = await plan_replay(container, campaign_id, step, final_step=final_step, queue_name=queue_name, force=force,
                             attempt=attempt)
    if dry_run:
        return plan
    if plan.refused:
        raise ReplayRefused(plan.refused)
    if force and plan.claim and plan.claim["status"] == ClaimStatus.COMPLETED.value:
        await reopen_claim(await _provided(container.database), campaign_id, step, attempt)
        log.warning("replay --force reopened %s", plan.job_id)
    use_case = await _provided(container.conduct_call)
    command = ConductCallCommand(campaign_id, step, plan.final_step, attempt)
    try:
        result = await use_case(command)
    except RetryAt as exc:
        plan.result = {"status": "waiting", "reason": exc.reason, "until": exc.when.isoformat()}
        return plan
    except TransientFault as exc:
        plan.result = {"status": "failed", "reason": str(exc), "retry_after": exc.retry_after}
        return plan
    plan.result = {"status": "done", **result.to_dict()}
    return plan
