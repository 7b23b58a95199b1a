"""The sales coach in text-mode calls: its guidance reaches the very next reply, and a broken coach changes nothing."""
from __future__ import annotations

import asyncio

import pytest

from infrastructure.offline_coach import OfflineCoach
from tests.agent.text_call_world import scenario, text_call_world

OBJECTION_LINE = """      start: {person: receptionist, says: "Lakeside Ortho, this is Amy.", transfers_to: dana}
      dana: {person: decision_maker, says: "This is Dana.", objections: [cost], decision: accept,
             availability: ["2026-03-11T09:00/2026-03-11T17:00"]}"""


class RaisingCoach:
    async def review(self, transcript):
        raise RuntimeError("the coach model fell over")


class HangingCoach:
    async def review(self, transcript):
        await asyncio.sleep(3600)


def instructions_of(ctx) -> str:
    """The instructions the model was given with this chat context."""
    return "\n".join(i.text_content or "" for i in ctx.items
                     if i.type == "message" and i.role in ("system", "developer"))


async def coached_call(s, coach, *, interval_s: float = 15.0):
    with text_call_world(s, coach=coach, interval_s=interval_s, timeout_s=0.05) as w:
        asked: list[tuple[str, str]] = []  # (the callee's last words, the instructions) each time the model answered
        answer = w.brain.answer

        def spy(ctx):
            last = ctx.items[-1]
            said = last.text_content if last.type == "message" and last.role == "user" else ""
            asked.append((said or "", instructions_of(ctx)))
            return answer(ctx)

        w.brain.answer = spy
        await w.run()
        return await w.core.finish(), w.core.coach, asked, w.brief


async def test_after_an_objection_the_very_next_reply_carries_the_coachs_guidance(tmp_path):
    s = scenario(tmp_path, OBJECTION_LINE)
    result, coaching, asked, brief = await coached_call(s, OfflineCoach())
    objection = next(i for i, (said, _) in enumerate(asked) if "cost" in said.lower() or "how much" in said.lower())
    said, instructions = asked[objection]
    assert "Coach (stage: objection)" in instructions and "'cost' handler" in instructions
    assert instructions.startswith(brief.instructions)
    # The block replaces, never piles up.
    assert instructions.count("Coach (stage:") == 1
    moments = [g["moment"] for g in coaching.given]
    assert "objection" in moments and "transfer" in moments
    given = next(g for g in coaching.given if g["moment"] == "objection")
    assert given["stage"] == "objection" and "cost" in given["next_move"]
    assert result.outcome.value == "meeting_booked"


async def test_before_any_key_moment_the_instructions_are_the_briefs_own(tmp_path):
    s = scenario(tmp_path, OBJECTION_LINE)
    _result, _coaching, asked, brief = await coached_call(s, OfflineCoach(), interval_s=3600)
    first_said, first_instructions = asked[0]
    assert "Amy" in first_said
    assert "Coach (stage:" not in first_instructions and first_instructions.strip() == brief.instructions.strip()


async def test_the_interval_on_the_simulated_clock_brings_reviews_without_key_moments(tmp_path):
    s = scenario(tmp_path, """      start: {person: decision_maker, says: "This is Dana.", decision: accept,
              availability: ["2026-03-11T09:00/2026-03-11T17:00"]}""")
    _r, sparse, *_ = await coached_call(s, OfflineCoach(), interval_s=3600)
    _r, dense, *_ = await coached_call(s, OfflineCoach(), interval_s=0.001)
    assert sparse.given == []
    assert dense.given and {g["moment"] for g in dense.given} == {"interval"}


@pytest.mark.parametrize("coach", [RaisingCoach(), HangingCoach()], ids=["raises", "hangs"])
async def test_a_coach_that_raises_or_hangs_does_not_change_the_call(tmp_path, coach):
    s = scenario(tmp_path, OBJECTION_LINE)
    plain, _none, plain_asked, _ = await coached_call(s, None)
    broken, coaching, broken_asked, brief = await coached_call(s, coach)
    assert broken.outcome is plain.outcome and broken.outcome.value == "meeting_booked"
    assert broken.meeting == plain.meeting and broken.objections == plain.objections
    assert [l.text for l in broken.transcript] == [l.text for l in plain.transcript]
    assert coaching.skipped >= 2 and coaching.given == []
    assert all("Coach (stage:" not in instructions for _, instructions in broken_asked)
