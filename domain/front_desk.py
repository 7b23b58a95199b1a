"""What a practice's front desk tells us about reaching the decision maker.

Captured on the contact when a receptionist gives it (or volunteers it): the
decision maker's name, a direct line, an extension, and the best time to call
as days and hours in the contact's zone. All of it is personal data.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import datetime, time, timezone

from domain.person_names import HONORIFIC

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAYS = WEEKDAYS[:5]
_DAY_WORDS = {name: day for day, names in zip(WEEKDAYS, (
    ("monday", "mondays", "mon"), ("tuesday", "tuesdays", "tue", "tues"), ("wednesday", "wednesdays", "wed"),
    ("thursday", "thursdays", "thu", "thur", "thurs"), ("friday", "fridays", "fri"),
    ("saturday", "saturdays", "sat"), ("sunday", "sundays", "sun"))) for name in names}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10, "eleven": 11, "twelve": 12, "noon": 12}
_HOUR = r"(\d{1,2}(?::\d{2})?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon)\s*(am|pm|a\.m\.|p\.m\.)?"
DAY_START, DAY_END = time(9, 0), time(17, 0)
_AWAY = re.compile(r"\b(?:in clinic|in surgery|not in|isn't in|is off|off on|out on|out of the office|away|"
                   r"unavailable|doesn't work|does not work)\b")


@dataclass(frozen=True)
class BestTime:
    """Days (mon..sun) and local hours [start, end) when the decision maker is best reached."""

    days: tuple[str, ...]
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.days or any(d not in WEEKDAYS for d in self.days):
            raise ValueError(f"best time days must be some of {', '.join(WEEKDAYS)}, got {self.days!r}")
        if self.start >= self.end:
            raise ValueError(f"best time must start before it ends: {self.start:%H:%M}-{self.end:%H:%M}")
        object.__setattr__(self, "days", tuple(sorted(set(self.days), key=WEEKDAYS.index)))

    def as_dict(self) -> dict:
        return {"days": list(self.days), "from": f"{self.start:%H:%M}", "to": f"{self.end:%H:%M}"}

    @classmethod
    def from_dict(cls, value: dict) -> "BestTime":
        return cls(days=tuple(value["days"]), start=time.fromisoformat(value["from"]),
                   end=time.fromisoformat(value["to"]))

    def spoken(self) -> str:
        names = {"mon": "Mondays", "tue": "Tuesdays", "wed": "Wednesdays", "thu": "Thursdays", "fri": "Fridays",
                 "sat": "Saturdays", "sun": "Sundays"}
        days = "weekdays" if self.days == WORKDAYS else " and ".join(names[d] for d in self.days)
        return f"{days} {_clock(self.start)} to {_clock(self.end)}"


def _clock(at: time) -> str:
    hour = at.hour % 12 or 12
    suffix = "am" if at.hour < 12 else "pm"
    return f"{hour}{':%02d' % at.minute if at.minute else ''} {suffix}"


def _hour(text: str, meridiem: str | None, *, afternoon: bool) -> time:
    if text in _NUMBERS:
        hour, minute = _NUMBERS[text], 0
    else:
        hours, _, minutes = text.partition(":")
        hour, minute = int(hours), int(minutes or 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(f"not a time of day: {text!r}")
    meridiem = (meridiem or "").replace(".", "")
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    elif not meridiem and text != "noon" and (afternoon or 1 <= hour <= 7):
        hour += 12 if hour < 12 else 0  # "after two" at a practice means 2 pm
    return time(hour, minute)


def parse_best_time(said: str) -> BestTime:
    """The days and hours in a receptionist's words ("Tuesday afternoons after two", "Thursdays
    between 9 and 11", "mornings"); days default to weekdays and hours to 9-5 where not said.
    Raises ValueError when nothing in the words names a day or an hour."""
    text = said.lower()
    days: list[str] = []
    away: list[str] = []
    # "He's in clinic Tuesdays; try Thursday": days in a clause saying they are away are not best times.
    for clause in re.split(r"[;,.]|\bbut\b", text):
        named = [_DAY_WORDS[w] for w in re.findall(r"[a-z]+", clause) if w in _DAY_WORDS]
        (away if _AWAY.search(clause) else days).extend(named)
    if not days and away:
        days = [d for d in WORKDAYS if d not in away]
    if re.search(r"\bweekdays?\b", text):
        days += list(WORKDAYS)
    afternoon = "afternoon" in text
    start, end = DAY_START, DAY_END
    said_hours = False
    if between := re.search(rf"\b(?:between|from)\s+{_HOUR}\s+(?:and|to|-)\s+{_HOUR}", text):
        start = _hour(between.group(1), between.group(2) or between.group(4), afternoon=afternoon)
        end = _hour(between.group(3), between.group(4), afternoon=afternoon or start.hour >= 12)
        said_hours = True
    else:
        if "morning" in text:
            start, end, said_hours = DAY_START, time(12, 0), True
        if afternoon:
            start, end, said_hours = time(12, 0), DAY_END, True
        if after := re.search(rf"\b(?:after|from)\s+{_HOUR}", text):
            start, said_hours = _hour(after.group(1), after.group(2), afternoon=afternoon), True
        if before := re.search(rf"\b(?:before|until|till)\s+{_HOUR}", text):
            end, said_hours = _hour(before.group(1), before.group(2), afternoon=afternoon or start.hour >= 12), True
    if not days and not said_hours:
        raise ValueError(f"no day or hour in {said!r}")
    if end <= start:  # "after five": the two hours after, within the day
        end = min(time(21, 0), time(min(start.hour + 2, 23), start.minute))
        if end <= start:
            raise ValueError(f"no hours left in the day after {start:%H:%M}")
    return BestTime(days=tuple(days) or WORKDAYS, start=start, end=end)


@dataclass(frozen=True)
class FrontDeskDetails:
    """What the front desk told us; None where nothing was said."""

    decision_maker: str | None = None
    direct_line: str | None = None  # E.164
    extension: str | None = None  # digits, dialed at the practice's menu
    best_time: BestTime | None = None
    learned_at: datetime | None = None  # when a call last told us (retention counts from here)

    def __post_init__(self) -> None:
        if self.extension is not None and not re.fullmatch(r"\d{1,8}", self.extension):
            raise ValueError("an extension is 1-8 digits")
        if self.direct_line is not None and not re.fullmatch(r"\+[1-9]\d{6,14}", self.direct_line):
            raise ValueError("a direct line is an E.164 number")

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self) if f.name != "learned_at")

    def updated_with(self, newer: "FrontDeskDetails") -> "FrontDeskDetails":
        """These details with whatever `newer` says replacing what it says anew."""
        return replace(self, **{f.name: getattr(newer, f.name) for f in fields(newer)
                                if getattr(newer, f.name) is not None})

    def as_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        if self.best_time is not None:
            out["best_time"] = self.best_time.as_dict()
        if self.learned_at is not None:
            out["learned_at"] = self.learned_at.astimezone(timezone.utc).isoformat()
        return out

    @classmethod
    def from_dict(cls, value: dict | None) -> "FrontDeskDetails":
        value = value or {}
        best = value.get("best_time")
        learned = value.get("learned_at")
        return cls(decision_maker=value.get("decision_maker"), direct_line=value.get("direct_line"),
                   extension=value.get("extension"), best_time=BestTime.from_dict(best) if best else None,
                   learned_at=datetime.fromisoformat(learned) if learned else None)


_NAME = rf"({HONORIFIC}\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?|[A-Z][a-z]+\s+[A-Z][a-z]+)"
_HONORED = rf"({HONORIFIC}\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"
# "Dr. Kent handles that", "you want Maria Lopez": the person who decides, whom the call should reach.
_HANDLES = re.compile(rf"{_NAME}\s+(?i:handles|decides|takes care of|does|is in charge of|manages)\b"
                      rf"|\b(?i:talk to|speak (?:to|with)|ask for|that would be|that's|you want)\s+{_NAME}")
# "Dr. Kent is in clinic Tuesdays", "Dr. Kent's extension": a doctor named in passing (also "Dr. Baker's office").
_MENTIONED = re.compile(rf"{_HONORED}(?:\s+is|'s)\b")
_EXTENSION = re.compile(r"\b(?:extension|ext\.?|x)\s*(?:is\s+)?(\d{1,8})\b", re.IGNORECASE)
_DIRECT = re.compile(r"\b(?:direct(?: line| number)?|cell|line)\s+(?:is\s+)?(\+?1?[\s.(-]*\d{3}[\s.)-]*\d{3}[\s.-]*\d{4})",
                     re.IGNORECASE)
_WHEN = re.compile(r"(?i)\b(?:try|best|call (?:back )?(?:on|after|before)|reach (?:him|her|them))\b")


def named_to_handle(said: str) -> str | None:
    """The person the front desk says decides ("Dr. Kent handles that", "you want Maria Lopez"), else None;
    a doctor only mentioned ("Dr. Baker's office") is not named to handle anything."""
    found = _HANDLES.search(said)
    return next(g for g in found.groups() if g) if found else None


def read_front_desk(said: str) -> FrontDeskDetails:
    """What a receptionist's words tell about reaching the decision maker (the words stand for
    themselves: nothing is guessed). Empty details when they tell nothing."""
    extension = found.group(1) if (found := _EXTENSION.search(said)) else None
    digits = "".join(ch for ch in found.group(1) if ch.isdigit()) if (found := _DIRECT.search(said)) else ""
    direct = ("+1" + digits[-10:]) if len(digits) >= 10 else None
    best = None
    if _WHEN.search(said):
        try:
            best = parse_best_time(said)
        except ValueError:
            best = None
    name = named_to_handle(said)
    if name is None and (extension or direct or best) and (found := _MENTIONED.search(said)):
        # "Dr. Kent is in clinic Tuesdays; try Thursday": the doctor the details are about. A doctor named
        # with nothing else told ("Dr. Baker's office, this is John") is how the practice answers, not a tip.
        name = found.group(1)
    return FrontDeskDetails(decision_maker=name, direct_line=direct, extension=extension, best_time=best)
