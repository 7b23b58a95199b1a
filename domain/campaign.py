"""A campaign: one contact worked through a sequence of call steps."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from domain.outcomes import CallOutcome


class CampaignStatus(str, Enum):
    PENDING = "pending"
    ACTIVE = "active"
    COMPLETED = "completed"  # a final outcome or the final step
    OPTED_OUT = "opted_out"


# Outcomes after which no further step of the sequence should call.
# Callbacks the worker places itself for one step, unless configured (MAX_FOLLOW_UPS_PER_STEP in the settings).
MAX_FOLLOW_UPS_PER_STEP = 2

CLOSING_OUTCOMES = frozenset(
    {CallOutcome.MEETING_BOOKED, CallOutcome.OPTED_OUT, CallOutcome.WRONG_NUMBER, CallOutcome.DECLINED}
)


@dataclass(frozen=True)
class CallAttempt:
    """One line of a campaign's call history (enough for attempt limits)."""

    at: datetime
    step: int
    outcome: CallOutcome
    call_id: str | None = None


@dataclass(frozen=True)
class FollowUp:
    """A call the worker queued itself: attempt `attempt` of `step`, at `at` (a lawful time), because
    the call `call_id` (attempt - 1) ended with the callee asking to be called back at `asked_at`."""

    step: int
    attempt: int
    at: datetime
    asked_at: datetime
    call_id: str | None = None

    @property
    def moved(self) -> bool:
        """The time asked for was not lawful: the call goes at the nearest lawful time instead."""
        return self.at != self.asked_at.replace(second=0, microsecond=0)


@dataclass
class Campaign:
    id: str
    contact_id: str
    batch: str = "default"
    thread_id: str | None = None
    script_id: str | None = None
    rep_calendar_id: str = "primary"
    rep_name: str = "your DocShield advisor"
    rep_email: str = ""
    status: CampaignStatus = CampaignStatus.PENDING
    call_history: list[CallAttempt] = field(default_factory=list)
    last_completed_step: int | None = None
    last_completed_date: datetime | None = None
    last_call_date: datetime | None = None
    settings: dict = field(default_factory=dict)  # per-campaign overrides (compliance, targets)
    follow_ups: list[FollowUp] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return self.status in (CampaignStatus.COMPLETED, CampaignStatus.OPTED_OUT)

    def follow_up_after(self, step: int, attempt: int) -> FollowUp | None:
        """The follow-up queued after attempt `attempt` of `step`, if any."""
        return next((f for f in self.follow_ups if f.step == step and f.attempt == attempt + 1), None)

    def may_follow_up(self, step: int, attempt: int, cap: int) -> bool:
        """Whether a callback asked for on attempt `attempt` of `step` gets a call from the worker: at most
        `cap` follow-ups a step, none for a closed campaign. The agent promises a callback only then."""
        return self.follow_up_after(step, attempt) is not None or (attempt + 1 <= cap and not self.closed)

    def plan_follow_up(self, *, step: int, attempt: int, at: datetime, asked_at: datetime,
                       call_id: str | None, cap: int) -> FollowUp | None:
        """Plan the callback asked for on attempt `attempt` of `step`, once: a second call for the
        same attempt (a redelivery) returns the one already planned. None past `cap` follow-ups."""
        planned = self.follow_up_after(step, attempt)
        if planned is not None:
            return planned
        if not self.may_follow_up(step, attempt, cap):
            return None
        follow_up = FollowUp(step=step, attempt=attempt + 1, at=at, asked_at=asked_at, call_id=call_id)
        self.follow_ups.append(follow_up)
        return follow_up

    def record_call(self, *, step: int, outcome: CallOutcome, at: datetime, final_step: bool,
                    call_id: str | None = None, dialed: bool | None = None) -> None:
        """Fold one finished attempt into the campaign's state.

        A deferral is not an attempt: nobody was called, the step stays open. `dialed`
        says whether the phone may have rung (default: what the outcome implies); a call
        refused before dialing (bad LiveKit settings, say) is no attempt on the contact.
        """
        if outcome is CallOutcome.DEFERRED:
            return
        if call_id is not None and any(a.call_id == call_id for a in self.call_history):
            return  # already folded in: a repair after a crash must not count the call twice
        if outcome.dialed if dialed is None else dialed:
            self.call_history.append(CallAttempt(at=at, step=step, outcome=outcome, call_id=call_id))
            self.last_call_date = at
        self.last_completed_step = step if self.last_completed_step is None else max(self.last_completed_step, step)
        self.last_completed_date = at
        if outcome is CallOutcome.OPTED_OUT:
            self.status = CampaignStatus.OPTED_OUT
        elif final_step or outcome in CLOSING_OUTCOMES:
            self.status = CampaignStatus.COMPLETED
        else:
            self.status = CampaignStatus.ACTIVE
