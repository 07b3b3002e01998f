"""Word attributions ("Why?") for every task a run can train: a pair's two texts word by word,
a score's number, the labels a multi-label run predicts, and the refusals (a tagger, a text
missing or extra)."""

from __future__ import annotations

import pytest
from conftest import hinge_model

from core.analysis.explain import explain
from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.errors import DataError, InputError
from core.training.artifacts import save_adapter

FIRST, SECOND = "A calm evening.", "The plot was terrible."


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor(precision="fp32")


@pytest.fixture(scope="module")
def pair_folder(tiny_model_dir, tmp_path_factory):
    return hinge_model(tiny_model_dir, tmp_path_factory.mktemp("pair") / "a", task="pair")


def _cut(text: str, start: int, end: int) -> str:
    return text[:start] + text[end:]


def _without_each(predictor: Predictor, folder, text: str, spans) -> list[dict]:
    """Predictions of ``text``, then of ``text`` with each span taken out in turn."""
    texts = [text, *(_cut(text, a, b) for a, b in spans)]
    return predictor.predict(texts, [folder])[str(folder)]


def test_a_pair_is_explained_word_by_word_in_both_texts(pair_folder, predictor):
    result = explain(predictor, pair_folder, FIRST, text_pair=SECOND)

    assert result["kind"] == "class" and result["label"] == "neg"
    assert result["texts"] == [FIRST, SECOND]
    assert result["parts"] == [0, 0, 0, 0, 1, 1, 1, 1, 1]
    words = [w for w, _ in result["words"]]
    assert words == ["A", "calm", "evening", ".", "The", "plot", "was", "terrible", "."]
    texts = result["texts"]
    spans = zip(result["parts"], result["spans"], strict=True)
    assert [texts[part][a:b] for part, (a, b) in spans] == words
    scores = [s for _, s in result["words"]]
    assert scores.index(max(scores)) == 7 and scores[7] > 0.5  # 'terrible', in the second text
    # each attribution is the drop of the label's probability with the word taken out of its
    # own text, the other text kept: the model sees the pair
    variants = [
        (_cut(FIRST, a, b), SECOND) if part == 0 else (FIRST, _cut(SECOND, a, b))
        for part, (a, b) in zip(result["parts"], result["spans"], strict=True)
    ]
    rows = predictor.predict([(FIRST, SECOND), *variants], [pair_folder])[str(pair_folder)]
    assert result["probability"] == pytest.approx(rows[0]["score"], abs=1e-5)
    expected = [rows[0]["score"] - row["probabilities"]["neg"] for row in rows[1:]]
    assert scores == pytest.approx(expected, abs=1e-5)


def test_the_only_word_of_a_second_text_can_be_taken_out(pair_folder, predictor):
    result = explain(predictor, pair_folder, "Was it good?", text_pair="terrible")
    assert result["words"][-1][0] == "terrible" and result["parts"][-1] == 1
    assert result["spans"][-1] == (0, 8)
    assert result["words"][-1][1] > 0.5


def test_a_pair_run_needs_both_texts_and_a_one_text_run_only_one(
    pair_folder, tiny_model_dir, tmp_path, predictor
):
    with pytest.raises(InputError, match="this run classifies text pairs: give both texts"):
        explain(predictor, pair_folder, FIRST)
    with pytest.raises(InputError, match="this run classifies text pairs: give both texts"):
        explain(predictor, pair_folder, FIRST, text_pair="   ")
    single = hinge_model(tiny_model_dir, tmp_path / "single")
    with pytest.raises(InputError, match="this run classifies single texts"):
        explain(predictor, single, FIRST, text_pair=SECOND)
    with pytest.raises(DataError, match="the text has 9 words and punctuation marks; an "
                       "explanation takes up to 8"):  # fmt: skip
        explain(predictor, pair_folder, FIRST, max_words=8, text_pair=SECOND)


def test_a_score_is_explained_by_how_each_word_moves_it(tiny_model_dir, tmp_path, predictor):
    folder = hinge_model(tiny_model_dir, tmp_path / "score", task="regression",
                         labels=["score"], bias=[1.0])  # fmt: skip

    result = explain(predictor, folder, SECOND)

    rows = _without_each(predictor, folder, SECOND, result["spans"])
    assert result["kind"] == "number" and result["probability"] is None
    assert result["value"] == pytest.approx(rows[0]["score"], abs=1e-4)
    assert result["label"] == f"{result['value']:.3f}"
    scores = dict(result["words"])
    assert scores["terrible"] > 5  # it raised the score...
    assert all(s < 0 for w, s in result["words"] if w != "terrible")  # ...others diluted it
    expected = [rows[0]["score"] - row["score"] for row in rows[1:]]
    assert [s for _, s in result["words"]] == pytest.approx(expected, abs=1e-4)


def test_a_score_of_a_pair_takes_both_texts(tiny_model_dir, tmp_path, predictor):
    folder = hinge_model(tiny_model_dir, tmp_path / "pair-score", task="regression",
                         labels=["score"], bias=[1.0], inputs=["text", "text_pair"])  # fmt: skip
    result = explain(predictor, folder, FIRST, text_pair=SECOND)
    assert result["kind"] == "number" and result["parts"][-2:] == [1, 1]
    assert max(result["words"], key=lambda w: w[1])[0] == "terrible"
    with pytest.raises(InputError, match="this run classifies text pairs"):
        explain(predictor, folder, FIRST)


def test_several_labels_are_explained_toward_the_labels_predicted(
    tiny_model_dir, tmp_path, predictor
):
    folder = hinge_model(tiny_model_dir, tmp_path / "multi", task="multi_label",
                         bias=[-1.0, 1.0])  # fmt: skip

    result = explain(predictor, folder, SECOND)

    rows = _without_each(predictor, folder, SECOND, result["spans"])
    assert rows[0]["labels"] == ["neg", "pos"]
    assert result["kind"] == "set" and result["label"] == "neg, pos"
    full = rows[0]["probabilities"]
    assert result["toward"] == [("neg", pytest.approx(full["neg"], abs=1e-5)),
                                ("pos", pytest.approx(full["pos"], abs=1e-5))]  # fmt: skip
    mean = (full["neg"] + full["pos"]) / 2  # sigmoids, not a softmax over the labels
    assert result["probability"] == pytest.approx(mean, abs=1e-5)
    expected = [mean - sum(row["probabilities"].values()) / 2 for row in rows[1:]]
    assert [s for _, s in result["words"]] == pytest.approx(expected, abs=1e-5)
    assert max(result["words"], key=lambda w: w[1])[0] == "terrible"


def test_a_multi_label_run_predicting_none_is_explained_toward_its_likeliest(
    tiny_model_dir, tmp_path, predictor
):
    folder = hinge_model(tiny_model_dir, tmp_path / "none", task="multi_label",
                         bias=[-3.0, -2.0])  # fmt: skip
    result = explain(predictor, folder, FIRST)
    assert result["label"] == "" and [name for name, _ in result["toward"]] == ["pos"]
    assert result["toward"][0][1] == pytest.approx(0.1192, abs=1e-3)  # sigmoid(-2)


def test_a_tagger_is_refused_with_the_reason(tiny_model_dir, tmp_path, predictor):
    from transformers import AutoModelForTokenClassification

    model = AutoModelForTokenClassification.from_pretrained(tiny_model_dir, num_labels=2)
    config = TrainConfig(data="x.txt", method="full", model=str(tiny_model_dir))
    folder = tmp_path / "tagger"
    save_adapter(folder, model, config, ["O", "B-PER"], max_length=48, task="tagging")
    refusal = "this run tags words: its answer is a tag per word already.*'Why\\?' explains"
    with pytest.raises(InputError, match=refusal):
        explain(predictor, folder, "Anna visited Paris")
