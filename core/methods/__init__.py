"""The training methods, one module each, behind one registry."""

from __future__ import annotations

from core.errors import ConfigError
from core.methods.adapter import Adapter
from core.methods.base import Method
from core.methods.full import Full
from core.methods.head_only import HeadOnly
from core.methods.lora import Lora
from core.methods.prompt_tuning import PromptTuning
from core.methods.ptuning_v1 import PTuningV1
from core.methods.ptuning_v2 import PTuningV2

METHODS: dict[str, Method] = {
    m.name: m
    for m in (PromptTuning(), PTuningV1(), PTuningV2(), Lora(), Adapter(), HeadOnly(), Full())
}


def get_method(name: str) -> Method:
    """The registered method called ``name``."""
    try:
        return METHODS[name]
    except KeyError:
        raise ConfigError(f"unknown method '{name}'; choose one of {', '.join(METHODS)}") from None
