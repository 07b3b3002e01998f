"""Part 9: the predictor's device memory with 1, 3 and 5 adapters, and Try it's latency (one
sentence judged by five adapters) idle and while a run trains in a background thread.

Only the predictor's public behaviour is used (``Predictor()``, ``.load(folder)``,
``.predict(texts, folders)``) with torch's memory counters around it, so the figures mean the
same whether adapters share one device copy of their base or each has its own.
"""

from __future__ import annotations

import shutil
import statistics
import threading
import time
from typing import Any

import torch

from bench.gpu.context import FAILED, PASSED, Bench, Outcome, Skip
from bench.gpu.runs import memory_now, mib, settle, train

ADAPTERS = 5
COUNTS = (1, 3, 5)
SENTENCE = "a gripping, beautifully acted film that never lets go"
TRAINING_SECONDS = 120  # the background run's stop comes long before; a guard against a hang


def run(bench: Bench) -> Outcome:
    from core.analysis.predict import Predictor

    folders = adapters(bench)
    figures: dict[str, Any] = {"adapters": folders}
    lines: list[str] = []
    predictor = Predictor()
    try:
        figures["memory"] = _memory(bench, predictor, folders)
        figures["idle"] = latency(predictor, folders, bench.sizes.latency_calls)
        figures["beside_training"] = _beside_training(bench, predictor, folders)
    finally:
        _close(predictor)
        del predictor
        settle()
    figures["released"] = memory_now(bench)
    lines += _memory_lines(figures["memory"], figures["released"])
    lines += _latency_lines(figures)
    background = figures["beside_training"]["run"]
    if background["status"] not in ("stopped", "succeeded"):
        reason = f"the background run {background['status']}: {background['error']}"
        return Outcome(FAILED, figures, lines, reason)
    return Outcome(PASSED, figures, lines)


def adapters(bench: Bench) -> list[str]:
    """Five adapter folders of the throughput runs; copies of them where fewer were saved (a
    copy is a distinct adapter to the predictor, with the same weights)."""
    found = list(dict.fromkeys(bench.adapters))[:ADAPTERS]
    if not found:
        raise Skip("the throughput runs (part 7) saved no adapter")
    folders = list(found)
    while len(folders) < ADAPTERS:
        copy = bench.work / f"adapter-copy-{len(folders)}"
        shutil.copytree(found[len(folders) % len(found)], copy, dirs_exist_ok=True)
        folders.append(str(copy))
    return folders


def _memory(bench: Bench, predictor: Any, folders: list[str]) -> dict[str, Any] | str:
    if not bench.cuda:
        return "skipped: no CUDA"
    settle()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    counts: dict[str, Any] = {"before": memory_now(bench)}
    for count in COUNTS:
        for folder in folders[:count]:
            predictor.load(folder)
        predictor.predict([SENTENCE], folders[:count])
        counts[str(count)] = {"allocated_over_before": torch.cuda.memory_allocated() - before,
                              "reserved": torch.cuda.memory_reserved(),
                              "peak_allocated_over_before":
                                  torch.cuda.max_memory_allocated() - before}  # fmt: skip
    return counts


def latency(predictor: Any, folders: list[str], calls: int) -> dict[str, Any]:
    """Milliseconds to judge one sentence with every adapter (after a first, untimed call)."""
    predictor.predict([SENTENCE], folders)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        predictor.predict([SENTENCE], folders)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"adapters": len(folders), "calls": calls, "p50_ms": statistics.median(times),
            "p95_ms": times[int(0.95 * (len(times) - 1))]}  # fmt: skip


def _beside_training(bench: Bench, predictor: Any, folders: list[str]) -> dict[str, Any]:
    """Latency while a P-Tuning v2 run trains on the same device in a background thread."""
    from core.methods.ptuning_v2 import PTuningV2
    from core.training.events import TrainLogged

    stop, training = threading.Event(), threading.Event()
    speeds: list[float] = []

    def on_event(trainer: Any, event: Any) -> None:
        if isinstance(event, TrainLogged):
            speeds.append(event.samples_per_second)
            training.set()

    config = bench.config("beside", method=PTuningV2.name, max_steps=100_000, log_every=5,
                          time_budget_minutes=TRAINING_SECONDS / 60)  # fmt: skip
    result: dict[str, Any] = {}

    def background() -> None:
        result["summary"], result["record"] = train(bench, "9", "training beside Try it", config,
                                                    on_event=on_event, stop=stop)  # fmt: skip

    thread = threading.Thread(target=background, name="gpu-check-training", daemon=True)
    thread.start()
    training.wait(TRAINING_SECONDS)
    measured = latency(predictor, folders, bench.sizes.latency_calls) if training.is_set() else None
    stop.set()
    thread.join(TRAINING_SECONDS)
    summary = result.get("summary") or {"status": "still running", "error": "no summary"}
    return {"latency": measured, "training_samples_per_second": speeds[-1] if speeds else None,
            "run": {"status": summary.get("status"), "error": summary.get("error"),
                    "precision": summary.get("precision")}}  # fmt: skip


def _close(predictor: Any) -> None:
    close = getattr(predictor, "close", None)
    if close is not None:
        close()


def _memory_lines(memory: dict[str, Any] | str, released: dict[str, int] | None) -> list[str]:
    if isinstance(memory, str):
        return [f"Predictor memory: {memory}.", ""]
    lines = ["| adapters loaded | allocated over before | peak allocated over before | "
             "reserved |", "|---|---|---|---|"]  # fmt: skip
    for count in COUNTS:
        row = memory[str(count)]
        lines.append(f"| {count} | {mib(row['allocated_over_before'])} | "
                     f"{mib(row['peak_allocated_over_before'])} | "
                     f"{mib(row['reserved'])} |")  # fmt: skip
    text = f"Allocated before loading: {mib(memory['before']['allocated'])}"
    if released is not None:
        text += f"; after the predictor was let go: {mib(released['allocated'])}"
    return lines + ["", text + ".", ""]


def _latency_lines(figures: dict[str, Any]) -> list[str]:
    idle, beside = figures["idle"], figures["beside_training"]
    lines = [f"Try it, one sentence judged by {idle['adapters']} adapters ({idle['calls']} calls):"
             f" idle p50 {idle['p50_ms']:.1f} ms, p95 {idle['p95_ms']:.1f} ms."]  # fmt: skip
    measured = beside["latency"]
    if measured is None:
        lines.append(f"Beside a training run: not measured (the run {beside['run']['status']}).")
    else:
        speed = beside["training_samples_per_second"]
        lines.append(f"While a run trains in the background: p50 {measured['p50_ms']:.1f} ms, "
                     f"p95 {measured['p95_ms']:.1f} ms (the run trained at "
                     f"{speed or 0:,.0f} samples/s, {beside['run']['precision']}).")  # fmt: skip
    return lines
