"""Reopen a finished (campaign, step) claim so an operator's forced replay may dial it again.

Kept apart from MongoCallClaims on purpose: the use case never reopens a claim;
only `docshield replay --force`, a person's explicit decision, does.
"""
from __future__ import annotations

from domain.call_claim import ClaimStatus, claim_key
from infrastructure.mongo_faults import mongo_faults


async def reopen_claim(database, campaign_id: str, step: int, attempt: int = 0) -> bool:
    """COMPLETED (or an expired-lease DIALING) -> RELEASED; True when a claim was reopened."""
    with mongo_faults("claims.reopen"):
        result = await database["call_claims"].update_one(
            {"_id": claim_key(campaign_id, step), "status": {"$in": [ClaimStatus.COMPLETED.value]}},
            {"$set": {"status": ClaimStatus.RELEASED.value, "reopenedBy": "replay --force"}},
        )
    return result.matched_count == 1
