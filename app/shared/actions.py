"""What several tabs and the HTTP API do alike, without any Gradio: stop the job, resume a
run, find the active run, list the runs that can predict, predict with them.

Tabs import these from here, never from each other.
"""

from __future__ import annotations

from typing import Any

from app.i18n.scores import judged_by_accuracy, score_text
from app.shared.run_queue import submit_resume
from app.shared.state import AppState
from core.analysis.compare import PREDICTABLE
from core.fewshot.run import KIND as FEWSHOT
from core.tasks import best_score
from core.training import jobs
from core.training.artifacts import input_task
from core.training.recording import adapter_folder


def stop_training(state: AppState) -> str:
    """Ask the running job to stop: its run at the next step boundary, and a sweep starts no
    further runs (stopping means stopping)."""
    stopped = jobs.stop()
    if stopped is None:
        return state.text("nothing_running")
    lines = []
    if stopped.run is not None or stopped.group is None:
        run_id = stopped.run_id if stopped.run_id is not None else "?"
        lines.append(state.text("stopping", run_id=run_id))
    if stopped.is_group(FEWSHOT):
        lines.append(state.text("stopping_fewshot", experiment_id=stopped.group_id))
    elif stopped.group is not None:
        lines.append(state.text("stopping_sweep", sweep_id=stopped.group_id))
    return " ".join(lines)


def resume_training(state: AppState, run_id: int) -> int:
    """Continue a stopped, interrupted or failed run from its checkpoint, as the same run; its
    id. While another run or sweep holds the device, the run waits in the queue and continues
    when its turn comes. Refused with a message saying why (the run record unchanged) for an
    unknown run, one still waiting, queued or running, one that succeeded and one without a
    checkpoint."""
    submit_resume(state, run_id)
    return run_id


def running_group_id(kind: str) -> int | None:
    """The id of the group of runs of ``kind`` (a sweep, a few-shot experiment) running in this
    process, if any."""
    active = jobs.current()
    return active.group_id if active is not None and active.is_group(kind) else None


def active_run_id(state: AppState) -> int | None:
    """The run training in this process, else a run the store records as running."""
    active = jobs.current()
    if active is not None and active.run_id is not None:
        return active.run_id
    running = state.store.list_runs(status="running", limit=1)
    return int(running[0]["id"]) if running else None


def predictable_runs(state: AppState) -> list[dict[str, Any]]:
    """Finished runs that saved an adapter (succeeded or stopped), newest first."""
    runs = state.store.list_runs(limit=500)
    return [run for run in runs if run["status"] in PREDICTABLE]


def run_choices(state: AppState) -> list[tuple[str, int]]:
    """(label, run id) of every run that can predict, for the run pickers."""
    choices = []
    for run in predictable_runs(state):
        metrics = run.get("metrics") or {}
        value, task = best_score(metrics), metrics.get("task")
        if value is None:
            score = ""
        elif judged_by_accuracy(task):
            score = f", {value:.0%}"
        else:  # macro-F1, Pearson, entity F1: the number with its name
            score = f", {score_text(value, task, state.lang, digits=2)}"
        choices.append((f"#{run['id']} {run['name']} ({run['method']}{score})", run["id"]))
    return choices


def predict_runs(
    state: AppState, texts: list[str], run_ids: list[int], pairs: list[str] | None = None
) -> list[dict[str, Any]]:
    """Per run and text: {run_id, run, label, score, probabilities}, runs in the given order.

    ``pairs``: the second text of each text, for the runs trained on text pairs (a pair run
    asked without them, or a one-text run asked with them, is refused with the reason; a run
    that tags words reads the first texts only)."""
    folders = {int(i): str(adapter_folder(state.store, int(i))) for i in run_ids}
    results: dict[str, list[dict[str, Any]]] = {}
    for folder in dict.fromkeys(folders.values()):
        rows: list[Any] = list(texts)
        task = input_task(folder)  # a tagger reads one sentence, never a second text
        if not task.tags_words and (pairs is not None or "text_pair" in task.inputs):
            rows = list(zip(texts, pairs or [""] * len(texts), strict=True))
        results.update(state.predictor().predict(rows, [folder]))
    out = []
    for run_id, folder in folders.items():
        name = state.store.get_run(run_id)["name"]
        for row in results[folder]:
            out.append({"run_id": run_id, "run": f"#{run_id} {name}", **row})
    return out


def pair_runs(state: AppState, run_ids: list[int] | None) -> bool:
    """Whether any of ``run_ids`` was trained on text pairs (Try it then shows a second box)."""
    return any(
        "text_pair" in input_task(adapter_folder(state.store, int(i))).inputs for i in run_ids or []
    )
