"""How a call ended (the `outcome` field of contracts section 3)."""
from __future__ import annotations

from enum import Enum


class CallOutcome(str, Enum):
    MEETING_BOOKED = "meeting_booked"
    DECLINED = "declined"
    CALLBACK_REQUESTED = "callback_requested"
    VOICEMAIL_LEFT = "voicemail_left"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"
    OPTED_OUT = "opted_out"
    GATEKEEPER_BLOCKED = "gatekeeper_blocked"
    IVR_DEAD_END = "ivr_dead_end"
    DEFERRED = "deferred"
    SKIPPED = "skipped"
    FAILED = "failed"

    @property
    def dialed(self) -> bool:
        """True when a phone actually rang (compliance outcomes never dial)."""
        return self not in (CallOutcome.DEFERRED, CallOutcome.SKIPPED, CallOutcome.WRONG_NUMBER)

    @property
    def answered(self) -> bool:
        """True when someone or something picked up (a person, a menu, a voicemail box).

        A FAILED call may have been answered before the fault; its record cannot tell, so it is not counted."""
        return self in (
            CallOutcome.MEETING_BOOKED,
            CallOutcome.DECLINED,
            CallOutcome.CALLBACK_REQUESTED,
            CallOutcome.VOICEMAIL_LEFT,
            CallOutcome.OPTED_OUT,
            CallOutcome.GATEKEEPER_BLOCKED,
            CallOutcome.IVR_DEAD_END,
        )

    @property
    def conversation(self) -> bool:
        """True when the call reached a person who answered for the practice."""
        return self in (
            CallOutcome.MEETING_BOOKED,
            CallOutcome.DECLINED,
            CallOutcome.CALLBACK_REQUESTED,
            CallOutcome.OPTED_OUT,
            CallOutcome.GATEKEEPER_BLOCKED,
        )

    @classmethod
    def parse(cls, value: str) -> "CallOutcome":
        try:
            return cls(value)
        except ValueError:
            known = ", ".join(o.value for o in cls)
            raise ValueError(f"unknown outcome {value!r} (known: {known})") from None
