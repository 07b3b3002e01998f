"""Runs that wait for the device: recorded ``waiting`` now, started later as the same run.

The app queues a run (or a resume) when its device is busy, and starts the first waiting run
when the device frees (:mod:`app.run_queue`); the command line never queues. Waiting runs are
kept in the store (:mod:`storage.queue`), so they outlive the app that queued them.

A waiting run that cannot start when its turn comes (its data or checkpoint is gone since it
was queued) does not block the ones behind it: a new run is recorded ``failed`` with the reason,
a resume goes back to how it was before it was queued, with the reason as its error.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

from core.config import TrainConfig
from core.errors import BusyError, RunStateError, message_of
from core.messages import say
from core.training import jobs, runner
from core.training.events import Callback
from core.training.inputs import check_config
from core.training.recording import RunRecorder, check_resumable, checkpoint_step, run_name
from storage.store import Store


def enqueue(store: Store, config: TrainConfig) -> int:
    """Check the config and record a new run waiting at the end of the queue; its id."""
    check_config(config)
    return store.enqueue_run(
        name=run_name(config), method=config.method, base_model=config.model,
        dataset=config.dataset_text(), config=config.to_dict(),
    )  # fmt: skip


def enqueue_resume(store: Store, run_id: int) -> int:
    """Queue a stopped, interrupted or failed run to continue from its checkpoint; its id.

    Refused as :func:`core.training.recording.resume_recorded` refuses (a run still queued or
    running, one that succeeded, one without a usable checkpoint), with the record unchanged.
    """
    run = store.get_run(run_id)
    if run["status"] == "waiting":
        raise RunStateError(
            say(
                "run {id} ({name}) is already waiting in the queue; it starts when the runs "
                "before it have trained",
                id=run_id,
                name=run["name"],
            )
        )
    check_resumable(run)
    checkpoint_step(run, store.checkpoint_path(run_id))
    if not store.enqueue_resume(run_id, run["status"]):
        check_resumable(store.get_run(run_id))
        raise RunStateError(say("run {id} changed while it was being queued; try again", id=run_id))
    return run_id


def start_next(store: Store, forward: Callback | None = None) -> int | None:
    """Start the first waiting run if the device is free; its id, else None.

    BusyError never escapes: a busy device (a run or a sweep) leaves the queue as it is. A run
    that fails to start is recorded as such (see the module's note) and its error re-raised.
    """
    for waiting in store.waiting_runs():
        try:
            job = jobs.claim("run", waiting["method"])
        except BusyError:  # the device is taken (a run or a sweep): the queue waits
            return None
        taken = store.take_waiting(waiting["id"])
        if taken is None:  # cancelled, or taken by another app on the same database
            jobs.release(job)
            continue
        try:
            _start_taken(store, waiting["id"], taken, job, forward)
        except BaseException as exc:
            jobs.release(job)
            _record_not_started(store, waiting["id"], taken, exc)
            raise
        return int(waiting["id"])
    return None


def _start_taken(
    store: Store, run_id: int, taken: dict[str, Any], job: jobs.Job, forward: Callback | None
) -> runner.RunHandle:
    run = store.get_run(run_id)
    config = TrainConfig.from_stored(run["config"])
    recorder = RunRecorder(store, run_id, forward)
    if taken["resume"]:
        checkpoint = store.checkpoint_path(run_id)
        store.delete_metrics_after(run_id, checkpoint_step(run, checkpoint))
        return runner.start(config, recorder, resume_from=checkpoint, run_id=run_id, job=job)
    if not config.out:  # the run's own folder, as for a run started at once
        config = dataclasses.replace(config, out=str(store.checkpoint_dir(run_id)))
        store.update_run(run_id, config=config.to_dict())
    return runner.start(config, recorder, run_id=run_id, job=job)


def _record_not_started(
    store: Store, run_id: int, taken: dict[str, Any], exc: BaseException
) -> None:
    reason = say(
        "it could not start when its turn in the queue came: {reason}",
        reason=message_of(exc) or type(exc).__name__,
    )
    with contextlib.suppress(Exception):  # the start's own error is the one to report
        if taken["resume"] and taken["restore"]:
            store.update_run(run_id, **{**taken["restore"], "error": reason})
        else:
            store.finish_run(run_id, "failed", error=reason)
