"""CallStatistics on MongoDB: aggregation pipelines over the `startedAt` index, counted by the server.

No record is loaded into Python to compute a figure: one `$facet` pipeline
(one pass over the window's records) counts outcomes, latencies, objections,
failures and calls per UTC hour; a second counts compliance decisions on
`compliance_audit`. They run concurrently and only grouped rows come back.

Percentiles are `$percentile` (nearest rank on SecantusDB; MongoDB's
`approximate` method on a real server). Local hours use the record's
`calleeTimezone`: MongoDB groups calls by zone and UTC hour, and each of those
rows (at most zones x outcomes x hours in the window) is placed in its local
hour here, exact for zones whose offset is whole hours (every US zone).
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bson import ObjectId
from bson.errors import InvalidId

from application.ports.call_statistics import ListedCall, ReportWindow
from domain.call_report import CallFigures, ObjectionCount, OutcomeCount, Percentiles
from domain.outcomes import CallOutcome
from infrastructure.mongo_faults import mongo_faults
from infrastructure.mongo_models import CallRecordDoc, aware, stored

LATENCY_BUCKET_MS = 250
FAILURE_REASONS = 20  # the most frequent failure reasons shown; the rest are summed as "other reasons"
_HOUR = "%Y-%m-%dT%H"  # a call's UTC hour, as grouped

# SecantusDB evaluates expressions per document in Python: grouping by plain fields (and a few cheap tests)
# is several times faster than summing `$cond`s, so each facet groups by what it counts.
_FACETS = {
    "shape": [{"$group": {
        "_id": {"o": "$outcome", "human": "$reachedHuman", "vm": "$voicemailLeft", "dm": "$decisionMakerReached",
                "cb": {"$gt": ["$callbackAt", None]}},
        "n": {"$sum": 1}, "seconds": {"$sum": "$durationS"},
        "first": {"$min": "$startedAt"}, "last": {"$max": "$startedAt"}}}],
    "latency": [{"$match": {"turnLatenciesMs.0": {"$exists": True}}}, {"$unwind": "$turnLatenciesMs"},
                {"$group": {"_id": None, "n": {"$sum": 1},
                            "p": {"$percentile": {"input": "$turnLatenciesMs", "p": [0.5, 0.95],
                                                  "method": "approximate"}}}}],
    "histogram": [{"$match": {"turnLatenciesMs.0": {"$exists": True}}}, {"$unwind": "$turnLatenciesMs"},
                  {"$group": {"_id": {"$multiply": [{"$floor": {"$divide": ["$turnLatenciesMs", LATENCY_BUCKET_MS]}},
                                                    LATENCY_BUCKET_MS]}, "n": {"$sum": 1}}}],
    "firstReply": [{"$match": {"firstReplyS": {"$type": "number"}}},
                   {"$group": {"_id": None, "n": {"$sum": 1},
                               "p": {"$percentile": {"input": "$firstReplyS", "p": [0.5, 0.95],
                                                     "method": "approximate"}}}}],
    "verdict": [{"$match": {"verdictS": {"$type": "number"}}},
                {"$group": {"_id": None, "n": {"$sum": 1},
                            "p": {"$percentile": {"input": "$verdictS", "p": [0.5, 0.95], "method": "approximate"}}}}],
    "objections": [{"$match": {"objections.0": {"$exists": True}}}, {"$unwind": "$objections"},
                   {"$group": {"_id": {"k": "$objections", "o": "$outcome"}, "n": {"$sum": 1}}}],
    "failures": [{"$match": {"outcome": CallOutcome.FAILED.value}},
                 {"$group": {"_id": {"$ifNull": ["$reason", "no reason recorded"]}, "n": {"$sum": 1}}}],
    # Calls by outcome, callee zone and UTC hour: one date expression per record. Each grouped row is then
    # placed in the callee's local weekday and hour, and its UTC day, here (a time zone taken from a field,
    # `"timezone": "$calleeTimezone"`, is not supported by every server).
    "time": [{"$group": {"_id": {"o": "$outcome", "z": "$calleeTimezone",
                                 "t": {"$dateToString": {"format": _HOUR, "date": "$startedAt"}}},
                         "n": {"$sum": 1}}}],
}


def _outcome(value) -> CallOutcome | None:
    try:
        return CallOutcome(value)
    except ValueError:
        return None  # a record written by a newer worker with an outcome this one does not know


def _zone(name) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _by_time(f: CallFigures, rows: list[dict]) -> None:
    local: dict[tuple[int, int, CallOutcome], int] = {}
    days: dict[str, dict[CallOutcome, int]] = {}
    zones: dict = {}
    for r in rows:
        key, outcome = r["_id"], _outcome(r["_id"]["o"])
        if outcome is None:
            continue
        day = days.setdefault(key["t"][:10], {})
        day[outcome] = day.get(outcome, 0) + r["n"]
        if key.get("z") not in zones:
            zones[key.get("z")] = _zone(key.get("z"))
        zone = zones[key.get("z")]
        if zone is not None:
            there = datetime.strptime(key["t"], _HOUR).replace(tzinfo=timezone.utc).astimezone(zone)
            slot = (there.weekday(), there.hour, outcome)
            local[slot] = local.get(slot, 0) + r["n"]
    f.by_local_time = local
    f.by_day = dict(sorted(days.items()))


def _figures(facet: dict, decisions: list[dict]) -> CallFigures:
    f = CallFigures()
    counts: dict[CallOutcome, dict] = {}
    firsts, lasts = [], []
    for row in facet.get("shape", []):
        key, outcome = row["_id"], _outcome(row["_id"]["o"])
        if outcome is None:
            continue
        c = counts.setdefault(outcome, dict.fromkeys(("calls", "reached_human", "voicemail", "callbacks",
                                                      "decision_maker", "decision_maker_recorded", "seconds"), 0))
        n = row["n"]
        c["calls"] += n
        c["reached_human"] += n if key.get("human") is True else 0
        c["voicemail"] += n if key.get("vm") is True else 0
        c["callbacks"] += n if key.get("cb") is True else 0
        c["decision_maker"] += n if key.get("dm") is True else 0
        c["decision_maker_recorded"] += n if isinstance(key.get("dm"), bool) else 0
        c["seconds"] += float(row["seconds"] or 0)
        firsts.append(row["first"])
        lasts.append(row["last"])
    f.by_outcome = {o: OutcomeCount(**c) for o, c in counts.items()}
    f.first_call_at = aware(min(firsts)) if firsts else None
    f.last_call_at = aware(max(lasts)) if lasts else None
    f.turn_latency_ms = _read_percentiles(facet.get("latency"))
    f.first_reply_s = _read_percentiles(facet.get("firstReply"))
    f.verdict_s = _read_percentiles(facet.get("verdict"))
    f.latency_histogram_ms = {int(r["_id"]): r["n"] for r in sorted(facet.get("histogram", []),
                                                                    key=lambda r: r["_id"])}
    objections: dict[str, list[int]] = {}
    for r in facet.get("objections", []):
        counted = objections.setdefault(r["_id"]["k"], [0, 0])
        counted[0] += r["n"]
        counted[1] += r["n"] if r["_id"]["o"] == CallOutcome.MEETING_BOOKED.value else 0
    f.objections = {k: ObjectionCount(c, b) for k, (c, b) in sorted(objections.items(), key=lambda x: (-x[1][0], x[0]))}
    _by_time(f, facet.get("time", []))
    reasons = sorted(((str(r["_id"]), r["n"]) for r in facet.get("failures", [])), key=lambda x: (-x[1], x[0]))
    f.failures = dict(reasons[:FAILURE_REASONS])
    if len(reasons) > FAILURE_REASONS:
        f.failures["other reasons"] = sum(n for _, n in reasons[FAILURE_REASONS:])
    for r in sorted(decisions, key=lambda r: (r["_id"]["rule"], r["_id"]["verdict"])):
        f.decisions.setdefault(r["_id"]["rule"], {})[r["_id"]["verdict"]] = r["n"]
    return f


class MongoCallStatistics:
    def __init__(self, database):
        self.records = database["call_records"]
        self.audit = database["compliance_audit"]
        self.campaigns = database["campaigns"]
        self.contacts = database["contacts"]

    async def _match(self, window: ReportWindow, time_field: str) -> dict:
        span = {"$lt": stored(window.until)}
        if window.since is not None:
            span["$gte"] = stored(window.since)
        match: dict = {time_field: span}
        if window.batch is not None:
            ids = [str(d["_id"]) async for d in self.campaigns.find({"batch": window.batch}, {"_id": 1})]
            match["campaignId"] = {"$in": ids}
        return match

    async def figures(self, window: ReportWindow) -> CallFigures:
        with mongo_faults("statistics.figures"):
            match = await self._match(window, "startedAt")
            audit_match = await self._match(window, "decidedAt")
            facets, decisions = await asyncio.gather(
                self.records.aggregate([{"$match": match}, {"$facet": _FACETS}]).to_list(None),
                self.audit.aggregate([{"$match": audit_match},
                                      {"$group": {"_id": {"rule": "$rule", "verdict": "$verdict"},
                                                  "n": {"$sum": 1}}}]).to_list(None))
        return _figures(facets[0] if facets else {}, decisions)

    async def recent_calls(self, window: ReportWindow, limit: int) -> list[ListedCall]:
        with mongo_faults("statistics.recent_calls"):
            match = await self._match(window, "startedAt")
            docs = await self.records.find(match).sort("startedAt", -1).limit(limit).to_list(None)
            records = [CallRecordDoc.model_validate_doc(d).to_domain() for d in docs]
            campaign_ids = [oid for oid in {_oid(r.campaign_id) for r in records} if oid is not None]
            campaigns = {str(d["_id"]): d async for d in self.campaigns.find({"_id": {"$in": campaign_ids}},
                                                                               {"contact": 1})}
            contact_ids = list({d["contact"] for d in campaigns.values() if d.get("contact")})
            contacts = {d["_id"]: d async for d in self.contacts.find(
                {"_id": {"$in": contact_ids}}, {"firstName": 1, "lastName": 1, "practice": 1, "timezone": 1})}
        listed = []
        for record in records:
            contact = contacts.get((campaigns.get(record.campaign_id) or {}).get("contact"), {})
            name = " ".join(p for p in (contact.get("firstName", ""), contact.get("lastName", "")) if p)
            listed.append(ListedCall(record, practice=contact.get("practice", ""), contact_name=name,
                                     timezone=record.callee_timezone or contact.get("timezone")))
        return listed


def _oid(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def _read_percentiles(rows: list[dict] | None) -> Percentiles:
    if not rows:
        return Percentiles()
    row = rows[0]
    p50, p95 = row["p"]
    return Percentiles(count=row["n"], p50=float(p50), p95=float(p95))

