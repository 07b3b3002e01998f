"""The parts of the GPU check, in the order they run (the report lists them by number).

The encoder families come first, before any run could change torch's global settings; the
throughput runs next, as they save the adapters the predictor's part loads; the summaries of
every run (placement, memory) last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench.gpu.context import Bench, Outcome
from bench.gpu.parts import (
    families,
    memory,
    overflow,
    placement,
    predictor,
    resume,
    speed,
    syncs,
    together,
)


@dataclass(frozen=True)
class Part:
    number: int
    key: str
    title: str
    run: Callable[[Bench], Outcome]


PARTS = (
    Part(3, "families", "P-Tuning v2 on every encoder family against CPU fp32", families.run),
    Part(7, "throughput", "Training throughput per method after the warm-up", speed.run),
    Part(1, "resume", "Resume and best-weight restore on the device", resume.run),
    Part(
        2, "growth_and_tasks", "Prompt growth and multi-task, one and two processes", together.run
    ),  # fmt: skip
    Part(5, "fp16_overflow", "fp16 with a forced overflow", overflow.run),
    Part(6, "host_syncs", "Host synchronisations per training step", syncs.run),
    Part(9, "predictor", "Predictor memory and Try it latency beside training", predictor.run),
    Part(4, "placement", "Every parameter on the device after each run", placement.run),
    Part(8, "memory", "Peak memory per run and memory back to baseline", memory.run),
)
