"""Process-wide logging: plain or JSON lines on stderr."""
from __future__ import annotations

import json
import logging
import sys
import time

from infrastructure.log_redaction import RedactingFilter


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:  # set (already masked) by the redaction filter
            body["exception"] = record.exc_text
        return json.dumps(body)


def configure_logging(level: str = "INFO", *, json_lines: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else
                         logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party chatter stays at WARNING unless we debug.
    for noisy in ("arq", "pymongo", "secantus", "botocore", "aiobotocore", "httpx", "livekit"):
        logging.getLogger(noisy).setLevel(level if level == "DEBUG" else "WARNING")
    logging.getLogger("arq.worker").setLevel(level if level == "DEBUG" else "WARNING")
