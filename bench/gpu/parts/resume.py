"""Part 1: a run stopped at a checkpoint, resumed to its end, and the best weights restored.

The run trains P-Tuning v2 on data whose validation labels are turned round
(:func:`bench.gpu.datasets.turned_round`): its best evaluation comes early, so each end restores
earlier weights. It is stopped at the checkpoint halfway (its end restores the best weights kept
in device memory), then resumed from that checkpoint: the resumed model, loaded from files read
on the CPU, must be on the device in its dtypes, its optimizer state too, and at its end the
best weights come from the checkpoint's file. The parameters are looked at right after the
resume and after each end.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from bench.gpu.context import FAILED, PASSED, Bench, Outcome
from bench.gpu.datasets import turned_round
from bench.gpu.runs import optimizer_placement, placement, train, unwrapped


def run(bench: Bench) -> Outcome:
    from core.methods.ptuning_v2 import PTuningV2
    from core.training.events import CheckpointWritten, RunStarted

    sizes = bench.sizes
    half = sizes.resume_steps // 2
    config = bench.config("resume", method=PTuningV2.name, data=str(turned_round(bench)),
                          max_steps=sizes.resume_steps, eval_every=sizes.eval_every,
                          log_every=sizes.eval_every, keep_best=True)  # fmt: skip
    stop = threading.Event()

    def stop_halfway(trainer: Any, event: Any) -> None:
        if isinstance(event, CheckpointWritten) and event.step >= half:
            stop.set()

    first, first_record = train(bench, "1", "stopped at a checkpoint", config, stop=stop,
                                on_event=stop_halfway)  # fmt: skip
    seen: dict[str, Any] = {}

    def look_at_start(trainer: Any, event: Any) -> None:
        if isinstance(event, RunStarted):
            seen["step"] = trainer.state.step
            seen["model"] = placement(unwrapped(trainer), bench.device, trainer.precision)
            seen["optimizer"] = optimizer_placement(trainer.optimizer, bench.device)

    second, second_record = train(bench, "1", "resumed to the end", config,
                                  resume_from=Path(config.out) / "checkpoint",
                                  on_event=look_at_start)  # fmt: skip
    checks = _checks(bench, half, first, first_record, second, second_record, seen)
    failed = [c["check"] for c in checks if not c["ok"]]
    lines = ["| check | expected | seen | |", "|---|---|---|---|"] + [
        f"| {c['check']} | {c['expected']} | {c['seen']} | {'ok' if c['ok'] else 'FAIL'} |"
        for c in checks
    ]
    figures = {"checks": checks, "stopped": _brief(first), "resumed": _brief(second),
               "at_resume": seen}  # fmt: skip
    return Outcome(FAILED if failed else PASSED, figures, lines, "; ".join(failed)[:300])


def _checks(
    bench: Bench, half: int, first: dict[str, Any], first_record: dict[str, Any],
    second: dict[str, Any], second_record: dict[str, Any], seen: dict[str, Any],
) -> list[dict[str, Any]]:  # fmt: skip
    total, device = bench.sizes.resume_steps, bench.device
    at_start, optimizer = seen.get("model") or {}, seen.get("optimizer") or {}
    rows = [
        ("stopped at the checkpoint halfway", f"stopped at step {half}",
         f"{first.get('status')} at step {first.get('steps')}",
         first.get("status") == "stopped" and first.get("steps") == half),
        ("its end restored earlier best weights (from device memory)", f"best step < {half}",
         f"best step {first.get('best_step')}", _restored(first)),
        ("after the stopped run: parameters on the device, in their dtypes",
         f"all on {device}", _placed(first_record), _ok(first_record)),
        ("resumed from the checkpoint's step", f"step {half}", f"step {seen.get('step')}",
         seen.get("step") == half),
        ("resumed model: parameters on the device, in their dtypes", f"all on {device}",
         _described(at_start), bool(at_start.get("ok"))),
        ("resumed optimizer state on the device", f"all on {device}",
         f"{optimizer.get('off_device')} of {optimizer.get('tensors')} off the device",
         bool(optimizer.get("ok"))),
        ("resumed run ran to its end", f"succeeded at step {total}",
         f"{second.get('status')} at step {second.get('steps')} {second.get('error') or ''}",
         second.get("status") == "succeeded" and second.get("steps") == total),
        ("its end restored the best weights (from the checkpoint's file)",
         f"best step < {total}", f"best step {second.get('best_step')}", _restored(second)),
        ("after the resumed run: parameters on the device, in their dtypes",
         f"all on {device}", _placed(second_record), _ok(second_record)),
    ]  # fmt: skip
    return [{"check": c, "expected": e, "seen": s, "ok": bool(ok)} for c, e, s, ok in rows]


def _restored(summary: dict[str, Any]) -> bool:
    best, steps = summary.get("best_step"), summary.get("steps")
    return isinstance(best, int) and isinstance(steps, int) and 0 < best < steps


def _ok(record: dict[str, Any]) -> bool:
    return bool((record.get("placement") or {}).get("ok"))


def _placed(record: dict[str, Any]) -> str:
    return _described(record.get("placement") or {})


def _described(found: dict[str, Any]) -> str:
    if not found:
        return "not reached"
    text = (f"{found['parameters']} parameters, {found['off_device']} off the device, "
            f"{found['wrong_dtype']} in another dtype")  # fmt: skip
    return text + (f" (e.g. {found['examples'][0]})" if found["examples"] else "")


def _brief(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("status", "error", "steps", "best_step", "precision", "eval_accuracy")
    return {key: summary.get(key) for key in keys}
