"""One suite for the SalesCoach port: the rule-based coach and the OpenAI coach on a local stub."""
from __future__ import annotations

import pytest

from application.errors import TransientFault
from domain.call_record import TranscriptLine
from domain.coaching import Guidance, Stage
from infrastructure.offline_coach import OfflineCoach
from infrastructure.openai_coach import OpenAICoach
from tests.stubs.openai_chat_stub import ChatCompletionsStub

TRANSCRIPT = [TranscriptLine("agent", "Hi, this is Alex, an AI assistant calling for DocShield; this call is recorded."),
              TranscriptLine("callee", "How much does it cost?")]


@pytest.fixture(params=["offline", "openai"])
async def coach(request):
    if request.param == "offline":
        yield OfflineCoach()
        return
    stub = await ChatCompletionsStub(answer={"stage": "objection", "next_move": "use the cost handler",
                                             "missed": [], "warnings": []}).start()
    adapter = OpenAICoach(api_key="sk-test", model="gpt-test", base_url=stub.base_url)
    adapter.stub = stub
    yield adapter
    await adapter.aclose()
    await stub.stop()


async def test_review_returns_guidance_for_the_current_stage(coach):
    guidance = await coach.review(TRANSCRIPT)
    assert isinstance(guidance, Guidance)
    assert guidance.stage is Stage.OBJECTION and "cost" in guidance.next_move


async def test_the_openai_coach_sends_the_transcript_and_asks_for_the_schema():
    stub = await ChatCompletionsStub(answer={"stage": "pitch", "next_move": "ask for the meeting", "missed": ["x"],
                                             "warnings": []}).start()
    coach = OpenAICoach(api_key="sk-test", model="gpt-test", base_url=stub.base_url)
    try:
        guidance = await coach.review(TRANSCRIPT)
    finally:
        await coach.aclose()
        await stub.stop()
    [request] = stub.requests
    assert request["auth"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "gpt-test"
    assert body["response_format"]["type"] == "json_schema"
    assert "callee: How much does it cost?" in body["messages"][-1]["content"]
    assert guidance.missed == ("x",) and guidance.source == "openai:gpt-test"


async def test_a_server_error_is_a_transient_fault():
    stub = await ChatCompletionsStub(status=503).start()
    coach = OpenAICoach(api_key="sk-test", model="gpt-test", base_url=stub.base_url)
    try:
        with pytest.raises(TransientFault):
            await coach.review(TRANSCRIPT)
    finally:
        await coach.aclose()
        await stub.stop()
