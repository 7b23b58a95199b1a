"""Findings 2 and 8: redaction is linear and capped per field, and no phone or email spelling survives
(property-based: hypothesis writes the numbers and addresses the way people and programs do)."""
from __future__ import annotations

import io
import json
import logging
import re
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infrastructure.log_redaction import MAX_FIELD_CHARS, RedactingFilter, redact_text

FULL_WIDTH = str.maketrans("0123456789+-()", "０１２３４５６７８９＋－（）")
SEPARATORS = ["", " ", "-", ".", "/", "_"]
FILLER = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCXYZ,;:=!?'\"[]{}<>|\\", max_size=30)


@st.composite
def us_numbers(draw) -> tuple[str, str]:
    """(how it is written, the seven digits that must not survive)"""
    area = draw(st.sampled_from("23456789")) + draw(st.text("0123456789", min_size=2, max_size=2))
    exchange = draw(st.sampled_from("23456789")) + draw(st.text("0123456789", min_size=2, max_size=2))
    line = draw(st.text("0123456789", min_size=4, max_size=4))
    sep = draw(st.sampled_from(SEPARATORS))
    style = draw(st.sampled_from(["plain", "plus", "one", "parens", "local", "extension"]))
    if style == "plain":
        written = f"{area}{sep}{exchange}{sep}{line}"
    elif style == "plus":
        written = f"+1{sep}{area}{sep}{exchange}{sep}{line}"
    elif style == "one":
        written = f"1{sep}{area}{sep}{exchange}{sep}{line}"
    elif style == "parens":
        written = f"({area}){draw(st.sampled_from(['', ' ']))}{exchange}{draw(st.sampled_from(['-', ' ', '.']))}{line}"
    elif style == "local":
        written = f"{exchange}{draw(st.sampled_from(['-', '.', ' ']))}{line}"
    else:
        written = f"x{area}{exchange}{line}"
    if draw(st.booleans()):
        written = written.translate(FULL_WIDTH)
    return written, exchange + line


emails = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}{tld}",
    st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,19}", fullmatch=True),
    st.lists(st.from_regex(r"[a-z0-9][a-z0-9-]{0,9}", fullmatch=True), min_size=1, max_size=3),
    st.sampled_from(["", ".com", ".example", ".co.uk", ".io"]),
)


def digit_runs(text: str) -> list[str]:
    """Digits that stand together (only separators between them), as one string each."""
    plain = unicodedata.normalize("NFKC", text)
    return [re.sub(r"\D", "", run) for run in re.findall(r"\d(?:[\s./_()+-]*\d)*", plain)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=FILLER, number=us_numbers(), between=FILLER, email=emails, after=FILLER)
def test_no_written_phone_number_or_email_survives(before, number, between, email, after):
    written, subscriber = number
    text = f"{before} {written} {between} {email} {after}"
    out = redact_text(text)
    assert not any(subscriber in run for run in digit_runs(out)), (text, out)
    local = email.split("@")[0]
    assert email not in out and (len(local) < 2 or f"{local}@" not in out), (text, out)


def test_the_listed_spellings_are_masked():
    for written in ["555-0143", "512/555/0143", "+1_512_555_0143", "x5125550143", "５１２-５５５-０１４３",
                    "+1 (512) 555-0143", "call 512 555 0143 today"]:
        assert not any("5550143" in run for run in digit_runs(redact_text(written))), written
    assert "dana@" not in redact_text("write to dana@localhost")


def test_a_huge_field_is_capped_and_redacted_in_one_pass():
    # 100 KB without an @ (the quadratic case) and 5 MB of letters: bounded by the cap.
    for text in ["a" * 100_000 + " dana@lakeside.example", "x" * 5_000_000, "5" * 1_000_000]:
        out = redact_text(text)
        assert len(out) < MAX_FIELD_CHARS + 100 and "more characters" in out


def test_pymongo_command_logs_never_show_documents():
    from pymongo.logger import LogMessage

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("pymongo.command")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug(LogMessage(message="Command succeeded", commandName="find", databaseName="docshield",
                                durationMS=1.5, reply=json.dumps({"cursor": {"firstBatch": [
                                    {"first_name": "Dana", "last_name": "Reyes", "practice": "Lakeside Orthopedics",
                                     "phone": "+15125550143"}]}})))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    line = stream.getvalue()
    assert "find" in line and "docshield" in line
    for secret in ("Dana", "Reyes", "Lakeside", "5550143"):
        assert secret not in line
