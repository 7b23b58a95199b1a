"""The CallLine adapter of the simulator: the call core, in its text-mode shell, calls a simulated practice."""
from __future__ import annotations

import asyncio
import time
from typing import Callable, Mapping
from zoneinfo import ZoneInfo

from livekit.agents import llm

from application.book_meeting import BookMeeting
from application.call.brief import AgentBrief, CallIdentity
from application.call.core import CallCore, CallPorts, CallSettings
from application.call.stages import CallStages
from application.ports.call_line import CallRequest, CallResult, DialingHook
from application.ports.compliance import DoNotCallList
from application.ports.sales_coach import SalesCoach
from application.ports.telemetry import Telemetry
from domain.campaign import MAX_FOLLOW_UPS_PER_STEP
from domain.menu_navigator import TargetPolicy
from domain.model_cost import TokenUsage
from domain.outcomes import CallOutcome
from infrastructure.answering_machine import DETECTION_TIMEOUT_S
from infrastructure.offline_coach import OfflineCoach
from infrastructure.sales_agent import SalesAgent
from simulator.simulated_clock import SimulatedClock
from simulator.practice import Practice
from simulator.scenario import Scenario
from simulator.text_call import MAX_TURNS, TextChannel, run_text_call

ModelFactory = Callable[[AgentBrief, ZoneInfo, TargetPolicy], llm.LLM]


class PracticeControls:
    """CallControls in text mode: keys and hang-ups go to the simulated practice."""

    def __init__(self, practice: Practice):
        self.practice = practice
        self.on_keys: Callable[[str], None] | None = None  # the audio shell times each press

    async def send_dtmf(self, digits: str) -> None:
        self.practice.press(digits)
        if self.on_keys is not None:
            self.on_keys(digits)

    async def hang_up(self) -> None:
        self.practice.agent_hung_up()


class PracticeLine:
    def __init__(self, *, scenarios: Mapping[str, Scenario], clock: SimulatedClock, do_not_call: DoNotCallList,
                 book_meeting: BookMeeting, identity: CallIdentity, model_factory: ModelFactory,
                 coach_factory: Callable[[], SalesCoach] = OfflineCoach, coach_interval_s: float = 15.0,
                 coach_timeout_s: float = 1.0, telemetry: Telemetry | None = None, audio: bool = False,
                 detection_timeout_s: float = DETECTION_TIMEOUT_S, max_follow_ups: int = MAX_FOLLOW_UPS_PER_STEP):
        self.max_follow_ups = max_follow_ups  # the worker's cap: a callback past it is not promised
        self.telemetry = telemetry
        self.audio = audio  # on sound (simulator/audio): the practice speaks, the agent hears and answers aloud
        self.detection_timeout_s = detection_timeout_s  # on sound: the answering-machine detector's window
        self.scenarios = scenarios  # by campaign id
        self.clock = clock
        self.do_not_call = do_not_call
        self.book_meeting = book_meeting
        self.identity = identity
        self.model_factory = model_factory
        self.coach_factory = coach_factory  # a coach per call: the rule-based one keeps per-call state
        self.coach_interval_s = coach_interval_s
        self.coach_timeout_s = coach_timeout_s
        self.conversation_s: dict[str, float] = {}  # wall time spent talking, by campaign id (benchmarks)
        self.usage: dict[str, TokenUsage] = {}  # what the model consumed, by campaign id
        self.max_turns = MAX_TURNS
        self.time_limit_s: float | None = None  # a real model may never end a call: the run's bound per call

    async def conduct(self, request: CallRequest, on_dialing: DialingHook) -> CallResult:
        scenario = self.scenarios.get(request.campaign.id)
        stages = CallStages(self.telemetry, call_id=request.call_id)
        await on_dialing()
        if scenario is None:
            return CallResult(outcome=CallOutcome.FAILED, ended_at=self.clock.now(),
                              reason="simulated practice: no scenario for this campaign")
        started = time.perf_counter()
        practice = Practice(scenario, self.clock.now, self.clock.advance)
        ports = CallPorts(do_not_call=self.do_not_call, book_meeting=self.book_meeting,
                          sales_coach=self.coach_factory(), clock=self.clock, telemetry=self.telemetry)
        core = CallCore(call_id=request.call_id, campaign=request.campaign, contact=request.contact,
                        script=request.script, identity=self.identity, controls=PracticeControls(practice),
                        ports=ports, settings=CallSettings(coach_interval_s=self.coach_interval_s,
                                                           coach_timeout_s=self.coach_timeout_s, digit_pause_s=0.0,
                                                           detector=self.audio, max_follow_ups=self.max_follow_ups),
                        stages=stages, step=request.step, attempt=request.attempt)
        model = self.model_factory(core.brief, scenario.contact_zone, core.policy)
        agent = SalesAgent(core.brief, core.actions, fast_path=core.fast_path)
        report: dict = {"simulated": True, "scenario": scenario.id, "model": model.model}
        try:
            if self.audio:
                report["audio"] = await self._on_sound(core, agent, model, practice)
            else:
                core.connect(TextChannel(agent, practice, core))
                usage = await asyncio.wait_for(
                    run_text_call(core=core, agent=agent, model=model, other_side=practice, max_turns=self.max_turns),
                    timeout=self.time_limit_s)
                self.usage[request.campaign.id] = TokenUsage.from_session_usage(usage)
        except asyncio.TimeoutError:
            core.timed_out(f"the call ran past the simulation's time limit of {self.time_limit_s:g} s")
        finally:
            self.conversation_s[request.campaign.id] = time.perf_counter() - started
        # The line's truth: the box recorded the agent over its greeting (on sound: measured on the line).
        if self.audio:
            from simulator.audio.measures import talked_over_the_box

            talked_over = talked_over_the_box(report["audio"])
        else:
            talked_over = practice.talked_over_greeting
        if talked_over and core.progress.voicemail_left:
            core.progress.voicemail_after_beep = False
        # The line knows who answered; the record keeps what the core judged from the words, as on a live call
        # (the scenario tests check that the two agree).
        report["decision_maker_on_the_line"] = practice.decision_maker_reached
        return await core.finish(report)

    async def _on_sound(self, core: CallCore, agent: SalesAgent, model: llm.LLM, practice: Practice) -> dict:
        from simulator.audio.audio_call import run_audio_call
        from simulator.audio.measures import measure

        call = await run_audio_call(core=core, agent=agent, model=model, practice=practice,
                                    time_limit_s=self.time_limit_s, detection_timeout_s=self.detection_timeout_s)
        return measure(call.line.timeline, call.line.dtmf, call.verdicts).as_json()
