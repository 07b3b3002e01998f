"""The CUDA path: training in bf16, fp16 and fp32 on a GPU, and prediction there.

Tests marked ``cuda`` skip without a GPU; ``bench/gpu.py`` runs them on one. The last test runs
the GPU benchmark itself as a short trial on the CPU, so the script cannot rot unseen.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import in_cpu_process, write_reviews

from bench import gpu
from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.runs import train_unrecorded

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")


@pytest.fixture(scope="module")
def reviews(tmp_path_factory) -> Path:
    return write_reviews(tmp_path_factory.mktemp("data") / "reviews.csv", rows=64)


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize("precision", ["bf16", "fp16", "fp32"])
@pytest.mark.parametrize("method", ["ptuning_v2", "lora", "full"])
def test_a_run_trains_on_the_gpu_and_its_adapter_predicts_there(
    method, precision, reviews, tiny_model_dir, tmp_path
):
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bf16")
    config = TrainConfig(data=str(reviews), model=str(tiny_model_dir), method=method,
                         precision=precision, max_steps=6, batch_size=16,
                         out=str(tmp_path))  # fmt: skip
    summary = train_unrecorded(config)
    assert summary["status"] == "succeeded", summary.get("error")
    assert summary["precision"] == {"fp32": "no"}.get(precision, precision)
    predictor = Predictor()
    assert predictor.device == "cuda"
    rows = predictor.predict(["a warm and lovely film"], [summary["adapter_path"]])
    probabilities = next(iter(rows.values()))[0]["probabilities"]
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.train
def test_the_gpu_benchmark_runs_a_trial_on_the_cpu(reviews, tiny_model_dir, tmp_path, capfd):
    out = tmp_path / "gpu.json"
    # On the CPU whatever the machine has (on a GPU the trial would add fp16 runs), in a process
    # of its own: Accelerate's device, once chosen, is every later run's in this one.
    code = in_cpu_process(gpu.main, ["--model", str(tiny_model_dir), "--data", str(reviews),
                                     "--allow-cpu", "--no-tests", "--methods", "head_only,lora",
                                     "--max-steps", "2", "--out", str(out)])  # fmt: skip
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    runs = [(r["method"], r["precision"], r["status"]) for r in report["runs"]]
    assert runs == [
        ("head_only", "bf16", "succeeded"),
        ("lora", "bf16", "succeeded"),
        ("lora", "fp32", "succeeded"),
    ]  # fmt: skip (no fp16 training on a CPU)
    assert report["try_it"]["adapters"] == 3 and report["try_it"]["p50_ms"] > 0
    assert "| lora | fp32 |" in capfd.readouterr().out


def test_the_gpu_benchmark_refuses_to_run_without_a_gpu_unless_asked(capsys):
    if torch.cuda.is_available():
        pytest.skip("a GPU is here")
    assert gpu.main(["--model", "x"]) == 2
    assert "no CUDA device here" in capsys.readouterr().err
