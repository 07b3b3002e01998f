"""Mixed precision of one run: autocast and, for fp16, loss scaling.

Accelerate keeps its mixed-precision setting in a process-wide state that cannot change once
set, but one process may train several runs in different precisions (the app, sweeps, the
benchmarks). So the accelerator is always created with ``mixed_precision="no"`` and each run
applies its own precision here, the way Accelerate does it: the forward pass under
``torch.autocast``, and for fp16 a gradient scaler whose overflowing steps are skipped.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def frozen_in_compute_precision(model: torch.nn.Module, dtype: torch.dtype | None) -> int:
    """Keep the model's frozen floating-point weights in ``dtype`` (the autocast dtype), the
    trainable ones (and so the optimizer's state) in fp32; the bytes saved.

    Autocast casts an fp32 weight to its dtype at every operation that uses it, in every
    forward pass: for a frozen backbone (every method but full fine-tuning) that is the whole
    model re-read and re-written each step, for nothing, since a frozen weight never changes.
    Cast once, they are read as they are. A layer that trains some of its own tensors (a bias,
    a LayerNorm) keeps all of them in fp32: one operation takes them together, and not every
    operation accepts two dtypes. ``dtype`` None (fp32) changes nothing.
    """
    if dtype is None:
        return 0
    saved = 0
    for module in model.modules():
        own = list(module.parameters(recurse=False))
        if any(p.requires_grad for p in own):
            continue
        for param in own:
            if param.is_floating_point() and param.dtype != dtype:
                saved += param.numel() * (param.element_size() - torch.finfo(dtype).bits // 8)
                param.data = param.data.to(dtype)
    return saved


def trainable_in_fp32(model: torch.nn.Module) -> int:
    """Bring every layer that trains any of its own tensors back to fp32, all its tensors
    (:func:`frozen_in_compute_precision` keeps such a layer whole too); the tensors cast.

    A base model loaded in the compute precision (so that its fp32 copy never exists) has its
    head, and a method's fresh weights made in its dtype, in that precision too: trained there,
    small updates would round away, and the optimizer's state would share their precision.
    """
    cast = 0
    for module in model.modules():
        own = list(module.parameters(recurse=False))
        if not any(p.requires_grad for p in own):
            continue
        for param in own:
            if param.is_floating_point() and param.dtype != torch.float32:
                param.data = param.data.float()
                cast += 1
    return cast


class MixedPrecision:
    """Autocast and loss scaling for ``precision`` ("no", "bf16" or "fp16") on ``device_type``."""

    def __init__(self, precision: str, device_type: str) -> None:
        self.precision = precision
        self.device_type = device_type
        self.dtype = DTYPES.get(precision)
        self.scaler = torch.amp.GradScaler(device_type, enabled=precision == "fp16")

    def autocast(self) -> AbstractContextManager:
        """A fresh context for one forward pass (contexts are single-use)."""
        if self.dtype is None:
            return nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def scale(self, loss: torch.Tensor) -> torch.Tensor:
        """The loss to back-propagate: scaled up in fp16 so small gradients do not vanish."""
        return self.scaler.scale(loss)

    def unscale(self, optimizer: torch.optim.Optimizer) -> None:
        """Bring the gradients back to their true size (before clipping them)."""
        self.scaler.unscale_(optimizer)

    def step(self, optimizer: torch.optim.Optimizer) -> bool:
        """Step the optimizer; False when fp16 gradients overflowed and the step was skipped."""
        if not self.scaler.is_enabled():
            optimizer.step()
            return True
        scale = self.scaler.get_scale()
        self.scaler.step(optimizer)
        self.scaler.update()
        return self.scaler.get_scale() >= scale  # the scale drops exactly when it skipped
