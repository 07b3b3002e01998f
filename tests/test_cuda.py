"""The CUDA path: training in bf16, fp16 and fp32 on a GPU, and prediction there.

Tests marked ``cuda`` skip without a GPU; ``bench/gpu.py`` runs them on one. The last test runs
the GPU benchmark itself as a short trial on the CPU, so the script cannot rot unseen.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import in_cpu_process, moved_adapter, write_reviews

from bench import gpu
from core.analysis.predict import Predictor
from core.analysis.residency import module_tensors
from core.config import TrainConfig
from core.memory import release_memory
from core.methods import METHODS
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


@pytest.mark.cuda
@needs_cuda
def test_adapters_on_the_gpu_share_one_copy_of_the_base(tiny_model_dir, tmp_path):
    names = [name for name, method in METHODS.items() if not method.whole_model]
    folders = [str(moved_adapter(tiny_model_dir, name, tmp_path / name, seed=i))
               for i, name in enumerate(names)]  # fmt: skip
    alone = {}
    for folder in folders:
        one = Predictor(precision="fp32")
        alone[folder] = one.predict(["a fine film"], [folder])[folder]
        one.close()
    del one
    release_memory()
    predictor = Predictor(precision="fp32")
    before = torch.cuda.memory_allocated()
    models = [predictor.load(folder).model for folder in folders]
    grown = torch.cuda.memory_allocated() - before
    state = predictor.models.get(("base", str(tiny_model_dir)))[1]
    base_bytes = sum(t.untyped_storage().nbytes() for t in state.values())
    words = state["bert.embeddings.word_embeddings.weight"]
    assert words.is_cuda and predictor.models.host_bytes == 0
    for model in models:
        assert all(t.is_cuda for t in module_tensors(model))
        embeddings = {p.data_ptr() for n, p in model.named_parameters()
                      if n.endswith("word_embeddings.weight")}  # fmt: skip
        assert embeddings == {words.data_ptr()}
    # One copy of the base and the adapters' own tensors, not one base per adapter.
    assert base_bytes < predictor.models.device_bytes <= grown < 2 * base_bytes
    together = predictor.predict(["a fine film"], folders)
    for folder in folders:
        got, want = together[folder][0], alone[folder][0]
        assert got["probabilities"] == pytest.approx(want["probabilities"], abs=1e-4)


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
