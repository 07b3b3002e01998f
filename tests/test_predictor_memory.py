"""The predictor's memory: adapters of every method that keeps the base share one copy of it,
each counts only its own tensors, and the device budget leaves a run training on the GPU its
memory (the GPU is faked here: models stay on the CPU but count as device bytes, the free memory
comes from a fake query and the run is a job claimed on "cuda" in the registry)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import moved_adapter

from core.analysis import predict, residency
from core.analysis.predict import Predictor
from core.analysis.residency import DeviceBudget, ModelCache, module_tensors, storages
from core.errors import BusyError
from core.methods import METHODS
from core.methods.adapter import LAYER_NORMS
from core.training import jobs

SHARING = [name for name, method in METHODS.items() if not method.whole_model]
"""Every method whose adapter is built around the base's frozen weights."""

TEXTS = ["a fine film", "dull and slow", "the music was lovely but the plot was not"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory, tiny_model_dir) -> dict[str, Path]:
    """One adapter folder of each sharing method, and one of full fine-tuning, on one base."""
    root = tmp_path_factory.mktemp("sharing")
    names = [*SHARING, "full"]
    return {name: moved_adapter(tiny_model_dir, name, root / name, seed=i)
            for i, name in enumerate(names)}  # fmt: skip


def base_state(predictor: Predictor, model_dir: Path) -> dict[str, torch.Tensor]:
    return predictor.models.get(("base", str(model_dir)))[1]


def own_bytes(model: torch.nn.Module, base: dict[str, torch.Tensor]) -> int:
    """Bytes of the storages of ``model`` that are not the base's, each counted once."""
    mine = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes()
            for t in module_tensors(model)}  # fmt: skip
    return sum(n for ptr, n in mine.items() if ptr not in storages(base.values()))


# ----------------------------------------------------------------------------- sharing on the CPU
def test_adapters_of_every_sharing_method_hold_the_same_base_tensors(folders, tiny_model_dir):
    assert {"lora", "ptuning_v2", "prompt_tuning", "head_only", "adapter"} <= set(SHARING)
    predictor = Predictor(precision="fp32")
    models = {name: predictor.load(folders[name]).model for name in SHARING}
    base = base_state(predictor, tiny_model_dir)
    words = base["bert.embeddings.word_embeddings.weight"]
    # The adapter method trains the LayerNorms inside the layers: those are its own copies.
    layer_norms = storages(v for k, v in base.items() if "LayerNorm" in k and LAYER_NORMS.search(k))
    for name, model in models.items():
        held = storages(module_tensors(model))
        missing = storages(base.values()) - held
        assert missing == (layer_norms if name == "adapter" else set()), name
        embeddings = {p.data_ptr() for n, p in model.named_parameters()
                      if n.endswith("word_embeddings.weight")}  # fmt: skip
        assert embeddings == {words.data_ptr()}, name
    predictor.close()


def test_counted_memory_grows_by_each_adapters_own_bytes_only(folders, tiny_model_dir):
    predictor = Predictor(precision="fp32")
    first = predictor.load(folders[SHARING[0]]).model
    base = base_state(predictor, tiny_model_dir)
    base_bytes = sum(t.untyped_storage().nbytes() for t in base.values())
    assert predictor.models.host_bytes == base_bytes + own_bytes(first, base)
    for name in SHARING[1:]:
        before = predictor.models.host_bytes
        model = predictor.load(folders[name]).model
        grown = predictor.models.host_bytes - before
        assert grown == own_bytes(model, base) < base_bytes / 10, name
    before = predictor.models.host_bytes
    predictor.load(folders["full"])  # a whole model of its own: nothing to share
    assert predictor.models.host_bytes - before >= base_bytes
    assert predictor.models.device_bytes == 0
    assert predictor.models.keys().count(("base", str(tiny_model_dir))) == 1
    predictor.close()


def test_predictions_together_are_those_of_each_adapter_alone(folders):
    chosen = [str(folders[name]) for name in [*SHARING, "full"]]
    alone = {}
    for folder in chosen:
        one = Predictor(precision="fp32")
        alone[folder] = one.predict(TEXTS, [folder])[folder]
        one.close()
    together = Predictor(precision="fp32")
    shared = together.predict(TEXTS, chosen)
    together.close()
    for folder in chosen:
        for got, want in zip(shared[folder], alone[folder], strict=True):
            assert got["label"] == want["label"]
            assert got["probabilities"] == pytest.approx(want["probabilities"], abs=1e-5)
    distinct = {tuple(rows[0]["probabilities"].values()) for rows in shared.values()}
    assert len(distinct) == len(chosen)  # each adapter really predicts its own way


# ----------------------------------------------------------------------------- the cache
def test_a_base_outlives_its_adapters_and_takes_them_with_it():
    cache = ModelCache(host_budget=100, device_budget=lambda held: 0)
    cache.put("base", "B", host=60, device=0)
    cache.put("a", "A", host=10, device=0, base="base")
    cache.put("b", "B", host=10, device=0, base="base")
    cache.put("other", "O", host=5, device=0)
    assert cache.keys() == ["a", "b", "base", "other"]  # the base stays behind its adapters
    cache.get("a")
    assert cache.keys() == ["b", "other", "a", "base"]
    cache.put("c", "C", host=20, device=0, base="base")  # 105 > 100: b, the oldest, goes
    assert cache.keys() == ["other", "a", "c", "base"] and cache.host_bytes == 95
    assert cache.footprint("c") == 80
    cache.pop("base")  # its adapters hold its tensors: they go with it
    assert cache.keys() == ["other"] and cache.host_bytes == 5


def test_a_value_larger_than_the_budget_is_not_kept_and_drops_nothing():
    cache = ModelCache(host_budget=100, device_budget=lambda held: 0)
    cache.put("small", 1, host=30, device=0)
    assert not cache.put("big", 2, host=101, device=0)
    assert not cache.make_room(host=80, device=0, keep=["small"])
    assert cache.keys() == ["small"] and cache.host_bytes == 30


def test_an_adapter_needs_its_base_kept():
    cache = ModelCache(host_budget=100, device_budget=lambda held: 0)
    with pytest.raises(KeyError, match="'gone' is not kept; count its bytes in the entry"):
        cache.put("a", "A", host=1, device=0, base="gone")


def test_budgets_refuse_impossible_values():
    with pytest.raises(ValueError, match="host_budget must be 0 or more, got -1"):
        ModelCache(host_budget=-1, device_budget=lambda held: 0)
    with pytest.raises(ValueError, match="training_share must be more than 0 and at most 1, got 0"):
        DeviceBudget(training_share=0)
    with pytest.raises(ValueError, match="share must be more than 0 and at most 1, got 1.5"):
        DeviceBudget(share=1.5)


# ----------------------------------------------------------------------------- the device budget
class FakeGpu:
    """A GPU whose memory free apart from the predictor is ``beside`` bytes: what the query
    says is free is that less the bytes the predictor holds."""

    def __init__(self, beside: int, total: int = 80 * 2**30) -> None:
        self.beside = beside
        self.total = total
        self.held = lambda: 0
        self.asked: list[str] = []
        self.placed: list[torch.nn.Module] = []  # models moved onto it

    def __call__(self, device: str) -> tuple[int, int]:
        self.asked.append(device)
        return self.beside - self.held(), self.total


@pytest.fixture
def claim():
    """Claims a device in the job registry as a training run would; released afterwards."""
    claimed: list[jobs.Job] = []

    def take(device: str) -> jobs.Job:
        claimed.append(jobs.claim("run", "lora", device))
        return claimed[-1]

    yield take
    for job in claimed:
        jobs.release(job)


def test_the_device_budget_is_a_share_of_free_and_held_memory_smaller_beside_a_run(claim):
    gpu = FakeGpu(beside=1000)
    budget = DeviceBudget(share=0.5, training_share=0.2, query=gpu)
    assert budget("cuda", held=0) == 500
    gpu.held = lambda: 300
    assert budget("cuda", held=300) == 500  # what it holds counts as its own, not as taken
    claim("cpu")  # a run on the CPU leaves the GPU to the predictions
    assert not budget.training("cuda") and budget("cuda", held=300) == 500
    claim("cuda")
    assert budget.training("cuda") and budget("cuda", held=300) == 200
    assert gpu.asked == ["cuda"] * 4


def gpu_predictor(monkeypatch, gpu: FakeGpu) -> Predictor:
    """A Predictor that counts its models as on the GPU "cuda" of ``gpu`` (they stay on the
    CPU: only loading and counting are tested, not forward passes)."""
    monkeypatch.setattr(Predictor, "_place", lambda self, model: gpu.placed.append(model))
    on_device = lambda tensors, shared=(): (0, sum(residency.tensor_bytes(tensors, shared)))  # noqa: E731
    monkeypatch.setattr(predict, "tensor_bytes", on_device)
    predictor = Predictor(precision="fp32", device_budget=DeviceBudget(query=gpu))
    predictor.device = "cuda"
    gpu.held = lambda: predictor.models.device_bytes
    return predictor


def test_on_a_gpu_the_models_count_against_the_device_budget_not_the_host(
    folders, monkeypatch, tiny_model_dir
):
    gpu = FakeGpu(beside=2**30)
    predictor = gpu_predictor(monkeypatch, gpu)
    models = [predictor.load(folders[name]).model for name in SHARING]
    base = base_state(predictor, tiny_model_dir)
    base_bytes = sum(t.untyped_storage().nbytes() for t in base.values())
    assert predictor.models.host_bytes == 0
    assert predictor.models.device_bytes == base_bytes + sum(own_bytes(m, base) for m in models)
    assert len(predictor.models.keys()) == len(SHARING) + 1 and "cuda" in gpu.asked


def test_a_run_on_the_gpu_makes_the_predictor_keep_fewer_adapters_then_refuse(
    folders, monkeypatch, tiny_model_dir, claim
):
    gpu = FakeGpu(beside=2**30)
    predictor = gpu_predictor(monkeypatch, gpu)
    keys = [("adapter", str(folders[name].resolve())) for name in SHARING]
    for name in SHARING:
        predictor.load(folders[name])
    base_key = ("base", str(tiny_model_dir))
    last_two = predictor.models.footprint(keys[-1]) + predictor.models.footprint(keys[-2])
    base_bytes = predictor.models.footprint(base_key)
    # The run leaves room for the base and the two adapters used last (a quarter of it).
    run = claim("cuda")
    gpu.beside = 4 * (last_two - base_bytes) + 4
    predictor.load(folders[SHARING[-1]])
    assert predictor.models.keys() == [keys[-2], keys[-1], base_key]
    assert predictor.models.device_bytes <= gpu.beside // 4
    # Then too little for the base itself: the adapter in use goes too, and is refused.
    gpu.beside = 2 * base_bytes
    message = r"a run is training on cuda, and predictions may keep \d+ MB of its memory beside it"
    with pytest.raises(BusyError, match=message + r", too little for this model \(\d+ MB\)"):
        predictor.load(folders[SHARING[-1]])
    assert predictor.models.keys() == [] and predictor.models.device_bytes == 0
    gpu.placed.clear()
    with pytest.raises(BusyError, match="predict once the run has ended, or stop it"):
        predictor.load(folders[SHARING[0]])  # a base not loaded is refused before it is moved
    with pytest.raises(BusyError, match=message):
        predictor.load(folders["full"])  # so is a whole model
    assert predictor.models.keys() == [] and gpu.placed == []
    jobs.release(run)  # the run ended and freed its memory: the predictor keeps models again
    gpu.beside = 2**30
    predictor.load(folders[SHARING[0]])
    assert predictor.models.keys() == [keys[0], base_key]


def test_without_a_run_a_model_over_the_device_budget_is_used_but_not_kept(folders, monkeypatch):
    predictor = gpu_predictor(monkeypatch, FakeGpu(beside=1000))
    adapter = predictor.load(folders["lora"])
    assert adapter.label_names == ["neg", "pos"]
    assert predictor.models.keys() == [] and predictor.models.device_bytes == 0
