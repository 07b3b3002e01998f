"""A label column of measurements (continuous numbers) chosen for a classification is named as
such; numbers that are classes still train."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from app.shared.errors import FormProblems
from app.tabs.train.logic import check_form
from core.data.loading import load_data
from core.errors import DataError

CONTINUOUS = (
    r"the label column 'score' looks continuous: it holds 60 distinct numbers such as "
    r"0\.37, 1\.52, .*Classification needs a small set of classes - choose another label "
    r"column, or bin the values into a few classes"
)


def scores_csv(path: Path, rows: int = 60) -> Path:
    """Reviews with a continuous ``score`` column (0.37, 1.52, then more distinct values)."""
    rng = random.Random(0)
    values = [0.37, 1.52] + [round(rng.uniform(0, 5), 2) for _ in range(rows * 3)]
    distinct = list(dict.fromkeys(v for v in values if not float(v).is_integer()))[:rows]
    lines = ["review,score"] + [
        f"review number {i} of the film,{v}" for i, v in enumerate(distinct)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_continuous_labels_are_named_with_what_to_do(tmp_path):
    with pytest.raises(DataError, match=CONTINUOUS):
        load_data(scores_csv(tmp_path / "scores.csv"), label_column="score", task="single_label")


def test_continuous_floats_read_from_json_are_named_too(tmp_path):
    path = tmp_path / "scores.jsonl"
    rows = [{"text": f"film {i}", "label": 0.1 + i * 0.37} for i in range(12)]
    path.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    with pytest.raises(DataError, match="'label' looks continuous: it holds 12 distinct numbers"):
        load_data(path, task="single_label")  # few rows, yet not "the data is too small"


@pytest.mark.parametrize(
    ("labels", "names"),
    [
        ((0.0, 1.0), ["0", "1"]),  # whole numbers written as floats
        (("0.0", "1.0", "2.0"), ["0", "1", "2"]),
        ((0.5, 1.5, 2.5), ["0.5", "1.5", "2.5"]),  # a few steps of a rating
    ],
)
def test_numbers_that_are_classes_still_train(tmp_path, labels, names):
    path = tmp_path / "d.csv"
    lines = ["text,label"] + [f"example {i},{labels[i % len(labels)]}" for i in range(30)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert load_data(path).label_names == names


def test_the_train_tab_check_names_a_continuous_label_column(state, tiny_model_dir, tmp_path):
    values = {
        "data": str(scores_csv(tmp_path / "scores.csv")), "method": "lora",
        "model": str(tiny_model_dir), "label_column": "score", "task": "single_label",
    }  # fmt: skip
    with pytest.raises(FormProblems, match=CONTINUOUS) as caught:
        check_form(state, values)
    assert [p.setting for p in caught.value.problems] == ["data"]
