"""An in-memory FollowUpQueue with the ARQ queue's once-per-job-id rule."""
from __future__ import annotations

from datetime import datetime

from application.commands import ConductCallCommand


class InMemoryFollowUpQueue:
    def __init__(self):
        self.jobs: dict[str, tuple[ConductCallCommand, datetime]] = {}
        self.offered: list[str] = []  # every schedule() call's job id, queued or not

    async def schedule(self, command: ConductCallCommand, at: datetime) -> bool:
        if command.attempt < 1:
            raise ValueError("a follow-up has attempt >= 1; attempt 0 is the producer's job")
        self.offered.append(command.job_id)
        if command.job_id in self.jobs:
            return False
        self.jobs[command.job_id] = (command, at)
        return True

    async def scheduled(self, campaign_id: str) -> list[tuple[ConductCallCommand, datetime]]:
        return sorted((pair for pair in self.jobs.values() if pair[0].campaign_id == campaign_id),
                      key=lambda pair: pair[1])

    async def cancel(self, campaign_id: str) -> int:
        doomed = [job_id for job_id, (c, _) in self.jobs.items() if c.campaign_id == campaign_id]
        for job_id in doomed:
            del self.jobs[job_id]
        return len(doomed)
