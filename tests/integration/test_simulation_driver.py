"""The simulator as a driver: what a run leaves behind, where it writes, and what it reads."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from pathlib import Path

import entrypoints.worker
from simulator.scenario import load_file
from simulator.simulation import Simulation
from simulator.worker_processes import WorkerProcesses
from tests.integration.pipeline_world import make_settings

SCENARIOS = Path(__file__).parents[2] / "scenarios"


def pick(file: str, *ids: str):
    scenarios = [s for s in load_file(SCENARIOS / file) if s.id in ids]
    assert len(scenarios) == len(ids), f"a scenario of {ids} moved"
    return scenarios


async def test_a_run_writes_its_transcripts_apart_from_real_calls_and_removes_them(tmp_path, redis_url, mongo_uri):
    settings = make_settings(tmp_path, redis_url, mongo_uri)
    scenarios = pick("objections.yaml", *[s.id for s in load_file(SCENARIOS / "objections.yaml")][:2])
    kept = await Simulation(settings, keep_data=True).run(scenarios)
    assert all(r.passed for r in kept) and all(r.observed["transcript"] for r in kept)
    assert not (settings.data_dir / "artifacts").exists()  # real calls' folder: untouched
    [folder] = (settings.data_dir / "simulations").iterdir()
    stored = [p for p in (folder / "artifacts").rglob("*") if p.is_file()]
    assert len(stored) >= len(scenarios), stored

    dropped = await Simulation(settings).run(scenarios)
    assert all(r.passed for r in dropped)
    assert list((settings.data_dir / "simulations").iterdir()) == [folder]  # the second run left nothing
    assert not (settings.data_dir / "artifacts").exists()


async def test_a_multi_zone_number_without_a_zone_is_deferred_to_the_minute_the_later_zone_opens(
        tmp_path, redis_url, mongo_uri, monkeypatch):
    # Nothing but arq's own job state and the compliance audit tells the simulator how the job ended:
    # the worker's bookkeeping key is switched off here.
    async def forget(ctx, payload):
        return None

    monkeypatch.setattr(entrypoints.worker, "_remember", forget)
    [scenario] = pick("compliance.yaml", "multi-zone-number-deferred-to-the-later-zone")
    assert not scenario.contact["timezone"] and not scenario.contact["state"]
    [run] = await Simulation(make_settings(tmp_path, redis_url, mongo_uri)).run([scenario])
    assert run.passed, run.failures
    # 08:30 in Boise, 07:30 in north Idaho: 08:00 Pacific is the first lawful minute in both.
    assert datetime.fromisoformat(run.observed["deferred_until"]) == datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)
    assert run.observed["reason"].startswith("federal")


class ReadyBeforeTheRunWorks(WorkerProcesses):
    """A run's worker takes jobs at once, each helper once it is ready: so that the helper here takes
    some of this short run's jobs, the run begins only once it is ready."""

    async def hand_over(self, manifest):
        await super().hand_over(manifest)
        await self.ready()


async def test_worker_processes_share_a_run_and_each_job_is_called_once(tmp_path, redis_url, mongo_uri):
    scenarios = load_file(SCENARIOS / "objections.yaml") + load_file(SCENARIOS / "gatekeepers.yaml")
    runs = await Simulation(make_settings(tmp_path, redis_url, mongo_uri), processes=2,
                            worker_processes=ReadyBeforeTheRunWorks).run(scenarios)
    assert all(r.passed for r in runs), [(r.scenario.id, r.failures) for r in runs if not r.passed]
    taken_by = {r.worker_id for r in runs}
    assert len(taken_by) == 2 and None not in taken_by, taken_by  # both processes took calls
    assert [r.observed["dials"] for r in runs] == [1] * len(runs)  # the queue gave each job to one of them
    # What only the helper saw came back: every call's conversation and job times.
    assert all(r.pipeline_s is not None for r in runs)
    assert not any((tmp_path / "simulations").iterdir())  # the helpers' results went with the run's folder


async def test_the_worker_starts_on_the_first_seeded_chunk_and_no_job_is_left_when_the_seeding_lags(
        tmp_path, redis_url, mongo_uri, monkeypatch):
    """Scenarios are stored and queued a chunk at a time; the worker starts on the first. With the second
    chunk's storing slower than the first chunk's calls, the burst worker runs dry and stops before the
    second is queued: it is started again for what was queued after, and every scenario is called."""
    import simulator.simulation as simulation_module
    from infrastructure.mongo_repositories import MongoCampaignRepository

    monkeypatch.setattr(simulation_module, "SEED_CHUNK", 2)
    stored_at: list[float] = []
    store = MongoCampaignRepository.add_many

    async def slow_after_the_first(self, campaigns):
        if stored_at:
            await asyncio.sleep(3)  # longer than the first chunk's calls and the burst worker's idle check
        await store(self, campaigns)
        stored_at.append(time.monotonic())

    monkeypatch.setattr(MongoCampaignRepository, "add_many", slow_after_the_first)
    finished_at: list[float] = []
    call = simulation_module.ScenarioJobs.__call__

    async def noted(self, command):
        try:
            return await call(self, command)
        finally:
            finished_at.append(time.monotonic())

    monkeypatch.setattr(simulation_module.ScenarioJobs, "__call__", noted)
    scenarios = pick("objections.yaml", *[s.id for s in load_file(SCENARIOS / "objections.yaml")][:3])
    runs = await Simulation(make_settings(tmp_path, redis_url, mongo_uri), processes=1).run(scenarios)
    assert [r.passed for r in runs] == [True] * 3, [r.failures for r in runs]
    assert all(r.observed["dials"] == 1 for r in runs)
    assert len(stored_at) == 2 and len(finished_at) == 3
    # The first chunk's calls were over before the second chunk was stored.
    assert sorted(finished_at)[1] < stored_at[1]
