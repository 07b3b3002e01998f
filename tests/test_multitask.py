"""Multi-task training with a shared prompt, and starting a run from a trained adapter."""

from __future__ import annotations

import csv
import json
import random

import pytest
import torch
from conftest import FILLER, train_config, write_reviews
from torch.nn import functional as F

from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.data.loading import load_data
from core.data.splits import TextSplit
from core.errors import ConfigError
from core.methods import METHODS
from core.modeling import load_base
from core.runs import train_unrecorded
from core.train import main
from core.training.artifacts import load_adapter
from core.training.inputs import check_config
from core.training.multitask import (
    MultiTaskHead,
    MultiTaskTrainer,
    TaskRouter,
    combine,
    fresh_head,
)
from core.training.warm_start import load_initial_weights

TOPICS = {"sport": ["goal", "match", "team"], "food": ["soup", "bread", "cheese"]}


def write_topics(path, rows: int = 90):
    """A three-label dataset (sport / food / neither) of another shape than the reviews."""
    rng = random.Random(1)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["sentence", "label"])
        for i in range(rows):
            topic = ["sport", "food", "other"][i % 3]
            extra = rng.sample(TOPICS[topic], 2) if topic in TOPICS else []
            words = rng.sample(FILLER, 4) + extra
            writer.writerow([" ".join(words), topic])
    return path


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tasks")
    return {
        "reviews": write_reviews(folder / "reviews.csv", rows=120),
        "topics": write_topics(folder / "topics.csv"),
    }


def multitask_config(tmp_path, datasets, model, **overrides):
    values = dict(tasks={k: str(v) for k, v in datasets.items()}, method="ptuning_v2",
                  max_steps=6, eval_every=3)  # fmt: skip
    values.update(overrides)
    return train_config(tmp_path, "", model, **values)


# ----------------------------------------------------------------------------- settings
def test_tasks_are_read_from_text_and_checked():
    assert TrainConfig(tasks="a=x.csv, b=y.csv").tasks == {"a": "x.csv", "b": "y.csv"}
    for tasks, message in [
        ("a=x.csv", "at least two"),
        ("a=x.csv,a=y.csv", "given twice"),
        ("a,b=y.csv", "not name=dataset"),
        ("a b=x.csv,c=y.csv", "may only hold"),
    ]:
        with pytest.raises(ConfigError, match=message):
            TrainConfig(tasks=tasks)
    with pytest.raises(ConfigError, match="not both"):
        TrainConfig(tasks="a=x.csv,b=y.csv", data="z.csv")


def test_multitask_needs_a_shareable_prompt(tmp_path, datasets, tiny_model_dir):
    with pytest.raises(ConfigError, match="choose prompt_tuning or ptuning_v2 instead of lora"):
        check_config(multitask_config(tmp_path, datasets, tiny_model_dir, method="lora"))
    with pytest.raises(ConfigError, match="starts from fresh weights"):
        check_config(multitask_config(tmp_path, datasets, tiny_model_dir, init_from="x"))


# ------------------------------------------------------------------------- head, data
def test_each_row_is_scored_by_its_own_task_head_only():
    router = TaskRouter()
    heads = [fresh_head(torch.nn.Linear(8, 2), 2, 0.5), fresh_head(torch.nn.Linear(8, 2), 3, 0.5)]
    head = MultiTaskHead(heads, [2, 3], router)
    features = torch.randn(4, 8)
    router.ids = torch.tensor([0, 1, 1, 0])
    logits = head(features)
    assert logits.shape == (4, 5)
    assert torch.allclose(logits[0, :2], heads[0](features[0:1])[0])
    assert torch.allclose(logits[1, 2:], heads[1](features[1:2])[0])
    assert torch.isinf(logits[0, 2:]).all() and torch.isinf(logits[1, :2]).all()
    labels = torch.tensor([1, 2 + 2, 2 + 0, 0])  # joint label ids
    own = F.cross_entropy(heads[1](features[1:2]), torch.tensor([2]))
    assert torch.allclose(F.cross_entropy(logits[1:2], labels[1:2]), own)
    assert torch.isfinite(F.cross_entropy(logits, labels))
    assert copy_shares_router(head, router)


def _step_on_task_zero(every_task: bool) -> list[torch.nn.Module]:
    """Heads of two tasks after a backward pass over rows of task 0 only."""
    router = TaskRouter()
    router.every_task = every_task
    heads = [torch.nn.Linear(8, 2), torch.nn.Linear(8, 3)]
    router.ids = torch.tensor([0, 0])
    logits = MultiTaskHead(heads, [2, 3], router)(torch.randn(2, 8))
    F.cross_entropy(logits, torch.tensor([0, 1])).backward()
    return heads


def test_under_several_processes_every_head_takes_part_in_every_step():
    """A process whose part of the batch has no row of a task runs that task's head on no
    rows: DDP reduces every head's gradient at each step (zero from this process)."""
    alone = _step_on_task_zero(every_task=False)
    assert alone[0].weight.grad is not None and alone[1].weight.grad is None
    together = _step_on_task_zero(every_task=True)
    assert torch.equal(together[1].weight.grad, torch.zeros(3, 8))
    assert together[0].weight.grad.abs().sum() > 0


def test_heads_of_tasks_absent_from_the_whole_batch_get_no_gradient(tmp_path, datasets):
    """As in one process, where such a head never ran: the optimizer leaves it as it is (a
    zero gradient would still move it). A task in another process's part keeps its own."""
    trainer = MultiTaskTrainer(multitask_config(tmp_path, datasets, "x"))
    heads = _step_on_task_zero(every_task=True)
    slot = MultiTaskHead(heads, [2, 3], trainer.router)
    trainer.router.every_task = True
    trainer.train_tasks, trainer.batch_rows = [0, 0, 1, 1], [0, 1]  # the batch: task 0 only
    trainer._unwrapped = lambda: torch.nn.Sequential(slot)  # type: ignore[method-assign]
    trainer._after_backward()
    assert heads[0].weight.grad is not None and heads[1].weight.grad is None
    heads = _step_on_task_zero(every_task=True)
    slot.heads = torch.nn.ModuleList(heads)
    trainer.batch_rows = [0, 2]  # task 1 in the batch, in another process's part
    trainer._after_backward()
    assert torch.equal(heads[1].weight.grad, torch.zeros(3, 8))


def copy_shares_router(head, router):
    import copy

    return copy.deepcopy(head).router is router


def test_combined_data_lays_labels_end_to_end_and_interleaves_validation(datasets):
    bundles = {name: load_data(str(path), seed=0) for name, path in datasets.items()}
    bundle, train_tasks = combine(bundles)
    assert bundle.label_names == [
        "reviews:negative", "reviews:positive", "topics:food", "topics:other", "topics:sport",
    ]  # fmt: skip
    assert len(bundle.train) == sum(len(b.train) for b in bundles.values()) == len(train_tasks)
    first_val = bundle.validation.labels[:4]
    assert {label >= 2 for label in first_val} == {True, False}  # both tasks at the start
    assert isinstance(bundle.validation, TextSplit)


# ------------------------------------------------------------------------------ training
@pytest.mark.train
@pytest.mark.parametrize("method", ["ptuning_v2", "prompt_tuning"])
def test_multitask_run_reports_each_task_and_saves_an_adapter_per_task(
    method, tmp_path, datasets, tiny_model_dir
):
    events: list[dict] = []
    summary = train_unrecorded(multitask_config(tmp_path, datasets, tiny_model_dir, method=method),
                    events.append)  # fmt: skip
    assert summary["status"] == "succeeded", summary.get("error")
    assert set(summary["tasks"]) == {"reviews", "topics"}
    evals = [e for e in events if e.type == "eval"]
    assert all("eval_accuracy_reviews" in e.metrics and "eval_accuracy_topics" in e.metrics
               for e in evals)  # fmt: skip
    tasks = summary["tasks"]
    mean = (tasks["reviews"]["eval_accuracy"] + tasks["topics"]["eval_accuracy"]) / 2
    assert summary["eval_accuracy"] == pytest.approx(mean)
    predictor = Predictor(precision="fp32")
    for name, path in datasets.items():
        adapter = load_adapter(tasks[name]["adapter_path"])
        assert adapter.label_names == tasks[name]["label_names"]
        validation = load_data(str(path), seed=42).validation
        folder = tasks[name]["adapter_path"]
        rows = predictor.predict(validation.texts, [folder])[folder]
        hits = [adapter.label_names.index(r["label"]) == y for r, y in
                zip(rows, validation.labels, strict=True)]  # fmt: skip
        assert sum(hits) / len(hits) == pytest.approx(tasks[name]["eval_accuracy"])


@pytest.mark.train
def test_command_line_takes_several_datasets_and_reports_tasks(
    tmp_path, datasets, tiny_model_dir, capsys
):
    code = main([
        "--data", str(datasets["reviews"]), "--data", str(datasets["topics"]),
        "--model", str(tiny_model_dir), "--method", "ptuning_v2", "--max-steps", "3",
        "--out", str(tmp_path / "run"), "--precision", "fp32", "--quiet",
    ])  # fmt: skip
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0, summary
    assert set(summary["tasks"]) == {"reviews", "topics"}
    assert all("eval_accuracy" in task for task in summary["tasks"].values())
    code = main([
        "--tasks", f"a={datasets['reviews']},b={datasets['topics']}", "--method", "lora",
        "--model", str(tiny_model_dir),
    ])  # fmt: skip
    assert code == 2  # refused before anything is trained, with the reason
    assert "multi-task training shares one prompt" in capsys.readouterr().err


# --------------------------------------------------------------------- starting from one
@pytest.mark.train
@pytest.mark.parametrize("method", ["ptuning_v2", "prompt_tuning"])
def test_a_run_starts_from_an_adapters_weights(method, tmp_path, datasets, tiny_model_dir):
    first = train_unrecorded(train_config(tmp_path / "a", datasets["reviews"], tiny_model_dir,
                               method=method, max_steps=4, lr=0.05))  # fmt: skip
    folder = tmp_path / "a" / "run" / "adapter"
    trained = load_adapter(folder)
    base = load_base(str(tiny_model_dir), trained.label_names).model
    wrapped = METHODS[method].wrap(base, METHODS[method].config_cls.from_dict(
        trained.meta["method_options"]))  # fmt: skip
    assert load_initial_weights(METHODS[method], wrapped, trained.meta, folder,
                                trained.label_names)  # fmt: skip
    ids = torch.tensor([[101, 2204, 3185, 102]])
    with torch.no_grad():
        expected = trained.model(input_ids=ids).logits
        assert torch.allclose(wrapped.eval()(input_ids=ids).logits, expected, atol=1e-5)
    second = train_unrecorded(train_config(tmp_path / "b", datasets["reviews"], tiny_model_dir,
                                method=method, max_steps=2, init_from=str(folder)))  # fmt: skip
    assert first["status"] == second["status"] == "succeeded", second.get("error")


@pytest.mark.train
def test_starting_from_an_adapter_of_another_method_or_model_is_refused(
    tmp_path, datasets, tiny_model_dir
):
    train_unrecorded(
        train_config(
            tmp_path, datasets["reviews"], tiny_model_dir, method="ptuning_v2", max_steps=1
        )
    )
    folder = str(tmp_path / "run" / "adapter")
    cases = [
        ("lora", tiny_model_dir, "trained with ptuning_v2, not lora"),
        ("ptuning_v2", "all-MiniLM-L6-v2", "trained on base model"),
    ]
    for method, model, message in cases:
        run = train_config(
            tmp_path / "x", datasets["topics"], model, init_from=folder, method=method
        )
        summary = train_unrecorded(run)
        assert summary["status"] == "failed" and message in summary["error"]


def test_train_tab_checks_and_estimates_a_multitask_form(
    tmp_path, tmp_path_factory, datasets, tiny_model_dir
):
    from app.shared.errors import FormProblems
    from app.shared.state import AppState
    from app.tabs.train.logic import check_form
    from storage.store import Store

    state = AppState(store=Store(tmp_path / "studio.db"), data_dir=tmp_path_factory.getbasetemp())
    tasks = f"reviews={datasets['reviews']}, topics={datasets['topics']}"
    form = {"data": "", "method": "ptuning_v2", "model": str(tiny_model_dir), "cfg_tasks": tasks}
    plan, command, _yaml = check_form(state, form)
    assert f"--tasks reviews={datasets['reviews']},topics={datasets['topics']}" in command
    assert "--data" not in command
    assert plan
    missing = tmp_path / "nope.csv"
    with pytest.raises(FormProblems, match="topics: .*not found"):
        check_form(state, {**form, "cfg_tasks": f"reviews={datasets['reviews']},topics={missing}"})
    with pytest.raises(FormProblems, match="choose prompt_tuning or ptuning_v2"):
        check_form(state, {**form, "method": "lora"})


@pytest.mark.train
def test_a_stopped_multitask_run_resumes_with_every_task_head(tmp_path, datasets, tiny_model_dir):
    import threading

    stop = threading.Event()

    def stop_at_first_checkpoint(event):
        if event.type == "checkpoint":
            stop.set()

    run = multitask_config(tmp_path, datasets, tiny_model_dir, max_steps=8, eval_every=2,
                           keep_best=False)  # fmt: skip
    first = train_unrecorded(run, stop_at_first_checkpoint, stop)
    assert first["status"] == "stopped", first.get("error")
    resumed = train_unrecorded(run, resume_from=tmp_path / "run" / "checkpoint")
    assert resumed["status"] == "succeeded", resumed.get("error")
    assert resumed["steps"] == 8 and set(resumed["tasks"]) == {"reviews", "topics"}
