"""Few-shot learning curves of every method, written to docs/BENCHMARKS.md.

``python bench/fewshot.py --data ../shared/data/sst2`` runs ``core.fewshot`` (every method by
default, k = 8, 16, 32, 64, 128 examples per class and all data, 3 seeds, 100 steps per run) in
a scratch database and writes one section per dataset: mean dev accuracy and its spread over
the seeds per method and k, the time the whole experiment took, and the command.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python bench/fewshot.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.compare import machine  # noqa: E402
from bench.methods import write_section  # noqa: E402
from core.fewshot import DEFAULT_SEEDS, DEFAULT_SHOTS, DEFAULT_STEPS  # noqa: E402
from core.methods import METHODS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SST2 = ROOT.parent / "shared" / "data" / "sst2"


def run_experiment(arguments: list[str], db: Path) -> dict:
    """``python -m core.fewshot`` in a child process; its JSON line."""
    command = [sys.executable, "-m", "core.fewshot", "--quiet", "--db", str(db), *arguments]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"core.fewshot gave no result (exit {done.returncode})")
    return json.loads(lines[-1])


def cell(entry: dict) -> str:
    if not entry["runs"]:
        return "-"
    mean, spread = 100 * entry["score_mean"], 100 * (entry["score_std"] or 0.0)
    partial = "" if entry["runs"] == entry["planned"] else f" ({entry['runs']}/{entry['planned']})"
    if entry["runs"] == 1:  # one seed: no spread to show
        return f"{mean:.1f}{partial}"
    return f"{mean:.1f} ± {spread:.1f}{partial}"


def table(curve: list[dict]) -> str:
    shots = list(dict.fromkeys(entry["shots"] for entry in curve))
    methods = list(dict.fromkeys(entry["method"] for entry in curve))
    by = {(e["method"], e["shots"]): e for e in curve}
    head = "| method | " + " | ".join(f"k={k}" for k in shots) + " | seconds per run |"
    rows = [head, "|---" * (len(shots) + 2) + "|"]
    for method in methods:
        cells = [cell(by[(method, k)]) for k in shots]
        seconds = [by[(method, k)]["train_seconds_mean"] for k in shots]
        known = [s for s in seconds if s is not None]
        mean = f"{sum(known) / len(known):.1f}" if known else "-"
        rows.append(f"| {method} | " + " | ".join(cells) + f" | {mean} |")
    return "\n".join(rows) + "\n"


def section(data: Path, outcome: dict, command: str, wall: float, runs: int) -> str:
    day = datetime.now(timezone.utc).date().isoformat()
    name = data.name if data.name not in ("books", "electronics") else f"Amazon {data.name}"
    return (
        f"## Few-shot learning curves on {name}\n\n"
        f"Measured {day} on {machine()}; base model all-MiniLM-L6-v2. Each cell is the mean dev "
        "accuracy (%) over the seeds, ± their standard deviation (with one seed, its accuracy); "
        "every run trains the same "
        "number of steps with its method's default settings and is evaluated once, at its end "
        "(no weights chosen on dev). k is the number of training examples per class; 'all' "
        "trains on every training row for the same steps. Seconds per run: training only, mean "
        f"over the row. The whole experiment ({runs} runs) took {wall / 60:.1f} minutes.\n\n"
        f"Command: `{command}`\n\n" + table(outcome.get("curve") or [])
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SST2)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--shots", default=",".join(map(str, DEFAULT_SHOTS)))
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument(
        "--section", default="", help="name of the page section to write (default: the data's)"
    )
    args = parser.parse_args(argv)
    arguments = ["--data", str(args.data), "--methods", args.methods, "--shots", args.shots,
                 "--seeds", str(args.seeds), "--steps", str(args.steps)]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ptune-fewshot-") as scratch:
        began = time.monotonic()
        outcome = run_experiment(arguments, Path(scratch) / "fewshot.db")
        wall = time.monotonic() - began
    runs = len(outcome.get("runs") or [])
    given = [*arguments, *(["--section", args.section] if args.section else [])]
    shown = " ".join(["python bench/fewshot.py", *given]).replace(str(ROOT.parent), "..")
    tag = f"bench/fewshot.py {args.section or args.data.name}"
    write_section(args.out, tag, section(args.data, outcome, shown, wall, runs))
    print(table(outcome.get("curve") or []))
    return 0 if outcome.get("status") == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
