"""The settings machinery: each field says its kind, the one answer the checks, the app's forms
and the command line use; defaults that other modules use live in the settings."""

from __future__ import annotations

import dataclasses

from core.config import TrainConfig, field_kind
from core.fewshot.plan import FewShotConfig


def test_each_field_says_its_kind():
    kinds = {f.name: field_kind(f) for f in dataclasses.fields(TrainConfig)}
    assert (kinds["batch_size"].name, kinds["batch_size"].optional) == ("int", False)
    assert (kinds["epochs"].name, kinds["epochs"].optional) == ("float", True)
    assert kinds["keep_best"].name == "bool" and kinds["keep_best"].number is None
    assert kinds["precision"].name == "choice" and kinds["precision"].is_text
    assert (kinds["name"].name, kinds["name"].optional) == ("text", True)
    assert kinds["tasks"].name == kinds["method_options"].name == "mapping"
    plan = {f.name: field_kind(f).name for f in dataclasses.fields(FewShotConfig)}
    assert (plan["shots"], plan["base"], plan["seeds"]) == ("sequence", "other", "int")


def test_a_kind_is_read_from_real_annotations_too():
    plain = dataclasses.make_dataclass(
        "Plain",
        [("count", int | None, None), ("ratio", float, 0.5), ("words", tuple[str, ...], ())],
    )  # types, not the text that `from __future__ import annotations` leaves
    kinds = {f.name: field_kind(f) for f in dataclasses.fields(plain)}
    assert (kinds["count"].number, kinds["count"].optional) == ("int", True)
    assert (kinds["ratio"].number, kinds["words"].name) == ("float", "sequence")


def test_the_form_rows_carry_the_kind():
    rows = {row["name"]: row for row in TrainConfig.describe()}
    assert rows["lr"]["kind"].number == "float" and rows["lr"]["kind"].optional


def test_defaults_live_in_the_settings():
    from app.shared.state import AppState
    from core.data import splits
    from core.modeling import DEFAULT_MODEL

    rows = {row["name"]: row for row in TrainConfig.describe()}
    assert (rows["max_train_rows"]["min"], rows["shots_per_class"]["min"]) == (
        splits.MIN_TRAIN_ROWS,
        splits.MIN_PER_CLASS,
    )
    fields = {f.name: f for f in dataclasses.fields(AppState)}
    assert fields["default_method"].default == TrainConfig.method
    assert fields["default_model"].default == TrainConfig.model == DEFAULT_MODEL
