"""Scripts stored per batch in MongoDB, falling back to the shipped default."""
from __future__ import annotations

from dataclasses import asdict

from domain.script import Script, default_script
from infrastructure.mongo_faults import mongo_faults


class MongoScriptCatalog:
    def __init__(self, database):
        self.collection = database["scripts"]

    async def for_campaign(self, batch: str, script_id: str | None) -> Script:
        query = {"_id": script_id} if script_id else {"batch": batch}
        with mongo_faults("scripts.get"):
            doc = await self.collection.find_one(query, sort=[("version", -1)])
        if doc is None:
            return default_script()
        fields = {k: v for k, v in doc.items() if k not in ("_id", "batch")}
        return Script(id=str(doc["_id"]), **fields)

    async def save(self, batch: str, script: Script) -> None:
        body = asdict(script)
        body["objection_handlers"] = dict(script.objection_handlers)
        script_id = body.pop("id")
        with mongo_faults("scripts.save"):
            await self.collection.replace_one({"_id": script_id}, {**body, "batch": batch}, upsert=True)
