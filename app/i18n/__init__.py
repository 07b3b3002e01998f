"""English and Chinese text of the interface, through ``gr.I18n``.

Component labels are translation keys (``t("train_start")``) that the browser translates, so
Gradio's own Settings panel (footer, "Settings" > Language) switches the language at runtime.
Gradio picks the browser's language first; ``--lang`` overrides that with :class:`PreferLanguage`,
which makes the page report the chosen language before Gradio reads it. Text built on the server
(status lines, table headers, plot titles) uses :func:`text` in the language given at launch.

Labels and help texts of the settings come from the config dataclasses (English); only their
Chinese versions are written here, in :mod:`app.i18n.zh`. The English and Chinese tables live in
:mod:`app.i18n.en` and :mod:`app.i18n.zh`, the ASGI middleware in :mod:`app.i18n.middleware`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import gradio as gr

from app.i18n.en import EN, SERVER_EN
from app.i18n.labels_text import SERVER_EN_LABELS, SERVER_ZH_LABELS
from app.i18n.languages import BROWSER_LOCALE, LANGS, check_lang
from app.i18n.middleware import LANG_SCRIPT, PreferLanguage
from app.i18n.models_text import SERVER_EN_MODELS, SERVER_ZH_MODELS
from app.i18n.tagging_text import SERVER_EN_TAGGING, SERVER_ZH_TAGGING
from app.i18n.tasks_text import SERVER_EN_TASKS, SERVER_ZH_TASKS
from app.i18n.zh import SERVER_ZH, ZH, ZH_FIELDS
from core.config import TrainConfig
from core.methods import METHODS

__all__ = [
    "BROWSER_LOCALE",
    "EN",
    "I18N",
    "LANGS",
    "LANG_SCRIPT",
    "SERVER_TEXT",
    "ZH",
    "ZH_FIELDS",
    "PreferLanguage",
    "check_lang",
    "field_key",
    "t",
    "text",
    "translations",
]

# Text built on the server, in the language given at launch.
SERVER_TEXT: dict[str, dict[str, str]] = {
    "en": {
        **SERVER_EN,
        **SERVER_EN_TASKS,
        **SERVER_EN_LABELS,
        **SERVER_EN_MODELS,
        **SERVER_EN_TAGGING,
    },
    "zh": {
        **SERVER_ZH,
        **SERVER_ZH_TASKS,
        **SERVER_ZH_LABELS,
        **SERVER_ZH_MODELS,
        **SERVER_ZH_TAGGING,
    },
}


def _settings_classes() -> list[tuple[str, type]]:
    return [("cfg", TrainConfig)] + [(f"opt_{m.name}", m.config_cls) for m in METHODS.values()]


def field_key(prefix: str, name: str) -> str:
    """Translation key of a setting's label; its help text is the same key plus ``_help``."""
    return f"{prefix}_{name}"


def _field_translations() -> tuple[dict[str, str], dict[str, str]]:
    en: dict[str, str] = {}
    zh: dict[str, str] = {}
    for prefix, cls in _settings_classes():
        for f in dataclasses.fields(cls):
            key = field_key(prefix, f.name)
            en[key] = f.metadata.get("label") or f.name
            en[key + "_help"] = f.metadata.get("help", "")
            label, help_text = ZH_FIELDS.get(f.name, (en[key], en[key + "_help"]))
            zh[key], zh[key + "_help"] = label, help_text
    for name, method in METHODS.items():
        en[f"method_{name}_summary"] = method.summary
        zh[f"method_{name}_summary"] = method.summary_in("zh")
    return en, zh


def translations() -> dict[str, dict[str, str]]:
    """Every key in English and Chinese (also under ``zh-CN`` and ``zh-TW``)."""
    fields_en, fields_zh = _field_translations()
    english = {**EN, **fields_en}
    chinese = {**ZH, **fields_zh}
    return {"en": english, "zh": chinese, "zh-CN": chinese, "zh-TW": chinese}


_TRANSLATIONS = translations()
I18N = gr.I18n(**_TRANSLATIONS)


def t(key: str) -> Any:
    """The translation key for a label, checked to exist (a typo fails at app creation)."""
    if key not in _TRANSLATIONS["en"]:
        raise KeyError(f"no translation for {key!r}")
    return I18N(key)


def text(key: str, lang: str = "en", **values: Any) -> str:
    """Server-side text in ``lang``, formatted with ``values``."""
    table = SERVER_TEXT.get(lang, SERVER_TEXT["en"])
    return table.get(key, SERVER_TEXT["en"][key]).format(**values)
