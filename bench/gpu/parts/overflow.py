"""Part 5: fp16 with a forced overflow: the step is skipped and training goes on.

A run in fp16 (:class:`core.training.precision.MixedPrecision` scales the loss) gets one inf
gradient at step ``OVERFLOW_AT`` (:class:`bench.gpu.probe.ProbeTrainer`). That step must be
skipped: the optimizer's step count and the schedule's position stay where they were, the
weight is unchanged and the loss scale drops. Every other step is checked for the same
agreement: a step that overflowed of itself (fp16's first scale is large) is skipped in the same
way, and one that did not advances all three.
"""

from __future__ import annotations

import functools
from typing import Any

from bench.gpu.context import FAILED, PASSED, Bench, Outcome
from bench.gpu.probe import ProbeTrainer
from bench.gpu.runs import train

OVERFLOW_AT = 3


def run(bench: Bench) -> Outcome:
    bench.need_cuda()
    return overflow(bench)


def overflow(bench: Bench) -> Outcome:
    """The check itself, on whatever device the run trains on (fp16 must be allowed there)."""
    from core.methods.ptuning_v2 import PTuningV2

    steps = max(OVERFLOW_AT + 2, bench.sizes.short_steps // 5)
    config = bench.config("overflow", method=PTuningV2.name, precision="fp16", max_steps=steps,
                          eval_every=steps)  # fmt: skip
    probes: dict[str, Any] = {}

    def keep(trainer: Any, event: Any) -> None:
        probes["positions"] = trainer.positions

    factory = functools.partial(ProbeTrainer, overflow_at=OVERFLOW_AT)
    summary, _ = train(bench, "5", "fp16 with an inf gradient", config, on_event=keep,
                       factory=factory)  # fmt: skip
    positions = [_judged(p) for p in probes.get("positions", [])]
    injected = next((p for p in positions if p["injected"]), None)
    problems = [f"step {p['step']}: {p['problem']}" for p in positions if p["problem"]]
    if summary.get("status") != "succeeded":
        problems.append(f"the run {summary.get('status')}: {summary.get('error')}")
    if injected is None:
        problems.append(f"step {OVERFLOW_AT} was never reached")
    elif not injected["skipped"]:
        problems.append(f"step {OVERFLOW_AT} with an inf gradient was not skipped")
    lines = [f"Precision {summary.get('precision')}; inf gradient injected at step "
             f"{OVERFLOW_AT}.", "",
             "| step | optimizer steps | schedule position | loss scale | weight changed | "
             "skipped |", "|---|---|---|---|---|---|"]  # fmt: skip
    lines += [_line(p) for p in positions]
    figures = {"overflow_at": OVERFLOW_AT, "steps": positions, "summary_status":
               summary.get("status"), "precision": summary.get("precision")}  # fmt: skip
    return Outcome(FAILED if problems else PASSED, figures, lines, "; ".join(problems)[:300])


def _judged(position: dict[str, Any]) -> dict[str, Any]:
    """A step's positions and whether they agree: a skipped step advances neither the optimizer
    nor the schedule, keeps the weight and lowers the scale; any other step advances both."""
    before, after = position["before"], position["after"]
    moved = {
        "optimizer": after["optimizer_steps"] - before["optimizer_steps"],
        "schedule": after["scheduler_position"] - before["scheduler_position"],
    }
    skipped = moved["optimizer"] == 0
    scale_dropped = after["loss_scale"] < before["loss_scale"]
    if skipped:
        agree = moved["schedule"] == 0 and scale_dropped and not position["weight_changed"]
    else:
        agree = moved == {"optimizer": 1, "schedule": 1} and not scale_dropped
    return {**position, "skipped": skipped, "scale_dropped": scale_dropped,
            "problem": "" if agree else f"positions disagree: moved {moved}, "
            f"scale {before['loss_scale']:g} -> {after['loss_scale']:g}, weight changed "
            f"{position['weight_changed']}"}  # fmt: skip


def _line(p: dict[str, Any]) -> str:
    before, after = p["before"], p["after"]
    mark = " (inf injected)" if p["injected"] else ""
    verdict = ("yes" if p["skipped"] else "no") + (" FAIL" if p["problem"] else "")
    return (f"| {p['step']}{mark} | {before['optimizer_steps']} -> {after['optimizer_steps']} | "
            f"{before['scheduler_position']} -> {after['scheduler_position']} | "
            f"{before['loss_scale']:g} -> {after['loss_scale']:g} | {p['weight_changed']} | "
            f"{verdict} |")  # fmt: skip
