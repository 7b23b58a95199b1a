"""The do-not-call use cases behind `docshield dnc add|remove|list|import`."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from application.errors import TransientFault
from application.manage_dnc import InvalidPhoneNumber, ManageDoNotCall, normalise_phone
from tests.fakes.compliance import FakeDoNotCallList
from tests.fakes.runtime import FakeClock

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def dnc():
    return FakeDoNotCallList()


@pytest.fixture
def manage(dnc):
    return ManageDoNotCall(dnc, FakeClock(NOW))


async def test_add_normalises_to_e164_and_reports_the_masked_number(manage, dnc):
    change = await manage.add("(512) 555-0143", reason="asked on the phone")
    assert change.changed
    assert change.masked == "+1512•••0143"
    assert await dnc.contains("+15125550143")
    entry, = await manage.list()
    assert (entry.reason, entry.source, entry.added_at) == ("asked on the phone", "cli", NOW)


async def test_adding_twice_reports_already_listed(manage):
    await manage.add("+15125550143")
    assert not (await manage.add("512-555-0143")).changed


async def test_remove_takes_any_spelling_of_the_number(manage, dnc):
    await manage.add("+15125550143")
    assert (await manage.remove("1 (512) 555 0143")).changed
    assert not await dnc.contains("+15125550143")
    assert not (await manage.remove("+15125550143")).changed


@pytest.mark.parametrize("bad", ["12345", "call me", "+1 555 555 0100", ""])
async def test_a_bad_number_is_refused_naming_it(manage, bad):
    with pytest.raises(InvalidPhoneNumber) as caught:
        await manage.add(bad)
    assert (repr(bad) if bad else "empty") in str(caught.value)
    assert await manage.list() == []


def test_normalise_phone_accepts_international_numbers():
    assert normalise_phone("+44 20 7946 0000") == "+442079460000"


CSV = """\ufeffphone,reason
+15125550143,asked twice
(212) 555-0100,
not-a-number,oops

+1 555 555 0100,fake exchange
512-555-0143,duplicate in the file
,no number
"415 555 2671","quoted"
"""


async def test_import_reports_each_bad_row_and_keeps_going(manage, dnc):
    report = await manage.import_csv(io.StringIO(CSV))
    assert (report.rows, report.added, report.already_listed) == (7, 3, 1)
    assert [(e.line, e.message) for e in report.errors] == [
        (4, "'not-a-number' is not a phone number"),
        (6, "'+1 555 555 0100' is not a valid phone number"),
        (8, "no phone number in this row"),
    ]
    assert str(report.errors[0]) == "line 4: 'not-a-number' is not a phone number"
    assert report.summary() == "7 row(s): 3 added, 1 already listed, 3 error(s)"
    assert not report.ok
    for phone in ("+15125550143", "+12125550100", "+14155552671"):
        assert await dnc.contains(phone)
    reasons = {e.masked: e.reason for e in await manage.list()}
    assert reasons["+1512•••0143"] == "asked twice"
    assert reasons["+1212•••0100"] == "imported"  # empty reason -> the default


async def test_import_without_a_header_reads_the_first_column(manage, dnc):
    report = await manage.import_csv(["5125550143\n", "2125550100,whatever\n"])
    assert (report.rows, report.added, report.errors) == (2, 2, [])
    assert await dnc.contains("+12125550100")


async def test_import_finds_the_phone_column_by_name(manage, dnc):
    report = await manage.import_csv(["name,Phone_Number\n", "Dana,512 555 0143\n"])
    assert report.added == 1 and report.ok
    assert await dnc.contains("+15125550143")


async def test_import_counts_numbers_already_on_the_list(manage):
    await manage.add("+15125550143")
    report = await manage.import_csv(["phone\n", "+15125550143\n"])
    assert (report.added, report.already_listed) == (0, 1)


async def test_a_storage_fault_on_one_row_is_reported_and_the_import_goes_on():
    class FlakyList(FakeDoNotCallList):
        async def add(self, phone, **kw):
            if phone == "+12125550100":
                raise TransientFault("mongodb", "timed out")
            return await super().add(phone, **kw)

    dnc = FlakyList()
    report = await ManageDoNotCall(dnc, FakeClock(NOW)).import_csv(["+12125550100\n", "+15125550143\n"])
    assert report.added == 1
    error, = report.errors
    assert error.line == 1 and "+1212•••0100" in error.message and "5550100" not in error.message
    assert await dnc.contains("+15125550143")
