"""One of several worker processes calling LiveKit or Google Calendar through the container's
guards (the production wiring: settings from the environment, limits and breakers shared in
Redis). The tests start four of these and count what reaches the stubs.

    python tests/integration/account_limits_worker.py livekit|calendar|both N

Prints one line per call, as it ends: `<kind> ok`, `<kind> refused` (an open breaker or a spent
quota) or `<kind> fault <type>`; `both` makes N calls of each kind at once. CALENDAR_TOKEN is the
stub's access token. With WAIT_FOR_GO set it prints `ready` and waits for a line on stdin first."""
from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from application.errors import DependencyUnavailable  # noqa: E402
from containers import build_container, close_container  # noqa: E402
from infrastructure.settings import load_settings  # noqa: E402


async def main(kind: str, count: int) -> None:
    container = await build_container(load_settings())
    from livekit import api

    client = api.LiveKitAPI(os.environ["LIVEKIT_URL"], os.environ["LIVEKIT_API_KEY"], os.environ["LIVEKIT_API_SECRET"])
    try:
        guard = container.guards()["livekit"]

        async def livekit(i: int):
            return await guard.call(client.room.create_room, api.CreateRoomRequest(name=f"r-{os.getpid()}-{i}"),
                                    retry=False)

        from application.ports.calendar_credentials import CalendarAccess
        from domain.meeting import Interval

        calendar = container.calendar()
        access = CalendarAccess(token=os.environ["CALENDAR_TOKEN"],
                                expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
        start = datetime(2026, 3, 11, 14, tzinfo=timezone.utc)

        async def busy(i: int):
            return await calendar.busy(access, "primary", Interval(start, start + timedelta(hours=1)))

        async def run(name: str, one) -> None:
            for i in range(count):
                try:
                    await one(i)
                    print(name, "ok", flush=True)
                except DependencyUnavailable:
                    print(name, "refused", flush=True)
                except Exception as exc:
                    print(name, "fault", type(exc).__name__, flush=True)

        if os.environ.get("WAIT_FOR_GO"):
            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        kinds = {"livekit": livekit, "calendar": busy}
        await asyncio.gather(*(run(name, one) for name, one in kinds.items() if kind in (name, "both")))
    finally:
        await client.aclose()
        await close_container(container)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
