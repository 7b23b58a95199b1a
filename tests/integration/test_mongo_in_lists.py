"""Reads of many documents send `$in` lists SecantusDB can check (infrastructure/mongo_in_lists.py): it matches
every document found against the whole list, so one list of n values costs about n x n comparisons."""
from __future__ import annotations

import pymongo.monitoring
from bson import ObjectId
from motor.motor_asyncio import AsyncIOMotorClient
from odmantic import AIOEngine

from domain.contact import Contact
from infrastructure.mongo_in_lists import IN_LIST, in_lists
from infrastructure.mongo_repositories import MongoCallRecordRepository, MongoContactRepository


class InLists(pymongo.monitoring.CommandListener):
    def __init__(self):
        self.sizes: list[int] = []

    def started(self, event):
        if event.command_name == "find":
            for condition in event.command["filter"].values():
                if isinstance(condition, dict) and "$in" in condition:
                    self.sizes.append(len(condition["$in"]))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def test_values_are_listed_once_each_in_their_first_order():
    values = [3, 1, 3, *range(10, 10 + 2 * IN_LIST), 1]
    lists = in_lists(values)
    assert [v for part in lists for v in part] == list(dict.fromkeys(values))
    assert [len(part) for part in lists] == [IN_LIST, IN_LIST, 2]
    assert in_lists([]) == []


async def test_reading_hundreds_sends_no_list_longer_than_in_list(mongo_server):
    listener = InLists()
    client = AsyncIOMotorClient(mongo_server.uri, event_listeners=[listener])
    name = f"t_{ObjectId()}"
    try:
        engine = AIOEngine(client=client, database=name)
        contacts, records = MongoContactRepository(engine), MongoCallRecordRepository(engine)
        people = [Contact(id=str(ObjectId()), first_name="Pat", last_name="Lee", phone=f"+1512555{n:04d}",
                          practice="Lakeside") for n in range(300)]
        await contacts.add_many(people)
        assert len(await contacts.get_many([p.id for p in people])) == 300
        assert await records.for_campaigns([str(ObjectId()) for _ in range(300)]) == {}
        assert sum(listener.sizes) == 600 and max(listener.sizes) == IN_LIST, listener.sizes
    finally:
        await client.drop_database(name)
        client.close()
