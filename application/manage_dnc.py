"""Use cases behind `docshield dnc add|remove|list|import CSV`: the internal do-not-call list.

Numbers are stored as E.164 (through the DoNotCallList port, which keeps only
a keyed hash and a masked form); results show the masked form, never the number.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Callable, Iterable

from application.errors import TransientFault
from application.ports.clock import Clock
from application.ports.compliance import DoNotCallEntry, DoNotCallList
from domain.callee_location import to_e164
from domain.personal_data import mask_phone


class InvalidPhoneNumber(ValueError):
    """The input is not a valid phone number; the message names it."""


@dataclass(frozen=True)
class DncChange:
    masked: str
    changed: bool  # added (was not listed) or removed (was listed)


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    already_listed: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (f"{self.rows} row(s): {self.added} added, {self.already_listed} already listed, "
                f"{len(self.errors)} error(s)")


def normalise_phone(raw: str) -> str:
    """E.164 for any valid number (US when no country code is given); InvalidPhoneNumber otherwise."""
    try:
        return to_e164(raw)
    except ValueError as exc:
        raise InvalidPhoneNumber(str(exc)) from None


PHONE_HEADERS = ("phone", "phone_number", "number", "telephone", "e164")


class ManageDoNotCall:
    def __init__(self, dnc: DoNotCallList, clock: Clock):
        self.dnc = dnc
        self.clock = clock

    async def add(self, phone: str, *, reason: str = "operator request", source: str = "cli") -> DncChange:
        number = normalise_phone(phone)
        added = await self.dnc.add(number, reason=reason, source=source, at=self.clock.now())
        return DncChange(mask_phone(number), added)

    async def remove(self, phone: str) -> DncChange:
        number = normalise_phone(phone)
        return DncChange(mask_phone(number), await self.dnc.remove(number))

    async def list(self) -> list[DoNotCallEntry]:
        return await self.dnc.entries()

    async def import_csv(self, lines: Iterable[str], *, source: str = "csv import", default_reason: str = "imported",
                         on_row: Callable[[], None] | None = None) -> ImportReport:
        """Add every number in a CSV; one bad row is reported (line and what is wrong), never fatal.

        The file has a header naming a phone column (phone, phone_number, number,
        telephone or e164) and optionally a `reason` column; without such a
        header the first column of every row is the number.
        """
        report = ImportReport()
        reader = csv.reader(_without_bom(lines))
        phone_col, reason_col = 0, None
        seen: set[str] = set()
        first = True
        for row in reader:
            line = reader.line_num
            if on_row is not None:
                on_row()
            if not any(cell.strip() for cell in row):
                continue
            if first:
                first = False
                header = [cell.strip().lower() for cell in row]
                if any(h in PHONE_HEADERS for h in header):
                    phone_col = next(i for i, h in enumerate(header) if h in PHONE_HEADERS)
                    reason_col = header.index("reason") if "reason" in header else None
                    continue
            report.rows += 1
            if phone_col >= len(row) or not row[phone_col].strip():
                report.errors.append(RowError(line, "no phone number in this row"))
                continue
            try:
                number = normalise_phone(row[phone_col])
            except InvalidPhoneNumber as exc:
                report.errors.append(RowError(line, str(exc)))
                continue
            reason = (row[reason_col].strip() if reason_col is not None and reason_col < len(row) else "")
            if number in seen:
                report.already_listed += 1
                continue
            seen.add(number)
            try:
                added = await self.dnc.add(number, reason=reason or default_reason, source=source,
                                           at=self.clock.now())
            except TransientFault as exc:
                report.errors.append(RowError(line, f"{mask_phone(number)} not stored ({exc})"))
                continue
            if added:
                report.added += 1
            else:
                report.already_listed += 1
        return report


def _without_bom(lines: Iterable[str]) -> Iterable[str]:
    first = True
    for text in lines:
        if first:
            text = text.lstrip("\ufeff")
            first = False
        yield text
