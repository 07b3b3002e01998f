"""The GPU check: one prepared run that proves the CUDA path of the engine, part by part.

On a machine with the embedded model and ../shared/data, first prepare what the GPU machine
needs in a folder that git ignores (MiniLM as fp16 safetensors, SST-2's train and dev files, and
the few pure-Python packages the engine imports that the GPU machine lacks, about 50 MB)::

    python -m bench.gpu --prepare .gpu

then, on the GPU machine (torch, transformers, peft, accelerate, pandas and scikit-learn)::

    python -m bench.gpu --prepared .gpu --out gpu.json

It prints a Markdown report on standard output (and writes it beside ``--out`` as ``.md``) and
every figure as JSON to ``--out``, both rewritten after each part, so that a run cut short still
leaves what it measured. Each part runs on its own: one that fails reports its error and the
next one runs. The parts, numbered as the report numbers them:

1. resume and best-weight restore: every parameter on the device and in its dtype;
2. prompt growth and multi-task training, in one process and (with two GPUs) in two;
3. P-Tuning v2 on every encoder family against CPU fp32 logits, also with SDPA's math kernel
   disabled, so that a silent fallback to it shows;
4. every parameter still on the device after each run;
5. fp16 with a forced overflow: the step is skipped, the schedule holds, the scale drops;
6. host synchronisations per training step;
7. training throughput per method after the warm-up steps (bf16, SST-2);
8. peak memory per run, and memory back to its baseline after several runs;
9. the predictor's memory with 1, 3 and 5 adapters, and Try it's latency beside a training run;
10. the GPU, torch, TF32 and the precision of each run (the report's header and run table).

``--allow-cpu --trial`` runs the same logic on the CPU with tiny sizes (tests/test_cuda.py does,
on a tiny random model): the parts that need CUDA report "skipped: no CUDA".
"""

from __future__ import annotations

from bench.gpu.cli import main

__all__ = ["main"]
