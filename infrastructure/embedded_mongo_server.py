"""The embedded MongoDB (SecantusDB) in a process of its own: `python -m infrastructure.embedded_mongo_server PATH`.

Why a process: SecantusDB is Python. In the caller's process its connection threads take the GIL from
the event loop at every round trip: a simulation of the 381 shipped scenarios spent 53 s of CPU with
the server in-process, and 37 s (plus 13 s in the server) beside it (benchmarks/simulate_throughput.py).

The server prints its URI on one line when it serves, then serves until its standard input closes
(the process that started it ended, however it ended: even SIGKILLed, it leaves no server behind)
or it receives SIGTERM. Either way it stops in order: connections drained, storage closed.
"""
from __future__ import annotations

import signal
import socket
import sys
from contextlib import suppress


class _Stop(Exception):
    pass


def _stop_now(signum, frame) -> None:
    raise _Stop


def stop_quickly(server) -> None:
    """`server.stop()`, without its 2 s wait for the accept thread: shutting the listening socket down
    wakes the thread's blocked `accept()` (closing it, as `stop()` does, does not on Linux)."""
    listening = getattr(server, "_socket", None)
    if listening is not None:
        with suppress(OSError):
            listening.shutdown(socket.SHUT_RDWR)
    server.stop()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m infrastructure.embedded_mongo_server STORAGE_PATH", file=sys.stderr)
        return 2
    from secantus import SecantusDBServer

    signal.signal(signal.SIGTERM, _stop_now)
    # A standalone server, as a developer's local mongod is: no replica set, so no oplog. Nothing here
    # needs one (no transactions, no change streams), and as a set member SecantusDB wrote an oplog
    # entry beside every write (with a diff of each update: a tenth of its time in a simulation) and
    # kept every retryable write's reply, looking through all of them at each write.
    server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=argv[0], replica_set_name=None)
    server.start()
    try:
        print(server.uri, flush=True)
        while sys.stdin.buffer.read(4096):  # until the starting process closes the pipe or ends
            pass
    except _Stop:
        pass
    finally:
        stop_quickly(server)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
