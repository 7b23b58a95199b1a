"""The sales coach on an OpenAI chat model, answering in a fixed JSON shape."""
from __future__ import annotations

import json
from typing import Sequence

from openai import APIConnectionError, APIStatusError, APITimeoutError, AsyncOpenAI

from application.errors import TransientFault
from domain.call_record import TranscriptLine
from domain.coaching import Guidance, Stage

COACH_PROMPT = """You coach an AI sales assistant on a live outbound call for DocShield, a malpractice insurer
for independent medical practices. The goal is a 15-minute meeting with the sales rep. Read the transcript and
answer with the stage, the agent's next best move (one sentence), anything it missed (the AI-assistant and
recording disclosure in the opening, an unanswered objection, a question left hanging) and warnings when it drifts
from the script or the rules (no prices, no coverage promises, no medical or legal advice, always truthful about
being an AI). Be brief."""

GUIDANCE_SCHEMA = {
    "name": "guidance",
    "strict": True,
    "schema": {
        "type": "object",
        "additionalProperties": False,
        "required": ["stage", "next_move", "missed", "warnings"],
        "properties": {
            "stage": {"type": "string", "enum": [s.value for s in Stage]},
            "next_move": {"type": "string"},
            "missed": {"type": "array", "items": {"type": "string"}},
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
    },
}


class OpenAICoach:
    def __init__(self, *, api_key: str, model: str, base_url: str | None = None, timeout_s: float = 10.0):
        self.client = AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0)
        self.model = model

    async def review(self, transcript: Sequence[TranscriptLine]) -> Guidance:
        conversation = "\n".join(f"{line.speaker}: {line.text}" for line in transcript)
        try:
            response = await self.client.chat.completions.create(
                model=self.model,
                messages=[{"role": "system", "content": COACH_PROMPT},
                          {"role": "user", "content": conversation}],
                response_format={"type": "json_schema", "json_schema": GUIDANCE_SCHEMA},
                temperature=0.2,
            )
        except (APITimeoutError, APIConnectionError) as exc:
            raise TransientFault("openai", type(exc).__name__) from exc
        except APIStatusError as exc:
            if exc.status_code >= 500 or exc.status_code == 429:
                raise TransientFault("openai", f"HTTP {exc.status_code}") from exc
            raise
        body = json.loads(response.choices[0].message.content or "{}")
        return Guidance(stage=Stage(body["stage"]), next_move=body["next_move"], missed=tuple(body["missed"]),
                        warnings=tuple(body["warnings"]), source=f"openai:{self.model}")

    async def aclose(self) -> None:
        await self.client.close()
