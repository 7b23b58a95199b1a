"""CallStages: the call's dial / conversation / navigation / booking stages, whatever order events come in."""
from __future__ import annotations

from application.call.stages import CallStages
from tests.fakes.runtime import FakeTelemetry


def names(telemetry: FakeTelemetry) -> list[str]:
    return [name for name, _ in telemetry.stages]


def test_a_call_through_a_menu_to_a_person():
    telemetry = FakeTelemetry()
    stages = CallStages(telemetry, call_id="c1")
    stages.dialing()
    stages.navigating()  # before the answer: nothing to navigate yet
    stages.answered()
    stages.navigating()
    stages.navigating()
    stages.reached("person")
    with stages.stage("booking", action="book"):
        pass
    stages.ended("meeting_booked")
    stages.ended("meeting_booked")
    assert names(telemetry) == ["dial", "end:dial", "conversation", "navigation", "end:navigation", "booking",
                                "end:conversation"]
    assert telemetry.parents == {"dial": None, "conversation": None, "navigation": "conversation",
                                 "booking": "conversation"}
    ends = dict(telemetry.stages)
    assert ends["end:dial"] == {"result": "answered"} and ends["end:navigation"] == {"reached": "person"}
    assert ends["end:conversation"] == {"outcome": "meeting_booked"}


def test_no_answer_ends_the_dial_with_the_reason_and_opens_nothing_else():
    telemetry = FakeTelemetry()
    stages = CallStages(telemetry)
    stages.dialing()
    stages.not_answered("busy")
    stages.navigating()
    stages.ended("busy")
    assert telemetry.stages == [("dial", {}), ("end:dial", {"result": "busy"})]


def test_a_person_first_means_no_navigation_later():
    telemetry = FakeTelemetry()
    stages = CallStages(telemetry)
    stages.answered()
    stages.reached("person")
    stages.navigating()  # a transfer to another menu is part of the conversation, not a new navigation
    stages.ended()
    assert "navigation" not in names(telemetry)
    assert names(telemetry) == ["dial", "end:dial", "conversation", "end:conversation"]


def test_without_telemetry_nothing_breaks():
    stages = CallStages()
    stages.answered()
    stages.navigating()
    with stages.stage("booking"):
        pass
    stages.ended("declined")
