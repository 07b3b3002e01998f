"""Bounded memory and combined predictions: the byte-bounded cache, compact tokens with long texts
cut before tokenizing, freeing a run's data, and concurrent predictions sharing one pass."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
from conftest import (
    CPU_ONLY,
    devices_seen,
    free_port,
    hinge_model,
    in_cpu_process,
    train_config,
    write_reviews,
)

from app import create_app, launch_options
from app.server.serving import SESSION_CAPACITY
from app.shared.datasets import preview
from app.shared.state import CACHE_BYTES
from core import hardware
from core.analysis.batcher import Batcher
from core.analysis.predict import Predictor
from core.cache import ByteLRU, size_of
from core.data.tokens import Tokens, clip_limit, tokenize
from core.hardware import physical_cores
from core.modeling import load_tokenizer
from core.training import jobs
from core.training.trainer import Trainer

NORMAL = [
    "The battery lasts all day and the screen is gorgeous.",
    "A terrible, slow film; the plot goes nowhere.",
    "",
    "naïve café owners serve 这家酒店的服务很好 with a smile!",
    "short",
]


# ----------------------------------------------------------------------------- the cache
def test_cache_evicts_the_least_recently_used_by_bytes():
    cache = ByteLRU(max_bytes=100)
    cache.put("a", "A", size=40)
    cache.put("b", "B", size=40)
    assert cache.get("a") == "A"  # a is now the most recent
    cache.put("c", "C", size=40)  # 120 > 100: b, the least recently used, goes
    assert cache.keys() == ["a", "c"] and cache.nbytes == 80
    cache.put("d", "D", size=90)  # needs both gone
    assert cache.keys() == ["d"] and cache.nbytes == 90
    assert "a" not in cache and cache.get("a") is None


def test_an_entry_larger_than_the_budget_is_returned_but_not_kept():
    cache = ByteLRU(max_bytes=100)
    cache.put("small", 1, size=10)
    loads = []
    value = cache.get_or_load("big", lambda: loads.append(1) or "x" * 1000)
    assert value == "x" * 1000 and "big" not in cache and cache.keys() == ["small"]
    cache.get_or_load("big", lambda: loads.append(1) or "x" * 1000)
    assert len(loads) == 2  # loaded again: nothing was kept


def test_a_new_version_in_a_group_replaces_the_old_one():
    cache = ByteLRU(max_bytes=10_000)
    cache.put("table:a.csv:1", "old", size=100, group="table:a.csv")
    cache.put("table:b.csv:1", "other", size=100, group="table:b.csv")
    cache.put("table:a.csv:2", "new", size=100, group="table:a.csv")
    assert cache.keys() == ["table:b.csv:1", "table:a.csv:2"] and cache.nbytes == 200


def test_sizes_count_what_tables_tensors_and_texts_hold():
    texts = ["x" * 1000] * 50
    frame = pd.DataFrame({"text": texts})
    assert size_of(frame) >= 50_000
    assert size_of({"texts": texts, "labels": [0] * 50}) >= 50_000
    tokens = Tokens.from_lists([[1, 2, 3], [4]])
    assert size_of(tokens) == tokens.nbytes == 4 * 4 + 3 * 8


def test_a_negative_budget_is_refused_with_its_value():
    with pytest.raises(ValueError, match="max_bytes must be 0 or more, got -1"):
        ByteLRU(max_bytes=-1)


def test_previewing_a_resaved_file_keeps_only_its_latest_version(state, tmp_path):
    path = write_reviews(tmp_path / "reviews.csv", rows=40)
    preview(state, str(path))
    write_reviews(path, rows=60, seed=1)
    stamp = path.stat().st_mtime_ns
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))  # a re-save within one clock tick
    assert preview(state, str(path)).rows == 60
    assert state.cache.keys() == [f"table:{path}:{path.stat().st_mtime_ns}"]
    assert state.cache.max_bytes == CACHE_BYTES


# ----------------------------------------------------------------------------- tokens
class SpyTokenizer:
    """The MiniLM tokenizer, recording the longest text it is handed."""

    def __init__(self) -> None:
        self.inner = load_tokenizer(None)
        self.longest = 0

    def __call__(self, texts, **kwargs):
        batch = [texts] if isinstance(texts, str) else texts
        self.longest = max([self.longest, *map(len, batch)])
        return self.inner(texts, **kwargs)


def test_tokens_are_those_of_the_tokenizer_for_normal_rows():
    tokenizer = load_tokenizer(None)
    tokens = tokenize(tokenizer, NORMAL, 16)
    expected = tokenizer(NORMAL, truncation=True, max_length=16)
    assert len(tokens) == len(NORMAL)
    for i in range(len(NORMAL)):
        assert tokens[i]["input_ids"] == expected["input_ids"][i]
        assert tokens[i]["token_type_ids"] == expected["token_type_ids"][i]
    assert tokens.lengths.tolist() == [len(ids) for ids in expected["input_ids"]]


def test_a_1_mb_row_is_cut_before_tokenizing_and_keeps_its_tokens():
    sentence = "the plot was slow but the music and the actors were wonderful "
    long_row = (sentence * (2**20 // len(sentence) + 1))[: 2**20]
    spy = SpyTokenizer()
    tokens = tokenize(spy, [long_row, NORMAL[0]], 128)
    assert spy.longest <= clip_limit(128) < len(long_row) // 100
    whole = spy.inner([long_row], truncation=True, max_length=128)["input_ids"][0]
    assert tokens[0]["input_ids"] == whole and len(whole) == 128


def test_a_cut_that_holds_too_few_tokens_reads_further():
    spy = SpyTokenizer()
    spaced = " " * 50_000 + "a terrible film"  # the words lie past the first cut
    tokens = tokenize(spy, [spaced], 16)
    expected = spy.inner([spaced], truncation=True, max_length=16)["input_ids"][0]
    assert tokens[0]["input_ids"] == expected and len(expected) > 2


def test_batches_pad_rows_taken_in_any_order():
    tokens = Tokens.from_lists([[101, 7, 102], [101, 102], [101, 5, 6, 102]], [[0] * 3, [0] * 2,
                               [0, 0, 1, 1]])  # fmt: skip
    batch = tokens.batch([2, 1], pad_id=0)
    assert batch["input_ids"].tolist() == [[101, 5, 6, 102], [101, 102, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 0, 0]]
    assert batch["token_type_ids"].tolist() == [[0, 0, 1, 1], [0, 0, 0, 0]]
    assert tokens[1:][0]["input_ids"] == [101, 102]
    assert tokens.take([2, 0])[1]["input_ids"] == [101, 7, 102]


# ----------------------------------------------------------------------------- a run's memory
@pytest.mark.train
def test_a_finished_run_lets_go_of_its_data_and_tokens(tmp_path, tiny_model_dir):
    data = write_reviews(tmp_path / "reviews.csv", rows=80)
    trainer = Trainer(train_config(tmp_path, data, tiny_model_dir, max_steps=2))
    summary = trainer.run()
    assert summary["status"] == "succeeded", summary.get("error")
    assert trainer.data is None and trainer.model is None
    assert len(trainer.train_features) == 0 and len(trainer.val_features) == 0


# ----------------------------------------------------------------------------- combined predictions
def test_requests_arriving_together_share_one_pass_per_adapter():
    calls: list[tuple[str, list[str]]] = []
    entered, release = threading.Event(), threading.Event()

    def run(key: str, texts: list[str]) -> list[str]:
        calls.append((key, list(texts)))
        entered.set()
        release.wait()
        return [f"{key}:{text}" for text in texts]

    batcher = Batcher(run, window=0.0)
    first = batcher.submit(["a"], ["t0"])
    entered.wait()  # the worker is busy with the first request; the next ones queue up
    later = [batcher.submit(["a", "b"], [f"t{i}", f"u{i}"]) for i in range(1, 4)]
    release.set()
    assert first.result() == {"a": ["a:t0"]}
    for i, future in enumerate(later, 1):
        assert future.result() == {"a": [f"a:t{i}", f"a:u{i}"], "b": [f"b:t{i}", f"b:u{i}"]}
    assert calls[1:] == [("a", ["t1", "u1", "t2", "u2", "t3", "u3"]),
                         ("b", ["t1", "u1", "t2", "u2", "t3", "u3"])]  # fmt: skip
    assert batcher.batches == 2
    batcher.close()


def test_an_adapter_that_fails_fails_only_the_callers_that_asked_for_it():
    def run(key: str, texts: list[str]) -> list[str]:
        if key == "broken":
            raise FileNotFoundError("no adapter in the folder broken")
        return [text.upper() for text in texts]

    batcher = Batcher(run, window=0.0)
    with pytest.raises(FileNotFoundError, match="no adapter in the folder broken"):
        batcher(["good", "broken"], ["x"])
    assert batcher(["good"], ["y"]) == {"good": ["Y"]}
    batcher.close()


def wait_until(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {seconds:.0f} s")
        time.sleep(0.01)


@pytest.fixture(scope="module")
def hinge(tmp_path_factory, tiny_model_dir):
    """An adapter (mean pooling) that says 'neg' exactly when 'terrible' is in the text."""
    return str(hinge_model(tiny_model_dir, tmp_path_factory.mktemp("hinge") / "adapter"))


def test_concurrent_callers_each_get_their_own_labels_from_one_pass(hinge):
    predictor = Predictor(precision="fp32")
    texts = [f"{word} film number {i}" for i in range(8) for word in ("terrible", "good")]
    alone = {text: predictor.predict([text], [hinge])[hinge][0] for text in texts}
    results: dict[str, dict] = {}

    def ask(text: str) -> None:
        results[text] = predictor.predict([text], [hinge])[hinge][0]

    submitted: list[int] = []
    submit = predictor.batcher.submit
    predictor.batcher.submit = lambda *a: (submit(*a), submitted.append(1))[0]
    batches = predictor.batcher.batches
    with predictor._forward_lock:  # the worker waits at its first pass while the calls queue
        threads = [threading.Thread(target=ask, args=(t,)) for t in texts]
        for thread in threads:
            thread.start()
        wait_until(lambda: len(submitted) == len(texts))
    for thread in threads:
        thread.join()
    # The pass the worker was held at, then one for every call that queued behind it.
    assert predictor.batcher.batches - batches <= 2
    for text in texts:
        assert results[text]["label"] == ("neg" if "terrible" in text else "pos")
        assert results[text]["label"] == alone[text]["label"]
        assert results[text]["score"] == pytest.approx(alone[text]["score"], abs=1e-4)
    predictor.close()


def test_predictions_of_a_1_mb_text_match_those_of_its_start(hinge):
    predictor = Predictor(precision="fp32")
    filler = "the plot and the actors " * 45_000
    for text in ("terrible " + filler, filler + " terrible"):  # past 48 tokens: not read
        whole, start = predictor.predict([text, text[:2000]], [hinge])[hinge]
        assert whole["label"] == start["label"] == ("neg" if text.startswith("terrible") else "pos")
        assert whole["score"] == pytest.approx(start["score"], abs=1e-5)
    predictor.close()


def test_predictions_use_one_thread_while_a_run_trains(hinge, monkeypatch, cpu_device):
    monkeypatch.setattr(hardware, "_lent_until", 0.0)
    predictor = Predictor(precision="fp32")
    seen: list[int] = []
    model = predictor.load(hinge).model
    hook = model.register_forward_pre_hook(lambda *_: seen.append(torch.get_num_threads()))
    job = jobs.claim("run", "lora", "cpu")
    try:
        assert predictor.threads() == 1
        predictor.predict(["a good film"], [hinge])
        assert hardware.training_threads(2) == 1  # the run lends the prediction a core
    finally:
        jobs.release(job)
    predictor.predict(["a good film"], [hinge])
    hook.remove()
    predictor.close()
    assert seen == [1, physical_cores()]


def _train_while_lent(tmp_path: Path, tiny_model_dir: Path) -> tuple[list[int], list[int]]:
    """In a process of its own on the CPU: what :func:`hardware.training_threads` answers
    before and while a core is lent, and the threads of a run's training steps while a core
    is lent, then after."""
    hardware._lent_until = 0.0
    answers = [hardware.training_threads(4)]
    hardware.lend_core(seconds=600)
    answers += [hardware.training_threads(n) for n in (4, 2, 1)]
    data = write_reviews(tmp_path / "reviews.csv", rows=80)
    trainer = Trainer(train_config(tmp_path, data, tiny_model_dir, max_steps=2, num_threads=2))
    seen: list[int] = []
    trainer.setup()
    trainer.model.register_forward_pre_hook(lambda *_: seen.append(torch.get_num_threads()))
    trainer.loop()
    hardware._lent_until = 0.0  # the predictions are over
    trainer.state.total_steps += 1
    trainer.loop()
    return answers, seen


@pytest.mark.train
def test_a_run_trains_on_one_thread_fewer_while_predictions_run(tmp_path, tiny_model_dir):
    # Cores are lent on the CPU device only: the run trains there whatever the machine has.
    answers, seen = in_cpu_process(_train_while_lent, tmp_path, tiny_model_dir)
    assert answers[0] == 4
    assert answers[1:] == [3, 1, 1]
    assert seen[:2] == [1, 1] and seen[-1] == 2


def test_tests_of_the_cpu_device_pin_it_on_a_gpu_machine(monkeypatch, request):
    """On a machine with a GPU, the tests that need the CPU device still get it: in this
    process through ``cpu_device``, in the processes they start with the GPUs hidden."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # as on a GPU machine
    assert hardware.default_device() == "cuda"
    assert request.getfixturevalue("cpu_device") == "cpu"
    assert hardware.default_device() == "cpu"
    assert in_cpu_process(devices_seen) == ("", "cpu")
    assert CPU_ONLY == {"CUDA_VISIBLE_DEVICES": ""}  # what conftest.torchrun's processes get


def test_the_served_app_keeps_a_bounded_number_of_sessions(tmp_path):
    demo = create_app(db=tmp_path / "studio.db")
    demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True,
                quiet=True, **launch_options("en"))  # fmt: skip
    try:
        assert demo.state_session_capacity == SESSION_CAPACITY <= 1000
    finally:
        demo.close()


def test_frozen_libraries_are_skipped_and_later_garbage_is_still_collected():
    import gc
    import weakref

    from core.memory import freeze_loaded

    class Node:
        pass

    freeze_loaded()
    assert gc.get_freeze_count() > 0  # what was alive is out of the collector's sight
    node = Node()
    node.self = node  # a cycle made after the freeze: only a collection frees it
    alive = weakref.ref(node)
    del node
    gc.collect()
    assert alive() is None
