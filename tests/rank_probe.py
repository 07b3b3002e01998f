"""Test-only launcher for the multi-process tests (not a test module).

``python -m torch.distributed.run ... tests/rank_probe.py MODULE ARGS...`` runs
``python -m MODULE ARGS...`` in every process, with the probes the ``PTUNE_PROBE`` environment
variable (JSON) asks for:

- ``record``: a folder where each process writes ``rank<N>.json`` (the rows of each evaluation
  pass and how many times it computed metrics) and, when a run saves its adapter,
  ``rank<N>-<run>.safetensors``: the trainable tensors that process holds then;
- ``fail``: ``{"rank", "step", "kind"}``: that process fails at that step, ``"raise"`` inside
  the step (the others wait for it in the step's collectives) or ``"nan"`` (its loss is NaN);
- ``signal``: ``{"rank", "step", "name"}``: that process receives SIGINT or SIGTERM at that
  step, as from Ctrl-C or ``kill``.
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import signal
import sys
from pathlib import Path
from typing import Any


def install(probe: dict[str, Any], rank: int) -> None:
    from core.training import multitask, trainer
    from core.training.trainer import Trainer

    if "record" in probe:
        _record(Path(probe["record"]), rank, trainer, multitask, Trainer)
    poisoned = _nan_loss(trainer)
    step = Trainer._step

    def probed_step(self: Trainer, indices: list[int], batch: dict) -> float:
        number = self.state.step + 1
        fail, sent = probe.get("fail") or {}, probe.get("signal") or {}
        if sent.get("rank") == rank and sent.get("step") == number:
            os.kill(os.getpid(), getattr(signal, sent["name"]))
        if fail.get("rank") != rank or fail.get("step") != number:
            return step(self, indices, batch)
        if fail["kind"] == "raise":
            raise RuntimeError(f"probe failure in process {rank} at step {number}")
        poisoned.append(number)
        try:
            return step(self, indices, batch)
        finally:
            poisoned.clear()

    Trainer._step = probed_step  # type: ignore[method-assign]


def _nan_loss(trainer: Any) -> list[int]:
    """The training loss becomes NaN (a real one, back-propagated) while the returned list is
    not empty."""
    functional, poisoned = trainer.F, []

    class Functional:
        def __getattr__(self, name: str) -> Any:
            return getattr(functional, name)

        def cross_entropy(self, *args: Any, **kwargs: Any) -> Any:
            loss = functional.cross_entropy(*args, **kwargs)
            return loss * float("nan") if poisoned else loss

    trainer.F = Functional()
    return poisoned


def _record(folder: Path, rank: int, trainer: Any, multitask: Any, cls: Any) -> None:
    seen: dict[str, Any] = {"eval_rows": [], "metric_calls": 0}
    predict, metrics = trainer.predict_logits, trainer.classification_metrics

    def counted_predict(model: Any, features: Any, *args: Any, **kwargs: Any) -> Any:
        seen["eval_rows"].append(len(features))
        return predict(model, features, *args, **kwargs)

    def counted_metrics(*args: Any, **kwargs: Any) -> Any:
        seen["metric_calls"] += 1
        return metrics(*args, **kwargs)

    runs = {"count": 0}

    def saving(save: Any) -> Any:
        def recorded(self: Any, model: Any, metric_values: dict) -> dict:
            from safetensors.torch import save_file

            runs["count"] += 1
            state = self.method.trainable_state(self._unwrapped())
            save_file(state, str(folder / f"rank{rank}-{runs['count']}.safetensors"))
            return save(self, model, metric_values)

        return recorded

    trainer.predict_logits = counted_predict
    trainer.classification_metrics = multitask.classification_metrics = counted_metrics
    for kind in (cls, multitask.MultiTaskTrainer):
        kind._save_adapters = saving(kind.__dict__["_save_adapters"])
    folder.mkdir(parents=True, exist_ok=True)
    atexit.register(lambda: (folder / f"rank{rank}.json").write_text(json.dumps(seen)))


def main() -> None:
    probe = json.loads(os.environ.get("PTUNE_PROBE") or "{}")
    install(probe, int(os.environ.get("RANK", "0")))
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
