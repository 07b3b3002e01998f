"""Training speed of every method, for this checkout and others, measured the same way.

    python bench/step_speed.py
    python bench/step_speed.py --checkout /tmp/before --checkout . --methods lora,ptuning_v2

Each run is its own ``python -m core.train`` process in the checkout's folder (a fresh
interpreter: no run can slow the next through memory or threads), on the same SST-2 rows with
the same settings: ``--steps`` optimizer steps of ``--batch-size`` rows, evaluated only at the
end, in the precision ``auto`` picks on this machine. The checkouts take turns method by method,
so a machine that gets busier during the measurement slows each of them alike. The table
reports each run's training samples per second (the engine's own figure, evaluation excluded)
and, per checkout, the machine's load average when it ran.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python bench/step_speed.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.methods import METHODS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SST2 = ROOT.parent / "shared" / "data" / "sst2"


def run(checkout: Path, method: str, args: argparse.Namespace, out: Path) -> dict:
    """One training process in ``checkout``; its JSON summary (or its error) and the load."""
    command = [
        sys.executable, "-m", "core.train", "--method", method, "--data", str(args.data),
        "--max-train-rows", str(args.steps * args.batch_size), "--max-steps", str(args.steps),
        "--batch-size", str(args.batch_size), "--eval-every", str(args.steps),
        "--max-eval-rows", "64", "--log-every", "10", "--seed", "0", "--out", str(out),
        "--quiet",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    summary = json.loads(lines[-1]) if lines else {"status": "failed", "error": done.stderr[-500:]}
    return {**summary, "load": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", action="append", type=Path, help="a checkout to measure "
                        "(repeatable; default: this one)")  # fmt: skip
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--data", type=Path, default=SST2)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    checkouts = [c.resolve() for c in args.checkout or [ROOT]]
    methods = [m for m in args.methods.split(",") if m]
    results: dict[tuple[str, Path], dict] = {}
    with tempfile.TemporaryDirectory(prefix="ptune-speed-") as folder:
        for method in methods:
            for n, checkout in enumerate(checkouts):
                out = Path(folder) / f"{method}-{n}"
                results[(method, checkout)] = run(checkout, method, args, out)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"{args.steps} steps of {args.batch_size} SST-2 rows each, precision auto\n")  # fmt: skip
    print("| method | " + " | ".join(f"{c.name} samples/s (load)" for c in checkouts) + " |")
    print("|---|" + "---|" * len(checkouts))
    for method in methods:
        cells = []
        for checkout in checkouts:
            r = results[(method, checkout)]
            if r.get("status") != "succeeded":
                cells.append(f"failed: {str(r.get('error'))[:60]}")
            else:
                speed = r["train_samples_per_second"]
                cells.append(f"{speed:.0f} ({r['load']:.1f}, {r.get('precision')})")
        print(f"| {method} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
