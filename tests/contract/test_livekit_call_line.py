"""LiveKitCallLine against a local stub of LiveKit's Twirp API, through the real livekit-api client."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest
from livekit import api

from application.errors import TransientFault
from application.ports.call_line import CallRequest, CallResult
from domain.call_record import TranscriptLine
from domain.campaign import Campaign
from domain.contact import Contact
from domain.meeting import Meeting
from domain.outcomes import CallOutcome
from domain.script import Script
from infrastructure.livekit_call_line import (
    AGENT_LOST_REASON, EgressS3Settings, LiveKitCallLine, LiveKitCallSettings,
)
from infrastructure.redis_handback import RedisHandback
from infrastructure.sip_outcomes import SIP_OUTCOMES
from tests.fakes.handback import InMemoryHandback
from tests.stubs.livekit_twirp_stub import LiveKitTwirpStub
from tests.fakes.runtime import FakeClock

PHONE = "+15125550143"
NOW = datetime(2026, 3, 10, 15, 15, tzinfo=timezone.utc)
CALL_ID = "c0ffee0123456789"
ROOM = f"call-{CALL_ID}"
SETUP = ["CreateRoom", "CreateDispatch", "StartRoomCompositeEgress"]
TEARDOWN = ["RemoveParticipant", "StopEgress", "DeleteRoom"]


def a_request() -> CallRequest:
    contact = Contact(id="contact-7", first_name="Dana", last_name="Reyes", phone=PHONE,
                      practice="Lakeside Orthopedics", email="dana@lakeside.example")
    campaign = Campaign(id="65f0c0ffee0123456789abcd", contact_id="contact-7", batch="spring", script_id="ortho-v2")
    script = Script(id="ortho-v2", version=1, greeting="Hi", introduction="I", gatekeeper="G", scheduling="S",
                    voicemail="V", closing="C", opt_out="O", ai_disclosure="I am an AI assistant.")
    return CallRequest(call_id=CALL_ID, campaign=campaign, contact=contact, script=script, step=2,
                       final_step=False, started_at=NOW)


def agent_result() -> CallResult:
    meeting = Meeting(start=datetime(2026, 3, 11, 14, tzinfo=timezone.utc),
                      end=datetime(2026, 3, 11, 14, 30, tzinfo=timezone.utc), event_id="evt-1")
    return CallResult(outcome=CallOutcome.MEETING_BOOKED, ended_at=NOW, reached_human=True, digits=["4"],
                      transcript=[TranscriptLine("agent", "Hello", NOW)], disclosed_ai=True, meeting=meeting,
                      turn_latencies_ms=[900.0], report={"turns": 6})


class Dialing:
    """The on_dialing hook; remembers what the server had seen when it ran."""

    def __init__(self, stub: LiveKitTwirpStub, error: Exception | None = None):
        self.stub = stub
        self.error = error
        self.seen: list[str] | None = None

    async def __call__(self) -> None:
        self.seen = list(self.stub.methods)
        if self.error is not None:
            raise self.error


@pytest.fixture
async def stub():
    server = await LiveKitTwirpStub().start()
    yield server
    await server.stop()


@pytest.fixture
def handback():
    return InMemoryHandback(lost_after_s=0.3)


def settings_for(stub: LiveKitTwirpStub, **overrides) -> LiveKitCallSettings:
    values = dict(url=stub.url, api_key=stub.api_key, api_secret=stub.api_secret, sip_trunk_id="ST_outbound",
                  agent_name="docshield-sales", ringing_timeout_s=25, max_call_duration_s=5, handback_margin_s=1,
                  empty_timeout_s=45, max_participants=4, krisp_enabled=True)
    values.update(overrides)
    return LiveKitCallSettings(**values)


RECORDING = EgressS3Settings(bucket="docshield-recordings", prefix="calls/", region="us-east-1")


def line_for(stub, handback, *, recording=RECORDING, **overrides) -> LiveKitCallLine:
    return LiveKitCallLine(settings_for(stub, **overrides), handback, recording=recording, clock=FakeClock(NOW))


def agent_answers(stub, handback, payload: CallResult | bytes | None = None, *, beats: int = 2, callee_hangs_up=False):
    """Act as the agent process: once the phone is answered, beat, then publish the result."""
    tasks = []

    async def agent() -> None:
        for _ in range(beats):
            await handback.heartbeat(CALL_ID)
            await asyncio.sleep(0.02)
        if callee_hangs_up:
            stub.participants[ROOM].discard("callee")
        if isinstance(payload, bytes):  # what a broken agent might leave on the stream
            handback._append(CALL_ID, ("result", payload))
        elif payload is not None:
            await handback.publish(CALL_ID, payload)

    async def on_answer(_message) -> None:
        tasks.append(asyncio.create_task(agent()))

    stub.on("CreateSIPParticipant", on_answer)
    return tasks


class TestAnsweredCall:
    async def test_requests_in_order_and_dialing_marked_right_before_the_sip_dial(self, stub, handback):
        agent_answers(stub, handback, agent_result())
        dialing = Dialing(stub)
        await line_for(stub, handback).conduct(a_request(), dialing)
        assert stub.methods == SETUP + ["CreateSIPParticipant"] + TEARDOWN
        assert dialing.seen == SETUP
        assert stub.rejected == []
        assert stub.rooms == {}

    async def test_the_room(self, stub, handback):
        agent_answers(stub, handback, agent_result())
        await line_for(stub, handback).conduct(a_request(), Dialing(stub))
        [created] = stub.calls("CreateRoom")
        assert (created.name, created.empty_timeout, created.max_participants) == (ROOM, 45, 4)
        assert [d.room for d in stub.calls("DeleteRoom")] == [ROOM]

    async def test_the_agent_is_dispatched_by_name_with_ids_and_no_personal_data(self, stub, handback):
        agent_answers(stub, handback, agent_result())
        await line_for(stub, handback).conduct(a_request(), Dialing(stub))
        [dispatch] = stub.calls("CreateDispatch")
        assert (dispatch.agent_name, dispatch.room) == ("docshield-sales", ROOM)
        assert json.loads(dispatch.metadata) == {
            "v": 1, "call_id": CALL_ID, "campaign_id": "65f0c0ffee0123456789abcd", "contact_id": "contact-7",
            "step": 2, "final_step": False, "batch": "spring", "script_id": "ortho-v2",
            "callee_identity": "callee", "max_call_duration_s": 5, "attempt": 0,
        }
        for personal in (PHONE, "5550143", "Dana", "Reyes", "lakeside.example"):
            assert personal not in dispatch.metadata

    async def test_the_sip_participant(self, stub, handback):
        agent_answers(stub, handback, agent_result())
        await line_for(stub, handback).conduct(a_request(), Dialing(stub))
        [dial] = stub.calls("CreateSIPParticipant")
        assert (dial.sip_trunk_id, dial.sip_call_to, dial.room_name, dial.participant_identity) == (
            "ST_outbound", PHONE, ROOM, "callee")
        assert dial.wait_until_answered and dial.krisp_enabled and dial.hide_phone_number
        assert not dial.play_dialtone
        assert (dial.ringing_timeout.seconds, dial.max_call_duration.seconds) == (25, 5)
        assert dict(dial.participant_attributes) == {"docshield.call_id": CALL_ID}
        [hangup] = stub.calls("RemoveParticipant")
        assert (hangup.room, hangup.identity) == (ROOM, "callee")

    async def test_the_recording_egress(self, stub, handback):
        agent_answers(stub, handback, agent_result())
        await line_for(stub, handback).conduct(a_request(), Dialing(stub))
        [start] = stub.calls("StartRoomCompositeEgress")
        assert start.room_name == ROOM and start.audio_only
        assert start.audio_mixing == api.AudioMixing.DUAL_CHANNEL_AGENT
        [output] = start.file_outputs
        assert output.file_type == api.EncodedFileType.OGG
        assert output.filepath == f"calls/{CALL_ID}/recording.ogg"
        assert (output.s3.bucket, output.s3.region, output.s3.tagging) == (
            "docshield-recordings", "us-east-1", "kind=recording")
        assert [s.egress_id for s in stub.calls("StopEgress")] == list(stub.egresses)

    async def test_the_agent_result_comes_back_with_recording_and_server_ids(self, stub, handback):
        agent_answers(stub, handback, agent_result())
        result = await line_for(stub, handback).conduct(a_request(), Dialing(stub))
        expected = agent_result()
        assert (result.outcome, result.meeting, result.transcript, result.digits) == (
            expected.outcome, expected.meeting, expected.transcript, expected.digits)
        assert result.recording_key == f"calls/{CALL_ID}/recording.ogg"
        assert result.report["turns"] == 6
        livekit = result.report["livekit"]
        assert livekit["room"] == ROOM and livekit["egress_id"] in stub.egresses
        assert livekit["sip_call_id"].startswith("SCL_") and livekit["answer_after_s"] >= 0

    async def test_a_callee_who_already_hung_up_is_fine(self, stub, handback):
        agent_answers(stub, handback, agent_result(), callee_hangs_up=True)
        result = await line_for(stub, handback).conduct(a_request(), Dialing(stub))
        assert result.outcome is CallOutcome.MEETING_BOOKED
        assert stub.methods[-1] == "DeleteRoom" and stub.rooms == {}

    async def test_without_recording_no_egress_is_started(self, stub, handback):
        agent_answers(stub, handback, agent_result())
        result = await line_for(stub, handback, recording=None).conduct(a_request(), Dialing(stub))
        assert stub.methods == ["CreateRoom", "CreateDispatch", "CreateSIPParticipant", "RemoveParticipant",
                                "DeleteRoom"]
        assert result.recording_key is None

    async def test_result_handed_back_through_redis(self, stub, redis_url):
        agent_side = RedisHandback.from_url(redis_url, lost_after_s=0.5)
        job_side = RedisHandback.from_url(redis_url, lost_after_s=0.5)
        agent_answers(stub, agent_side, agent_result())
        result = await line_for(stub, job_side).conduct(a_request(), Dialing(stub))
        await agent_side.aclose()
        await job_side.aclose()
        assert result.outcome is CallOutcome.MEETING_BOOKED and result.meeting == agent_result().meeting


class TestAgentTrouble:
    async def test_a_silent_agent_is_recorded_as_lost(self, stub, handback):
        agent_answers(stub, handback, None, beats=1)
        result = await line_for(stub, handback).conduct(a_request(), Dialing(stub))
        assert (result.outcome, result.reason) == (CallOutcome.FAILED, AGENT_LOST_REASON)
        assert stub.methods[-3:] == TEARDOWN

    async def test_an_agent_that_never_reports_times_out_as_failed(self, stub):
        handback = InMemoryHandback(lost_after_s=5)
        stop = asyncio.Event()

        async def beating(_message):
            async def beat():
                while not stop.is_set():
                    await handback.heartbeat(CALL_ID)
                    await asyncio.sleep(0.1)
            asyncio.create_task(beat())

        stub.on("CreateSIPParticipant", beating)
        line = line_for(stub, handback, max_call_duration_s=1, handback_margin_s=0)
        result = await line.conduct(a_request(), Dialing(stub))
        stop.set()
        assert result.outcome is CallOutcome.FAILED and "time limit" in result.reason
        assert stub.methods[-3:] == TEARDOWN

    async def test_an_unreadable_agent_result_is_failed_naming_the_field(self, stub, handback):
        agent_answers(stub, handback, json.dumps({"outcome": "sold_a_boat", "ended_at": NOW.isoformat()}).encode())
        result = await line_for(stub, handback).conduct(a_request(), Dialing(stub))
        assert result.outcome is CallOutcome.FAILED and "outcome" in result.reason

    async def test_cancellation_mid_call_still_hangs_up_and_deletes_the_room(self, stub, handback):
        agent_answers(stub, handback, None, beats=50)
        task = asyncio.create_task(line_for(stub, handback).conduct(a_request(), Dialing(stub)))
        while "CreateSIPParticipant" not in stub.methods:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert stub.methods[-3:] == TEARDOWN and stub.rooms == {}


class TestSipFailures:
    @pytest.mark.parametrize("code,reason,outcome", [
        (486, "Busy Here", CallOutcome.BUSY),
        (600, "Busy Everywhere", CallOutcome.BUSY),
        (480, "Temporarily Unavailable", CallOutcome.NO_ANSWER),
        (408, "Request Timeout", CallOutcome.NO_ANSWER),
        (487, "Request Terminated", CallOutcome.NO_ANSWER),
        (603, "Decline", CallOutcome.NO_ANSWER),
        (404, "Not Found", CallOutcome.WRONG_NUMBER),
        (484, "Address Incomplete", CallOutcome.WRONG_NUMBER),
        (410, "Gone", CallOutcome.WRONG_NUMBER),
        (604, "Does Not Exist Anywhere", CallOutcome.WRONG_NUMBER),
        (403, "Forbidden", CallOutcome.FAILED),
        (503, "Service Unavailable", CallOutcome.FAILED),
    ])
    async def test_each_sip_status_maps_to_its_outcome(self, stub, handback, code, reason, outcome):
        stub.fail_sip(code, reason)
        dialing = Dialing(stub)
        result = await line_for(stub, handback).conduct(a_request(), dialing)
        assert result.outcome is outcome
        assert result.reason == f"SIP {code} {reason}"
        assert dialing.seen == SETUP
        # The dial never made a participant: nothing to hang up, but the egress and room go.
        assert stub.methods[-2:] == ["StopEgress", "DeleteRoom"] and stub.rooms == {}

    def test_the_table_covers_what_the_tests_check(self):
        assert set(SIP_OUTCOMES) == {486, 600, 480, 408, 487, 603, 404, 484, 410, 604}

    @pytest.mark.parametrize("http_status", [400, 408, 500])
    async def test_the_http_status_of_the_error_does_not_change_the_mapping(self, stub, handback, http_status):
        stub.fail_sip(486, "Busy Here", code="unknown", status=http_status)
        result = await line_for(stub, handback).conduct(a_request(), Dialing(stub))
        assert result.outcome is CallOutcome.BUSY

    async def test_ringing_timeout_without_sip_status_is_no_answer(self, stub, handback):
        stub.fail("CreateSIPParticipant", "deadline_exceeded", "ringing timeout")
        result = await line_for(stub, handback).conduct(a_request(), Dialing(stub))
        assert result.outcome is CallOutcome.NO_ANSWER

    async def test_a_dial_refusal_without_sip_status_is_failed(self, stub, handback):
        stub.fail("CreateSIPParticipant", "not_found", "trunk ST_outbound not found")
        result = await line_for(stub, handback).conduct(a_request(), Dialing(stub))
        assert result.outcome is CallOutcome.FAILED and "not_found" in result.reason
        assert stub.rooms == {}


class TestBeforeDialing:
    @pytest.mark.parametrize("method", SETUP)
    async def test_a_server_error_is_transient_and_never_dials(self, stub, handback, method):
        stub.fail(method, "unavailable", "node overloaded")
        dialing = Dialing(stub)
        with pytest.raises(TransientFault) as raised:
            await line_for(stub, handback).conduct(a_request(), dialing)
        assert raised.value.dependency == "livekit"
        assert dialing.seen is None and "CreateSIPParticipant" not in stub.methods
        assert stub.rooms == {}

    async def test_rate_limiting_is_transient(self, stub, handback):
        stub.fail("CreateDispatch", "resource_exhausted", "too many requests")
        with pytest.raises(TransientFault):
            await line_for(stub, handback).conduct(a_request(), Dialing(stub))

    async def test_a_refusal_is_final_and_never_dials(self, stub, handback):
        stub.fail("CreateDispatch", "invalid_argument", "agent name not allowed")
        dialing = Dialing(stub)
        result = await line_for(stub, handback).conduct(a_request(), dialing)
        assert result.outcome is CallOutcome.FAILED and result.reason.startswith("not dialed")
        assert dialing.seen is None
        assert stub.methods == ["CreateRoom", "CreateDispatch", "DeleteRoom"]

    async def test_wrong_credentials_are_refused_by_the_server_and_final(self, stub, handback):
        line = line_for(stub, handback, api_secret="not-the-secret-the-server-knows-at-all")
        result = await line.conduct(a_request(), Dialing(stub))
        assert result.outcome is CallOutcome.FAILED and "unauthenticated" in result.reason
        assert stub.rejected and stub.requests == []

    async def test_an_unreachable_server_is_transient(self, stub, handback):
        line = line_for(stub, handback)
        await stub.stop()
        with pytest.raises(TransientFault):
            await line.conduct(a_request(), Dialing(stub))

    async def test_a_failing_dialing_hook_stops_the_call_and_cleans_up(self, stub, handback):
        dialing = Dialing(stub, error=RuntimeError("claim changed hands"))
        with pytest.raises(RuntimeError, match="claim changed hands"):
            await line_for(stub, handback).conduct(a_request(), dialing)
        assert stub.methods == SETUP + ["StopEgress", "DeleteRoom"]


class TestSettings:
    def test_missing_settings_are_named(self, stub):
        with pytest.raises(ValueError, match="sip_trunk_id"):
            settings_for(stub, sip_trunk_id="")
        with pytest.raises(ValueError, match="ringing_timeout_s"):
            settings_for(stub, ringing_timeout_s=0)
        with pytest.raises(ValueError, match="bucket"):
            EgressS3Settings(bucket="")


class TestPacing:
    async def test_each_request_that_sets_a_call_up_spends_the_rate_limit_and_hanging_up_never_waits(
            self, stub, handback):
        agent_answers(stub, handback, agent_result())
        paced: list[int] = []
        hold = asyncio.Event()

        async def pace() -> None:
            paced.append(len(stub.requests))
            if len(paced) > 4:  # the quota is spent after the call's four setup requests
                await hold.wait()

        line = LiveKitCallLine(settings_for(stub), handback, recording=RECORDING, clock=FakeClock(NOW), pace=pace)
        await asyncio.wait_for(line.conduct(a_request(), Dialing(stub)), 10)
        assert paced == [0, 1, 2, 3]  # before each of SETUP and the dial, none before the teardown
        assert stub.methods == SETUP + ["CreateSIPParticipant"] + TEARDOWN
        stub.requests.clear()
        call = asyncio.create_task(line.conduct(a_request(), Dialing(stub)))
        await asyncio.sleep(0.3)
        assert stub.methods == [], "the next call waits for the window"
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
