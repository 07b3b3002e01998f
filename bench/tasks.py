"""Train every method on the four task types' real data within one time budget and report the
figures each task is judged by:

- RTE (text pairs): dev accuracy;
- GoEmotions (several labels per text, 28 labels): test macro-F1 (and micro-F1);
- STS-B (a score of a pair of texts): dev Pearson and Spearman;
- CoNLL-2003 (tagged words): test entity F1 (and dev), the P-Tuning v2 paper's comparison of
  deep prompts, a shallow prompt and fine-tuning.

    python -m bench.tasks --budget-minutes 3 --jobs 2           # everything, two runs at a time
    python -m bench.tasks --tasks conll2003 --methods ptuning_v2,prompt_tuning,full --epochs 2

Each run is its own ``python -m core.train`` process with the method's default settings. The
reported split is one no run chose anything on: RTE and STS-B publish no test labels, so their
dev file is the reported split and each run keeps its best weights (and a multi-label run its
thresholds) on a validation share held out of the training file; GoEmotions and CoNLL-2003 keep
their best on dev and are scored on test. With ``--jobs 2`` two runs train at a time, each
pinned to one core with one thread, so the budget is stated per core. The tables go to
``docs/BENCHMARKS.md`` (``--out``) between markers, and every run's summary to ``--results``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python bench/tasks.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.methods import ALL_METHODS, cpu_model, train_process, write_section  # noqa: E402
from core.methods import METHODS, get_method  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
KINDS = {"keys": "deep prompts", "input": "shallow prompt"}


@dataclass(frozen=True)
class Bench:
    """One dataset: its folder, the files a run reads (``train``/``dev``/``test`` to a file of
    the folder), the task, and the columns of the report (title, summary key)."""

    title: str
    folder: str
    files: dict[str, str]
    columns: tuple[tuple[str, str], ...]
    arguments: tuple[str, ...] = ()
    note: str = ""
    keep: tuple[str, ...] = field(default=())
    """Other files of the folder a run needs (a label names file)."""


BENCHES: dict[str, Bench] = {
    "rte": Bench(
        "RTE (text pairs, entailment)",
        "rte",
        {"train": "train.tsv", "test": "dev.tsv"},
        (("dev accuracy", "test_accuracy"), ("dev macro-F1", "test_f1")),
        note="Best weights kept on 10% of train; dev (277 pairs) seen by no run",
    ),
    "goemotions": Bench(
        "GoEmotions (several labels per text, 28 labels)",
        "goemotions",
        {"train": "train.tsv", "dev": "dev.tsv", "test": "test.tsv"},
        (
            ("test macro-F1", "test_f1"),
            ("test micro-F1", "test_micro_f1"),
            ("test exact match", "test_accuracy"),
        ),  # fmt: skip
        keep=("labels.txt",),
        note="Best weights and per-label thresholds chosen on dev; test (5,427) scored once; "
        "the paper's BERT-base (110M parameters, full fine-tuning) reaches macro-F1 0.46",
    ),
    "stsb": Bench(
        "STS-B (a score of a pair of texts, 0 to 5)",
        "stsb",
        {"train": "train.tsv", "test": "dev.tsv"},
        (
            ("dev Pearson", "test_pearson"),
            ("dev Spearman", "test_spearman"),
            ("dev MAE", "test_mae"),
        ),  # fmt: skip
        arguments=("--task", "regression"),
        note="Best weights kept on 10% of train; dev (1,500 pairs) seen by no run",
    ),
    "conll2003": Bench(
        "CoNLL-2003 (tagged words, named entities)",
        "conll2003",
        {"train": "train.txt", "dev": "dev.txt", "test": "test.txt"},
        (("dev entity F1", "eval_f1"), ("test entity F1", "test_f1")),
        arguments=("--task", "tagging"),
        note="Entity-level F1 (seqeval, CoNLL scoring); best weights kept on dev; test "
        "(3,453 sentences) scored once",
    ),
}


def kind(method: str) -> str:
    """What the method trains, in the P-Tuning v2 paper's words."""
    facts = get_method(method)
    if facts.prompt_space in KINDS:
        return KINDS[str(facts.prompt_space)]
    return "whole model" if facts.whole_model else "part of the model"


def prepare(bench: Bench, shared: Path, into: Path) -> Path:
    """A folder of links to the dataset's files under the names a run reads (``dev.tsv`` as
    ``test.tsv`` where the dev file is the reported split); the data is never copied."""
    source = shared / bench.folder
    names = (*bench.files.values(), *bench.keep)
    missing = [name for name in names if not (source / name).exists()]
    if missing:
        raise FileNotFoundError(f"{source} lacks {', '.join(missing)} (see its SOURCE.md)")
    folder = into / bench.folder
    folder.mkdir(parents=True, exist_ok=True)
    for split, name in bench.files.items():
        link = folder / f"{split}{Path(name).suffix}"
        if not link.exists():
            link.symlink_to(source / name)
    for name in bench.keep:
        if not (folder / name).exists():
            (folder / name).symlink_to(source / name)
    return folder


def _score(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "-"


def table(bench: Bench, rows: list[dict]) -> str:
    """The Markdown table of one dataset: method, kind, its figures, trainable share, steps
    (epochs), wall time."""
    names = " | ".join(title for title, _ in bench.columns)
    lines = [
        f"| method | kind | {names} | trainable | steps (epochs) | wall |",
        "|---|---|" + "---|" * len(bench.columns) + "---|---|---|",
    ]
    for r in rows:
        wall = f"{r.get('bench_wall_seconds', 0) / 60:.1f} min"
        if r.get("status") != "succeeded":
            error = str(r.get("error", "")).replace("|", "/").replace("\n", " ")[-100:]
            blanks = " |" * (len(bench.columns) + 1)
            failed = f"| {r['method']} | {kind(r['method'])} | failed: {error}"
            lines.append(f"{failed}{blanks} {wall} |")
            continue
        share = 100 * r["trainable_params"] / r["total_params"]
        figures = " | ".join(_score(r.get(key)) for _, key in bench.columns)
        lines.append(
            f"| {r['method']} | {kind(r['method'])} | {figures} | {share:.3g}% "
            f"| {r.get('steps', '-')} ({r.get('epochs', 0):.2f}) | {wall} |"
        )
    return "\n".join(lines) + "\n"


def run_all(
    jobs: list[tuple[str, str]],
    folders: dict[str, Path],
    arguments: list[str],
    runs: Path,
    parallel: int,
    report: Callable[[dict], None],
) -> list[dict]:
    """Every (dataset, method) run, ``parallel`` at a time; with more than one, each run is
    pinned to a core of its own and trains on one thread."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    free = list(cores[:parallel]) if parallel > 1 else []
    lock = threading.Lock()

    def one(job: tuple[str, str]) -> dict:
        name, method = job
        bench = BENCHES[name]
        with lock:
            core = free.pop(0) if free else None
        extra = ["--num-threads", "1"] if core is not None else []
        command = ["--method", method, "--data", str(folders[name]), *bench.arguments,
                   *arguments, *extra]  # fmt: skip
        try:
            summary = train_process(command, runs / name / method, core)
        finally:
            if core is not None:
                with lock:
                    free.append(core)
        row = {**summary, "bench": name, "method": method}
        report(row)
        return row

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(one, jobs))


def write_report(path: Path, results: list[dict], args: argparse.Namespace, command: str) -> str:
    """The page's section for these results (one table per dataset), written between the
    markers of ``path`` named by the run's length; returns it."""
    per_core = f"{os.cpu_count()} logical cores per run, one run at a time"
    if args.jobs > 1:
        per_core = f"one core and one thread per run, {args.jobs} runs at a time"
    if args.epochs:
        length = f"{args.epochs:g} epochs per run"
        cut = f"training for {args.epochs:g} epochs with no time limit"
    else:
        length = f"{args.budget_minutes:g} minutes per run"
        cut = f"training cut at {args.budget_minutes:g} minutes by the run's own time budget"
    parts = [
        f"## Task types on real data, {length}\n\n"
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on {cpu_model()} ({per_core}), base "
        f"model all-MiniLM-L6-v2 (22.7M parameters), each method's default settings, {cut} "
        "(loading and the final evaluations come on top: the wall column). No run chose "
        f"anything on the split it is reported on.\n\nCommand: `{command}`\n"
    ]
    for name, bench in BENCHES.items():
        rows = sorted((r for r in results if r["bench"] == name),
                      key=lambda r: ALL_METHODS.index(r["method"]))  # fmt: skip
        if rows:
            parts.append(f"\n### {bench.title}\n\n{bench.note}.\n\n{table(bench, rows)}")
    section = "".join(parts)
    write_section(path, f"bench/tasks.py {length}", section)
    return section


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.tasks", description=__doc__)
    parser.add_argument("--tasks", default=",".join(BENCHES),
                        help="datasets, comma separated (default: all four)")  # fmt: skip
    parser.add_argument("--methods", default=",".join(ALL_METHODS),
                        help="methods, comma separated (default: every one)")  # fmt: skip
    parser.add_argument("--budget-minutes", type=float, default=3.0,
                        help="training time of each run, minutes (default 3)")  # fmt: skip
    parser.add_argument("--epochs", type=float, default=None,
                        help="train this many epochs instead, with no time limit")  # fmt: skip
    parser.add_argument("--jobs", type=int, default=1,
                        help="runs at a time, one core each (default 1: all cores)")  # fmt: skip
    parser.add_argument("--shared", type=Path, default=SHARED,
                        help="folder holding the datasets (default ../shared/data)")  # fmt: skip
    parser.add_argument("--model", default=None, help="base model (default: the built-in one)")
    parser.add_argument("--max-train-rows", type=int, default=None,
                        help="a slice of the training rows (default: all)")  # fmt: skip
    parser.add_argument("--max-eval-rows", type=int, default=1000,
                        help="validation rows of the evaluations during training (the final one "
                        "reads all; default 1000)")  # fmt: skip
    parser.add_argument("--max-steps", type=int, default=None,
                        help="cap on the steps of each run (default: the budget)")  # fmt: skip
    parser.add_argument("--runs", type=Path, default=None, help="folder for the adapters")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the tables into this page (docs/BENCHMARKS.md)")  # fmt: skip
    parser.add_argument("--results", type=Path, default=None,
                        help="write every run's summary here (JSON lines)")  # fmt: skip
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    names = [n.strip() for n in args.tasks.split(",") if n.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS] + [n for n in names if n not in BENCHES]
    if unknown:
        print(f"error: unknown {', '.join(unknown)}; methods: {', '.join(METHODS)}; "
              f"datasets: {', '.join(BENCHES)}", file=sys.stderr)  # fmt: skip
        return 2
    runs = args.runs or Path(tempfile.mkdtemp(prefix="ptune-bench-tasks-"))
    try:
        folders = {n: prepare(BENCHES[n], args.shared, runs / "data") for n in names}
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    arguments = ["--max-eval-rows", str(args.max_eval_rows)]
    if args.epochs:
        arguments += ["--epochs", str(args.epochs)]
    else:
        arguments += ["--time-budget", str(args.budget_minutes)]
    for flag, value in (("--model", args.model), ("--max-train-rows", args.max_train_rows),
                        ("--max-steps", args.max_steps)):  # fmt: skip
        if value:
            arguments += [flag, str(value)]
    lock = threading.Lock()

    def report(row: dict) -> None:
        with lock:
            line = json.dumps({k: v for k, v in row.items() if "per_label" not in k})
            print(line, flush=True)
            if args.results:
                with args.results.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(row) + "\n")

    jobs = [(n, m) for n in names for m in methods]
    results = run_all(jobs, folders, arguments, runs, args.jobs, report)
    command = "python -m bench.tasks " + " ".join(argv if argv is not None else sys.argv[1:])
    section = write_report(args.out or runs / "report.md", results, args, command.strip())
    print(section)
    return 0 if all(r.get("status") == "succeeded" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
