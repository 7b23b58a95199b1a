"""A simulation run's helper processes, seen from the run: starting them never waits on them, and they
are forked before the run connects anything, so a helper shares no connection or thread with it."""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
import time
from types import SimpleNamespace

from simulator.worker_processes import WorkerProcesses


def never_reads(worker_id, out, inbox, outbox) -> int:
    time.sleep(20)  # a helper still busy, as long as it likes, that never reads its manifest
    return 0


def tells_what_it_inherited(worker_id, out, inbox, outbox) -> int:
    """Writes what the forked helper found: its threads, and whether the run's ends of the pipes are open."""
    size = int(inbox.readline())
    ours = [int(fd) for fd in inbox.read(size).split()]
    open_fds = []
    for fd in ours:
        try:
            os.fstat(fd)
            open_fds.append(fd)
        except OSError:
            pass
    out.write_text(f"{threading.active_count()} {open_fds}")
    outbox.write(b"docshield simulation worker ready\n")
    outbox.flush()
    return 0


async def test_starting_helpers_does_not_wait_for_them_to_read_their_manifest(tmp_path):
    # A real run's manifest (every scenario) is far larger than a pipe holds; while the helpers start,
    # the run seeds its database, so handing them the manifest must not block it.
    manifest = SimpleNamespace(folder=tmp_path / "run", run_id="r1", scenarios=b"x" * 1_000_000)
    helpers = WorkerProcesses(body=never_reads)
    try:
        await asyncio.wait_for(helpers.start(2, "r1", tmp_path / "run"), timeout=10)
        await asyncio.wait_for(helpers.hand_over(manifest), timeout=10)
        processes = [p for p, _ in helpers._helpers]
        assert [p.poll() for p in processes] == [None, None]
    finally:
        await asyncio.wait_for(helpers.stop(), timeout=10)
    # A helper that never read its manifest would never hear its input end: the run stopped it.
    assert all(p.poll() is not None for p in processes)


async def test_a_helper_shares_no_thread_and_no_pipe_end_of_the_run(tmp_path):
    """Each helper holds its own ends of its pipes only: with the run's end of another helper's input
    open in it, that helper would not hear its input end when the run is killed."""
    helpers = WorkerProcesses(body=tells_what_it_inherited)
    busy = threading.Thread(target=time.sleep, args=(5,), daemon=True)  # a thread of the run's, at the fork
    busy.start()
    try:
        await helpers.start(3, "r2", tmp_path)
        ours = [(helper.stdin.fileno(), helper.stdout.fileno()) for helper, _ in helpers._helpers]
        for n, (helper, _) in enumerate(helpers._helpers):
            # The run's ends of its own pipes and of those of every helper forked before it.
            sent = " ".join(str(fd) for pair in ours[:n + 1] for fd in pair).encode()
            helper.stdin.write(b"%d\n" % len(sent) + sent)
            helper.stdin.flush()
        await asyncio.wait_for(asyncio.gather(*(asyncio.to_thread(h.wait, 10) for h, _ in helpers._helpers)), 20)
        for helper, out in helpers._helpers:
            assert helper.poll() == 0
            assert out.read_text() == "1 []", out.read_text()
    finally:
        await asyncio.wait_for(helpers.stop(), timeout=10)


async def test_a_run_that_ends_before_its_manifest_is_sent_leaves_no_helper_behind(tmp_path):
    # The run's servers did not start, say: the helpers hear their input end and leave, as they came, quietly.
    helpers = WorkerProcesses()
    await helpers.start(2, "r3", tmp_path)
    processes = [p for p, _ in helpers._helpers]
    await asyncio.wait_for(helpers.stop(), timeout=30)
    assert [p.poll() for p in processes] == [0, 0]


def logs_a_number(worker_id, out, inbox, outbox) -> int:
    logging.getLogger("docshield.worker").warning("the call to +1 512 555 0100 dropped")
    return 0


async def test_a_helpers_logs_go_to_standard_error_redacted(tmp_path, capfd):
    helpers = WorkerProcesses(body=logs_a_number)
    await helpers.start(1, "r4", tmp_path)
    [(helper, _)] = helpers._helpers
    assert await asyncio.to_thread(helper.wait, 30) == 0
    await helpers.stop()
    err = capfd.readouterr().err
    assert "the call to" in err and "555" not in err, err


def tells_its_collectors_state(worker_id, out, inbox, outbox) -> int:
    out.write_text(f"{gc.get_freeze_count()} {len(gc.get_objects())}")
    return 0


async def test_a_helpers_collector_skips_what_it_inherited_and_the_runs_does_not(tmp_path):
    """What the run had built when it forked is frozen in the helper (its collections skip it), not in the
    run; a run that had frozen objects itself (a warm worker's) keeps them frozen."""
    was_frozen = gc.get_freeze_count() > 0
    gc.unfreeze()
    try:
        for run_froze in (False, True):
            if run_froze:
                gc.freeze()
            helpers = WorkerProcesses(body=tells_its_collectors_state)
            try:
                await helpers.start(1, f"r5{run_froze}", tmp_path)
                [(helper, out)] = helpers._helpers
                assert await asyncio.to_thread(helper.wait, 10) == 0
                frozen, tracked = (int(n) for n in out.read_text().split())
            finally:
                await asyncio.wait_for(helpers.stop(), timeout=10)
            assert frozen > 10_000 and tracked < frozen / 10, (frozen, tracked)
            assert (gc.get_freeze_count() > 0) is run_froze
    finally:
        gc.unfreeze()
        if was_frozen:
            gc.freeze()


def ends_when_its_input_ends(worker_id, out, inbox, outbox) -> int:
    inbox.read()
    return 0


async def test_a_helpers_end_is_seen_by_every_thread_that_waits_for_it(tmp_path):
    """The run waits for a helper from several threads at once (its readiness, its stop): each sees the exit
    code. Two threads reaping one process raced: the loser's waitpid failed (no such child)."""
    helpers = WorkerProcesses(body=ends_when_its_input_ends)
    try:
        await helpers.start(6, "r6", tmp_path)
        processes = [helper for helper, _ in helpers._helpers]
        waiting = [asyncio.to_thread(helper.wait, *([] if n % 2 else [10]))
                   for helper, _ in helpers._helpers for n in range(8)]
        polling = [asyncio.to_thread(lambda h=helper: [h.poll() for _ in range(2000)][-1])
                   for helper, _ in helpers._helpers]
        for helper, _ in helpers._helpers:
            helper.stdin.close()
        codes = await asyncio.wait_for(asyncio.gather(*waiting, *polling), timeout=20)
    finally:
        await asyncio.wait_for(helpers.stop(), timeout=10)
    assert codes[:len(waiting)] == [0] * len(waiting)
    assert [helper.poll() for helper in processes] == [0] * 6
