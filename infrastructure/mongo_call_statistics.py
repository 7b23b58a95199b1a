"""CallStatistics on MongoDB: aggregation pipelines over the `startedAt` index, counted by the server.

No record is loaded into Python to compute a figure: one `$facet` pipeline
(one pass over the window's records) counts outcomes, latencies, objections,
failures and calls per UTC hour; a second counts compliance decisions on
`compliance_audit`. They run concurrently and only grouped rows come back.

SecantusDB evaluates every stage in Python, once per document and facet, and an
expression or accumulator costs about as much as a whole `$group` on plain
fields (benchmarks/report_figures.py). So each facet groups by the stored fields
it counts and computes as little per document as it can:

- latencies (per turn, the first reply, the verdict) are counted per distinct
  value (workers record them to the millisecond, so at most a few thousand rows
  however many calls), and the nearest-rank percentiles and the histogram are
  read off those counts (domain.call_report.Percentiles.of): exact, where one
  `$percentile` and a second `$unwind` for the histogram cost twice as much;
- calls per UTC hour are grouped by the hour's day and hour of day, read off the record's time with the
  cheap date-part operators (`$dayOfMonth`, `$hour`: a field read each), never `$dateTrunc`, which cost
  SecantusDB as much as the rest of the facet together (the facet took 0.4 s of the report's 2 s; now
  half). Over a window of at most 28 UTC days no two days share their day of the month, so that day
  names the date; a longer window (or every record) keys the day by `$year` and `$dayOfYear`;
- group keys are arrays of field paths, not documents: SecantusDB evaluates and hashes a document key
  field by field and sorts its fields (a tenth of the facet's time for the five-field one);
- rows are counted by the `$count` accumulator (MongoDB 5.0+), not `{$sum: 1}`, which SecantusDB adds
  through its BSON number-width rules for every document (an eighth of the aggregate's time);
- the first and last call's times come from the first and last hour with a
  call: two indexed queries over one hour each, not a `$min`/`$max` over all.

Local hours use the record's `calleeTimezone`: MongoDB groups calls by zone and
UTC hour, and each of those rows (at most zones x outcomes x hours in the
window) is placed in its local hour here, exact for zones whose offset is whole
hours (every US zone).
"""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bson import ObjectId
from bson.errors import InvalidId

from application.ports.call_statistics import ListedCall, ReportWindow
from domain.call_report import CallFigures, ObjectionCount, OutcomeCount, Percentiles
from domain.outcomes import CallOutcome
from infrastructure.mongo_faults import mongo_faults
from infrastructure.mongo_in_lists import find_in
from infrastructure.mongo_times import aware, stored

LATENCY_BUCKET_MS = 250
FAILURE_REASONS = 20  # the most frequent failure reasons shown; the rest are summed as "other reasons"
_EPOCH = datetime(1970, 1, 1)


def _counted(field: str, *, unwind: bool = False) -> list[dict]:
    """How many times each value of `field` occurs (each element, for an array). No `$match` first: `$unwind`
    drops a missing or empty array by itself, and records without the field fall in one row (`_id` null)
    that `_values` leaves out; a `$match` would be one more pass over every record."""
    stages: list[dict] = [{"$unwind": f"${field}"}] if unwind else []
    return stages + [{"$group": {"_id": f"${field}", "n": {"$count": {}}}}]


_FACETS = {
    # [outcome, reached a person, left a voicemail, reached the decision maker, pitched]
    "shape": [{"$group": {
        "_id": ["$outcome", "$reachedHuman", "$voicemailLeft", "$decisionMakerReached", "$pitched"],
        "n": {"$count": {}}, "seconds": {"$sum": "$durationS"}}}],
    "callbacks": [{"$match": {"callbackAt": {"$type": "date"}}}, {"$group": {"_id": "$outcome", "n": {"$count": {}}}}],
    "latency": _counted("turnLatenciesMs", unwind=True),
    "firstReply": _counted("firstReplyS"),
    "verdict": _counted("verdictS"),
    "objections": [{"$unwind": "$objections"},  # [kind, outcome]
                   {"$group": {"_id": ["$objections", "$outcome"], "n": {"$count": {}}}}],
    "failures": [{"$match": {"outcome": CallOutcome.FAILED.value}},
                 {"$group": {"_id": {"$ifNull": ["$reason", "no reason recorded"]}, "n": {"$count": {}}}}],
}


def _window_days(window: ReportWindow) -> dict[int, date] | None:
    """Each UTC day the window touches, by its day of the month, when no two of them share it (at most 28
    days: two dates with the same day of the month are 28 days apart or more); None: a longer window, or
    one without a start."""
    if window.since is None:
        return None
    first = aware(window.since).date()
    days = (aware(window.until).date() - first).days + 1
    if days > 28:
        return None
    return {day.day: day for day in (first + timedelta(days=i) for i in range(days))}


def _time_facet(days: dict[int, date] | None) -> list[dict]:
    """Calls by outcome, callee zone and UTC hour: [outcome, zone, day of the month, hour] over a window of
    `days` ([outcome, zone, year, day of the year, hour] without them). Each grouped row is then placed in
    the callee's local weekday and hour, and its UTC day, here (a time zone taken from a field,
    `"timezone": "$calleeTimezone"`, is not supported by every server)."""
    day = [{"$dayOfMonth": "$startedAt"}] if days is not None else \
        [{"$year": "$startedAt"}, {"$dayOfYear": "$startedAt"}]
    return [{"$group": {"_id": ["$outcome", "$calleeTimezone", *day, {"$hour": "$startedAt"}], "n": {"$count": {}}}}]


def _utc_hour(key: list, days: dict[int, date] | None) -> datetime | None:
    """The start of the UTC hour a `_time_facet` row counts (None: records without a start time)."""
    *parts, hour = key[2:]
    if hour is None or None in parts:
        return None
    if days is not None:
        day = days.get(parts[0])
    else:
        day = date(parts[0], 1, 1) + timedelta(days=parts[1] - 1)
    if day is None:
        return None  # a start outside the window's days, which the window's match leaves out
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


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


def _by_time(f: CallFigures, rows: list[dict], days: dict[int, date] | None) -> tuple[datetime, datetime] | None:
    """Places each `_time_facet` row in its callee's local weekday and hour and its UTC day; returns the first
    and last hour with a call, whatever its outcome (None: no call). Rows of one zone and hour differ only by
    outcome, so each (zone, hour) is placed once (a quarter of the rows over a week of 10,000 calls)."""
    local: dict[tuple[int, int, CallOutcome], int] = {}
    by_day: dict[str, dict[CallOutcome, int]] = {}
    zones: dict = {}
    placed: dict[tuple, tuple[str, tuple[int, int] | None] | None] = {}  # (zone, UTC hour's key) -> day, slot
    first = last = None
    for r in rows:
        key = r["_id"]
        spot = tuple(key[1:])
        if spot not in placed:
            hour = _utc_hour(key, days)
            if hour is None:
                placed[spot] = None
                continue
            if first is None or hour < first:
                first = hour
            if last is None or hour > last:
                last = hour
            if spot[0] not in zones:
                zones[spot[0]] = _zone(spot[0])
            zone = zones[spot[0]]
            there = hour.astimezone(zone) if zone is not None else None
            placed[spot] = (hour.date().isoformat(), (there.weekday(), there.hour) if there is not None else None)
        where = placed[spot]
        outcome = _outcome(key[0])
        if where is None or outcome is None:
            continue  # no start time (no window holds it), or an outcome of a newer worker this one does not know
        day_name, slot = where
        day = by_day.setdefault(day_name, {})
        day[outcome] = day.get(outcome, 0) + r["n"]
        if slot is not None:
            at_slot = (*slot, outcome)
            local[at_slot] = local.get(at_slot, 0) + r["n"]
    f.by_local_time = local
    f.by_day = dict(sorted(by_day.items()))
    return (first, last) if first is not None and last is not None else None


def _figures(facet: dict, decisions: list[dict],
             days: dict[int, date] | None) -> tuple[CallFigures, tuple[datetime, datetime] | None]:
    """The figures, and the first and last hour with a call (None: no call)."""
    f = CallFigures()
    hours = _by_time(f, facet.get("time", []), days)
    counts: dict[CallOutcome, dict] = {}
    for row in facet.get("shape", []):
        outcome, human, voicemail, decision_maker, pitched = row["_id"]
        outcome = _outcome(outcome)
        if outcome is None:
            continue
        c = counts.setdefault(outcome, dict.fromkeys(("calls", "reached_human", "voicemail", "callbacks",
                                                      "decision_maker", "decision_maker_recorded", "pitched",
                                                      "pitched_recorded", "seconds"), 0))
        n = row["n"]
        c["calls"] += n
        c["reached_human"] += n if human is True else 0
        c["voicemail"] += n if voicemail is True else 0
        c["decision_maker"] += n if decision_maker is True else 0
        c["decision_maker_recorded"] += n if isinstance(decision_maker, bool) else 0
        c["pitched"] += n if pitched is True else 0
        c["pitched_recorded"] += n if isinstance(pitched, bool) else 0
        c["seconds"] += float(row["seconds"] or 0)
    for row in facet.get("callbacks", []):
        outcome = _outcome(row["_id"])
        if outcome in counts:
            counts[outcome]["callbacks"] += row["n"]
    f.by_outcome = {o: OutcomeCount(**c) for o, c in counts.items()}
    turns = _values(facet.get("latency"))
    f.turn_latency_ms = Percentiles.of(turns)
    f.first_reply_s = Percentiles.of(_values(facet.get("firstReply")))
    f.verdict_s = Percentiles.of(_values(facet.get("verdict")))
    histogram: dict[int, int] = {}
    for value, n in turns.items():
        bucket = int(value // LATENCY_BUCKET_MS) * LATENCY_BUCKET_MS
        histogram[bucket] = histogram.get(bucket, 0) + n
    f.latency_histogram_ms = dict(sorted(histogram.items()))
    objections: dict[str, list[int]] = {}
    for r in facet.get("objections", []):
        kind, outcome = r["_id"]
        counted = objections.setdefault(kind, [0, 0])
        counted[0] += r["n"]
        counted[1] += r["n"] if outcome == CallOutcome.MEETING_BOOKED.value else 0
    f.objections = {k: ObjectionCount(c, b) for k, (c, b) in sorted(objections.items(), key=lambda x: (-x[1][0], x[0]))}
    reasons = sorted(((str(r["_id"]), r["n"]) for r in facet.get("failures", [])), key=lambda x: (-x[1], x[0]))
    f.failures = dict(reasons[:FAILURE_REASONS])
    if len(reasons) > FAILURE_REASONS:
        f.failures["other reasons"] = sum(n for _, n in reasons[FAILURE_REASONS:])
    for r in sorted(decisions, key=lambda r: (r["_id"]["rule"], r["_id"]["verdict"])):
        f.decisions.setdefault(r["_id"]["rule"], {})[r["_id"]["verdict"]] = r["n"]
    return f, hours


class MongoCallStatistics:
    def __init__(self, database):
        """`database`: a pymongo `AsyncDatabase` (pymongo's asyncio client, not Motor's)."""
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
            days = _window_days(window)
            facets, decisions = await asyncio.gather(
                _rows(self.records.aggregate([{"$match": match},
                                              {"$facet": {**_FACETS, "time": _time_facet(days)}}])),
                _rows(self.audit.aggregate([{"$match": audit_match},
                                            {"$group": {"_id": {"rule": "$rule", "verdict": "$verdict"},
                                                        "n": {"$count": {}}}}])))
            figures, hours = _figures(facets[0] if facets else {}, decisions, days)
            if hours is not None:
                figures.first_call_at, figures.last_call_at = await asyncio.gather(
                    self._edge(match, hours[0], 1), self._edge(match, hours[1], -1))
        return figures

    async def _edge(self, match: dict, hour: datetime, direction: int) -> datetime | None:
        """The first (1) or last (-1) call's time within `hour` (and the window): an indexed range of an hour."""
        span = dict(match["startedAt"])
        span["$gte"] = max(span.get("$gte", _EPOCH), stored(hour))
        span["$lt"] = min(span["$lt"], stored(hour + timedelta(hours=1)))
        found = await self.records.find({**match, "startedAt": span}, {"startedAt": 1, "_id": 0}) \
            .sort("startedAt", direction).limit(1).to_list(None)
        return aware(found[0]["startedAt"]) if found else None

    async def recent_calls(self, window: ReportWindow, limit: int) -> list[ListedCall]:
        from infrastructure.mongo_models import CallRecordDoc  # imported by the page only, not for the figures

        with mongo_faults("statistics.recent_calls"):
            match = await self._match(window, "startedAt")
            docs = await self.records.find(match).sort("startedAt", -1).limit(limit).to_list(None)
            records = [CallRecordDoc.model_validate_doc(d).to_domain() for d in docs]
            campaign_ids = [oid for oid in {_oid(r.campaign_id) for r in records} if oid is not None]
            campaigns = {str(d["_id"]): d for d in await find_in(self.campaigns, "_id", campaign_ids, {"contact": 1})}
            contacts = {d["_id"]: d for d in await find_in(
                self.contacts, "_id", [d["contact"] for d in campaigns.values() if d.get("contact")],
                {"firstName": 1, "lastName": 1, "practice": 1, "timezone": 1})}
        listed = []
        for record in records:
            contact = contacts.get((campaigns.get(record.campaign_id) or {}).get("contact"), {})
            name = " ".join(p for p in (contact.get("firstName", ""), contact.get("lastName", "")) if p)
            listed.append(ListedCall(record, practice=contact.get("practice", ""), contact_name=name,
                                     timezone=record.callee_timezone or contact.get("timezone")))
        return listed


async def _rows(cursor) -> list[dict]:
    """Every row of an aggregation (pymongo's asyncio collections return its cursor from a coroutine)."""
    return await (await cursor).to_list(None)


def _oid(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def _values(rows: list[dict] | None) -> dict[float, int]:
    """value -> occurrences, from rows grouped by value."""
    return {float(r["_id"]): r["n"] for r in rows or []
            if isinstance(r["_id"], (int, float)) and not isinstance(r["_id"], bool)}
