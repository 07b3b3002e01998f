"""Every view names and shows the score each task is judged by: the Monitor's runs, few-shot
curves, sweeps and Compare, for stored runs of a score (Pearson), several labels per text
(macro-F1) and tagged words (entity F1) beside one label per text (accuracy). The runs are
stored without training, with the metrics a finished run of each task records."""

from __future__ import annotations

import pytest

from app.i18n.catalog import ZH_MESSAGES
from app.i18n.scores import score_name, score_text, score_title
from app.shared.state import AppState
from app.tabs.compare.logic import show_comparison
from app.tabs.fewshot.view import FEWSHOT
from app.tabs.monitor.runs import runs_table
from app.tabs.sweep.view import SWEEP
from core import sweep, tasks
from core.training.events import PointFinished
from storage.store import Store

STORED = {  # task: (final metrics, the score shown, its name, as a column title)
    "regression": ({"eval_pearson": 0.871, "eval_spearman": 0.85, "eval_mse": 0.4},
                   0.871, "Pearson", "Pearson"),
    "multi_label": ({"eval_accuracy": 0.2, "eval_f1": 0.452, "eval_micro_f1": 0.6},
                    0.452, "macro-F1", "Macro-F1"),
    "tagging": ({"eval_accuracy": 0.95, "eval_f1": 0.903}, 0.903, "entity F1", "Entity F1"),
    "single_label": ({"eval_accuracy": 0.912, "eval_f1": 0.9}, 0.912, "accuracy", "Accuracy"),
}  # fmt: skip
OTHER_TASKS = ["regression", "multi_label", "tagging"]


def metrics_of(task: str, **extra: object) -> dict:
    return {**STORED[task][0], "task": task, "train_seconds": 12.0, **extra}


def scored(task: str, shift: float) -> dict:
    """The metrics of a run of ``task`` whose score is ``shift`` above the stored one."""
    return metrics_of(task, **{tasks.get_task(task).best_metric: STORED[task][1] + shift})


def stored_run(store: Store, task: str, **fields: object) -> int:
    """A finished run of ``task`` with the metrics its training records."""
    config = {"method": "lora", "lr": 0.001, "task": task, **fields.pop("config", {})}
    run_id = store.create_run(name=f"{task} run", method="lora", base_model="m",
                              dataset="d.csv", config=config, **fields)  # fmt: skip
    store.finish_run(run_id, "succeeded", metrics=metrics_of(task, steps=10))
    return run_id


# ----------------------------------------------------------------------------- the names
def test_each_task_names_its_score_in_english_and_chinese():
    for name, task in tasks.TASKS.items():
        expected = STORED.get(name, STORED["single_label"])[2]  # a pair is judged by accuracy
        assert tasks.score_name(name) == task.score_name == expected
        assert task.score_name in ZH_MESSAGES
    assert tasks.score_name(None) == tasks.score_name("from-a-later-version") == "accuracy"
    assert score_name("regression", "zh") == "Pearson 相关系数"
    assert score_title("multi_label") == "Macro-F1" and score_title("tagging") == "Entity F1"
    assert score_text(0.8714, "regression") == "0.871 Pearson" and score_text(None, None) == ""


# ----------------------------------------------------------------------------- Monitor
def test_the_monitor_shows_each_runs_score_with_its_name(state):
    ids = {task: stored_run(state.store, task) for task in STORED}
    failed = state.store.create_run(name="f", method="lora", base_model="m", dataset="d.csv",
                                    config={"lr": 1})  # fmt: skip
    state.store.finish_run(failed, "failed", error="out of memory: lower the batch size")
    table = runs_table(state, state.store.list_runs()).set_index("ID")
    assert "Score" in table.columns and "Accuracy" not in table.columns
    assert table.loc[ids["regression"], "Score"] == "0.871 Pearson"
    assert table.loc[ids["multi_label"], "Score"] == "0.452 macro-F1"  # not exact match, 0.2
    assert table.loc[ids["tagging"], "Score"] == "0.903 entity F1"  # not word accuracy, 0.95
    assert table.loc[ids["single_label"], "Score"] == "0.912 accuracy"
    assert table.loc[failed, "Score"] == ""
    chinese = runs_table(AppState(store=state.store, lang="zh"), state.store.list_runs())
    assert "得分" in chinese.columns
    assert {"0.871 Pearson 相关系数", "0.452 宏平均 F1"} <= set(chinese["得分"])


def test_the_run_pickers_name_each_runs_score(state):
    from app.shared.actions import run_choices

    ids = {task: stored_run(state.store, task) for task in STORED}
    labels = {run_id: label for label, run_id in run_choices(state)}
    assert labels[ids["single_label"]] == f"#{ids['single_label']} single_label run (lora, 91%)"
    assert labels[ids["regression"]].endswith("(lora, 0.87 Pearson)")
    assert labels[ids["multi_label"]].endswith("(lora, 0.45 macro-F1)")  # not exact match
    assert labels[ids["tagging"]].endswith("(lora, 0.90 entity F1)")


def test_a_run_stored_before_task_types_shows_its_accuracy(state):
    run_id = state.store.create_run(name="old", method="lora", base_model="m", dataset="d.csv",
                                    config={"lr": 1})  # fmt: skip
    state.store.finish_run(run_id, "succeeded", metrics={"eval_accuracy": 0.8})
    assert runs_table(state, state.store.list_runs()).iloc[0]["Score"] == "0.800 accuracy"


# ----------------------------------------------------------------------------- Few-shot
def stored_experiment(store: Store, task: str) -> int:
    """A finished few-shot experiment of ``task``: LoRA at k=8 with two seeds."""
    experiment_id = store.create_sweep(
        name="curve", method="lora", dataset="d.csv", kind="fewshot",
        config={"task": "auto"}, grid={"methods": ["lora"], "shots": [8], "seeds": [1, 2],
                                       "steps": 5},
    )  # fmt: skip
    for seed, shift in ((1, 0.0), (2, 0.02)):
        config = {"method": "lora", "shots_per_class": 8, "seed": seed, "task": task}
        run_id = store.create_run(name=f"k=8 seed {seed}", method="lora", base_model="m",
                                  dataset="d.csv", config=config,
                                  sweep_id=experiment_id)  # fmt: skip
        store.finish_run(run_id, "succeeded", metrics=scored(task, shift))
    store.finish_sweep(experiment_id, "succeeded")
    return experiment_id


@pytest.mark.parametrize("task", OTHER_TASKS)
def test_a_few_shot_curve_plots_and_tabulates_its_tasks_score(state, task):
    _, score, name, title = STORED[task]
    experiment_id = stored_experiment(state.store, task)
    _, curve, runs, figure, *_ = FEWSHOT.show(state, None, experiment_id)
    assert list(runs[title]) == [f"{score:.4f}", f"{score + 0.02:.4f}"]
    assert "Accuracy" not in runs.columns
    assert list(curve.iloc[0])[1] == f"{score + 0.01:.3f} ± 0.014 (2/2)"
    assert list(curve.columns) == [f"Method ({name})", "8"]  # the cells' score, named
    mean, seeds = figure.data
    assert list(mean.y) == pytest.approx([score + 0.01])
    assert f"mean {name} {score + 0.01:.4f}" in mean.hovertext[0]
    assert seeds.hovertext[0].endswith(f": {name} {score:.4f}")
    assert figure.layout.yaxis.title.text == f"Validation {name}"
    assert figure.layout.title.text == f"Validation {name} by examples per class"
    chinese = FEWSHOT.show(AppState(store=state.store, lang="zh"), None, experiment_id)[3]
    assert chinese.layout.yaxis.title.text == f"验证集{score_name(task, 'zh')}"


def test_the_few_shot_results_carry_the_score_and_the_task(state):
    from core.fewshot import fewshot_results

    outcome = fewshot_results(state.store, stored_experiment(state.store, "multi_label"))
    assert outcome["task"] == "multi_label"
    assert [r["score"] for r in outcome["runs"]] == pytest.approx([0.452, 0.472])
    (entry,) = outcome["curve"]
    assert (entry["score_min"], entry["score_max"]) == pytest.approx((0.452, 0.472))
    assert "accuracy_mean" not in entry and "eval_accuracy" not in outcome["runs"][0]


def test_a_negative_correlation_stays_on_the_few_shot_chart(state):
    from app.tabs.fewshot.plots import y_range

    outcome = {"curve": [{"score_min": -0.3, "score_max": 0.2}]}
    assert y_range(outcome) == pytest.approx([-0.35, 0.25])


# ----------------------------------------------------------------------------- Sweep
def stored_sweep(store: Store, task: str) -> tuple[int, int]:
    """A finished sweep of ``task`` over two learning rates; the id of its best run."""
    sweep_id = store.create_sweep(name="grid", method="ptuning_v2", dataset="d.csv",
                                  grid={"num_virtual_tokens": [10], "lr": [0.003, 0.01]},
                                  config={})  # fmt: skip
    best = 0
    for lr, shift in ((0.003, -0.1), (0.01, 0.0)):
        config = {"lr": lr, "method": "ptuning_v2", "method_options": {"num_virtual_tokens": 10}}
        best = store.create_run(name=sweep.point_name(sweep_id, 10, lr), method="ptuning_v2",
                                base_model="m", dataset="d.csv", config=config,
                                sweep_id=sweep_id)  # fmt: skip
        store.finish_run(best, "succeeded", metrics=scored(task, shift))
    store.finish_sweep(sweep_id, "succeeded")
    return sweep_id, best


@pytest.mark.parametrize("task", OTHER_TASKS)
def test_a_sweep_ranks_tabulates_and_plots_its_tasks_score(state, task):
    _, score, name, title = STORED[task]
    sweep_id, best = stored_sweep(state.store, task)
    status, table, figure, *_ = SWEEP.show(state, None, sweep_id)
    assert f" · best: run #{best}, P=10, lr=0.01, {name} {score:.4f}" in status
    assert list(table[title]) == [f"{score - 0.1:.4f}", f"{score:.4f}"]
    assert list(table["Best"]) == ["", "★ best"]
    line, star = figure.data
    assert list(line.y) == pytest.approx([score - 0.1, score]) and star.y[0] == score
    assert figure.layout.yaxis.title.text == f"Validation {name}"


def test_a_sweep_heatmap_names_its_tasks_score():
    from app.tabs.sweep.plots import sweep_figure

    results = [
        {"num_virtual_tokens": n, "lr": lr, "score": 0.5 + n / 100, "eval_accuracy": None,
         "task": "regression", "status": "succeeded", "run_id": n * 10 + i}
        for n in (10, 20) for i, lr in enumerate((0.003, 0.01))
    ]  # fmt: skip
    (heat,) = sweep_figure(results, results[-1]).data
    assert heat.colorbar.title.text == "Validation Pearson" and "Pearson" in heat.hovertemplate
    assert [list(row) for row in heat.z] == [[0.6, 0.7], [0.6, 0.7]]


def test_the_command_line_names_each_finished_points_score(capsys):
    from core.cli import PointLines

    lines = PointLines(True, lambda r: f"lr={r['lr']:g}")
    result = {"lr": 0.01, "status": "succeeded", "task": "regression", "score": 0.61}
    lines(PointFinished("sweep", 1, 0, 2, 1, result))
    lines(PointFinished("sweep", 1, 1, 2, 2, {**result, "task": None, "score": 0.84}))
    lines(PointFinished("sweep", 1, 1, 2, 2, {**result, "status": "failed", "score": None}))
    err = capsys.readouterr().err
    assert "run 1 of 2 (lr=0.01): succeeded, Pearson 0.6100" in err
    assert "run 2 of 2 (lr=0.01): succeeded, accuracy 0.8400" in err
    assert "run 2 of 2 (lr=0.01): failed\n" in err


# ----------------------------------------------------------------------------- Compare
def transfer(store: Store, run_id: int, dataset: str, **values: float) -> None:
    """A cached generalisation result of ``run_id`` on ``dataset`` (at its final step)."""
    store.append_metrics(run_id, [
        {"step": 10, "split": "transfer", "name": f"{metric}:{dataset}", "value": value}
        for metric, value in {**values, "rows": 30}.items()
    ])  # fmt: skip


@pytest.mark.parametrize("task", OTHER_TASKS)
def test_compare_titles_and_shows_the_runs_shared_score(state, task):
    _, score, name, title = STORED[task]
    runs = [stored_run(state.store, task) for _ in range(2)]
    transfer(state.store, runs[0], "other-data", accuracy=0.1, macro_f1=0.4, pearson=0.3)
    table, figure, warnings = show_comparison(state, runs)
    assert warnings == []
    assert list(table[f"Dev {name}"]) == [f"{score:.3f} {name}"] * 2
    assert f"Time to best {name}" in table.columns
    other = {"macro-F1": 0.4, "entity F1": 0.4, "Pearson": 0.3}[name]
    assert list(table[f"{title} on other-data"]) == [f"{other:.3f} {name}", ""]
    bars = [t for t in figure.data if t.type == "bar" and list(t.x) == ["dev", "other-data"]]
    assert list(bars[0].y) == pytest.approx([score, other]) and name in bars[0].hovertemplate
    titles = [a.text for a in figure.layout.annotations]
    assert f"{title}: dev and second datasets" in titles
    assert f"Trainable share vs dev {name} (bubble: adapter size)" in titles
    assert figure.layout.yaxis6.title.text == f"dev {name}"


def test_compare_of_runs_of_several_tasks_names_each_score(state):
    runs = [stored_run(state.store, task) for task in ("single_label", "regression")]
    table, figure, _ = show_comparison(state, runs)
    assert list(table["Dev score"]) == ["0.912 accuracy", "0.871 Pearson"]
    assert "Score: dev and second datasets" in [a.text for a in figure.layout.annotations]
    chinese, _, _ = show_comparison(AppState(store=state.store, lang="zh"), runs)
    assert list(chinese["验证集得分"]) == ["0.912 准确率", "0.871 Pearson 相关系数"]


def test_compare_of_runs_judged_by_accuracy_reads_as_before(state):
    runs = [stored_run(state.store, "single_label") for _ in range(2)]
    table, figure, _ = show_comparison(state, runs)
    assert list(table["Dev accuracy"]) == ["91.2%", "91.2%"]
    assert "Accuracy: dev and second datasets" in [a.text for a in figure.layout.annotations]
    assert figure.layout.yaxis5.tickformat == ".0%"
