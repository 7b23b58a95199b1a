"""Reading documents by many values: `$in` lists of at most IN_LIST values each, sent together.

SecantusDB finds an `$in`'s documents through the index and then matches each of them against the
whole list again, so a read of n values costs about n x n comparisons: 400 contacts by `_id` took
0.35 s in one list and 0.09 s in lists of 64 (1,600: 4.7 s). MongoDB looks values up in a set, so on
it the lists cost one more round trip per 64 values, all of them in flight at once. Only reads of
many documents use this (a simulation's observation, the report page's calls), never a call's path.
"""
from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterable

IN_LIST = 64


def in_lists(values: Iterable[Hashable]) -> list[list]:
    """The distinct values, in their first order, in lists of at most IN_LIST."""
    distinct = list(dict.fromkeys(values))
    return [distinct[i:i + IN_LIST] for i in range(0, len(distinct), IN_LIST)]


async def find_in(collection, field: str, values: Iterable[Hashable], projection: dict | None = None) -> list[dict]:
    """Every document of `collection` (Motor's or pymongo's asyncio collection) whose `field` is one of
    `values`, read in `$in` lists of at most IN_LIST values; in no particular order."""
    found = await asyncio.gather(*(collection.find({field: {"$in": part}}, projection).to_list(None)
                                   for part in in_lists(values)))
    return [doc for docs in found for doc in docs]
