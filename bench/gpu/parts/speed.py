"""Part 7: training throughput of each method after its warm-up steps, in bf16 on the data.

Each method trains ``warmup_steps + measured_steps`` steps, logging every ``warmup_steps``: the
host reads the loss at each log step (it waits for the device there), so the time between the
log step that ends the warm-up and the last one is the device's time for the measured steps.
The evaluation comes after the last log step and stays outside. The runs follow one another
in this process, which is part 8's memory series: the memory allocated after the first run is
the baseline that the last must come back to.
"""

from __future__ import annotations

import time
from typing import Any

from bench.gpu.context import FAILED, PASSED, Bench, Outcome, Skip
from bench.gpu.runs import memory_now, mib, train

MEMORY_SLACK = 4 * 2**20
"""Bytes the allocated memory may grow by over the series: less than any model, optimizer
state or batch of activations a run could leave behind (MiniLM alone is 45 MB in bf16)."""


def run(bench: Bench) -> Outcome:
    rows: list[dict[str, Any]] = []
    before, first = memory_now(bench), None
    skipped = ""
    for method in bench.methods:
        try:
            bench.check_time()
        except Skip as why:
            skipped = f"not measured ({why}): {', '.join(bench.methods[len(rows) :])}"
            break
        rows.append(measure(bench, method))
        if first is None:
            first = memory_now(bench)  # after one run: the libraries' own buffers are there
    bench.memory = _series(before, first, memory_now(bench), len(rows))
    failed = [f"{r['method']}: {r['status']} {r['error'] or ''}".strip() for r in rows
              if r["status"] != "succeeded"]  # fmt: skip
    lines = _table(rows) + ([f"\n{skipped}"] if skipped else [])
    figures = {"runs": rows, "warmup_steps": bench.sizes.warmup_steps,
               "measured_steps": bench.sizes.measured_steps,
               "batch_size": bench.sizes.batch_size}  # fmt: skip
    problems = failed + ([skipped] if skipped else [])
    return Outcome(FAILED if problems else PASSED, figures, lines, "; ".join(problems)[:300])


def measure(bench: Bench, method: str) -> dict[str, Any]:
    """One method's run: samples per second after the warm-up, and the run's own figures."""
    from core.methods import METHODS
    from core.training.events import TrainLogged

    sizes = bench.sizes
    marks: dict[int, tuple[float, int]] = {}

    def on_event(trainer: Any, event: Any) -> None:
        if isinstance(event, TrainLogged):  # the host has just waited for the device
            marks[event.step] = (time.perf_counter(), trainer.state.samples)

    steps = sizes.warmup_steps + sizes.measured_steps
    config = bench.config(f"speed-{method}", method=method, max_steps=steps,
                          log_every=sizes.warmup_steps, eval_every=steps)  # fmt: skip
    summary, record = train(bench, "7", f"throughput {method}", config, on_event=on_event)
    warm = marks.get(sizes.warmup_steps)
    last = marks[max(marks)] if marks else None
    speed = None
    if warm and last and last[0] > warm[0]:
        speed = (last[1] - warm[1]) / (last[0] - warm[0])
    if summary.get("status") == "succeeded" and not METHODS[method].whole_model:
        bench.adapters.append(str(summary["adapter_path"]))
    return {
        "method": method, "precision": summary.get("precision"), "status": summary.get("status"),
        "error": summary.get("error"), "samples_per_second": speed,
        "measured_steps": (max(marks) - sizes.warmup_steps) if marks else 0,
        "samples_per_second_with_warmup": summary.get("train_samples_per_second"),
        "eval_accuracy": summary.get("eval_accuracy"), "peak_memory": record["peak_memory"],
    }  # fmt: skip


def _series(
    before: dict[str, int] | None, first: dict[str, int] | None, last: dict[str, int] | None,
    runs: int,
) -> dict[str, Any]:  # fmt: skip
    if before is None or first is None or last is None:
        return {"runs": runs, "ok": None}
    growth = last["allocated"] - first["allocated"]
    return {"runs": runs, "before_first_run": before, "after_first_run": first,
            "after_last_run": last, "growth_bytes": growth, "slack_bytes": MEMORY_SLACK,
            "ok": growth <= MEMORY_SLACK}  # fmt: skip


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| method | precision | samples/s after warm-up | with warm-up | peak allocated | "
             "peak reserved | dev accuracy |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        if r["status"] != "succeeded":
            lines.append(f"| {r['method']} | {r['precision']} | {r['status']}: "
                         f"{(r['error'] or '')[:100]} | | | | |")  # fmt: skip
            continue
        peak = r["peak_memory"] or {}
        speed = "" if r["samples_per_second"] is None else f"{r['samples_per_second']:,.0f}"
        lines.append(
            f"| {r['method']} | {r['precision']} | {speed} | "
            f"{r['samples_per_second_with_warmup'] or 0:,.0f} | {mib(peak.get('allocated'))} | "
            f"{mib(peak.get('reserved'))} | {r['eval_accuracy'] or 0:.1%} |"
        )
    return lines
