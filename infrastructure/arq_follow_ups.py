"""FollowUpQueue on the ARQ queue: the follow-up is the same job with `attempt`, job id
`call:{campaign_id}:{step}:{attempt}` (contracts section 1), deferred to its run time."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from arq.connections import ArqRedis
from arq.constants import job_key_prefix
from redis.asyncio import Redis

from application.commands import ConductCallCommand, parse_job_id
from infrastructure.arq_jobs import FUNCTION_NAME, deserialize, enqueue_call, serialize


KEEP_PAST_RUN_TIME = timedelta(days=1)
# Queue members a scan step looks at (the server matches them, and replies with the campaign's only). At
# Redis's default of 10, a queue of 3,000 jobs took 300 round trips to look through for one campaign.
SCAN_BATCH = 1000


class ArqFollowUpQueue:
    """`redis`: a redis.asyncio client on the queue's Redis (its connection pool is shared)."""

    def __init__(self, redis: Redis, *, queue_name: str):
        self.queue_name = queue_name
        self.arq = ArqRedis(redis.connection_pool, job_serializer=serialize, job_deserializer=deserialize,
                            default_queue_name=queue_name)

    async def schedule(self, command: ConductCallCommand, at: datetime) -> bool:
        if command.attempt < 1:
            raise ValueError("a follow-up has attempt >= 1; attempt 0 is the producer's job")
        # Kept a day past its run time; a run time already past (a late redelivery) still gets the day.
        keep = max(at - datetime.now(timezone.utc), timedelta(0)) + KEEP_PAST_RUN_TIME
        return await enqueue_call(self.arq, command, queue_name=self.queue_name, defer_until=at,
                                  expires=keep) is not None

    async def scheduled(self, campaign_id: str) -> list[tuple[ConductCallCommand, datetime]]:
        return (await self._scheduled(f"call:{campaign_id}:*:*", {campaign_id})).get(campaign_id, [])

    async def scheduled_for(self, campaign_ids: Iterable[str]) -> dict[str, list[tuple[ConductCallCommand, datetime]]]:
        """`scheduled` of many campaigns, in one look through the queue (a simulation's many at once):
        every campaign asked for is a key, with an empty list when it has none."""
        wanted = set(campaign_ids)
        found = await self._scheduled("call:*", wanted) if wanted else {}
        return {campaign_id: found.get(campaign_id, []) for campaign_id in wanted}

    async def _scheduled(self, match: str, campaigns: set[str]) -> dict[str, list[tuple[ConductCallCommand, datetime]]]:
        """The follow-ups (attempt >= 1) of `campaigns` among the queue's members matching `match`, by
        campaign and in run-time order; their jobs read in one round trip."""
        members = []
        async for member, score in self.arq.zscan_iter(self.queue_name, match=match, count=SCAN_BATCH):
            job_id = member.decode() if isinstance(member, bytes) else member
            parsed = parse_job_id(job_id)
            if parsed is not None and parsed[2] >= 1 and parsed[0] in campaigns:
                members.append((parsed[0], job_id, score))
        jobs = await self.arq.mget([job_key_prefix + job_id for _, job_id, _ in members]) if members else []
        found: dict[str, list[tuple[ConductCallCommand, datetime]]] = {}
        for (campaign_id, _, score), raw in zip(members, jobs):
            if raw is None:  # it ran, or expired, since the scan saw it
                continue
            body = deserialize(raw)
            if body.get("f") != FUNCTION_NAME:
                continue
            found.setdefault(campaign_id, []).append(
                (ConductCallCommand.from_kwargs(body["k"]), datetime.fromtimestamp(score / 1000, tz=timezone.utc)))
        return {campaign_id: sorted(pairs, key=lambda pair: pair[1]) for campaign_id, pairs in found.items()}

    async def cancel(self, campaign_id: str) -> int:
        removed = 0
        for command, _ in await self.scheduled(campaign_id):
            async with self.arq.pipeline(transaction=True) as pipe:
                pipe.zrem(self.queue_name, command.job_id)
                pipe.delete(job_key_prefix + command.job_id)
                done = await pipe.execute()
            removed += int(done[0])
        return removed
