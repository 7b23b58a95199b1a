"""ArchiveCalls: the daily move of call data that is no longer active into the archive collections."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from application.ports.call_archive import CallArchive
from application.ports.clock import Clock
from domain.retention_policy import RetentionPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArchiveReport:
    cutoff: datetime
    call_records: int
    campaigns: int
    front_desk_forgotten: int = 0  # contacts whose front-desk details outlived the retention period

    def to_dict(self) -> dict:
        return {"cutoff": self.cutoff.isoformat(), "call_records": self.call_records, "campaigns": self.campaigns,
                "front_desk_forgotten": self.front_desk_forgotten}


class ArchiveCalls:
    """Moves call records (by call start) and closed campaigns (by closing date) older than the
    policy's active period into the archive, where they expire when the policy says.

    Only moves: nothing leaves the live collections without first being in the
    archive, and a run interrupted at any point is completed by the next.
    """

    def __init__(self, archive: CallArchive, policy: RetentionPolicy, clock: Clock):
        self.archive = archive
        self.policy = policy
        self.clock = clock

    async def __call__(self) -> ArchiveReport:
        now = self.clock.now()
        cutoff = self.policy.archive_cutoff(now)
        await self.archive.prepare()
        records = await self.archive.move_call_records(started_before=cutoff, keep_for=self.policy.delete, now=now)
        campaigns = await self.archive.move_closed_campaigns(closed_before=cutoff, keep_for=self.policy.delete,
                                                             now=now)
        # What a front desk told lives as long as the call data it came with: deleted at the same age.
        forgotten = await self.archive.forget_front_desk(learned_before=now - self.policy.delete)
        report = ArchiveReport(cutoff, records, campaigns, forgotten)
        log.info("archived %d call record(s) and %d campaign(s) older than %s", records, campaigns,
                 cutoff.isoformat(timespec="seconds"))
        return report
