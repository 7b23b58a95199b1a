"""Parity: the same line events and callee utterances through both shells of the call core give equal results.

One shell is the LiveKit job (infrastructure.livekit_agent_session with livekit_line_events.converse): a room
whose callee has answered, LiveKitRoomControls (SIP DTMF on the room, the hang-up through a RoomService),
a real AgentSession fed the callee's words as transcription events and conversation items, the callee's
audio frame by frame, the hand-back on the in-memory fake. The other is the simulator's text-mode shell
(simulator.text_call.run_text_call). Both run the same model (the offline brain) and the same coach; the
CallResults must agree on everything a call's rules decide.
"""
from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Union
from zoneinfo import ZoneInfo

import pytest
from livekit import rtc
from livekit.agents import AgentSession, llm
from livekit.agents.voice.events import (ConversationItemAddedEvent, UserInputTranscribedEvent,
                                         UserStateChangedEvent)
from livekit.agents.voice.run_result import RunResult

from application.book_meeting import BookMeeting
from application.call.brief import CallIdentity
from application.call.core import CallCore, CallPorts, CallSettings
from application.call.progress import LineEnding
from application.ports.call_line import CallRequest, CallResult
from domain.campaign import Campaign
from domain.contact import Contact
from domain.front_desk import FrontDeskDetails
from domain.script import Script, default_script
from infrastructure.agent_dispatch import parse_dispatch_metadata
from infrastructure.livekit_agent_session import AgentCall, AgentCallDeps, AgentCallSettings
from infrastructure.livekit_call_line import LiveKitCallLine, LiveKitCallSettings
from infrastructure.livekit_line_events import converse
from infrastructure.livekit_room_controls import LiveKitRoomControls
from infrastructure.offline_coach import OfflineCoach
from infrastructure.sales_agent import SalesAgent
from simulator.line_audio import LineAudio, voicemail_audio
from simulator.offline_brain import OfflineBrain
from simulator.practice_line import PracticeControls
from simulator.text_call import TextChannel, run_text_call
from tests.fakes.calendar import FakeCalendar, FakeCalendarCredentials
from tests.fakes.compliance import FakeDoNotCallList
from tests.fakes.handback import InMemoryHandback
from tests.fakes.repositories import FakeCampaignRepository, FakeContactRepository
from tests.fakes.runtime import FakeClock, FakeScriptCatalog

NOW = datetime(2026, 3, 10, 15, 15, tzinfo=timezone.utc)
ZONE = ZoneInfo("America/Chicago")
CONTACT = Contact(id="c1", first_name="Dana", last_name="Reyes", phone="+15125550143",
                  practice="Lakeside Orthopedics", title="Practice Administrator", timezone="America/Chicago",
                  email="dana@lakeside.example")
CAMPAIGN = Campaign(id="65f0c0ffee0000000000abcd", contact_id="c1", rep_name="Jordan")

Utterance = Union[str, LineAudio]

SCRIPTS: dict[str, list[Utterance]] = {
    "objections then a no": [
        "Hello, this is Dana.",
        "Sorry, who is this? What company?",
        "How much does this cost?",
        "No thank you, we'll pass.",
    ],
    "a menu, a person, an opt-out": [
        "Thank you for calling Lakeside Orthopedics. For billing press 2. For the office manager press 4.",
        "Office manager, this is Dana speaking, how can I help you?",
        "We already have malpractice insurance.",
        "Please take me off your list and don't call this number again.",
    ],
    "a transfer, then a callback": [
        "Lakeside Orthopedics, this is Amy, how can I help you?",
        "One moment, I'll put you through.",
        "This is Dana.",
        "It's not a good time, I'm in the middle of clinic.",
        "Can you call me back on Thursday March 12 at 10:00 AM?",
    ],
    "a receptionist takes a message": [
        "Lakeside Orthopedics, this is Amy, how can I help you?",
        "She's with a patient right now. Can I take a message?",
    ],
    "voicemail with a beep": [
        "Hi, you've reached Lakeside Orthopedics. Please leave a message after the tone.",
        voicemail_audio("parity-beep", beep=True).audio,
    ],
    "voicemail without a beep": [
        "You have reached the voicemail of Lakeside Orthopedics. Leave a message.",
        voicemail_audio("parity-quiet", beep=False).audio,
    ],
    "a full mailbox": ["The mailbox is full and cannot accept any new messages. Goodbye."],
    "a number not in service": ["The number you have dialed is not in service. Please check the number and "
                                "dial again."],
}


def what_the_rules_decided(result: CallResult) -> dict:
    coach = result.report.get("agent", result.report).get("coach", {})
    return {
        "outcome": result.outcome, "reached_human": result.reached_human, "digits": result.digits,
        "voicemail_left": result.voicemail_left, "voicemail_after_beep": result.voicemail_after_beep,
        "disclosed_ai": result.disclosed_ai, "objections": result.objections,
        "decision_maker_reached": result.decision_maker_reached,
        "decline_reason": result.decline_reason, "callback_at": result.callback_at,
        "coaching": [(g["moment"], g["stage"], g["next_move"]) for g in coach.get("given", [])],
        "transcript": [(line.speaker, line.text) for line in result.transcript],
    }


class SlowBrain(OfflineBrain):
    """The offline brain, answering after a short pause as a real model does (the coach reviews first)."""

    def chat(self, *, chat_ctx, tools=None, **kwargs) -> llm.LLMStream:
        stream = super().chat(chat_ctx=chat_ctx, tools=tools, **kwargs)
        run = stream._run

        async def slower() -> None:
            await asyncio.sleep(0.05)
            await run()

        stream._run = slower
        return stream


# ------------------------------------------------------------------ the text shell

@dataclass
class ScriptedLine:
    """The other side of a text-mode call, saying its script whatever the agent does; hangs up at its end."""

    script: list[Utterance]
    ended: LineEnding | None = None
    heard: list[str] = field(default_factory=list)
    hung_up: bool = False

    def pick_up(self) -> Utterance | None:
        return self.next_utterance()

    def next_utterance(self) -> Utterance | None:
        if self.hung_up or not self.script:
            self.ended = LineEnding.HUNG_UP
            return None
        return self.script.pop(0)

    def hear(self, text: str) -> None:
        self.heard.append(text)

    def press(self, digits: str) -> None:
        pass

    def agent_hung_up(self) -> None:
        self.hung_up = True

    def audio_heard_until(self, seconds: float) -> None:
        pass


async def through_the_text_shell(script: list[Utterance], *, contact: Contact = CONTACT,
                                 stored: Script | None = None) -> CallResult:
    clock = FakeClock(NOW)
    line = ScriptedLine(list(script))
    core = CallCore(call_id="call-parity", campaign=CAMPAIGN, contact=contact, script=stored or default_script(),
                    identity=CallIdentity(), controls=PracticeControls(line),
                    ports=CallPorts(do_not_call=FakeDoNotCallList(),
                                    book_meeting=BookMeeting(FakeCalendar(), FakeCalendarCredentials(), clock),
                                    sales_coach=OfflineCoach(), clock=clock),
                    settings=CallSettings(coach_interval_s=3600, digit_pause_s=0.0))
    agent = SalesAgent(core.brief, core.actions, fast_path=core.fast_path)
    core.connect(TextChannel(agent, line, core))
    await run_text_call(core=core, agent=agent, model=OfflineBrain(core.brief, clock, ZONE, core.policy),
                        other_side=line)
    return await core.finish()


# ------------------------------------------------------------------ the LiveKit shell

class Keypad:
    def __init__(self):
        self.keys: list[str] = []

    async def publish_dtmf(self, *, code: int, digit: str) -> None:
        self.keys.append(digit)


class AnsweredRoom(rtc.EventEmitter):
    """A connected room where the callee (SIP) has joined and `sip.callStatus` is active."""

    def __init__(self):
        super().__init__()
        self.name = "call-parity"
        self.local_participant = Keypad()
        self.callee = SimpleNamespace(identity="callee", kind=rtc.ParticipantKind.PARTICIPANT_KIND_SIP,
                                      state=rtc.ParticipantState.PARTICIPANT_STATE_ACTIVE,
                                      attributes={"sip.callStatus": "active"})
        self.remote_participants = {"callee": self.callee}

    def isconnected(self) -> bool:
        return True


class RoomService:
    def __init__(self):
        self.calls: list[str] = []

    async def remove_participant(self, remove) -> None:
        self.calls.append("remove_participant")

    async def delete_room(self, delete) -> None:
        self.calls.append("delete_room")


def dispatch_metadata() -> str:
    line = LiveKitCallLine(LiveKitCallSettings(url="ws://127.0.0.1:1", api_key="k", api_secret="s",
                                               sip_trunk_id="ST_1", agent_name="docshield-sales-agent"),
                           handback=None)
    request = CallRequest(call_id=f"call-{uuid.uuid4().hex[:8]}", campaign=CAMPAIGN, contact=CONTACT,
                          script=default_script(), step=0, final_step=False, started_at=NOW)
    return json.dumps(line.dispatch_metadata(request))


async def idle(call: AgentCall) -> None:
    """Let the spawned listeners (the fast path) finish with what they heard (the dead-air watch sleeps on)."""
    for _ in range(5):
        await asyncio.sleep(0.01)
        pending = [t for t in call.core._background if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=0.2)


async def through_the_livekit_shell(script: list[Utterance], *, contact: Contact = CONTACT,
                                    stored: Script | None = None) -> CallResult:
    clock = FakeClock(NOW)
    handback = InMemoryHandback(lost_after_s=5)
    deps = AgentCallDeps(campaigns=FakeCampaignRepository(CAMPAIGN), contacts=FakeContactRepository(contact),
                         scripts=FakeScriptCatalog(stored), do_not_call=FakeDoNotCallList(),
                         book_meeting=BookMeeting(FakeCalendar(), FakeCalendarCredentials(), clock),
                         sales_coach=OfflineCoach(), handback=handback, clock=clock)
    settings = AgentCallSettings(amd_enabled=False, beep_detection=False, coach_interval_s=3600,
                                 heartbeat_interval_s=0.05)
    call = AgentCall(parse_dispatch_metadata(dispatch_metadata()), deps, settings)
    room, rooms = AnsweredRoom(), RoomService()
    session: AgentSession | None = None
    controls = LiveKitRoomControls(room, rooms, callee_identity="callee", key_interval_s=0.0, settle_s=0.0,
                                   current_speech=lambda: session.current_speech if session else None)
    agent = await call.prepare(controls)
    call.core.fast_path.digit_pause_s = 0.0
    session = AgentSession(llm=SlowBrain(call.core.brief, clock, ZONE, call.core.policy))
    call.attach(session)
    await session.start(agent, record=False)
    call.start()
    conversing = asyncio.create_task(converse(room, call, session, controls))
    try:
        while call.core.progress.answered_at is None:
            await asyncio.sleep(0.01)
        for utterance in script:
            if controls.ended.is_set() or call.core.progress.ended:
                break
            if isinstance(utterance, LineAudio):
                await hear_audio(call, session, utterance)
            else:
                await hear_words(call, session, utterance)
            await idle(call)
        if not (controls.ended.is_set() or call.core.progress.ended):
            room.emit("participant_disconnected", room.callee)  # the callee hangs up
        await asyncio.wait_for(conversing, timeout=10)
        await idle(call)
    finally:
        await controls.end_now()
        await session.aclose()
    sent = await call.finish()
    assert await handback.wait(call.metadata.call_id, timeout=1) == sent, "the result goes back as it was made"
    assert "".join(room.local_participant.keys) == "".join(sent.digits), "keys really went out as SIP DTMF"
    return sent


async def hear_words(call: AgentCall, session: AgentSession, text: str) -> None:
    """The callee says `text`: the transcriber streams it, the turn ends; the model answers unless the fast
    path already acted on it (it interrupts the model and notes what it did)."""
    acted_before = len(call.core.fast_path.actions)
    session.emit("user_input_transcribed", UserInputTranscribedEvent(transcript=text, is_final=True))
    await idle(call)
    session.emit("user_state_changed", UserStateChangedEvent(old_state="speaking", new_state="listening"))
    await idle(call)
    if len(call.core.fast_path.actions) > acted_before:
        session.emit("conversation_item_added", ConversationItemAddedEvent(
            item=llm.ChatMessage(role="user", content=[text])))
        return
    await session.run(user_input=text)


async def hear_audio(call: AgentCall, session: AgentSession, audio: LineAudio) -> None:
    """The callee's audio, in the 20 ms frames the room's audio stream gives, until the core acts."""
    frame = 2 * audio.sample_rate // 50
    for start in range(0, len(audio.pcm), frame):
        action = call.core.line_audio(audio.pcm[start:start + frame])
        if action is None:
            continue
        # What the room shell does (call.act), awaited here to its end like a run.
        result = RunResult(output_type=None, session=session)
        session._global_run_state = result
        call.act(action)
        if session._global_run_state is result and result._handles:
            await result
        return


# ------------------------------------------------------------------ the test

@pytest.mark.parametrize("name", list(SCRIPTS))
async def test_the_same_call_through_the_livekit_shell_and_the_text_shell_gives_the_same_result(name):
    text = await through_the_text_shell(SCRIPTS[name])
    live = await through_the_livekit_shell(SCRIPTS[name])
    assert what_the_rules_decided(live) == what_the_rules_decided(text)


async def test_the_parity_cases_cover_what_the_rules_decide():
    """The scripts above are not all alike: each rule the parity is claimed for is exercised by some case."""
    results = {name: what_the_rules_decided(await through_the_text_shell(script))
               for name, script in SCRIPTS.items()}
    outcomes = {r["outcome"].value for r in results.values()}
    assert {"declined", "opted_out", "callback_requested", "voicemail_left", "no_answer", "wrong_number"} <= outcomes
    assert any(r["digits"] for r in results.values())
    assert {r["voicemail_after_beep"] for r in results.values()} >= {True, False}
    assert any(r["objections"] for r in results.values()) and any(r["disclosed_ai"] for r in results.values())
    assert {m for r in results.values() for m, _s, _n in r["coaching"]} >= {"objection", "transfer"}
    assert {r["decision_maker_reached"] for r in results.values()} == {True, False}


async def test_a_live_call_records_reaching_the_person_it_asks_for():
    """On the LiveKit shell too: after a transfer, the person asked for says who they are (the report's funnel
    counts it); a receptionist who only takes a message is a person, not the decision maker."""
    assert (await through_the_livekit_shell(SCRIPTS["a transfer, then a callback"])).decision_maker_reached is True
    message = await through_the_livekit_shell(SCRIPTS["a receptionist takes a message"])
    assert (message.reached_human, message.decision_maker_reached) == (True, False)


# A batch's stored script from before `{ask_for}`: it names the contact with `{first_name} {last_name}`.
STORED = replace(default_script(), id="stored-before-ask-for", version=3,
                 greeting="Hi, this is {agent_name}, an AI assistant calling for {company}. This call is recorded. "
                          "May I speak with {first_name} {last_name}?",
                 introduction="Thanks, {first_name}. {company} insures practices like {practice}, and {rep_name} "
                              "would like a {meeting_minutes}-minute call to compare options. Would that be useful?")
KENT_KNOWN = replace(CONTACT, known=FrontDeskDetails(decision_maker="Dr. Kent"))


@pytest.mark.parametrize("shell", [through_the_text_shell, through_the_livekit_shell])
async def test_a_stored_script_naming_the_contact_asks_for_the_known_decision_maker_and_addresses_him(shell):
    """Issue 14: the person asked for is the one the next call should ask for (Contact.sought_name), whatever
    placeholders the stored script uses; "Speaking." from him is him, never the contact of record."""
    result = await shell(["Lakeside Orthopedics.", "One moment, I'll put you through.", "Speaking.",
                          "No thank you, we'll pass."], contact=KENT_KNOWN, stored=STORED)
    said = [line.text for line in result.transcript if line.speaker == "agent"]
    assert said[0].endswith("May I speak with Dr. Kent?"), said
    assert any(line.startswith("Hi Dr. Kent, this is Alex") for line in said), said
    assert not any("Dana" in line for line in said), said
    assert result.outcome.value == "declined"


async def test_a_text_call_builds_no_end_of_turn_model(monkeypatch):
    """Text has no audio to end a turn in: the text shell's session has no turn detector, so the library's
    local end-of-turn model (about 5 ms of CPU to build) is never made. The live shell's default one is."""
    from livekit.agents.inference.eot import transports

    built: list[object] = []

    class CountedModel(transports._EOT):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            built.append(self)
            super().__init__()

    monkeypatch.setattr(transports, "_EOT", CountedModel)
    name = next(iter(SCRIPTS))
    await through_the_text_shell(SCRIPTS[name])
    assert built == []
    await through_the_livekit_shell(SCRIPTS[name])
    assert len(built) == 1
