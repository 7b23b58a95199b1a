"""A simple simulated phone line for machines without voice credentials.

It answers every call the same plausible way, with no audio: a receptionist
who takes a message. The scenario-driven practice simulator replaces it
where scenarios are given.
"""
from __future__ import annotations

import asyncio
from datetime import timedelta

from application.call.stages import CallStages
from application.ports.call_line import CallRequest, CallResult, DialingHook
from application.ports.clock import Clock
from application.ports.telemetry import Telemetry
from domain.call_record import TranscriptLine
from domain.outcomes import CallOutcome


class SimulatedLine:
    def __init__(self, clock: Clock, *, agent_name: str = "Alex", company: str = "DocShield",
                 callback_number: str = "(800) 555-0199", hold_s: float = 0.0, telemetry: Telemetry | None = None):
        self.clock = clock
        self.telemetry = telemetry
        self.hold_s = hold_s  # SIMULATED_CALL_SECONDS: a call in progress that long (crash and load tests)
        self.fields = {"agent_name": agent_name, "company": company, "callback_number": callback_number}

    async def conduct(self, request: CallRequest, on_dialing: DialingHook) -> CallResult:
        stages = CallStages(self.telemetry, call_id=request.call_id)
        await on_dialing()
        stages.dialing()
        stages.answered()
        try:
            if self.hold_s:
                await asyncio.sleep(self.hold_s)
        finally:
            stages.ended(CallOutcome.GATEKEEPER_BLOCKED.value)
        values = {**request.contact.template_fields(), **self.fields, "rep_name": request.campaign.rep_name,
                  "slots": ""}
        start = self.clock.now()
        greeting = request.script.line("gatekeeper", values)
        transcript = [
            TranscriptLine("callee", f"{request.contact.practice}, how can I help you?", start),
            TranscriptLine("agent", greeting, start + timedelta(seconds=2)),
            TranscriptLine("callee", "They're with a patient. I'll pass on the message.", start + timedelta(seconds=9)),
            TranscriptLine("agent", request.script.line("closing", values), start + timedelta(seconds=11)),
        ]
        return CallResult(outcome=CallOutcome.GATEKEEPER_BLOCKED, ended_at=start + timedelta(seconds=14),
                          reached_human=True, transcript=transcript, disclosed_ai=True,
                          reason="simulated line: no scenario given")
