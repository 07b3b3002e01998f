"""How much one person may send the served app: upload size, text length, batch rows, logins.

``launch.py`` builds one flag per field from the field's ``flag`` and ``help``; the app carries
the values on :class:`app.shared.state.AppState`. This module imports nothing heavy, so that
building the flags does not load gradio.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

MB = 1024 * 1024
"""Bytes in a megabyte, as gradio counts them for its ``max_file_size``."""


def _limit(default: int, flag: str, help_text: str) -> Any:
    return field(default=default, metadata={"flag": flag, "help": help_text})


@dataclass(frozen=True)
class Limits:
    """The caps of one served app; every value is a whole number of 1 or more."""

    max_upload_mb: int = _limit(
        100, "--max-upload-mb",
        "largest file one upload may be, in MB (datasets on Train, batch files on Try it)",
    )  # fmt: skip
    max_text_chars: int = _limit(
        10_000, "--max-text-chars",
        "longest text, in characters, that /predict and the Try it box accept",
    )  # fmt: skip
    max_batch_rows: int = _limit(
        10_000, "--max-batch-rows", "most rows a batch-prediction file on Try it may have"
    )
    login_attempts: int = _limit(
        5, "--login-attempts",
        "failed logins one address may make before it must wait a minute (with --auth); each "
        "further failure doubles the wait, up to --login-window",
    )  # fmt: skip
    login_window_min: int = _limit(
        15,
        "--login-window",
        "minutes without a failed login after which an address's failures are forgotten, and "
        "the longest wait (with --auth)",
    )

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"{spec.metadata['flag']} must be a whole number of 1 or more (got {value!r})"
                )

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * MB

    @property
    def login_window_s(self) -> float:
        return self.login_window_min * 60.0


def limit_fields() -> list[Any]:
    """The fields of :class:`Limits`, each with ``metadata["flag"]`` and ``["help"]``."""
    return list(fields(Limits))
