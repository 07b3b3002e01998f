"""How the processes of one run keep together (torchrun, ``accelerate launch``), for the loop.

The collectives are :mod:`core.training.ranks`; here is when the trainer uses them. The main
process announces each run; the processes agree at every log step (a stop request, a failure,
the plan's length), before each evaluation pass, at each checkpoint and at the end. A failure
of a process's own work (its loss check, an event it reports, the checkpoint it writes) waits
for the next agreement, so the others learn it there instead of waiting for that process in a
collective; any other failure is told to the others as the run ends. Evaluation is split
between the processes and its metrics are computed once, by the main process, so that every
process takes the same decisions (the best weights, early stopping, the end of the run).

A single process takes none of these paths.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import torch

from core.training import ranks
from core.training.failures import describe_failure
from core.training.ranks import SharedFailure
from core.training.run_setup import Features, RunSetup

Result = TypeVar("Result")


class Together(RunSetup):
    """The run's agreements with the other processes; :class:`~core.training.trainer.Trainer`
    adds the loop."""

    def _announce(self) -> None:
        """Under torchrun the main process tells the others which run to train with it."""
        if ranks.several() and torch.distributed.get_rank() == 0:
            resume = None if self.resume_from is None else str(self.resume_from)
            ranks.announce(ranks.RunSpec(self.config, resume))

    def _or_later(self, work: Callable[[], Result]) -> Result | None:
        """``work()``; under several processes a failure of this process's own work waits for
        the next agreement, so the others are told instead of waiting for it mid-collective."""
        if self.accelerator.num_processes == 1:
            return work()
        try:
            return work()
        except Exception as exc:  # noqa: BLE001 - told to every process at the next agreement
            if self.failure is None:
                self.failure = exc
            return None

    def _pending_failure(self) -> str | None:
        return None if self.failure is None else describe_failure(self.failure)

    def _agree(self, proposed_total: int) -> bool:
        """Agree with the other processes at a log step: the shortest plan any proposes, a
        failure (raises :class:`SharedFailure`), and whether any was asked to stop (True: all
        stop after this step)."""
        stop = self.stop_event.is_set()
        agreed = ranks.agree(stop, proposed_total, self._pending_failure())
        self.state.total_steps = agreed.total_steps
        return agreed.stop

    def _check_together(self) -> None:
        """Under several processes, make sure none has failed before going on together."""
        if self.accelerator.num_processes > 1:
            ranks.agree(False, self.state.total_steps, self._pending_failure())

    def _failure_reason(self, exc: Exception) -> str:
        """Why the run failed; under several processes the others are told, and the reason
        is the first process's that failed of itself."""
        if isinstance(exc, SharedFailure):
            return exc.reason
        reason = describe_failure(exc)
        if not ranks.several():
            return reason
        try:
            return ranks.share_failure(reason)
        except Exception:  # noqa: BLE001 - the others are gone: this process's own reason
            return reason

    def _gathered(
        self, features: Features, logits_of: Callable[[Features], torch.Tensor]
    ) -> torch.Tensor:
        """Every row's logits, each process computing those of its share of the rows."""
        self._check_together()
        share, failure = None, None
        try:
            share = logits_of(features.take(ranks.own_rows(len(features))))
        except Exception as exc:  # noqa: BLE001 - every process fails with its reason
            failure = describe_failure(exc)
        return ranks.gather_rows(len(features), share, failure)

    def _computed_once(self, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``compute()`` (metrics); under several processes the main process computes them and
        the others receive them, so every process takes the same decisions."""
        if self.accelerator.num_processes == 1:
            return compute()
        metrics, failure = None, None
        if self.accelerator.is_main_process:
            try:
                metrics = compute()
            except Exception as exc:  # noqa: BLE001 - every process fails with its reason
                failure = describe_failure(exc)
        metrics, failure = ranks.from_main((metrics, failure))
        if failure is not None:
            raise SharedFailure(failure)
        return metrics  # type: ignore[no-any-return]
