"""Scenario format 3.1: `gives`, `callback_at`, `contact.known`, and the expect keys that check them."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from domain.front_desk import BestTime
from simulator.expectations import check
from simulator.scenario import ScenarioError, load_file

CHICAGO = ZoneInfo("America/Chicago")


def write(tmp_path, contact_extra: str = "", person_extra: str = "", expect: str = "outcome: declined"):
    path = tmp_path / "s.yaml"
    path.write_text(f"""scenarios:
  - id: one
    now: "2026-03-10T10:15:00-05:00"
    contact: {{first_name: A, last_name: B, practice: P, phone: "+15125550143", timezone: America/Chicago{contact_extra}}}
    line:
      start: {{person: receptionist, says: "Front desk.", decision: decline{person_extra}}}
    expect: {{{expect}}}
""")
    return path


def test_the_extensions_are_read(tmp_path):
    [s] = load_file(write(
        tmp_path, contact_extra=", known: {decision_maker: Dr. Kent, extension: '214', "
                                "best_time: {days: [thu, Tue], from: '14:00', to: '17:00'}}",
        person_extra=", gives: {decision_maker: Dr. Kent, extension: 214, best_time: Thursday after two}",
        expect="outcome: declined, callback_scheduled_at: '2026-03-11T14:30', said: [Dr. Kent], "
               "not_said: ['thank you, A'], captured: {extension: 214, best_time: {days: [thu], from: '14:00', "
               "to: '17:00'}}, event: {outcome: declined}"))
    assert s.known.decision_maker == "Dr. Kent" and s.known.extension == "214"
    assert s.known.best_time.days == ("tue", "thu")
    assert s.line["start"].gives == {"decision_maker": "Dr. Kent", "extension": "214", "best_time": "Thursday after two"}
    assert s.expect["callback_scheduled_at"] == datetime(2026, 3, 11, 14, 30, tzinfo=CHICAGO)
    assert s.expect["captured"] == {"extension": "214", "best_time": {"days": ["thu"], "from": "14:00", "to": "17:00"}}


@pytest.mark.parametrize("contact_extra, person_extra, expect, field", [
    (", known: {nickname: x}", "", "outcome: declined", "contact.known.nickname"),
    (", known: {best_time: {days: [someday], from: '14:00', to: '17:00'}}", "", "outcome: declined", "best_time"),
    ("", ", gives: {extension: 2x4}", "outcome: declined", "start.gives.extension"),
    ("", ", gives: {shoe_size: 9}", "outcome: declined", "start.gives.shoe_size"),
    ("", "", "said: Dr. Kent", "expect.said"),
    ("", "", "captured: {email: x}", "expect.captured.email"),
])
def test_a_bad_extension_names_its_field(tmp_path, contact_extra, person_extra, expect, field):
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        load_file(write(tmp_path, contact_extra, person_extra, expect))


def observed(**kw) -> dict:
    base = {"outcome": "callback_requested", "transcript": [
        {"speaker": "callee", "text": "This is Tim."},
        {"speaker": "agent", "text": "Hi Tim, this is Alex from DocShield. Is now a good time?"}],
        "scheduled": None, "captured": {}, "event": None}
    base.update(kw)
    return base


def test_said_and_not_said_read_only_the_agents_lines():
    assert check({"said": ["docshield", "good time"]}, observed()) == []
    assert check({"said": ["thank you"]}, observed()) == ["said: the agent never said ['thank you']"]
    assert check({"not_said": ["This is Tim"]}, observed()) == []  # the callee said it, not the agent
    [failure] = check({"not_said": ["hi tim"]}, observed())
    assert failure.startswith("not_said: the agent said 'hi tim'")


def test_callback_scheduled_at_compares_the_minute_and_none():
    at = datetime(2026, 3, 11, 14, 30, tzinfo=CHICAGO)
    queued = {"step": 0, "attempt": 1, "at": "2026-03-11T19:30:00+00:00"}
    assert check({"callback_scheduled_at": at}, observed(scheduled=queued)) == []
    assert check({"callback_scheduled_at": None}, observed(scheduled=queued))[0].startswith(
        "callback_scheduled_at: expected no follow-up call")
    assert "got none" in check({"callback_scheduled_at": at}, observed())[0]
    assert "2 were queued" in check({"callback_scheduled_at": at}, observed(scheduled=queued, scheduled_calls=2))[0]


def test_captured_and_event_name_each_wrong_field():
    got = observed(captured={"extension": "214", "best_time": BestTime(("thu",), *_hours()).as_dict()},
                   event={"outcome": "callback_requested", "attempt": 0})
    assert check({"captured": {"extension": "214"}, "event": {"attempt": 0}}, got) == []
    assert check({"captured": {"decision_maker": "Dr. Kent"}}, got) == [
        "captured: decision_maker: expected 'Dr. Kent', got None"]
    assert check({"event": {"outcome": "declined"}}, got) == [
        "event: outcome: expected 'declined', got 'callback_requested'"]
    assert check({"event": {"outcome": "declined"}}, observed()) == ["event: no outcome event was published"]


def _hours():
    from datetime import time
    return time(14), time(17)


TRANSFERRED = [
    {"speaker": "callee", "text": "Granite Sports Medicine, Tom speaking."},
    {"speaker": "agent", "text": "Hi, this is Alex, an AI assistant calling for DocShield. May I speak with Jay Kent?"},
    {"speaker": "callee", "text": "One moment, I'll put you through."},
    {"speaker": "callee", "text": "This is Jay."},
    {"speaker": "agent", "text": "Hi Jay, this is Alex, an AI assistant calling for DocShield."}]


def test_not_said_after_reads_only_the_agents_lines_after_the_callees_words():
    """The opener said to the receptionist is right; the same words after "I'll put you through" are the opener
    said again."""
    assert check({"not_said_after": {"put you through": ["May I speak with"]}}, observed(transcript=TRANSFERRED)) == []
    again = TRANSFERRED + [{"speaker": "agent", "text": "May I speak with Jay Kent?"}]
    [failure] = check({"not_said_after": {"put you through": ["may i speak with"]}}, observed(transcript=again))
    assert failure == ("not_said_after: after the callee said 'put you through' the agent said 'may i speak with' "
                       "in 'may i speak with jay kent?'")
    [failure] = check({"not_said_after": {"transfer me": ["x"]}}, observed(transcript=TRANSFERRED))
    assert failure == "not_said_after: the callee never said 'transfer me'"


def test_not_heard_reads_only_the_callees_lines():
    """Dead air shows in what the person has to say: "Hello? Is anyone there?"."""
    assert check({"not_heard": ["Is anyone there?"]}, observed(transcript=TRANSFERRED)) == []
    silent = TRANSFERRED + [{"speaker": "callee", "text": "Hello? Is anyone there?"}]
    assert check({"not_heard": ["is anyone there?"]}, observed(transcript=silent)) == [
        "not_heard: the callee said 'is anyone there?' in 'hello? is anyone there?'"]


def test_the_extension_keys_are_read_and_checked_for_shape(tmp_path):
    [s] = load_file(write(tmp_path, expect="not_said_after: {put you through: [May I speak with]}, "
                                            "not_heard: ['Hello? Is anyone there?']"))
    assert s.expect["not_said_after"] == {"put you through": ["May I speak with"]}
    assert s.expect["not_heard"] == ["Hello? Is anyone there?"]
    for bad, field in (("not_said_after: [x]", "expect.not_said_after"),
                       ("not_said_after: {x: y}", "expect.not_said_after.x"), ("not_heard: x", "expect.not_heard")):
        with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
            load_file(write(tmp_path, expect=bad))


def test_meeting_minutes_is_the_booked_meetings_length():
    """The pitch's "30-minute call" and the booked event agree (issue 14): the event's length, to the minute."""
    booked = observed(meeting={"start": "2026-03-11T09:00:00-05:00", "end": "2026-03-11T09:30:00-05:00"})
    assert check({"meeting_minutes": 30}, booked) == []
    assert check({"meeting_minutes": 15}, booked) == ["meeting_minutes: expected a 15-minute meeting, got 30 minutes"]
    assert check({"meeting_minutes": 30}, observed(meeting=None)) == ["meeting_minutes: expected a 30-minute meeting, "
                                                                      "got none"]
