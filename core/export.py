"""A trained classifier as a plain Hugging Face model folder: ``python -m core.export
ADAPTER_FOLDER --merged OUT_DIR``.

The folder holds ``model.safetensors``, a ``config.json`` whose ``id2label`` / ``label2id`` are
the run's label names, and the tokenizer (its ``model_max_length`` set to the run's
``max_length``, so ``tokenizer(texts, truncation=True)`` cuts texts where PTune did), so that

    AutoModelForSequenceClassification.from_pretrained(OUT_DIR)
    AutoTokenizer.from_pretrained(OUT_DIR)

predict as PTune's own Predictor does, without PTune Studio installed. A tagger (a run of the
tagging task) becomes an ``AutoModelForTokenClassification`` folder whose ``id2label`` are its
tags, read at each word's first sub-token (its README shows how).

Which runs can be merged:

* LoRA: each low-rank update is folded into the weight it adapts (peft's ``merge_and_unload``);
  the classifier and the family's extra head modules (DeBERTa-v2 pooler, ModernBERT head,
  DistilBERT pre_classifier), trained beside it, replace the base's.
* full fine-tuning: the trained model itself; head only: the unchanged base with its trained head.
* prompt tuning, P-Tuning v1 and v2 and the bottleneck adapter are refused: they add inputs or
  computation that no plain classifier class has. Ship their adapter folder and serve it with
  ``python -m core.serve``.
* a run with mean pooling is refused too: the plain class reads the first token, PTune read the
  average of all tokens, so the merged model would predict differently.
* a decoder run (last-token pooling) merges: the plain decoder class reads the last token that is
  not padding, found from the padding id saved in ``config.json`` (the end-of-text token for a
  tokenizer that had no padding token; the folder's tokenizer pads with it). One difference
  remains there: a text that itself ends with that token is read one real token earlier.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from peft import PeftModel
from torch import nn
from transformers import PreTrainedModel
from transformers.utils import logging as hf_logging

from core.errors import ExportError, PTuneError
from core.messages import Message, say
from core.methods import get_method
from core.tag_export import tagger_card
from core.tasks import get_task, takes_pairs
from core.training.artifacts import load_adapter, read_meta

SERVE_HINT = (
    "Ship the adapter folder instead (it loads with PTune Studio) and serve it over HTTP with "
    "`python -m core.serve {folder}`."
)


def merge_obstacle(meta: dict[str, Any]) -> str | None:
    """What keeps the adapter described by ``meta`` (its ``ptune_adapter.json``) from becoming
    a plain model folder: ``"method"`` (its method adds what a plain class lacks),
    ``"pooling"`` (mean pooling), or None when nothing does."""
    if get_method(meta["method"]).merge_refusal:
        return "method"
    if meta.get("pooling", "cls") == "mean":
        return "pooling"
    return None


def merge_refusal(meta: dict[str, Any]) -> Message | None:
    """Why the adapter described by ``meta`` cannot become a plain model folder; None when it
    can."""
    method = get_method(meta["method"])
    obstacle = merge_obstacle(meta)
    if obstacle == "method":
        return say(
            "A {method} adapter cannot be merged into a plain model: {why}.",
            method=method.said_title,
            why=method.merge_refusal,
        )
    if obstacle == "pooling":
        return say(
            "This {method} run reads the average of all tokens (mean pooling, the "
            "sentence-embedding model's own way), while a plain Hugging Face classifier reads "
            "the first token, so a merged model would predict differently. Train with "
            "pooling 'cls' (--pooling cls) for a run that merges.",
            method=method.said_title,
        )
    return None


def check_mergeable(folder: str | Path) -> dict[str, Any]:
    """The adapter's metadata; :class:`ExportError` saying why and what to ship instead when
    it cannot be merged."""
    meta = read_meta(Path(folder))
    reason = merge_refusal(meta)
    if reason:
        raise ExportError(
            say("{reason} {hint}", reason=reason, hint=say(SERVE_HINT, folder=folder))
        )
    return meta


def merged_model(folder: str | Path) -> tuple[PreTrainedModel, Any, dict[str, Any]]:
    """(plain classifier, tokenizer, metadata) of a mergeable adapter folder."""
    meta = check_mergeable(folder)
    loaded = load_adapter(folder)
    model = _plain_classifier(loaded.model)
    labels = loaded.label_names
    model.config.num_labels = len(labels)
    model.config.id2label = dict(enumerate(labels))
    model.config.label2id = {name: i for i, name in enumerate(labels)}
    model.config.problem_type = get_task(loaded.task).problem_type  # type: ignore[assignment]
    tokenizer = loaded.tokenizer
    # Predictor truncates to the run's max_length; a plain caller truncates to this.
    tokenizer.model_max_length = loaded.max_length
    return model, tokenizer, meta


def _plain_classifier(model: nn.Module) -> PreTrainedModel:
    """A mergeable adapter's model as a plain classifier: a peft model's updates are folded in
    (LoRA), and the modules it kept trainable copies of (modules_to_save) become the modules."""
    if isinstance(model, PeftModel):
        model = model.merge_and_unload()
    if not isinstance(model, PreTrainedModel):
        raise TypeError(f"{type(model).__name__} is not a plain Hugging Face classifier")
    return model


def export_merged(folder: str | Path, out: str | Path) -> Path:
    """Write the merged model folder ``out`` from the adapter ``folder``; returns ``out``.

    ``out`` must not exist or be an empty folder: it is written beside itself first and
    moved into place whole, so a failed export leaves nothing half-written.
    """
    out = Path(out)
    if out.is_symlink() or (out.exists() and not (out.is_dir() and not any(out.iterdir()))):
        raise ExportError(
            say(
                "{folder} already exists and is not an empty folder; choose a new folder",
                folder=out,
            )
        )
    model, tokenizer, meta = merged_model(folder)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    hf_logging.disable_progress_bar()  # a one-file bar is noise in the app's log
    try:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        (staging / "README.md").write_text(model_card(meta), encoding="utf-8")
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        hf_logging.enable_progress_bar()
    return out


def model_card(meta: dict[str, Any]) -> str:
    """A short README for the folder: what it is and how to load it (a tagger's:
    :func:`core.tag_export.tagger_card`)."""
    if get_task(meta.get("task")).tags_words:
        return tagger_card(meta)
    metrics = meta.get("metrics") or {}
    accuracy = metrics.get("eval_accuracy")
    lines = [
        "# Text classifier",
        "",
        f"Fine-tuned with PTune Studio ({get_method(meta['method']).title}) from "
        f"`{meta['base_model']}`.",
        "",
        f"- labels: {', '.join(meta['label_names'])}",
        f"- texts are cut to {meta['max_length']} tokens",
    ]
    pairs = takes_pairs(meta.get("task"), meta.get("inputs"))
    if meta.get("task") == "regression":
        lines.append(
            "- it predicts a score: the model's one output is the number (no softmax)"
            + (
                "; give the first and the second text as the tokenizer's pair input"
                if pairs
                else ""
            )
        )
    elif pairs:
        lines.append(
            "- it classifies text pairs: give the first and the second text as the tokenizer's "
            "pair input (the two together are cut to the length above, the longer first)"
        )
    thresholds = meta.get("thresholds")
    if thresholds:
        lines.append(
            "- several labels per text: each label's probability is a sigmoid of its output; "
            "a label applies at or above its threshold (chosen on validation): "
            + ", ".join(f"{name} {value:.2f}" for name, value in thresholds.items())
        )
        accuracy = metrics.get("eval_f1")
        if accuracy is not None:
            lines.append(f"- validation macro-F1: {accuracy:.4f}")
    elif accuracy is not None:
        lines.append(f"- validation accuracy: {accuracy:.4f}")
    elif metrics.get("eval_pearson") is not None:
        lines.append(f"- validation Pearson correlation: {metrics['eval_pearson']:.4f}")
    lines += [
        "",
        "```python",
        "from transformers import AutoModelForSequenceClassification, AutoTokenizer",
        "",
        'model = AutoModelForSequenceClassification.from_pretrained("THIS_FOLDER").eval()',
        'tokenizer = AutoTokenizer.from_pretrained("THIS_FOLDER")',
        _tokenizer_call("pair" if pairs else meta.get("task")),
        _read_out(meta.get("task"), bool(thresholds)),
        "```",
        "",
    ]
    return "\n".join(lines)


def _read_out(task: str | None, thresholds: bool) -> str:
    """The README's line reading the model's answer: probabilities, or a score."""
    if task == "regression":
        return "scores = model(**batch).logits.squeeze(-1)"
    return "probabilities = model(**batch).logits." + ("sigmoid()" if thresholds else "softmax(-1)")


def _tokenizer_call(task: str | None) -> str:
    """The README's tokenizer line: a pair task's rows go in as the tokenizer's pair input."""
    if task == "pair":
        return (
            'batch = tokenizer(["a first text"], ["its second text"], truncation=True, '
            'padding=True, return_tensors="pt")'
        )
    return 'batch = tokenizer(["a text"], truncation=True, padding=True, return_tensors="pt")'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core.export",
        description="Export a trained run's adapter folder as a plain Hugging Face model folder "
        "(LoRA, full fine-tuning and head-only runs with cls pooling).",
    )
    parser.add_argument("adapter", help="the adapter folder a run wrote (has ptune_adapter.json)")
    parser.add_argument(
        "--merged",
        metavar="OUT_DIR",
        required=True,
        help="new folder for the merged model (must not exist, or be empty)",
    )
    args = parser.parse_args(argv)
    try:
        out = export_merged(args.adapter, args.merged)
    except PTuneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    meta = read_meta(Path(args.adapter))
    print(json.dumps({"merged": str(out), "method": meta["method"], "labels": meta["label_names"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
