"""Looking inside a run: words nearest a learned prompt, and word attributions by occlusion."""

from __future__ import annotations

import pytest
import torch
from conftest import (
    GOOD,
    MOVIE,
    TERRIBLE,
    hinge_model,
    load_tiny_model,
    save_test_adapter,
)
from safetensors.torch import load_file, save_file

from core.analysis.explain import explain, split_words
from core.analysis.inspect_prompt import nearest_words, vocabulary_keys, word_ids
from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.errors import AdapterLoadError, ConfigError, DataError
from core.methods import METHODS
from core.methods.deep_prompt import attention_modules
from core.modeling import load_tokenizer
from core.training.artifacts import save_adapter


# ----------------------------------------------------------------------------- nearest words
def test_a_virtual_token_equal_to_a_word_embedding_finds_that_word(tiny_model_dir, tmp_path):
    method = METHODS["prompt_tuning"]
    options = {"num_virtual_tokens": 3, "init": "random"}
    wrapped = method.wrap(load_tiny_model(tiny_model_dir), method.config_cls(**options))
    table = wrapped.get_input_embeddings().weight
    with torch.no_grad():
        wrapped.prompt_encoder["default"].embedding.weight[1] = table[MOVIE]
    folder = save_test_adapter(wrapped, "prompt_tuning", tiny_model_dir, tmp_path / "a", options)

    tokens = nearest_words(folder, k=4)

    assert [t["index"] for t in tokens] == [0, 1, 2]
    assert all(len(t["words"]) == 4 for t in tokens)
    first = tokens[1]["words"][0]
    assert (first["word"], first["token_id"]) == ("movie", MOVIE)
    assert first["similarity"] == pytest.approx(1.0, abs=1e-5)
    assert tokens[1]["words"][1]["similarity"] < 0.99
    mean_norm = table[word_ids(load_tokenizer(None), table.shape[0])].norm(dim=1).mean()
    assert tokens[1]["norm_ratio"] == pytest.approx(float(table[MOVIE].norm() / mean_norm), 1e-4)


def test_ptuning_v1_is_read_as_the_encoder_output_it_saved(tiny_model_dir, tmp_path):
    method = METHODS["ptuning_v1"]
    options = {"num_virtual_tokens": 4}
    wrapped = method.wrap(load_tiny_model(tiny_model_dir), method.config_cls(**options))
    with torch.no_grad():
        produced = wrapped.get_prompt_embedding_to_save("default").float()
    folder = save_test_adapter(wrapped, "ptuning_v1", tiny_model_dir, tmp_path / "a", options)

    tokens = nearest_words(folder, k=1)

    ids = word_ids(load_tokenizer(None), 30522)
    table = wrapped.get_input_embeddings().weight.detach()[ids]
    cosine = (
        torch.nn.functional.normalize(produced, dim=1)
        @ torch.nn.functional.normalize(table, dim=1).T
    )
    best = cosine.max(dim=1)
    for token, value, column in zip(tokens, best.values, best.indices, strict=True):
        assert token["words"][0]["token_id"] == ids[int(column)]
        assert token["words"][0]["similarity"] == pytest.approx(float(value), abs=1e-5)


def _layer0_key(model, token_id: int) -> torch.Tensor:
    """Independent reference: embeddings, then the first layer's key projection."""
    with torch.no_grad():
        hidden = model.bert.embeddings(input_ids=torch.tensor([[101, token_id]]))[0, 1]
        return attention_modules(model)[0].key(hidden)


@pytest.mark.parametrize(
    ("setting", "held_in"), [("prefix_projection", "prefix"), ("share_encoder", "prefix_init")]
)
def test_a_prefix_key_equal_to_a_words_key_finds_that_word(
    setting, held_in, tiny_model_dir, tmp_path
):
    method = METHODS["ptuning_v2"]
    options = {"num_virtual_tokens": 4, setting: True}
    model = load_tiny_model(tiny_model_dir)
    wrapped = method.wrap(model, method.config_cls(**options))
    heads, head_dim = wrapped.heads, wrapped.head_dim
    with torch.no_grad():  # both parameterisations start exactly at the held prefix
        getattr(wrapped, held_in)[0, :, 2, :] = _layer0_key(model, GOOD).view(heads, head_dim)
    folder = save_test_adapter(wrapped, "ptuning_v2", tiny_model_dir, tmp_path / "a", options)

    tokens = nearest_words(folder, k=3)

    assert len(tokens) == 4
    first = tokens[2]["words"][0]
    assert (first["word"], first["token_id"]) == ("good", GOOD)
    assert first["similarity"] == pytest.approx(1.0, abs=1e-5)
    assert tokens[2]["words"][1]["similarity"] < 0.99


def test_vocabulary_keys_match_an_independent_computation(tiny_model_dir):
    method = METHODS["ptuning_v2"]
    model = load_tiny_model(tiny_model_dir)
    method.wrap(model, method.config_cls(num_virtual_tokens=2))
    keys = vocabulary_keys(model, [MOVIE, GOOD, TERRIBLE], start_id=101)
    for row, token in enumerate([MOVIE, GOOD, TERRIBLE]):
        torch.testing.assert_close(keys[row], _layer0_key(model, token))


def test_word_neighbours_leave_out_special_and_unused_tokens():
    tokenizer = load_tokenizer(None)
    ids = set(word_ids(tokenizer, 30522))
    assert not ids & set(tokenizer.all_special_ids)
    assert not ids & {1, 2, 998}  # [unused0], [unused1], [unused993]
    assert {MOVIE, GOOD, 999} <= ids  # "!" is a word like any other
    assert len(word_ids(tokenizer, 500)) < 500  # rows past the embedding matrix are not named


def test_word_neighbours_exist_only_for_prompt_methods(tiny_model_dir, tmp_path):
    method = METHODS["lora"]
    folder = save_test_adapter(
        method.wrap(load_tiny_model(tiny_model_dir), method.config_cls()),
        "lora",
        tiny_model_dir,
        tmp_path,
    )
    with pytest.raises(ConfigError, match="this run uses lora; word neighbours exist only for "
                       "prompt methods: prompt_tuning, ptuning_v1, ptuning_v2"):  # fmt: skip
        nearest_words(folder)


def test_word_neighbours_reject_a_bad_count_and_a_broken_folder(tiny_model_dir, tmp_path):
    method = METHODS["prompt_tuning"]
    options = {"num_virtual_tokens": 2, "init": "random"}
    wrapped = method.wrap(load_tiny_model(tiny_model_dir), method.config_cls(**options))
    folder = save_test_adapter(wrapped, "prompt_tuning", tiny_model_dir, tmp_path / "a", options)
    with pytest.raises(ConfigError, match="k=0 is out of range; ask for 1 to 50"):
        nearest_words(folder, k=0)
    with pytest.raises(AdapterLoadError, match="not a PTune Studio adapter folder"):
        nearest_words(tmp_path)
    weights = folder / "adapter_model.safetensors"
    tensors = load_file(str(weights))
    tensors["prompt_embeddings"] = torch.zeros(2, 7)
    save_file(tensors, str(weights))
    with pytest.raises(AdapterLoadError, match=r"shape \(2, 7\) do not fit .* width 32"):
        nearest_words(folder)
    del tensors["prompt_embeddings"]
    save_file(tensors, str(weights))
    with pytest.raises(AdapterLoadError, match="holds no prompt_embeddings"):
        nearest_words(folder)


def test_the_embedded_model_names_the_words_a_text_prompt_started_from(tmp_path):
    from core.modeling import load_base

    method = METHODS["prompt_tuning"]
    options = {"num_virtual_tokens": 4, "init": "text", "init_text": "great movie"}
    wrapped = method.wrap(load_base(None, ["neg", "pos"]).model, method.config_cls(**options))
    config = TrainConfig(data="x.csv", method="prompt_tuning", method_options=options)
    save_adapter(tmp_path, wrapped, config, ["neg", "pos"], max_length=64)

    tokens = nearest_words(tmp_path, k=2)

    # The init text is tokenized as [CLS] great movie [SEP]; the special tokens are not named.
    assert [t["words"][0]["word"] for t in tokens[1:3]] == ["great", "movie"]
    assert all(t["words"][0]["similarity"] > 0.999 for t in tokens[1:3])


# ----------------------------------------------------------------------------- word splitting
def _units(text: str) -> list[str]:
    return [text[start:end] for start, end in split_words(text)]


def test_english_splits_into_words_and_punctuation():
    assert _units("The film wasn't well-made... at all!!  3.5 stars.") == [
        "The", "film", "wasn't", "well-made", "...", "at", "all", "!!", "3.5", "stars", ".",
    ]  # fmt: skip


def test_chinese_and_other_unspaced_text_splits_into_characters():
    assert _units("服务很好，房间干净。") == list("服务很好，房间干净。")
    assert _units("iPhone很好用, 5星") == ["iPhone", "很", "好", "用", ",", "5", "星"]
    assert _units("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]  # combining marks stay in the word
    assert _units("  \n ") == []


# ----------------------------------------------------------------------------- occlusion
@pytest.fixture()
def predictor() -> Predictor:
    return Predictor(precision="fp32")


def test_the_word_a_prediction_hinges_on_gets_the_largest_attribution(
    tiny_model_dir, tmp_path, predictor
):
    folder = hinge_model(tiny_model_dir, tmp_path / "hinge")
    text = "The plot was terrible, honestly."

    result = explain(predictor, folder, text)

    assert result["label"] == "neg" and result["probability"] > 0.9
    assert [w for w, _ in result["words"]] == ["The", "plot", "was", "terrible", ",", "honestly",
                                              "."]  # fmt: skip
    scores = dict(result["words"])
    assert max(scores, key=scores.get) == "terrible"
    assert scores["terrible"] > 0.5
    assert all(abs(s) < 0.1 for w, s in result["words"] if w != "terrible")
    assert [text[a:b] for a, b in result["spans"]] == [w for w, _ in result["words"]]
    assert result["truncated"] is False
    without = predictor.predict(["The plot was , honestly."], [folder])[str(folder)][0]
    assert without["label"] == "pos"


@pytest.mark.parametrize("name", ["prompt_tuning", "ptuning_v2"])
def test_attributions_are_the_probability_drop_without_each_word(
    name, tiny_model_dir, tmp_path, predictor
):
    method = METHODS[name]
    wrapped = method.wrap(load_tiny_model(tiny_model_dir), method.config_cls(num_virtual_tokens=3))
    with torch.no_grad():
        for p in wrapped.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.5)
    folder = save_test_adapter(
        wrapped, name, tiny_model_dir, tmp_path / name, {"num_virtual_tokens": 3}
    )
    text = "a warm film"

    result = explain(predictor, folder, text)

    texts = [text, " warm film", "a  film", "a warm "]
    rows = predictor.predict(texts, [folder])[str(folder)]
    assert result["label"] == rows[0]["label"]
    assert result["probability"] == pytest.approx(rows[0]["score"], abs=1e-5)
    expected = [rows[0]["score"] - r["probabilities"][result["label"]] for r in rows[1:]]
    assert [s for _, s in result["words"]] == pytest.approx(expected, abs=1e-5)


def test_explanations_refuse_empty_and_overlong_texts(tiny_model_dir, tmp_path, predictor):
    folder = tmp_path / "not-loaded"
    with pytest.raises(DataError, match="there are no words to explain"):
        explain(predictor, folder, "  ")
    with pytest.raises(DataError, match="has 5 words and punctuation marks; an explanation "
                       "takes up to 4: shorten the text"):  # fmt: skip
        explain(predictor, folder, "one two three four five", max_words=4)


def test_a_text_longer_than_the_model_reads_is_flagged(tiny_model_dir, tmp_path, predictor):
    folder = hinge_model(tiny_model_dir, tmp_path / "hinge")
    result = explain(predictor, folder, " ".join(["fine"] * 60) + " terrible")
    assert result["truncated"] is True
    assert dict(result["words"])["terrible"] == pytest.approx(0.0, abs=1e-6)  # cut off
