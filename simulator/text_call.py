"""A call in text mode: the sales agent in a real AgentSession without a room, text in and text out.

Every tool runs as in production; only speech is text. The other side is
anything with pick_up / next_utterance / hear / audio_heard_until (the
simulated practice); it speaks text, or LineAudio when there are no words (a
voicemail box's beep, silence). As in production, the agent side handles what
needs no model: menus go through the PhoneTreeFastPath before the model sees
them, and line audio goes through VoicemailWatch (the real BeepDetector); the
model is woken with a LineCue when it is time to speak.
"""
from __future__ import annotations

import logging
from typing import Callable, Protocol, Union

from livekit.agents import AgentSession, llm

from application.call_progress import CallProgress, LineEnding
from application.call_stages import CallStages
from application.phone_tree_fast_path import PhoneTreeFastPath
from application.ports.clock import Clock
from application.voicemail_watch import VoicemailWatch
from domain.menu_navigator import NavDecision
from domain.voicemail import VoicemailStep
from infrastructure.offline_listening import LineCue, discloses_ai
from infrastructure.sales_agent import SalesAgent
from simulator.line_audio import LineAudio
from simulator.text_coaching import TextCoaching

log = logging.getLogger(__name__)
MAX_TURNS = 60


class OtherSide(Protocol):
    def pick_up(self) -> str | None: ...

    def next_utterance(self) -> Union[str, LineAudio, None]: ...

    def hear(self, text: str) -> None: ...

    def audio_heard_until(self, seconds: float) -> None:
        """The agent listened to the last LineAudio up to `seconds` into it, then acted."""


class TextChannel:
    """AgentChannel in text mode: words for a speech menu go to the other side, notes to the agent's chat."""

    def __init__(self, agent: SalesAgent, other_side: OtherSide, progress: CallProgress, clock: Clock):
        self.agent = agent
        self.other_side = other_side
        self.progress = progress
        self.clock = clock

    async def speak_to_menu(self, words: str) -> None:
        self.progress.said("agent", words, self.clock.now())
        self.other_side.hear(words)

    async def note_menu_action(self, decision: NavDecision) -> None:
        await self.agent.note_menu_action(decision)


async def run_text_call(*, agent: SalesAgent, model: llm.LLM, other_side: OtherSide, progress: CallProgress,
                        clock: Clock, max_turns: int = MAX_TURNS, fast_path: PhoneTreeFastPath | None = None,
                        on_turn: Callable[[], None] | None = None, coaching: TextCoaching | None = None,
                        stages: CallStages | None = None) -> list:
    """Converse until the agent or the line ends the call (or `max_turns` pass); fills `progress`.

    Returns the model usage livekit-agents counted for the session (a list of usage summaries).

    With `fast_path`, its channel should be a TextChannel on this agent and other side.
    With `coaching` (on this agent), the sales coach reviews the call before the replies
    that follow a key moment or an interval, and its guidance is in the instructions of
    that very reply. `stages` hears of the dial, the answer, who was reached and the end.
    """
    stages = stages or CallStages()
    session = AgentSession(llm=model)
    await session.start(agent, record=False)
    greeting: list[str] = []  # the current party's words since the agent last spoke
    watch: VoicemailWatch | None = None  # listening to the line's audio since the last words
    try:
        stages.dialing()
        utterance: Union[str, LineAudio, None] = other_side.pick_up()
        if utterance is None:
            stages.not_answered(progress.line_ending.value if progress.line_ending else "no_answer")
        else:
            stages.answered()
        turns = 0
        while utterance is not None and not progress.ended:
            if progress.reached_human:
                stages.reached("person")
            elif isinstance(utterance, LineAudio):
                stages.reached("voicemail")
            if turns >= max_turns:
                progress.line_ending = LineEnding.TIMED_OUT
                progress.reason = f"no ending after {max_turns} turns"
                break
            turns += 1
            if isinstance(utterance, LineAudio):
                if watch is None:
                    watch = VoicemailWatch(utterance.sample_rate)
                    for words in greeting:
                        watch.greeting(words)
                cue = _listen(watch, utterance, other_side, progress, clock)
                if cue is None:
                    utterance = other_side.next_utterance()
                    continue
                text = cue.render()
                progress.said("line", text, clock.now())
            else:
                text = utterance
                watch = None
                progress.said("callee", text, clock.now())
                greeting.append(text)
                if fast_path is not None:
                    fast_path.new_prompt()
                    if await fast_path.hear_prompt(text) is not None:
                        greeting = []
                        utterance = other_side.next_utterance()
                        continue
            if coaching is not None:
                await coaching.before_reply(text, progress.transcript)
            result = await session.run(user_input=text)
            for event in result.events:
                if event.type == "message" and event.item.role == "assistant":
                    said = event.item.text_content or ""
                    if not said:
                        continue
                    greeting = []
                    progress.said("agent", said, clock.now())
                    if discloses_ai(said):
                        progress.disclosed_ai = True
                    other_side.hear(said)
            if on_turn is not None:
                on_turn()
            if progress.ended:
                break
            utterance = other_side.next_utterance()
        if utterance is None and not progress.ended and progress.line_ending is None:
            progress.line_ending = LineEnding.HUNG_UP
    finally:
        await session.aclose()
        if coaching is not None:
            coaching.catch_up(progress.transcript)
        stages.ended(progress.final_outcome().value)
    return list(session.usage.model_usage)


def _listen(watch: VoicemailWatch, audio: LineAudio, other_side: OtherSide, progress: CallProgress,
            clock: Clock) -> LineCue | None:
    """Run the voicemail watch on the clip; the cue to wake the model with, or None to keep listening."""
    before = watch.now_s
    decision = watch.feed(audio.pcm)
    other_side.audio_heard_until(watch.now_s - before)
    if decision.step is VoicemailStep.WAIT:
        return None
    if watch.spoke_after_beep and watch.beep is not None:
        progress.beep(clock.now())
        return LineCue("beep", watch.beep.end_s, watch.now_s, watch.beep.frequency_hz)
    return LineCue("quiet", watch.last_speech_s or 0.0, watch.now_s)
