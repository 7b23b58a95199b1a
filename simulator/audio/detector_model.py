"""A scripted text model for the answering-machine detector: the domain's greeting classifier in its place.

On a live call livekit-agents' AMD asks an OpenAI text model to label the greeting's transcript, with two
tools: `save_prediction(label)` and `postpone_termination(seconds)`. Offline, this model answers the same
request by reading the transcript it is given with `domain.voicemail_detector.classify_greeting`, so on
sound the detector's own timing (speech and silence thresholds, end of turn, its timeout) runs on the
recognized, imperfect words, and the verdict's time is the detector's.
"""
from __future__ import annotations

import json
import uuid

from livekit.agents import llm
from livekit.agents.llm import ChatChunk, ChoiceDelta, FunctionToolCall
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS

from domain.voicemail_detector import Answerer, classify_greeting
from infrastructure.session_feed import AMD_VERDICTS

# The detector's label for each answerer; a screener asking who calls is "machine-ivr" and a carrier's
# announcement "machine-unavailable", as the detector's own prompt has them.
LABELS = {**{answerer: label for label, answerer in AMD_VERDICTS.items()},
          Answerer.SCREENING: "machine-ivr", Answerer.CARRIER: "machine-unavailable"}
MORE_WORDS_S = 3.0  # what the model asks to wait when the words do not decide yet


class DetectorModel(llm.LLM):
    """llm.LLM labelling a greeting the way the product's classifier reads it."""

    @property
    def model(self) -> str:
        return "greeting-classifier"

    @property
    def provider(self) -> str:
        return "docshield"

    def chat(self, *, chat_ctx: llm.ChatContext, tools=None, conn_options=DEFAULT_API_CONNECT_OPTIONS,
             parallel_tool_calls=None, tool_choice=None, extra_kwargs=None) -> llm.LLMStream:
        return _LabelStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)

    @staticmethod
    def answer(transcript: str, offered: set[str]) -> tuple[str, dict]:
        """The tool call for `transcript`, among the tools `offered` by name."""
        answerer = classify_greeting(transcript).answerer
        if answerer is Answerer.UNCERTAIN and "postpone_termination" in offered:
            return "postpone_termination", {"seconds": MORE_WORDS_S}
        return "save_prediction", {"label": LABELS[answerer]}


class _LabelStream(llm.LLMStream):
    async def _run(self) -> None:
        said = [item.text_content or "" for item in self._chat_ctx.items
                if item.type == "message" and item.role == "user"]
        offered = {tool.id for tool in self._tools if hasattr(tool, "id")}
        name, arguments = DetectorModel.answer(said[-1] if said else "", offered)
        call = FunctionToolCall(name=name, arguments=json.dumps(arguments), call_id=f"call_{uuid.uuid4().hex[:10]}")
        self._event_ch.send_nowait(ChatChunk(id=uuid.uuid4().hex[:12],
                                             delta=ChoiceDelta(role="assistant", tool_calls=[call])))
