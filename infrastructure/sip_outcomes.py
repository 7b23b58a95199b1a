"""SIP final responses of a failed outbound INVITE, as call outcomes.

603 Decline counts as NO_ANSWER: on mobile networks it is mostly the callee
pressing "decline" on the ringing phone (or a carrier's call screening), which
says nothing about the line being in use (BUSY) and is not an opt-out; the
step is retried as an unanswered call would be.
"""
from __future__ import annotations

from types import MappingProxyType

from domain.outcomes import CallOutcome

SIP_OUTCOMES = MappingProxyType({
    486: CallOutcome.BUSY,          # Busy Here
    600: CallOutcome.BUSY,          # Busy Everywhere
    408: CallOutcome.NO_ANSWER,     # Request Timeout: nobody picked up
    480: CallOutcome.NO_ANSWER,     # Temporarily Unavailable: phone off, no answer
    487: CallOutcome.NO_ANSWER,     # Request Terminated: ringing cancelled (our ringing timeout)
    603: CallOutcome.NO_ANSWER,     # Decline: see the module docstring
    404: CallOutcome.WRONG_NUMBER,  # Not Found
    410: CallOutcome.WRONG_NUMBER,  # Gone: number no longer in service
    484: CallOutcome.WRONG_NUMBER,  # Address Incomplete
    604: CallOutcome.WRONG_NUMBER,  # Does Not Exist Anywhere
})

# Twirp codes LiveKit uses for a dial that ended without a SIP final response.
TWIRP_NO_ANSWER_CODES = frozenset({"deadline_exceeded"})


def outcome_for_sip_status(status_code: int | None) -> CallOutcome:
    """The outcome of a dial that failed with `status_code`; FAILED for anything not in SIP_OUTCOMES."""
    if status_code is None:
        return CallOutcome.FAILED
    return SIP_OUTCOMES.get(status_code, CallOutcome.FAILED)
