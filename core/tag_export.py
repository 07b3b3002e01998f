"""The README of a merged tagger's folder (:mod:`core.export`): a plain
``AutoModelForTokenClassification`` whose ``id2label`` are the run's tags, read at each word's
first sub-token as PTune reads them."""

from __future__ import annotations

from typing import Any

from core.methods import get_method


def tagger_card(meta: dict[str, Any]) -> str:
    """A short README for a merged tagger: what it is and how to tag words with it."""
    f1 = (meta.get("metrics") or {}).get("eval_f1")
    lines = [
        "# Word tagger (named entities)",
        "",
        f"Fine-tuned with PTune Studio ({get_method(meta['method']).title}) from "
        f"`{meta['base_model']}`.",
        "",
        f"- tags: {', '.join(meta['label_names'])}",
        f"- sentences are cut to {meta['max_length']} tokens; a word cut off is tagged O",
        "- each word's tag is read at its first sub-token",
    ]
    if f1 is not None:
        lines.append(f"- validation entity F1: {f1:.4f}")
    lines += [
        "",
        "```python",
        "from transformers import AutoModelForTokenClassification, AutoTokenizer",
        "",
        'model = AutoModelForTokenClassification.from_pretrained("THIS_FOLDER").eval()',
        'tokenizer = AutoTokenizer.from_pretrained("THIS_FOLDER")',
        'words = ["Anna", "visited", "Paris"]',
        "batch = tokenizer([words], is_split_into_words=True, truncation=True, "
        'return_tensors="pt")',
        "ids = model(**batch).logits.argmax(-1)[0]",
        "firsts = {w: i for i, w in reversed(list(enumerate(batch.word_ids(0)))) if w is not None}",
        "tags = [model.config.id2label[int(ids[firsts[w]])] if w in firsts else 'O'",
        "        for w in range(len(words))]",
        "```",
        "",
    ]
    return "\n".join(lines)
