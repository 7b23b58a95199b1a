"""CallProgress: how a call's running state becomes its CallResult when the line ended it."""
from datetime import datetime, timezone

from application.call.progress import CallProgress, LineEnding
from domain.outcomes import CallOutcome

AT = datetime(2026, 3, 10, 15, 15, tzinfo=timezone.utc)


def test_a_person_who_hangs_up_declined_by_hanging_up():
    progress = CallProgress(started_at=AT, reached_human=True, line_ending=LineEnding.HUNG_UP)
    result = progress.result(AT)
    assert (result.outcome, result.decline_reason) == (CallOutcome.DECLINED, "the callee hung up")


def test_a_call_cut_at_its_time_limit_is_not_said_to_be_hung_up_by_the_callee():
    progress = CallProgress(started_at=AT, reached_human=True, line_ending=LineEnding.TIMED_OUT,
                            reason="call reached its 900 s limit")
    result = progress.result(AT)
    assert result.decline_reason != "the callee hung up"
    assert result.reason == "call reached its 900 s limit"


def test_the_first_reply_runs_from_the_callees_first_words_to_the_agents_next_ones():
    from datetime import timedelta

    progress = CallProgress(started_at=AT, reached_human=True)
    progress.agent_speaking(AT)  # a greeting before anyone spoke is not a reply
    progress.callee_speaking(AT + timedelta(seconds=3))
    progress.callee_speaking(AT + timedelta(seconds=4))
    progress.agent_speaking(AT + timedelta(seconds=4, milliseconds=850))
    progress.agent_speaking(AT + timedelta(seconds=9))
    assert progress.result(AT).first_reply_s == 1.85


def test_nothing_heard_leaves_the_reports_timings_unrecorded():
    progress = CallProgress(started_at=AT, reached_human=True)
    progress.said("callee", "This is Dana.", AT)  # text-mode lines carry no speaking moments
    progress.said("agent", "Hello?", AT)
    result = progress.result(AT)
    assert (result.first_reply_s, result.verdict_s, result.decision_maker_reached) == (None, None, None)


def test_a_call_answered_by_a_menu_or_a_voicemail_box_has_no_first_reply():
    from datetime import timedelta

    for answered_by in ("menu", "voicemail", "nobody"):
        progress = CallProgress(started_at=AT, reached_human=answered_by != "nobody")
        progress.heard_menu = answered_by == "menu"
        progress.voicemail_left = answered_by == "voicemail"
        progress.callee_speaking(AT)
        progress.agent_speaking(AT + timedelta(seconds=40))
        assert progress.result(AT).first_reply_s is None, answered_by
