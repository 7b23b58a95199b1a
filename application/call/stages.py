"""One call's stage spans inside the `call` stage: dial, navigation, conversation and booking.

The call line (or the agent session) tells it what happened as the call goes;
it opens and ends the spans through the Telemetry port, so the stages nest the
same way whatever task notices the change:

    call ── dial                 (from the dial until answered or not)
         └─ conversation         (answered until hang-up)
              ├─ navigation      (the first menu action until a person or a voicemail box is reached)
              └─ booking         (each availability check and each booking)

Every method may be called in any order and more than once; what makes no
sense at that point (a navigation before the answer, a second end) does nothing.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from application.ports.telemetry import NO_TELEMETRY, OpenStage, Telemetry


class CallStages:
    def __init__(self, telemetry: Telemetry | None = None, **attributes: Any):
        # Anchored now, while the caller's `call` stage is current: later callbacks run elsewhere.
        self._scope = (telemetry or NO_TELEMETRY).anchor()
        self._attributes = attributes
        self._dial: OpenStage | None = None
        self._conversation: OpenStage | None = None
        self._navigation: OpenStage | None = None
        self._navigation_over = False

    def dialing(self) -> OpenStage:
        """The line starts dialing (the dial stage, opened once)."""
        if self._dial is None:
            self._dial = self._scope.open_stage("dial", **self._attributes)
        return self._dial

    def answered(self) -> None:
        """Someone or something picked up: the dial ends, the conversation starts."""
        self.dialing().end(result="answered")
        if self._conversation is None:
            self._conversation = self._scope.open_stage("conversation", **self._attributes)

    def not_answered(self, result: str) -> None:
        """The dial ended without an answer (`result`: no_answer, busy, a SIP status...)."""
        self.dialing().end(result=result)

    def navigating(self) -> None:
        """A menu was answered (keys pressed or words said to it)."""
        if self._conversation is not None and self._navigation is None and not self._navigation_over:
            self._navigation = self._conversation.open_stage("navigation")

    def reached(self, party: str) -> None:
        """A `person` or a `voicemail` box is on the line: menu handling is over."""
        if self._navigation is not None:
            self._navigation.end(reached=party)
        self._navigation_over = True

    def ended(self, outcome: str | None = None) -> None:
        """The call is over; ends whatever is still open."""
        if self._navigation is not None:
            self._navigation.end(reached="nobody")
        self._navigation_over = True
        if self._dial is not None:
            self._dial.end(result="ended")
        if self._conversation is not None:
            self._conversation.end(outcome=outcome)

    def stage(self, name: str, **attributes: Any) -> AbstractContextManager[None]:
        """A stage within the conversation (e.g. booking), or within the call before the answer."""
        return (self._conversation or self._scope).stage(name, **attributes)

    def open_stage(self, name: str, **attributes: Any) -> OpenStage:
        return (self._conversation or self._scope).open_stage(name, **attributes)
