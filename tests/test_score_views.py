"""Every view names and shows the score each task is judged by: the Monitor's runs, few-shot
curves, sweeps and Compare, for stored runs of a score (Pearson), several labels per text
(macro-F1) and tagged words (entity F1) beside one label per text (accuracy). The runs are
stored without training, with the metrics a finished run of each task records."""

from __future__ import annotations

from app.i18n.catalog import ZH_MESSAGES
from app.i18n.scores import score_name, score_text, score_title
from app.shared.state import AppState
from app.tabs.monitor.runs import runs_table
from core import tasks
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


def test_a_run_stored_before_task_types_shows_its_accuracy(state):
    run_id = state.store.create_run(name="old", method="lora", base_model="m", dataset="d.csv",
                                    config={"lr": 1})  # fmt: skip
    state.store.finish_run(run_id, "succeeded", metrics={"eval_accuracy": 0.8})
    assert runs_table(state, state.store.list_runs()).iloc[0]["Score"] == "0.800 accuracy"
