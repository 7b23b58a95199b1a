"""More worker processes for one simulation run, as a fleet scales: more processes on one queue.

A run is CPU-bound in one process (livekit-agents' session, the call core, the drivers), so on a
machine with more than one core the run forks helpers at its start (`WorkerProcesses.start`): each has
every module the run imported (a fresh interpreter spent about 3 s of CPU importing them), and waits
for the run's manifest (pickled, on its input), which the run sends once its servers are up. Each then
builds the product's container on the run's servers, puts the same stand-ins in place
(Simulation.serve), and when the run has queued its jobs runs a burst worker on the run's queue beside
the run's own: the queue hands each job to one of them (the product's claims hold as on a real fleet).
What only a helper saw (model usage, conversation and job times) comes back in a JSON file;
everything else (records, transcripts, events, follow-ups) is in the shared servers and folder, read
by the run as before.

A helper reads on from its input: "go" starts its worker, and the end of the input (the run ended,
however it ended, even SIGKILLed) stops it.
"""
from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import pickle
import signal
import sys
import threading
import traceback
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable

if TYPE_CHECKING:
    from infrastructure.settings import Settings
    from simulator.model_choice import ModelChoice
    from simulator.simulation import ScenarioRun

log = logging.getLogger(__name__)
READY = b"docshield simulation worker ready"


@dataclass
class Manifest:
    """What a helper needs to take this run's jobs as the run's own worker does."""

    settings: Settings  # the run's, with the servers this run uses
    model: ModelChoice
    max_turns: int
    time_limit_s: float | None
    runs: dict[str, ScenarioRun]  # by campaign id
    folder: Path
    run_id: str


@dataclass
class Helper:
    """A helper seen from the run: its process id and the two ends of the pipes the run keeps.

    One thread of the run waits for the process's end and keeps its exit code: the run asks from several
    threads at once (its readiness and its stop), and two threads reaping one process id race (the
    second's waitpid fails: no such child)."""

    pid: int
    stdin: BinaryIO   # to the helper: the manifest, "go", and the end of the input when the run is gone
    stdout: BinaryIO  # from the helper: its "ready" line
    code: int | None = None
    _ended: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    def __post_init__(self) -> None:
        threading.Thread(target=self._reap, name=f"simulation-helper-{self.pid}", daemon=True).start()

    def _reap(self) -> None:
        _, status = os.waitpid(self.pid, 0)
        self.code = os.waitstatus_to_exitcode(status)
        self._ended.set()

    def poll(self) -> int | None:
        return self.code if self._ended.is_set() else None

    def wait(self, timeout: float | None = None) -> int:
        """Its exit code, once it has ended (TimeoutError after `timeout` seconds)."""
        if not self._ended.wait(timeout):
            raise TimeoutError(f"process {self.pid} still running after {timeout} s")
        return self.code  # type: ignore[return-value]

    def kill(self) -> None:
        if not self._ended.is_set():
            with suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


@dataclass
class WorkerProcesses:
    """The run's helpers, seen from the run."""

    # What a helper runs, in the forked process: (worker id, results file, its input, its output) -> exit code.
    body: Callable[[str, Path, BinaryIO, BinaryIO], int] = field(default=lambda *args: helper_main(*args))
    _helpers: list[tuple[Helper, Path]] = field(default_factory=list)
    _results: list[dict] = field(default_factory=list)
    _sending: list[asyncio.Future] = field(default_factory=list)
    _ready: list[asyncio.Future] = field(default_factory=list)

    async def start(self, count: int, run_id: str, folder: Path) -> None:
        """Fork the helpers, at the run's start: each has every module the run imported, and imports and
        connects nothing until `hand_over` sends it the run's manifest. Forked from a thread of their own
        and before the run makes a connection or a thread: a helper's only thread runs no event loop, and it
        shares no connection, lock or thread state with the run."""
        folder.mkdir(parents=True, exist_ok=True)
        sys.stdout.flush()
        sys.stderr.flush()
        for n in range(1, count + 1):
            worker_id = f"simulate-{run_id}-{n}"
            out = folder / f"{worker_id}.json"
            theirs_in, ours_out = os.pipe()
            ours_in, theirs_out = os.pipe()
            kept = [ours_out, ours_in, *(f.fileno() for h, _ in self._helpers for f in (h.stdin, h.stdout))]
            # What exists now (the imported modules, mostly) is frozen for the helper's collector: its warm
            # start's collections and later ones skip it, and leave its pages shared with the run (a
            # collection writes to every object it looks at). The run keeps collecting it as before (unless
            # it had frozen objects of its own, as a warm worker does: then they all stay frozen).
            thawed = gc.get_freeze_count() == 0
            gc.freeze()
            try:
                pid = await asyncio.to_thread(_fork, self.body, worker_id, out, theirs_in, theirs_out, kept)
            finally:
                if thawed:
                    gc.unfreeze()
            os.close(theirs_in)
            os.close(theirs_out)
            self._helpers.append((Helper(pid, os.fdopen(ours_out, "wb"), os.fdopen(ours_in, "rb")), out))

    async def hand_over(self, manifest: Manifest) -> None:
        """Send each helper the run's manifest, without waiting for them to read it: a manifest is larger
        than a pipe holds, and the run seeds meanwhile."""
        sent = pickle.dumps(manifest)  # through the pipe: the settings hold secrets, kept off the disk
        for helper, _ in self._helpers:
            sending = asyncio.ensure_future(asyncio.to_thread(_send, helper, b"%d\n" % len(sent) + sent))
            self._sending.append(sending)
            self._ready.append(asyncio.ensure_future(self._readiness(helper, sending)))

    async def ready(self) -> None:
        """Until every helper is ready (connected, its stand-ins in place) or has ended."""
        await asyncio.gather(*self._ready)

    async def go(self) -> None:
        """The run's jobs are queued: each helper starts its worker as soon as it is ready, while the
        run's own takes jobs from the start (a helper ready later takes fewer)."""
        await asyncio.gather(*(self._go(helper, ready) for (helper, _), ready in zip(self._helpers, self._ready)))

    async def _readiness(self, helper: Helper, sending: asyncio.Future) -> bool:
        await sending
        if await asyncio.to_thread(_said_ready, helper.stdout):
            return True
        log.error("simulation worker process %s ended before it was ready (exit %s)", helper.pid,
                  await asyncio.to_thread(helper.wait))
        return False

    async def _go(self, helper: Helper, ready: asyncio.Future) -> None:
        if not await ready:
            return
        try:
            helper.stdin.write(b"go\n")
            helper.stdin.flush()
        except (BrokenPipeError, OSError):
            log.error("simulation worker process %s ended before the run began (exit %s)", helper.pid,
                      helper.poll())

    async def finished(self) -> None:
        """Wait for every helper's worker to end (the queue is empty), and keep what each saw."""
        for helper, out in self._helpers:
            code = await asyncio.to_thread(helper.wait)
            if code != 0:
                log.error("simulation worker process %s ended with exit code %s", helper.pid, code)
                continue
            try:
                self._results.append(json.loads(out.read_text()))
            except (OSError, ValueError) as exc:
                log.error("simulation worker process %s left no results (%s)", helper.pid, type(exc).__name__)

    async def results(self) -> list[dict]:
        return self._results

    async def stop(self) -> None:
        for (helper, _), sending in zip(self._helpers, self._sending):
            if not sending.done():
                helper.kill()  # it has not read its manifest: it would not hear its input end
        await asyncio.gather(*self._sending, return_exceptions=True)
        for helper, _ in self._helpers:
            with suppress(OSError):
                helper.stdin.close()  # a helper still running hears the end of its input and stops
        for helper, _ in self._helpers:
            try:
                await asyncio.to_thread(helper.wait, 30)
            except TimeoutError:
                helper.kill()
                await asyncio.to_thread(helper.wait)
        await asyncio.gather(*self._ready, return_exceptions=True)  # their output has ended with them
        for helper, _ in self._helpers:
            helper.stdout.close()
        self._helpers.clear()
        self._sending.clear()
        self._ready.clear()


def _fork(body: Callable[[str, Path, BinaryIO, BinaryIO], int], worker_id: str, out: Path, stdin_fd: int,
          stdout_fd: int, kept: list[int]) -> int:
    """Fork a helper that runs `body` and ends; returns its process id (to the run)."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        # What the run's process set up that is not the helper's (CPython 3.12 resets the first itself at
        # fork): the wake-up descriptor of the run's event loop, its signal handlers, its log handlers
        # (dropped, not closed: a handler's thread, such as the Logtail shipper's, is the run's alone),
        # the run's ends of every helper's pipes (else a helper would not hear its input end).
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
        for fd in kept:
            os.close(fd)
        from infrastructure.logging_config import configure_logging

        configure_logging("WARNING")  # on standard error, redacted (the run's own handlers are dropped unclosed)
        os.dup2(stdin_fd, 0)  # the end of the input (read by the descriptor) stops the helper
        os.close(stdin_fd)
        os.dup2(2, 1)  # what a library prints goes where errors go, never into the run's output
        code = body(worker_id, out, os.fdopen(0, "rb", closefd=False), os.fdopen(stdout_fd, "wb"))
    except BaseException:
        traceback.print_exc()
    finally:
        # Results written, connections closed: the process ends here without the interpreter's exit, as
        # multiprocessing's children do (never back into the run's code; pymongo's exit hook would join
        # Motor's monitor threads, which look at their stop flag every 0.5 s).
        with suppress(BaseException):
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _send(helper: Helper, manifest: bytes) -> None:
    try:
        helper.stdin.write(manifest)
        helper.stdin.flush()
    except (BrokenPipeError, OSError):  # it ended first: _readiness() and finished() say so
        pass


def _said_ready(output: BinaryIO) -> bool:
    """Read a helper's output up to its "ready" line (False: it ended first)."""
    for said in iter(output.readline, b""):
        if said.strip() == READY:
            return True
    return False


def _stop_when_input_ends() -> None:
    """After "go": the end of the input means the run is gone; the worker drains as on SIGTERM."""
    def watch() -> None:
        while os.read(0, 4096):
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="run-watch", daemon=True).start()


def helper_main(worker_id: str, out: Path, inbox: BinaryIO, outbox: BinaryIO) -> int:
    """A helper's life: the manifest, the stand-ins, "ready", then the run's jobs once told "go"."""
    size = inbox.readline()
    if not size.strip():
        return 0  # the run ended before it sent the manifest
    return asyncio.run(serve(worker_id, out, inbox.read(int(size)), inbox, outbox))


async def serve(worker_id: str, out: Path, sent: bytes, inbox: BinaryIO, outbox: BinaryIO) -> int:
    from simulator.simulation import Simulation

    manifest: Manifest = pickle.loads(sent)
    simulation = Simulation(manifest.settings, model=manifest.model, max_turns=manifest.max_turns,
                            time_limit_s=manifest.time_limit_s)

    async def go() -> bool:
        outbox.write(READY + b"\n")
        outbox.close()  # nobody reads it from now on
        said = await asyncio.to_thread(inbox.readline)
        if said.strip() != b"go":
            return False
        _stop_when_input_ends()
        return True

    seen: dict[str, Any] = await simulation.serve(manifest, worker_id, go)
    out.write_text(json.dumps(seen))
    return 0

