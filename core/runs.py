"""The one way a run starts, resumes, waits for the device, or is waited for.

Every caller goes through these functions: the app's tabs and its HTTP API, the command lines,
and the groups of runs (sweeps and few-shot experiments) for each of their points.

- :func:`start` checks the settings, claims the device, records the run and trains it in a
  background thread; :func:`resume` continues a stopped, interrupted or failed run from its
  checkpoint, as the same record.
- :func:`enqueue` and :func:`enqueue_resume` record a run ``waiting`` for the device instead
  (the app's queue); :func:`start_next` starts the first waiting run when the device is free.
- :func:`wait_or_stop` waits for a run (or a group) in the calling thread, Ctrl-C stopping it at
  its next step boundary.
- :func:`train_unrecorded` trains in the calling thread without a store (the command line
  without ``--db``); :func:`follow_main` is what the other processes under torchrun or
  ``accelerate launch`` do: train, unrecorded, each run the main process trains (a single run,
  or each point of a sweep or a few-shot experiment), so that only the main process records.

One job at a time per device, enforced by :mod:`core.training.jobs`: a start while a run or a
group occupies the device raises :class:`~core.errors.BusyError`, before anything is recorded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from core.config import TrainConfig, stored_run_config
from core.errors import BusyError, OutputFolderError, PTuneError, RunStateError, message_of
from core.messages import say
from core.training import jobs, ranks
from core.training.events import Callback
from core.training.inputs import check_config
from core.training.launch import create_trainer, joined
from core.training.recording import (
    RESTORED,
    RunRecorder,
    check_resumable,
    checkpoint_step,
    default_run_name,
)
from core.training.runner import RunHandle, start_in_background
from storage.store import Store

__all__ = [
    "RunHandle", "active", "enqueue", "enqueue_resume", "follow_main", "resume", "start",
    "start_next", "train_unrecorded", "wait_or_stop",
]  # fmt: skip


# ----------------------------------------------------------------------------- start, resume
def start(
    store: Store, config: TrainConfig, on_event: Callback | None = None, *,
    job: jobs.Job | None = None,
) -> RunHandle:  # fmt: skip
    """Check the settings, record a new run and train it in the background; its handle
    (``handle.run_id`` is the record's id).

    ``job``: the group this run is a point of (its runs do not claim the device again, and the
    run is recorded as the group's); without it the run claims the device itself. The device is
    claimed before the run is recorded, so a refused start (BusyError) leaves no record.
    """
    check_config(config)
    claimed = job or jobs.claim("run", config.method)
    try:
        return _record_and_start(store, config, on_event, claimed)
    except BaseException:
        if job is None:  # the run never started: free the device it claimed
            jobs.release(claimed)
        raise


def _record_and_start(
    store: Store, config: TrainConfig, on_event: Callback | None, job: jobs.Job
) -> RunHandle:
    group_id = None if job.group is None else job.group.id
    run_id = store.create_run(
        name=default_run_name(config), method=config.method, base_model=config.model,
        dataset=config.dataset_text(), config=config.to_dict(), sweep_id=group_id,
    )  # fmt: skip
    if not config.out:  # the run's own folder beside the database
        config = dataclasses.replace(config, out=str(store.checkpoint_dir(run_id)))
        store.update_run(run_id, config=config.to_dict())
    try:
        return _train(store, run_id, config, on_event, job)
    # A refused start leaves no record: a stopped group starts no further runs, and an output
    # folder holding folders PTune did not write is never trained into.
    except (BusyError, OutputFolderError):
        store.delete_run(run_id)
        raise


def _train(
    store: Store, run_id: int, config: TrainConfig, on_event: Callback | None, job: jobs.Job,
    resume_from: Path | None = None,
) -> RunHandle:  # fmt: skip
    """Train the recorded run ``run_id`` in the background on ``job``'s device, its events
    written to the store and then passed to ``on_event``."""
    trainer = create_trainer(
        config, RunRecorder(store, run_id, on_event), threading.Event(), resume_from
    )
    return start_in_background(trainer, job, run_id)


def resume(store: Store, run_id: int, on_event: Callback | None = None) -> RunHandle:
    """Continue a stopped, interrupted or failed run from its checkpoint, in the same record.

    Refused, with the record unchanged, for a run still queued or running (RunStateError), one
    that succeeded (RunStateError), one without a checkpoint (CheckpointMissingError or
    CheckpointError) and while another job holds the device (BusyError). Once accepted the run
    is ``queued`` in this process until training starts, so a second resume is refused and a
    process that dies meanwhile leaves it ``interrupted``.
    """
    run = store.get_run(run_id)
    check_resumable(run)
    checkpoint = store.checkpoint_path(run_id)
    config = stored_run_config(run["config"])
    step = checkpoint_step(run, checkpoint)
    job = jobs.claim("run", config.method)  # before touching the record: a refusal changes nothing
    queued = False
    try:
        queued = store.queue_run(run_id, run["status"])
        if not queued:  # another process resumed or changed it since it was read
            check_resumable(store.get_run(run_id))
            raise RunStateError(
                say("run {id} changed while it was being resumed; try again", id=run_id)
            )
        store.delete_metrics_after(run_id, step)  # the steps after the checkpoint are redone
        check_config(config)
        return _train(store, run_id, config, on_event, job, resume_from=checkpoint)
    except BaseException:
        jobs.release(job)
        if queued:  # put the record back as it was; the first error is the one to report
            with contextlib.suppress(Exception):
                store.update_run(run_id, **{key: run[key] for key in RESTORED})
        raise


def active(device: str | None = None) -> RunHandle | None:
    """The run training on the device, if any (a group's current run included)."""
    view = jobs.current(device)
    return None if view is None else view.run  # type: ignore[return-value]


# ----------------------------------------------------------------------------- the queue
def enqueue(store: Store, config: TrainConfig) -> int:
    """Check the settings and record a new run waiting at the end of the queue; its id."""
    check_config(config)
    return store.enqueue_run(
        name=default_run_name(config), method=config.method, base_model=config.model,
        dataset=config.dataset_text(), config=config.to_dict(),
    )  # fmt: skip


def enqueue_resume(store: Store, run_id: int) -> int:
    """Queue a stopped, interrupted or failed run to continue from its checkpoint; its id.

    Refused as :func:`resume` refuses (a run still queued or running, one that succeeded, one
    without a usable checkpoint), with the record unchanged.
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


def start_next(store: Store, on_event: Callback | None = None) -> int | None:
    """Start the first waiting run if the device is free; its id, else None.

    BusyError never escapes: a busy device (a run or a group) leaves the queue as it is. A
    waiting run that cannot start when its turn comes (its data or checkpoint is gone since it
    was queued) does not block the ones behind it: a new run is recorded ``failed`` with the
    reason, a resume goes back to how it was before it was queued, with the reason as its
    error; the error is then raised.
    """
    for waiting in store.waiting_runs():
        try:
            job = jobs.claim("run", waiting["method"])
        except BusyError:  # the device is taken (a run or a group): the queue waits
            return None
        taken = store.take_waiting(waiting["id"])
        if taken is None:  # cancelled, or taken by another app on the same database
            jobs.release(job)
            continue
        try:
            _start_taken(store, waiting["id"], taken, job, on_event)
        except BaseException as exc:
            jobs.release(job)
            _record_not_started(store, waiting["id"], taken, exc)
            raise
        return int(waiting["id"])
    return None


def _start_taken(
    store: Store, run_id: int, taken: dict[str, Any], job: jobs.Job, on_event: Callback | None
) -> RunHandle:
    run = store.get_run(run_id)
    config = stored_run_config(run["config"])
    check_config(config)
    if taken["resume"]:
        checkpoint = store.checkpoint_path(run_id)
        store.delete_metrics_after(run_id, checkpoint_step(run, checkpoint))
        return _train(store, run_id, config, on_event, job, resume_from=checkpoint)
    if not config.out:  # the run's own folder, as for a run started at once
        config = dataclasses.replace(config, out=str(store.checkpoint_dir(run_id)))
        store.update_run(run_id, config=config.to_dict())
    return _train(store, run_id, config, on_event, job)


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


# ----------------------------------------------------------------------------- waiting
class Waitable(Protocol):
    """A run or a group of runs in the background."""

    def wait(self, timeout: float | None = None) -> Any: ...

    def stop(self) -> None: ...


def wait_or_stop(handle: Waitable, signals: ranks.StopSignal | None = None) -> Any:
    """Wait for a run or a group to end in this thread; Ctrl-C stops it at its next step
    boundary (it still saves) and waits for that. What ``handle.wait()`` returns.

    ``signals``: under torchrun, where Ctrl-C and SIGTERM are caught (see
    :func:`core.training.ranks.stop_on_signals`), they stop the handle.
    """
    if signals is not None:
        signals.attach(handle.stop)
    try:
        return handle.wait()
    except KeyboardInterrupt:
        handle.stop()
        return handle.wait()


def train_unrecorded(
    config: TrainConfig,
    on_event: Callback | None = None,
    stop_event: threading.Event | None = None,
    resume_from: str | Path | None = None,
) -> dict[str, Any]:
    """Train one run to its end in this thread, written to no store; its summary.

    An output folder whose checkpoint or adapter folders PTune did not write is refused
    (:class:`~core.errors.OutputFolderError`) before any training time is spent.
    """
    return create_trainer(config, on_event, stop_event, resume_from).run()


def follow_main(signals: ranks.StopSignal | None = None) -> dict[str, Any] | None:
    """A process other than the main one under torchrun: train, unrecorded, every run the main
    process announces, until it announces that nothing more comes; the last run's summary
    (None when there was none). A Ctrl-C or SIGTERM caught by ``signals`` stops the current
    run, and every process with it (:mod:`core.training.ranks`).
    """
    summary = None
    while (spec := ranks.announced()) is not None:
        stop = threading.Event()
        if signals is not None:
            signals.attach(stop.set)
        try:
            trainer = create_trainer(spec.config, None, stop, spec.resume_from)
        except PTuneError as exc:  # refused here though the main process trains it
            reason = message_of(exc) or type(exc).__name__
            summary = {"status": "failed", "error": ranks.share_failure(reason)}
            continue
        summary = trainer.run()
    return summary


def lead_or_follow(lead: Callable[[ranks.StopSignal], int]) -> int:
    """A group command's processes (a sweep, a few-shot experiment): alone, or the main one
    under torchrun, records the group with ``lead`` (its exit status); the others train each
    of its runs with it, unrecorded (:func:`follow_main`). A Ctrl-C or SIGTERM reaching any
    of them stops them all, and the process group is taken down on the way out."""
    with joined() as state, ranks.stop_on_signals(ranks.StopSignal()) as signals:
        if not state.is_main_process:  # joins the others first, under torchrun
            follow_main(signals)
            return 0
        with ranks.leading():
            return lead(signals)
