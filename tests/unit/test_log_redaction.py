"""No phone number, email or transcript text survives the redaction filter."""
from __future__ import annotations

import io
import json
import logging
import re
from datetime import datetime

import pytest

from domain.call_record import TranscriptLine
from infrastructure.log_redaction import TRANSCRIPT_REDACTED, RedactingFilter, redact_text
from infrastructure.logging_config import JsonFormatter
from tests.fresh_process import run_snippet

PHONE_LIKE = re.compile(r"\+?\d[\d ().-]{8,}\d")
EMAIL_LIKE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.redaction")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger, stream
    logger.handlers.clear()


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize("number", ["+15125550143", "+1 512 555 0143", "(512) 555-0143", "512-555-0143",
                                    "512.555.0143", "1-512-555-0143", "5125550143", "+442079460958",
                                    "+1(512)555-0143", "+1 (512)555-0143", "(512)-555-0143"])
def test_phone_formats_are_masked(number):
    out = redact_text(f"dialing {number} now")
    assert number not in out and "•••" in out
    assert not PHONE_LIKE.search(out), out


def test_emails_are_masked_and_identifiers_are_left_alone():
    text = "mail dana.reyes+x@lakeside-ortho.example for campaign 65f0c0ffee5125550143abcd at 1712345678"
    out = redact_text(text)
    assert "dana.reyes" not in out and "d•••@lakeside-ortho.example" in out
    assert "65f0c0ffee5125550143abcd" in out and "1712345678" in out


def test_message_args_and_dict_args_are_redacted(captured):
    logger, stream = captured
    logger.info("calling %s for %s", "+15125550143", "dana@lakeside.example")
    logger.info("contact %(phone)s said %(transcript)s", {"phone": "512-555-0143", "transcript": "call me at 9"})
    first, second = lines(stream)
    assert "5550143" not in first["message"] and "dana@" not in first["message"]
    assert "555-0143" not in second["message"] and "call me at 9" not in second["message"]
    assert TRANSCRIPT_REDACTED in second["message"]


def test_objects_that_print_personal_data_are_redacted(captured):
    from domain.contact import Contact

    logger, stream = captured
    contact = Contact(id="c1", first_name="Dana", last_name="Reyes", phone="+15125550143",
                      practice="Lakeside", email="dana@lakeside.example")
    logger.warning("bad contact %r", contact)
    [line] = lines(stream)
    assert "+15125550143" not in line["message"] and "dana@lakeside" not in line["message"]
    assert "Lakeside" in line["message"]


def test_transcript_lines_and_extras_are_redacted(captured):
    logger, stream = captured
    said = [TranscriptLine("callee", "My cell is 512 555 0143, I'm Dana", datetime(2026, 3, 10))]
    logger.info("heard %s", said, extra={"utterance": "secret words", "caller": "+15125550143"})
    record_filter = RedactingFilter()
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "heard %s", (said,), None)
    record.utterance = "secret words"
    record_filter.filter(record)
    assert record.args == (TRANSCRIPT_REDACTED,) and record.utterance == TRANSCRIPT_REDACTED
    [line] = lines(stream)
    assert "Dana" not in line["message"] and "512 555" not in line["message"]


def test_exception_text_is_redacted(captured):
    logger, stream = captured
    try:
        raise RuntimeError("SIP 486 for +15125550143")
    except RuntimeError:
        logger.exception("call failed")
    [line] = lines(stream)
    assert "RuntimeError" in line["exception"] and "+15125550143" not in line["exception"]


def test_a_record_through_two_handlers_is_redacted_once():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s", ("+15125550143",), None)
    redaction = RedactingFilter()
    assert redaction.filter(record) and redaction.filter(record)
    assert record.getMessage() == "to +1512•••0143"


@pytest.mark.parametrize("key", ["lk.pii.transcript", "lk.pii.user_input"])
def test_livekits_pii_marked_extras_are_redacted(key):
    # livekit-agents' AMD logs its verdict at INFO with the callee's words under `lk.pii.transcript`.
    record = logging.LogRecord("livekit.agents", logging.INFO, __file__, 1, "amd prediction", (), None)
    record.__dict__[key] = "Hi, you've reached Dana at Lakeside, leave a message"
    RedactingFilter().filter(record)
    assert record.__dict__[key] == TRANSCRIPT_REDACTED


def test_libphonenumber_is_loaded_at_the_first_logged_digit_and_still_masks_it():
    """A command that logs no digit (`report --json`) does not import phonenumbers (about 0.03 s)."""
    script = ("import logging, sys\n"
              "from infrastructure.logging_config import configure_logging\n"
              "configure_logging('INFO', json_lines=False)\n"
              "logging.getLogger('docshield.test').warning('no digit here')\n"
              "print('phonenumbers' in sys.modules)\n"
              "logging.getLogger('docshield.test').warning('call (512) 555 0143 back')\n"
              "print('phonenumbers' in sys.modules)\n")
    done = run_snippet(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
    assert "no digit here" in done.stderr and "555 0143" not in done.stderr and "0143" in done.stderr
