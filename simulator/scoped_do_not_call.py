"""The real MongoDB do-not-call list, kept apart per scenario.

Two scenarios may use the same phone number; one opting out must not make the
other un-callable. Each scenario's entries are hashed with its own key.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from datetime import datetime
from typing import Iterable, Iterator

from application.ports.compliance import DoNotCallEntry, DoNotCallListing
from domain.personal_data import phone_digest
from domain.contact import Contact
from infrastructure.mongo_compliance import MongoDoNotCallList
from infrastructure.mongo_in_lists import find_in
from infrastructure.mongo_repositories import MongoContactRepository

_scope: contextvars.ContextVar[str] = contextvars.ContextVar("dnc_scope", default="")


@contextmanager
def scenario_scope(name: str) -> Iterator[None]:
    token = _scope.set(name)
    try:
        yield
    finally:
        _scope.reset(token)


class ScopedDoNotCallList:
    def __init__(self, database, hash_key: bytes):
        self.database = database
        self.hash_key = hash_key

    def _list(self, scope: str | None = None) -> MongoDoNotCallList:
        scope = _scope.get() if scope is None else scope
        return MongoDoNotCallList(self.database, self.key_for(scope))

    def key_for(self, scope: str) -> bytes:
        """The key the scope's list hashes its numbers with."""
        return self.hash_key + b"|" + scope.encode()

    def within(self, scope: str) -> MongoDoNotCallList:
        return self._list(scope)

    async def contains(self, phone: str, listing: DoNotCallListing | None = None) -> bool:
        # A listing read with the contact was hashed with the product's key, never a scope's:
        # the scoped list's `contains` sees the digest differ and reads its own entry.
        return await self._list().contains(phone, listing)

    async def add(self, phone: str, *, reason: str, source: str, at: datetime) -> bool:
        return await self._list().add(phone, reason=reason, source=source, at=at)

    async def remove(self, phone: str) -> bool:
        return await self._list().remove(phone)

    async def entries(self) -> list[DoNotCallEntry]:
        return await self._list().entries()

    async def listed(self, numbers: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """The (scope, phone) pairs on their scope's list: `within(scope).contains(phone)` of many, read
        together (a run's observation of every scenario)."""
        by_digest = {phone_digest(phone, self._list(scope).hash_key): (scope, phone) for scope, phone in numbers}
        found = await find_in(self._list("").collection, "_id", by_digest, {"_id": 1})
        return {by_digest[doc["_id"]] for doc in found}


class ScopedContactRepository(MongoContactRepository):
    """The contact repository that saves each scenario's contact with its number hashed under the scenario's
    list key (`scopes`: contact id -> scope): reading the campaign with its contact then reads the
    scenario's do-not-call entry in the same round trip, as a real call reads the real list's."""

    def __init__(self, engine, dnc: ScopedDoNotCallList, scopes: dict[str, str]):
        super().__init__(engine, dnc.hash_key)
        self.dnc = dnc
        self.scopes = scopes

    def digest_key(self, contact: Contact) -> bytes | None:
        scope = self.scopes.get(contact.id)
        return self.dnc.key_for(scope) if scope is not None else super().digest_key(contact)
