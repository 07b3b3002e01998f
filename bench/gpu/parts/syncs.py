"""Part 6: host synchronisations per training step, under CUDA's sync debug mode.

A short bf16 run trains with ``torch.cuda.set_sync_debug_mode("warn")`` while its loop runs:
every operation that makes the host wait for the device warns, and
:class:`bench.gpu.probe.SyncRecorder` notes each with the loop's phase (inside a training step,
or between steps: log lines, evaluation, checkpoint) and where it came from. The aim is none
inside an ordinary step: the host then prepares the next step while the device computes. The
loss is read once per log interval, on purpose, and evaluation reads its results. A sync made
on purpose before the loop must be seen too: a recorder that saw none would count zero anyway.
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

from bench.gpu.context import FAILED, PASSED, Bench, Outcome
from bench.gpu.probe import ProbeTrainer, SyncRecorder
from bench.gpu.runs import train


def run(bench: Bench) -> Outcome:
    bench.need_cuda()
    return count_syncs(bench, "warn")


def count_syncs(bench: Bench, mode: str | None) -> Outcome:
    """The check itself; ``mode`` None records warnings without CUDA's debug mode (a trial)."""
    from core.methods.ptuning_v2 import PTuningV2

    sizes = bench.sizes
    config = bench.config("syncs", method=PTuningV2.name, max_steps=sizes.sync_steps,
                          log_every=sizes.sync_log_every, eval_every=sizes.sync_steps)  # fmt: skip
    recorder = SyncRecorder()
    factory = functools.partial(ProbeTrainer, syncs=recorder, sync_mode=mode)
    summary, _ = train(bench, "6", "host syncs", config, factory=factory)
    figures = summarise(recorder.syncs, summary.get("steps") or 0, sizes.sync_log_every)
    figures.update(status=summary.get("status"), error=summary.get("error"),
                   precision=summary.get("precision"),
                   other_warnings=recorder.other_warnings)  # fmt: skip
    problems = []
    if mode and not figures["control_seen"]:
        problems.append("a sync made on purpose was not seen: the counts cannot be trusted")
    if summary.get("status") != "succeeded":
        problems.append(f"the run {summary.get('status')}: {summary.get('error')}")
    if figures["in_steps"]:
        problems.append(f"{figures['per_step']:.2f} syncs per training step; first at "
                        f"{figures['where_in_steps'][0][0]}")  # fmt: skip
    return Outcome(FAILED if problems else PASSED, figures, _lines(figures),
                   "; ".join(problems)[:300])  # fmt: skip


def summarise(syncs: list[dict[str, Any]], steps: int, log_every: int) -> dict[str, Any]:
    """Syncs inside training steps (per step, and where), and those between steps by kind."""
    inside = [s for s in syncs if s["phase"] == "step"]
    between = [s for s in syncs if s["phase"] not in ("step", "control")]

    def kind(sync: dict[str, Any]) -> str:
        if sync["phase"] != "between steps":
            return sync["phase"]
        if sync["step"] == steps:
            return "last step (log line, evaluation, checkpoint)"
        return "log step" if sync["step"] % log_every == 0 else "other step boundary"

    return {
        "control_seen": sum(s["phase"] == "control" for s in syncs),
        "steps": steps, "in_steps": len(inside), "per_step": len(inside) / max(1, steps),
        "steps_with_syncs": sorted({s["step"] for s in inside}),
        "where_in_steps": Counter(s["where"] for s in inside).most_common(10),
        "between_steps": dict(Counter(kind(s) for s in between)),
        "where_between_steps": Counter(s["where"] for s in between).most_common(10),
    }  # fmt: skip


def _lines(f: dict[str, Any]) -> list[str]:
    lines = [
        f"{f['steps']} steps in {f['precision']}: {f['in_steps']} syncs inside training steps "
        f"({f['per_step']:.2f} per step); between steps: "
        + (", ".join(f"{n} at {k}" for k, n in f["between_steps"].items()) or "none")
        + f". A sync made on purpose before the loop was seen {f['control_seen']} time(s).",
    ]
    for title, key in (("Inside", "where_in_steps"), ("Between", "where_between_steps")):
        if f[key]:
            lines += ["", f"{title} steps:", ""] + [f"- {n} x {where}" for where, n in f[key]]
    return lines
