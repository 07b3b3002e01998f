"""Training speed and peak memory of decoder backbones at their real size, every method.

    python bench/decoders.py
    python bench/decoders.py --models smollm2-135m --methods lora,ptuning_v2 --steps 5

No decoder weights can be downloaded on the machines this is measured on, so each model is
built at its real size from its published configuration (written below) with random weights,
saved as safetensors in a temporary folder. Speed and memory do not depend on the values of the
weights; quality does, and is not measured here. The tokenizer is the embedded MiniLM's
(WordPiece): on English sentences it makes about as many tokens as the models' own byte-level
BPE, and the embedding table keeps each model's real vocabulary size, so the weights' memory is
the real one.

Each (model, method) pair is its own ``python -m core.train`` process on the same SST-2 rows,
``--steps`` optimizer steps of ``--batch-size`` rows in the precision ``auto`` picks on this
machine, evaluated once at the end on the first 64 rows of SST-2's dev set (the rows are
written to a temporary folder: the final evaluation reads the whole validation set). The table
reports the engine's training samples per second (evaluation excluded) and the process's peak
resident memory (``wait4``'s maxrss, loading included), beside MiniLM measured the same way, and
the peak that :mod:`core.fit` estimated before the run (at the full ``max_length`` of 128 tokens,
where the batches here are padded to their longest sentence only).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python bench/decoders.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.methods import METHODS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SST2 = ROOT.parent / "shared" / "data" / "sst2"

CONFIGS: dict[str, dict] = {
    # Qwen/Qwen2.5-0.5B's config.json (the fields that size the model)
    "qwen2.5-0.5b": {
        "model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864,
        "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
        "vocab_size": 151936, "max_position_embeddings": 32768, "rope_theta": 1000000.0,
        "rms_norm_eps": 1e-6, "tie_word_embeddings": True, "use_sliding_window": False,
        "hidden_act": "silu",
    },
    # HuggingFaceTB/SmolLM2-135M's config.json
    "smollm2-135m": {
        "model_type": "llama", "hidden_size": 576, "intermediate_size": 1536,
        "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3,
        "vocab_size": 49152, "max_position_embeddings": 8192, "rope_theta": 100000.0,
        "rms_norm_eps": 1e-5, "tie_word_embeddings": True, "hidden_act": "silu",
    },
}  # fmt: skip
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt",
                   "special_tokens_map.json")  # fmt: skip


def build_model(name: str, folder: Path) -> Path:
    """A real-size model of ``name`` with random weights (seeded), saved in ``folder``, by a
    process of its own: a training process started from this one would otherwise count this
    one's memory (the model just built) in its peak, as a forked child does until it runs."""
    target = folder / name
    code = (f"from pathlib import Path; from bench.decoders import _build; "
            f"_build({name!r}, Path({str(target)!r}))")  # fmt: skip
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)
    return target


def _build(name: str, target: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification

    from core.modeling import embedded_model_path

    values = dict(CONFIGS[name])
    config = AutoConfig.for_model(values.pop("model_type"), num_labels=2, **values)
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(config)
    model.save_pretrained(target, safe_serialization=True)
    for file in TOKENIZER_FILES:
        source = embedded_model_path() / file
        if source.exists():
            shutil.copy(source, target / file)


def sample(data: Path, rows: int, folder: Path) -> Path:
    """The first ``rows`` training rows and 64 dev rows of ``data`` (TSV) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, count in (("train", rows), ("dev", 64)):
        lines = (data / f"{split}.tsv").read_text(encoding="utf-8").splitlines()
        (folder / f"{split}.tsv").write_text("\n".join(lines[: count + 1]) + "\n", "utf-8")
    return folder


def run(model: str | None, method: str, args: argparse.Namespace, out: Path) -> dict:
    """One training process (``model`` None: the embedded one); its JSON summary (or its
    error) and its peak memory in MB."""
    command = [
        sys.executable, "-m", "core.train", *(["--model", model] if model else []),
        "--method", method,
        "--data", str(args.sample),
        "--max-steps", str(args.steps), "--batch-size", str(args.batch_size),
        "--eval-every", str(args.steps), "--log-every", "1",
        "--seed", "0", "--out", str(out), "--quiet",
    ]  # fmt: skip
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, stdout=stdout, stderr=stderr, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0), stderr.seek(0)
        lines = [line for line in stdout.read().splitlines() if line.startswith("{")]
        error = stderr.read()[-400:]
    summary = json.loads(lines[-1]) if lines else {"status": "failed", "error": error}
    return {**summary, "peak_mb": usage.ru_maxrss / 1024}


def estimate(name: str, method: str, batch_size: int, summary: dict) -> float:
    """:mod:`core.fit`'s peak memory in MB for the run ``summary`` describes."""
    from core.fit import estimate_memory, model_size
    from core.modeling import embedded_model_path, load_config

    config = load_config(str(embedded_model_path())) if name == "minilm" else CONFIGS[name]
    precision = {"fp32": "no"}.get(summary.get("precision", "fp32"), summary.get("precision"))
    size = model_size(config)
    peak = estimate_memory(size, method, batch_size, int(summary["max_length"]), precision)
    return peak.total / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models",
        default=",".join(["minilm", *CONFIGS]),
        help="minilm (the embedded model) and/or " + ", ".join(CONFIGS),
    )
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--data", type=Path, default=SST2)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=8)  # fmt: skip
    args = parser.parse_args(argv)
    models = [m for m in args.models.split(",") if m]
    methods = [m for m in args.methods.split(",") if m]
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; {args.steps} "
          f"steps of {args.batch_size} SST-2 rows each, precision auto\n")  # fmt: skip
    print("| model | method | trainable | samples/s | peak memory | estimated | precision |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="ptune-decoders-") as folder:
        args.sample = sample(args.data, args.steps * args.batch_size, Path(folder) / "data")
        for name in models:
            path = None if name == "minilm" else str(build_model(name, Path(folder)))
            for method in methods:
                r = run(path, method, args, Path(folder) / "out")
                shutil.rmtree(Path(folder) / "out", ignore_errors=True)
                if r.get("status") != "succeeded":
                    print(f"| {name} | {method} | failed: {str(r.get('error'))[-160:]!r} |||")
                    continue
                print(f"| {name} | {method} | {r.get('trainable_params', 0):,} | "
                      f"{r['train_samples_per_second']:.1f} | {r['peak_mb']:,.0f} MB | "
                      f"{estimate(name, method, args.batch_size, r):,.0f} MB | "
                      f"{r.get('precision')} |", flush=True)  # fmt: skip
            shutil.rmtree(Path(folder) / name, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
