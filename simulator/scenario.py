"""Scenario files (contracts section 3): loaded, validated, and turned into plain objects.

Every problem raises ScenarioError naming the file, the scenario id and the field.
Extensions (all optional, compatible): person `callback_at` (ISO; when a callback
is asked for), scenario `step`/`final_step`, expect `voicemail_left`, `objections`,
voicemail `greeting_s` (seconds of greeting still playing after its words, default 1.5).
The `screener` node of contracts section 3.1: `screener: TEXT`, `then`, `on_silence`, `beep`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from domain.callee_location import locate
from domain.front_desk import BestTime, FrontDeskDetails
from domain.meeting import Interval
from domain.outcomes import CallOutcome

NODE_KINDS = ("menu", "hold", "voicemail", "screener", "person", "no_answer", "busy", "invalid_number", "hangup")
OBJECTIONS = ("already_insured", "send_information", "not_interested", "too_busy", "cost", "bad_time", "who_is_this")
DECISIONS = ("accept", "decline", "callback", "opt_out")
ROLES = ("receptionist", "decision_maker")
EXPECT_KEYS = ("outcome", "reached_human", "digits", "max_digits", "meeting_within", "no_meeting",
               "voicemail_after_beep", "disclosed_ai", "do_not_call", "deferred_until", "voicemail_left", "objections",
               "callback_scheduled_at", "captured", "said", "not_said", "event", "pitched", "not_said_after",
               "not_heard", "meeting_minutes")
GIVES = ("decision_maker", "direct_line", "extension", "best_time", "email")
KNOWN = ("decision_maker", "direct_line", "extension", "best_time")
_NODE_FIELDS = {
    "menu": {"options", "speech", "on_timeout", "on_invalid", "repeats", "extensions"},
    "hold": {"seconds", "then"},
    "voicemail": {"beep", "greeting_s"},
    "screener": {"then", "on_silence", "beep"},
    "person": {"says", "transfers_to", "refuses_transfer", "objections", "decision", "availability", "email",
               "asks_if_robot", "callback_at", "gives", "interrupts"},
}


class ScenarioError(ValueError):
    def __init__(self, source: str, scenario: str | None, field_path: str, message: str):
        where = f"{source}: scenario {scenario!r}" if scenario else source
        super().__init__(f"{where}: {field_path}: {message}")
        self.source = source
        self.scenario = scenario
        self.field = field_path


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    text: str = ""
    options: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)  # a dialed extension -> node (3.1)
    speech: dict[str, str] = field(default_factory=dict)
    on_timeout: str | None = None
    on_invalid: str | None = None
    repeats: int = 2
    seconds: float = 0.0
    then: str | None = None
    on_silence: str | None = None  # screener: where the call goes when the caller says nothing (None: hang up)
    beep: bool = True
    greeting_s: float = 1.5
    role: str = ""
    says: str = ""
    transfers_to: str | None = None
    refuses_transfer: bool = False
    objections: tuple[str, ...] = ()
    decision: str | None = None
    availability: tuple[Interval, ...] = ()
    email: str | None = None
    asks_if_robot: bool = False
    callback_at: datetime | None = None
    interrupts: bool = False  # on sound (--audio): this person talks over the agent's long lines
    gives: dict[str, str] = field(default_factory=dict)  # what this person tells when asked (3.1)


@dataclass(frozen=True)
class CalendarSpec:
    timezone: str = "America/New_York"
    working_hours: str = "09:00-17:00"
    busy: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class Scenario:
    id: str
    source: str
    now: datetime
    contact: dict[str, str]
    contact_zone: ZoneInfo
    line: dict[str, Node]
    expect: dict[str, Any]
    history: tuple[tuple[datetime, CallOutcome], ...] = ()
    do_not_call: bool = False
    calendar: CalendarSpec = CalendarSpec()
    step: int = 0
    final_step: bool = False
    known: FrontDeskDetails = FrontDeskDetails()  # contact.known (3.1): what earlier calls learned
    redeliver: bool = False  # the job is delivered a second time after it finished (at-least-once)
    attempt: int = 0  # > 0: the call is a callback an earlier call of this step asked for, at `now`


# libyaml's safe loader when PyYAML was built with it (about ten times faster on the shipped files).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_files(paths: list[str | Path]) -> list[Scenario]:
    """Every scenario of every file, in order; ids must be unique within a file."""
    scenarios = []
    for path in paths:
        scenarios.extend(load_file(path))
    return scenarios


def load_file(path: str | Path) -> list[Scenario]:
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(source, None, "file", f"cannot read: {exc.strerror or exc}") from None
    try:
        document = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        if "maximum nesting depth" in str(exc):  # libyaml's own limit
            raise ScenarioError(source, None, "file", "nested too deeply to be a scenario file") from None
        raise ScenarioError(source, None, "file", f"not valid YAML: {exc}".splitlines()[0]) from None
    except RecursionError:  # a hostile or broken file: invalid (exit 2), not a crash (exit 1)
        raise ScenarioError(source, None, "file", "nested too deeply to be a scenario file") from None
    if not isinstance(document, dict) or not isinstance(document.get("scenarios"), list):
        raise ScenarioError(source, None, "scenarios", "the file needs a top-level 'scenarios:' list")
    seen: set[str] = set()
    out = []
    for index, raw in enumerate(document["scenarios"]):
        scenario = _scenario(source, index, raw)
        if scenario.id in seen:
            raise ScenarioError(source, scenario.id, "id", "duplicate id in this file")
        seen.add(scenario.id)
        out.append(scenario)
    return out


class _Reader:
    def __init__(self, source: str, scenario: str | None):
        self.source = source
        self.scenario = scenario

    def fail(self, path: str, message: str) -> ScenarioError:
        return ScenarioError(self.source, self.scenario, path, message)

    def mapping(self, value: Any, path: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, f"must be a mapping, got {type(value).__name__}")
        return value

    def text(self, value: Any, path: str, *, required: bool = True) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(path, f"must be a non-empty string, got {value!r}")
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"must be true or false, got {value!r}")
        return value

    def moment(self, value: Any, path: str, zone: ZoneInfo | None = None) -> datetime:
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value).strip())
            except ValueError:
                raise self.fail(path, f"must be an ISO 8601 time, got {value!r}") from None
        if moment.tzinfo is None:
            if zone is None:
                raise self.fail(path, f"needs a UTC offset, e.g. 2026-03-10T10:15:00-05:00; got {value!r}")
            moment = moment.replace(tzinfo=zone)
        return moment

    def interval(self, value: Any, path: str, zone: ZoneInfo | None) -> Interval:
        if not isinstance(value, str) or "/" not in value:
            raise self.fail(path, f"must be 'START/END' in ISO 8601, got {value!r}")
        start, end = value.split("/", 1)
        a, b = self.moment(start, path, zone), self.moment(end, path, zone)
        if b <= a:
            raise self.fail(path, f"ends before it starts: {value!r}")
        return Interval(a, b)

    def zone(self, value: Any, path: str) -> ZoneInfo:
        try:
            return ZoneInfo(self.text(value, path))
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(path, f"unknown time zone {value!r}") from None

    def intervals(self, value: Any, path: str, zone: ZoneInfo | None) -> tuple[Interval, ...]:
        if not isinstance(value, list):
            raise self.fail(path, "must be a list of 'START/END' intervals")
        return tuple(self.interval(v, f"{path}[{i}]", zone) for i, v in enumerate(value))


def _callee_clock(phone: str) -> ZoneInfo:
    """The zone the simulated callee lives in when the scenario names none: the first of the
    zones the product derives from the number (the contact itself is seeded without one)."""
    try:
        return ZoneInfo(locate(phone).zones[0])
    except ValueError:  # not a dialable US number: the line is simulated, any clock will do
        return ZoneInfo("America/New_York")


def _scenario(source: str, index: int, raw: Any) -> Scenario:
    r = _Reader(source, None)
    raw = r.mapping(raw, f"scenarios[{index}]")
    scenario_id = raw.get("id")
    if not isinstance(scenario_id, str) or not re.fullmatch(r"[\w.-]{1,80}", scenario_id or ""):
        raise r.fail(f"scenarios[{index}].id", f"must be a name of letters, digits, '-', '_' or '.', got {scenario_id!r}")
    r = _Reader(source, scenario_id)
    unknown = sorted(set(raw) - {"id", "now", "contact", "history", "do_not_call", "calendar", "line", "expect",
                                 "description", "step", "final_step", "redeliver", "attempt"})
    if unknown:
        raise r.fail(unknown[0], "unknown field")
    now = r.moment(raw.get("now"), "now")
    contact = r.mapping(raw.get("contact"), "contact")
    fields = {}
    for name in ("first_name", "last_name", "practice", "phone"):
        fields[name] = r.text(contact.get(name), f"contact.{name}")
    for name in ("title", "email", "state", "timezone"):
        fields[name] = r.text(contact.get(name), f"contact.{name}", required=False)
    known = _known(r, contact.get("known"))
    bad = sorted(set(contact) - set(fields) - {"known"})
    if bad:
        raise r.fail(f"contact.{bad[0]}", "unknown field")
    if not re.fullmatch(r"\+[1-9]\d{6,14}", fields["phone"]):
        raise r.fail("contact.phone", f"must be E.164 like +15125550143, got {fields['phone']!r}")
    contact_zone = r.zone(fields["timezone"], "contact.timezone") if fields["timezone"] else _callee_clock(
        fields["phone"])
    history = []
    for i, row in enumerate(raw.get("history") or []):
        row = r.mapping(row, f"history[{i}]")
        try:
            outcome = CallOutcome.parse(str(row.get("outcome")))
        except ValueError as exc:
            raise r.fail(f"history[{i}].outcome", str(exc)) from None
        history.append((r.moment(row.get("at"), f"history[{i}].at", contact_zone), outcome))
    calendar = CalendarSpec()
    if raw.get("calendar") is not None:
        cal = r.mapping(raw["calendar"], "calendar")
        tz_name = cal.get("timezone", "America/New_York")
        tz = r.zone(tz_name, "calendar.timezone")
        hours = cal.get("working_hours", "09:00-17:00")
        if not isinstance(hours, str) or not re.fullmatch(r"\d{1,2}:\d{2}-\d{1,2}:\d{2}", hours.replace(" ", "")):
            raise r.fail("calendar.working_hours", f"must look like '09:00-17:00', got {hours!r}")
        calendar = CalendarSpec(timezone=tz_name, working_hours=hours.replace(" ", ""),
                                busy=r.intervals(cal.get("busy") or [], "calendar.busy", tz))
    line = _line(r, raw.get("line"), contact_zone)
    expect = _expect(r, raw.get("expect"), contact_zone)
    step = raw.get("step", 0)
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise r.fail("step", f"must be an integer >= 0, got {step!r}")
    return Scenario(id=scenario_id, source=source, now=now, contact=fields, contact_zone=contact_zone, line=line,
                    expect=expect, history=tuple(history),
                    do_not_call=r.boolean(raw.get("do_not_call", False), "do_not_call"), calendar=calendar,
                    step=step, final_step=r.boolean(raw.get("final_step", False), "final_step"), known=known,
                    redeliver=r.boolean(raw.get("redeliver", False), "redeliver"), attempt=_attempt(r, raw))


def _attempt(r: _Reader, raw: dict) -> int:
    attempt = raw.get("attempt", 0)
    if not isinstance(attempt, int) or isinstance(attempt, bool) or not 0 <= attempt <= 10:
        raise r.fail("attempt", f"must be an integer 0-10, got {attempt!r}")
    return attempt


def _known(r: _Reader, raw: Any) -> FrontDeskDetails:
    if raw is None:
        return FrontDeskDetails()
    raw = r.mapping(raw, "contact.known")
    bad = sorted(set(raw) - set(KNOWN))
    if bad:
        raise r.fail(f"contact.known.{bad[0]}", f"unknown field (known: {', '.join(KNOWN)})")
    try:
        best = raw.get("best_time")
        return FrontDeskDetails(
            decision_maker=r.text(raw["decision_maker"], "contact.known.decision_maker")
            if "decision_maker" in raw else None,
            direct_line=str(raw["direct_line"]) if "direct_line" in raw else None,
            extension=str(raw["extension"]) if "extension" in raw else None,
            best_time=_best_time(r, best, "contact.known.best_time") if best is not None else None)
    except ValueError as exc:
        raise r.fail("contact.known", str(exc)) from None


def _best_time(r: _Reader, raw: Any, path: str) -> BestTime:
    raw = r.mapping(raw, path)
    if set(raw) != {"days", "from", "to"}:
        raise r.fail(path, "needs exactly days, from and to")
    try:
        return BestTime.from_dict({"days": [str(d).lower()[:3] for d in raw["days"]], "from": str(raw["from"]),
                                   "to": str(raw["to"])})
    except (ValueError, TypeError) as exc:
        raise r.fail(path, str(exc)) from None


def _line(r: _Reader, raw: Any, zone: ZoneInfo) -> dict[str, Node]:
    raw = r.mapping(raw, "line")
    if "start" not in raw:
        raise r.fail("line.start", "the line needs a 'start' node")
    nodes = {name: _node(r, str(name), body, zone) for name, body in raw.items()}
    for node in nodes.values():
        targets = [(f"options.{k}", v) for k, v in node.options.items()] + \
                  [(f"extensions.{k}", v) for k, v in node.extensions.items()] + \
                  [(f"speech.{k}", v) for k, v in node.speech.items()] + \
                  [("on_timeout", node.on_timeout), ("on_invalid", node.on_invalid), ("then", node.then),
                   ("transfers_to", node.transfers_to), ("on_silence", node.on_silence)]
        for where, target in targets:
            if target is not None and target not in nodes:
                raise r.fail(f"line.{node.name}.{where}", f"names no node: {target!r}")
    return nodes


def _node(r: _Reader, name: str, body: Any, zone: ZoneInfo) -> Node:
    path = f"line.{name}"
    body = r.mapping(body, path)
    kinds = [k for k in NODE_KINDS if k in body]
    if len(kinds) != 1:
        raise r.fail(path, f"needs exactly one kind key of {', '.join(NODE_KINDS)}; found {kinds or 'none'}")
    kind = kinds[0]
    allowed = _NODE_FIELDS.get(kind, set()) | {kind}
    extra = sorted(set(body) - allowed)
    if extra:
        raise r.fail(f"{path}.{extra[0]}", f"not a field of a {kind} node")
    if kind in ("no_answer", "busy", "invalid_number", "hangup"):
        if body[kind] is not True:
            raise r.fail(f"{path}.{kind}", "must be true")
        return Node(name=name, kind=kind)
    if kind == "menu":
        options = body.get("options") or {}
        r.mapping(options, f"{path}.options")
        for key in options:
            if not re.fullmatch(r"[0-9*#]", str(key)):
                raise r.fail(f"{path}.options.{key}", "keys must be one of 0-9, * or #")
        speech = r.mapping(body.get("speech") or {}, f"{path}.speech")
        extensions = r.mapping(body.get("extensions") or {}, f"{path}.extensions")
        for key in extensions:
            if not re.fullmatch(r"\d{1,8}", str(key)):
                raise r.fail(f"{path}.extensions.{key}", "an extension is 1-8 digits")
        repeats = body.get("repeats", 2)
        if not isinstance(repeats, int) or isinstance(repeats, bool) or not 0 <= repeats <= 10:
            raise r.fail(f"{path}.repeats", f"must be an integer 0-10, got {repeats!r}")
        return Node(name=name, kind=kind, text=r.text(body["menu"], f"{path}.menu"),
                    options={str(k): str(v) for k, v in options.items()},
                    speech={str(k).lower(): str(v) for k, v in speech.items()},
                    on_timeout=body.get("on_timeout"), on_invalid=body.get("on_invalid"), repeats=repeats,
                    extensions={str(k): str(v) for k, v in extensions.items()})
    if kind == "hold":
        seconds = body.get("seconds", 30)
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise r.fail(f"{path}.seconds", f"must be a number of seconds >= 0, got {seconds!r}")
        if not body.get("then"):
            raise r.fail(f"{path}.then", "a hold needs a 'then' node")
        return Node(name=name, kind=kind, text=r.text(body["hold"], f"{path}.hold"), seconds=float(seconds),
                    then=str(body["then"]))
    if kind == "screener":
        if not body.get("then"):
            raise r.fail(f"{path}.then", "a screener needs a 'then' node (where a call it passes on goes)")
        return Node(name=name, kind=kind, text=r.text(body["screener"], f"{path}.screener"), then=str(body["then"]),
                    on_silence=str(body["on_silence"]) if body.get("on_silence") else None,
                    beep=r.boolean(body.get("beep", False), f"{path}.beep"))
    if kind == "voicemail":
        greeting_s = body.get("greeting_s", 1.5)
        if not isinstance(greeting_s, (int, float)) or isinstance(greeting_s, bool) or not 0 <= greeting_s <= 60:
            raise r.fail(f"{path}.greeting_s", f"must be a number of seconds 0-60, got {greeting_s!r}")
        return Node(name=name, kind=kind, text=r.text(body["voicemail"], f"{path}.voicemail"),
                    beep=r.boolean(body.get("beep", True), f"{path}.beep"), greeting_s=float(greeting_s))
    role = body["person"]
    if role not in ROLES:
        raise r.fail(f"{path}.person", f"must be one of {', '.join(ROLES)}, got {role!r}")
    objections = body.get("objections") or []
    if not isinstance(objections, list):
        raise r.fail(f"{path}.objections", "must be a list")
    for i, objection in enumerate(objections):
        if objection not in OBJECTIONS:
            raise r.fail(f"{path}.objections[{i}]", f"unknown objection {objection!r} (known: {', '.join(OBJECTIONS)})")
    decision = body.get("decision")
    if decision is not None and decision not in DECISIONS:
        raise r.fail(f"{path}.decision", f"must be one of {', '.join(DECISIONS)}, got {decision!r}")
    return Node(name=name, kind=kind, role=role, says=r.text(body.get("says"), f"{path}.says", required=False),
                transfers_to=body.get("transfers_to"),
                refuses_transfer=r.boolean(body.get("refuses_transfer", False), f"{path}.refuses_transfer"),
                objections=tuple(objections), decision=decision,
                availability=r.intervals(body.get("availability") or [], f"{path}.availability", zone),
                email=r.text(body.get("email"), f"{path}.email", required=False) or None,
                asks_if_robot=r.boolean(body.get("asks_if_robot", False), f"{path}.asks_if_robot"),
                interrupts=r.boolean(body.get("interrupts", False), f"{path}.interrupts"),
                callback_at=r.moment(body["callback_at"], f"{path}.callback_at", zone) if body.get("callback_at")
                else None, gives=_gives(r, body.get("gives"), f"{path}.gives"))


def _phrases(r: _Reader, value: Any, path: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise r.fail(path, "must be a list of phrases")
    return [v.strip() for v in value]


def _gives(r: _Reader, raw: Any, path: str) -> dict[str, str]:
    if raw is None:
        return {}
    raw = r.mapping(raw, path)
    bad = sorted(set(raw) - set(GIVES))
    if bad:
        raise r.fail(f"{path}.{bad[0]}", f"unknown field (known: {', '.join(GIVES)})")
    gives = {key: r.text(str(value), f"{path}.{key}") for key, value in raw.items()}
    if "extension" in gives and not re.fullmatch(r"\d{1,8}", gives["extension"]):
        raise r.fail(f"{path}.extension", f"must be 1-8 digits, got {gives['extension']!r}")
    if "direct_line" in gives and not re.fullmatch(r"\+[1-9]\d{6,14}", gives["direct_line"]):
        raise r.fail(f"{path}.direct_line", f"must be E.164, got {gives['direct_line']!r}")
    return gives


def _expect(r: _Reader, raw: Any, zone: ZoneInfo) -> dict[str, Any]:
    if raw is None:
        return {}
    raw = r.mapping(raw, "expect")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        path = f"expect.{key}"
        if key not in EXPECT_KEYS:
            raise r.fail(path, f"unknown key (known: {', '.join(EXPECT_KEYS)})")
        if key == "outcome":
            try:
                out[key] = CallOutcome.parse(str(value))
            except ValueError as exc:
                raise r.fail(path, str(exc)) from None
        elif key in ("reached_human", "no_meeting", "voicemail_after_beep", "disclosed_ai", "do_not_call",
                     "voicemail_left", "pitched"):
            out[key] = r.boolean(value, path)
        elif key in ("digits", "objections"):
            if not isinstance(value, list):
                raise r.fail(path, "must be a list")
            out[key] = [str(v) for v in value]
        elif key in ("max_digits", "meeting_minutes"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise r.fail(path, f"must be an integer >= 0, got {value!r}")
            out[key] = value
        elif key == "meeting_within":
            out[key] = r.intervals(value, path, zone)
        elif key == "deferred_until":
            out[key] = r.moment(value, path, zone)
        elif key == "callback_scheduled_at":
            out[key] = None if value in (None, "none") else r.moment(value, path, zone)
        elif key in ("said", "not_said", "not_heard"):
            out[key] = _phrases(r, value, path)
        elif key == "not_said_after":
            after = r.mapping(value, path)
            out[key] = {str(heard).strip(): _phrases(r, phrases, f"{path}.{heard}") for heard, phrases in after.items()}
        elif key == "captured":
            captured = r.mapping(value, path)
            bad = sorted(set(captured) - set(KNOWN))
            if bad:
                raise r.fail(f"{path}.{bad[0]}", f"unknown field (known: {', '.join(KNOWN)})")
            if "best_time" in captured:
                captured = {**captured, "best_time": _best_time(r, captured["best_time"], f"{path}.best_time")
                            .as_dict()}
            out[key] = {k: (str(v) if k in ("extension", "direct_line") else v) for k, v in captured.items()}
        elif key == "event":
            out[key] = r.mapping(value, path)
    return out
