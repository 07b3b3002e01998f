"""Try it's downloads, without Gradio: a run as a zip (adapter, settings, metrics), or as one
plain Hugging Face model folder, zipped, for the runs whose method a plain model can hold.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from app.shared.state import AppState
from core.errors import InputError
from core.export import export_merged, merge_obstacle
from core.methods import get_method
from core.training.artifacts import read_meta
from core.training.recording import adapter_folder


def export_run(state: AppState, run_id: int | None) -> str:
    """The run (adapter, settings, metrics) as a zip file to download."""
    if run_id is None:
        raise InputError(state.text("no_run_selected"))
    folder = Path(tempfile.mkdtemp(prefix="ptune-export-"))
    return str(state.store.export_run(int(run_id), folder / f"ptune-run-{int(run_id)}.zip"))


def export_merged_run(state: AppState, run_id: int | None) -> str:
    """The run as one plain Hugging Face model folder, zipped, to download; runs whose method
    or pooling a plain model lacks are refused, saying what to ship instead."""
    if run_id is None:
        raise InputError(state.text("no_run_selected"))
    adapter = adapter_folder(state.store, int(run_id))
    meta = read_meta(adapter)
    method = get_method(meta["method"])
    obstacle = merge_obstacle(meta)
    if obstacle is not None:
        title = method.title_in(state.lang)
        reason = method.merge_refusal_in(state.lang)
        refusal = state.text(f"merge_refused_{obstacle}", method=title, reason=reason)
        raise InputError(f"{refusal} {state.text('merge_ship_adapter')}")
    work = Path(tempfile.mkdtemp(prefix="ptune-merged-"))
    name = f"ptune-run-{int(run_id)}-merged"
    try:
        export_merged(adapter, work / name)
        return shutil.make_archive(str(work / name), "zip", root_dir=work, base_dir=name)
    finally:
        shutil.rmtree(work / name, ignore_errors=True)  # the zip holds it
