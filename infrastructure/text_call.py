"""A call in text mode: the sales agent in a real AgentSession without a room, text in and text out.

Every tool runs as in production; only the audio is missing. The other side
is anything with pick_up / next_utterance / hear (the simulated practice).
"""
from __future__ import annotations

import logging
from typing import Callable, Protocol

from livekit.agents import AgentSession, llm

from application.call_progress import CallProgress, LineEnding
from application.ports.clock import Clock
from infrastructure.offline_listening import BEEP, SILENCE, discloses_ai
from infrastructure.sales_agent import SalesAgent

log = logging.getLogger(__name__)
MAX_TURNS = 60


class OtherSide(Protocol):
    def pick_up(self) -> str | None: ...

    def next_utterance(self) -> str | None: ...

    def hear(self, text: str) -> None: ...


async def run_text_call(*, agent: SalesAgent, model: llm.LLM, other_side: OtherSide, progress: CallProgress,
                        clock: Clock, max_turns: int = MAX_TURNS,
                        on_turn: Callable[[], None] | None = None) -> None:
    """Converse until the agent or the line ends the call (or `max_turns` pass); fills `progress`."""
    session = AgentSession(llm=model)
    await session.start(agent, record=False)
    try:
        utterance = other_side.pick_up()
        turns = 0
        while utterance is not None and not progress.ended:
            if turns >= max_turns:
                progress.line_ending = LineEnding.TIMED_OUT
                progress.reason = f"no ending after {max_turns} turns"
                break
            turns += 1
            cue = utterance in (BEEP, SILENCE)
            progress.said("line" if cue else "callee", utterance, clock.now())
            result = await session.run(user_input=utterance)
            for event in result.events:
                if event.type == "message" and event.item.role == "assistant":
                    text = event.item.text_content or ""
                    if not text:
                        continue
                    progress.said("agent", text, clock.now())
                    if discloses_ai(text):
                        progress.disclosed_ai = True
                    other_side.hear(text)
            if on_turn is not None:
                on_turn()
            if progress.ended:
                break
            utterance = other_side.next_utterance()
        if utterance is None and not progress.ended and progress.line_ending is None:
            progress.line_ending = LineEnding.HUNG_UP
    finally:
        await session.aclose()
