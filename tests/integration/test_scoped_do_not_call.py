"""The simulation's do-not-call list on a real MongoDB: each scenario's entries apart, and many read at once."""
from __future__ import annotations

from datetime import datetime, timezone

from infrastructure.mongo_in_lists import IN_LIST
from simulator.scoped_do_not_call import ScopedDoNotCallList

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
