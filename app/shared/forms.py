"""Config dataclasses rendered as form components, and form values turned back into a config.

Form values travel as a flat dict: ``model``, ``data``, ``method``, ``name``, ``text_column``,
``label_column``, ``cfg_<field>`` for the common settings and ``opt_<method>_<field>`` for each
method's own settings (only the chosen method's are used).
"""

from __future__ import annotations

import dataclasses
import shlex
from typing import Any

import gradio as gr
import yaml

from app.i18n import field_key, t
from core.checks import checked
from core.config import FieldKind, TrainConfig
from core.methods import METHODS

TOP_FIELDS = (
    "data", "method", "model", "method_options", "task", "text_column", "text_pair_column",
    "label_column", "name",
)  # fmt: skip
"""TrainConfig fields with their own place on the Train tab (not in the settings lists)."""
COMMAND_LINE_ONLY = ("out",)
"""TrainConfig fields the app does not offer: it keeps each run in the store's own folder."""


def common_rows() -> list[dict[str, Any]]:
    """describe() rows of the TrainConfig settings shown in the settings lists."""
    hidden = TOP_FIELDS + COMMAND_LINE_ONLY
    return [row for row in TrainConfig.describe() if row["name"] not in hidden]


def method_rows(method: str) -> list[dict[str, Any]]:
    return METHODS[method].config_cls.describe()


def range_number(**kwargs: Any) -> gr.Number:
    """A number box that shows its range but leaves checking it to the whole-form check, so
    every problem is reported at once (``gr.Number`` rejects out-of-range values one by one).

    The instance's ``preprocess`` is replaced rather than subclassing ``gr.Number``: Gradio
    writes a ``.pyi`` stub next to the module of every component subclass.
    """
    number = gr.Number(**kwargs)

    def preprocess(payload: float | None) -> float | int | None:
        return None if payload is None else number.round_to_precision(payload, number.precision)

    number.preprocess = preprocess  # type: ignore[method-assign]
    return number


def component_for(row: dict[str, Any], prefix: str) -> Any:
    """The input component of one setting: checkbox, dropdown, number or text box."""
    kind: FieldKind = row["kind"]
    key = field_key(prefix, row["name"])
    common = {
        "label": t(key),
        "info": t(key + "_help"),
        "value": row["default"],
        "elem_id": f"field-{key}".replace("_", "-"),
    }
    if kind.name == "bool":
        return gr.Checkbox(**common)
    if row.get("choices"):
        return gr.Dropdown(choices=list(row["choices"]), **common)
    if kind.number and kind.optional:  # a Number box cannot be empty; empty = default
        return gr.Textbox(**{**common, "value": ""}, placeholder=t("empty_default"))
    if kind.number:
        return range_number(
            precision=0 if kind.number == "int" else None,
            minimum=row.get("min"),
            maximum=row.get("max"),
            step=1 if kind.number == "int" else 0.001,
            **common,
        )
    return gr.Textbox(**{**common, "value": row["default"] or ""})


# ----------------------------------------------------------------------------- values -> config
def _convert(row: dict[str, Any], value: Any) -> Any:
    """A form value with empty meaning None (optional) or the default; numbers typed as text
    are read by the one check (:func:`core.config.coerce_numbers`)."""
    kind: FieldKind = row["kind"]
    if isinstance(value, str) and not kind.is_text:
        value = value.strip()
    if value is None or value == "":
        if kind.is_text and not kind.optional:
            return "" if value == "" else row["default"]
        return None if kind.optional else row["default"]
    if kind.is_text and isinstance(value, str):
        return value.strip() or (None if kind.optional else "")
    return value


def method_options(method: str, values: dict[str, Any]) -> dict[str, Any]:
    """The chosen method's settings from the form values."""
    if method not in METHODS:
        return {}
    return {
        row["name"]: _convert(row, values.get(field_key(f"opt_{method}", row["name"])))
        for row in method_rows(method)
        if field_key(f"opt_{method}", row["name"]) in values
    }


def config_values(values: dict[str, Any]) -> dict[str, Any]:
    """TrainConfig keyword arguments from the form values (not yet validated)."""
    rows = {row["name"]: row for row in TrainConfig.describe()}
    out: dict[str, Any] = {}
    for name in ("data", "method", "model", "task", "text_column", "text_pair_column",
                 "label_column", "name"):  # fmt: skip
        if name in values:
            out[name] = _convert(rows[name], values[name])
    for row in common_rows():
        key = field_key("cfg", row["name"])
        if key in values:
            out[row["name"]] = _convert(row, values[key])
    out["method_options"] = method_options(out.get("method", TrainConfig.method), values)
    return out


def form_to_config(values: dict[str, Any]) -> TrainConfig:
    """The form's values as a checked TrainConfig (ConfigProblems lists every problem)."""
    return checked(config_values(values)).config  # type: ignore[return-value]


# ----------------------------------------------------------------------------- config -> text
def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _arg(value: Any) -> str:
    if isinstance(value, dict):  # multi-task datasets
        return ",".join(f"{name}={data}" for name, data in value.items())
    return str(value).lower() if isinstance(value, bool) else str(value)


def as_command(config: TrainConfig) -> str:
    """The same run as a ``python -m core.train`` command (settings left at default omitted)."""
    parts = ["python", "-m", "core.train", "--method", config.method]
    if not config.tasks:
        parts += ["--data", str(config.data)]
    defaults = TrainConfig(data="x")
    for f in dataclasses.fields(TrainConfig):
        if f.name in ("method", "data", "method_options"):
            continue
        value = getattr(config, f.name)
        if value is not None and value != getattr(defaults, f.name):
            parts += [_flag(f.name), _arg(value)]
    method_defaults = METHODS[config.method].config_cls()
    for name, value in config.method_options.items():
        if value != getattr(method_defaults, name, None):
            parts += [_flag(name), _arg(value)]
    lines, line = [], ""
    for flag_or_value in (shlex.quote(p) for p in parts):
        if flag_or_value.startswith("--") and line:
            lines.append(line)
            line = "  " + flag_or_value
        else:
            line = f"{line} {flag_or_value}" if line else flag_or_value
    lines.append(line)
    return " \\\n".join(lines)


def as_yaml(config: TrainConfig) -> str:
    """The config as YAML that ``python -m core.train --config`` and ``/train`` accept."""
    return yaml.safe_dump(config.to_dict(), sort_keys=False, allow_unicode=True)
