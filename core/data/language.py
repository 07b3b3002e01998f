"""Does the model read the data's language? The share of tokens its tokenizer does not know,
the script the texts are written in, and small encoders that read that script.

A tokenizer that does not read a language turns its words into its unknown token (WordPiece and
SentencePiece vocabularies: ``[UNK]``, ``<unk>``); a model trained on such tokens sees little but
padding and learns the majority class. Byte-level BPE tokenizers (RoBERTa, ModernBERT) never
emit an unknown token: a character missing from their vocabulary becomes several byte tokens,
none of which stands for anything by itself. Those byte pieces are counted as unknown too (a
token that decodes to U+FFFD alone is a piece of a character); the same holds for SentencePiece
vocabularies with byte fallback (``<0xE4>``). So one measure covers every tokenizer family.

The measure reads a bounded sample (the first :data:`SAMPLE_ROWS` training texts, each cut to
:data:`SAMPLE_CHARS` characters), so it takes a fraction of a second however big the data.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.messages import Message, say

SAMPLE_ROWS = 200
SAMPLE_CHARS = 2000
"""Characters of one text that the sample keeps: enough to tell a language, bounded in time."""

MULTILINGUAL: tuple[str, ...] = (
    "xlm-roberta-base",
    "microsoft/Multilingual-MiniLM-L12-H384",
    "distilbert-base-multilingual-cased",
)
"""Small encoders pretrained on about 100 languages, for any script."""

SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "chinese": ("bert-base-chinese", "hfl/chinese-roberta-wwm-ext", "hfl/rbt3"),
    "korean": ("klue/roberta-base", "klue/bert-base"),
    "cyrillic": ("cointegrated/rubert-tiny2", "DeepPavlov/rubert-base-cased"),
    "arabic": ("aubmindlab/bert-base-arabertv02",),
    "devanagari": ("google/muril-base-cased",),
    "greek": ("nlpaueb/bert-base-greek-uncased-v1",),
    "hebrew": ("onlplab/alephbert-base",),
    "thai": ("airesearch/wangchanberta-base-att-spm-uncased",),
}
"""Small encoders for one language or script (hub ids), before the multilingual ones. Japanese
is left to the multilingual models: the Japanese BERTs need extra word-segmentation packages."""

SCRIPT_NAMES: dict[str, str] = {
    "chinese": "Chinese",
    "japanese": "Japanese",
    "korean": "Korean",
    "cyrillic": "Cyrillic",
    "arabic": "Arabic",
    "devanagari": "Devanagari",
    "greek": "Greek",
    "hebrew": "Hebrew",
    "thai": "Thai",
    "latin": "Latin",
}

# First word of a letter's Unicode name -> script; names not listed are taken as they come
# ("BENGALI LETTER KA" -> "bengali").
_NAME_SCRIPTS = {
    "CJK": "chinese",
    "HIRAGANA": "kana",
    "KATAKANA": "kana",
    "HALFWIDTH": None,  # resolved by the second word (HALFWIDTH KATAKANA / HANGUL)
    "FULLWIDTH": None,
    "HANGUL": "korean",
}
KANA_SHARE = 0.1
"""Han text with at least this share of kana among its letters is Japanese."""


def _letter_script(char: str) -> str | None:
    name = unicodedata.name(char, "")
    words = name.split()
    if not words:
        return None
    first = words[0]
    if first in _NAME_SCRIPTS and _NAME_SCRIPTS[first] is None and len(words) > 1:
        first = words[1]
    script = _NAME_SCRIPTS.get(first)
    return script if script is not None else first.lower()


def script_of(texts: Sequence[str]) -> str | None:
    """The script most letters of ``texts`` are written in ("chinese", "japanese", "korean",
    "cyrillic", "arabic", "devanagari", "latin", ...); None when they hold no letters."""
    counts: Counter[str] = Counter()
    for text in texts[:SAMPLE_ROWS]:
        for char in text[:SAMPLE_CHARS]:
            if char.isalpha():
                script = _letter_script(char)
                if script:
                    counts[script] += 1
    if not counts:
        return None
    kana, han = counts.pop("kana", 0), counts.get("chinese", 0)
    if kana and kana >= KANA_SHARE * (kana + han):
        counts["japanese"] = kana + counts.pop("chinese", 0)
    elif kana:
        counts["chinese"] = han + kana
    return counts.most_common(1)[0][0]


def script_name(script: str | None) -> str:
    """The script's English name ("Chinese", "Cyrillic"; an unlisted one title-cased)."""
    if script is None:
        return "unknown"
    return SCRIPT_NAMES.get(script, script.replace("_", " ").title())


def suggestions(script: str | None) -> list[str]:
    """Hub ids of small encoders that read ``script``: the language's own, then multilingual
    ones (only those for Latin text, whose language the script does not tell)."""
    return [*SUGGESTIONS.get(script or "", ()), *MULTILINGUAL]


@dataclass(frozen=True)
class LanguageReport:
    """How much of a sample of texts a model's tokenizer cannot read."""

    model: str
    rows: int
    tokens: int
    unknown: int
    """Tokens that are the unknown token or a byte piece of a character."""
    bytes_only: bool
    """True when most unknown tokens are byte pieces (byte-level BPE) rather than ``[UNK]``."""
    script: str | None

    @property
    def share(self) -> float:
        return self.unknown / self.tokens if self.tokens else 0.0

    @property
    def suggestions(self) -> list[str]:
        return suggestions(self.script)

    def message(self) -> Message:
        """The warning, with the share and models to use instead."""
        values = {
            "share": self.share,
            "rows": self.rows,
            "model": self.model,
            "script": script_name(self.script),
            "models": ", ".join(self.suggestions),
        }
        if self.bytes_only:
            return say(
                "{share:.0%} of the tokens in the first {rows:,} training texts are pieces of "
                "characters that the tokenizer of {model} knows only as bytes: the model does not "
                "read this data's language (mostly {script} text), and a run on it learns little "
                "more than the most common label. Use a model that reads it, e.g. {models}.",
                **values,
            )
        return say(
            "{share:.0%} of the tokens in the first {rows:,} training texts are unknown to the "
            "tokenizer of {model}: the model does not read this data's language (mostly "
            "{script} text), and a run on it learns little more than the most common label. Use "
            "a model that reads it, e.g. {models}.",
            **values,
        )


def _sample(texts: Sequence[Any]) -> list[str]:
    """The first rows' texts, cut; a pair's two texts joined by a space."""
    rows = [" ".join(t) if isinstance(t, tuple) else str(t) for t in texts[:SAMPLE_ROWS]]
    return [text[:SAMPLE_CHARS] for text in rows if text.strip()]


def measure(tokenizer: Any, texts: Sequence[str], model: str = "") -> LanguageReport:
    """Count the unknown tokens (and byte pieces) ``tokenizer`` makes of the sample of
    ``texts``; special tokens ([CLS], [SEP]) are not counted."""
    sample = _sample(texts)
    encoded = (
        tokenizer(sample, add_special_tokens=False, verbose=False)["input_ids"] if sample else []
    )
    counts = Counter(token for ids in encoded for token in ids)
    unk_id = getattr(tokenizer, "unk_token_id", None)
    unknown = counts.get(unk_id, 0) if unk_id is not None else 0
    pieces = sum(
        n
        for token, n in counts.items()
        if token != unk_id and "\ufffd" in tokenizer.decode([token])
    )
    return LanguageReport(
        model=model,
        rows=len(sample),
        tokens=sum(counts.values()),
        unknown=unknown + pieces,
        bytes_only=pieces > unknown,
        script=script_of(sample),
    )


def unread(
    tokenizer: Any, texts: Sequence[str], threshold: float, model: str = ""
) -> LanguageReport | None:
    """The report when more than ``threshold`` of the sample's tokens are unknown, else None."""
    report = measure(tokenizer, texts, model)
    return report if report.tokens and report.share > threshold else None


_lock = threading.Lock()


@lru_cache(maxsize=4)
def cached_tokenizer(model: str) -> Any:
    """The tokenizer of ``model``, the last few kept loaded (the app asks on every check)."""
    from core.modeling import load_tokenizer

    return load_tokenizer(model)


def model_unread(
    model: str | None, texts: Sequence[str], threshold: float
) -> LanguageReport | None:
    """:func:`unread` with the tokenizer of ``model`` (a folder, a hub id or the built-in one;
    the last few are kept loaded). Raises :class:`~core.errors.ModelLoadError` when the
    tokenizer cannot be loaded."""
    from core.modeling import DEFAULT_MODEL

    name = model or DEFAULT_MODEL
    with _lock:  # one tokenizer object is not safe to call from several threads at once
        return unread(cached_tokenizer(name), texts, threshold, name)
