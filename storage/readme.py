"""The README.md written into a run export."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

PEFT_CONFIG = "adapter_config.json"
"""The file peft writes into its own adapter folders (``PeftModel.from_pretrained`` reads it)."""


def _metrics_table(metrics: dict[str, Any] | None) -> str:
    rows = [
        (key, value)
        for key, value in sorted((metrics or {}).items())
        if isinstance(value, (int, float, str)) and not isinstance(value, bool)
    ]
    if not rows:
        return "No final metrics were recorded.\n"
    lines = ["| metric | value |", "| --- | --- |"]
    for key, value in rows:
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        lines.append(f"| {key} | {shown} |")
    return "\n".join(lines) + "\n"


def _peft_snippet(run: dict[str, Any]) -> str:
    labels = run.get("label_names") or []
    num_labels = len(labels) if labels else "K  # the number of labels"
    base = json.dumps(run["base_model"])
    return (
        "\nWith peft directly:\n\n```python\n"
        "from peft import PeftModel\n"
        "from transformers import AutoModelForSequenceClassification\n\n"
        f"base = AutoModelForSequenceClassification.from_pretrained({base}, "
        f"num_labels={num_labels})\n"
        'model = PeftModel.from_pretrained(base, "adapter")\n```\n'
    )


def render_readme(
    run: dict[str, Any],
    adapter: dict[str, Any] | None,
    history: list[dict[str, Any]],
    files: Sequence[str] = (),
) -> str:
    """What the run is, its final metrics, and how to load its adapter in Python.

    ``files`` are the adapter folder's file paths: a folder in peft's own format also gets the
    lines that load it with peft alone.
    """
    labels = ", ".join(run.get("label_names") or []) or "not recorded"
    parts = [
        f"# {run['name']}\n",
        f"A PTune Studio run: **{run['method']}** on `{run['base_model']}`, trained on "
        f"`{run['dataset']}`.\n",
        f"- status: {run['status']}" + (f" ({run['error']})" if run.get("error") else ""),
        f"- labels: {labels}",
        f"- created: {run['created_at']}; finished: {run.get('finished_at') or '-'}",
        f"- metric rows in metrics.csv: {len(history)}\n",
        "## Final metrics\n",
        _metrics_table(run.get("metrics")),
        "## Files\n",
        "- `adapter/`: the trained adapter folder\n- `run.json`: the run record, its settings "
        "and a sha256 manifest of the adapter files\n- `metrics.csv`: every logged value "
        "(step, epoch, time, split, name, value)\n",
        "## Using the adapter\n",
    ]
    if adapter is None:
        parts.append("This run has no saved adapter (it ended before saving one).\n")
        return "\n".join(parts)
    parts.append(
        f"Unzip this archive and work inside its `run-{run['id']}/` folder, with the PTune "
        "Studio project folder on `PYTHONPATH`:\n\n```python\n"
        "from core.analysis.predict import predict\n\n"
        'print(predict(["text"], ["adapter"]))\n```\n'
        "\nor import the whole run into another PTune Studio: "
        "`python -m storage import this.zip`.\n"
    )
    if PEFT_CONFIG in files:
        parts.append(_peft_snippet(run))
    return "\n".join(parts)
