"""Train every method on a CoNLL-2003 slice within one time budget and report dev and test
entity F1: the P-Tuning v2 paper's comparison on named entities (deep prompts against shallow
prompt tuning against fine-tuning).

    python -m bench.tagging                                  # every method, 5 min each
    python -m bench.tagging --methods ptuning_v2,lora --budget-minutes 2 --output /tmp/t.md

Each method trains in its own ``python -m core.train`` process (:func:`bench.methods.run_method`)
on ``../shared/data/conll2003`` (its train file, a slice of ``--max-train-rows`` sentences),
keeps the best dev entity F1, and is scored on the test file. The table names each method's
kind from its facts: deep prompts (keys and values at every layer), shallow prompts (virtual
tokens at the input), the whole model, or a part of it.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python bench/tagging.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.methods import ALL_METHODS, run_method  # noqa: E402
from core.methods import METHODS, get_method  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONLL = ROOT.parent / "shared" / "data" / "conll2003"
KINDS = {"keys": "deep prompts", "input": "shallow prompt"}


def kind(method: str) -> str:
    """What the method trains, in the paper's words."""
    facts = get_method(method)
    if facts.prompt_space in KINDS:
        return KINDS[str(facts.prompt_space)]
    return "whole model" if facts.whole_model else "part of the model"


def _score(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "-"


def table(rows: list[dict]) -> str:
    """The Markdown table: method, kind, dev and test entity F1, trainable share, steps, wall."""
    lines = [
        "| method | kind | dev entity F1 | test entity F1 | trainable | steps | wall |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        share = "-"
        if r.get("trainable_params") and r.get("total_params"):
            share = f"{100 * r['trainable_params'] / r['total_params']:.2f}%"
        wall = f"{r.get('bench_wall_seconds', 0):.0f} s"
        if r.get("status") != "succeeded":
            lines.append(f"| {r['method']} | {kind(r['method'])} | failed: "
                         f"{str(r.get('error', ''))[:80]} | | | | {wall} |")  # fmt: skip
            continue
        lines.append(
            f"| {r['method']} | {kind(r['method'])} | {_score(r.get('eval_f1'))} | "
            f"{_score(r.get('test_f1'))} | {share} | {r.get('steps', '-')} | {wall} |"
        )
    return "\n".join(lines) + "\n"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.tagging", description=__doc__)
    parser.add_argument("--methods", default=",".join(ALL_METHODS),
                        help="methods, comma separated (default: every one)")  # fmt: skip
    parser.add_argument("--budget-minutes", type=float, default=5.0,
                        help="training time of each method, minutes (default 5)")  # fmt: skip
    parser.add_argument("--data", type=Path, default=CONLL, help="a CoNLL folder")
    parser.add_argument("--model", default=None, help="base model (default: the built-in one)")
    parser.add_argument("--max-train-rows", type=int, default=2000,
                        help="training sentences, a random slice (default 2000)")  # fmt: skip
    parser.add_argument("--eval-rows", type=int, default=1000,
                        help="dev and test sentences scored (default 1000)")  # fmt: skip
    parser.add_argument("--max-steps", type=int, default=None,
                        help="cap on the steps of each method (default: the budget)")  # fmt: skip
    parser.add_argument("--runs", type=Path, default=None, help="folder for the adapters")
    parser.add_argument("--output", type=Path, default=None, help="write the report here too")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        print(f"error: unknown methods {', '.join(unknown)}; choose from "
              f"{', '.join(METHODS)}", file=sys.stderr)  # fmt: skip
        return 2
    extra = ["--max-train-rows", str(args.max_train_rows),
             "--eval-sample-rows", str(args.eval_rows), "--task", "tagging"]  # fmt: skip
    if args.model:
        extra += ["--model", str(args.model)]
    if args.max_steps:
        extra += ["--max-steps", str(args.max_steps)]
    out = args.runs or Path(tempfile.mkdtemp(prefix="ptune-bench-tagging-"))
    rows = []
    for method in methods:
        print(f"training {method} ({kind(method)}) for {args.budget_minutes} min ...",
              file=sys.stderr)  # fmt: skip
        rows.append({**run_method(method, args.data, args.budget_minutes, out, extra),
                     "method": method})  # fmt: skip
    report = (
        f"## Named entities: CoNLL-2003 ({args.max_train_rows} training sentences, "
        f"{args.budget_minutes} min per method, {platform.machine()})\n\n{table(rows)}"
    )
    print(report)
    if args.output:
        args.output.write_text(report, encoding="utf-8")
    return 0 if all(r.get("status") == "succeeded" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
