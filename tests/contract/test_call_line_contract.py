"""One suite for the CallLine port: the scripted fake, the simple simulated line, the simulator's practice line
(the call core in its text-mode shell) and LiveKit (on its stub).

The promises ConductCall relies on: the dialing hook runs exactly once and before
the phone rings; a hook that refuses (the claim changed hands) means no call and
the refusal reaches the caller; the result is a CallResult that ends after it began.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from application.book_meeting import BookMeeting
from application.call.brief import CallIdentity
from simulator.offline_brain import OfflineBrain
from simulator.practice_line import PracticeLine
from simulator.scenario import load_file
from simulator.simulated_clock import SimulatedClock
from tests.fakes.calendar import FakeCalendar, FakeCalendarCredentials
from tests.fakes.compliance import FakeDoNotCallList

from application.ports.call_claims import ClaimLost
from application.ports.call_line import CallResult
from domain.outcomes import CallOutcome
from domain.script import default_script
from infrastructure.simulated_line import SimulatedLine
from tests.contract.test_livekit_call_line import NOW, a_request, agent_answers, agent_result, line_for
from tests.fakes.call_line import ScriptedCallLine
from tests.fakes.runtime import FakeClock
from tests.fakes.handback import InMemoryHandback
from tests.stubs.livekit_twirp_stub import LiveKitTwirpStub


class Harness:
    """A call line and a way to tell whether the phone actually rang (None: it cannot be seen)."""

    def __init__(self, line, rang, request=None):
        self.line = line
        self.rang = rang
        self.request = request or a_request()


def practice_line(tmp_path, request) -> tuple[PracticeLine, SimulatedClock]:
    path = tmp_path / "contract.yaml"
    path.write_text("""scenarios:
  - id: contract
    now: "2026-03-10T10:15:00-05:00"
    contact: {first_name: Dana, last_name: Reyes, practice: Lakeside, phone: "+15125550143",
              timezone: America/Chicago}
    line:
      start: {person: decision_maker, says: "This is Dana.", decision: decline}
    expect: {outcome: declined}
""")
    clock = SimulatedClock()
    line = PracticeLine(scenarios={request.campaign.id: load_file(path)[0]}, clock=clock,
                        do_not_call=FakeDoNotCallList(),
                        book_meeting=BookMeeting(FakeCalendar(), FakeCalendarCredentials(), clock),
                        identity=CallIdentity(),
                        model_factory=lambda brief, zone, policy: OfflineBrain(brief, clock, zone, policy))
    return line, clock


@pytest.fixture(params=["fake", "simulated", "practice", "livekit"])
async def harness(request, tmp_path):
    if request.param == "fake":
        line = ScriptedCallLine(agent_result())
        yield Harness(line, lambda: line.dials > 0)
        return
    if request.param == "simulated":
        line = SimulatedLine(FakeClock(NOW))
        # The simulated line speaks the script, so it needs one every contact can fill.
        yield Harness(line, lambda: None, replace(a_request(), script=default_script()))
        return
    if request.param == "practice":
        call = replace(a_request(), script=default_script())
        line, clock = practice_line(tmp_path, call)
        with clock.starting_at(call.started_at):
            # The phone rang once the practice's line was walked (its conversation time is kept).
            yield Harness(line, lambda: call.campaign.id in line.conversation_s, call)
        return
    stub = await LiveKitTwirpStub().start()
    handback = InMemoryHandback(lost_after_s=0.3)
    agent_answers(stub, handback, agent_result())
    yield Harness(line_for(stub, handback), lambda: bool(stub.calls("CreateSIPParticipant")))
    await stub.stop()


async def test_an_answered_call_runs_the_dialing_hook_once_and_returns_its_result(harness):
    calls = []

    async def on_dialing():
        calls.append(harness.rang())

    result = await harness.line.conduct(harness.request, on_dialing)
    assert isinstance(result, CallResult) and isinstance(result.outcome, CallOutcome)
    assert result.ended_at >= harness.request.started_at
    assert len(calls) == 1
    assert calls[0] is not True, "the hook must run before the phone rings"


async def test_a_refused_dialing_hook_means_no_call(harness):
    async def on_dialing():
        raise ClaimLost("claim taken by another worker")

    with pytest.raises(ClaimLost):
        await harness.line.conduct(harness.request, on_dialing)
    assert not harness.rang()
