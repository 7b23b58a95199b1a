"""A worker that dies between any two writes of a step's completion, on every completion path.

The writes are the call record, the campaign and the claim. A crash is the process dying at
once (a BaseException nothing in the use case catches), before the write it interrupts is made.
The next deliveries (another worker, after the lease ran out) must finish the step so that
no finished step is missing from its campaign and no outcome is counted twice.
"""
from __future__ import annotations

import itertools

import pytest

from domain.call_claim import ClaimStatus
from domain.campaign import Campaign
from domain.compliance import Verdict
from domain.outcomes import CallOutcome
from tests.fakes.claims import FakeCallClaims
from tests.fakes.compliance import FixedComplianceGate
from tests.fakes.repositories import FakeCallRecordRepository, FakeCampaignRepository
from tests.unit.test_conduct_call import CAMPAIGN_ID, CONTACT_ID, World, command, result


class WorkerDied(BaseException):
    """The process is gone: no except clause of the use case may turn this into an outcome."""


class Writes:
    """Counts the completion writes of one delivery and dies at the chosen one."""

    def __init__(self):
        self.die_at: int | None = None
        self.count = 0

    def next(self, name: str) -> None:
        self.count += 1
        if self.count == self.die_at:
            raise WorkerDied(name)

    def deliver(self, die_at: int | None) -> None:
        self.die_at, self.count = die_at, 0


def crashing_world(writes: Writes, *results, gate=None) -> World:
    class Records(FakeCallRecordRepository):
        async def add(self, record):
            writes.next("record")
            await super().add(record)

    class Campaigns(FakeCampaignRepository):
        async def save(self, campaign):
            writes.next("campaign")
            await super().save(campaign)

    class Claims(FakeCallClaims):
        async def complete(self, campaign_id, step, *, outcome, **kw):
            writes.next("claim")
            await super().complete(campaign_id, step, outcome=outcome, **kw)

    world = World(*results, gate=gate)
    world.records = Records()
    world.campaigns = Campaigns(Campaign(id=CAMPAIGN_ID, contact_id=CONTACT_ID), contacts=world.contacts)
    world.claims = Claims()
    return world


async def deliver_until_settled(world: World, writes: Writes, deaths: tuple[int | None, ...]):
    """One delivery per entry of `deaths` (dying at that write, or not at all), then a clean one."""
    for worker, die_at in enumerate((*deaths, None)):
        writes.deliver(die_at)
        try:
            await world.use_case(f"worker-{worker}")(command(step=0))
        except WorkerDied:
            world.clock.advance(minutes=10)  # the lease of the dead worker runs out
    writes.deliver(None)
    return await world.use_case("worker-last")(command(step=0))


async def assert_settled_once(world: World, outcome: CallOutcome, *, dialed: bool):
    claim = await world.claims.get(CAMPAIGN_ID, 0)
    assert claim.status is ClaimStatus.COMPLETED
    records = await world.records.for_campaign(CAMPAIGN_ID)
    assert len(records) == 1, [r.outcome for r in records]
    [record] = records
    campaign = await world.campaigns.get(CAMPAIGN_ID)
    # No finished step missing from its campaign:
    assert campaign.last_completed_step == 0
    # No outcome counted twice (and the claim, the record and the campaign agree):
    assert claim.outcome is record.outcome
    if dialed:
        assert [(a.call_id, a.outcome) for a in campaign.call_history] == [(record.call_id, record.outcome)]
    else:
        assert campaign.call_history == []
    assert record.outcome in (outcome, CallOutcome.FAILED)
    assert world.line.dials == (1 if dialed else 0)


# A finished call makes three writes (record, campaign, claim). A death at write N of the
# first delivery, then at write M of the repairing delivery, for every N and M.
DEATHS = [(first,) for first in (1, 2, 3)] + list(itertools.product((1, 2, 3), (1, 2, 3)))


@pytest.mark.parametrize("deaths", DEATHS, ids=lambda d: "-".join(map(str, d)))
@pytest.mark.parametrize("outcome", [CallOutcome.MEETING_BOOKED, CallOutcome.DECLINED])
async def test_a_finished_call_settles_once_whichever_write_the_worker_died_at(deaths, outcome):
    writes = Writes()
    world = crashing_world(writes, result(outcome, reached_human=True))
    job = await deliver_until_settled(world, writes, deaths)
    assert job.duplicate
    await assert_settled_once(world, outcome, dialed=True)
    [record] = await world.records.for_campaign(CAMPAIGN_ID)
    if deaths[0] > 1:  # the outcome was stored before the worker died: it is kept, never "unknown"
        assert record.outcome is outcome


@pytest.mark.parametrize("deaths", DEATHS, ids=lambda d: "-".join(map(str, d)))
@pytest.mark.parametrize("verdict", [Verdict.WRONG_NUMBER, Verdict.SKIP])
async def test_a_refusal_settles_once_whichever_write_the_worker_died_at(deaths, verdict):
    writes = Writes()
    world = crashing_world(writes, gate=FixedComplianceGate(verdict))
    job = await deliver_until_settled(world, writes, deaths)
    assert job.duplicate
    outcome = CallOutcome.WRONG_NUMBER if verdict is Verdict.WRONG_NUMBER else CallOutcome.SKIPPED
    await assert_settled_once(world, outcome, dialed=False)
    [record] = await world.records.for_campaign(CAMPAIGN_ID)
    assert record.outcome is outcome


@pytest.mark.parametrize("second", [None, 1, 2, 3])
async def test_a_call_whose_worker_died_before_any_write_settles_once_as_unknown(second):
    # The worker died mid-call (before its record): the next delivery records "outcome
    # unknown" in three writes of its own, and may die at any of them too.
    writes = Writes()
    world = crashing_world(writes, result(CallOutcome.DECLINED, reached_human=True))
    deaths = (1,) if second is None else (1, second)
    job = await deliver_until_settled(world, writes, deaths)
    assert job.duplicate
    await assert_settled_once(world, CallOutcome.FAILED, dialed=True)
    [record] = await world.records.for_campaign(CAMPAIGN_ID)
    assert record.outcome is CallOutcome.FAILED and record.reason.startswith("outcome unknown")


async def test_a_closed_campaign_settles_its_step_without_a_record():
    writes = Writes()
    world = crashing_world(writes, result(CallOutcome.DECLINED))
    closed = await world.campaigns.get(CAMPAIGN_ID)
    closed.record_call(step=0, outcome=CallOutcome.OPTED_OUT, at=world.clock.now(), final_step=False, call_id="c0")
    await world.campaigns.save(closed)
    job = await deliver_until_settled(world, writes, (1,))  # dies at its only write, the claim
    assert job.duplicate and job.outcome is CallOutcome.SKIPPED
    assert (await world.claims.get(CAMPAIGN_ID, 0)).status is ClaimStatus.COMPLETED
    assert await world.records.for_campaign(CAMPAIGN_ID) == [] and world.line.dials == 0
