"""The calling policy: every rule a call must pass, and the earliest lawful minute when it fails one.

Order of decision:
1. the internal do-not-call list (SKIP, rule `internal_dnc`);
2. the number must be a valid US line (WRONG_NUMBER `invalid_number`; a valid
   Canadian or Caribbean number is SKIP `outside_us`: those rules are not modelled);
3. the campaign's total attempt cap (SKIP `attempts_exhausted`);
4. time rules, all of which must hold in every zone the callee may be in
   (strictest wins): federal holidays, the federal 08:00-21:00 window, each
   applicable state's row, the campaign's own window and no-call days, the
   daily and weekly attempt limits and state caps per 24 hours.
   Failing one gives DEFER with `until` = the earliest minute that passes all.

Campaign settings (`campaign.settings["compliance"]`) may narrow the rules:
    {"window": "09:00-17:00",                  # the campaign's hours, callee-local
     "no_call_days": ["sat", "2026-12-24"],    # weekdays and/or dates
     "federal_holidays": true,                 # false lets calls happen on federal holidays
     "state_rules": true,                      # false drops every state row (counsel's call)
     "states": {"TX": {...row...} | null},     # replace or drop one state's row
     "attempts": {"per_day": 2, "per_week": 5, "total": 8}}
The federal window itself cannot be switched off.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, Iterable, Mapping, Protocol
from zoneinfo import ZoneInfo

from domain.attempt_limits import (
    DAY, WEEK, AttemptLimits, DailyAttemptLimit, RollingAttemptLimit, dialed_attempts,
)
from domain.callee_location import CalleeLocation, NotAUsNumber, WrongNumber, locate
from domain.campaign import Campaign
from domain.compliance import ComplianceDecision, Verdict
from domain.contact import Contact
from domain.front_desk import WEEKDAYS, BestTime
from domain.state_calling_rules import STATE_RULES, StateCallingRule, Window, parse_window, rule_from_settings
from domain.us_holidays import federal_holiday, state_holiday

FEDERAL_WINDOW: Window = (time(8, 0), time(21, 0))
FEDERAL_SOURCE = "47 U.S.C. § 227(c); 47 C.F.R. § 64.1200(c)(1); 16 C.F.R. § 310.4(c)"
HOLIDAY_SOURCE = "company policy: no calls on US federal holidays (5 U.S.C. § 6103) or their observed days"


class ComplianceInputError(ValueError):
    """The campaign's compliance settings or the contact's location data cannot be used."""


class Constraint(Protocol):
    """One time rule: why an instant is unlawful (None when lawful), and where that may change."""

    @property
    def name(self) -> str: ...

    @property
    def source(self) -> str: ...

    def violation(self, at: datetime) -> str | None: ...

    def openings(self, start: datetime, end: datetime) -> Iterable[datetime]: ...


@dataclass(frozen=True)
class LocalWindow:
    """Calls only inside a local window, per weekday, and never on the days `closed_on` names."""

    name: str
    source: str
    zones: tuple[str, ...]
    windows: Mapping[int, Window | None] | None = None  # None: any hour of an open day
    closed_on: Callable[[date], str | None] | None = None

    def violation(self, at: datetime) -> str | None:
        for zone in self.zones:
            local = at.astimezone(ZoneInfo(zone))
            if self.closed_on is not None and (why := self.closed_on(local.date())):
                return f"{local.date().isoformat()} is {why} in {zone}"
            if self.windows is None:
                continue
            window = self.windows.get(local.weekday())
            if window is None:
                return f"no calls on {local:%A}s ({zone})"
            start, end = window
            if not start <= local.time() < end:
                return f"{local:%a %H:%M} in {zone} is outside {start:%H:%M}-{end:%H:%M}"
        return None

    def openings(self, start: datetime, end: datetime) -> Iterable[datetime]:
        for zone in self.zones:
            tz = ZoneInfo(zone)
            day = start.astimezone(tz).date()
            last = end.astimezone(tz).date()
            while day <= last:
                yield datetime.combine(day + DAY, time(0), tzinfo=tz)
                window = self.windows.get(day.weekday()) if self.windows is not None else None
                if window is not None:
                    yield datetime.combine(day, window[0], tzinfo=tz)
                day += DAY


@dataclass(frozen=True)
class CallingSettings:
    """A campaign's compliance settings, checked."""

    window: Window | None = None
    no_call_weekdays: frozenset[int] = frozenset()
    no_call_dates: frozenset[date] = frozenset()
    federal_holidays: bool = True
    state_rules: bool = True
    state_overrides: Mapping[str, StateCallingRule | None] = field(default_factory=dict)
    attempts: dict = field(default_factory=dict)

    KEYS = ("window", "no_call_days", "federal_holidays", "state_rules", "states", "attempts")

    @classmethod
    def from_campaign(cls, campaign: Campaign) -> "CallingSettings":
        """Raises ComplianceInputError naming the campaign and the setting that is wrong."""
        spec = (campaign.settings or {}).get("compliance") or {}
        try:
            return cls._parse(spec)
        except ValueError as exc:
            raise ComplianceInputError(f"campaign {campaign.id}: compliance settings: {exc}") from None

    @classmethod
    def _parse(cls, spec) -> "CallingSettings":
        if not isinstance(spec, dict):
            raise ValueError(f"expected a mapping, not {type(spec).__name__}")
        unknown = set(spec) - set(cls.KEYS)
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)} (known: {', '.join(cls.KEYS)})")
        weekdays, dates = set(), set()
        for item in spec.get("no_call_days") or ():
            text = str(item).strip().lower()
            if text[:3] in WEEKDAYS and text.isalpha():
                weekdays.add(WEEKDAYS.index(text[:3]))
                continue
            try:
                dates.add(date.fromisoformat(text))
            except ValueError:
                raise ValueError(f"no_call_days: {item!r} is neither a weekday (mon..sun) nor a date "
                                 f"(YYYY-MM-DD)") from None
        overrides: dict[str, StateCallingRule | None] = {}
        for state, row in (spec.get("states") or {}).items():
            code = str(state).upper()
            overrides[code] = None if row is None else rule_from_settings(code, row)
        for flag in ("federal_holidays", "state_rules"):
            if flag in spec and not isinstance(spec[flag], bool):
                raise ValueError(f"{flag} must be true or false, not {spec[flag]!r}")
        AttemptLimits.from_settings(spec.get("attempts"))  # validate early
        return cls(
            window=parse_window(spec["window"]) if spec.get("window") else None,
            no_call_weekdays=frozenset(weekdays), no_call_dates=frozenset(dates),
            federal_holidays=spec.get("federal_holidays", True), state_rules=spec.get("state_rules", True),
            state_overrides=overrides, attempts=dict(spec.get("attempts") or {}),
        )


def _ceil_minute(at: datetime) -> datetime:
    floor = at.replace(second=0, microsecond=0)
    return floor if floor == at else floor + timedelta(minutes=1)


def _minute_after(at: datetime) -> datetime:
    """The first whole minute strictly after `at` (a callback comes after the call that asked for it)."""
    return at.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _state_closed_on(rule: StateCallingRule) -> Callable[[date], str | None]:
    def closed(day: date) -> str | None:
        name = federal_holiday(day)
        for key in rule.extra_holidays:
            name = name or state_holiday(key, day)
        return f"a {rule.state} no-call holiday ({name})" if name else None
    return closed


@dataclass(frozen=True)
class CallingPolicy:
    """Decides whether one call may happen now. Pure: same inputs, same decision."""

    limits: AttemptLimits = AttemptLimits()
    state_rules: Mapping[str, StateCallingRule] = field(default_factory=lambda: STATE_RULES)
    horizon: timedelta = timedelta(days=31)  # no lawful minute within this -> SKIP

    def decide(self, contact: Contact, campaign: Campaign, now: datetime, *, on_dnc: bool) -> ComplianceDecision:
        """May the call happen at `now`; when not yet, DEFER with `until` the earliest lawful minute after it.
        The front desk's best time (`contact.known.best_time`) narrows the hours like any rule."""
        return self._decide(contact, campaign, now, on_dnc=on_dnc, asked_on=None)

    def decide_callback(self, contact: Contact, campaign: Campaign, asked: datetime, *, asked_on: datetime,
                        on_dnc: bool) -> ComplianceDecision:
        """A callback the callee asked for at `asked`, during a call at `asked_on`: ALLOW when that minute is
        lawful; else DEFER with `until` the NEAREST lawful minute to it, earlier or later ("call me at 9:30
        pm" -> 8:59 pm), always after `asked_on`. The front desk's best time does not apply: the callee named
        the time."""
        if asked_on.tzinfo is None or asked_on.utcoffset() is None:
            raise ValueError("asked_on must be timezone-aware")
        return self._decide(contact, campaign, asked, on_dnc=on_dnc, asked_on=asked_on.astimezone(timezone.utc))

    def _decide(self, contact: Contact, campaign: Campaign, now: datetime, *, on_dnc: bool,
                asked_on: datetime | None) -> ComplianceDecision:
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        now = now.astimezone(timezone.utc)
        if asked_on is not None:
            # A time already past when asked is read as "as soon as lawful".
            now = max(now.replace(second=0, microsecond=0), _minute_after(asked_on))
        settings = CallingSettings.from_campaign(campaign)
        inputs: dict = {"now": now.isoformat(), "area_code": _area_code(contact.phone)}
        if on_dnc:
            return ComplianceDecision(Verdict.SKIP, "internal_dnc", "the number is on the do-not-call list",
                                      now, inputs=inputs)
        try:
            location = locate(contact.phone, state=contact.state, timezone=contact.timezone)
        except WrongNumber as exc:
            return ComplianceDecision(Verdict.WRONG_NUMBER, "invalid_number", str(exc), now, inputs=inputs)
        except NotAUsNumber as exc:
            return ComplianceDecision(Verdict.SKIP, "outside_us", str(exc), now, inputs=inputs)
        except ValueError as exc:
            raise ComplianceInputError(f"contact {contact.id}: {exc}") from None
        inputs.update(location.explain())
        inputs["local_times"] = {z: now.astimezone(ZoneInfo(z)).strftime("%Y-%m-%d %a %H:%M") for z in location.zones}

        try:
            limits = AttemptLimits.from_settings(settings.attempts, self.limits)
        except ValueError as exc:
            raise ComplianceInputError(f"campaign {campaign.id}: compliance settings: {exc}") from None
        attempts = dialed_attempts(campaign.call_history, now)
        primary = ZoneInfo(location.zones[0])
        inputs["limits"] = limits.as_dict()
        inputs["attempts"] = {
            "today": sum(1 for a in attempts if a.astimezone(primary).date() == now.astimezone(primary).date()),
            "last_24h": sum(1 for a in attempts if now - DAY < a <= now),
            "last_7d": sum(1 for a in attempts if now - WEEK < a <= now),
            "total": len(attempts),
        }
        if limits.total is not None and len(attempts) >= limits.total:
            return ComplianceDecision(
                Verdict.SKIP, "attempts_exhausted",
                f"{len(attempts)} dialed attempt(s); the campaign allows {limits.total}", now, inputs=inputs)

        rules = self._constraints(location, settings, limits, attempts,
                                  contact.known.best_time if asked_on is None else None)
        inputs["rules"] = {r.name: r.source for r in rules}
        failing = [(r, why) for r in rules if (why := r.violation(now)) is not None]
        if not failing:
            return ComplianceDecision(Verdict.ALLOW, "lawful", "every calling rule holds now", now, inputs=inputs)
        rule, why = failing[0]
        inputs["source"] = rule.source
        if len(failing) > 1:
            inputs["also_failing"] = {r.name: w for r, w in failing[1:]}
        until = self._earliest_lawful(rules, now) if asked_on is None else self._nearest_lawful(rules, now, asked_on)
        if until is None:
            return ComplianceDecision(
                Verdict.SKIP, "no_lawful_time",
                f"{rule.name}: {why}; no lawful minute in the next {self.horizon.days} days", now, inputs=inputs)
        return ComplianceDecision(Verdict.DEFER, rule.name, why, now, until=until, inputs=inputs)

    def _constraints(self, location: CalleeLocation, settings: CallingSettings, limits: AttemptLimits,
                     attempts: tuple[datetime, ...], best_time: BestTime | None = None) -> list[Constraint]:
        zones = location.zones
        rules: list[Constraint] = []
        if settings.federal_holidays:
            rules.append(LocalWindow("federal_holiday", HOLIDAY_SOURCE, zones,
                                     closed_on=lambda d: (f"a federal holiday ({n})" if (n := federal_holiday(d))
                                                          else None)))
        rules.append(LocalWindow("federal_window", FEDERAL_SOURCE, zones, {d: FEDERAL_WINDOW for d in range(7)}))
        if settings.state_rules:
            for state in location.states:
                row = settings.state_overrides.get(state, self.state_rules.get(state))
                if row is None:
                    continue
                rules.append(LocalWindow(
                    f"state_window_{state.lower()}", row.source, (row.zone,) if row.zone else zones, row.windows,
                    _state_closed_on(row) if row.no_call_on_holidays else None))
                if row.max_calls_per_24h:
                    rules.append(RollingAttemptLimit(row.max_calls_per_24h, DAY, attempts,
                                                     f"state_call_cap_{state.lower()}", row.source))
        if settings.window or settings.no_call_weekdays or settings.no_call_dates:
            windows = {d: settings.window for d in range(7)} if settings.window else None
            weekdays, dates = settings.no_call_weekdays, settings.no_call_dates

            def campaign_closed(day: date) -> str | None:
                if day in dates or day.weekday() in weekdays:
                    return "a campaign no-call day"
                return None

            rules.append(LocalWindow("campaign_window", "campaign settings", zones, windows, campaign_closed))
        if best_time is not None:
            # The front desk said when the decision maker is in: call then, inside every rule above.
            best_windows: dict[int, Window | None] = {
                WEEKDAYS.index(d): (best_time.start, best_time.end) if d in best_time.days else None for d in WEEKDAYS}
            rules.append(LocalWindow("best_time", "what the practice's front desk told us", zones[:1], best_windows))
        if limits.per_day is not None:
            rules.append(DailyAttemptLimit(limits.per_day, attempts, zones))
        if limits.per_week is not None:
            rules.append(RollingAttemptLimit(limits.per_week, WEEK, attempts, "weekly_attempt_limit",
                                             "campaign attempt limits"))
        return rules

    def _earliest_lawful(self, rules: list[Constraint], now: datetime) -> datetime | None:
        end = now + self.horizon
        candidates = {_ceil_minute(c.astimezone(timezone.utc)) for rule in rules for c in rule.openings(now, end)}
        for candidate in sorted(c for c in candidates if now < c <= end):
            if all(rule.violation(candidate) is None for rule in rules):
                return candidate
        return None


    def _nearest_lawful(self, rules: list[Constraint], asked: datetime, after: datetime) -> datetime | None:
        """The lawful minute nearest to `asked` (an unlawful minute) that is after `after`; a tie goes later."""
        later = self._earliest_lawful(rules, asked)
        earlier = self._latest_lawful(rules, asked, after)
        if earlier is None or (later is not None and later - asked <= asked - earlier):
            return later
        return earlier

    def _latest_lawful(self, rules: list[Constraint], before: datetime, after: datetime) -> datetime | None:
        """The last lawful minute m with after < m < before.

        Every minute where the rules turn lawful is an opening of some rule (what _earliest_lawful relies
        on), so from the last lawful opening (or the first minute after `after`) the lawful minutes up to
        `before` are one unbroken run: its end is found by bisection."""
        first = _minute_after(after)
        last = before - timedelta(minutes=1)
        if last < first:
            return None
        starts = {first} | {_ceil_minute(c.astimezone(timezone.utc)) for rule in rules
                            for c in rule.openings(first, last)}

        def lawful(at: datetime) -> bool:
            return all(rule.violation(at) is None for rule in rules)

        start = next((c for c in sorted((c for c in starts if first <= c <= last), reverse=True) if lawful(c)), None)
        if start is None:
            return None
        low, high = 0, int((last - start) / timedelta(minutes=1))  # start + low minutes is lawful
        while low < high:
            middle = (low + high + 1) // 2
            if lawful(start + timedelta(minutes=middle)):
                low = middle
            else:
                high = middle - 1
        return start + timedelta(minutes=low)


def _area_code(phone: str) -> str | None:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        return digits[1:4]
    return digits[:3] if len(digits) == 10 else None
