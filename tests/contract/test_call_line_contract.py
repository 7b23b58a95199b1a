"""One suite for the CallLine port: the scripted fake, the simple simulated line and LiveKit (on its stub).

The promises ConductCall relies on: the dialing hook runs exactly once and before
the phone rings; a hook that refuses (the claim changed hands) means no call and
the refusal reaches the caller; the result is a CallResult that ends after it began.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from application.call_result_codec import result_to_dict
from application.ports.call_claims import ClaimLost
from application.ports.call_line import CallResult
from domain.outcomes import CallOutcome
from domain.script import default_script
from infrastructure.simulated_line import SimulatedLine
from tests.contract.test_livekit_call_line import FixedClock, a_request, agent_answers, agent_result, line_for
from tests.fakes.call_line import ScriptedCallLine
from tests.fakes.handback import InMemoryHandback
from tests.stubs.livekit_twirp_stub import LiveKitTwirpStub


class Harness:
    """A call line and a way to tell whether the phone actually rang (None: it cannot be seen)."""

    def __init__(self, line, rang, request=None):
        self.line = line
        self.rang = rang
        self.request = request or a_request()


@pytest.fixture(params=["fake", "simulated", "livekit"])
async def harness(request):
    if request.param == "fake":
        line = ScriptedCallLine(agent_result())
        yield Harness(line, lambda: line.dials > 0)
        return
    if request.param == "simulated":
        line = SimulatedLine(FixedClock())
        # The simulated line speaks the script, so it needs one every contact can fill.
        yield Harness(line, lambda: None, replace(a_request(), script=default_script()))
        return
    stub = await LiveKitTwirpStub().start()
    handback = InMemoryHandback(lost_after_s=0.3)
    agent_answers(stub, handback, result_to_dict(agent_result()))
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
