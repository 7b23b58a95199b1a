"""The answering-machine detector (livekit-agents AMD) as the product runs it, for every shell with an AgentSession.

The LiveKit job (infrastructure.livekit_line_events) and the simulator's audio harness start it the same way,
at the answer, with the same options: it holds the agent's speech until its verdict, interrupts the agent
on a machine, hands a menu to livekit-agents' IVR navigation, and gives up after `DETECTION_TIMEOUT_S`
(its one window: with no verdict, or no speech at all, by then it says "uncertain"; then the callee's words
decide, in the call core). Its text model is the shell's: OpenAI's on a live call,
a scripted stand-in in the harness. The verdict goes to the core through `SessionFeed.amd_verdict`
(infrastructure.session_feed, which maps the detector's categories to the core's verdicts: this module
imports no rule, so the settings can read its timeout without compiling the detectors' phrase lists).
"""
from __future__ import annotations

from typing import Any

DETECTION_TIMEOUT_S = 6.0  # from the answer; past it the detector says "uncertain"


async def start_detector(session: Any, model: Any, *, timeout_s: float = DETECTION_TIMEOUT_S,
                         participant_identity: str | None = None) -> Any:
    """A started AMD on `session` (an AgentSession) classifying with `model` (an llm.LLM). In a room it
    listens to `participant_identity` from its SIP answer; without a room, from now."""
    from livekit.agents.voice.amd import AMD

    amd = AMD(session, llm=model, interrupt_on_machine=True, ivr_detection=True,
              suppress_compatibility_warning=True, wait_until_finished=False,
              detection_options={"timeout": timeout_s, "no_speech_threshold": timeout_s},
              **({"participant_identity": participant_identity} if participant_identity else {}))
    await amd.__aenter__()
    return amd


async def take_verdict(feed: Any, amd: Any) -> None:
    """Wait for the detector's verdict and hand it to the core (`feed`: a SessionFeed)."""
    try:
        verdict = await amd.execute()
    except RuntimeError:  # closed before a verdict (the call ended first)
        return
    feed.act(feed.amd_verdict(verdict.category.value, reason=verdict.reason, delay_s=verdict.delay))
