"""Compare every method on SST-2 with one time budget, test them on Amazon reviews, and measure
fp32 against bf16; writes both tables to docs/BENCHMARKS.md.

    python -m bench.compare                                   # 7 methods x 3 min + 2 fp32 runs
    python -m bench.compare --methods ptuning_v2,lora --budget-minutes 1 --output /tmp/b.md

Every run is recorded in a PTune Studio database (``--db``; a new one under ``--runs`` when not
given), and the table is :func:`core.analysis.compare.compare_table` of those runs: the Compare tab
shows the same figures (``python launch.py --db PATH``). Each run trains in a fresh
``python -m core.train --db`` process, so one method's memory or threads cannot slow the next
(``--in-process`` trains in this process instead). Generalisation: each adapter, trained on
SST-2 only, judges Amazon book and electronics reviews (their labelled test files, a stratified
sample of ``--transfer-rows``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: python bench/compare.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.methods import ALL_METHODS, SST2, cpu_model, run_method, write_section  # noqa: E402
from core.analysis.compare import (  # noqa: E402
    COLUMNS,
    compare_rows,
    compare_table,
    dataset_label,
    evaluate_transfer,
    load_transfer_data,
)
from core.errors import PTuneError  # noqa: E402
from core.methods import METHODS  # noqa: E402
from storage.errors import StorageError  # noqa: E402
from storage.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
AMAZON = ROOT.parent / "shared" / "data" / "amazon-reviews"
DEFAULT_TRANSFER = f"{AMAZON / 'books'},{AMAZON / 'electronics'}"
HEADERS = {
    "run": "run",
    "method": "method",
    "share": "trainable share (parameters)",
    "adapter": "adapter on disk",
    "speed": "train samples/s",
    "to_best": "time to best accuracy",
    "dev": "dev accuracy",
}
PRECISION_NAMES = {"no": "fp32", "bf16": "bf16", "fp16": "fp16"}


# ----------------------------------------------------------------------------- training
def train_run(args: argparse.Namespace, store: Store, method: str, precision: str) -> dict:
    """One recorded run; its summary with ``run_id`` (a failure without one if it never began)."""
    name = f"{method} on {args.data.name}" + ("" if precision == "auto" else f", {precision}")
    out = args.runs / precision
    options = {
        "precision": precision,
        "name": name,
        "model": args.model,
        "max_steps": args.max_steps,
        "max_train_rows": args.max_train_rows,
    }
    options = {k: v for k, v in options.items() if v is not None}
    if not args.in_process:
        extra = ["--db", str(store.path)]
        for key, value in options.items():
            extra += [f"--{key.replace('_', '-')}", str(value)]
        return run_method(method, args.data, args.budget_minutes, out, extra)
    from core import runs
    from core.config import TrainConfig

    config = TrainConfig(
        method=method,
        data=str(args.data),
        out=str(out / method),
        time_budget_minutes=args.budget_minutes,
        **options,
    )
    handle = runs.start(store, config)
    run_id = handle.run_id
    return {**(handle.wait() or {}), "run_id": run_id}


def train_all(
    args: argparse.Namespace, store: Store, methods: Sequence[str], precision: str
) -> dict[str, dict]:
    summaries = {}
    for method in methods:
        summary = train_run(args, store, method, precision)
        summary.setdefault("method", method)
        summaries[method] = summary
        print(
            f"{method} ({precision}): {summary.get('status')} {summary.get('error') or ''}",
            file=sys.stderr,
            flush=True,
        )
    return summaries


def evaluate_all(args: argparse.Namespace, store: Store, run_ids: Sequence[int]) -> list[str]:
    """Generalisation of every run on every ``--transfer`` dataset; notes on what was used."""
    from core.analysis.predict import Predictor

    predictor, notes = Predictor(), []
    for source in [s for s in args.transfer.split(",") if s.strip()]:
        try:
            bundle = load_transfer_data(source.strip())
        except PTuneError as exc:
            notes.append(f"{source}: {exc}")
            continue
        used = None
        for run_id in run_ids:
            try:
                used = evaluate_transfer(
                    store, run_id, bundle, max_rows=args.transfer_rows, predictor=predictor
                )
            except (PTuneError, StorageError) as exc:
                notes.append(f"run #{run_id} on {source}: {exc}")
        if used:
            notes.append(f"{used['label']}: {used['rows']:,} rows of its {used['split']} split")
    return notes


# ----------------------------------------------------------------------------- tables
def claim(method: str, share: float | None) -> tuple[str, str]:
    """(quoted range, whether ``share`` falls in it) for methods with a usually quoted share."""
    quoted = METHODS[method].typical_share if method in METHODS else None
    if quoted is None:
        return "", ""
    name, low, high = quoted
    verdict = "" if share is None else ("yes" if low <= share <= high else "no")
    if verdict == "no":
        verdict += f" ({'above' if share > high else 'below'})"
    return f"{name} {low:g}-{high:g}%", verdict


def markdown(header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    rows += ["| " + " | ".join(str(cell) for cell in line) + " |" for line in lines]
    return "\n".join(rows) + "\n"


def methods_table(rows: list[dict[str, Any]]) -> str:
    """The comparison table plus the claimed trainable share and whether the measurement agrees."""
    keys, cells = compare_table(rows)
    header = [HEADERS[k] if k in COLUMNS else f"accuracy on {dataset_label(k[9:])}" for k in keys]
    header += ["claimed share", "in claimed range"]
    return markdown(
        header,
        [
            c + list(claim(r["method"], r["trainable_share"]))
            for r, c in zip(rows, cells, strict=True)
        ],
    )


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def precision_table(pairs: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Per method: dev accuracy and training speed in fp32 and bf16, and the speed-up."""
    lines = []
    for method, by_precision in pairs.items():
        fp32, bf16 = by_precision.get("fp32") or {}, by_precision.get("bf16") or {}
        speeds = [p.get("train_samples_per_second") for p in (fp32, bf16)]
        accuracies = [p.get("dev_accuracy") for p in (fp32, bf16)]
        gain = f"{speeds[1] / speeds[0]:.2f}x" if all(speeds) else ""
        delta = f"{100 * (accuracies[1] - accuracies[0]):+.1f}" if None not in accuracies else ""
        ids = " / ".join(f"#{p['run_id']}" for p in (fp32, bf16) if p.get("run_id"))
        lines.append(
            [
                method,
                _percent(accuracies[0]),
                _percent(accuracies[1]),
                delta,
                f"{speeds[0]:.0f}" if speeds[0] else "",
                f"{speeds[1]:.0f}" if speeds[1] else "",
                gain,
                ids,
            ]
        )
    header = [
        "method",
        "fp32 dev accuracy",
        "bf16 dev accuracy",
        "bf16 - fp32 (points)",
        "fp32 samples/s",
        "bf16 samples/s",
        "bf16 speed-up",
        "runs (fp32 / bf16)",
    ]
    return markdown(header, lines)


# ----------------------------------------------------------------------------- report
def machine() -> str:
    """CPU model, cores, training threads, bf16 support and torch version."""
    import torch

    from core.hardware import cpu_has_bf16, physical_cores

    model = cpu_model()
    bf16 = "native bf16 (AVX512-BF16/AMX)" if cpu_has_bf16() else "no native bf16"
    return (
        f"{model}, {os.cpu_count()} logical cores, training on {physical_cores()} threads, "
        f"{bf16}, torch {torch.__version__}"
    )


def settings_text(args: argparse.Namespace) -> str:
    parts = [
        f"base model {args.model or 'all-MiniLM-L6-v2'}",
        "each method's default settings",
        f"{args.budget_minutes:g} minute{'' if args.budget_minutes == 1 else 's'} of training "
        "per run",
    ]
    if args.max_steps:
        parts.append(f"at most {args.max_steps} steps")
    if args.max_train_rows:
        parts.append(f"{args.max_train_rows:,} training rows")
    return ", ".join(parts)


def methods_section(
    args: argparse.Namespace, rows: list[dict], notes: list[str], command: str
) -> str:
    name = "SST-2" if args.data.name == "sst2" else args.data.name
    used = sorted({PRECISION_NAMES.get(r["precision"], "") for r in rows} - {""})
    failed = [
        f"{r['method']} (run #{r['run_id']}) {r['status']}: {r.get('error') or ''}"
        for r in rows
        if r["status"] not in ("succeeded", "stopped")
    ]
    return (
        f"## Methods compared on {name}: size, speed, accuracy, generalisation\n\n"
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on {machine()}; {settings_text(args)}; "
        f"precision auto ({', '.join(used) or 'none finished'}). Dev accuracy is on the dev "
        "split with the kept (best) weights. Generalisation: the same adapters, trained on "
        f"{name} only, judge datasets they never saw ({'; '.join(notes) or 'not measured'}). "
        "Time to best accuracy: seconds from the start of training to the evaluation that "
        "scored best, evaluations included. Claimed share: the ranges the project's brief "
        "quotes (P-Tuning 0.01-0.1%, LoRA 0.1-1%, Adapter 1-3%). A prompt or a LoRA rank of a "
        "given size is a smaller share of a wider model, so the same settings give higher "
        "shares on a small model such as all-MiniLM-L6-v2 (hidden size 384) than on BERT-base "
        "or larger.\n\n"
        f"Command: `{command}`\n\n"
        + methods_table(rows)
        + "".join(f"\nFailed: {line}\n" for line in failed)
    )


def precision_section(args: argparse.Namespace, pairs: dict, command: str) -> str:
    return (
        "## fp32 against bf16 on this CPU\n\n"
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on {machine()}; {settings_text(args)}; "
        "the two runs of a method differ only in precision. bf16 is autocast: the weights, the "
        "loss and the optimizer state stay in fp32. Speed-up: bf16 training samples per second "
        "divided by fp32's, with the same time budget.\n\n"
        f"Command: `{command}`\n\n" + precision_table(pairs)
    )


# ----------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compare", description=__doc__.split("\n")[0]
    )
    add = parser.add_argument
    add("--methods", default=",".join(ALL_METHODS), help="comma-separated methods to compare")
    add("--budget-minutes", type=float, default=3.0, help="training time of every run")
    add("--data", type=Path, default=SST2, help="training dataset (default SST-2)")
    add("--transfer", default=DEFAULT_TRANSFER, help="comma-separated second datasets")
    add("--transfer-rows", type=int, default=1000, help="rows of each second dataset to judge")
    add(
        "--precision-methods",
        default="ptuning_v2,lora",
        help="methods trained in fp32 and bf16 (empty: skip that comparison)",
    )
    add("--model", help="base model (default the built-in all-MiniLM-L6-v2)")
    add("--max-steps", type=int, help="stop every run after this many steps (quick checks)")
    add("--max-train-rows", type=int, help="train on a stratified sample of this many rows")
    add("--db", type=Path, help="record the runs here (default: RUNS/bench.db)")
    add("--runs", type=Path, help="folder for adapters and checkpoints (default: a temp folder)")
    add("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md", help="page to write")
    add("--in-process", action="store_true", help="train in this process, not one per run")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    methods = [m for m in args.methods.split(",") if m]
    unknown = sorted(set(methods + args.precision_methods.split(",")) - set(ALL_METHODS) - {""})
    if unknown or not methods:
        print(
            f"error: unknown methods {unknown}; use some of {','.join(ALL_METHODS)}",
            file=sys.stderr,
        )
        return 2
    if not args.data.exists():
        print(f"error: {args.data} not found (SST-2 is in ../shared/data/sst2)", file=sys.stderr)
        return 2
    args.runs = args.runs or Path(tempfile.mkdtemp(prefix="ptune-compare-"))
    store = Store(args.db or args.runs / "bench.db")
    command = "python -m bench.compare " + " ".join(argv if argv is not None else sys.argv[1:])
    summaries = train_all(args, store, methods, "auto")
    ids = [s["run_id"] for s in summaries.values() if s.get("run_id") is not None]
    notes = evaluate_all(args, store, [i for i in ids if store.get_run(i)["status"] == "succeeded"])
    rows = compare_rows(store, ids)
    lost = [f"{m}: {s.get('error')}" for m, s in summaries.items() if s.get("run_id") is None]
    section = methods_section(args, rows, notes, command.strip())
    section += "".join(f"\nFailed before recording: {line}\n" for line in lost)
    write_section(args.output, "bench/compare.py methods", section)
    print(methods_table(rows))
    pairs = compare_precisions(args, store, summaries)
    if pairs:
        write_section(
            args.output,
            "bench/compare.py precision",
            precision_section(args, pairs, command.strip()),
        )
        print(precision_table(pairs))
    print(f"runs recorded in {store.path}", file=sys.stderr)
    return 0


def compare_precisions(
    args: argparse.Namespace, store: Store, summaries: dict[str, dict]
) -> dict[str, dict[str, dict[str, Any]]]:
    """fp32 and bf16 runs of each ``--precision-methods`` method; a main run that already used
    the requested precision (auto is bf16 on CPUs with native bf16) is not trained again."""
    pairs: dict[str, dict[str, dict[str, Any]]] = {}
    for method in [m for m in args.precision_methods.split(",") if m]:
        pairs[method] = {}
        for precision in ("fp32", "bf16"):
            earlier = summaries.get(method) or {}
            if PRECISION_NAMES.get(earlier.get("precision")) != precision or not earlier.get(
                "run_id"
            ):
                earlier = train_run(args, store, method, precision)
            if earlier.get("run_id") is not None:
                pairs[method][precision] = compare_rows(store, [earlier["run_id"]])[0]
    return pairs


if __name__ == "__main__":
    sys.exit(main())
