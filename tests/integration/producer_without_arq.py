"""A producer that knows only the documented wire format: plain Redis commands, no arq.

Run as a separate process: python producer_without_arq.py REDIS_URL QUEUE JOB_ID FUNCTION KWARGS_JSON
"""
import json
import sys
import time

import redis


def main() -> int:
    url, queue, job_id, function, kwargs = sys.argv[1:6]
    assert "arq" not in sys.modules
    client = redis.Redis.from_url(url)
    now_ms = int(time.time() * 1000)
    if client.exists(f"arq:result:{job_id}"):
        print("handled recently")
        return 0
    payload = json.dumps({"t": 1, "f": function, "a": [], "k": json.loads(kwargs), "et": now_ms})
    if not client.set(f"arq:job:{job_id}", payload, nx=True, px=86_400_000):
        print("already queued")
        return 0
    client.zadd(queue, {job_id: now_ms})
    print("queued")
    return 0


if __name__ == "__main__":
    sys.exit(main())
