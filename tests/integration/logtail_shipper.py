"""One process shipping log records to Logtail as a worker does (`install_logtail`), for the account-wide
log rate test: `python logtail_shipper.py COUNT`; settings from the environment; prints what it dropped."""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from infrastructure.logtail_shipping import install_logtail  # noqa: E402
from infrastructure.settings import load_settings  # noqa: E402

if __name__ == "__main__":
    import os

    settings = load_settings(None)
    logger = logging.getLogger("shipper")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = install_logtail(settings, logger, shared_redis_url=os.environ.get("SHARED_REDIS_URL"))
    assert handler is not None, "LOGTAIL_SOURCE_TOKEN is not set"
    handed: list = []  # records the account-wide uploader passed on to Logtail's client
    if hasattr(handler.uploader, "upload"):
        post = handler.uploader.upload
        handler.uploader.upload = lambda frame: (handed.extend(frame), post(frame))[1]
    count = int(sys.argv[1])
    for n in range(count):
        logger.info("shipped record %d", n)
    handler.flush()
    # The flush can return while the flush thread holds the last records it took, not yet through the
    # uploader (it marks itself busy just after taking them): wait until every record is accounted for.
    deadline = time.monotonic() + 60
    while (len(handed) + getattr(handler.uploader, "dropped", 0) + handler.filters[-1].dropped < count
           and hasattr(handler.uploader, "upload") and time.monotonic() < deadline):
        time.sleep(0.05)
    print(getattr(handler.uploader, "dropped", 0) + handler.filters[-1].dropped, flush=True)
