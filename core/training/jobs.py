"""The job registry: what occupies each device, in one place, for every caller.

A job is a run, or a group of runs (a sweep, a few-shot experiment) together with the run of its
current point. At most one job occupies a device: :func:`claim` checks and takes the device
under one lock, so of two starts at the same moment exactly one gets the device and the other
gets :class:`BusyError`. A group's runs are attached to the group's job as its children instead
of claiming the device again.

The registry knows a group only through the small :class:`Group` protocol (its kind, id and
title); what a group does is its own business.

Every stop path (the tabs' Stop buttons, HTTP ``/stop``, Ctrl-C in the command lines) ends in
:meth:`Job.stop`: the current run stops at its next step boundary (it still evaluates and saves,
and is recorded as stopped) and a group starts no further runs. :func:`stop` names what it may
stop (any job, only a run, or only one group) and returns what it stopped; :func:`current` tells
the Monitor, the API and the tabs which run and group are active.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal, Protocol

from core.errors import BusyError
from core.hardware import default_device
from core.messages import Message, say

Kind = Literal["run", "group"]

_lock = threading.Lock()
_jobs: dict[str, Job] = {}


class Group(Protocol):
    """What the registry knows of a group of runs."""

    @property
    def kind(self) -> str:
        """What kind of group it is, as the store records it (``sweep``, ``fewshot``)."""

    @property
    def id(self) -> int:
        """The group's id in the store."""

    @property
    def title(self) -> Message:
        """The group as messages name it ("sweep 3")."""


class Run(Protocol):
    """What the registry knows of a run: its record and its own stop flag."""

    @property
    def run_id(self) -> int | None:
        """The store's id of the run (None when it is not recorded)."""

    @property
    def stop_event(self) -> threading.Event:
        """Set to stop the run at its next step boundary."""


@dataclass(frozen=True)
class Target:
    """What a stop may stop: any job (both None), only a lone run (``kind="run"``), or only
    the group ``group_kind`` #``group_id`` (either may be None to mean any)."""

    kind: Kind | None = None
    group_kind: str | None = None
    group_id: int | None = None

    def matches(self, job: Job) -> bool:
        if self.kind is not None and job.kind != self.kind:
            return False
        if self.group_kind is None and self.group_id is None:
            return True
        group = job.group
        return (
            group is not None
            and self.group_kind in (None, group.kind)
            and self.group_id in (None, group.id)
        )


ANY = Target()
LONE_RUN = Target(kind="run")


def group_target(kind: str, group_id: int | None = None) -> Target:
    """A stop of the group of ``kind`` (and id ``group_id``, when given) only."""
    return Target(kind="group", group_kind=kind, group_id=group_id)


@dataclass(frozen=True)
class Active:
    """A device's job at one moment: the run training now (None between a group's runs) and
    the group, if the job is one."""

    kind: Kind
    device: str
    run: Run | None
    group: Group | None

    @property
    def run_id(self) -> int | None:
        """The store's id of the run training now (None when there is none or it is unrecorded)."""
        return None if self.run is None else self.run.run_id

    @property
    def group_id(self) -> int | None:
        """The id of the group this job runs (None for a lone run)."""
        return None if self.group is None else self.group.id

    def is_group(self, kind: str) -> bool:
        """Whether this job is a group of ``kind`` (``sweep``, ``fewshot``)."""
        return self.group is not None and self.group.kind == kind


class Job:
    """One device's occupant: a run, or a group and its current run, with one stop flag."""

    def __init__(self, kind: Kind, device: str, what: str, noun: Message | None) -> None:
        self.kind = kind
        self.device = device
        self.what = what  # the method(s), for the message a refused start shows
        self.noun = noun  # a group being set up, as a refusal names it ("a sweep")
        self.run: Run | None = None
        self.group: Group | None = None
        self.stop_event = threading.Event()

    @property
    def stopping(self) -> bool:
        return self.stop_event.is_set()

    def stop(self) -> Active:
        """Stop the current run at its next step boundary; a group starts no further runs."""
        with _lock:
            self.stop_event.set()
            view = self._view()
        if view.run is not None:
            view.run.stop_event.set()
        return view

    def set_group(self, group: Group) -> None:
        """Name the group this job runs (once its record exists)."""
        with _lock:
            self.group = group

    def attach_run(self, run: Run) -> None:
        """Make ``run`` this job's current run, before its thread starts.

        BusyError when the job already has a run, or is a group that was stopped: a stopped
        group starts no further runs. A run whose own job was stopped while it was being set up
        starts and stops at its first step boundary, as asked.
        """
        with _lock:
            if self.run is not None:
                raise BusyError(self._busy_message("run"))
            if self.stopping and self.kind == "group":
                raise BusyError(
                    say("{group} is stopping; it starts no further runs", group=self._title())
                )
            if self.stopping:
                run.stop_event.set()
            self.run = run

    def detach_run(self, run: Run) -> None:
        """The run ended: a group's job waits for its next run, a run's job frees the device."""
        with _lock:
            if self.run is run:
                self.run = None
            if self.kind == "run":
                self._release()

    def _view(self) -> Active:
        return Active(self.kind, self.device, self.run, self.group)

    def _title(self) -> Message:
        """The group this job runs, as a message names it ("sweep 3", or "a sweep" while its
        record is being made)."""
        if self.group is not None:
            return self.group.title
        return self.noun or say("a group of runs")

    def _busy_message(self, starting: Kind, noun: Message | None = None) -> Message:
        noun = noun or say("a sweep")
        values = {
            "what": self.what, "device": self.device, "group": self._title(),
            "wait": say("wait for it to finish or stop it"),
            "starting": say("another") if self.noun is not None and self.noun == noun else noun,
        }  # fmt: skip
        if (self.kind, starting) == ("run", "run"):
            return say("a {what} run is already training on {device}; {wait} first", **values)
        if (self.kind, starting) == ("group", "run"):
            return say("{group} is running on {device}; {wait} first", **values)
        if self.kind == "run":
            return say("a {what} run is training; {wait} before starting {starting}", **values)
        return say("{group} is still running; {wait} before starting {starting}", **values)

    def _release(self) -> None:  # call with _lock held
        if _jobs.get(self.device) is self:
            del _jobs[self.device]


def claim(kind: Kind, what: str, device: str | None = None, noun: Message | None = None) -> Job:
    """Take the device for a new run or group; BusyError while another job occupies it.

    ``noun`` names the group being started ("a few-shot experiment"), in this refusal and in
    the refusals of starts that come while it holds the device.

    The check and the claim are one step under the registry's lock, so concurrent starts give
    exactly one job. The caller hands the job to its run or group, or :func:`release` s it when
    the start fails.
    """
    device = device or default_device()
    with _lock:
        busy = _jobs.get(device)
        if busy is not None:
            raise BusyError(busy._busy_message(kind, noun))
        job = _jobs[device] = Job(kind, device, what, noun)
    return job


def release(job: Job) -> None:
    """Free the job's device (a group that ended, or a start that failed); idempotent."""
    with _lock:
        job._release()


def current(device: str | None = None) -> Active | None:
    """The job occupying the device, if any: what a reloaded page re-attaches to."""
    with _lock:
        job = _jobs.get(device or default_device())
        return None if job is None else job._view()


def stop(device: str | None = None, target: Target = ANY) -> Active | None:
    """Stop the job occupying the device if it is what ``target`` names; what it stopped (the
    run and the group), or None when nothing of that kind is active."""
    with _lock:
        job = _jobs.get(device or default_device())
        if job is None or not target.matches(job):
            return None
    return job.stop()
