"""CallResult <-> dict: what the agent hands back is what the job reads."""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta, timezone

import pytest

from infrastructure.call_result_codec import CallResultDecodeError, result_from_dict, result_to_dict
from application.ports.call_line import CallResult
from domain.call_record import TranscriptLine
from domain.front_desk import BestTime, FrontDeskDetails
from domain.meeting import Meeting
from domain.outcomes import CallOutcome

CHICAGO = timezone(timedelta(hours=-5))


def full_result() -> CallResult:
    at = datetime(2026, 3, 10, 10, 15, 3, 250000, tzinfo=CHICAGO)
    return CallResult(
        outcome=CallOutcome.CALLBACK_REQUESTED, ended_at=at, reached_human=True, digits=["4", "#"],
        transcript=[TranscriptLine("agent", "Hello", at), TranscriptLine("callee", "Call me later", None)],
        voicemail_left=False, voicemail_after_beep=None, disclosed_ai=True,
        meeting=Meeting(start=at, end=at + timedelta(minutes=30), event_id="e1", attendee_email="x@y.example"),
        decline_reason=None, callback_at=at + timedelta(days=1), objections=["too_busy"],
        recording_key="calls/c1/recording.ogg", turn_latencies_ms=[812.5, 1020], reason=None,
        report={"turns": 4, "model": "gpt-realtime"}, decision_maker_reached=True, first_reply_s=0.82, verdict_s=2,
        front_desk=FrontDeskDetails(decision_maker="Dr. Kent", extension="214",
                                    best_time=BestTime(("thu",), time(14), time(17))),
    )


def test_round_trip_through_json_keeps_every_field():
    encoded = json.loads(json.dumps(result_to_dict(full_result())))
    assert result_from_dict(encoded) == full_result()


def test_datetimes_are_iso_with_their_offset_and_enums_by_value():
    encoded = result_to_dict(full_result())
    assert encoded["outcome"] == "callback_requested"
    assert encoded["ended_at"] == "2026-03-10T10:15:03.250000-05:00"
    assert encoded["transcript"][1] == {"speaker": "callee", "text": "Call me later", "at": None}


def test_minimal_payload_gets_the_defaults():
    result = result_from_dict({"outcome": "busy", "ended_at": "2026-03-10T10:15:00+00:00"})
    assert result == CallResult(outcome=CallOutcome.BUSY, ended_at=datetime(2026, 3, 10, 10, 15, tzinfo=timezone.utc))


@pytest.mark.parametrize("payload,fragment", [
    ([], "must be an object"),
    ({"ended_at": "2026-03-10T10:15:00+00:00"}, "missing outcome"),
    ({"outcome": "won", "ended_at": "2026-03-10T10:15:00+00:00"}, "unknown outcome 'won'"),
    ({"outcome": "busy", "ended_at": "yesterday"}, "ended_at"),
    ({"outcome": "busy", "ended_at": "2026-03-10T10:15:00"}, "no timezone"),
    ({"outcome": "busy", "ended_at": "2026-03-10T10:15:00+00:00", "digits": [4]}, "digits"),
    ({"outcome": "busy", "ended_at": "2026-03-10T10:15:00+00:00", "reached_human": "yes"}, "reached_human"),
    ({"outcome": "busy", "ended_at": "2026-03-10T10:15:00+00:00", "transcript": [{"speaker": "agent"}]},
     "transcript[0]: missing text"),
    ({"outcome": "busy", "ended_at": "2026-03-10T10:15:00+00:00", "turn_latencies_ms": [True]}, "turn_latencies"),
    ({"outcome": "busy", "ended_at": "2026-03-10T10:15:00+00:00", "surprise": 1}, "unknown fields: surprise"),
    ({"outcome": "busy", "ended_at": "2026-03-10T10:15:00+00:00", "first_reply_s": "fast"}, "first_reply_s"),
    ({"outcome": "busy", "ended_at": "2026-03-10T10:15:00+00:00", "verdict_s": False}, "verdict_s"),
    ({"outcome": "busy", "ended_at": "2026-03-10T10:15:00+00:00", "decision_maker_reached": 1},
     "decision_maker_reached"),
    ({"v": 9, "outcome": "busy", "ended_at": "2026-03-10T10:15:00+00:00"}, "version 9"),
])
def test_bad_payloads_are_refused_naming_the_field(payload, fragment):
    with pytest.raises(CallResultDecodeError) as raised:
        result_from_dict(payload)
    assert fragment in str(raised.value)


def test_a_report_json_cannot_hold_is_refused_at_encoding():
    result = full_result()
    result.report = {"session": {"started": object()}}
    with pytest.raises(TypeError, match=r"report\.session\.started"):
        result_to_dict(result)
