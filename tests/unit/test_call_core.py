"""The call core's rules, fed line events directly as a shell would (no LiveKit, no model)."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest

from application.book_meeting import BookMeeting
from application.call.brief import CallIdentity
from application.call.core import BEEP_INSTRUCTIONS, NO_BEEP_INSTRUCTIONS, CallCore, CallPorts, CallSettings, \
    HangUp, Reply
from application.call.progress import LineEnding
from domain.campaign import Campaign
from domain.contact import Contact
from domain.coaching import Guidance, Stage
from domain.front_desk import FrontDeskDetails
from domain.outcomes import CallOutcome
from domain.script import default_script
from domain.voicemail_detector import Answerer, GreetingVerdict
from infrastructure.offline_coach import OfflineCoach
from simulator.line_audio import voicemail_audio
from tests.fakes.calendar import FakeCalendar, FakeCalendarCredentials
from tests.fakes.call_controls import FakeCallControls
from tests.fakes.compliance import FakeDoNotCallList
from tests.fakes.runtime import FakeClock

NOW = datetime(2026, 3, 10, 15, 15, tzinfo=timezone.utc)
CONTACT = Contact(id="c1", first_name="Dana", last_name="Reyes", phone="+15125550143", practice="Lakeside",
                  title="Practice Administrator", timezone="America/Chicago", email="dana@lakeside.example")


class Agent:
    """The agent as the core reaches it: instructions replaced, menu actions noted."""

    def __init__(self):
        self.instructions: list[str] = []

    async def speak_to_menu(self, words):
        pass

    async def note_menu_action(self, decision):
        pass

    async def update_instructions(self, instructions):
        self.instructions.append(instructions)


def a_core(*, detector: bool = False, coach=None, interval_s: float = 3600.0):
    clock = FakeClock(NOW)
    dnc = FakeDoNotCallList()
    controls = FakeCallControls()
    core = CallCore(call_id="call-1", campaign=Campaign(id="k1", contact_id="c1", rep_name="Jordan"),
                    contact=CONTACT, script=default_script(), identity=CallIdentity(), controls=controls,
                    ports=CallPorts(do_not_call=dnc, book_meeting=BookMeeting(FakeCalendar(),
                                                                              FakeCalendarCredentials(), clock),
                                    sales_coach=coach, clock=clock),
                    settings=CallSettings(detector=detector, coach_interval_s=interval_s, digit_pause_s=0.0))
    agent = Agent()
    core.connect(agent)
    core.dialing()
    return core, controls, dnc, clock, agent


@pytest.mark.parametrize("answerer, human, menu, outcome, hangs_up", [
    (Answerer.HUMAN, True, False, None, False),
    (Answerer.IVR, False, True, None, False),
    (Answerer.VOICEMAIL, False, False, None, False),
    (Answerer.MAILBOX_FULL, False, False, CallOutcome.NO_ANSWER, True),
    (Answerer.SCREENING, False, False, None, False),
    (Answerer.UNCERTAIN, False, False, None, False),
])
def test_a_detectors_verdict_maps_onto_the_call(answerer, human, menu, outcome, hangs_up):
    core, *_ = a_core(detector=True)
    action = core.verdict(GreetingVerdict(answerer, rule="amd"), source="amd")
    assert isinstance(action, HangUp) is hangs_up
    assert (core.progress.reached_human, core.progress.heard_menu, core.progress.outcome) == (human, menu, outcome)
    assert (core.voicemail is not None) is (answerer is Answerer.VOICEMAIL)


@pytest.mark.parametrize("words, outcome", [
    ("The number you have dialed is not in service. Please check the number and dial again.",
     CallOutcome.WRONG_NUMBER),
    ("The mailbox is full and cannot accept any new messages. Goodbye.", CallOutcome.NO_ANSWER),
])
async def test_without_a_detector_the_first_words_decide_and_a_dead_line_is_hung_up(words, outcome):
    core, *_ = a_core()
    core.answered()
    action = core.callee_said(words)
    assert isinstance(action, HangUp) and core.progress.ended
    result = await core.finish()
    assert result.outcome is outcome and not result.reached_human


def test_with_a_detector_the_first_words_wait_for_its_verdict():
    core, *_ = a_core(detector=True)
    assert core.callee_said("The mailbox is full and cannot accept any new messages.") is None
    assert core.progress.outcome is None and core.party is None


@pytest.mark.parametrize("words, party, outcome", [
    ("Willow Oncology. For the office manager press 2.", Answerer.IVR, None),
    ("The mailbox is full and cannot accept any new messages.", Answerer.MAILBOX_FULL, CallOutcome.NO_ANSWER),
])
def test_when_the_detector_gives_up_the_words_heard_while_it_listened_decide(words, party, outcome):
    core, *_ = a_core(detector=True)
    assert core.callee_said(words) is None
    action = core.verdict(GreetingVerdict(Answerer.UNCERTAIN, rule="uncertain"), source="amd",
                          reason="detection_timeout")
    assert core.party is party and core.progress.outcome is outcome
    assert isinstance(action, HangUp) is (outcome is not None)
    assert [v["source"] for v in core.verdicts] == ["amd", "words"]


def test_a_person_saying_not_available_stays_a_person_until_words_name_the_message_box():
    core, *_ = a_core()
    core.callee_said("Lakeside Orthopedics, this is Amy, how can I help you?")
    assert core.party is Answerer.HUMAN and core.progress.reached_human
    core.agent_said("Hi Amy, this is Alex, an AI assistant calling for DocShield; this call is recorded.")
    assert core.callee_said("I'm sorry, she's not available right now.") is None
    assert core.party is Answerer.HUMAN
    core.callee_said("One moment, I'll put you through.")  # a transfer: whoever answers next is judged anew
    core.callee_said("Hi, this is Dana's voicemail. Please leave a message after the tone.")
    assert core.party is Answerer.VOICEMAIL and core.voicemail is not None


@pytest.mark.parametrize("beep", [True, False])
def test_after_a_voicemail_greeting_the_core_asks_for_the_message_at_the_beep_or_the_greetings_end(beep):
    core, *_ = a_core()
    core.callee_said("Hi, you've reached Lakeside. Please leave a message.")
    clip = voicemail_audio("core", beep=beep)
    frame = 640
    actions = [core.line_audio(clip.audio.pcm[i:i + frame]) for i in range(0, len(clip.audio.pcm), frame)]
    decided = [(i, a) for i, a in enumerate(actions) if a is not None]
    assert len(decided) == 1, "one decision only"
    index, action = decided[0]
    heard_s = (index + 1) * frame / 2 / clip.audio.sample_rate
    if beep:
        assert action == Reply(BEEP_INSTRUCTIONS) and heard_s >= clip.beep_end_s
        assert core.progress.beep_heard_at is not None
    else:
        assert action == Reply(NO_BEEP_INSTRUCTIONS) and heard_s > clip.greeting_end_s + 1.0


def test_a_verdict_that_comes_after_the_beep_still_hears_it():
    # On sound the greeting is recognized (or the detector decides) seconds after it was spoken: the beep
    # may be over by then. Found by the audio harness, where the message started before a beep it missed.
    core, *_ = a_core(detector=True)
    clip = voicemail_audio("late-verdict", beep=True)
    assert core.line_audio(clip.audio.pcm) is None, "no verdict yet: nothing is decided"
    action = core.verdict(GreetingVerdict(Answerer.VOICEMAIL, rule="machine-vm"), source="amd")
    assert action == Reply(BEEP_INSTRUCTIONS) and core.progress.beep_heard_at is not None


def test_only_the_last_seconds_before_a_verdict_are_kept():
    core, *_ = a_core(detector=True)
    quiet = bytes(2 * 16000 * 60)  # a minute of ringing and silence before anyone answers
    core.line_audio(quiet)
    assert len(core._recent_audio) == 2 * 16000 * 10


def test_audio_before_any_voicemail_verdict_changes_nothing():
    core, *_ = a_core()
    core.callee_said("Lakeside Orthopedics, how can I help you?")
    clip = voicemail_audio("core", beep=True)
    assert core.line_audio(clip.audio.pcm) is None and core.progress.beep_heard_at is None


async def test_transcript_rules_count_objections_and_the_disclosure_on_every_shell():
    core, *_ = a_core()
    core.callee_said("Hello, this is Dana.")
    core.agent_said("Hi Dana, this is Alex, an AI assistant calling for DocShield; this call is recorded.")
    core.callee_said("We already have malpractice insurance. How much would it cost anyway?")
    core.callee_said("No thank you, we'll pass.")  # a decline, not an objection
    result = await core.finish()
    assert result.disclosed_ai and result.objections == ["already_insured", "cost"]
    assert result.outcome is CallOutcome.DECLINED and result.decline_reason == "the callee hung up"


async def test_an_opt_out_the_agent_did_not_act_on_still_reaches_the_do_not_call_list():
    core, _controls, dnc, *_ = a_core()
    core.callee_said("Hello, this is Dana.")
    core.callee_said("Please take me off your list and don't call this number again.")
    result = await core.finish()
    assert result.outcome is CallOutcome.OPTED_OUT and await dnc.contains(CONTACT.phone)


async def test_objections_and_transfers_wake_the_coach_and_its_guidance_replaces_the_previous_block():
    core, _c, _d, clock, agent = a_core(coach=OfflineCoach())
    core.callee_said("Hello, this is Dana.")
    assert await core.coach.before_reply() is None, "no key moment, the interval has not passed"
    core.callee_said("How much does this cost?")
    guidance = await core.coach.before_reply()
    assert isinstance(guidance, Guidance) and "'cost' handler" in agent.instructions[-1]
    assert agent.instructions[-1].startswith(core.brief.instructions)
    core.callee_said("One moment, let me get her.")
    clock.advance(seconds=5)
    assert await core.coach.before_reply() is not None
    result = await core.finish()
    given = result.report["coach"]["given"]
    assert [g["moment"] for g in given] == ["objection", "transfer"]
    assert agent.instructions[-1].count("Coach (stage:") == 1


async def test_the_interval_brings_a_review_on_the_calls_own_clock():
    core, _c, _d, clock, _agent = a_core(coach=OfflineCoach(), interval_s=15)
    core.callee_said("Hello, this is Dana.")
    clock.advance(seconds=14)
    assert await core.coach.before_reply() is None
    core.agent_said("Hi Dana, this is Alex, an AI assistant calling for DocShield; this call is recorded.")
    clock.advance(seconds=2)
    assert await core.coach.before_reply() is not None
    assert core.coach.given[0]["moment"] == "interval"


@pytest.mark.parametrize("before, outcome", [
    (lambda core: None, CallOutcome.FAILED),
    (lambda core: core.actions.record_outcome("declined"), CallOutcome.DECLINED),
    (lambda core: core.progress.left_voicemail(), CallOutcome.VOICEMAIL_LEFT),
])
async def test_a_fault_is_failed_unless_something_already_happened(before, outcome):
    core, *_ = a_core()
    core.answered()
    before(core)
    core.failed("ConnectionError in the agent session")
    result = await core.finish()
    assert result.outcome is outcome and result.reason == "ConnectionError in the agent session"


@pytest.mark.parametrize("answered, words, outcome, ending", [
    (False, None, CallOutcome.NO_ANSWER, LineEnding.NO_ANSWER),
    (True, None, CallOutcome.NO_ANSWER, LineEnding.HUNG_UP),
    (True, "Hello, this is Dana.", CallOutcome.DECLINED, LineEnding.HUNG_UP),
    (False, "Hello?", CallOutcome.DECLINED, LineEnding.HUNG_UP),
])
async def test_whether_the_callee_picked_up_decides_a_silent_end(answered, words, outcome, ending):
    core, *_ = a_core()
    if answered:
        core.answered()
    if words:
        core.callee_said(words)
    result = await core.finish()
    assert result.outcome is outcome and core.progress.line_ending is ending


async def test_keys_from_the_fast_path_reach_the_controls_and_the_next_party_is_judged_anew():
    core, controls, *_ = a_core()
    core.answered()
    assert core.callee_said("Thank you for calling Lakeside. For billing press 2. For the office manager press 4.") \
        is None
    assert core.progress.heard_menu and not core.progress.reached_human
    assert await core.hear_prompt("Thank you for calling Lakeside. For billing press 2. "
                                  "For the office manager press 4.")
    assert controls.pressed == ["4"] and core.progress.digits == ["4"]
    core.callee_said("Office manager, this is Dana speaking, how can I help?")
    assert core.progress.reached_human and core.party is Answerer.HUMAN
    assert (await core.finish()).digits == ["4"]


def test_the_line_ending_before_an_answer_is_the_outcome():
    core, *_ = a_core()
    core.not_answered(LineEnding.BUSY)
    assert core.progress.final_outcome() is CallOutcome.BUSY


def test_time_limit_is_told_by_the_shell_and_kept_as_the_reason():
    core, *_ = a_core()
    core.answered()
    core.timed_out("call reached its 900 s limit")
    assert core.progress.line_ending is LineEnding.TIMED_OUT and core.progress.reason.endswith("limit")


async def test_a_line_nobody_speaks_on_after_the_answer_is_hung_up_as_no_answer():
    core, *_ = a_core()
    core.answered()
    assert core.silence(5.0) is None, "not yet"
    assert isinstance(core.silence(12.0), HangUp)
    result = await core.finish()
    assert result.outcome is CallOutcome.NO_ANSWER and "nobody spoke" in result.reason


async def test_silence_after_words_or_while_a_voicemail_box_is_heard_changes_nothing():
    streaming, *_ = a_core()
    streaming.answered()
    await streaming.callee_words("Hello, this is", final=False)  # a long first sentence, still streaming
    assert streaming.silence(30.0) is None and not streaming.progress.ended
    spoken, *_ = a_core()
    spoken.answered()
    spoken.callee_said("Hello?")
    assert spoken.silence(30.0) is None and not spoken.progress.ended
    box, *_ = a_core(detector=True)
    box.answered()
    box.verdict(GreetingVerdict(Answerer.VOICEMAIL, rule="amd"), source="amd")
    assert box.silence(30.0) is None and not box.progress.ended


@pytest.mark.parametrize("detector, lines, reached", [
    # The person asked for says who they are, or says "Speaking." when asked for.
    (False, ["This is Dana."], True),
    (False, ["Hello?", "Speaking."], True),
    (False, ["Office manager, this is Dana speaking, how can I help you?"], True),
    # A receptionist, then a transfer, then the person asked for.
    (False, ["Lakeside, this is Amy, how can I help you?", "One moment, I'll put you through.", "This is Dana."],
     True),
    # "This is Dr. Reyes": the contact by title and last name.
    (False, ["Lakeside, front desk.", "One moment.", "This is Dr. Reyes."], True),
    # Only a receptionist: a person, not the decision maker.
    (False, ["Lakeside, this is Amy, how can I help you?", "She's not available, can I take a message?"], False),
    # Dana's voicemail greeting names her: a machine, not Dana.
    (False, ["Hi, this is Dana, I can't take your call, please leave a message after the tone."], False),
    # Words that name her before the detector's verdict count once it says a person answered.
    (True, ["This is Dana."], True),
])
async def test_the_core_records_whether_the_person_asked_for_came_to_the_line(detector, lines, reached):
    core, *_ = a_core(detector=detector)
    core.answered()
    for line in lines:
        core.callee_said(line)
    if detector:
        core.verdict(GreetingVerdict(Answerer.HUMAN, rule="amd"), source="amd")
    result = await core.finish()
    assert result.decision_maker_reached is reached


async def test_a_front_desks_named_decision_maker_is_recognised_when_they_answer():
    known = CallCore(call_id="call-2", campaign=Campaign(id="k2", contact_id="c1", rep_name="Jordan"),
                     contact=Contact(id="c1", first_name="Jay", last_name="Kent", phone="+15125550161",
                                     practice="Granite", known=FrontDeskDetails(decision_maker="Dr. Frank")),
                     script=default_script(), identity=CallIdentity(), controls=FakeCallControls(),
                     ports=CallPorts(do_not_call=FakeDoNotCallList(),
                                     book_meeting=BookMeeting(FakeCalendar(), FakeCalendarCredentials(),
                                                              FakeClock(NOW)),
                                     sales_coach=None, clock=FakeClock(NOW)))
    known.answered()
    for line in ["Granite Sports Medicine, this is Tom.", "Transferring you now.", "This is Dr. Frank."]:
        known.callee_said(line)
    assert (await known.finish()).decision_maker_reached is True


async def test_whoever_says_speaking_after_the_front_desk_named_them_is_addressed_by_that_name():
    """Issue 14: "Dr. Kent handles that; I'll put you through." then "Speaking.": the model is told it speaks
    with Dr. Kent, and its introduction thanks Dr. Kent, never the contact of record (Dana)."""
    core, *_, agent = a_core()
    core.answered()
    core.callee_said("Lakeside Orthopedics, this is Amy.")
    assert core.on_the_line.addressed_as is None  # the front desk: nobody to address by the contact's name
    core.agent_said(core.brief.lines["greeting"])
    core.callee_said("Dr. Kent handles that. One moment, I'll put you through.")
    core.callee_said("Speaking.")
    await asyncio.sleep(0)  # the update goes out before the model's next reply
    assert core.on_the_line.addressed_as == "Dr. Kent"
    told = agent.instructions[-1]
    assert told.startswith(core.brief.instructions)
    added = told[len(core.brief.instructions):]
    assert "You are speaking with Dr. Kent now" in added and "Thanks, Dr. Kent." in added and "Dana" not in added


async def test_the_coach_block_keeps_whom_the_agent_is_speaking_with():
    core, *_, agent = a_core()
    core.callee_said("This is Dana.")
    guidance = Guidance(stage=Stage.OBJECTION, next_move="Acknowledge, then ask for the meeting.")
    await core.apply_guidance(guidance)
    assert "You are speaking with Dana now" in agent.instructions[-1]
    assert agent.instructions[-1].endswith(guidance.as_instructions())


@pytest.mark.parametrize("attempt, promised", [(0, True), (1, True), (2, False)])
def test_a_callback_is_promised_only_while_the_worker_may_still_queue_one(attempt, promised):
    """Issue 14: a callback promised is placed. Past the follow-ups a step may have (default 2), the answer the
    agent gets has no time to promise: a person follows up (the call's next step), the agent says so."""
    clock = FakeClock(NOW)
    core = CallCore(call_id="call-1", campaign=Campaign(id="k1", contact_id="c1", rep_name="Jordan"),
                    contact=CONTACT, script=default_script(), identity=CallIdentity(), controls=FakeCallControls(),
                    ports=CallPorts(do_not_call=FakeDoNotCallList(), sales_coach=None, clock=clock,
                                    book_meeting=BookMeeting(FakeCalendar(), FakeCalendarCredentials(), clock)),
                    settings=CallSettings(max_follow_ups=2), attempt=attempt)
    answer = json.loads(core.actions.record_outcome("callback_requested", callback_time="2026-03-11T14:30:00-05:00"))
    assert ("spoken" in answer) is promised
    if not promised:
        assert answer["callback_at"] is None and "follow up" in answer["say"]
        assert core.progress.next_step.startswith("Call back Wednesday March 11 at 2:30 PM")  # for a person
