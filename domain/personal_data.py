"""How personal data is shown and keyed where it must not appear in clear."""
from __future__ import annotations

import hashlib
import hmac
import re

_DIGITS = re.compile(r"\D")


def mask_phone(phone: str) -> str:
    """Enough for an operator to tell numbers apart, not enough to dial: +1512•••0143."""
    digits = _DIGITS.sub("", phone or "")
    if len(digits) < 7:
        return "•••"
    return f"+{digits[:-7]}•••{digits[-4:]}"


def phone_digest(phone: str, key: bytes) -> str:
    """A keyed hash of the E.164 number: lets us recognise a number without storing it."""
    return hmac.new(key, _DIGITS.sub("", phone or "").encode(), hashlib.sha256).hexdigest()


def mask_email(email: str) -> str:
    user, _, domain = (email or "").partition("@")
    if not domain:
        return "•••"
    return f"{user[:1]}•••@{domain}"
