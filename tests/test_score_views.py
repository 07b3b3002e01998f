"""Every view names and shows the score each task is judged by: the Monitor's runs, few-shot
curves, sweeps and Compare, for stored runs of a score (Pearson), several labels per text
(macro-F1) and tagged words (entity F1) beside one label per text (accuracy). The runs are
stored without training, with the metrics a finished run of each task records."""

from __future__ import annotations

from app.i18n.catalog import ZH_MESSAGES
from app.i18n.scores import score_name, score_text, score_title
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
