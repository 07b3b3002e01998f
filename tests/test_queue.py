"""The app's run queue: runs started while the device is busy wait in order, survive a restart,
can be cancelled and moved up; Resume in the Monitor; run pickers that follow the store."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import gradio as gr
import psutil
import pytest
from conftest import new_run, write_reviews

from app.shared import run_queue
from app.shared.run_lists import refresh_if_changed
from app.shared.state import AppState
from app.tabs.monitor import queue as queue_view
from app.tabs.tryit.view import refresh_lists
from core import runs
from core.config import TrainConfig
from core.errors import RunStateError
from core.training import jobs
from storage import Store
from storage.errors import NotWaitingError, RunNotFoundError
from storage.schema import migrations

WAIT_SECONDS = 120


@pytest.fixture()
def config(tmp_path, tiny_model_dir):
    """A few steps of head-only training on a small dataset, as the app would start it."""
    data = write_reviews(tmp_path / "reviews.csv", rows=60)

    def make(**extra) -> TrainConfig:
        values = dict(data=str(data), model=str(tiny_model_dir), method="head_only",
                      batch_size=16, max_steps=4, log_every=1, precision="fp32")  # fmt: skip
        return TrainConfig(**{**values, **extra})

    return make


@pytest.fixture()
def busy():
    """The device held, as by a run or a sweep training; freed at the end."""
    job = jobs.claim("run", "lora")
    yield job
    jobs.release(job)


def wait_idle() -> None:
    """Wait for the run training in this process (if any) to end."""
    active = jobs.current()
    if active is not None and active.run is not None:
        active.run.wait(WAIT_SECONDS)
    deadline = time.monotonic() + WAIT_SECONDS
    while jobs.current() is not None and time.monotonic() < deadline:
        time.sleep(0.05)


def wait_ended(store: Store, run_id: int) -> dict:
    """The run once it has ended (its record no longer waiting, queued or running)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        run = store.get_run(run_id)
        if run["status"] not in ("waiting", "queued", "running"):
            wait_idle()
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not end in {WAIT_SECONDS} s")


def order(state: AppState) -> list[int]:
    return [run["id"] for run in run_queue.waiting(state)]


@pytest.mark.train
def test_runs_wait_while_the_device_is_busy_and_start_in_order(state, config, busy):
    first, place = run_queue.submit_run(state, config(name="first"))
    second, place2 = run_queue.submit_run(state, config(name="second"))
    assert (place, place2) == (1, 2)
    assert [state.store.get_run(i)["status"] for i in (first, second)] == ["waiting", "waiting"]
    queue = run_queue.waiting(state)
    assert [(r["id"], r["name"], r["method"], r["position"]) for r in queue] == [
        (first, "first", "head_only", 1), (second, "second", "head_only", 2),
    ]  # fmt: skip
    assert run_queue.serve_next(state) is None  # still busy: nothing starts

    jobs.release(busy)
    assert run_queue.serve_next(state) == first
    assert run_queue.serve_next(state) is None  # the first one trains now
    assert order(state) == [second]
    wait_idle()
    assert run_queue.serve_next(state) == second
    wait_idle()
    runs = [state.store.get_run(i) for i in (first, second)]
    assert [r["status"] for r in runs] == ["succeeded", "succeeded"], [r["error"] for r in runs]
    assert runs[0]["finished_at"] <= runs[1]["started_at"]  # one after another
    assert runs[1]["config"]["out"] == str(state.store.checkpoint_dir(second))


def test_a_new_run_waits_behind_runs_already_waiting_even_on_a_free_device(state, config, busy):
    first, _ = run_queue.submit_run(state, config())
    jobs.release(busy)  # freed, but the queue has not served yet: no one jumps ahead
    later, place = run_queue.submit_run(state, config())
    assert place == 2 and order(state) == [first, later]
    state.store.cancel_waiting(first)
    state.store.cancel_waiting(later)


def test_move_up_and_cancel(state, config, busy):
    a, b, c = (run_queue.submit_run(state, config(name=n))[0] for n in "abc")
    assert run_queue.move_up(state, c) == f"Run #{c} is now at position 2 in the queue."
    assert order(state) == [a, c, b]
    assert "position 1" in run_queue.move_up(state, c)
    assert "position 1" in run_queue.move_up(state, c)  # the front stays the front
    assert order(state) == [c, a, b]

    message = run_queue.cancel(state, a)
    assert message == f"Run #{a} (a) was taken out of the queue and deleted; it had not started."
    with pytest.raises(RunNotFoundError):
        state.store.get_run(a)
    assert [(r["id"], r["position"]) for r in run_queue.waiting(state)] == [(c, 1), (b, 2)]
    with pytest.raises(RunNotFoundError, match=f"no run with id {a}"):
        run_queue.cancel(state, a)
    for waiting in (b, c):
        run_queue.cancel(state, waiting)
    assert order(state) == []


def test_cancel_and_move_up_refuse_runs_that_do_not_wait(state, busy):
    done = new_run(state.store, status="succeeded")
    training = new_run(state.store)
    state.store.start_run(training)
    with pytest.raises(RunStateError) as caught:
        run_queue.cancel(state, done)
    assert str(caught.value) == (
        f"Run {done} is not waiting in the queue (it is succeeded); only waiting runs can be "
        "cancelled or moved."
    )
    with pytest.raises(RunStateError, match="stop it with Stop training instead of cancelling"):
        run_queue.cancel(state, training)
    with pytest.raises(RunStateError, match="not waiting in the queue"):
        run_queue.move_up(state, done)
    with pytest.raises(NotWaitingError, match=f"run {done} is not waiting in the queue"):
        state.store.move_up(done)
    with pytest.raises(ValueError, match="Pick a waiting run first"):
        queue_view.act_on_waiting(state, None, "cancel")


def _stopped_run(state: AppState, config) -> int:
    """A run stopped after its first steps: it has a checkpoint and can resume."""
    handle = runs.start(state.store, config(max_steps=5000))
    run_id = handle.run_id
    deadline = time.monotonic() + WAIT_SECONDS
    while state.store.last_step(run_id) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    jobs.stop()
    assert handle.wait(WAIT_SECONDS)["status"] == "stopped"
    wait_idle()
    run = state.store.get_run(run_id)
    steps = run["metrics"]["steps"]
    state.store.update_run(run_id, config={**run["config"], "max_steps": steps + 4})
    return run_id


@pytest.mark.train
def test_resume_in_the_monitor_continues_the_same_run(state, config):
    stopped = _stopped_run(state, config)
    steps = state.store.get_run(stopped)["metrics"]["steps"]
    with pytest.raises(ValueError, match="Select a stopped, interrupted or failed run"):
        queue_view.resume_picked(state, [])
    table, _pick, button, _seen = queue_view.queue_update(state, None, [stopped], None)
    assert button["visible"] is True and table.empty

    message = queue_view.resume_picked(state, [stopped])
    assert message.startswith(f"Run #{stopped} (") and "continues from its checkpoint" in message
    wait_idle()
    run = state.store.get_run(stopped)
    assert run["status"] == "succeeded", run["error"]
    assert run["metrics"]["steps"] == steps + 4
    assert state.store.last_step(stopped) == steps + 4  # its curve goes on from where it stopped
    _, _, button, _ = queue_view.queue_update(state, None, [stopped], None)
    assert button["visible"] is False  # a succeeded run has nothing to resume


@pytest.mark.train
def test_a_resume_waits_while_busy_and_cancel_puts_it_back(state, config):
    stopped = _stopped_run(state, config)
    before = state.store.get_run(stopped)
    job = jobs.claim("run", "lora")
    try:
        message = queue_view.resume_picked(state, [stopped])
        assert "waits in the queue at position 1; it continues from its checkpoint" in message
        assert state.store.get_run(stopped)["status"] == "waiting"
        table, pick, _button, seen = queue_view.queue_update(state, None, [stopped], None)
        assert table.values.tolist() == [[1, stopped, before["name"], "head_only", "resume"]]
        assert pick["value"] == stopped
        unchanged = queue_view.queue_update(state, seen, [stopped], stopped)
        assert all(output == gr.skip() for output in unchanged)
        with pytest.raises(RunStateError, match="already waiting in the queue"):
            run_queue.submit_resume(state, stopped)

        message = queue_view.act_on_waiting(state, stopped, "cancel")
        assert message.endswith("was taken out of the queue; it is stopped again, as before.")
        after = state.store.get_run(stopped)
        keys = ("status", "error", "started_at", "finished_at")
        assert {k: after[k] for k in keys} == {k: before[k] for k in keys}

        run_queue.submit_resume(state, stopped)  # queue it again, then free the device
    finally:
        jobs.release(job)
    assert run_queue.serve_next(state) == stopped
    wait_idle()
    assert state.store.get_run(stopped)["status"] == "succeeded"


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="milliseconds")


@pytest.mark.train
def test_waiting_runs_survive_a_restart_and_start_when_the_app_is_back(tmp_path, config):
    path = tmp_path / "home" / "studio.db"
    long_ago = _iso(psutil.Process().create_time() - 60)  # recorded by an earlier process
    with Store(path) as store:
        old = AppState(store=store)
        job = jobs.claim("run", "lora")
        try:
            waiting, _ = run_queue.submit_run(old, config())
        finally:
            jobs.release(job)
        setting_up = new_run(store)  # a run an earlier process was setting up when it died
        for run_id in (waiting, setting_up):
            store.update_run(run_id, created_at=long_ago, pid=2**22 + 7)
    with Store(path) as store:  # the app comes back
        assert store.get_run(setting_up)["status"] == "interrupted"
        assert store.get_run(waiting)["status"] == "waiting"  # recovery leaves the queue alone
        state = AppState(store=store)
        server = run_queue.serve_queue(state, poll=0.1)
        try:
            run = wait_ended(store, waiting)
            assert run["status"] == "succeeded", run["error"]
        finally:
            server.stop()


@pytest.mark.train
def test_a_waiting_run_that_can_no_longer_start_fails_and_lets_the_next_start(state, config):
    job = jobs.claim("run", "lora")
    try:
        broken, _ = run_queue.submit_run(state, config(data=str(state.store.home / "gone.csv")))
        fine, _ = run_queue.submit_run(state, config())
    finally:
        jobs.release(job)
    started = run_queue.serve_next(state)  # the broken one fails in its own thread
    assert started == broken
    wait_idle()
    assert state.store.get_run(broken)["status"] == "failed"
    assert "gone.csv" in state.store.get_run(broken)["error"]
    assert run_queue.serve_next(state) == fine
    wait_idle()
    assert state.store.get_run(fine)["status"] == "succeeded"


def test_an_older_database_gains_the_queue(tmp_path):
    from sqlite_utils import Database

    path = tmp_path / "studio.db"
    old = Database(path)
    migrations.apply(old, stop_before="m004_queue")
    old.close()
    with Store(path) as store:
        assert {"run_id", "position", "resume", "restore"} <= set(store.db["queue"].columns_dict)
        assert store.waiting_runs() == []


def test_run_pickers_skip_until_a_run_ends_or_goes_and_keep_the_choice(state):
    store = state.store
    kept = new_run(store, name="kept")
    store.finish_run(kept, "succeeded")

    def refresh(selected, export, prompt):
        return refresh_lists(state, selected, export, prompt)

    values = ([kept], kept, None)
    version, runs, export, _prompt = refresh_if_changed(state, None, refresh, values)
    assert [value for _, value in runs["choices"]] == [kept] and runs["value"] == [kept]
    assert refresh_if_changed(state, version, refresh, values) == (gr.skip(),) * 4

    training = new_run(store, name="new")
    store.start_run(training)
    version, runs, _, _ = refresh_if_changed(state, version, refresh, values)
    assert [value for _, value in runs["choices"]] == [kept]  # not finished yet
    store.finish_run(training, "succeeded")
    version, runs, export, _ = refresh_if_changed(state, version, refresh, values)
    assert [value for _, value in runs["choices"]] == [training, kept]
    assert runs["value"] == [kept] and export["value"] == kept  # the choices stay

    store.delete_run(kept)
    version, runs, export, _ = refresh_if_changed(state, version, refresh, values)
    assert [value for _, value in runs["choices"]] == [training]
    assert runs["value"] == [training] and export["value"] == training
    assert refresh_if_changed(state, version, refresh, values) == (gr.skip(),) * 4


@pytest.mark.train
def test_a_run_queued_during_a_sweep_waits_for_the_whole_sweep(state, config, tmp_path):
    from core.sweep import SweepConfig, start_sweep

    sweep = SweepConfig(base=config(max_steps=2), method="ptuning_v2", lengths=(2,),
                        lrs=(0.01, 0.03))  # fmt: skip
    handle = start_sweep(state.store, sweep)
    try:
        run_id, place = run_queue.submit_run(state, config())
        assert place == 1 and state.store.get_run(run_id)["status"] == "waiting"
        deadline = time.monotonic() + WAIT_SECONDS
        while run_queue.serve_next(state) is None and time.monotonic() < deadline:
            time.sleep(0.02)  # between the sweep's points too, the device stays the sweep's
    finally:
        handle.wait(WAIT_SECONDS)
    run = wait_ended(state.store, run_id)
    assert run["status"] == "succeeded", run["error"]
    points = state.store.list_runs(sweep_id=handle.sweep_id)
    assert len(points) == 2 and state.store.get_sweep(handle.sweep_id)["status"] == "succeeded"
    assert all(point["finished_at"] <= run["started_at"] for point in points)
