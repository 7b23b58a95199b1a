"""The simulation's do-not-call list on a real MongoDB: each scenario's entries apart, and many read at once."""
from __future__ import annotations

from datetime import datetime, timezone

import pymongo.monitoring
from bson import ObjectId
from motor.motor_asyncio import AsyncIOMotorClient
from odmantic import AIOEngine

from domain.campaign import Campaign
from domain.contact import Contact
from infrastructure.mongo_in_lists import IN_LIST
from infrastructure.mongo_repositories import MongoCampaignRepository
from simulator.scoped_do_not_call import ScopedContactRepository, ScopedDoNotCallList, scenario_scope

AT = datetime(2026, 12, 1, 15, tzinfo=timezone.utc)


async def test_many_numbers_are_read_together_as_each_scope_reads_its_own(mongo_db):
    dnc = ScopedDoNotCallList(mongo_db, b"sim-key")
    numbers = [(f"{n}:scenario-{n % 7}", f"+1512555{n % 50:04d}") for n in range(3 * IN_LIST)]
    for scope, phone in numbers[::5]:
        await dnc.within(scope).add(phone, reason="asked", source="simulation", at=AT)
    # The same number in another scope is not on that scope's list.
    await dnc.within("elsewhere").add(numbers[1][1], reason="asked", source="simulation", at=AT)
    one_by_one = {pair for pair in numbers if await dnc.within(pair[0]).contains(pair[1])}
    assert one_by_one == set(numbers[::5])
    assert await dnc.listed([*numbers, ("nowhere", "+15125550199")]) == one_by_one
    assert await dnc.listed([]) == set()


class Reads(pymongo.monitoring.CommandListener):
    def __init__(self):
        self.commands: list[tuple[str, object]] = []

    def started(self, event):
        self.commands.append((event.command_name, event.command.get(event.command_name)))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


async def test_a_scenarios_entry_is_read_with_its_campaign_as_a_real_calls_is(mongo_server):
    """Seeded contacts keep their number's digest under their scenario's key: the campaign read with its
    contact reads the scenario's do-not-call entry too, and the list takes that answer without a read of
    its own. Two scenarios share a number; one is on its list, the other not."""
    reads = Reads()
    client = AsyncIOMotorClient(mongo_server.uri, event_listeners=[reads])
    database = client[f"t_{ObjectId()}"]
    try:
        engine = AIOEngine(client=client, database=database.name)
        dnc = ScopedDoNotCallList(database, b"sim-key")
        phone = "+15125550143"
        people = [Contact(id=str(ObjectId()), first_name="Dana", last_name="Reyes", phone=phone, practice="P")
                  for _ in range(2)]
        plans = [Campaign(id=str(ObjectId()), contact_id=person.id) for person in people]
        scopes = {people[0].id: "0:opted-out", people[1].id: "1:callable"}
        await ScopedContactRepository(engine, dnc, scopes).add_many(people)
        await MongoCampaignRepository(engine).add_many(plans)
        await dnc.within("0:opted-out").add(phone, reason="asked", source="simulation", at=AT)
        campaigns = MongoCampaignRepository(engine)
        answers = []
        for plan, scope in zip(plans, scopes.values()):
            found = await campaigns.get_with_contact(plan.id)
            reads.commands.clear()
            with scenario_scope(scope):
                answers.append(await dnc.contains(phone, found.listing))
            assert reads.commands == []  # answered from the campaign's read
        assert answers == [True, False]
        # A contact saved without a scope (or a listing from another key) is still read right: by a find.
        with scenario_scope("0:opted-out"):
            assert await dnc.contains(phone, None) is True
        assert [name for name, _ in reads.commands] == ["find"]
    finally:
        await client.drop_database(database.name)
        client.close()
