"""Which meeting slots to offer a contact, how to say them, and how to read the answer.

All arithmetic runs on UTC instants; local time zones matter only for the
working-hours rules, for aligning slots on the contact's clock and for speech.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.meeting import MEETING_LENGTH, Interval

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
NOON = time(12, 0)

# US zone abbreviations as a person says them; other zones are spoken by their abbreviation.
_SPOKEN_ZONES = {
    "EST": "Eastern", "EDT": "Eastern", "CST": "Central", "CDT": "Central",
    "MST": "Mountain", "MDT": "Mountain", "PST": "Pacific", "PDT": "Pacific",
    "AKST": "Alaska", "AKDT": "Alaska", "HST": "Hawaii", "HDT": "Hawaii",
}


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or ValueError naming it when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


@dataclass(frozen=True)
class WorkingHours:
    """Daily open hours on given weekdays (Monday = 0), in whatever zone they are applied to."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    weekdays: frozenset[int] = frozenset(range(5))

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"working hours end before they start: {self.start}-{self.end}")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError(f"working weekdays must be a non-empty subset of 0-6, got {sorted(self.weekdays)}")

    @classmethod
    def parse(cls, text: str, weekdays: frozenset[int] = frozenset(range(5))) -> "WorkingHours":
        """"09:00-17:00" -> WorkingHours(09:00, 17:00)."""
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text or "")
        if not match:
            raise ValueError(f"working hours must look like '09:00-17:00', got {text!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"working hours out of range: {text!r}")
        end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
        return cls(time(h1, m1), end, weekdays)

    def windows(self, tz: ZoneInfo, first: date, last: date) -> list[Interval]:
        """The open windows of each day from `first` to `last` inclusive, as UTC intervals."""
        out = []
        day = first
        while day <= last:
            if day.weekday() in self.weekdays:
                start = datetime.combine(day, self.start, tz).astimezone(timezone.utc)
                end = datetime.combine(day, self.end, tz).astimezone(timezone.utc)
                if end > start:
                    out.append(Interval(start, end))
            day += timedelta(days=1)
        return out


BUSINESS_HOURS = WorkingHours()


@dataclass(frozen=True)
class SlotOffer:
    """A slot and how to say it to the contact."""

    slot: Interval
    spoken: str


def spoken_zone(local: datetime) -> str:
    abbreviation = local.tzname() or ""
    return _SPOKEN_ZONES.get(abbreviation, abbreviation)


def spoken_time(instant: datetime, tz: ZoneInfo) -> str:
    """"Wednesday March 11 at 9:00 AM Central": the instant on the listener's clock."""
    local = instant.astimezone(tz)
    hour12 = local.hour % 12 or 12
    meridiem = "AM" if local.hour < 12 else "PM"
    return (f"{WEEKDAYS[local.weekday()].capitalize()} {MONTHS[local.month - 1].capitalize()} {local.day} "
            f"at {hour12}:{local.minute:02d} {meridiem} {spoken_zone(local)}").rstrip()


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out = []
    for x in a:
        for y in b:
            start, end = max(x.start, y.start), min(x.end, y.end)
            if end > start:
                out.append(Interval(start, end))
    return sorted(out, key=lambda i: i.start)


def _subtract(windows: list[Interval], busy: list[Interval]) -> list[Interval]:
    out = []
    for window in windows:
        pieces = [window]
        for block in busy:
            next_pieces = []
            for piece in pieces:
                if not piece.overlaps(block):
                    next_pieces.append(piece)
                    continue
                if block.start > piece.start:
                    next_pieces.append(Interval(piece.start, block.start))
                if block.end < piece.end:
                    next_pieces.append(Interval(block.end, piece.end))
            pieces = next_pieces
        out.extend(pieces)
    return sorted(out, key=lambda i: i.start)


def _utc(interval: Interval) -> Interval:
    return Interval(interval.start.astimezone(timezone.utc), interval.end.astimezone(timezone.utc))


@dataclass(frozen=True)
class SlotFinder:
    """Proposes meeting slots that suit the rep, the practice and the rep's calendar.

    `lead_time` keeps slots far enough ahead for the invitation to be read;
    `horizon` bounds how far ahead to look; slots start on `step` boundaries of
    the contact's clock (9:00, 9:30, ...)."""

    duration: timedelta = MEETING_LENGTH
    lead_time: timedelta = timedelta(hours=2)
    horizon: timedelta = timedelta(days=7)
    step: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        for name in ("duration", "step", "horizon"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"slot finder {name} must be positive")
        if self.lead_time < timedelta(0):
            raise ValueError("slot finder lead_time must not be negative")

    def search_window(self, now: datetime) -> Interval:
        """The span whose free/busy the finder needs, starting at `now`."""
        return Interval(now.astimezone(timezone.utc), (now + self.lead_time + self.horizon).astimezone(timezone.utc))

    def free_slots(self, *, now: datetime, busy: list[Interval], rep_zone: ZoneInfo, rep_hours: WorkingHours,
                   contact_zone: ZoneInfo, contact_hours: WorkingHours = BUSINESS_HOURS,
                   within: list[Interval] | None = None) -> list[Interval]:
        """Every slot, earliest first, that is free and inside both parties' hours (and `within`)."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        span = self.search_window(now)
        earliest = now.astimezone(timezone.utc) + self.lead_time
        first, last = (span.start - timedelta(days=1)).date(), (span.end + timedelta(days=1)).date()
        open_windows = _intersect(rep_hours.windows(rep_zone, first, last),
                                  contact_hours.windows(contact_zone, first, last))
        if within is not None:
            open_windows = _intersect(open_windows, [_utc(w) for w in within])
        if earliest >= span.end:
            return []
        open_windows = _intersect(open_windows, [Interval(earliest, span.end)])
        open_windows = _subtract(open_windows, [_utc(b) for b in busy])
        slots = []
        step_minutes = self.step.total_seconds() / 60
        for window in open_windows:
            local = window.start.astimezone(contact_zone)
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
            minutes = (local - midnight).total_seconds() / 60
            aligned = -(-minutes // step_minutes) * step_minutes
            start = (midnight + timedelta(minutes=aligned)).astimezone(timezone.utc)
            while start + self.duration <= window.end:
                slots.append(Interval(start, start + self.duration))
                start += self.step
        return slots

    def fits(self, slot: Interval, *, now: datetime, rep_zone: ZoneInfo, rep_hours: WorkingHours,
             contact_zone: ZoneInfo, contact_hours: WorkingHours = BUSINESS_HOURS) -> bool:
        """True when `slot` lies inside both parties' hours and no earlier than now plus the lead time
        (busy blocks are not considered)."""
        slot = _utc(slot)
        if slot.start < now.astimezone(timezone.utc) + self.lead_time:
            return False
        first, last = (slot.start - timedelta(days=1)).date(), (slot.end + timedelta(days=1)).date()
        open_windows = _intersect(rep_hours.windows(rep_zone, first, last),
                                  contact_hours.windows(contact_zone, first, last))
        return any(window.contains(slot) for window in open_windows)

    def propose(self, *, now: datetime, busy: list[Interval], rep_zone: ZoneInfo, rep_hours: WorkingHours,
                contact_zone: ZoneInfo, contact_hours: WorkingHours = BUSINESS_HOURS, count: int = 3,
                within: list[Interval] | None = None, exclude: list[Interval] | None = None) -> list[SlotOffer]:
        """Up to `count` free slots, in time order, spread over different days and parts of the day,
        each spoken in the contact's zone. Empty when nothing fits. `exclude` drops slots
        that overlap any of its intervals (offers already turned down or lost)."""
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        candidates = self.free_slots(now=now, busy=busy, rep_zone=rep_zone, rep_hours=rep_hours,
                                     contact_zone=contact_zone, contact_hours=contact_hours, within=within)
        if exclude:
            candidates = [c for c in candidates if not any(c.overlaps(_utc(x)) for x in exclude)]
        picked: list[Interval] = []

        def day(slot: Interval) -> date:
            return slot.start.astimezone(contact_zone).date()

        def afternoon(slot: Interval) -> bool:
            return slot.start.astimezone(contact_zone).time() >= NOON

        def apart(slot: Interval, gap: timedelta) -> bool:
            return all(abs(slot.start - p.start) >= max(gap, self.duration) for p in picked)

        preferences = (
            lambda s: day(s) not in {day(p) for p in picked} and afternoon(s) not in {afternoon(p) for p in picked},
            lambda s: day(s) not in {day(p) for p in picked},
            lambda s: afternoon(s) not in {afternoon(p) for p in picked} and apart(s, timedelta(hours=2)),
            lambda s: apart(s, timedelta(hours=2)),
            lambda s: apart(s, self.duration),
        )
        while len(picked) < count:
            choice = next((c for rule in preferences for c in candidates if c not in picked and rule(c)), None)
            if choice is None:
                break
            picked.append(choice)
        return [SlotOffer(slot, spoken_time(slot.start, contact_zone)) for slot in sorted(picked, key=lambda s: s.start)]


# --- reading the callee's answer -------------------------------------------------------------

_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2}
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(a\.?\s?m\.?|p\.?\s?m\.?)?(?=\W|$)")
_MONTH_DAY = re.compile(r"\b(" + "|".join(MONTHS) + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b")


@dataclass
class _Said:
    """What constraints a sentence states about a time."""

    weekdays: set[int] = field(default_factory=set)
    dates: set[tuple[int, int]] = field(default_factory=set)  # (month, day)
    relative_days: set[int] = field(default_factory=set)  # 0 today, 1 tomorrow
    clock: list[tuple[int, int, str | None]] = field(default_factory=list)  # hour, minute, "am"/"pm"/None
    morning: bool = False
    afternoon: bool = False
    ordinal: int | None = None
    after: tuple[int, int, str | None] | None = None
    before: tuple[int, int, str | None] | None = None


def _read(text: str) -> _Said:
    said = _Said()
    lowered = (text or "").lower()
    for month, day_number in _MONTH_DAY.findall(lowered):
        said.dates.add((MONTHS.index(month) + 1, int(day_number)))
    lowered = _MONTH_DAY.sub(" ", lowered)
    words = re.findall(r"[a-z0-9]+", lowered)
    for index, name in enumerate(WEEKDAYS):
        if name in words or name[:3] in words:
            said.weekdays.add(index)
    if "today" in words:
        said.relative_days.add(0)
    if "tomorrow" in words:
        said.relative_days.add(1)
    said.morning = "morning" in words or "mornings" in words
    said.afternoon = bool({"afternoon", "afternoons", "evening"} & set(words))
    for word, index in _ORDINALS.items():
        if word in words:
            said.ordinal = index
    if "last" in words and said.ordinal is None:
        said.ordinal = -1
    option = re.search(r"\b(?:option|number)\s+(\d)\b", lowered)
    if option:
        said.ordinal = int(option.group(1)) - 1
        lowered = lowered[:option.start()] + lowered[option.end():]
    if "noon" in words:
        said.clock.append((12, 0, "pm"))
    for match in _CLOCK.finditer(lowered):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour > 23 or minute > 59:
            continue
        meridiem = (match.group(3) or "").replace(".", "").replace(" ", "")[:2] or None
        prefix = lowered[max(0, match.start() - 8):match.start()]
        entry = (hour, minute, meridiem)
        if re.search(r"(after|from)\s*$", prefix):
            said.after = entry
        elif re.search(r"(before|until|till|to)\s*$", prefix):
            said.before = entry
        else:
            said.clock.append(entry)
    return said


def _hour24(hour: int, meridiem: str | None) -> int:
    if meridiem == "pm" and hour < 12:
        return hour + 12
    if meridiem == "am" and hour == 12:
        return 0
    if meridiem is None and 1 <= hour <= 6:
        return hour + 12  # nobody books a 3 AM meeting: a bare "3" means the afternoon
    return hour


def _day_matches(said: _Said, local: datetime, today: date | None) -> bool:
    if said.weekdays and local.weekday() not in said.weekdays:
        return False
    if said.dates and (local.month, local.day) not in said.dates:
        return False
    if said.relative_days:
        if today is None or (local.date() - today).days not in said.relative_days:
            return False
    return True


def match_choice(text: str, offers: list[SlotOffer], tz: ZoneInfo, now: datetime | None = None) -> SlotOffer | None:
    """The one offer the callee's words pick ("the second one", "Thursday", "9:30 works"),
    or None when the words fit none or more than one."""
    said = _read(text)
    if not offers:
        return None
    if said.ordinal is not None and not (said.weekdays or said.dates or said.clock or said.relative_days):
        index = said.ordinal
        return offers[index] if -len(offers) <= index < len(offers) else None
    today = now.astimezone(tz).date() if now else None
    stated = said.weekdays or said.dates or said.relative_days or said.clock or said.morning or said.afternoon
    if not stated:
        return None
    fits = []
    for offer in offers:
        local = offer.slot.start.astimezone(tz)
        if not _day_matches(said, local, today):
            continue
        if said.morning and not said.afternoon and local.hour >= 12:
            continue
        if said.afternoon and not said.morning and local.hour < 12:
            continue
        if said.clock and not any(local.hour == _hour24(h, m) and local.minute == mm for h, mm, m in said.clock):
            continue
        fits.append(offer)
    return fits[0] if len(fits) == 1 else None


def availability_from_words(text: str, now: datetime, tz: ZoneInfo, hours: WorkingHours = BUSINESS_HOURS,
                            days_ahead: int = 7) -> list[Interval]:
    """The windows a callee states ("Thursday afternoon", "tomorrow after 2", "mornings"),
    as intervals in `tz`, over the next `days_ahead` days. Empty when the words name no time."""
    said = _read(text)
    today = now.astimezone(tz).date()
    has_day = bool(said.weekdays or said.dates or said.relative_days)
    has_time = said.morning or said.afternoon or said.after or said.before or said.clock
    if not has_day and not has_time:
        return []
    out = []
    for offset in range(days_ahead + 1):
        day = today + timedelta(days=offset)
        probe = datetime.combine(day, hours.start, tz)
        if not _day_matches(said, probe, today):
            continue
        if not has_day and day.weekday() not in hours.weekdays:
            continue
        start, end = hours.start, hours.end
        if said.morning and not said.afternoon:
            end = min(end, NOON)
        if said.afternoon and not said.morning:
            start = max(start, NOON)
        if said.after:
            start = max(start, time(_hour24(said.after[0], said.after[2]), said.after[1]))
        if said.before:
            end = min(end, time(_hour24(said.before[0], said.before[2]), said.before[1]))
        if said.clock and not (said.morning or said.afternoon):
            hour, minute, meridiem = said.clock[0]
            start = time(_hour24(hour, meridiem), minute)
            end = (datetime.combine(day, start) + timedelta(hours=1)).time()
        window_start, window_end = datetime.combine(day, start, tz), datetime.combine(day, end, tz)
        if window_end > window_start and window_end > now:
            out.append(Interval(max(window_start, now.astimezone(tz)), window_end))
    return out


def parse_window(text: str, tz: ZoneInfo) -> Interval:
    """"2026-03-11T09:00/2026-03-11T17:00": bounds without an offset are read in `tz`."""
    start_text, sep, end_text = (text or "").partition("/")
    if not sep:
        raise ValueError(f"a time window must be 'START/END' in ISO 8601, got {text!r}")
    bounds = []
    for part in (start_text, end_text):
        try:
            moment = datetime.fromisoformat(part.strip())
        except ValueError as exc:
            raise ValueError(f"not an ISO 8601 time in window {text!r}: {part!r}") from exc
        bounds.append(moment if moment.tzinfo else moment.replace(tzinfo=tz))
    return Interval(bounds[0], bounds[1])


# --- exact times and windows said aloud ("March 17 at 10:00 AM", "March 11 between 9:00 AM and 5:00 PM") ------

_EXACT_CLOCK = r"(\d{1,2}):(\d{2})\s*([AaPp])\.?[Mm]\.?"
_SPOKEN_DAY = (r"(?:(?:" + "|".join(WEEKDAYS) + r"),?\s+)?(" + "|".join(MONTHS) + r")\s+(\d{1,2})")
_AT = re.compile(_SPOKEN_DAY + r",?\s+at\s+" + _EXACT_CLOCK, re.IGNORECASE)
_BETWEEN = re.compile(_SPOKEN_DAY + r",?\s+(?:between|from)\s+" + _EXACT_CLOCK + r"\s+(?:and|to|until)\s+"
                      + _EXACT_CLOCK, re.IGNORECASE)


def _moment(month: str, day: str, hour: str, minute: str, meridiem: str, now: datetime, tz: ZoneInfo) -> datetime:
    local_now = now.astimezone(tz)
    candidate = datetime(local_now.year, MONTHS.index(month.lower()) + 1, int(day),
                         _hour24(int(hour), meridiem.lower() + "m"), int(minute), tzinfo=tz)
    if candidate < local_now - timedelta(days=180):  # "January 5" said in December
        candidate = candidate.replace(year=candidate.year + 1)
    return candidate


# How a speech recognizer writes a spoken time: "12.30 pm", "1230 p.m.", "9 a.m.", "9am", "9 0 0 A M", "9-0-0 AM",
# "12 30 PM", "March 10th".
_HEARD_DIGITS_CLOCK = re.compile(r"\b(\d{1,2})[\s,-]+(\d)[\s,-]*(\d)[\s,]*([ap])\.?\s?m\b\.?", re.IGNORECASE)
_HEARD_RUN_CLOCK = re.compile(r"\b(1[0-2]|0?[1-9])([0-5]\d)\s*([ap])\.?\s?m\b\.?", re.IGNORECASE)
_HEARD_DOT_CLOCK = re.compile(r"\b(\d{1,2})[.:](\d{2})\s*([ap])\.?\s?m\b\.?", re.IGNORECASE)
_HEARD_HOUR = re.compile(r"(?<![:.\d])(?<![:.\d] )\b(\d{1,2})\s*([ap])\.?\s?m\b\.?", re.IGNORECASE)
_HEARD_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE)


def as_written(text: str) -> str:
    """Times and dates as a recognizer writes them, in the form the readers below take ("12:30 PM")."""
    text = _HEARD_DIGITS_CLOCK.sub(lambda m: f"{m.group(1)}:{m.group(2)}{m.group(3)} {m.group(4).upper()}M", text)
    text = _HEARD_RUN_CLOCK.sub(lambda m: f"{m.group(1)}:{m.group(2)} {m.group(3).upper()}M", text)
    text = _HEARD_DOT_CLOCK.sub(lambda m: f"{m.group(1)}:{m.group(2)} {m.group(3).upper()}M", text)
    text = _HEARD_HOUR.sub(lambda m: f"{m.group(1)}:00 {m.group(2).upper()}M", text)
    return _HEARD_ORDINAL.sub(r"\1", text)


def times_said(text: str, now: datetime, tz: ZoneInfo) -> list[datetime]:
    """Every "March 17 at 10:00 AM" in `text` (also as a recognizer writes it), read on the listener's clock."""
    return [_moment(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), now, tz)
            for m in _AT.finditer(as_written(text))]


def windows_said(text: str, now: datetime, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Every "March 11 between 9:00 AM and 5:00 PM" in `text`."""
    out = []
    for m in _BETWEEN.finditer(as_written(text)):
        start = _moment(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), now, tz)
        end = _moment(m.group(1), m.group(2), m.group(6), m.group(7), m.group(8), now, tz)
        if end > start:
            out.append((start, end))
    return out
