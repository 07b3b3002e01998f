"""Shared fixtures and helpers: datasets, tiny random models, stores and recorded runs.

Test modules import the plain helpers from here (``from conftest import tiny_model``); pytest
finds the fixtures without imports. Heavy libraries are imported inside the helpers, so that
collecting a test that needs none of them stays cheap.
"""

from __future__ import annotations

import contextlib
import csv
import json
import multiprocessing
import os
import random
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from core.config import PRECISIONS

SHARED_DATA = Path(
    os.environ.get("PTUNE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def pytest_addoption(parser: pytest.Parser) -> None:
    # CI runs the learning tests a second time with fp32 forced, so the path of CPUs without
    # bf16 is exercised on machines that have it.
    parser.addoption(
        "--precision",
        choices=PRECISIONS,  # the settings' own choices
        default="auto",
        help="precision of the learning tests (tests/test_learning.py); default auto",
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """The test modules have loaded the libraries: keep them out of every later collection,
    as the app does (:func:`core.memory.freeze_loaded`); each tiny run collects three times."""
    from core.memory import freeze_loaded

    freeze_loaded()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the slow tests out unless the -m expression names them (``pytest -m slow``), so
    that the default run and the fast loop (``-m "not train and not e2e"``) both skip them."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


@pytest.fixture(scope="session")
def learning_precision(request: pytest.FixtureRequest) -> str:
    """The precision the learning tests train in (``--precision``)."""
    return request.config.getoption("--precision")


def shared_path(*parts: str) -> Path:
    """Return a path under ../shared/data; skip (or fail on CI) when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        reason = f"shared dataset {path} is not on this machine"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must provide ../shared/data")
        pytest.skip(reason)
    return path


# ----------------------------------------------------------------------------- devices
ROOT = Path(__file__).resolve().parents[1]

CPU_ONLY = {"CUDA_VISIBLE_DEVICES": ""}
"""Environment of a process that trains on the CPU whatever the machine has (GPUs hidden)."""


def hide_gpus() -> None:
    """Hide the GPUs from this (fresh) process before it imports torch."""
    os.environ.update(CPU_ONLY)


def in_cpu_process(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in a fresh process that sees no GPU; what it returns.

    For tests of what happens on the CPU device only (threads lent to predictions): in this
    process a GPU, once Accelerate chose it, is the device of every later run.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=hide_gpus) as pool:
        return pool.submit(function, *args).result(timeout=600)


def devices_seen() -> tuple[str | None, str]:
    """This process's ``CUDA_VISIBLE_DEVICES`` and the device it would train on."""
    from core.hardware import default_device

    return os.environ.get("CUDA_VISIBLE_DEVICES"), default_device()


@pytest.fixture
def cpu_device(monkeypatch: pytest.MonkeyPatch) -> str:
    """The CPU as this test's device, whatever the machine has (for code that asks torch which
    device to use, not Accelerate's process-wide state)."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    return "cpu"


def torchrun(
    module_args: list[str], *, probe: dict[str, Any] | None = None, timeout: float = 300,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:  # fmt: skip
    """``python -m MODULE ARGS...`` (``module_args``) in two processes under torchrun (which
    ``accelerate launch`` uses too), on the CPU with gloo whatever the machine has: on a one-GPU
    machine the second process would ask for ``cuda:1``. With ``probe``, through
    ``tests/rank_probe.py`` (its docstring says what a probe may ask)."""
    launcher = ["-m", module_args[0]] if probe is None else [str(ROOT / "tests" / "rank_probe.py"),
                                                              module_args[0]]  # fmt: skip
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
               "--master_port", str(free_port()), *launcher, *module_args[1:]]  # fmt: skip
    environment = {**os.environ, **CPU_ONLY, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT),
                   "PTUNE_PROBE": json.dumps(probe or {}), **(env or {})}  # fmt: skip
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(demo: Any, *, auth: Any = None, **options: Any) -> Iterator[str]:
    """Serve the app ``demo`` on a free loopback port, as launch.py does (``options`` go to
    ``launch_options``); its base URL, ending in "/". The app is closed afterwards."""
    from app import launch_options

    port = free_port()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
        auth=auth, **launch_options("en", **options),
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


# ----------------------------------------------------------------------------- tiny models
TINY_SIZES = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "max_position_embeddings": 64,
}
"""Sizes of the tiny encoders, in BERT's names; DistilBERT's own names are mapped below."""

DISTILBERT_NAMES = {
    "hidden_size": "dim",
    "num_hidden_layers": "n_layers",
    "num_attention_heads": "n_heads",
    "intermediate_size": "hidden_dim",
}

MOVIE, GOOD, TERRIBLE = 3185, 2204, 6659  # ids in the MiniLM WordPiece vocabulary


def _tokenizer():
    from core.modeling import load_tokenizer

    return load_tokenizer(None)  # the embedded MiniLM WordPiece tokenizer, no network


DECODER_IDS = {"bos_token_id": 101, "eos_token_id": 102}
"""A decoder's start and end-of-text ids: [CLS] and [SEP] of the MiniLM vocabulary."""

FAMILY_SETTINGS = {
    "roberta": {"type_vocab_size": 1},
    "xlm-roberta": {"type_vocab_size": 1},
    "camembert": {"type_vocab_size": 1},
    # Factorised embeddings narrower than the hidden size, as in the released checkpoints.
    "albert": {"embedding_size": 16},
    "electra": {"embedding_size": 16},
    # Special ids inside the MiniLM vocabulary; a 4-token local window so that the local layer
    # (every second one) really is windowed on test sentences.
    "modernbert": {
        "bos_token_id": 101,
        "eos_token_id": 102,
        "cls_token_id": 101,
        "sep_token_id": 102,
        "global_attn_every_n_layers": 2,
        "local_attention": 4,
    },
    # DeBERTa-v3's settings: relative attention both ways, no absolute positions.
    "deberta-v2": {
        "relative_attention": True,
        "pos_att_type": ["p2c", "c2p"],
        "position_biased_input": False,
        "max_relative_positions": -1,
        "position_buckets": 16,
        "norm_rel_ebd": "layer_norm",
        "share_att_key": True,
    },
    # Decoders: grouped-query attention (2 key/value heads for 4 query heads) where the family
    # has it, small heads, a 4-token sliding window on Mistral and on Gemma's local layers (so
    # that it really slides on test sentences), special ids inside the MiniLM vocabulary.
    **{family: {**DECODER_IDS, "num_key_value_heads": 2, "head_dim": 8}
       for family in ("llama", "qwen2", "qwen3", "phi3")},
    "mistral": {**DECODER_IDS, "num_key_value_heads": 2, "head_dim": 8, "sliding_window": 4},
    "gemma2": {**DECODER_IDS, "num_key_value_heads": 2, "head_dim": 8, "sliding_window": 4,
               "query_pre_attn_scalar": 8},
    "gemma3_text": {**DECODER_IDS, "num_key_value_heads": 2, "head_dim": 8,
                    "sliding_window": 4, "sliding_window_pattern": 2,
                    "query_pre_attn_scalar": 8},
    "gpt2": {**DECODER_IDS, "n_inner": 64},
    "gpt_neox": DECODER_IDS,
}  # fmt: skip
"""Per-family settings of the tiny configs, beyond :data:`TINY_SIZES`."""

ENCODER_FAMILIES = ("bert", "roberta", "xlm-roberta", "distilbert", "electra", "albert",
                    "camembert", "ernie", "deberta-v2", "modernbert", "mpnet")  # fmt: skip
DECODER_FAMILIES = ("llama", "qwen2", "qwen3", "mistral", "gemma2", "gemma3_text", "phi3", "gpt2",
                    "gpt_neox")  # fmt: skip
FAMILIES = ENCODER_FAMILIES + DECODER_FAMILIES
"""Every model family the product supports."""


def tiny_config(model_type: str = "bert", num_labels: int = 2, **overrides):
    """A random encoder config of ``model_type`` sized for tests (vocab of the MiniLM tokenizer).

    ``overrides`` replace the sizes of :data:`TINY_SIZES` (BERT's names, also for DistilBERT)
    or set any other field of the family's config.
    """
    from transformers import CONFIG_MAPPING, DistilBertConfig

    common = {"vocab_size": 30522, "num_labels": num_labels, "pad_token_id": 0}
    if model_type == "distilbert":
        # DistilBERT keeps its default 512 positions unless told otherwise.
        sizes = {k: v for k, v in TINY_SIZES.items() if k != "max_position_embeddings"}
        values = {DISTILBERT_NAMES.get(k, k): v for k, v in {**sizes, **overrides}.items()}
        return DistilBertConfig(**{**common, **values})
    family = FAMILY_SETTINGS.get(model_type, {})
    return CONFIG_MAPPING[model_type](**{**common, **TINY_SIZES, **family, **overrides})


def tiny_model(model_type: str = "bert", num_labels: int = 2, seed: int = 0, **overrides):
    """A random sequence classifier of :func:`tiny_config`, initialised from ``seed``."""
    import torch
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(seed)
    config = tiny_config(model_type, num_labels, **overrides)
    return AutoModelForSequenceClassification.from_config(config)


def make_tiny_model_dir(folder: Path, model_type: str = "bert", num_labels: int = 2) -> Path:
    """Save a :func:`tiny_model` with the MiniLM tokenizer in ``folder`` (a model folder)."""
    tiny_model(model_type, num_labels).save_pretrained(folder, safe_serialization=True)
    _tokenizer().save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A saved tiny random BERT classifier folder (config, safetensors, tokenizer)."""
    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny-bert"), "bert")


def load_tiny_model(folder: Path, num_labels: int = 2):
    """The classifier saved in ``folder`` (two labels; another number gets a new random head),
    loaded with the random state reset."""
    import torch
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(0)
    return AutoModelForSequenceClassification.from_pretrained(
        folder, num_labels=num_labels, ignore_mismatched_sizes=num_labels != 2
    )


def tiny_inputs() -> dict:
    """A padded batch of two short texts in MiniLM token ids."""
    import torch

    ids = torch.tensor([[101, 2023, 3185, 2001, 2307, 102], [101, 6659, 102, 0, 0, 0]])
    return {"input_ids": ids, "attention_mask": (ids != 0).long()}


def save_test_adapter(wrapped, name, model_dir, folder, options=None, pooling="cls") -> Path:
    """Save ``wrapped`` (method ``name`` on ``model_dir``) as a two-label adapter folder."""
    from core.config import TrainConfig
    from core.training.artifacts import save_adapter

    config = TrainConfig(
        data="x.csv", method=name, model=str(model_dir), method_options=options or {}
    )
    save_adapter(folder, wrapped, config, ["neg", "pos"], max_length=48, pooling=pooling)
    return folder


def moved_adapter(model_dir: Path, name: str, folder: Path, seed: int = 0) -> Path:
    """An adapter folder of method ``name`` on ``model_dir`` whose trainable weights were moved
    off their starting values (by ``seed``), so that each adapter predicts its own way."""
    import torch

    from core.methods import get_method

    method = get_method(name)
    wrapped = method.wrap(load_tiny_model(model_dir), method.config_cls())
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in wrapped.parameters():
            if p.requires_grad:
                p.add_(torch.randn(p.shape, generator=generator) * 0.3)
    return save_test_adapter(wrapped, name, model_dir, folder)


def hinge_model(
    model_dir: Path, folder: Path, task: str | None = None,
    labels: Sequence[str] = ("neg", "pos"), bias: Sequence[float] = (0.0, 1.0),
    inputs: Sequence[str] | None = None,
) -> Path:  # fmt: skip
    """A classifier that says 'neg' exactly when the word 'terrible' is in the text.

    Every layer passes its input through unchanged (zero attention and feed-forward outputs),
    so with mean pooling the sentence vector is the average of the normalised word embeddings.
    Every word but 'terrible' has 0 in dimension 0 after normalisation; 'terrible' has a large
    value there, and the head turns dimension 0 into evidence for the first label.

    ``task`` saves it as an adapter of that task (:mod:`core.tasks`) with the outputs
    ``labels`` (the first one's raised by 'terrible', each starting at its ``bias``) and the
    texts a row holds ``inputs``: a pair classifier (a pair's two texts are pooled together),
    a score that 'terrible' raises, several labels.
    """
    import torch

    from core.config import TrainConfig
    from core.training.artifacts import save_adapter

    model = load_tiny_model(model_dir, len(labels))
    hidden = model.config.hidden_size
    with torch.no_grad():
        for name, p in model.bert.encoder.named_parameters():
            if name.endswith(("attention.output.dense.weight", "attention.output.dense.bias",
                              "output.dense.weight", "output.dense.bias")):  # fmt: skip
                p.zero_()
        embeddings = model.bert.embeddings
        embeddings.position_embeddings.weight.zero_()
        embeddings.token_type_embeddings.weight.zero_()
        words = embeddings.word_embeddings.weight
        words[:, 0] = words[:, 1:].mean(dim=1)  # the row mean: 0 after layer norm
        words[TERRIBLE] = torch.nn.functional.one_hot(torch.tensor(0), hidden).float()
        model.bert.pooler.dense.weight.copy_(torch.eye(hidden))
        model.bert.pooler.dense.bias.zero_()
        model.classifier.weight.zero_()
        model.classifier.weight[0, 0] = 10.0
        model.classifier.bias.copy_(torch.tensor(list(bias)))
    if task is None:
        return save_test_adapter(model, "full", model_dir, folder, pooling="mean")
    config = TrainConfig(data="x.csv", method="full", model=str(model_dir))
    save_adapter(folder, model, config, list(labels), max_length=48, pooling="mean", task=task,
                 inputs=inputs)  # fmt: skip
    return folder


# ----------------------------------------------------------------------------- datasets
POSITIVE = ["good", "great", "fine", "lovely", "superb", "happy", "wonderful", "nice"]
NEGATIVE = ["bad", "awful", "poor", "terrible", "boring", "sad", "horrible", "ugly"]
NEUTRAL = ["average", "okay", "plain", "ordinary", "middling", "so-so", "fair", "usual"]
FILLER = ["the", "film", "was", "a", "plot", "and", "it", "story", "really", "quite"]


def write_reviews(path: Path, rows: int = 240, seed: int = 0) -> Path:
    """A labelled CSV whose label is decided by sentiment words among filler words."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for i in range(rows):
            label = i % 2
            words = rng.sample(FILLER, 4) + rng.sample(POSITIVE if label else NEGATIVE, 2)
            rng.shuffle(words)
            writer.writerow([" ".join(words), "positive" if label else "negative"])
    return path


@pytest.fixture(scope="module")
def reviews(tmp_path_factory) -> Path:
    return write_reviews(tmp_path_factory.mktemp("data") / "reviews.csv")


def write_labelled(path: Path, labels: list[str], rows: int, seed: int) -> Path:
    """A CSV whose label is decided by two words of that label's vocabulary among fillers."""
    words = {"negative": NEGATIVE, "positive": POSITIVE, "neutral": NEUTRAL, "0": NEGATIVE,
             "1": POSITIVE}  # fmt: skip
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for i in range(rows):
            label = labels[i % len(labels)]
            sentence = rng.sample(FILLER, 4) + rng.sample(words[label], 2)
            rng.shuffle(sentence)
            writer.writerow([" ".join(sentence), label])
    return path


def second_dataset(folder: Path, name: str, labels: list[str], test_rows: int = 30) -> Path:
    """A dataset folder with train and test files, unrelated to the runs' training data."""
    target = folder / name
    write_labelled(target / "train.csv", labels, 40, 7)
    write_labelled(target / "test.csv", labels, test_rows, 8)
    return target


# ----------------------------------------------------------------------------- training
def train_config(tmp_path: Path, data: Path, model: Path, **overrides):
    """A short fp32 head-only TrainConfig writing to ``tmp_path / "run"``."""
    from core.config import TrainConfig

    values = dict(
        data=str(data),
        model=str(model),
        method="head_only",
        batch_size=16,
        max_steps=30,
        log_every=1,
        out=str(tmp_path / "run"),
        precision="fp32",
    )
    values.update(overrides)
    return TrainConfig(**values)


def train_runs(store, models: tuple[Path, Path], data: Path) -> list[int]:
    """Two short recorded runs: P-Tuning v2 on two labels, LoRA on three."""
    from core import runs
    from core.config import TrainConfig

    three = write_labelled(data.parent / "three.csv", ["negative", "neutral", "positive"], 90, 1)
    ids = []
    for method, source, model in (("ptuning_v2", data, models[0]), ("lora", three, models[1])):
        config = TrainConfig(data=str(source), model=str(model), method=method, batch_size=16,
                             max_steps=3, log_every=1, eval_every=1, precision="fp32")  # fmt: skip
        handle = runs.start(store, config)
        run_id = handle.run_id
        summary = handle.wait(120)
        assert summary["status"] == "succeeded", summary.get("error")
        ids.append(run_id)
    return ids


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_model_dir):
    """A store with two finished runs, plus the folder of the test datasets."""
    from storage.store import Store

    folder = tmp_path_factory.mktemp("compare")
    data = write_labelled(folder / "data" / "two.csv", ["negative", "positive"], 80, 0)
    store = Store(folder / "home" / "studio.db")
    three_labels = make_tiny_model_dir(folder / "tiny-three", "bert", num_labels=3)
    return store, train_runs(store, (tiny_model_dir, three_labels), data), folder


# ----------------------------------------------------------------------------- storage
def new_run(store, name: str = "run", **extra) -> int:
    fields = {"method": "lora", "base_model": "bert-tiny", "dataset": "sst2", "config": {"lr": 1}}
    return store.create_run(name=name, **{**fields, **extra})


def make_adapter(folder: Path) -> Path:
    (folder / "nested" / "deeper").mkdir(parents=True)
    (folder / "adapter_model.safetensors").write_bytes(os.urandom(3000))
    (folder / "adapter_config.json").write_text('{"r": 8}')
    (folder / "nested" / "deeper" / "head.bin").write_bytes(bytes(range(256)))
    return folder


def table_counts(path: Path) -> dict[str, int]:
    """Rows in each table of the database at ``path``."""
    from sqlite_utils import Database

    db = Database(path)
    try:
        return {t: db[t].count for t in ("runs", "metrics", "adapters", "adapter_files")}
    finally:
        db.close()


@pytest.fixture
def store(tmp_path):
    from storage import Store

    with Store(tmp_path / "home" / "studio.db") as opened:  # runs' folders go under home/
        yield opened


# ----------------------------------------------------------------------------- app
@pytest.fixture()
def state(tmp_path, tmp_path_factory):
    """App state over a fresh database whose data folder is this session's temporary folder,
    so that the datasets and tiny models the fixtures make there are the app's to read."""
    from app.shared.state import AppState
    from storage.store import Store

    return AppState(store=Store(tmp_path / "studio.db"), data_dir=tmp_path_factory.getbasetemp())


def ask_server(port: int, path: str, data: dict | None = None) -> tuple[int, dict]:
    """A model server's answer on 127.0.0.1:``port``: GET ``path``, or POST ``data`` as JSON;
    the status and the decoded body."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = None if data is None else json.dumps(data).encode()
    connection.request("GET" if data is None else "POST", path, body=body,
                       headers={"Content-Type": "application/json"})  # fmt: skip
    response = connection.getresponse()
    answer = response.status, json.loads(response.read())
    connection.close()
    return answer


@contextlib.contextmanager
def serving_model(adapter: str | Path, predictor: Any = None) -> Iterator[tuple[int, Any]]:
    """``python -m core.serve``'s server of ``adapter`` on a free port of 127.0.0.1 for the
    length of the block: its port and the predictor answering (an fp32 one made, and closed
    after, when none is given)."""
    import threading

    from core.analysis.predict import Predictor
    from core.serve import make_server

    own = predictor is None
    predictor = Predictor(precision="fp32") if own else predictor
    server = make_server(adapter, port=0, predictor=predictor, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], predictor
    finally:
        server.shutdown()
        server.server_close()
        if own:
            predictor.close()
