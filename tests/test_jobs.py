"""The job registry: one job per device, atomic claims, one stop for runs and groups."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from conftest import write_reviews

from core import runs
from core.config import TrainConfig
from core.errors import BusyError
from core.messages import say
from core.training import jobs

THREADS = 8


@pytest.fixture(scope="module")
def reviews(tmp_path_factory) -> Path:
    return write_reviews(tmp_path_factory.mktemp("data") / "reviews.csv", rows=64)


def endless(data: Path, model: Path) -> TrainConfig:
    return TrainConfig(data=str(data), model=str(model), method="ptuning_v2", batch_size=16,
                       max_steps=100_000, log_every=1, eval_every=100_000, precision="fp32",
                       method_options={"num_virtual_tokens": 2})  # fmt: skip


class FakeGroup:
    """A group as the registry knows one: its kind, id and title."""

    def __init__(self, kind: str, group_id: int) -> None:
        self.kind, self.id = kind, group_id
        self.title = say("{kind} {id}", kind=kind, id=group_id)


def at_once(start, count: int) -> tuple[list, list[BaseException]]:
    """Call ``start`` from ``count`` threads released together; (results, errors)."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(start())
        except BaseException as exc:  # noqa: BLE001 - collected for the assertions
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


def test_concurrent_claims_give_exactly_one_job():
    device = "test-device-race"
    claimed, refused = at_once(lambda: jobs.claim("run", "lora", device), THREADS)
    try:
        assert len(claimed) == 1 and len(refused) == THREADS - 1
        assert all(isinstance(e, BusyError) for e in refused)
        assert "a lora run is already training on test-device-race" in str(refused[0])
        assert jobs.current(device).kind == "run"
    finally:
        jobs.release(claimed[0])
    assert jobs.current(device) is None
    jobs.release(jobs.claim("group", "ptuning_v2", device))  # the device is free again


@pytest.mark.train
def test_concurrent_recorded_starts_give_exactly_one_run(store, reviews, tiny_model_dir):
    config = endless(reviews, tiny_model_dir)
    started, refused = at_once(lambda: runs.start(store, config), 2)
    assert len(started) == 1 and len(refused) == 1, refused
    handle = started[0]
    run_id = handle.run_id
    try:
        assert isinstance(refused[0], BusyError)
        assert "already training" in str(refused[0])
        assert [r["id"] for r in store.list_runs()] == [run_id]  # the refused start left no row
        assert jobs.current().run is handle
    finally:
        jobs.stop()
    assert handle.wait(60)["status"] == "stopped"
    assert jobs.current() is None


def test_stop_reports_what_it_stops_and_nothing_when_idle():
    assert jobs.stop() is None
    job = jobs.claim("run", "lora")
    try:
        # the Sweep tab's Stop leaves a single run alone
        assert jobs.stop(target=jobs.group_target("sweep")) is None
        assert not job.stopping
        stopped = jobs.stop()
        assert (stopped.kind, stopped.run_id, stopped.group_id) == ("run", None, None)
        assert job.stopping
    finally:
        jobs.release(job)


def test_a_stopped_sweep_starts_no_further_runs(store, reviews, tiny_model_dir):
    sweep_job = jobs.claim("group", "ptuning_v2", noun=say("a sweep"))
    sweep_job.set_group(FakeGroup("sweep", 5))
    try:
        assert jobs.stop().group_id == 5
        with pytest.raises(BusyError, match="sweep 5 is stopping; it starts no further runs"):
            runs.start(store, endless(reviews, tiny_model_dir), job=sweep_job)
        assert store.list_runs() == []
        assert jobs.current().kind == "group"  # the sweep still holds the device until it ends
    finally:
        jobs.release(sweep_job)


def test_a_group_stop_stops_only_the_group_it_names():
    """A Few-shot Stop pressed as a sweep takes the device stops nothing (and the reverse)."""
    job = jobs.claim("group", "lora", noun=say("a sweep"))
    job.set_group(FakeGroup("sweep", 7))
    try:
        assert jobs.stop(target=jobs.group_target("fewshot")) is None
        assert jobs.stop(target=jobs.group_target("sweep", 8)) is None  # another sweep's id
        assert jobs.stop(target=jobs.LONE_RUN) is None  # the Train tab's run Stop
        assert not job.stopping
        stopped = jobs.stop(target=jobs.group_target("sweep", 7))
        assert stopped is not None and stopped.group_id == 7 and stopped.is_group("sweep")
        assert job.stopping
    finally:
        jobs.release(job)


def test_a_group_being_set_up_is_named_by_its_noun_in_a_refusal():
    job = jobs.claim("group", "lora, ptuning_v2", noun=say("a few-shot experiment"))
    try:
        with pytest.raises(BusyError, match="a few-shot experiment is running on .*; wait"):
            jobs.claim("run", "lora")
        with pytest.raises(BusyError, match="before starting another"):
            jobs.claim("group", "lora", noun=say("a few-shot experiment"))
        with pytest.raises(BusyError, match="before starting a sweep"):
            jobs.claim("group", "lora", noun=say("a sweep"))
    finally:
        jobs.release(job)


def test_a_refused_resume_leaves_the_run_as_it_was(store, reviews, tiny_model_dir):
    config = endless(reviews, tiny_model_dir)
    run_id = store.create_run(name="r", method="ptuning_v2", base_model=str(tiny_model_dir),
                              dataset=str(reviews), config=config.to_dict(),
                              status="stopped")  # fmt: skip
    checkpoint = store.checkpoint_dir(run_id)
    checkpoint.mkdir(parents=True)
    (checkpoint / "trainer_state.json").write_text(json.dumps({"loop": {"step": 2}}))
    store.append_metrics(run_id, [{"step": s, "name": "loss", "value": 1.0} for s in (1, 2, 3)])
    busy = jobs.claim("run", "lora")
    try:
        with pytest.raises(BusyError, match="a lora run is already training"):
            runs.resume(store, run_id)
    finally:
        jobs.release(busy)
    assert store.last_step(run_id) == 3  # the steps after the checkpoint were not dropped
    assert store.get_run(run_id)["status"] == "stopped"
    assert jobs.current() is None
