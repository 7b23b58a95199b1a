"""Warm start: a worker process imports and connects what a call needs before its first job."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.integration.pipeline_world import ANY_DAY, noon_somewhere

ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh interpreter: a test process has long imported everything.
FIRST_JOB = """
import asyncio, json, sys
from bson import ObjectId
from application.commands import ConductCallCommand
from containers import build_container, close_container
from domain.campaign import Campaign
from domain.callee_location import _iana_names
from domain.contact import Contact
from entrypoints.warm_start import warm_up
from infrastructure.settings import load_settings

async def main():
    settings = load_settings()
    container = await build_container(settings)
    try:
        # Toll-free: no zone of its own, so the contact's (noon now) governs at any hour.
        contact = Contact(id=str(ObjectId()), first_name="Dana", last_name="Reyes", phone="+18005550143",
                          practice="Lakeside", timezone=sys.argv[1])
        campaign = Campaign(id=str(ObjectId()), contact_id=contact.id, settings=json.loads(sys.argv[2]))
        await (await container.contacts()).add(contact)
        await (await container.campaigns()).add(campaign)
        await warm_up(container, settings)
        before, zone_reads = set(sys.modules), _iana_names.cache_info().misses
        result = await (await container.conduct_call())(ConductCallCommand(campaign.id, 0, True))
        print(json.dumps({"outcome": result.outcome.value, "imported": sorted(set(sys.modules) - before),
                          "zone_list_reads": _iana_names.cache_info().misses - zone_reads}))
    finally:
        await close_container(container)

asyncio.run(main())
"""


def test_the_first_job_imports_and_reads_nothing_new_after_the_warm_start(tmp_path, redis_url, mongo_uri):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": redis_url, "MONGODB_URI": mongo_uri,
           "MONGODB_DATABASE": f"warm_{uuid.uuid4().hex[:8]}", "DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-c", FIRST_JOB, noon_somewhere(), json.dumps(ANY_DAY)], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["outcome"] == "gatekeeper_blocked"  # the simulated line answered
    assert report["imported"] == []
    # The contact has a zone: the list of zone names (about 50 ms to read) was read by the warm start.
    assert report["zone_list_reads"] == 0
