"""The agent side of a real call, offline: metadata checks, the session wiring in text mode,
coach guidance reaching the very next reply, latencies and transcripts on the result, and the
result handed back through RedisHandback on a real redis-server, on the error paths too."""
from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from livekit import api, rtc
from livekit.agents import AgentSession, llm
from livekit.agents.llm import ChatChunk, ChoiceDelta, RealtimeModelError
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS
from livekit.agents.voice.events import (AgentStateChangedEvent, CloseEvent, CloseReason,
                                         ConversationItemAddedEvent, UserInputTranscribedEvent,
                                         UserStateChangedEvent)

from application.book_meeting import BookMeeting
from application.ports.call_line import CallRequest
from domain.campaign import Campaign
from domain.coaching import Guidance, Stage
from domain.contact import Contact
from domain.outcomes import CallOutcome
from domain.script import default_script
from application.call.core import BEEP_INSTRUCTIONS, NO_BEEP_INSTRUCTIONS, HangUp, Reply
from infrastructure.agent_dispatch import (DispatchMetadata, DispatchMetadataError, call_id_in,
                                           parse_dispatch_metadata)
from infrastructure.livekit_agent_session import AgentCall, AgentCallDeps, AgentCallSettings, run_agent_call
from infrastructure.livekit_call_line import LiveKitCallLine, LiveKitCallSettings
from infrastructure.offline_coach import OfflineCoach
from infrastructure.redis_handback import RedisHandback
from tests.fakes.call_controls import FakeCallControls
from tests.fakes.calendar import FakeCalendar, FakeCalendarCredentials
from tests.fakes.compliance import FakeDoNotCallList
from tests.fakes.repositories import FakeCampaignRepository, FakeContactRepository
from tests.fakes.runtime import FakeClock, FakeScriptCatalog, FakeTelemetry

NOW = datetime(2026, 3, 10, 15, 15, tzinfo=timezone.utc)
CONTACT = Contact(id="c1", first_name="Dana", last_name="Reyes", phone="+15125550143",
                  practice="Lakeside Orthopedics", title="Practice Administrator", timezone="America/Chicago")
CAMPAIGN = Campaign(id="65f0c0ffee0000000000abcd", contact_id="c1", rep_name="Jordan")


def metadata(**changes) -> dict:
    """What the ARQ side really sends: LiveKitCallLine.dispatch_metadata for a request."""
    line = LiveKitCallLine(LiveKitCallSettings(url="ws://127.0.0.1:1", api_key="k", api_secret="s",
                                               sip_trunk_id="ST_1", agent_name="docshield-sales-agent"),
                           handback=None)
    request = CallRequest(call_id=f"call-{uuid.uuid4().hex[:8]}", campaign=CAMPAIGN, contact=CONTACT,
                          script=default_script(), step=2, final_step=True, started_at=NOW)
    return {**line.dispatch_metadata(request), **changes}


# ------------------------------------------------------------------ metadata

def test_the_call_lines_metadata_parses_into_ids_only():
    sent = metadata()
    parsed = parse_dispatch_metadata(json.dumps(sent))
    assert parsed == DispatchMetadata(call_id=sent["call_id"], campaign_id=CAMPAIGN.id, contact_id="c1", step=2,
                                      final_step=True, batch=CAMPAIGN.batch, script_id=CAMPAIGN.script_id,
                                      callee_identity="callee", max_call_duration_s=sent["max_call_duration_s"])
    assert CONTACT.phone not in json.dumps(sent)
    assert parse_dispatch_metadata(json.dumps({**sent, "attempt": 2})).attempt == 2  # a callback


@pytest.mark.parametrize("raw, named", [
    ("", "empty"),
    ("{not json", "not JSON"),
    ("[1, 2]", "JSON object"),
    (json.dumps(metadata(v=2)), "version 2"),
    (json.dumps({k: v for k, v in metadata().items() if k != "campaign_id"}), "campaign_id"),
    (json.dumps(metadata(contact_id="")), "contact_id"),
    (json.dumps(metadata(step=-1)), "step"),
    (json.dumps(metadata(step=True)), "step"),
    (json.dumps(metadata(final_step="yes")), "final_step"),
    (json.dumps(metadata(call_id="a b")), "call_id"),
    (json.dumps(metadata(max_call_duration_s=0)), "max_call_duration_s"),
    (json.dumps(metadata(attempt=-1)), "attempt"),
])
def test_bad_metadata_is_refused_naming_the_field(raw, named):
    with pytest.raises(DispatchMetadataError, match=named):
        parse_dispatch_metadata(raw)


def test_the_call_id_of_half_broken_metadata_can_still_be_found():
    assert call_id_in(json.dumps({"v": 9, "call_id": "call-1"})) == "call-1"
    assert call_id_in("{oops") is None and call_id_in(json.dumps({"call_id": "a b"})) is None


# ------------------------------------------------------------------ fixtures

class RecordingModel(llm.LLM):
    """A scripted model that answers each turn with the next line and keeps every chat context it was given."""

    def __init__(self, *replies: str):
        super().__init__()
        self.replies = list(replies)
        self.contexts: list[llm.ChatContext] = []

    @property
    def model(self) -> str:
        return "recording"

    def chat(self, *, chat_ctx, tools=None, conn_options=DEFAULT_API_CONNECT_OPTIONS, parallel_tool_calls=None,
             tool_choice=None, extra_kwargs=None):
        self.contexts.append(chat_ctx.copy())
        text = self.replies.pop(0) if self.replies else "Mm-hm."
        return _Stream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options, text=text)

    def instructions_seen(self, turn: int) -> str:
        return "\n".join(item.text_content or "" for item in self.contexts[turn].items
                         if item.type == "message" and item.role in ("system", "developer"))


class _Stream(llm.LLMStream):
    def __init__(self, *args, text: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.text = text

    async def _run(self) -> None:
        self._event_ch.send_nowait(ChatChunk(id=uuid.uuid4().hex[:8], delta=ChoiceDelta(role="assistant",
                                                                                        content=self.text)))


@pytest.fixture
async def handback(redis_url):
    agent_side = RedisHandback.from_url(redis_url, lost_after_s=2.0, ttl_s=60)
    job_side = RedisHandback.from_url(redis_url, lost_after_s=2.0, ttl_s=60)
    yield agent_side, job_side
    await agent_side.aclose()
    await job_side.aclose()


def deps_with(handback, *, campaigns=(CAMPAIGN,), coach=None) -> AgentCallDeps:
    clock = FakeClock(NOW)
    return AgentCallDeps(campaigns=FakeCampaignRepository(*campaigns), contacts=FakeContactRepository(CONTACT),
                         scripts=FakeScriptCatalog(), do_not_call=FakeDoNotCallList(),
                         book_meeting=BookMeeting(FakeCalendar(), FakeCalendarCredentials(), clock),
                         sales_coach=coach or OfflineCoach(), handback=handback, clock=clock)


SETTINGS = AgentCallSettings(heartbeat_interval_s=0.05, coach_interval_s=3600)


@pytest.fixture
async def text_call(handback):
    agent_side, job_side = handback
    meta = parse_dispatch_metadata(json.dumps(metadata()))
    call = AgentCall(meta, deps_with(agent_side), SETTINGS)
    model = RecordingModel("Hi Dana, this is Alex, an AI assistant calling for DocShield; this call is recorded.",
                           "Thanks. Do you have fifteen minutes with Jordan this week?",
                           "Great, Wednesday works.")
    agent = await call.prepare(FakeCallControls())
    session = AgentSession(llm=model)
    call.attach(session)
    await session.start(agent, record=False)
    call.start()
    yield call, session, model, job_side
    await session.aclose()
    await call.finish()


# ------------------------------------------------------------------ the session wiring

async def test_transcripts_reach_the_progress_and_the_coach_and_the_disclosure_is_noted(text_call):
    call, session, _model, _job = text_call
    await session.run(user_input="Hello, this is Dana.")
    await session.run(user_input="We already have malpractice insurance.")
    speakers = [(line.speaker, line.text) for line in call.core.progress.transcript]
    assert speakers[:2] == [("callee", "Hello, this is Dana."),
                            ("agent", "Hi Dana, this is Alex, an AI assistant calling for DocShield; "
                                      "this call is recorded.")]
    assert speakers[2][0] == "callee" and speakers[3][0] == "agent"
    assert call.core.progress.disclosed_ai
    assert call.core.progress.objections == ["already_insured"]
    assert [line.text for line in call.core.coach.transcript] == [text for _, text in speakers]


async def test_coach_guidance_reaches_the_very_next_reply(text_call):
    call, session, model, _job = text_call
    await session.run(user_input="Hello, this is Dana.")
    guidance = Guidance(Stage.OBJECTION, "acknowledge and use the 'cost' handler, then ask for the meeting",
                        missed=("say that the call is recorded",))
    await call.core.apply_guidance(guidance)
    await session.run(user_input="How much does this cost?")
    assert guidance.as_instructions() not in model.instructions_seen(0)
    seen = model.instructions_seen(1)
    assert guidance.as_instructions() in seen and call.core.brief.instructions.strip() in seen


async def test_a_coach_review_replaces_the_previous_guidance(text_call):
    call, session, model, _job = text_call
    await session.run(user_input="Who is this?")
    first = await call.core.coach.review_now()
    await session.run(user_input="How much does this cost?")
    second = await call.core.coach.review_now()
    await session.run(user_input="Okay.")
    seen = model.instructions_seen(2)
    assert first is not None and second is not None and first != second
    assert second.as_instructions() in seen and first.as_instructions() not in seen


async def test_turn_latencies_and_the_fast_path_hook_come_from_session_events(text_call):
    call, session, _model, _job = text_call
    heard = []

    class FastPath:
        async def hear(self, text, *, final):
            heard.append((text, final))

        async def prompt_ended(self):
            heard.append("prompt ended")

    call.core.listeners.append(FastPath())
    session.emit("user_input_transcribed", UserInputTranscribedEvent(transcript="For billing press", is_final=False))
    session.emit("user_input_transcribed", UserInputTranscribedEvent(transcript="For billing press 2.",
                                                                      is_final=True))
    for seconds in (0.91, 1.62):
        session.emit("conversation_item_added", ConversationItemAddedEvent(item=llm.ChatMessage(
            role="assistant", content=["One moment."], metrics={"e2e_latency": seconds})))
    session.emit("user_state_changed", UserStateChangedEvent(old_state="speaking", new_state="listening"))
    await asyncio.sleep(0.05)
    assert heard == [("For billing press", False), ("For billing press 2.", True), "prompt ended"]
    result = await call.finish()
    assert result.turn_latencies_ms == [910.0, 1620.0]
    assert result.report["agent"]["latency"]["over_target"] == 1


async def test_the_first_reply_is_timed_from_the_callees_first_words_to_the_agents(text_call):
    call, session, _model, _job = text_call
    clock = call.deps.clock
    call.amd_verdict("human")
    session.emit("agent_state_changed", AgentStateChangedEvent(old_state="listening", new_state="speaking"))
    clock.advance(seconds=2)  # the greeting above came before anyone spoke: not a reply
    session.emit("user_state_changed", UserStateChangedEvent(old_state="listening", new_state="speaking"))
    clock.advance(seconds=1, milliseconds=300)
    session.emit("user_state_changed", UserStateChangedEvent(old_state="speaking", new_state="listening"))
    session.emit("agent_state_changed", AgentStateChangedEvent(old_state="thinking", new_state="speaking"))
    clock.advance(seconds=5)
    session.emit("user_state_changed", UserStateChangedEvent(old_state="listening", new_state="speaking"))
    session.emit("agent_state_changed", AgentStateChangedEvent(old_state="listening", new_state="speaking"))
    assert call.core.progress.first_reply_s == 1.3
    assert (await call.finish()).first_reply_s == 1.3


async def test_a_menu_on_the_live_call_is_answered_by_the_fast_path_without_the_model(handback):
    agent_side, _job = handback
    call = AgentCall(parse_dispatch_metadata(json.dumps(metadata())), deps_with(agent_side), SETTINGS)
    keys = FakeCallControls()
    model = RecordingModel("Hello?")
    agent = await call.prepare(keys)
    session = AgentSession(llm=model)
    call.attach(session)
    await session.start(agent, record=False)
    try:
        session.emit("user_input_transcribed", UserInputTranscribedEvent(
            transcript="Thank you for calling Lakeside Orthopedics. For the office manager, press 4.",
            is_final=True))
        for _ in range(100):
            if keys.pressed:
                break
            await asyncio.sleep(0.01)
        assert keys.pressed == ["4"]
        assert call.core.progress.digits == ["4"]
        assert model.contexts == [], "the model must not be asked to answer a menu"
    finally:
        await session.aclose()
        await call.finish()


async def test_the_result_is_handed_back_with_heartbeats_before_it(text_call, redis_url):
    call, session, _model, job_side = text_call
    await session.run(user_input="Hello, this is Dana.")
    call.amd_verdict("human")
    await asyncio.sleep(0.2)
    session.emit("close", CloseEvent(reason=CloseReason.PARTICIPANT_DISCONNECTED))
    payload = await call.finish({"duration_ms": 1234})
    result = await job_side.wait(call.metadata.call_id, timeout=5)
    assert result == payload
    assert result.outcome is CallOutcome.DECLINED and result.reached_human and result.disclosed_ai
    assert [line.speaker for line in result.transcript] == ["callee", "agent"]
    assert result.report["agent"]["close_reason"] == "participant_disconnected"
    assert result.report["agent"]["session"] == {"duration_ms": 1234}
    entries = await job_side.redis.xrange(job_side.key(call.metadata.call_id))
    beats = [fields for _id, fields in entries if fields[b"type"] == b"beat"]
    assert len(beats) >= 2 and entries[-1][1][b"type"] == b"result"
    assert await call.finish() is payload  # published once


@pytest.mark.parametrize("category, outcome, ends", [
    ("human", None, False), ("machine-ivr", None, False), ("machine-vm", None, False),
    ("machine-unavailable", CallOutcome.NO_ANSWER, True), ("uncertain", None, False),
])
async def test_the_answering_machine_verdict_shapes_the_call(category, outcome, ends):
    call = AgentCall(parse_dispatch_metadata(json.dumps(metadata())), deps_with(None), SETTINGS)
    await call.prepare(FakeCallControls())
    assert isinstance(call.amd_verdict(category, reason="r", delay_s=1.23456), HangUp) is ends
    progress = call.core.progress
    assert progress.outcome is outcome
    assert progress.reached_human is (category == "human")
    assert progress.heard_menu is (category == "machine-ivr")
    assert call.core.verdicts[-1]["source"] == "amd" and call.core.verdicts[-1]["delay_s"] == 1.235
    assert call.core.verdicts[-1]["reason"] == "r"
    assert progress.verdict_s == 1.235  # kept on the record for the report
    # The callee's audio counts for the voicemail timing only after a voicemail verdict.
    assert (call.core.voicemail is not None) is (category == "machine-vm")


# ------------------------------------------------------------------ the job, on its error paths

class RoomService:
    def __init__(self):
        self.calls = []

    async def remove_participant(self, remove: api.RoomParticipantIdentity):
        self.calls.append(("remove_participant", remove.identity))

    async def delete_room(self, delete: api.DeleteRoomRequest):
        self.calls.append(("delete_room", delete.room))


class FakeJobContext:
    """The parts of a livekit JobContext run_agent_call touches before a session exists."""

    def __init__(self, raw_metadata: str):
        self.job = SimpleNamespace(metadata=raw_metadata)
        self.room = SimpleNamespace(name="call-x", local_participant=None)
        self.api = SimpleNamespace(room=RoomService())
        self.connected = False
        self.shutdowns: list[str] = []

    async def connect(self):
        self.connected = True

    def shutdown(self, reason: str = "") -> None:
        self.shutdowns.append(reason)


async def test_bad_metadata_hands_back_a_failed_result_with_the_reason(handback):
    agent_side, job_side = handback
    raw = json.dumps(metadata(call_id="call-bad1", step="two"))
    ctx = FakeJobContext(raw)
    assert await run_agent_call(ctx, deps_with(agent_side), SETTINGS) is None
    result = await job_side.wait("call-bad1", timeout=5)
    assert result.outcome is CallOutcome.FAILED and "step" in result.reason
    assert ctx.shutdowns == ["bad dispatch metadata"] and not ctx.connected


async def test_an_unknown_campaign_fails_the_call_hangs_up_and_hands_back(handback):
    agent_side, job_side = handback
    sent = metadata()
    ctx = FakeJobContext(json.dumps(sent))
    payload = await run_agent_call(ctx, deps_with(agent_side, campaigns=()), SETTINGS)
    result = await job_side.wait(sent["call_id"], timeout=5)
    assert result == payload
    assert result.outcome is CallOutcome.FAILED
    assert result.reason == f"not started: campaign {CAMPAIGN.id} not found"
    assert ctx.api.room.calls == [("remove_participant", "callee"), ("delete_room", "call-x")]
    assert len(ctx.shutdowns) == 1


async def test_a_model_that_cannot_start_still_hands_back_a_failed_result(handback):
    agent_side, job_side = handback
    sent = metadata()
    ctx = FakeJobContext(json.dumps(sent))

    def broken_model(_settings):
        raise ConnectionError("realtime endpoint unreachable")

    built = []

    def fast_path(call, controls):
        built.append((call.core.contact.id, call.metadata.campaign_id, controls.callee_identity))
        return SimpleNamespace(hear=None)

    await run_agent_call(ctx, deps_with(agent_side), SETTINGS, model_factory=broken_model, listeners=[fast_path])
    # The fast path is built from the call's contact, campaign and room controls before the session starts.
    assert built == [("c1", CAMPAIGN.id, "callee")]
    result = await job_side.wait(sent["call_id"], timeout=5)
    assert result.outcome is CallOutcome.FAILED and result.reason == "ConnectionError in the agent session"
    assert ("delete_room", "call-x") in ctx.api.room.calls


# ------------------------------------------------------------------ the real Realtime client, on a local endpoint

@pytest.fixture
async def realtime_stub():
    from tests.stubs.openai_realtime_stub import RealtimeStub

    stub = await RealtimeStub(["Hi Dana, this is Alex, an AI assistant calling for DocShield; this call is "
                               "recorded.", "It depends on the practice; Jordan can walk you through it."]).start()
    yield stub
    await stub.stop()


async def test_the_realtime_model_gets_the_configured_session_and_the_guidance_before_the_next_reply(
        realtime_stub, handback):
    import aiohttp

    from infrastructure.livekit_agent_session import realtime_model

    agent_side, _job = handback
    settings = AgentCallSettings(openai_api_key="test-key", openai_base_url=realtime_stub.base_url,
                                 realtime_model="gpt-realtime", voice="marin", turn_detection="server_vad",
                                 vad_silence_ms=420, heartbeat_interval_s=0.05, coach_interval_s=3600)
    call = AgentCall(parse_dispatch_metadata(json.dumps(metadata())), deps_with(agent_side), settings)
    agent = await call.prepare(FakeCallControls())
    async with aiohttp.ClientSession() as http:
        session = AgentSession(llm=realtime_model(settings, http_session=http, modalities=["text"]))
        call.attach(session)
        await session.start(agent, record=False)
        try:
            first = await asyncio.wait_for(session.run(user_input="Hello, this is Dana."), timeout=10)
            first.expect.next_event().is_message(role="assistant")
            guidance = Guidance(Stage.OBJECTION, "acknowledge and use the 'cost' handler, then ask for the meeting")
            await call.core.apply_guidance(guidance)
            await asyncio.wait_for(session.run(user_input="How much does this cost?"), timeout=10)
        finally:
            await session.aclose()
    await call.finish()

    assert realtime_stub.paths == ["/v1/realtime?model=gpt-realtime"]
    updates = realtime_stub.of_type("session.update")
    detection = [u["session"]["audio"]["input"]["turn_detection"] for u in updates
                 if u["session"].get("audio", {}).get("input", {}).get("turn_detection")]
    assert detection and detection[-1]["type"] == "server_vad" and detection[-1]["silence_duration_ms"] == 420
    kinds = [e["type"] for e in realtime_stub.received]
    responses = [i for i, k in enumerate(kinds) if k == "response.create"]
    guided = [i for i, e in enumerate(realtime_stub.received) if e["type"] == "session.update"
              and guidance.as_instructions() in (e["session"].get("instructions") or "")]
    # The guidance is in the session before the very next response is asked for, not one turn late.
    assert len(responses) == 2 and guided and responses[0] < guided[0] < responses[1]
    assert [line.speaker for line in call.core.progress.transcript] == ["callee", "agent", "callee", "agent"]
    assert call.core.progress.disclosed_ai


# ------------------------------------------------------------------ the command line and the worker's registration

@pytest.fixture
def bare_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("REDIS_URL", "MONGODB_URI", "LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET",
                 "OPENAI_API_KEY", "SIP_OUTBOUND_TRUNK_ID", "AGENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_agent_worker_refuses_an_unknown_mode_as_a_usage_error(bare_env, capsys):
    from entrypoints.cli import main

    assert main(["agent-worker", "serve"]) == 2
    assert "mode must be one of start, dev" in capsys.readouterr().err


def test_agent_worker_names_every_missing_setting(bare_env, capsys):
    from entrypoints.cli import main

    assert main(["agent-worker", "start"]) == 1
    err = capsys.readouterr().err
    for name in ("REDIS_URL", "MONGODB_URI", "LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "OPENAI_API_KEY"):
        assert name in err


def test_the_worker_registers_the_entrypoint_under_the_configured_agent_name(bare_env):
    from entrypoints.agent_worker import agent_call_settings, build_server, entrypoint
    from infrastructure.settings import load_settings

    settings = load_settings(agent_name="docshield-test-agent", agent_display_name="Sam", openai_voice="cedar",
                             openai_turn_detection="server_vad", heartbeat_interval_s=9, amd_timeout_s=8.5)
    server = build_server(settings)
    assert server._agent_name == "docshield-test-agent" and server._entrypoint_fnc is entrypoint
    call_settings = agent_call_settings(settings)
    assert call_settings.identity.agent_name == "Sam" and call_settings.voice == "cedar"
    assert call_settings.turn_detection == "server_vad" and call_settings.amd_timeout_s == 8.5
    assert call_settings.heartbeat_interval_s == 5.0  # capped: the waiter calls an agent lost after 15 s


async def test_the_session_summary_comes_from_the_job_report_without_the_callees_words():
    from livekit.agents import Agent
    from livekit.agents.testing import fake_job_context

    from infrastructure.livekit_agent_session import session_summary

    with fake_job_context(job_id="job-7") as ctx:
        session = AgentSession(llm=RecordingModel("Hello there."))
        await session.start(Agent(instructions="base"), record=False)
        await session.run(user_input="This is Dana at Lakeside, my number is 512 555 0143.")
        await session.aclose()
        summary = session_summary(ctx, session)
    assert summary["job_id"] == "job-7" and summary["user_turns"] == 1
    assert "Dana" not in json.dumps(summary) and "chat_history" not in summary and "events" not in summary


async def test_the_worker_entrypoint_wires_the_container_and_hands_back_through_its_redis(
        bare_env, monkeypatch, redis_url, mongo_uri):
    from entrypoints.agent_worker import entrypoint

    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    monkeypatch.setenv("MONGODB_DATABASE", f"t_{uuid.uuid4().hex[:10]}")
    sent = metadata()
    ctx = FakeJobContext(json.dumps(sent))
    await entrypoint(ctx)  # the campaign is not in this database: a FAILED result, handed back
    job_side = RedisHandback.from_url(redis_url)
    try:
        result = await job_side.wait(sent["call_id"], timeout=5)
    finally:
        await job_side.aclose()
    assert result.outcome is CallOutcome.FAILED and result.reason == f"not started: campaign {CAMPAIGN.id} not found"
    assert ctx.api.room.calls == [("remove_participant", "callee"), ("delete_room", "call-x")]


async def test_an_agent_that_cannot_reach_its_database_hands_back_a_failed_result_at_once(
        bare_env, monkeypatch, redis_url):
    from entrypoints.agent_worker import entrypoint
    from tests.servers import free_port

    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("MONGODB_URI", f"mongodb://127.0.0.1:{free_port()}/")
    monkeypatch.setenv("MONGODB_TIMEOUT_MS", "300")
    sent = metadata()
    ctx = FakeJobContext(json.dumps(sent))
    await asyncio.wait_for(entrypoint(ctx), timeout=30)
    job_side = RedisHandback.from_url(redis_url)
    try:
        result = await job_side.wait(sent["call_id"], timeout=5)
    finally:
        await job_side.aclose()
    assert result.outcome is CallOutcome.FAILED and "loading the call's services" in result.reason
    assert ctx.shutdowns == ["agent setup failed"]


async def test_the_agent_side_traces_dial_conversation_and_the_menu_until_a_person(handback):
    agent_side, _job = handback
    deps = deps_with(agent_side)
    deps.telemetry = telemetry = FakeTelemetry()
    call = AgentCall(parse_dispatch_metadata(json.dumps(metadata())), deps, SETTINGS)
    keys = FakeCallControls()
    agent = await call.prepare(keys)
    session = AgentSession(llm=RecordingModel("Hello?"))
    call.attach(session)
    await session.start(agent, record=False)
    call.start()
    try:
        call.answered()
        session.emit("user_input_transcribed", UserInputTranscribedEvent(
            transcript="Thank you for calling Lakeside Orthopedics. For the office manager, press 4.",
            is_final=True))
        for _ in range(100):
            if keys.pressed:
                break
            await asyncio.sleep(0.01)
        call.amd_verdict("human")
    finally:
        await session.aclose()
        await call.finish()
    stages = [name for name, _ in telemetry.stages]
    assert stages == ["dial", "end:dial", "conversation", "navigation", "end:navigation", "end:conversation"]
    assert telemetry.parents["navigation"] == "conversation"
    assert dict(telemetry.stages)["end:navigation"] == {"reached": "person"}


# ------------------------------------------------------------------ the conversation on the room, after the answer

class AnsweredRoom(rtc.EventEmitter):
    """A connected room where the callee has joined and `sip.callStatus` is already active."""

    def __init__(self):
        super().__init__()
        self.name = "call-x"
        self.local_participant = None
        self.remote_participants = {"callee": SimpleNamespace(
            identity="callee", kind=rtc.ParticipantKind.PARTICIPANT_KIND_SIP,
            state=rtc.ParticipantState.PARTICIPANT_STATE_ACTIVE, attributes={"sip.callStatus": "active"})}

    def isconnected(self) -> bool:
        return True


class ReplyRecorder:
    def __init__(self):
        self.replies = []

    def generate_reply(self, **kwargs):
        self.replies.append(kwargs)


async def conversing_call(agent_side, silent_line_s: float = 60.0, **meta):
    from infrastructure.livekit_line_events import converse
    from infrastructure.livekit_room_controls import LiveKitRoomControls

    settings = replace(SETTINGS, amd_enabled=False, beep_detection=False)
    call = AgentCall(parse_dispatch_metadata(json.dumps(metadata(**meta))), deps_with(agent_side), settings)
    room = AnsweredRoom()
    controls = LiveKitRoomControls(room, RoomService(), callee_identity="callee")
    await call.prepare(controls)
    call.core.settings = replace(call.core.settings, silent_line_s=silent_line_s)
    session = call.session = ReplyRecorder()
    task = asyncio.create_task(converse(room, call, session, controls))
    for _ in range(200):
        if session.replies:
            break
        await asyncio.sleep(0.01)
    assert session.replies, "the greeting was never asked for"
    return call, task, room


async def test_dead_air_after_the_answer_hangs_up_the_sip_leg_as_no_answer(handback):
    agent_side, _job = handback
    call, conversing, room = await conversing_call(agent_side, silent_line_s=0.1)
    await asyncio.wait_for(conversing, timeout=5)  # the hang-up removed the callee and deleted the room
    result = await call.core.finish()
    assert result.outcome is CallOutcome.NO_ANSWER and "nobody spoke" in result.reason


async def test_a_model_error_after_the_answer_fails_the_call_rather_than_calling_it_a_hang_up(handback):
    agent_side, _job = handback
    call, conversing, _room = await conversing_call(agent_side)
    call.amd_verdict("human")
    error = RealtimeModelError(timestamp=0.0, label="openai-realtime", error=ConnectionError("socket closed"),
                               recoverable=False)
    call._on_close(CloseEvent(reason=CloseReason.ERROR, error=error))
    await asyncio.wait_for(conversing, timeout=5)
    result = await call.core.finish()
    assert result.outcome is CallOutcome.FAILED
    assert result.decline_reason is None and "ConnectionError" in result.reason


async def test_a_callee_hanging_up_mid_call_is_a_hang_up(handback):
    agent_side, _job = handback
    call, conversing, _room = await conversing_call(agent_side)
    call.amd_verdict("human")
    call._on_close(CloseEvent(reason=CloseReason.PARTICIPANT_DISCONNECTED))
    await asyncio.wait_for(conversing, timeout=5)
    result = await call.core.finish()
    assert (result.outcome, result.decline_reason) == (CallOutcome.DECLINED, "the callee hung up")


async def test_a_phone_leg_dropped_without_closing_the_session_ends_the_call_as_a_hang_up(handback):
    agent_side, _job = handback
    call, conversing, room = await conversing_call(agent_side)
    call.amd_verdict("human")
    room.emit("participant_disconnected", SimpleNamespace(identity="someone-else"))
    await asyncio.sleep(0.05)
    assert not conversing.done(), "another participant leaving does not end the call"
    room.emit("participant_disconnected", room.remote_participants["callee"])
    await asyncio.wait_for(conversing, timeout=5)
    result = await call.core.finish()
    assert (result.outcome, result.decline_reason) == (CallOutcome.DECLINED, "the callee hung up")


async def voicemail_call(agent_side, greeting: str) -> AgentCall:
    call = AgentCall(parse_dispatch_metadata(json.dumps(metadata())), deps_with(agent_side), SETTINGS)
    await call.prepare(FakeCallControls())
    call.core.callee_said(greeting)
    return call


def feed_until_decided(core, pcm: bytes, rate: int = 16000):
    """The callee's audio in 20 ms frames, as the room's audio stream gives it; the core's action and when."""
    frame = 2 * rate // 50
    for start in range(0, len(pcm), frame):
        action = core.line_audio(pcm[start:start + frame])
        if action is not None:
            return action, (start + frame) / 2 / rate
    return None, None


@pytest.mark.parametrize("beep", [True, False])
async def test_after_a_voicemail_verdict_the_message_waits_for_the_beep_or_the_greetings_end(handback, beep):
    from simulator.line_audio import voicemail_audio

    agent_side, _job = handback
    call = await voicemail_call(agent_side, "Hi, you've reached Dr. Patel's office. Please leave a message.")
    core = call.core
    audio = voicemail_audio("dr-patel", beep=beep)
    assert core.line_audio(audio.audio.pcm[:640]) is None, "nothing happens before the verdict"
    call.amd_verdict("machine-vm")
    action, at_s = feed_until_decided(core, audio.audio.pcm)
    if beep:
        assert action == Reply(BEEP_INSTRUCTIONS)
        assert at_s >= audio.beep_end_s and core.progress.beep_heard_at is not None
    else:
        assert action == Reply(NO_BEEP_INSTRUCTIONS)
        assert at_s > audio.greeting_end_s + 1.0 and core.progress.beep_heard_at is None
    assert core.line_audio(audio.audio.pcm[:640]) is None, "one decision only"


async def test_a_full_mailbox_after_the_verdict_ends_the_call_as_no_answer(handback):
    agent_side, _job = handback
    call = await voicemail_call(agent_side, "The mailbox is full and cannot accept any messages.")
    assert isinstance(call.amd_verdict("machine-vm"), HangUp)
    result = await call.core.finish()
    assert result.outcome is CallOutcome.NO_ANSWER and not result.voicemail_left
