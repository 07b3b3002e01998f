"""Part 2: prompt growth and multi-task training, in this process and under two processes.

Both train P-Tuning v2: one run whose prompt grows in stages (``method_options: grow``), and one
of two tasks (:func:`bench.gpu.datasets.two_tasks`). With two GPUs or more, the same two runs
train again under torchrun in two processes (NCCL, Accelerate's backend for CUDA), through the
command line (``python -m core.train --config``); with fewer they are skipped, with the reason.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

from bench.gpu.context import FAILED, PASSED, Bench, Outcome, Skip
from bench.gpu.datasets import two_tasks
from bench.gpu.runs import train

ROOT = Path(__file__).resolve().parents[3]
TWO_PROCESS_SECONDS = 240


def run(bench: Bench) -> Outcome:
    configs = {"prompt growth": growth_config(bench), "two tasks": tasks_config(bench)}
    rows = [_one_process(bench, label, config) for label, config in configs.items()]
    for label, config in configs.items():
        rows.append(_two_processes(bench, label, config))
    failed = [f"{r['run']}: {r['seen']}" for r in rows if r["ok"] is False]
    lines = ["| run | processes | expected | seen | |", "|---|---|---|---|---|"] + [
        f"| {r['run']} | {r['processes']} | {r['expected']} | {r['seen']} | "
        f"{ {True: 'ok', False: 'FAIL', None: 'skipped'}[r['ok']] } |"
        for r in rows
    ]
    return Outcome(FAILED if failed else PASSED, {"runs": rows}, lines, "; ".join(failed)[:300])


def growth_config(bench: Bench) -> Any:
    from core.methods.ptuning_v2 import PTuningV2

    # keep_best off: the run ends with the last stage's prompt, not an earlier stage's best
    return bench.config("growth", method=PTuningV2.name, max_steps=bench.sizes.short_steps,
                        method_options={"grow": bench.sizes.growth}, keep_best=False)  # fmt: skip


def tasks_config(bench: Bench) -> Any:
    from core.methods.ptuning_v2 import PTuningV2

    return bench.config("tasks", method=PTuningV2.name, data="", tasks=two_tasks(bench),
                        max_steps=bench.sizes.short_steps)  # fmt: skip


def _expected(config: Any) -> tuple[str, Any]:
    """What the run should end with: a prompt of the last stage's length, or its tasks' scores."""
    if config.tasks:
        return f"succeeded, scores for {', '.join(config.tasks)}", sorted(config.tasks)
    last = int(config.method_options["grow"].split(",")[-1])
    return f"succeeded, prompt of {last} tokens", last


def _seen(config: Any, summary: dict[str, Any]) -> tuple[str, bool]:
    text, wanted = _expected(config)
    status = summary.get("status")
    if config.tasks:
        scores = summary.get("tasks") or {}
        found = sorted(t for t, values in scores.items() if "eval_accuracy" in values)
        return f"{status}, scores for {', '.join(found) or 'no task'}", (
            status == "succeeded" and found == wanted
        )
    length = summary.get("prompt_length")
    return f"{status}, prompt of {length} tokens", status == "succeeded" and length == wanted


def _one_process(bench: Bench, label: str, config: Any) -> dict[str, Any]:
    from core.training.events import PromptGrown

    grown: list[int] = []

    def count(trainer: Any, event: Any) -> None:
        if isinstance(event, PromptGrown):
            grown.append(event.prompt_length)

    summary, record = train(bench, "2", label, config, on_event=count)
    seen, ok = _seen(config, summary)
    placed = (record.get("placement") or {}).get("ok")
    if summary.get("status") != "succeeded":
        seen += f": {summary.get('error')}"
    elif not placed:
        seen += f"; parameters not all on {bench.device} in their dtypes"
    if grown:
        seen += f" (grew to {', '.join(map(str, grown))})"
    return {"run": label, "processes": 1, "expected": _expected(config)[0], "seen": seen,
            "ok": bool(ok and placed), "summary": _brief(summary)}  # fmt: skip


def _two_processes(bench: Bench, label: str, config: Any) -> dict[str, Any]:
    row = {"run": label, "processes": 2, "expected": _expected(config)[0]}
    try:
        summary = two_process_run(bench, config)
    except Skip as why:
        return {**row, "seen": f"skipped: {why}", "ok": None}
    seen, ok = _seen(config, summary)
    if summary.get("status") != "succeeded":
        seen += f": {summary.get('error')}"
    return {**row, "seen": seen, "ok": ok, "summary": _brief(summary)}


def two_process_run(bench: Bench, config: Any, gpus: bool = True) -> dict[str, Any]:
    """``config`` trained by two processes under torchrun (one per GPU; ``gpus=False``: on
    the CPU with gloo, for a trial); the main process's summary."""
    import yaml

    if gpus and torch.cuda.device_count() < 2:
        raise Skip(f"{torch.cuda.device_count()} CUDA device(s) here; two processes need two")
    bench.check_time()
    settings = {**config.to_dict(), "out": f"{config.out}-two"}
    path = bench.work / f"{Path(config.out).name}-two.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
               "--master_port", str(_free_port()), "-m", "core.train", "--config", str(path),
               "--quiet"]  # fmt: skip
    paths = [str(ROOT)] + ([str(bench.site)] if bench.site else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "OMP_NUM_THREADS": "1"}
    if not gpus:
        env["CUDA_VISIBLE_DEVICES"] = ""
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=TWO_PROCESS_SECONDS, check=False)  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "failed", "error": f"exit {done.returncode}: {tail[:300]}"}
    return dict(json.loads(lines[-1]))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _brief(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("status", "error", "steps", "precision", "prompt_length", "eval_accuracy")
    return {key: summary.get(key) for key in keys}
