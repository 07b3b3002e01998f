"""Several processes training one run (torchrun, ``accelerate launch``): how they stay together.

The processes (ranks) agree only at step boundaries, through one small all-reduce on a gloo
group of their own: every log interval (whether any of them was asked to stop, whether one
failed, the plan's length), before each evaluation, at each checkpoint and at the end of the
run. That group never carries DDP's gradients, so an agreement cannot interleave with them, and
under NCCL it costs no GPU synchronisation. A process that fails enters the next agreement
with its reason; the others raise :class:`SharedFailure` with the first real reason, and every
process ends the run as failed. A process stuck in a collective with one that failed is freed
by the process group's timeout (:func:`collective_timeout`) and then agrees too.

The main process leads: every run it trains is announced to the others (:func:`announce`),
which train exactly what it announces, unrecorded (:func:`announced`), until it announces the
end. Sweeps and few-shot experiments under torchrun are thus recorded once, by the main process.

A single process never calls any of this (:func:`several` is False), and trains as before.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
from torch import distributed as dist

from core.config import TrainConfig

TIMEOUT_VARIABLE = "PTUNE_COLLECTIVE_TIMEOUT"
"""Environment variable: seconds a process waits in a collective before it gives up."""
DEFAULT_TIMEOUT_SECONDS = 600.0
"""NCCL's own default: long enough for the slowest process to load a model or write a checkpoint
while the others wait for it."""

_lock = threading.Lock()
_control: Any = None  # the agreements' gloo group, made once per process by every process


class SharedFailure(Exception):
    """The run failed in one of its processes; every process ends it with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Agreement:
    """What the processes agreed on at a step boundary."""

    stop: bool
    """Whether any process was asked to stop."""
    total_steps: int
    """The plan's length: the shortest any process proposed."""


def several() -> bool:
    """Whether this process is one of several training together."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def collective_timeout() -> timedelta:
    """How long a process waits in a collective (:data:`TIMEOUT_VARIABLE`, else 10 minutes)."""
    seconds = float(os.environ.get(TIMEOUT_VARIABLE) or DEFAULT_TIMEOUT_SECONDS)
    return timedelta(seconds=seconds)


def _group() -> Any:
    """The agreements' own gloo group. It waits twice as long as the training's collectives, so
    a process that failed is still waiting when the others time out and come to agree."""
    global _control
    with _lock:
        if _control is None:
            _control = dist.new_group(backend="gloo", timeout=2 * collective_timeout())
        return _control


def agree(stop: bool, total_steps: int, failure: str | None = None) -> Agreement:
    """Agree with the other processes at a step boundary (each must call it here).

    ``failure``: this process's reason when it failed. Raises :class:`SharedFailure` on every
    process when any of them failed.
    """
    flags = torch.tensor([int(stop), int(failure is not None), -total_steps], dtype=torch.long)
    dist.all_reduce(flags, op=dist.ReduceOp.MAX, group=_group())
    if flags[1]:
        raise SharedFailure(_first_reason(failure))
    return Agreement(stop=bool(flags[0]), total_steps=int(-flags[2]))


def share_failure(reason: str) -> str:
    """Tell the other processes this one failed; the run's reason (another process's, when it
    failed first and this one only lost contact with it)."""
    try:
        agree(False, 0, reason)
    except SharedFailure as shared:
        return shared.reason
    raise AssertionError("an agreement over a failure always fails")  # pragma: no cover


def _first_reason(own: str | None) -> str:
    """The reason of the first process that failed of itself (not by losing its peers)."""
    reasons: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(reasons, own, group=_group())
    failed = [r for r in reasons if r is not None]
    return next((r for r in failed if not lost_contact(r)), failed[0])


def lost_contact(reason: str) -> bool:
    """Whether a failure only says that a collective timed out or a peer went away."""
    return any(
        words in reason
        for words in ("Timed out", "Connection closed by peer", "timed out", "Watchdog caught")
    )


# ----------------------------------------------------------------------------- evaluation
def own_rows(count: int) -> list[int]:
    """This process's share of ``count`` rows to evaluate (every N-th row from its index)."""
    return list(range(dist.get_rank(), count, dist.get_world_size()))


def gather_rows(count: int, logits: torch.Tensor | None, failure: str | None) -> torch.Tensor:
    """Every process's logits of its :func:`own_rows`, put back in row order (all processes
    get them). Raises :class:`SharedFailure` on every process when any could not compute its
    share (``failure``)."""
    parts: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(parts, (logits, failure), group=_group())
    failed = [reason for _, reason in parts if reason is not None]
    if failed:
        raise SharedFailure(failed[0])
    width = next((p.shape[-1] for p, _ in parts if p is not None and p.numel()), 0)
    out = torch.empty(count, width)
    for rank, (part, _) in enumerate(parts):
        if part is not None and part.numel():
            out[rank :: len(parts)] = part
    return out


def from_main(value: Any) -> Any:
    """The main process's ``value``, on every process."""
    box = [value]
    dist.broadcast_object_list(box, src=0, group=_group())
    return box[0]


# ----------------------------------------------------------------------------- leading
@dataclass(frozen=True)
class RunSpec:
    """A run the main process announces: its settings and the checkpoint it resumes from."""

    config: TrainConfig
    resume_from: str | None = None


def announce(spec: RunSpec | None) -> None:
    """Tell the other processes which run to train next (None: there is nothing more)."""
    from_main(spec)


def announced() -> RunSpec | None:
    """The next run the main process announces (None once it has nothing more)."""
    return from_main(None)


@contextlib.contextmanager
def leading() -> Iterator[None]:
    """The main process's part: whatever happens inside, the others learn at its end that
    nothing more is coming (a start refused before any run was announced included)."""
    try:
        yield
    finally:
        if several():
            announce(None)


# ----------------------------------------------------------------------------- stopping
class StopSignal:
    """A Ctrl-C or SIGTERM received by this process: it asks what is attached to stop."""

    def __init__(self) -> None:
        self.received = False
        self._stop: Callable[[], None] | None = None

    def __call__(self, *_: Any) -> None:
        self.received = True
        if self._stop is not None:
            self._stop()

    def attach(self, stop: Callable[[], None]) -> None:
        """Stop this from now on (at once when a signal came already)."""
        self._stop = stop
        if self.received:
            stop()


@contextlib.contextmanager
def stop_on_signals(handler: StopSignal) -> Iterator[StopSignal]:
    """Under several processes, SIGINT and SIGTERM ask ``handler`` to stop the run instead of
    ending the process mid-collective: the stop is agreed at the next log step and every
    process stops there, the adapter saved. torchrun passes a Ctrl-C on to every process (and
    kills them 30 seconds later). A single process keeps Python's own handling. Enter it once
    this process has joined the others (``core.training.launch.processes``)."""
    if not several() or threading.current_thread() is not threading.main_thread():
        yield handler
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield handler
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
