"""One short GPU check: the CUDA tests, every method for one SST-2 epoch, and Try it's latency.

On a machine with the embedded model and ../shared/data, first prepare what the GPU machine
needs (MiniLM as fp16 safetensors, about 45 MB, and the SST-2 train and dev files) in a folder
that git ignores::

    python bench/gpu.py --prepare .gpu

then, on the GPU machine (it needs only torch, transformers, peft, accelerate and pandas)::

    python bench/gpu.py --model .gpu/minilm --data .gpu/sst2 --out gpu.json

It runs ``pytest -m cuda`` when pytest is installed, trains each method for one epoch of SST-2
in bf16 (P-Tuning v2 and LoRA also in fp16 with loss scaling and in fp32), each capped by
``--minutes-per-run``, and measures for each run the training samples per second, the peak GPU
memory, the dev accuracy and the wall time. It then measures the latency of Try it, one sentence
judged by five adapters. It prints a Markdown table for docs/BENCHMARKS.md and writes every
figure as JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: python bench/gpu.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
SST2 = ROOT.parent / "shared" / "data" / "sst2"
EXTRA_PRECISIONS = ("fp16", "fp32")
"""What ``--precision-methods`` also train in, beside bf16."""
TRY_IT_ADAPTERS = 5
TRY_IT_CALLS = 30
SENTENCE = "a gripping, beautifully acted film that never lets go"


# ----------------------------------------------------------------------------- preparing
def prepare(folder: Path, data: Path = SST2) -> Path:
    """Write MiniLM as fp16 safetensors (with its tokenizer and pooling files) and SST-2's
    train and dev files into ``folder``; what the GPU machine needs and nothing else."""
    from safetensors.torch import load_file, save_file

    from core.modeling import embedded_model_path

    source = embedded_model_path()
    model = folder / "minilm"
    shutil.rmtree(model, ignore_errors=True)
    shutil.copytree(source, model, ignore=shutil.ignore_patterns("model.safetensors", ".*"))
    weights = load_file(str(source / "model.safetensors"))
    half = {name: tensor.half().contiguous() for name, tensor in weights.items()}
    save_file(half, str(model / "model.safetensors"), metadata={"format": "pt"})
    (folder / "sst2").mkdir(parents=True, exist_ok=True)
    for name in ("train.tsv", "dev.tsv"):
        shutil.copyfile(data / name, folder / "sst2" / name)
    return folder


# ----------------------------------------------------------------------------- measuring
def environment() -> dict[str, Any]:
    import torch
    import transformers

    cuda = torch.cuda.is_available()
    return {
        "device": torch.cuda.get_device_name(0) if cuda else platform.processor() or "cpu",
        "cuda": cuda,
        "bf16": bool(cuda and torch.cuda.is_bf16_supported()),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }


def cuda_tests() -> dict[str, Any]:
    """``pytest -m cuda`` on the CUDA tests, when pytest is installed here."""
    if importlib.util.find_spec("pytest") is None:
        return {"status": "not run", "reason": "pytest is not installed on this machine"}
    command = [sys.executable, "-m", "pytest", "-m", "cuda", "-q", "-p", "no:cacheprovider",
               "tests/test_cuda.py"]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    lines = (result.stdout.strip() or result.stderr.strip()).splitlines()
    return {"status": "passed" if result.returncode == 0 else "failed",
            "summary": lines[-1] if lines else ""}  # fmt: skip


def train_one(args: argparse.Namespace, method: str, precision: str, out: Path) -> dict[str, Any]:
    """One run of ``method`` in ``precision``: its figures, or why it failed."""
    import torch

    from core.config import TrainConfig
    from core.runs import train_unrecorded

    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    config = TrainConfig(
        data=str(args.data), method=method, model=str(args.model), precision=precision,
        epochs=None if args.max_steps else 1.0, max_steps=args.max_steps,
        time_budget_minutes=args.minutes_per_run, batch_size=args.batch_size,
        out=str(out / f"{method}-{precision}"), seed=0,
    )  # fmt: skip
    started = time.perf_counter()
    summary = train_unrecorded(config)
    row = {
        "method": method,
        "precision": precision,
        "status": summary.get("status"),
        "error": summary.get("error"),
        "samples_per_second": summary.get("train_samples_per_second"),
        "steps": summary.get("steps"),
        "epochs": summary.get("epochs"),
        "eval_accuracy": summary.get("eval_accuracy"),
        "train_seconds": summary.get("train_seconds"),
        "wall_seconds": time.perf_counter() - started,
        "peak_memory_bytes": torch.cuda.max_memory_allocated() if cuda else None,
        "adapter_path": summary.get("adapter_path"),
    }
    return row


def try_it_latency(adapters: list[str]) -> dict[str, Any]:
    """Milliseconds to judge one sentence with every adapter (warm, after a first call)."""
    from core.analysis.predict import Predictor

    predictor = Predictor()
    predictor.predict([SENTENCE], adapters)  # loads them; not timed
    times = []
    for _ in range(TRY_IT_CALLS):
        started = time.perf_counter()
        predictor.predict([SENTENCE], adapters)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"adapters": len(adapters), "calls": len(times), "p50_ms": statistics.median(times),
            "p95_ms": times[int(0.95 * (len(times) - 1))]}  # fmt: skip


def plan(methods: list[str], also: list[str], cuda: bool) -> list[tuple[str, str]]:
    """(method, precision) of every run: each method in bf16, those in ``also`` in fp16 and
    fp32 too (fp16 on a GPU only: CPUs have no fp16 training)."""
    runs = [(method, "bf16") for method in methods]
    extra = [(m, p) for m in methods if m in also for p in EXTRA_PRECISIONS]
    return runs + [(m, p) for m, p in extra if cuda or p != "fp16"]


def table(environment: dict[str, Any], rows: list[dict[str, Any]], latency: dict | None) -> str:
    lines = [
        f"GPU: {environment['device']} (torch {environment['torch']}, transformers "
        f"{environment['transformers']})\n",
        "| method | precision | train samples/s | peak GPU memory | dev accuracy | epoch time |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["status"] != "succeeded":
            lines.append(f"| {r['method']} | {r['precision']} | {r['status']}: "
                         f"{(r['error'] or '')[:80]} | | | |")  # fmt: skip
            continue
        memory = (
            "" if r["peak_memory_bytes"] is None else f"{r['peak_memory_bytes'] / 2**20:.0f} MiB"
        )
        lines.append(
            f"| {r['method']} | {r['precision']} | {r['samples_per_second']:,.0f} | {memory} | "
            f"{r['eval_accuracy']:.1%} | {r['train_seconds']:.1f} s ({r['epochs']:g} epochs) |"
        )
    if latency:
        lines.append(
            f"\nTry it, one sentence judged by {latency['adapters']} adapters: "
            f"p50 {latency['p50_ms']:.1f} ms, p95 {latency['p95_ms']:.1f} ms "
            f"({latency['calls']} calls)."
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from core.methods import METHODS

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prepare", type=Path, help="write the model and data to carry here")
    parser.add_argument("--model", type=Path, help="model folder (from --prepare)")
    parser.add_argument("--data", type=Path, default=SST2, help="SST-2 folder (train, dev)")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument(
        "--precision-methods",
        default="ptuning_v2,lora",
        help="methods also trained in fp16 (with loss scaling) and fp32 (default: %(default)s)",
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--minutes-per-run", type=float, default=0.4)
    parser.add_argument("--max-steps", type=int, help="cap each run (for a quick trial)")
    parser.add_argument("--allow-cpu", action="store_true", help="run without a GPU (a trial)")
    parser.add_argument("--no-tests", action="store_true", help="skip pytest -m cuda")
    parser.add_argument("--out", type=Path, help="write every figure here as JSON")
    args = parser.parse_args(argv)
    if args.prepare:
        print(f"prepared {prepare(args.prepare)}")
        return 0
    found = environment()
    if not found["cuda"] and not args.allow_cpu:
        print("error: no CUDA device here; pass --allow-cpu for a trial run", file=sys.stderr)
        return 2
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown or args.model is None:
        print(f"error: give --model, and methods from {', '.join(METHODS)}", file=sys.stderr)
        return 2
    report: dict[str, Any] = {"environment": found}
    report["cuda_tests"] = {"status": "skipped"} if args.no_tests else cuda_tests()
    print(f"CUDA tests: {report['cuda_tests']}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="ptune-gpu-") as tmp:
        also = [m.strip() for m in args.precision_methods.split(",") if m.strip()]
        for method, precision in plan(methods, also, found["cuda"]):
            if precision == "bf16" and not found["bf16"] and found["cuda"]:
                precision = "fp16"  # a GPU without bf16 trains in fp16 instead
            rows.append(train_one(args, method, precision, Path(tmp)))
            print(json.dumps({k: v for k, v in rows[-1].items() if k != "adapter_path"}),
                  flush=True)  # fmt: skip
        adapters = [r["adapter_path"] for r in rows if r["status"] == "succeeded"]
        latency = try_it_latency(adapters[:TRY_IT_ADAPTERS]) if adapters else None
    report.update(runs=rows, try_it=latency)
    print(table(found, rows, latency))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0 if rows and all(r["status"] == "succeeded" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
