"""Which vocabulary words a learned prompt's virtual tokens resemble.

Prompt tuning and P-Tuning v1 learn input embeddings, so each virtual token is compared (cosine)
with the base model's word-embedding matrix, as in Lester et al. (2021).

P-Tuning v2 learns no input embeddings: its prompt is a key and a value per layer. Each virtual
token's layer-0 prefix key (all heads concatenated) is compared with the layer-0 key the frozen
model computes for every vocabulary word, placed right after the start token where a sentence's
first word sits. Layer-0 keys depend only on the token and its position, so this asks: "which
word would an attention query of the first layer take this virtual token for?". Both sides have
the vocabulary's mean key removed first: a shift shared by every key moves all of a query's
attention scores equally, which the softmax ignores, so it says nothing about any one word.
A decoder's prefix keys carry no position, while its real keys are rotated by their position
(rotary families): each word is therefore placed first, at position 0, where the rotation is
the identity, and compared there (a decoder's layer-0 key of a word does not depend on the
tokens before it either).

A learned prompt often drifts away from every real word (low similarities, a norm far from the
vocabulary's); the ``norm_ratio`` of each token makes that visible.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import torch
from peft import PeftModel
from safetensors.torch import load_file
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from core.errors import AdapterLoadError, ConfigError
from core.messages import say
from core.methods import METHODS, prompt_methods
from core.methods.base import WEIGHTS_FILE
from core.methods.ptuning_v2 import DeepPromptModel
from core.modeling import load_base
from core.training.artifacts import LoadedAdapter, load_adapter, read_meta

MAX_K = 50
PROMPT_TENSOR = "prompt_embeddings"
UNUSED = re.compile(r"^(\[unused\d+\]|<unused\d*>|\[PAD\d*\]|<extra_id_\d+>)$")
KEY_BATCH = 4096


def check_prompt_method(method: str) -> None:
    """Raise :class:`ConfigError` unless ``method`` learns a prompt of virtual tokens."""
    if method not in prompt_methods():
        raise ConfigError(
            say("this run uses {method}; word neighbours exist only for prompt methods: "
                "{methods}. Pick a run trained with one of them",
                method=method, methods=", ".join(prompt_methods()))
        )  # fmt: skip


def prompt_space(method: str) -> str:
    """Where the method's prompt is compared with words: "input" embeddings or layer-0 "keys"."""
    check_prompt_method(method)
    return str(METHODS[method].prompt_space)


def nearest_words(
    adapter_folder: str | Path, k: int = 5, loaded: LoadedAdapter | None = None
) -> list[dict[str, Any]]:
    """The ``k`` vocabulary words nearest to each virtual token of a prompt-method adapter.

    Returns one dict per virtual token, in prompt order: ``index``, ``words`` (the ``k``
    nearest as ``{"word", "token_id", "similarity"}``, most similar first) and
    ``norm_ratio`` (the token's norm over the vocabulary's mean norm, in the space compared).
    ``loaded`` may be the already loaded adapter of ``adapter_folder`` (e.g. from a
    :class:`core.analysis.predict.Predictor`), to avoid loading it again.
    """
    folder = Path(adapter_folder)
    meta = read_meta(folder)
    check_prompt_method(meta["method"])
    if not 1 <= int(k) <= MAX_K:
        raise ConfigError(
            say("k={k} is out of range; ask for 1 to {most} nearest words", k=k, most=MAX_K)
        )
    with torch.no_grad():
        if prompt_space(meta["method"]) == "input":
            prompt, vocab, ids, tokenizer = _embedding_space(folder, meta, loaded)
        else:
            prompt, vocab, ids, tokenizer = _key_space(
                loaded if loaded is not None else load_adapter(folder)
            )
    return _neighbours(prompt, vocab, ids, tokenizer, int(k))


def word_ids(tokenizer: PreTrainedTokenizerBase, rows: int) -> list[int]:
    """Vocabulary ids worth naming: no special tokens, no [unused..] slots, no padding rows."""
    special = set(tokenizer.all_special_ids)
    count = min(rows, len(tokenizer))
    tokens = tokenizer.convert_ids_to_tokens(list(range(count)))
    return [
        i
        for i, token in enumerate(tokens)
        if i not in special and token and not UNUSED.match(token)
    ]


def saved_prompt(folder: Path) -> torch.Tensor:
    """The virtual-token embeddings peft saved (for P-Tuning v1, its encoder's output)."""
    path = folder / WEIGHTS_FILE
    if not path.is_file():
        raise AdapterLoadError(
            say("{folder} has no {file}; pick a complete adapter folder", folder=folder,
                file=WEIGHTS_FILE)
        )  # fmt: skip
    saved = load_file(str(path))
    if PROMPT_TENSOR not in saved:
        raise AdapterLoadError(
            say("{path} holds no {tensor}; it was not written by a prompt-method run",
                path=path, tensor=PROMPT_TENSOR)
        )  # fmt: skip
    return saved[PROMPT_TENSOR].float()


def _embedding_space(
    folder: Path, meta: dict[str, Any], loaded: LoadedAdapter | None
) -> tuple[torch.Tensor, torch.Tensor, list[int], PreTrainedTokenizerBase]:
    """Saved virtual-token embeddings and the base model's word embeddings."""
    prompt = saved_prompt(folder)
    if loaded is not None:
        model, tokenizer = loaded.model, loaded.tokenizer
    else:  # the word embeddings are the base model's: no need to build the adapter
        base = load_base(meta["base_model"], list(meta["label_names"]))
        model, tokenizer = base.model, base.tokenizer
    matrix = _word_embeddings(model).detach().float().cpu()
    if prompt.dim() != 2 or prompt.shape[1] != matrix.shape[1]:
        raise AdapterLoadError(
            say("{path}: prompt embeddings of shape {shape} do not fit the base model's word "
                "embeddings of width {width}",
                path=folder / WEIGHTS_FILE, shape=tuple(prompt.shape), width=matrix.shape[1])
        )  # fmt: skip
    ids = word_ids(tokenizer, matrix.shape[0])
    return prompt, matrix[ids], ids, tokenizer


def _word_embeddings(model: nn.Module) -> torch.Tensor:
    """The word-embedding matrix of a base classifier, or of a peft model around one."""
    if not isinstance(model, (PreTrainedModel, PeftModel)):
        raise TypeError(f"{type(model).__name__} has no word embeddings to compare with")
    return model.get_input_embeddings().get_parameter("weight")


class _FirstLayerDone(Exception):
    """Ends a forward pass once layer 0 has produced its keys (later layers are not needed)."""


class _FirstLayerKeys(dict):
    """A ``ptune_capture`` target that keeps layer 0's keys and stops the forward pass."""

    def __setitem__(self, layer: int, key_value: tuple[torch.Tensor, torch.Tensor]) -> None:
        super().__setitem__(layer, key_value)
        if layer == 0:
            raise _FirstLayerDone


def vocabulary_keys(model: nn.Module, ids: list[int], start_id: int | None) -> torch.Tensor:
    """Layer-0 keys (heads concatenated) of each token id, at the first word's position.

    ``model`` is the frozen classifier with deep prompts attached (``DeepPromptModel.model``).
    """
    device = next(model.parameters()).device
    rows = []
    for begin in range(0, len(ids), KEY_BATCH):
        chunk = torch.tensor(ids[begin : begin + KEY_BATCH], dtype=torch.long).unsqueeze(1)
        if start_id is not None:
            chunk = torch.cat([torch.full_like(chunk, start_id), chunk], dim=1)
        capture = _FirstLayerKeys()
        with contextlib.suppress(_FirstLayerDone):
            model(input_ids=chunk.to(device), ptune_capture=capture)
        if 0 not in capture:
            raise AdapterLoadError(say("the model did not report its first layer's keys"))
        key = capture[0][0][:, :, -1, :]  # batch, heads, head_dim at the word's position
        rows.append(key.reshape(key.shape[0], -1).float().cpu())
    return torch.cat(rows)


def prefix_keys(wrapped: DeepPromptModel) -> torch.Tensor:
    """Layer-0 prefix keys of a P-Tuning v2 model, one row (heads concatenated) per token."""
    was_training = wrapped.training
    wrapped.eval()  # no prefix dropout
    try:
        key = wrapped.prefix_kv()[0][0]
    finally:
        wrapped.train(was_training)
    key = key.detach().float().cpu()
    if key.dim() == 4:
        key = key[0]
    return key.transpose(0, 1).reshape(key.shape[1], -1)  # P, heads*head_dim


def _key_space(
    adapter: LoadedAdapter,
) -> tuple[torch.Tensor, torch.Tensor, list[int], PreTrainedTokenizerBase]:
    """Prefix keys and vocabulary keys of layer 0, both with the vocabulary's mean key removed."""
    wrapped = adapter.model
    if not isinstance(wrapped, DeepPromptModel):
        raise AdapterLoadError(say("the loaded P-Tuning v2 model has no deep prompt"))
    base = wrapped.model
    ids = word_ids(adapter.tokenizer, int(base.config.vocab_size))
    start = adapter.tokenizer.cls_token_id
    if start is None:
        start = adapter.tokenizer.bos_token_id
    if wrapped.causal:  # a decoder's word goes first, where rotary turns nothing (see above)
        start = None
    vocab = vocabulary_keys(base, ids, start)
    prompt = prefix_keys(wrapped)
    if prompt.shape[1] != vocab.shape[1]:
        raise AdapterLoadError(
            say("prefix keys of width {width} do not fit the model's keys of width {keys}",
                width=prompt.shape[1], keys=vocab.shape[1])
        )  # fmt: skip
    mean = vocab.mean(dim=0, keepdim=True)
    return prompt - mean, vocab - mean, ids, adapter.tokenizer


def display_token(token: str) -> str:
    """A vocabulary token as a person reads it (byte-level and sentencepiece marks removed)."""
    shown = token.replace("\u0120", " ").replace("\u2581", " ").strip()
    return shown or token


def _neighbours(
    prompt: torch.Tensor,
    vocab: torch.Tensor,
    ids: list[int],
    tokenizer: PreTrainedTokenizerBase,
    k: int,
) -> list[dict[str, Any]]:
    k = min(k, len(ids))
    vocab_norms = vocab.norm(dim=1)
    mean_norm = float(vocab_norms.mean().clamp(min=1e-12))
    similarity = (prompt / prompt.norm(dim=1, keepdim=True).clamp(min=1e-12)) @ (
        vocab / vocab_norms.unsqueeze(1).clamp(min=1e-12)
    ).T
    best = similarity.topk(k, dim=1)
    tokens = tokenizer.convert_ids_to_tokens([ids[j] for j in best.indices.flatten().tolist()])
    out = []
    for row in range(prompt.shape[0]):
        words = []
        for rank in range(k):
            column = int(best.indices[row, rank])
            words.append(
                {
                    "word": display_token(tokens[row * k + rank]),
                    "token_id": ids[column],
                    "similarity": float(best.values[row, rank]),
                }
            )
        ratio = float(prompt[row].norm()) / mean_norm
        out.append({"index": row, "words": words, "norm_ratio": ratio})
    return out
