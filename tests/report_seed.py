"""A seeded database of call records with known proportions, for the report's tests and its benchmark.

`seed(database, n, now)` bulk-inserts `n` call records in the window (plus
records outside it and in another batch) and compliance decisions; it returns
the domain records it wrote so a test can compute every figure on its own.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from bson import ObjectId

from domain.call_record import CallRecord
from domain.outcomes import CallOutcome

BATCH = "spring"
OTHER_BATCH = "autumn"
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", None)
OUTCOME_WEIGHTS = {
    CallOutcome.MEETING_BOOKED: 9, CallOutcome.DECLINED: 18, CallOutcome.CALLBACK_REQUESTED: 6,
    CallOutcome.VOICEMAIL_LEFT: 22, CallOutcome.NO_ANSWER: 20, CallOutcome.BUSY: 4, CallOutcome.WRONG_NUMBER: 2,
    CallOutcome.OPTED_OUT: 2, CallOutcome.GATEKEEPER_BLOCKED: 7, CallOutcome.IVR_DEAD_END: 3,
    CallOutcome.SKIPPED: 3, CallOutcome.FAILED: 4,
}
OBJECTIONS = ("already_insured", "send_information", "not_interested", "too_busy", "cost", "bad_time")
FAILURE_REASONS = ("agent lost", "RuntimeError during the call", "a dependency failed after dialing")
RULES = {"calling_window": "defer", "state_quiet_hours": "defer", "internal_dnc": "skip",
         "attempt_limit": "skip", "allowed": "allow"}
PRACTICES = ("Lakeside Orthopedics", "Hill Country Dental", "Riverbend Pediatrics", "Summit Eye Care")
FIRST = ("Dana", "Sam", "Priya", "Luis", "Mei")
LAST = ("Reyes", "Okafor", "Novak", "Tran", "Walsh")


@dataclass
class Seeded:
    records: list[CallRecord]  # every record written, in and out of the window
    decisions: list[dict] = field(default_factory=list)  # the compliance_audit documents written
    batch_of: dict[str, str] = field(default_factory=dict)  # campaign id -> batch


def _record(rnd: random.Random, campaign_id: str, started: datetime, index: int) -> CallRecord:
    outcome = rnd.choices(list(OUTCOME_WEIGHTS), weights=list(OUTCOME_WEIGHTS.values()))[0]
    talked = outcome.conversation
    dialed = outcome.dialed
    duration = rnd.randint(20, 420) if talked else rnd.randint(5, 60) if dialed else 0
    human = talked or (outcome is CallOutcome.FAILED and rnd.random() < 0.3) or \
        (outcome is CallOutcome.IVR_DEAD_END and rnd.random() < 0.1)
    objections = rnd.sample(OBJECTIONS, rnd.choice((0, 0, 1, 1, 2, 3))) if talked else []
    latencies = [float(round(rnd.lognormvariate(6.8, 0.45))) for _ in range(rnd.randint(1, 8))] if talked else []
    dm: bool | None = None
    if talked and rnd.random() < 0.7:
        dm = outcome is not CallOutcome.GATEKEEPER_BLOCKED
    # Whether the offer was put to a person: every booked call, some other conversations; unrecorded on about
    # one record in ten (written before calls recorded it).
    pitched: bool | None = outcome is CallOutcome.MEETING_BOOKED or (talked and rnd.random() < 0.6)
    if rnd.random() < 0.1:
        pitched = None
    return CallRecord(
        call_id=f"seed-{index:06d}", campaign_id=campaign_id, step=rnd.randint(0, 3), outcome=outcome,
        started_at=started, ended_at=started + timedelta(seconds=duration), reached_human=human,
        objections=objections, voicemail_left=outcome is CallOutcome.VOICEMAIL_LEFT,
        callback_at=started + timedelta(days=1) if outcome is CallOutcome.CALLBACK_REQUESTED and rnd.random() < 0.8
        else None,
        reason=rnd.choice(FAILURE_REASONS) if outcome is CallOutcome.FAILED else None,
        turn_latencies_ms=latencies, worker_id=f"worker-{index % 3}",
        callee_timezone=rnd.choice(ZONES) if dialed or rnd.random() < 0.5 else None,
        decision_maker_reached=dm, pitched=pitched,
        first_reply_s=round(rnd.uniform(0.4, 2.5), 3) if human and rnd.random() < 0.8 else None,
        verdict_s=round(rnd.uniform(0.5, 6.0), 3) if outcome.answered and rnd.random() < 0.5 else None,
    )


EDGE_GAP = timedelta(minutes=10)


def _clear_of_day_edges(at: datetime, now: datetime) -> datetime:
    """`at`, moved out of the EDGE_GAP after each whole day back from `now`: a report run minutes after
    seeding (`--since 3d` from its own, later clock) then counts exactly the records a test counts from `now`."""
    into_day = (now - at) % timedelta(days=1)
    return at - EDGE_GAP if into_day > timedelta(days=1) - EDGE_GAP else at


async def seed(database, n: int, now: datetime, *, window: timedelta = timedelta(days=7), outside: int = 300,
               seed_value: int = 17) -> Seeded:
    """`n` records started within `window` before `now` (an hour clear of its edges) in two batches, `outside`
    more started earlier, and compliance decisions in and out of the window."""
    from odmantic import AIOEngine

    from infrastructure.mongo_models import CallRecordDoc

    rnd = random.Random(seed_value)
    now = now.astimezone(timezone.utc).replace(microsecond=0)
    contacts, campaigns, batch_of = [], [], {}
    for i in range(40):
        contact_id, campaign_id = ObjectId(), ObjectId()
        contacts.append({"_id": contact_id, "firstName": FIRST[i % 5], "lastName": LAST[(i // 5) % 5],
                         "phone": f"+1512555{i:04d}", "practice": PRACTICES[i % 4], "title": "", "email": "",
                         "state": None, "timezone": ZONES[i % 4], "extra": {}})
        batch = BATCH if i % 4 else OTHER_BATCH
        campaigns.append({"_id": campaign_id, "contact": contact_id, "batch": batch, "status": "active",
                          "callHistory": [], "settings": {}})
        batch_of[str(campaign_id)] = batch
    campaign_ids = list(batch_of)
    span = int((window - timedelta(hours=2)).total_seconds())
    records = []
    for i in range(n):
        started = _clear_of_day_edges(now - timedelta(hours=1, seconds=rnd.randint(0, span)), now)
        records.append(_record(rnd, rnd.choice(campaign_ids), started, i))
    for i in range(outside):
        started = now - window - timedelta(days=1, seconds=rnd.randint(0, 86400 * 20))
        records.append(_record(rnd, rnd.choice(campaign_ids), started, n + i))
    decisions = []
    for i in range(n // 20 + outside // 10):
        rule = rnd.choice(list(RULES))
        inside = i < n // 20
        at = _clear_of_day_edges(now - timedelta(hours=1, seconds=rnd.randint(0, span)), now) if inside else \
            now - window - timedelta(days=2, seconds=rnd.randint(0, 86400))
        decisions.append({"campaignId": rnd.choice(campaign_ids), "step": 0, "verdict": RULES[rule], "rule": rule,
                          "reason": "seeded", "decidedAt": at.replace(tzinfo=None), "until": None, "inputs": {}})
    docs = []
    for record in records:
        doc = CallRecordDoc.from_domain(record).model_dump_doc()
        doc.pop("_id")
        docs.append(doc)
    await database["contacts"].insert_many(contacts)
    await database["campaigns"].insert_many(campaigns)
    await AIOEngine(client=database.client, database=database.name).configure_database([CallRecordDoc])
    for start in range(0, len(docs), 5000):
        await database["call_records"].insert_many(docs[start:start + 5000], ordered=False)
    await database["compliance_audit"].insert_many([dict(d) for d in decisions])
    return Seeded(records, decisions, batch_of)
