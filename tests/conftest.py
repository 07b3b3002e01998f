"""Shared fixtures: the read-only datasets beside the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(
    os.environ.get("PTUNE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def shared_path(*parts: str) -> Path:
    """Return a path under ../shared/data; skip (or fail on CI) when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        reason = f"shared dataset {path} is not on this machine"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must provide ../shared/data")
        pytest.skip(reason)
    return path


def _tokenizer():
    from core.modeling import load_tokenizer

    return load_tokenizer(None)  # the embedded MiniLM WordPiece tokenizer, no network


def tiny_config(model_type: str = "bert", num_labels: int = 2):
    """A 2-layer random encoder config sized for tests (vocab of the MiniLM tokenizer)."""
    from transformers import BertConfig, DistilBertConfig, RobertaConfig

    common = {"vocab_size": 30522, "num_labels": num_labels, "pad_token_id": 0}
    if model_type == "distilbert":
        return DistilBertConfig(dim=32, n_layers=2, n_heads=4, hidden_dim=64, **common)
    cls = {"bert": BertConfig, "roberta": RobertaConfig}[model_type]
    extra = {"type_vocab_size": 1} if model_type == "roberta" else {}
    return cls(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        **common,
        **extra,
    )


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A saved tiny random BERT classifier folder (config, safetensors, tokenizer)."""
    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny-bert"), "bert")


def make_tiny_model_dir(folder: Path, model_type: str) -> Path:
    import torch
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(tiny_config(model_type))
    model.save_pretrained(folder, safe_serialization=True)
    _tokenizer().save_pretrained(folder)
    return folder
