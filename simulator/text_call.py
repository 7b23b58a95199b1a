"""The text-mode shell over the call core: the sales agent in a real AgentSession without a room.

Every tool runs as in production; only speech is text. The other side is anything with pick_up /
next_utterance / hear / audio_heard_until / ended (the simulated practice): it speaks text, or LineAudio
when there are no words (a voicemail box's greeting tail, beep and silence). This shell only feeds the
core the line's events (answered or not, each utterance, the audio, the hang-up) and carries out what
the core answers: `Reply(instructions)` runs the model with exactly the instructions a live call gives
it, `HangUp` ends the call. The decisions (who answered, when to leave the voicemail, objections,
disclosure, coaching, the outcome) are the core's, as on a live call.
"""
from __future__ import annotations

import logging
from typing import Callable, Protocol, Union

from livekit.agents import AgentSession, llm
from livekit.agents.voice.run_result import RunResult

from application.call.core import Action, CallCore, HangUp, Reply
from application.call.progress import LineEnding
from domain.menu_navigator import NavDecision
from domain.voicemail_detector import Answerer, GreetingVerdict
from infrastructure.sales_agent import SalesAgent
from simulator.line_audio import LineAudio

log = logging.getLogger(__name__)
MAX_TURNS = 60


class OtherSide(Protocol):
    ended: LineEnding | None  # how the line ended the call (set when an utterance comes back None)

    def pick_up(self) -> str | None: ...

    def next_utterance(self) -> Union[str, LineAudio, None]: ...

    def hear(self, text: str) -> None: ...

    def audio_heard_until(self, seconds: float) -> None:
        """The agent listened to the last LineAudio up to `seconds` into it, then acted."""


class TextChannel:
    """AgentChannel in text mode: words for a speech menu go to the other side, the rest to the agent."""

    def __init__(self, agent: SalesAgent, other_side: OtherSide, core: CallCore):
        self.agent = agent
        self.other_side = other_side
        self.core = core

    async def speak_to_menu(self, words: str) -> None:
        self.core.agent_said(words)
        self.other_side.hear(words)

    async def note_menu_action(self, decision: NavDecision) -> None:
        await self.agent.note_menu_action(decision)

    async def update_instructions(self, instructions: str) -> None:
        await self.agent.update_instructions(instructions)


async def run_text_call(*, core: CallCore, agent: SalesAgent, model: llm.LLM, other_side: OtherSide,
                        max_turns: int = MAX_TURNS, on_turn: Callable[[], None] | None = None) -> list:
    """Converse until the agent, the core or the line ends the call (or `max_turns` pass); fills core.progress.

    Returns the model usage livekit-agents counted for the session (a list of usage summaries)."""
    progress = core.progress
    # No turn detector: text has no audio to end a turn in (livekit-agents' default builds its local
    # end-of-turn model for every session, about 5 ms of CPU a call, and never hears a frame).
    session = AgentSession(llm=model, turn_handling={"turn_detection": None})
    await session.start(agent, record=False)
    try:
        core.dialing()
        utterance: Union[str, LineAudio, None] = other_side.pick_up()
        if utterance is None:
            core.not_answered(other_side.ended or LineEnding.NO_ANSWER)
        else:
            core.answered()
        turns = 0
        while utterance is not None and not progress.ended:
            if turns >= max_turns:
                core.timed_out(f"no ending after {max_turns} turns")
                break
            turns += 1
            if isinstance(utterance, LineAudio):
                action = _audio(core, utterance, other_side)
                if action is None:
                    utterance = other_side.next_utterance()
                    continue
            else:
                action = core.callee_said(utterance)
                if action is None and await core.hear_prompt(utterance):
                    utterance = other_side.next_utterance()
                    continue
            if isinstance(action, HangUp):
                await core.controls.hang_up()
                break
            await core.coach.before_reply()
            for said in await _reply(session, utterance, action):
                core.agent_said(said)
                other_side.hear(said)
            if on_turn is not None:
                on_turn()
            if progress.ended:
                break
            utterance = other_side.next_utterance()
        if utterance is None and other_side.ended is not None and progress.line_ending is None \
                and not progress.ended:
            if other_side.ended is LineEnding.HUNG_UP:
                core.hung_up()
            else:
                progress.line_ending = other_side.ended
    finally:
        await session.aclose()
    return list(session.usage.model_usage)


def _audio(core: CallCore, audio: LineAudio, other_side: OtherSide) -> Action | None:
    """The line plays sound without words: a machine. The core listens for the moment to speak."""
    if core.party is not Answerer.VOICEMAIL:
        # Text mode has no detector on the audio: sound without words after a greeting is a message box.
        verdict = core.verdict(GreetingVerdict(Answerer.VOICEMAIL, rule="tones_without_words"), source="line")
        if verdict is not None:
            return verdict
    watch = core.voicemail
    before = watch.now_s if watch else 0.0
    action = core.line_audio(audio.pcm)
    other_side.audio_heard_until((watch.now_s if watch else 0.0) - before)
    return action


async def reply_with_instructions(session: AgentSession, instructions: str) -> RunResult:
    """The model's turn asked for with `instructions` (as a live call's generate_reply), awaited to its end.

    What AgentSession.run does for user input: generate_reply watches the handle of the run in
    progress, tool follow-ups included."""
    result: RunResult = RunResult(output_type=None, session=session)
    session._global_run_state = result
    session.generate_reply(instructions=instructions)
    return await result


async def _reply(session: AgentSession, utterance: Union[str, LineAudio], action: Action | None) -> list[str]:
    """Run the model for one turn: on the callee's words, or on the core's instructions; what the agent said."""
    if isinstance(action, Reply):
        result = await reply_with_instructions(session, action.instructions)
    else:
        result = await session.run(user_input=str(utterance))
    return [event.item.text_content for event in result.events
            if event.type == "message" and event.item.role == "assistant" and event.item.text_content]
