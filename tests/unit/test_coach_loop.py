"""The coach loop steers the agent and never holds up the call."""
from __future__ import annotations

import asyncio

from application.call.coaching import CoachLoop
from domain.call_record import TranscriptLine
from domain.coaching import Guidance, Stage
from infrastructure.offline_coach import OfflineCoach


class Agent:
    """Stands in for the live agent: keeps the instructions the loop gives it."""

    def __init__(self):
        self.instructions = "base"

    async def apply(self, guidance: Guidance) -> None:
        self.instructions = "base\n" + guidance.as_instructions()


class SlowCoach:
    async def review(self, transcript):
        await asyncio.sleep(60)


class BrokenCoach:
    async def review(self, transcript):
        raise RuntimeError("model fell over")


async def test_guidance_changes_the_agents_instructions():
    agent = Agent()
    loop = CoachLoop(OfflineCoach(), agent.apply, interval_s=60)
    loop.heard(TranscriptLine("agent", "Hi, this is Alex, an AI assistant calling for DocShield; this call is recorded."))
    loop.heard(TranscriptLine("callee", "We already have a policy."))
    guidance = await loop.review_now()
    assert guidance.stage is Stage.OBJECTION
    assert "already_insured" in agent.instructions


async def test_a_key_moment_wakes_the_coach_before_the_interval():
    agent = Agent()
    loop = CoachLoop(OfflineCoach(), agent.apply, interval_s=3600)
    loop.start()
    loop.heard(TranscriptLine("callee", "How much does it cost?"))
    loop.key_moment("objection")
    for _ in range(100):
        if loop.guidance:
            break
        await asyncio.sleep(0.01)
    await loop.stop()
    assert loop.guidance and "cost" in agent.instructions


async def test_a_slow_coach_is_skipped_and_the_call_goes_on():
    agent = Agent()
    loop = CoachLoop(SlowCoach(), agent.apply, interval_s=3600, timeout_s=0.05)
    loop.heard(TranscriptLine("callee", "Hello?"))
    assert await loop.review_now() is None
    assert loop.skipped == 1 and agent.instructions == "base"


async def test_a_failing_coach_is_skipped_and_the_call_goes_on():
    agent = Agent()
    loop = CoachLoop(BrokenCoach(), agent.apply, interval_s=3600)
    loop.heard(TranscriptLine("callee", "Hello?"))
    assert await loop.review_now() is None
    assert loop.skipped == 1 and agent.instructions == "base"


async def test_nothing_new_said_means_no_review():
    agent = Agent()
    loop = CoachLoop(OfflineCoach(), agent.apply)
    loop.heard(TranscriptLine("callee", "Hello?"))
    assert await loop.review_now() is not None
    assert await loop.review_now() is None
