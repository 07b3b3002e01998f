"""The Train tab's warning when the base model does not read the data's language
(:mod:`core.data.language`), in the app's language. A warning, never a refusal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.i18n import SERVER_TEXT
from app.shared import confine
from app.shared.state import AppState
from core.config import TrainConfig
from core.data.language import LanguageReport, model_unread, script_name
from core.errors import PTuneError

DEFAULT_THRESHOLD: float = TrainConfig.unknown_token_warning


def threshold_of(value: Any) -> float:
    """The form's warning threshold as a number; the default when empty or unreadable (the
    check of the settings names a bad value, the preview does not repeat it)."""
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD
    return number if 0.0 <= number <= 1.0 else DEFAULT_THRESHOLD


def report_text(report: LanguageReport, lang: str) -> str:
    """The warning for ``report`` in ``lang`` (Markdown)."""
    table = SERVER_TEXT.get(lang, SERVER_TEXT["en"])
    script = table.get(f"script_{report.script}") or script_name(report.script)
    key = "language_bytes" if report.bytes_only else "language_unknown"
    return table[key].format(
        share=f"{report.share:.0%}",
        rows=f"{report.rows:,}",
        model=report.model,
        script=script,
        models=", ".join(f"`{name}`" for name in report.suggestions),
    )


def unread_report(
    state: AppState, model: str | None, texts: Sequence[str], threshold: Any = None
) -> LanguageReport | None:
    """The report when ``model`` does not read ``texts``, else None.

    Also None when the model's tokenizer cannot be read, or the app does not serve its folder:
    the model line under the model (and the check of the settings) already says so.
    """
    if not texts or confine.model_refusal(state, model):
        return None
    try:
        return model_unread(model, texts, threshold_of(threshold))
    except PTuneError:
        return None


def language_note(
    state: AppState, model: str | None, texts: Sequence[str], threshold: Any = None
) -> str:
    """The warning for training ``model`` on ``texts`` in the app's language, or "" when the
    model reads them (see :func:`unread_report`)."""
    report = unread_report(state, model, texts, threshold)
    return "" if report is None else report_text(report, state.lang)
