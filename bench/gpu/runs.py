"""Training one run for a part: its summary, peak memory and where its parameters ended up.

Every run of the check goes through :func:`train`, which records it in ``bench.runs`` (the
report's run table: precision, status, peak memory, placement). The model is looked at once the
run has finished (its last evaluation hands it over; the trainer lets go of it as it ends), so
the placement check sees what restoring the best weights and saving the adapter left behind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from bench.gpu.context import Bench

EventHook = Callable[[Any, Any], None]
"""Called with (trainer, event) for every event of a run, in the training thread."""
Factory = Callable[..., Any]
"""Builds a trainer from (config, callback, stop_event, resume_from)."""


def unwrapped(trainer: Any) -> torch.nn.Module:
    """The trainer's model as the method built it (not Accelerate's wrapper)."""
    return trainer.accelerator.unwrap_model(trainer.model)


def expected_dtype(param: torch.Tensor, precision: str) -> torch.dtype:
    """The dtype a run in ``precision`` keeps ``param`` in: trainable tensors (and so the
    optimizer's state) in fp32, frozen ones in the compute precision
    (:func:`core.training.precision.frozen_in_compute_precision`)."""
    from core.training.precision import DTYPES

    if not param.is_floating_point():
        return param.dtype
    compute = DTYPES.get(precision)
    return torch.float32 if param.requires_grad or compute is None else compute


def placement(model: torch.nn.Module, device: str, precision: str) -> dict[str, Any]:
    """Parameters off ``device`` or in another dtype than :func:`expected_dtype` says."""
    checked, off, wrong = 0, [], []
    for name, param in model.named_parameters():
        checked += 1
        if param.device.type != device:
            off.append(f"{name} on {param.device}")
        if param.dtype != expected_dtype(param, precision):
            wrong.append(f"{name} in {param.dtype} (expected {expected_dtype(param, precision)})")
    return {"parameters": checked, "off_device": len(off), "wrong_dtype": len(wrong),
            "ok": checked > 0 and not off and not wrong, "examples": (off + wrong)[:3]}  # fmt: skip


def optimizer_placement(optimizer: Any, device: str) -> dict[str, Any]:
    """Optimizer state tensors off ``device`` (AdamW's step counts live on the host)."""
    inner = getattr(optimizer, "optimizer", optimizer)
    tensors = [(key, value) for state in inner.state.values() for key, value in state.items()
               if torch.is_tensor(value) and key != "step"]  # fmt: skip
    off = [f"{key} on {value.device}" for key, value in tensors if value.device.type != device]
    return {"tensors": len(tensors), "off_device": len(off), "ok": bool(tensors) and not off,
            "examples": off[:3]}  # fmt: skip


def memory_now(bench: Bench) -> dict[str, int] | None:
    """Device memory allocated and reserved now (None off a GPU)."""
    if not bench.cuda:
        return None
    return {"allocated": torch.cuda.memory_allocated(), "reserved": torch.cuda.memory_reserved()}


def settle() -> None:
    """Let go of what the last piece of work left: collect it and empty the CUDA cache."""
    from core.memory import release_memory

    release_memory()


def train(
    bench: Bench, part: str, label: str, config: Any, *, on_event: EventHook | None = None,
    stop: threading.Event | None = None, resume_from: Path | None = None,
    factory: Factory | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """Train ``config`` to its end in this thread; its summary and its record in the run table.

    ``factory`` builds the trainer (default: the engine's own choice,
    :func:`core.training.launch.create_trainer`); ``on_event`` sees every event with the trainer.
    """
    from core.training.events import Evaluated
    from core.training.launch import create_trainer

    holder: dict[str, Any] = {}

    def callback(event: Any) -> None:
        if isinstance(event, Evaluated) and event.final:  # the model as the run leaves it
            holder["model"] = unwrapped(holder["trainer"])
        if on_event is not None:
            on_event(holder["trainer"], event)

    if bench.cuda:
        torch.cuda.reset_peak_memory_stats()
    holder["trainer"] = (factory or create_trainer)(config, callback, stop, resume_from)
    started = time.perf_counter()
    summary = holder["trainer"].run()
    record = _record(bench, part, label, config, summary, time.perf_counter() - started)
    model = holder.pop("model", None)
    if model is not None:
        record["placement"] = placement(model, bench.device, summary.get("precision") or "no")
    holder.clear()
    del model
    settle()
    bench.runs.append(record)
    return summary, record


def _record(
    bench: Bench, part: str, label: str, config: Any, summary: dict[str, Any], seconds: float
) -> dict[str, Any]:
    peaks = None
    if bench.cuda:
        peaks = {"allocated": torch.cuda.max_memory_allocated(),
                 "reserved": torch.cuda.max_memory_reserved()}  # fmt: skip
    return {
        "part": part, "label": label, "method": config.method,
        "precision": summary.get("precision"), "status": summary.get("status"),
        "error": summary.get("error"), "steps": summary.get("steps"),
        "best_step": summary.get("best_step"), "wall_seconds": round(seconds, 2),
        "peak_memory": peaks, "placement": None,
    }  # fmt: skip


def mib(value: float | None) -> str:
    """Bytes as MiB for the report ("" when unknown)."""
    return "" if value is None else f"{value / 2**20:,.1f} MiB"
