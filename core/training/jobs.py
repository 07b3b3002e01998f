"""The job registry: what occupies each device, in one place, for every caller.

A job is a run, or a sweep together with the run of its current point. At most one job occupies
a device: :func:`claim` checks and takes the device under one lock, so of two starts at the same
moment exactly one gets the device and the other gets :class:`BusyError`. A sweep's point runs
are attached to the sweep's job as its children instead of claiming the device again.

Every stop path (the Train and Sweep tabs' Stop, HTTP ``/stop``, Ctrl-C in the command lines)
ends in :meth:`Job.stop`: the current run stops at its next step boundary (it still evaluates
and saves, and is recorded as stopped) and a sweep starts no further runs. :func:`current` tells
the Monitor, the API and the tabs which run and sweep are active.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from core.errors import BusyError
from core.hardware import default_device
from core.messages import Message, say

if TYPE_CHECKING:
    from core.sweep.run import SweepHandle
    from core.training.runner import RunHandle

Kind = Literal["run", "sweep"]

_lock = threading.Lock()
_jobs: dict[str, Job] = {}


# (kind of the job holding the device, kind being started) -> why the start is refused
@dataclass(frozen=True)
class Active:
    """A device's job at one moment: the run training now (None between a sweep's runs) and
    the sweep, if the job is one."""

    kind: Kind
    device: str
    run: RunHandle | None
    sweep: SweepHandle | None
    sweep_id: int | None

    @property
    def run_id(self) -> int | None:
        """The store's id of the run training now (None when there is none or it is unrecorded)."""
        return None if self.run is None else self.run.run_id


class Job:
    """One device's occupant: a run, or a sweep and its current run, with one stop flag."""

    def __init__(self, kind: Kind, device: str, what: str) -> None:
        self.kind = kind
        self.device = device
        self.what = what  # the method, for the message a refused start shows
        self.run: RunHandle | None = None
        self.sweep: SweepHandle | None = None
        self.sweep_id: int | None = None
        self.stop_event = threading.Event()

    @property
    def stopping(self) -> bool:
        return self.stop_event.is_set()

    def stop(self) -> Active:
        """Stop the current run at its next step boundary; a sweep starts no further runs."""
        with _lock:
            self.stop_event.set()
            view = self._view()
        if view.run is not None:
            view.run.stop_event.set()
        return view

    def set_sweep(self, sweep: SweepHandle) -> None:
        """Name the sweep this job runs (once its record exists)."""
        with _lock:
            self.sweep, self.sweep_id = sweep, sweep.sweep_id

    def attach_run(self, run: RunHandle) -> None:
        """Make ``run`` this job's current run, before its thread starts.

        BusyError when the job already has a run, or is a sweep that was stopped: a stopped
        sweep starts no further runs. A run whose own job was stopped while it was being set up
        starts and stops at its first step boundary, as asked.
        """
        with _lock:
            if self.run is not None:
                raise BusyError(self._busy_message("run"))
            if self.stopping and self.kind == "sweep":
                raise BusyError(
                    say("{group} is stopping; it starts no further runs", group=self._group())
                )
            if self.stopping:
                run.stop_event.set()
            self.run = run

    def detach_run(self, run: RunHandle) -> None:
        """The run ended: a sweep's job waits for its next run, a run's job frees the device."""
        with _lock:
            if self.run is run:
                self.run = None
            if self.kind == "run":
                self._release()

    def _view(self) -> Active:
        return Active(self.kind, self.device, self.run, self.sweep, self.sweep_id)

    def _group(self) -> Message:
        """The group of runs this job runs, as a message names it ("sweep 3")."""
        if self.sweep is not None:
            return self.sweep.title
        return say("sweep {sweep}", sweep="?" if self.sweep_id is None else self.sweep_id)

    def _busy_message(self, starting: Kind, noun: Message | None = None) -> Message:
        noun = noun or say("a sweep")
        mine = getattr(self.sweep, "noun", None)
        values = {
            "what": self.what, "device": self.device, "group": self._group(),
            "wait": say("wait for it to finish or stop it"),
            "starting": say("another") if mine is not None and mine == noun else noun,
        }  # fmt: skip
        if (self.kind, starting) == ("run", "run"):
            return say("a {what} run is already training on {device}; {wait} first", **values)
        if (self.kind, starting) == ("sweep", "run"):
            return say("{group} is running on {device}; {wait} first", **values)
        if self.kind == "run":
            return say("a {what} run is training; {wait} before starting {starting}", **values)
        return say("{group} is still running; {wait} before starting {starting}", **values)

    def _release(self) -> None:  # call with _lock held
        if _jobs.get(self.device) is self:
            del _jobs[self.device]


def claim(kind: Kind, what: str, device: str | None = None, noun: Message | None = None) -> Job:
    """Take the device for a new run or sweep; BusyError while another job occupies it.

    ``noun`` names a group being started in the refusal ("a few-shot experiment").

    The check and the claim are one step under the registry's lock, so concurrent starts give
    exactly one job. The caller hands the job to its run or sweep, or :func:`release` s it when
    the start fails.
    """
    device = device or default_device()
    with _lock:
        busy = _jobs.get(device)
        if busy is not None:
            raise BusyError(busy._busy_message(kind, noun))
        job = _jobs[device] = Job(kind, device, what)
    return job


def release(job: Job) -> None:
    """Free the job's device (a sweep that ended, or a start that failed); idempotent."""
    with _lock:
        job._release()


def current(device: str | None = None) -> Active | None:
    """The job occupying the device, if any: what a reloaded page re-attaches to."""
    with _lock:
        job = _jobs.get(device or default_device())
        return None if job is None else job._view()


def stop(device: str | None = None, kind: Kind | None = None) -> Active | None:
    """Stop the job occupying the device (only if it is of ``kind``, when given).

    What it stopped (the run and the sweep), or None when nothing of that kind is active.
    """
    with _lock:
        job = _jobs.get(device or default_device())
    if job is None or (kind is not None and job.kind != kind):
        return None
    return job.stop()
