"""The atomic claim on a (campaign, step) that makes each step dial at most once."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.call_claim import Claim
from domain.compliance import ComplianceDecision
from domain.outcomes import CallOutcome


class CallClaims(Protocol):
    async def acquire(self, campaign_id: str, step: int, *, worker_id: str, call_id: str,
                      now: datetime, lease_until: datetime, attempt: int = 0,
                      decision: ComplianceDecision | None = None) -> tuple[bool, Claim]:
        """Compare-and-set: take the claim if it is free (absent, released, or CLAIMED with an
        expired lease). Returns (won, claim as stored after the attempt). A won claim keeps
        `decision` (the compliance check this attempt acts on) in the same write; the
        ComplianceAudit's `for_campaign` lists it. A lost claim keeps nothing."""

    async def mark_dialing(self, campaign_id: str, step: int, *, worker_id: str, lease_until: datetime,
                           attempt: int = 0) -> None:
        """Only the holder may move its claim to DIALING; raises ClaimLost otherwise."""

    async def renew(self, campaign_id: str, step: int, *, worker_id: str, lease_until: datetime,
                    attempt: int = 0) -> bool: ...

    async def complete(self, campaign_id: str, step: int, *, outcome: CallOutcome, attempt: int = 0) -> None: ...

    async def release(self, campaign_id: str, step: int, *, worker_id: str, attempt: int = 0) -> None: ...

    async def get(self, campaign_id: str, step: int, attempt: int = 0) -> Claim | None: ...

    async def in_flight(self) -> list[Claim]:
        """Claims in CLAIMED or DIALING, for operators (check-status)."""


class ClaimLost(Exception):
    """The claim changed hands: the caller must not dial."""
