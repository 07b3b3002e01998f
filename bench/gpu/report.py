"""The check's environment (part 10: the GPU, torch, TF32) and its Markdown report."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

from bench.gpu.runs import mib


def tf32() -> dict[str, Any]:
    """Whether fp32 matrix products run in TF32 now (the engine turns it on for fp32 runs
    only, :func:`core.hardware.fast_fp32_matmuls`)."""
    import torch

    return {
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "cuda_matmul_allow_tf32": bool(torch.backends.cuda.matmul.allow_tf32),
        "cudnn_allow_tf32": bool(torch.backends.cudnn.allow_tf32),
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    import torch

    cuda = torch.cuda.is_available()
    found: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if cuda else platform.processor() or "cpu",
        "cuda": cuda, "device_count": torch.cuda.device_count(), "torch": torch.__version__,
        "cuda_version": torch.version.cuda, "python": platform.python_version(),
        **{name: _version(name) for name in ("transformers", "peft", "accelerate", "pandas")},
    }  # fmt: skip
    if cuda:
        props = torch.cuda.get_device_properties(0)
        native = torch.cuda.is_bf16_supported(including_emulation=False)
        found.update(capability=f"{props.major}.{props.minor}", memory_bytes=props.total_memory,
                     bf16_native=native)  # fmt: skip
    found["tf32_at_start"] = tf32()
    return found


def _precision(value: str | None) -> str:
    return {"no": "fp32"}.get(value or "", value or "")


def _tf32_text(values: dict[str, Any]) -> str:
    return (f"float32 matmul precision \"{values['float32_matmul_precision']}\", cuBLAS TF32 "
            f"{'on' if values['cuda_matmul_allow_tf32'] else 'off'}, cuDNN TF32 "
            f"{'on' if values['cudnn_allow_tf32'] else 'off'}")  # fmt: skip


def header(env: dict[str, Any]) -> list[str]:
    where = env["device"]
    if env["cuda"]:
        where += (f" ({env['device_count']} device(s), compute capability {env['capability']}, "
                  f"{env['memory_bytes'] / 2**30:.0f} GiB, native bf16: "
                  f"{env['bf16_native']})")  # fmt: skip
    lines = [
        "# GPU check", "",
        f"- Device: {where}",
        f"- torch {env['torch']} (CUDA {env['cuda_version']}), transformers {env['transformers']}, "
        f"peft {env['peft']}, accelerate {env['accelerate']}, Python {env['python']}",
        f"- TF32 at the start: {_tf32_text(env['tf32_at_start'])}",
    ]  # fmt: skip
    if "tf32_at_end" in env:
        lines.append(f"- TF32 at the end: {_tf32_text(env['tf32_at_end'])} (the engine sets "
                     "\"high\" for fp32 runs only)")  # fmt: skip
    lines.append("- Precision of each run: the run table's precision column")
    return lines


def render(report: dict[str, Any]) -> str:
    """The whole report in Markdown: header, summary, runs, then each part by number."""
    parts = sorted(report["parts"].values(), key=lambda p: p["number"])
    lines = header(report["environment"]) + ["", "| part | | status | seconds |",
                                             "|---|---|---|---|"]  # fmt: skip
    for p in parts:
        status = p["status"] + (f": {p['reason']}" if p["reason"] else "")
        lines.append(f"| {p['number']} | {p['title']} | {status[:200]} | {p['seconds']:.0f} |")
    lines += ["", "## Runs", ""] + run_table(report["runs"])
    for p in parts:
        lines += ["", f"## {p['number']}. {p['title']}", "", f"Status: **{p['status']}**"
                  + (f": {p['reason']}" if p["reason"] else ""), ""] + p["lines"]  # fmt: skip
    return "\n".join(lines) + "\n"


def run_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = ["| part | run | method | precision | status | steps | best step | peak allocated | "
             "peak reserved | parameters after the end |", "|---" * 10 + "|"]  # fmt: skip
    for r in runs:
        peak = r["peak_memory"] or {}
        placed = r["placement"]
        where = ("not looked at" if placed is None else "all on the device, dtypes as expected"
                 if placed["ok"] else f"{placed['off_device']} off, {placed['wrong_dtype']} "
                 "wrong dtype")  # fmt: skip
        status = r["status"] + (f": {r['error'][:80]}" if r.get("error") else "")
        lines.append(f"| {r['part']} | {r['label']} | {r['method']} | {_precision(r['precision'])}"
                     f" | {status} | {r['steps']} | {r['best_step']} | {mib(peak.get('allocated'))}"
                     f" | {mib(peak.get('reserved'))} | {where} |")  # fmt: skip
    return lines
