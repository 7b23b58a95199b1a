"""The call state machine of the specification.

Initializing -> Dialing -> NavigatingMenu -> Speaking -> Scheduling -> Closing,
with Dialing -> LeavingVoicemail for machines. Any state may go to Ended
(hang-up, fault); anything else is a bug and raises.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class CallState(str, Enum):
    INITIALIZING = "initializing"
    DIALING = "dialing"
    NAVIGATING_MENU = "navigating_menu"
    SPEAKING = "speaking"
    SCHEDULING = "scheduling"
    LEAVING_VOICEMAIL = "leaving_voicemail"
    CLOSING = "closing"
    ENDED = "ended"


_ALLOWED: dict[CallState, frozenset[CallState]] = {
    CallState.INITIALIZING: frozenset({CallState.DIALING}),
    CallState.DIALING: frozenset({CallState.NAVIGATING_MENU, CallState.SPEAKING, CallState.LEAVING_VOICEMAIL}),
    # A menu can hand over to a person, to a voicemail box, or to another menu (same state).
    CallState.NAVIGATING_MENU: frozenset(
        {CallState.NAVIGATING_MENU, CallState.SPEAKING, CallState.LEAVING_VOICEMAIL, CallState.CLOSING}
    ),
    # A receptionist may transfer into a menu or a voicemail box.
    CallState.SPEAKING: frozenset(
        {CallState.SCHEDULING, CallState.CLOSING, CallState.NAVIGATING_MENU, CallState.LEAVING_VOICEMAIL}
    ),
    CallState.SCHEDULING: frozenset({CallState.SPEAKING, CallState.CLOSING}),
    CallState.LEAVING_VOICEMAIL: frozenset({CallState.CLOSING}),
    CallState.CLOSING: frozenset(),
    CallState.ENDED: frozenset(),
}


class IllegalTransition(Exception):
    def __init__(self, current: CallState, target: CallState):
        super().__init__(f"illegal call state transition {current.value} -> {target.value}")
        self.current = current
        self.target = target


@dataclass
class CallStateMachine:
    state: CallState = CallState.INITIALIZING
    history: list[tuple[CallState, datetime | None]] = field(default_factory=list)

    def can(self, target: CallState) -> bool:
        if target is CallState.ENDED:
            return self.state is not CallState.ENDED
        return target in _ALLOWED[self.state]

    def go(self, target: CallState, at: datetime | None = None) -> None:
        if target is self.state and target is not CallState.NAVIGATING_MENU:
            return  # idempotent: the same event reported twice is not a bug
        if not self.can(target):
            raise IllegalTransition(self.state, target)
        self.history.append((self.state, at))
        self.state = target
