"""The interface languages and their browser locales."""

from __future__ import annotations

LANGS = ("en", "zh")
BROWSER_LOCALE = {"en": "en", "zh": "zh-CN"}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    return lang
