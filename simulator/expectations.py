"""Checking a scenario's `expect` against what the pipeline recorded; each failure names the key and why."""
from __future__ import annotations

from datetime import datetime
from typing import Any


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def check(expect: dict[str, Any], observed: dict[str, Any]) -> list[str]:
    """Failures as "key: expected X, got Y" lines; empty when every expectation held."""
    failures = []
    for key, wanted in expect.items():
        problem = _check(key, wanted, observed)
        if problem:
            failures.append(f"{key}: {problem}")
    return failures


def _check(key: str, wanted: Any, observed: dict[str, Any]) -> str | None:
    if key == "outcome":
        got = observed["outcome"]
        return None if got == wanted.value else f"expected {wanted.value}, got {got}" + (
            f" ({observed['reason']})" if observed.get("reason") else "")
    if key in ("reached_human", "voicemail_after_beep", "disclosed_ai", "do_not_call", "voicemail_left", "pitched"):
        got = observed.get(key)
        return None if got is wanted else f"expected {str(wanted).lower()}, got {got if got is None else str(got).lower()}"
    if key == "digits":
        got = observed["digits"]
        return None if got == wanted else f"expected {wanted}, got {got}"
    if key == "max_digits":
        got = len(observed["digits"])
        return None if got <= wanted else f"expected at most {wanted} keypresses, got {got} ({observed['digits']})"
    if key == "objections":
        got = observed.get("objections", [])
        return None if got == wanted else f"expected {wanted}, got {got}"
    if key == "no_meeting":
        meeting = observed["meeting"]
        if wanted and meeting is not None:
            return f"expected no meeting, got one at {meeting['start']}"
        if not wanted and meeting is None:
            return "expected a meeting, got none"
        return None
    if key == "meeting_within":
        meeting = observed["meeting"]
        if meeting is None:
            return "expected a meeting inside " + ", ".join(f"{_iso(i.start)}/{_iso(i.end)}" for i in wanted) \
                + ", got none"
        start, end = datetime.fromisoformat(meeting["start"]), datetime.fromisoformat(meeting["end"])
        if any(i.start <= start and end <= i.end for i in wanted):
            return None
        return (f"meeting {meeting['start']}/{meeting['end']} is outside every interval: "
                + ", ".join(f"{_iso(i.start)}/{_iso(i.end)}" for i in wanted))
    if key == "meeting_minutes":
        meeting = observed["meeting"]
        if meeting is None:
            return f"expected a {wanted}-minute meeting, got none"
        minutes = (datetime.fromisoformat(meeting["end"]) - datetime.fromisoformat(meeting["start"])).total_seconds() / 60
        return None if minutes == wanted else f"expected a {wanted}-minute meeting, got {minutes:g} minutes"
    if key == "deferred_until":
        got = observed.get("deferred_until")
        if got is None:
            return f"expected a deferral to {wanted.isoformat()}, got none (outcome {observed['outcome']})"
        got_at = datetime.fromisoformat(got)
        if abs((got_at - wanted).total_seconds()) < 60:
            return None
        return f"expected {wanted.isoformat()}, got {got_at.astimezone(wanted.tzinfo).isoformat()}"
    if key == "callback_scheduled_at":
        got = observed.get("scheduled")
        if wanted is None:
            return None if got is None else f"expected no follow-up call, got one at {got['at']}"
        if got is None:
            return f"expected a follow-up call at {wanted.isoformat()}, got none"
        if observed.get("scheduled_calls", 1) > 1:
            return f"expected one follow-up call, {observed['scheduled_calls']} were queued"
        got_at = datetime.fromisoformat(got["at"])
        if got_at.replace(second=0, microsecond=0) == wanted.replace(second=0, microsecond=0):
            return None
        return f"expected {wanted.isoformat()}, got {got_at.astimezone(wanted.tzinfo).isoformat()}"
    if key in ("said", "not_said"):
        lines = [t["text"].lower() for t in observed.get("transcript", []) if t.get("speaker") == "agent"]
        if key == "said":
            missing = [p for p in wanted if not any(p.lower() in line for line in lines)]
            return f"the agent never said {missing}" if missing else None
        spoken = [(p, line) for p in wanted for line in lines if p.lower() in line]
        return "; ".join(f"the agent said {p!r} in {line!r}" for p, line in spoken) or None
    if key == "not_heard":
        lines = [t["text"].lower() for t in observed.get("transcript", []) if t.get("speaker") == "callee"]
        heard = [(p, line) for p in wanted for line in lines if p.lower() in line]
        return "; ".join(f"the callee said {p!r} in {line!r}" for p, line in heard) or None
    if key == "not_said_after":
        problems = []
        transcript = observed.get("transcript", [])
        for cue, phrases in wanted.items():
            start = next((i for i, t in enumerate(transcript)
                          if t.get("speaker") == "callee" and cue.lower() in t["text"].lower()), None)
            if start is None:
                problems.append(f"the callee never said {cue!r}")
                continue
            later = [t["text"].lower() for t in transcript[start + 1:] if t.get("speaker") == "agent"]
            problems += [f"after the callee said {cue!r} the agent said {p!r} in {line!r}"
                         for p in phrases for line in later if p.lower() in line]
        return "; ".join(problems) or None
    if key == "captured":
        got = observed.get("captured") or {}
        wrong = [f"{k}: expected {v!r}, got {got.get(k)!r}" for k, v in wanted.items() if got.get(k) != v]
        return "; ".join(wrong) or None
    if key == "event":
        event = observed.get("event")
        if event is None:
            return "no outcome event was published"
        wrong = [f"{k}: expected {v!r}, got {event.get(k)!r}" for k, v in wanted.items() if event.get(k) != v]
        return "; ".join(wrong) or None
    return f"unknown expectation {key!r}"
