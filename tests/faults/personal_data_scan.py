"""Scans log output for a contact's personal data in clear (phone in any spelling, email, names, practice)."""
from __future__ import annotations

import re
import unicodedata


def assert_no_personal_data(log_text: str, contact) -> None:
    plain = unicodedata.normalize("NFKC", log_text)
    subscriber = re.sub(r"\D", "", contact.phone)[-7:]
    runs = [re.sub(r"\D", "", run) for run in re.findall(r"\d(?:[\s./_()+-]*\d)*", plain)]
    assert not any(subscriber in run for run in runs), "a phone number reached the log"
    for field in ("first_name", "last_name", "email", "practice"):
        value = getattr(contact, field, None)
        if value:
            assert value not in plain, f"the contact's {field} reached the log"
