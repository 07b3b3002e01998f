"""Train every method on SST-2 with the same time budget and write docs/BENCHMARKS.md.

    python bench/methods.py --budget-minutes 15
    python bench/methods.py --budget-minutes 5 --methods ptuning_v2,lora --out /tmp/b.md

Each method runs as its own ``python -m core.train`` process (a fresh interpreter, so one
method's memory or threads cannot slow the next) on the GLUE SST-2 train split, evaluated on
SST-2 dev. The table reports what each run measured: dev accuracy, training samples per second,
trainable share, adapter size, steps and wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python bench/methods.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.methods import METHODS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SST2 = ROOT.parent / "shared" / "data" / "sst2"
ALL_METHODS = list(METHODS)


def train_process(arguments: list[str], out: Path, core: int | None = None) -> dict:
    """One ``python -m core.train`` process (pinned to ``core`` when given); its JSON summary
    (or the failure) plus the wall time as ``bench_wall_seconds``."""
    command = [sys.executable, "-m", "core.train", *arguments, "--out", str(out), "--quiet"]
    pin = None if core is None else (lambda: os.sched_setaffinity(0, {core}))
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, preexec_fn=pin)
    lines = result.stdout.strip().splitlines()
    try:
        summary = json.loads(lines[-1])
    except (IndexError, ValueError):
        summary = {"status": "failed", "error": result.stderr.strip()[-500:]}
    summary["bench_wall_seconds"] = time.perf_counter() - started
    return summary


def run_method(method: str, data: Path, budget: float, out: Path, extra: list[str]) -> dict:
    """One method's training process on ``data`` within ``budget`` minutes."""
    arguments = ["--method", method, "--data", str(data), "--time-budget", str(budget), *extra]
    return train_process(arguments, out / method)


def table(rows: list[dict]) -> str:
    header = (
        "| method | dev accuracy | macro-F1 | train samples/s | trainable | adapter size "
        "| steps (epochs) | wall |\n|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        if r.get("status") == "failed":
            lines.append(f"| {r['method']} | failed: {r.get('error', '')[:80]} | | | | | | |")
            continue
        share = 100 * r["trainable_params"] / r["total_params"]
        lines.append(
            f"| {r['method']} | {100 * r['eval_accuracy']:.1f}% | {100 * r['eval_f1']:.1f} "
            f"| {r['train_samples_per_second']:.0f} | {r['trainable_params']:,} ({share:.3g}%) "
            f"| {_size(r['adapter_bytes'])} | {r['steps']} ({r['epochs']:.2f}) "
            f"| {r['bench_wall_seconds'] / 60:.1f} min |"
        )
    return header + "\n".join(lines) + "\n"


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def write_report(path: Path, rows: list[dict], command: str, budget: float, data: Path) -> None:
    name = data.name if data.name != "sst2" else "SST-2"
    section = (
        f"## Methods on {name}, {budget:g} minutes each\n\n"
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on {platform.processor() or 'CPU'} "
        f"({_cores()}), base model all-MiniLM-L6-v2, default settings of each method, "
        f"time budget {budget:g} minutes per method, each method's default epochs otherwise "
        "(the best evaluation is kept; accuracy is on the dev split).\n\n"
        f"Command: `{command}`\n\n" + table(rows)
    )
    write_section(path, f"bench/methods.py {data.name} {budget:g}", section)


def write_section(path: Path, tag: str, section: str) -> None:
    """Put ``section`` between the ``<!-- tag start -->`` and ``<!-- tag end -->`` markers of the
    page, replacing what was there, or append it with its markers."""
    marker_start, marker_end = f"<!-- {tag} start -->", f"<!-- {tag} end -->"
    block = f"{marker_start}\n{section}{marker_end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if marker_start in text:
        before, rest = text.split(marker_start, 1)
        text = before + block + rest.split(marker_end, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what the platform says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cores() -> str:
    return f"{os.cpu_count()} logical cores"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget-minutes", type=float, default=15.0)
    parser.add_argument("--methods", default=",".join(ALL_METHODS))
    parser.add_argument("--data", type=Path, default=SST2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--runs", type=Path, default=Path("/tmp/ptune-bench"))
    args, extra = parser.parse_known_args(argv)
    if not args.data.exists():
        print(f"error: {args.data} not found (SST-2 from ../shared/data/sst2)", file=sys.stderr)
        return 2
    rows = []
    for method in args.methods.split(","):
        summary = run_method(method, args.data, args.budget_minutes, args.runs, extra)
        summary["method"] = method
        rows.append(summary)
        print(json.dumps({k: v for k, v in summary.items() if "matrix" not in k}), flush=True)
    command = "python bench/methods.py " + " ".join(argv if argv is not None else sys.argv[1:])
    write_report(args.out, rows, command.strip(), args.budget_minutes, args.data)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
