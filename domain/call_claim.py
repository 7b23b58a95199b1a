"""The claim on one (campaign, step): the guard that makes dialing happen once.

A job is delivered at least once, a phone call is not idempotent. A claim
moves CLAIMED -> DIALING -> COMPLETED, or back to RELEASED when nothing was
dialed. A DIALING claim whose lease ran out belongs to a worker that died
mid-call: its outcome is unknown and the step is never dialed again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from domain.outcomes import CallOutcome


class ClaimStatus(str, Enum):
    CLAIMED = "claimed"
    DIALING = "dialing"
    COMPLETED = "completed"
    RELEASED = "released"


@dataclass(frozen=True)
class Claim:
    campaign_id: str
    step: int
    status: ClaimStatus
    worker_id: str
    call_id: str
    lease_until: datetime
    outcome: CallOutcome | None = None
    attempt: int = 0  # each (campaign, step, attempt) is claimed apart

    @property
    def key(self) -> str:
        return claim_key(self.campaign_id, self.step, self.attempt)

    def expired(self, now: datetime) -> bool:
        return self.lease_until <= now


def claim_key(campaign_id: str, step: int, attempt: int = 0) -> str:
    # Attempt 0 keeps the key it always had, so claims stored before follow-ups existed still match.
    return f"{campaign_id}:{step}:{attempt}" if attempt else f"{campaign_id}:{step}"
