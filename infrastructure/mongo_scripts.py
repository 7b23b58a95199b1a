"""Scripts stored per batch in MongoDB, falling back to the shipped default."""
from __future__ import annotations

import time
from dataclasses import asdict
from typing import Callable

from domain.script import Script, default_script
from infrastructure.mongo_faults import mongo_faults


class MongoScriptCatalog:
    """Each process keeps a script it read for `cache_s` seconds: scripts rarely change, and a
    read per call was one of a call's MongoDB round trips. A save in this process is seen at once;
    a save elsewhere within `cache_s`."""

    def __init__(self, database, *, cache_s: float = 30.0, monotonic: Callable[[], float] = time.monotonic):
        self.collection = database["scripts"]
        self.cache_s = cache_s
        self.monotonic = monotonic
        self._cache: dict[tuple[str, str | None], tuple[float, Script]] = {}

    async def for_campaign(self, batch: str, script_id: str | None) -> Script:
        key = (batch, script_id)
        cached = self._cache.get(key)
        if cached is not None and self.monotonic() < cached[0]:
            return cached[1]
        query = {"_id": script_id} if script_id else {"batch": batch}
        with mongo_faults("scripts.get"):
            doc = await self.collection.find_one(query, sort=[("version", -1)])
        if doc is None:
            script = default_script()
        else:
            fields = {k: v for k, v in doc.items() if k not in ("_id", "batch")}
            script = Script(id=str(doc["_id"]), **fields)
        if self.cache_s > 0:
            self._cache[key] = (self.monotonic() + self.cache_s, script)
        return script

    async def save(self, batch: str, script: Script) -> None:
        body = asdict(script)
        body["objection_handlers"] = dict(script.objection_handlers)
        script_id = body.pop("id")
        with mongo_faults("scripts.save"):
            await self.collection.replace_one({"_id": script_id}, {**body, "batch": batch}, upsert=True)
        self._cache.clear()
