"""``python -m bench.gpu``: prepare what the GPU machine needs, or run every part of the check.

Nothing heavy is imported before the flags are read and the prepared packages are on the path
(:func:`bench.gpu.prepare.use_site`): the engine imports one of them (sqlite-utils) itself.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.gpu.context import ERROR, FAILED, GPU, SKIPPED, TRIAL, Bench, Outcome, Skip


def parser() -> argparse.ArgumentParser:
    described = argparse.ArgumentParser(
        prog="python -m bench.gpu", description="The GPU check of the engine (see bench/gpu)."
    )
    add = described.add_argument
    add("--prepare", type=Path, metavar="DIR", help="write the model, data and packages here")
    add("--prepared", type=Path, metavar="DIR",
        help="a folder --prepare wrote: its model, data and packages")  # fmt: skip
    add("--model", type=Path, help="model folder (default: DIR/minilm of --prepared)")
    add("--data", type=Path, help="data: a file or a folder (default: DIR/sst2 of --prepared)")
    add("--methods", help="methods whose throughput is measured (default: all)")
    add("--minutes", type=float, default=7.0, help="start no part after this (default: 7)")
    add("--trial", action="store_true", help="tiny sizes, for a trial of the logic")
    add("--allow-cpu", action="store_true", help="run without a GPU (a trial)")
    add("--out", type=Path, help="write every figure here as JSON, and the report beside it (.md)")
    return described


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.prepare:
        return _prepare(args.prepare)
    prepared = args.prepared
    model = args.model or (prepared / "minilm" if prepared else None)
    data = args.data or (prepared / "sst2" if prepared else None)
    site = (prepared / "site").resolve() if prepared and (prepared / "site").is_dir() else None
    from bench.gpu.prepare import use_site

    use_site(site)
    import torch

    if not torch.cuda.is_available() and not args.allow_cpu:
        print("error: no CUDA device here; pass --allow-cpu for a trial run", file=sys.stderr)
        return 2
    try:
        from core.methods import METHODS
        from core.training import launch  # noqa: F401 - what the runs import, sqlite-utils too
    except ImportError as exc:  # a package the engine imports is missing on this machine
        print(f"error: the engine cannot be imported here ({exc}); prepare with --prepare DIR "
              "on a machine that has it and run with --prepared DIR", file=sys.stderr)  # fmt: skip
        return 2

    methods = [m.strip() for m in (args.methods or ",".join(METHODS)).split(",") if m.strip()]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown or model is None or data is None:
        print(f"error: give --prepared (or --model and --data), and methods from "
              f"{', '.join(METHODS)}", file=sys.stderr)  # fmt: skip
        return 2
    with tempfile.TemporaryDirectory(prefix="ptune-gpu-") as work:
        bench = Bench(model=str(model.resolve()), data=str(data.resolve()), work=Path(work),
                      sizes=TRIAL if args.trial else GPU,
                      device="cuda" if torch.cuda.is_available() else "cpu", methods=methods,
                      site=site, deadline=time.monotonic() + args.minutes * 60)  # fmt: skip
        report = check(bench, args.out)
    from bench.gpu.report import render

    print(render(report), end="")
    bad = [p for p in report["parts"].values() if p["status"] in (FAILED, ERROR)]
    return 1 if bad else 0


def check(bench: Bench, out: Path | None) -> dict[str, Any]:
    """Every part in turn, the report rewritten after each; the report."""
    from bench.gpu.parts import PARTS
    from bench.gpu.report import environment, tf32

    report: dict[str, Any] = {"environment": environment(), "sizes": asdict(bench.sizes),
                              "parts": {}, "runs": bench.runs}  # fmt: skip
    for part in PARTS:
        started = time.perf_counter()
        outcome = _isolated(bench, part.run)
        report["parts"][part.key] = {
            "number": part.number, "title": part.title, "status": outcome.status,
            "reason": outcome.reason, "seconds": time.perf_counter() - started,
            "figures": outcome.figures, "lines": outcome.lines,
        }  # fmt: skip
        reason = f": {outcome.reason[:160]}" if outcome.reason else ""
        print(f"[gpu check] {part.number}. {part.title}: {outcome.status}{reason} "
              f"({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)  # fmt: skip
        report["environment"]["tf32_at_end"] = tf32()
        _write(report, out)
    return report


def _isolated(bench: Bench, run: Any) -> Outcome:
    """A part's outcome: what it found, or why it was skipped or ended in an error (the next
    part runs all the same)."""
    from bench.gpu.runs import settle

    try:
        bench.check_time()
        return run(bench)  # type: ignore[no-any-return]
    except Skip as why:
        return Outcome(SKIPPED, reason=str(why))
    except Exception as exc:  # noqa: BLE001 - a part's error is reported; the next part runs
        return Outcome(ERROR, {"traceback": traceback.format_exc()[-4000:]},
                       [f"```\n{traceback.format_exc()[-1500:]}```"],
                       f"{type(exc).__name__}: {exc}"[:300])  # fmt: skip
    finally:
        settle()


def _write(report: dict[str, Any], out: Path | None) -> None:
    if out is None:
        return
    from bench.gpu.report import render

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    out.with_suffix(".md").write_text(render(report), encoding="utf-8")


def _prepare(folder: Path) -> int:
    from bench.gpu.prepare import TRAVEL_LIMIT, prepare, tree_size

    sizes = prepare(folder)
    total = sum(sizes.values()) + tree_size()
    for name, size in sizes.items():
        print(f"{folder / name}: {size / 2**20:.1f} MiB")
    print(f"with the working tree: {total / 2**20:.1f} MiB of the {TRAVEL_LIMIT / 2**20:.0f} MiB "
          "that may travel")  # fmt: skip
    if total > TRAVEL_LIMIT:
        print("error: too large to travel to the GPU machine", file=sys.stderr)
        return 1
    return 0
