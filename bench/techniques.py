"""Measure the advanced techniques against plain training and write docs/BENCHMARKS.md.

    python bench/techniques.py --budget-minutes 3
    python bench/techniques.py --only growth,sharing --out /tmp/b.md

Three comparisons, each run a separate ``python -m core.train`` process with the same budget:

* growth: P-Tuning v2 with a fixed 20-token prefix beside one grown 5 -> 10 -> 20;
* sharing: the same fixed prefix beside the shared prompt encoder (far fewer parameters);
* multi-task: SST-2 with the Amazon book and electronics reviews, one shared P-Tuning v2
  prompt trained on all three, then fine-tuned per task (``--init-from``), beside single-task
  runs given the same total time per task.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python bench/techniques.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import methods  # noqa: E402
from bench.methods import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TASKS = {
    "sst2": DATA / "sst2",
    "books": DATA / "amazon-reviews" / "books",
    "electronics": DATA / "amazon-reviews" / "electronics",
}
COMPARISONS = ("growth", "sharing", "multitask")
METHOD = "ptuning_v2"
"""The method whose techniques (growth, shared encoder, multi-task) are measured."""


def train_process(arguments: list[str], out: Path) -> dict:
    """One ``python -m core.train`` process, its summary printed as it ends."""
    summary = methods.train_process(arguments, out)
    print(json.dumps({k: v for k, v in summary.items() if "matrix" not in k}), flush=True)
    return summary


def _accuracy(summary: dict, key: str = "eval_accuracy") -> str:
    if summary.get("status") == "failed" or key not in summary:
        return f"failed: {str(summary.get('error', ''))[:60]}"
    return f"{100 * summary[key]:.1f}%"


def _row(label: str, s: dict) -> str:
    if s.get("status") == "failed":
        return f"| {label} | {_accuracy(s)} | | | | |"
    share = 100 * s["trainable_params"] / s["total_params"]
    return (
        f"| {label} | {_accuracy(s)} | {s.get('prompt_length', '')} "
        f"| {s['trainable_params']:,} ({share:.3g}%) "
        f"| {s['train_samples_per_second']:.0f} | {s['steps']} |"
    )


HEADER = (
    "| run | dev accuracy | saved prompt length | trainable (saved adapter) | train samples/s "
    "| steps |\n|---|---|---|---|---|---|\n"
)


def prompt_runs(args: argparse.Namespace, which: list[str]) -> dict[str, str]:
    """The fixed-length baseline and the growth and/or sharing variants on SST-2."""
    common = ["--method", METHOD, "--data", str(TASKS["sst2"]),
              "--time-budget", str(args.budget_minutes), "--num-virtual-tokens", "20"]  # fmt: skip
    variants = {"fixed 20 tokens": []}
    if "growth" in which:
        variants["grown 5 -> 10 -> 20"] = ["--grow", "5,10,20"]
    if "sharing" in which:
        variants["shared encoder (width 32)"] = ["--share-encoder"]
    results = {
        label: train_process(common + extra + args.extra, args.runs / f"v2-{i}")
        for i, (label, extra) in enumerate(variants.items())
    }
    sections = {}
    intro = (
        f"P-Tuning v2 on SST-2 (train split, dev accuracy), {args.budget_minutes:g} minutes "
        "each, default settings otherwise."
    )
    baseline = _row("fixed 20 tokens", results["fixed 20 tokens"])
    if "growth" in which:
        sections["growth"] = (
            "## Progressive prompt growth (experimental)\n\n" + intro + "\n\n" + HEADER
            + baseline + "\n" + _row("grown 5 -> 10 -> 20", results["grown 5 -> 10 -> 20"]) + "\n"
        )  # fmt: skip
    if "sharing" in which:
        sections["sharing"] = (
            "## Shared prompt encoder for P-Tuning v2\n\n" + intro + "\n\n" + HEADER + baseline
            + "\n" + _row("shared encoder (width 32)", results["shared encoder (width 32)"]) + "\n"
        )  # fmt: skip
    return sections


def multitask_runs(args: argparse.Namespace) -> str:
    """Shared prompt on three tasks, fine-tuned per task, beside single-task runs."""
    rows = ["--max-train-rows", str(args.max_train_rows), *args.extra]
    tasks = ",".join(f"{name}={path}" for name, path in TASKS.items())
    mixed = train_process(
        ["--method", METHOD, "--tasks", tasks, "--time-budget",
         str(args.multitask_minutes), *rows],
        args.runs / "multitask",
    )  # fmt: skip
    per_task = args.multitask_minutes / len(TASKS) + args.finetune_minutes
    lines = []
    for name, path in TASKS.items():
        own = mixed.get("tasks", {}).get(name, {})
        tuned: dict = {"status": "failed", "error": "the multi-task run failed"}
        if own.get("adapter_path"):
            tuned = train_process(
                ["--method", METHOD, "--data", str(path), "--init-from",
                 own["adapter_path"], "--time-budget", str(args.finetune_minutes), *rows],
                args.runs / f"finetune-{name}",
            )  # fmt: skip
        single = train_process(
            ["--method", METHOD, "--data", str(path), "--time-budget", str(per_task), *rows],
            args.runs / f"single-{name}",
        )
        shared = _accuracy(own) if own else _accuracy(mixed)
        lines.append(f"| {name} | {_accuracy(single)} | {shared} | {_accuracy(tuned)} |")
    return (
        "## Multi-task training with a shared prompt\n\n"
        f"P-Tuning v2, training rows capped at {args.max_train_rows} per task (stratified). "
        f"One run trains a shared prompt on all three tasks in mixed batches for "
        f"{args.multitask_minutes:g} minutes; each task's adapter is then fine-tuned on that "
        f"task alone for {args.finetune_minutes:g} min. The single-task runs get the same "
        f"total time per task ({per_task:.3g} minutes). Dev accuracy per task.\n\n"
        "| task | single-task | shared prompt (multi-task) | shared, then fine-tuned |\n"
        "|---|---|---|---|\n" + "\n".join(lines) + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget-minutes", type=float, default=3.0)
    parser.add_argument("--multitask-minutes", type=float, default=3.0)
    parser.add_argument("--finetune-minutes", type=float, default=1.0)
    parser.add_argument("--max-train-rows", type=int, default=3400)
    parser.add_argument("--only", default=",".join(COMPARISONS))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--runs", type=Path, default=Path("/tmp/ptune-bench-techniques"))
    args, args.extra = parser.parse_known_args(argv)  # other flags go to core.train
    which = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = sorted(set(which) - set(COMPARISONS))
    if unknown:
        print(f"error: unknown comparison {unknown}; use {', '.join(COMPARISONS)}", file=sys.stderr)
        return 2
    missing = [str(p) for p in TASKS.values() if not p.exists()]
    if missing:
        print(f"error: {', '.join(missing)} not found (../shared/data)", file=sys.stderr)
        return 2
    command = "python bench/techniques.py " + " ".join(argv if argv is not None else sys.argv[1:])
    note = (
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on {platform.processor() or 'CPU'}, "
        f"base model all-MiniLM-L6-v2. Command: `{command.strip()}`\n\n"
    )
    sections = prompt_runs(args, which) if {"growth", "sharing"} & set(which) else {}
    if "multitask" in which:
        sections["multitask"] = multitask_runs(args)
    for name, text in sections.items():
        title, body = text.split("\n\n", 1)
        write_section(args.out, f"bench/techniques.py {name}", f"{title}\n\n{note}{body}")
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
