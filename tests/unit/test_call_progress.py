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
