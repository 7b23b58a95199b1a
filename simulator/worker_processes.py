"""More worker processes for one simulation run, as a fleet scales: more processes on one queue.

A run is CPU-bound in one process (livekit-agents' session, the call core, the drivers), so on a
machine with more than one core the run starts helpers: `python -m simulator.worker_processes
WORKER_ID RESULTS`, the run's manifest (pickled) on standard input. Each builds the product's container on the run's servers, puts the same
stand-ins in place (Simulation.serve), and when the run has queued its jobs runs a burst worker on
the run's queue beside the run's own: the queue hands each job to one of them (the product's claims
hold as on a real fleet). What only a helper saw (model usage, conversation and job times) comes back
in a JSON file; everything else (records, transcripts, events, follow-ups) is in the shared servers
and folder, read by the run as before.

A helper reads on from its standard input: "go" starts its worker, and the end of the input (the run ended,
however it ended) stops it.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
class WorkerProcesses:
    """The run's helpers, seen from the run."""

    command: tuple[str, ...] = (sys.executable, "-m", "simulator.worker_processes")
    _processes: list[tuple[subprocess.Popen, Path]] = field(default_factory=list)
    _results: list[dict] = field(default_factory=list)
    _sending: list[asyncio.Future] = field(default_factory=list)
    _ready: list[asyncio.Future] = field(default_factory=list)

    async def start(self, count: int, manifest: Manifest) -> None:
        """Start the helpers and hand each the manifest, without waiting for them: a manifest is larger
        than a pipe holds, and a helper that has not read it yet (still starting) must not hold up the
        run, which seeds meanwhile."""
        manifest.folder.mkdir(parents=True, exist_ok=True)
        sent = pickle.dumps(manifest)  # through the pipe: the settings hold secrets, kept off the disk
        for n in range(1, count + 1):
            worker_id = f"simulate-{manifest.run_id}-{n}"
            out = manifest.folder / f"{worker_id}.json"
            process = subprocess.Popen([*self.command, worker_id, str(out)],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            self._processes.append((process, out))
            sending = asyncio.ensure_future(asyncio.to_thread(_send, process, b"%d\n" % len(sent) + sent))
            self._sending.append(sending)
            self._ready.append(asyncio.ensure_future(self._readiness(process, sending)))

    async def ready(self) -> None:
        """Until every helper is ready (imported and connected) or has ended."""
        await asyncio.gather(*self._ready)

    async def go(self) -> None:
        """The run's jobs are queued: each helper starts its worker as soon as it is ready, while the
        run's own takes jobs from the start (a helper ready later takes fewer)."""
        await asyncio.gather(*(self._go(process, ready) for (process, _), ready in zip(self._processes, self._ready)))

    async def _readiness(self, process: subprocess.Popen, sending: asyncio.Future) -> bool:
        await sending
        assert process.stdout is not None
        if await asyncio.to_thread(_said_ready, process.stdout):
            return True
        log.error("simulation worker process %s ended before it was ready (exit %s)", process.pid,
                  await asyncio.to_thread(process.wait))
        return False

    async def _go(self, process: subprocess.Popen, ready: asyncio.Future) -> None:
        if not await ready:
            return
        assert process.stdin is not None
        try:
            process.stdin.write(b"go\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError):
            log.error("simulation worker process %s ended before the run began (exit %s)", process.pid,
                      process.poll())

    async def finished(self) -> None:
        """Wait for every helper's worker to end (the queue is empty), and keep what each saw."""
        for process, out in self._processes:
            code = await asyncio.to_thread(process.wait)
            if code != 0:
                log.error("simulation worker process %s ended with exit code %s", process.pid, code)
                continue
            try:
                self._results.append(json.loads(out.read_text()))
            except (OSError, ValueError) as exc:
                log.error("simulation worker process %s left no results (%s)", process.pid, type(exc).__name__)

    async def results(self) -> list[dict]:
        return self._results

    async def stop(self) -> None:
        for (process, _), sending in zip(self._processes, self._sending):
            if not sending.done():
                process.kill()  # it has not read its manifest: it would not hear its input end
        await asyncio.gather(*self._sending, return_exceptions=True)
        for process, _ in self._processes:
            if process.stdin is not None:
                process.stdin.close()  # a helper still running hears the end of its input and stops
        for process, _ in self._processes:
            try:
                await asyncio.to_thread(process.wait, 30)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)
        await asyncio.gather(*self._ready, return_exceptions=True)  # their output has ended with them
        for process, _ in self._processes:
            if process.stdout is not None:
                process.stdout.close()
        self._processes.clear()
        self._sending.clear()
        self._ready.clear()


def _send(process: subprocess.Popen, manifest: bytes) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(manifest)
        process.stdin.flush()
    except (BrokenPipeError, OSError):  # it ended first: _readiness() and finished() say so
        pass


def _said_ready(output) -> bool:
    """Read a helper's output up to its "ready" line (False: it ended first)."""
    for said in iter(output.readline, b""):
        if said.strip() == READY:
            return True
    return False


def _stop_when_input_ends() -> None:
    """After "go": the end of the input means the run is gone; the worker drains as on SIGTERM."""
    def watch() -> None:
        while os.read(0, 4096):  # the descriptor, not sys.stdin: its lock would hold up the interpreter's exit
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="run-watch", daemon=True).start()


async def serve(worker_id: str, out: Path, sent: bytes) -> int:
    from simulator.simulation import Simulation

    manifest: Manifest = pickle.loads(sent)
    simulation = Simulation(manifest.settings, model=manifest.model, max_turns=manifest.max_turns,
                            time_limit_s=manifest.time_limit_s)

    async def go() -> bool:
        sys.stdout.buffer.write(READY + b"\n")
        sys.stdout.flush()
        os.dup2(2, 1)  # nobody reads the pipe from now on: anything printed later goes where errors go
        said = await asyncio.to_thread(sys.stdin.buffer.readline)
        if said.strip() != b"go":
            return False
        _stop_when_input_ends()
        return True

    seen: dict[str, Any] = await simulation.serve(manifest, worker_id, go)
    out.write_text(json.dumps(seen))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python -m simulator.worker_processes WORKER_ID RESULTS (the manifest on stdin)", file=sys.stderr)
        sys.exit(2)
    # The manifest first, before the imports: the run's thread writing it (it is larger than a pipe
    # holds) is done at once, instead of waiting out two seconds of imports.
    size = int(sys.stdin.buffer.readline())
    manifest_bytes = sys.stdin.buffer.read(size)
    logging.basicConfig(level=logging.WARNING)
    code = asyncio.run(serve(sys.argv[1], Path(sys.argv[2]), manifest_bytes))
    # Results written, connections closed: the process ends here, as multiprocessing's children do, without
    # the interpreter's exit, whose pymongo hook joins Motor's monitor threads (they look at their stop flag
    # every 0.5 s) while the run waits for this process to end.
    logging.shutdown()
    sys.stdout.flush()
    os._exit(code)
