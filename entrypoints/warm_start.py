"""Warm start: import and connect everything a call needs before the worker takes its first job.

Without it the first job of a process paid about a second and a hundred megabytes (connections,
the use case's adapters, the phone-number data the calling policy reads), and an idle worker
looked half its real size in `check-status`."""
from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import time
from datetime import datetime, timezone

from bson import ObjectId

from domain.campaign import Campaign
from domain.contact import Contact

log = logging.getLogger("docshield.worker")

# A made-up number and no state: the policy derives it from the number, as for most contacts. The zone
# (the number's own) makes the policy read the list of zone names once, as a contact with a zone would.
_SAMPLE = Contact(id=str(ObjectId()), first_name="Warm", last_name="Start", phone="+15125550100", practice="-",
                  timezone="America/Chicago")
# A toll-free number too (practices have them): telling it from the other NANP countries' numbers loads
# more of the numbering plan's data.
_TOLL_FREE = Contact(id=str(ObjectId()), first_name="Warm", last_name="Start", phone="+18005550100", practice="-",
                     timezone="America/Chicago")


async def warm_up(container, settings) -> None:
    """Build the call use case, open a MongoDB connection per concurrent call and one to Redis, read
    the do-not-call list once and let the calling policy decide once (it loads phone-number data).
    Never fatal: the first job then pays what is left."""
    started = time.perf_counter()
    try:
        await container.conduct_call()
        database = await container.database()
        await asyncio.gather(*(database.command("ping") for _ in range(settings.max_concurrent_calls)))
        await (await container.redis()).ping()
        do_not_call = container.do_not_call()
        do_not_call = await do_not_call if inspect.isawaitable(do_not_call) else do_not_call
        await do_not_call.contains(_SAMPLE.phone)
        for sample in (_SAMPLE, _TOLL_FREE):
            container.calling_policy().decide(sample, Campaign(id=str(ObjectId()), contact_id=sample.id),
                                              datetime.now(timezone.utc), on_dnc=False)
    except Exception as exc:
        log.warning("warm start incomplete (%s); the first call will finish it", type(exc).__name__)
        return
    gc.collect()
    gc.freeze()  # what start-up built lives as long as the process: keep it out of later collections
    log.info("warm in %.2f s", time.perf_counter() - started)
