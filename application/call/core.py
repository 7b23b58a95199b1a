"""The agent's side of one call, free of any phone technology: the one core live and simulated calls share.

A shell (the LiveKit job, the simulator's text-mode line, an audio harness) builds a `CallCore`, gives it
the agent (`connect`) and then only feeds it what happens on the line and carries out what it answers:

    line events                          -> the core decides                  -> the shell carries out
    dialing / answered / not_answered     stages, "did the callee pick up"
    verdict (a detector's, or the words)  human, menu, voicemail, full mailbox, carrier    HangUp
                                          a call screener                   Reply(say who calls and why)
    callee_words / prompt_ended / hear_prompt   the phone-tree fast path presses keys (controls)
    callee_said / agent_said              disclosure, objections, opt-out, key moments, a new party, the pitch,
                                          the person asked for on the line (once a person is judged there)
    line_audio (the callee's PCM)         voicemail timing: after the beep, after the greeting, or give up;
                                          after a call screener: silence until nobody picked up
                                                                               Reply(instructions) / HangUp
    silence (seconds since the answer)    a dead line: nobody ever spoke                   HangUp
    hung_up / timed_out / failed          how the line ended (a model error is a fault); outcome precedence
                                          in CallProgress
    finish()                              the CallResult, with the coach's guidance and the verdicts

Actions are values: `Reply(instructions)` asks the model to speak now with these instructions (the same
words on every shell), `HangUp` ends the call. The rules themselves live in the domain (voicemail timing,
the greeting classifier, objections, disclosure) and in this package (the verdict -> outcome mapping here,
the outcome precedence in progress.py, the transcript rules in transcript_rules.py).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Mapping, Protocol

from application.book_meeting import BookMeeting, CallBooking, MeetingRequest, Rep
from application.call.actions import CallActions
from application.call.brief import AgentBrief, CallIdentity, build_brief
from application.call.coaching import CoachLoop
from application.call.phone_tree import DTMF_PAUSE_S, PhoneTreeFastPath, menu_policy
from application.call.progress import CallProgress, LineEnding
from application.call.stages import CallStages
from application.call.transcript_rules import agent_line_discloses, read_callee_line
from application.call.voicemail_watch import VoicemailWatch
from application.ports.agent_channel import AgentChannel
from application.ports.call_controls import CallControls
from application.ports.call_line import CallResult
from application.ports.clock import Clock
from application.ports.compliance import DoNotCallList
from application.ports.sales_coach import SalesCoach
from application.ports.telemetry import Telemetry
from domain.call_screening import ScreeningStep, ScreeningWatch, screener_reply
from domain.campaign import MAX_FOLLOW_UPS_PER_STEP, Campaign
from domain.coaching import Guidance
from domain.contact import Contact
from domain.menu_reader import read_menu
from domain.outcomes import CallOutcome
from domain.person_on_the_line import PersonOnTheLine
from domain.pitch import gives_pitch
from domain.script import Script
from domain.voicemail import VoicemailStep
from domain.voicemail_detector import Answerer, GreetingVerdict, classify_greeting, names_the_message_box

log = logging.getLogger(__name__)

GREETING_INSTRUCTIONS = ("The callee just picked up. Speak first now: say the greeting line from your script "
                         "(it discloses that you are an AI assistant and that the call is recorded), "
                         "unless what you hear is an automated menu or a voicemail greeting.")
BEEP_INSTRUCTIONS = ("The voicemail beep just sounded. Call leave_voicemail now, then say the voicemail "
                     "message once, then call record_outcome with voicemail_left and end_call.")
NO_BEEP_INSTRUCTIONS = ("The voicemail greeting has ended without a beep. Call leave_voicemail now, then say the "
                        "voicemail message once, then call record_outcome with voicemail_left and end_call.")
VOICEMAIL_INSTRUCTIONS = (BEEP_INSTRUCTIONS, NO_BEEP_INSTRUCTIONS)
SCREENER_INSTRUCTIONS = ("A call screener (an automated assistant) is asking who is calling and why. Say exactly "
                         "this, once, and nothing else; then stay silent until a person speaks: ")


def screener_line(instructions: str) -> str | None:
    """The words to say when `instructions` are the core's screener instructions, else None."""
    if not instructions.startswith(SCREENER_INSTRUCTIONS):
        return None
    return instructions[len(SCREENER_INSTRUCTIONS):].strip().strip('"')

RECENT_AUDIO_S = 10  # how much of the callee's audio before a voicemail verdict the watch still hears


@dataclass(frozen=True)
class Reply:
    """Have the model speak now, with these instructions for this reply."""

    instructions: str


@dataclass(frozen=True)
class HangUp:
    """End the call now (the outcome is already recorded)."""

    reason: str


Action = Reply | HangUp


class CallSetupError(Exception):
    """The call cannot be run (unknown campaign or contact, script not renderable)."""


class CalleeListener(Protocol):
    """Hears the callee's words as they stream (interim and final), before the model answers."""

    async def hear(self, text: str, *, final: bool) -> Any: ...


@dataclass(frozen=True)
class CallSettings:
    coach_interval_s: float = 15.0
    coach_timeout_s: float = 5.0
    digit_pause_s: float = DTMF_PAUSE_S
    sample_rate: int = 16000  # of the callee's audio fed to line_audio
    detector: bool = False  # a line-side detector gives the first party's verdict (else the words do)
    silent_line_s: float = 12.0  # nobody speaking this long after the answer is a dead line
    max_follow_ups: int = MAX_FOLLOW_UPS_PER_STEP  # callbacks the worker places for a step (MAX_FOLLOW_UPS_PER_STEP)


@dataclass
class CallPorts:
    do_not_call: DoNotCallList
    book_meeting: BookMeeting
    sales_coach: SalesCoach | None  # None: a call without a coach
    clock: Clock
    telemetry: Telemetry | None = None


class CallCore:
    def __init__(self, *, call_id: str, campaign: Campaign, contact: Contact, script: Script,
                 identity: CallIdentity, controls: CallControls, ports: CallPorts,
                 settings: CallSettings = CallSettings(), stages: CallStages | None = None,
                 step: int = 0, attempt: int = 0):
        try:
            self.brief: AgentBrief = build_brief(script, contact, campaign, identity, attempt=attempt, step=step)
        except ValueError as exc:
            raise CallSetupError(f"script cannot be rendered for this contact: {exc}") from None
        self.call_id = call_id
        self.contact = contact
        self.clock = ports.clock
        self.settings = settings
        # Whether the person the call asks for came to the line is judged here on every shell (False until heard).
        self.progress = CallProgress(started_at=ports.clock.now(), decision_maker_reached=False)
        self.stages = stages or CallStages(ports.telemetry, call_id=call_id)
        self.controls = controls
        booking = CallBooking(ports.book_meeting, MeetingRequest(call_id=call_id, rep=Rep.from_campaign(campaign),
                                                                 contact=contact))
        self.actions = CallActions(progress=self.progress, controls=controls, do_not_call=ports.do_not_call,
                                   scheduler=booking, clock=ports.clock, contact=contact, stages=self.stages,
                                   campaign=campaign, step=step, attempt=attempt,
                                   max_follow_ups=settings.max_follow_ups)
        self.policy = menu_policy(campaign.settings, contact)
        self.fast_path = PhoneTreeFastPath(controls=controls, progress=self.progress, policy=self.policy,
                                           digit_pause_s=settings.digit_pause_s, stages=self.stages,
                                           extension=contact.known.extension, clock=ports.clock)
        self.coach = CoachLoop(ports.sales_coach, self.apply_guidance, interval_s=settings.coach_interval_s,
                               timeout_s=settings.coach_timeout_s, clock=ports.clock)
        self.listeners: list[CalleeListener] = [self.fast_path]
        self.channel: AgentChannel | None = None
        self.on_the_line = PersonOnTheLine(sought=contact.sought_name, contact=contact.full_name)
        self._guidance: Guidance | None = None  # the coach's latest block
        self.verdicts: list[dict[str, Any]] = []
        self.party: Answerer | None = None  # what the current party on the line is, once judged
        self.voicemail: VoicemailWatch | None = None
        self.screening: ScreeningWatch | None = None
        self._party_words: list[str] = []
        self._digits_seen = 0
        self._in_prompt = False  # a callee prompt is streaming and not yet in the transcript
        self._words_heard = False  # any callee words, streamed or final
        self._detector_pending = settings.detector
        self._background: set[asyncio.Task] = set()
        self._recent_audio = bytearray()  # the callee's last seconds of audio, before any voicemail verdict
        self._recent_limit = 2 * settings.sample_rate * RECENT_AUDIO_S

    def connect(self, channel: AgentChannel) -> None:
        """The agent is built: the fast path and the coach reach it through `channel`."""
        self.channel = channel
        self.fast_path.channel = channel

    # ------------------------------------------------------------ the line

    def dialing(self) -> None:
        self.stages.dialing()

    def answered(self) -> None:
        if self.progress.answered_at is None:
            self.progress.answered_at = self.clock.now()
            self.stages.answered()

    def not_answered(self, ending: LineEnding, reason: str | None = None) -> None:
        self.progress.line_ending = ending
        self.progress.reason = reason or self.progress.reason
        self.stages.not_answered(ending.value)

    def verdict(self, verdict: GreetingVerdict, *, source: str = "words", reason: str = "",
                delay_s: float | None = None) -> Action | None:
        """Who or what is on the line now: the verdict -> call progress mapping, the one place it lives."""
        self._detector_pending = False
        self.verdicts.append({"answerer": verdict.answerer.value, "rule": verdict.rule, "source": source,
                              "reason": reason, "delay_s": round(delay_s, 3) if delay_s is not None else None})
        if delay_s is not None and self.progress.verdict_s is None:
            self.progress.verdict_s = round(delay_s, 3)  # the first verdict's delay, kept for the report
        answerer = verdict.answerer
        if answerer is Answerer.UNCERTAIN:
            # The detector gave up (its timeout came before the words): the words already heard decide now,
            # or the next ones will. Found on sound, where a menu heard while the detector listened was
            # never judged at all.
            return self._judge_party() if source != "words" and self._party_words else None
        self.party = answerer
        if answerer is Answerer.HUMAN:
            self.progress.reached_human = True
            self.stages.reached("person")
            self._note_decision_maker()
        elif answerer is Answerer.IVR:
            self.progress.heard_menu = self.progress.heard_menu or source != "words" or read_menu(
                " ".join(self._party_words)).answerable
        elif answerer is Answerer.VOICEMAIL:
            self.stages.reached("voicemail")
            self.voicemail = VoicemailWatch(self.settings.sample_rate)
            decision = self.voicemail.greeting(" ".join(self._party_words))
            if decision.step is VoicemailStep.HANG_UP:
                return self._give_up(decision.outcome or CallOutcome.NO_ANSWER, decision.reason)
            # A verdict comes after the words were recognized: the beep may already have sounded. The watch
            # hears the line's last seconds first, so a late verdict never misses it.
            recent, self._recent_audio = bytes(self._recent_audio), bytearray()
            if recent:
                return self.line_audio(recent)
        elif verdict.final_outcome is not None:  # a full mailbox, a carrier's announcement
            return self._give_up(verdict.final_outcome, f"{answerer.value}: {verdict.cue or verdict.rule}")
        elif answerer is Answerer.SCREENING:
            self.screening = ScreeningWatch()
            self.screening.answered(self._elapsed_s())
            return self._answer_screener()
        return None

    def new_party(self) -> None:
        """Someone or something else is about to answer (keys went out, a transfer)."""
        if self.party is not Answerer.HUMAN or self.progress.digits:
            self.party = None
        self._party_words = []
        self._recent_audio = bytearray()
        self.voicemail = None

    async def callee_words(self, text: str, *, final: bool) -> None:
        """A streaming transcript segment of the callee side, for the listeners (the fast path)."""
        self._words_heard = True
        if not self._in_prompt:
            self._prompt_begins()
            self._in_prompt = True
        for listener in list(self.listeners):
            await self._guarded(listener.hear(text, final=final))

    async def prompt_ended(self) -> None:
        """The callee side stopped speaking (the end of a menu prompt)."""
        for listener in list(self.listeners):
            if hasattr(listener, "prompt_ended"):
                await self._guarded(listener.prompt_ended())

    async def hear_prompt(self, text: str) -> bool:
        """A whole prompt at once (text mode): True when the fast path acted on it (the model need not hear it)."""
        self.fast_path.new_prompt()
        return await self.fast_path.hear_prompt(text) is not None

    def callee_said(self, text: str) -> Action | None:
        """A final line of the callee's transcript (after its streamed segments, if any were fed)."""
        if not self._in_prompt:
            self._prompt_begins()
        self._in_prompt = False
        self.progress.said("callee", text, self.clock.now())
        self.coach.heard(self.progress.transcript[-1])
        line = read_callee_line(text, self.contact.first_name)
        for kind in line.objections:
            self.progress.objection(kind)
        if line.opt_out:
            self.progress.opt_out_asked = True
        if line.key_moment is not None:
            self.coach.key_moment(line.key_moment)
        self._party_words.append(text)
        addressed = self.on_the_line.addressed_as
        self.on_the_line.callee_said(text)
        if self.on_the_line.addressed_as != addressed and self.on_the_line.addressed_as is not None:
            self._instruct_soon()  # the model addresses whoever said who they are, by that name
        action = self._judge_party()
        self._note_decision_maker()
        if line.transfer:
            self.new_party()
        return action

    def agent_said(self, text: str) -> None:
        """A final line of the agent's transcript."""
        self.progress.said("agent", text, self.clock.now())
        self.coach.heard(self.progress.transcript[-1])
        if agent_line_discloses(text):
            self.progress.disclosed_ai = True
        if self.party is Answerer.HUMAN and not self.progress.pitched \
                and gives_pitch(text, self.brief.lines["introduction"]):
            self.progress.pitched = True  # a voicemail box or a menu hears no pitch
        self._party_words = []

    def line_audio(self, pcm: bytes) -> Action | None:
        """The callee's audio (16-bit mono PCM at settings.sample_rate); acts only after a voicemail verdict,
        or while a call screener rings the person (silence past ScreeningWatch.silence_s ends as no_answer)."""
        if self.screening is not None and self.party is Answerer.SCREENING:
            waiting = self.screening.tick(self._elapsed_s())
            if waiting.step is ScreeningStep.END:
                return self._give_up(waiting.outcome or CallOutcome.NO_ANSWER, waiting.reason)
            return None
        watch = self.voicemail
        if watch is None:
            self._recent_audio += pcm
            del self._recent_audio[:max(0, len(self._recent_audio) - self._recent_limit)]
            return None
        if self.progress.voicemail_left or watch.decision.step is not VoicemailStep.WAIT:
            return None
        decision = watch.feed(pcm)
        if decision.step is VoicemailStep.WAIT:
            return None
        if decision.step is VoicemailStep.HANG_UP:
            return self._give_up(decision.outcome or CallOutcome.NO_ANSWER, decision.reason)
        if watch.beep is not None and watch.spoke_after_beep:
            self.progress.beep(self.clock.now())
            return Reply(BEEP_INSTRUCTIONS)
        return Reply(NO_BEEP_INSTRUCTIONS)

    def silence(self, seconds: float) -> Action | None:
        """The far end has been quiet for `seconds` since the answer; a dead line when nobody ever spoke
        (a voicemail box being listened to is the voicemail timing's to judge)."""
        if self.progress.ended or self.voicemail is not None or seconds < self.settings.silent_line_s \
                or self._words_heard or any(line.speaker == "callee" for line in self.progress.transcript):
            return None
        return self._give_up(CallOutcome.NO_ANSWER, f"nobody spoke in the {seconds:.0f} s after the answer")

    def hung_up(self) -> None:
        """The other side left the call."""
        if not self.progress.ended and self.progress.line_ending is None:
            self.progress.line_ending = LineEnding.HUNG_UP

    def timed_out(self, reason: str) -> None:
        self.progress.line_ending = LineEnding.TIMED_OUT
        self.progress.reason = reason

    def failed(self, reason: str) -> None:
        """A technical fault (a model error, a broken session) ended the call."""
        log.error("call %s: %s", self.call_id, reason)
        self.progress.fail(reason)

    # ------------------------------------------------------------ the end

    async def finish(self, report: Mapping[str, Any] | None = None) -> CallResult:
        """Stop the coach and the background work; the call's CallResult."""
        await self.coach.stop()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self.progress.opt_out_asked and not self.progress.opted_out:
            await self._opt_out_anyway()
        self.progress.line_closed()
        outcome = self.progress.final_outcome()
        if self.progress.answered_at is None:
            self.stages.not_answered(outcome.value)
        self.stages.ended(outcome.value)
        full = {"coach": self.coach.report(), "verdicts": list(self.verdicts),
                "line_ending": self.progress.line_ending.value if self.progress.line_ending else None,
                **(report or {})}
        return self.progress.result(self.clock.now(), report=full)

    # ------------------------------------------------------------ inside

    async def apply_guidance(self, guidance: Guidance) -> None:
        # The coach's block replaces the previous one: the brief's instructions stay the base.
        self._guidance = guidance
        await self._instruct()

    def instructions(self) -> str:
        """The model's instructions now: the brief's, whom it is speaking with, the coach's latest block."""
        parts = [self.brief.instructions]
        name = self.on_the_line.addressed_as
        if name is not None:
            parts.append(f"You are speaking with {name} now: address them as {name}, and say the introduction "
                         f"as: {self.brief.addressed('introduction', name)}")
        if self._guidance is not None:
            parts.append(self._guidance.as_instructions())
        return "\n\n".join(parts)

    async def _instruct(self) -> None:
        if self.channel is not None:
            await self.channel.update_instructions(self.instructions())

    def _instruct_soon(self) -> None:
        """New instructions before the model's next reply, from a line event (which cannot wait for them)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no call is running (a rule read on its own): nobody to instruct
        if self.channel is not None:
            task = asyncio.ensure_future(self._instruct_guarded())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _instruct_guarded(self) -> None:
        try:
            await self._instruct()
        except Exception as exc:  # the call goes on with the instructions it has
            log.warning("call %s: instructions not updated (%s)", self.call_id, type(exc).__name__)

    def _prompt_begins(self) -> None:
        # Keys pressed (by the fast path or the model) or a menu answered since the last prompt:
        # what speaks now is judged anew. Keys a prompt itself brought belong to that prompt.
        seen = len(self.progress.digits) + len(self.fast_path.actions)
        if seen != self._digits_seen:
            self._digits_seen = seen
            self.new_party()

    def _judge_party(self) -> Action | None:
        """The words decide who is on the line when no detector does (a new party after keys or a transfer)."""
        if self._detector_pending:
            return None
        words = " ".join(self._party_words)
        if self.party is Answerer.SCREENING and self.screening is not None:
            return self._after_screener(classify_greeting(self._party_words[-1]))
        if self.party is Answerer.VOICEMAIL:
            if self.voicemail is not None:
                decision = self.voicemail.greeting(self._party_words[-1])
                if decision.step is VoicemailStep.HANG_UP:
                    return self._give_up(decision.outcome or CallOutcome.NO_ANSWER, decision.reason)
            return None
        # After a menu, each prompt is judged on its own: a person may pick up at any point.
        verdict = classify_greeting(self._party_words[-1] if self.party is Answerer.IVR else words)
        if self.party is Answerer.HUMAN:
            return self.verdict(verdict) if names_the_message_box(verdict) else None
        if self.party is None or verdict.answerer is not self.party:
            if verdict.answerer is Answerer.IVR and not read_menu(words).answerable:
                self.verdicts.append({"answerer": "announcement", "rule": verdict.rule, "source": "words",
                                      "reason": "", "delay_s": None})
                return None  # an announcement or hold message: whoever comes next is judged then
            return self.verdict(verdict)
        return None

    def _note_decision_maker(self) -> None:
        """A party judged a person is the one the call asks for (they said so: domain.person_on_the_line): the
        decision maker is reached. A voicemail greeting naming the contact is a machine, never the contact."""
        if self.party is Answerer.HUMAN and self.on_the_line.called_person:
            self.progress.decision_maker_reached = True

    def _answer_screener(self) -> Reply:
        """One short turn to a call screener: name, AI assistant, company, for whom and why."""
        line = screener_reply(agent_name=self.brief.identity.agent_name, company=self.brief.identity.company,
                              contact_name=self.contact.full_name)
        return Reply(f'{SCREENER_INSTRUCTIONS}"{line}"')

    def _after_screener(self, verdict: GreetingVerdict) -> Action | None:
        """What the line says after the introduction: a person, a voicemail, the screener again, or nothing yet."""
        if self.screening is None:
            return None
        decision = self.screening.heard(verdict, self._elapsed_s())
        if decision.step is ScreeningStep.TALK or decision.step is ScreeningStep.WAIT_FOR_BEEP:
            self.screening = None
            self.party = None
            return self.verdict(verdict)
        if decision.step is ScreeningStep.ANSWER_AGAIN:
            return self._answer_screener()
        if decision.step is ScreeningStep.END:
            return self._give_up(decision.outcome or CallOutcome.NO_ANSWER, decision.reason)
        return None

    def _elapsed_s(self) -> float:
        return (self.clock.now() - self.progress.started_at).total_seconds()

    def _give_up(self, outcome: CallOutcome, reason: str) -> HangUp:
        self.progress.record(outcome)
        self.progress.reason = reason
        self.progress.ended_by_agent = True
        return HangUp(reason)

    async def _opt_out_anyway(self) -> None:
        # The callee asked not to be called again and the agent did not act on it: the number goes on the list.
        try:
            await self.actions.add_to_do_not_call("asked not to be called again (heard on the call)")
        except Exception as exc:
            log.error("call %s: opt-out not recorded (%s)", self.call_id, type(exc).__name__)

    def spawn(self, step: Awaitable[Any]) -> None:
        """Run `step` beside the call; cancelled at finish."""
        task = asyncio.ensure_future(self._guarded(step))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _guarded(self, step: Awaitable[Any]) -> None:
        try:
            await step
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a broken listener must not break the call
            log.warning("call %s: listener failed (%s)", self.call_id, type(exc).__name__)
