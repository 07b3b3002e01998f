"""Device, precision and thread choices."""

from __future__ import annotations

import os
from functools import lru_cache

import torch

from core.errors import ConfigError


@lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX512-BF16 or AMX), where autocast pays off."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            flags = info.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_precision(requested: str, device: str) -> str:
    """Map 'auto' | 'fp32' | 'bf16' | 'fp16' to what accelerate's ``mixed_precision`` takes."""
    if requested == "auto":
        if device == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "bf16" if cpu_has_bf16() else "no"
    if requested == "fp16" and device == "cpu":
        raise ConfigError("precision=fp16 needs a GPU; on a CPU use bf16 or fp32")
    return {"fp32": "no", "bf16": "bf16", "fp16": "fp16"}[requested]


def physical_cores() -> int:
    try:
        import psutil

        cores = psutil.cpu_count(logical=False)
    except ImportError:  # pragma: no cover - psutil comes with accelerate
        cores = None
    return max(1, cores or os.cpu_count() or 1)
