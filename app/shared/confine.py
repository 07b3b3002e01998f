"""Where paths from the browser and the HTTP API may lead: the app's one policy for them.

The command line is run by the machine's own user and takes any path. A served app is used by
people who should reach only what it serves, so every path a client names is checked here:

* datasets: from the data folder (``--data-dir``), the uploads or the bundled demo dataset;
  Hugging Face Hub ids stay allowed;
* base model folders and adapters to start from (``init_from``): in the data folder or the
  app's run folders (``checkpoints/`` beside its database); Hub model ids and the embedded
  default model stay allowed.

The app's home itself is not a root: it is the folder of the database, which ``--db`` may put
anywhere (``--db ~/studio.db`` would otherwise open the whole home directory).
* the output folder (``out``): never from a client; each run gets its folder from the store.

Paths are resolved (symbolic links, ``..``, ``~``) before they are compared, so a link inside
the data folder that points elsewhere is refused. A refused path is a :class:`Problem` on its
setting, listed with every other problem of the settings.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from app.shared.state import DEMO_DATA, AppState
from core.checks import RunCheck, nest_method_options
from core.checks import check_run as check_settings
from core.config import Problem, TrainConfig, parse_tasks
from core.data.files import DATASET_EXTENSIONS
from core.data.loading import looks_like_path
from core.errors import ConfigProblems, DataError
from core.messages import Message, say
from core.modeling import DEFAULT_MODEL, embedded_model_path, resolve_model_source


def _resolved(text: str) -> Path | None:
    """The real path ``text`` leads to (links and ``..`` followed); None when unreadable."""
    try:
        return Path(text).expanduser().resolve()
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a link loop
        return None


def _exists(text: str) -> bool:
    path = Path(text).expanduser()
    return path.exists() or path.is_symlink()


def _within(path: Path | None, roots: list[Path]) -> bool:
    return path is not None and any(path.is_relative_to(root) for root in roots)


def _roots(*folders: Path | None) -> list[Path]:
    return [folder.expanduser().resolve() for folder in folders if folder is not None]


def _runs_folder(state: AppState) -> Path:
    return state.store.home / "checkpoints"


def _where(state: AppState) -> Message:
    """The folders a person may use, in words."""
    home = say("the app's run folder {folder}", folder=_runs_folder(state))
    if state.data_dir is None:
        return home
    return say("the data folder {data} or {home}", data=state.data_dir, home=home)


# ----------------------------------------------------------------------------- each kind
def data_refusal(state: AppState, source: Any) -> Message | None:
    """Why the app will not read the dataset ``source``; None when it may."""
    text = str(source or "").strip()
    if not text or not (_exists(text) or looks_like_path(text)):
        return None  # nothing given (the check names it), or a Hugging Face Hub id
    if _resolved(text) == DEMO_DATA.resolve():
        return None
    roots = _roots(state.data_dir, state.upload_dir)
    outside = _outside(text, roots, DATASET_EXTENSIONS)
    if outside is None:
        return None
    if state.data_dir is None:
        return say(
            "the dataset {path} is outside the folders this app reads datasets from; pick one "
            "from the uploads or the demo dataset, or upload the file with the Upload button",
            path=outside,
        )
    return say(
        "the dataset {path} is outside the folders this app reads datasets from; pick one from "
        "the data folder {data}, the uploads or the demo dataset, or upload the file with the "
        "Upload button",
        path=outside,
        data=state.data_dir,
    )


def _outside(text: str, roots: list[Path], suffixes: tuple[str, ...] | None = None) -> str | None:
    """``text`` when it leads outside ``roots``; for a folder inside them, the first of its
    files (of ``suffixes``, else any) that leads outside, since loading the folder reads them;
    None when everything stays inside."""
    path = _resolved(text)
    if not _within(path, roots):
        return text
    if path is None or not path.is_dir():
        return None
    try:
        files = [f for f in path.iterdir() if suffixes is None or f.suffix.lower() in suffixes]
    except OSError:
        return None
    escaping = [f for f in files if not _within(_resolved(str(f)), roots)]
    return str(Path(text) / escaping[0].name) if escaping else None


def model_refusal(state: AppState, name: Any) -> Message | None:
    """Why the app will not load the base model ``name``; None when it may."""
    text = str(name or "").strip()
    if not text or text in (DEFAULT_MODEL, "default"):
        return None
    source = resolve_model_source(text)
    if not _exists(source) and _is_hub_model_id(text):
        return None
    if _resolved(source) == embedded_model_path().resolve():
        return None
    outside = _outside(source, _folders(state))
    if outside is None:
        return None
    return say(
        "the base model folder {path} is outside {where}; put the model folder there, or give "
        "a Hugging Face model id or {default}",
        path=outside,
        where=_where(state),
        default=DEFAULT_MODEL,
    )


def adapter_refusal(state: AppState, folder: Any) -> Message | None:
    """Why a run may not start from the adapter folder ``folder``; None when it may."""
    text = str(folder or "").strip()
    outside = _outside(text, _folders(state)) if text else None
    if outside is None:
        return None
    template = (
        "the adapter folder {path} is outside {where}; start from the adapter of a run this app "
        "trained (under {runs})"
    )
    if state.data_dir is not None:
        template = (
            "the adapter folder {path} is outside {where}; start from the adapter of a run this "
            "app trained (under {runs}) or one in the data folder"
        )
    return say(template, path=outside, where=_where(state), runs=_runs_folder(state))


def out_refusal(state: AppState, out: Any) -> Message | None:
    """Why the app refuses an output folder from a client: it is a command-line setting."""
    if not str(out or "").strip():
        return None
    return say(
        "out (the output folder) is a command-line setting; the app keeps each run in its own "
        "folder under {runs}, so leave out empty",
        runs=_runs_folder(state),
    )


def _folders(state: AppState) -> list[Path]:
    return _roots(_runs_folder(state), state.data_dir)


def _is_hub_model_id(text: str) -> bool:
    """``name`` or ``org/name``, as the Hugging Face Hub spells model ids."""
    return not text.startswith(("/", ".", "~")) and "\\" not in text and text.count("/") <= 1


# ----------------------------------------------------------------------------- settings
def path_problems(state: AppState, values: dict[str, Any]) -> list[Problem]:
    """A problem for each path among a run's settings (TrainConfig keyword values) that the
    app refuses: the dataset, each task's dataset, the base model, init_from and out."""
    found: list[tuple[str, Message | None]] = [
        ("data", data_refusal(state, values.get("data"))),
        ("model", model_refusal(state, values.get("model"))),
        ("init_from", adapter_refusal(state, values.get("init_from"))),
        ("out", out_refusal(state, values.get("out"))),
    ]
    tasks = parse_tasks(values.get("tasks"))
    if isinstance(tasks, dict):  # otherwise the check says why it cannot be read
        for name, source in tasks.items():
            refusal = data_refusal(state, source)
            found.append(("tasks", refusal and say("task {name}: {why}", name=name, why=refusal)))
    return [TrainConfig.problem(setting, message) for setting, message in found if message]


def check_run(state: AppState, values: dict[str, Any]) -> RunCheck:
    """:func:`core.checks.check_run` with the app's path rules: every problem at once.

    A refused base model is not read at all (its folder's contents stay unknown to the
    client); the rest of the settings are checked against the default model instead.
    """
    values = nest_method_options(values)
    refused = path_problems(state, values)
    if any(problem.setting == "model" for problem in refused):
        values = {**values, "model": DEFAULT_MODEL}
    result = check_settings(values)
    if not refused:
        return result
    return RunCheck(list(dict.fromkeys(refused + result.problems)))


def checked(state: AppState, values: dict[str, Any]) -> RunCheck:
    """:func:`check_run`, raising :class:`ConfigProblems` (listing all) when there is any."""
    result = check_run(state, values)
    if result.problems:
        raise ConfigProblems(result.problems)
    return result


def require_data(state: AppState, source: Any) -> None:
    """Raise :class:`DataError` when the app will not read the dataset ``source``."""
    refusal = data_refusal(state, source)
    if refusal:
        raise DataError(refusal)


def require_model(state: AppState, name: Any) -> None:
    """Raise :class:`ConfigProblems` when the app will not load the base model ``name``."""
    refusal = model_refusal(state, name)
    if refusal:
        raise ConfigProblems([TrainConfig.problem("model", refusal)])


def without_out(config: TrainConfig) -> TrainConfig:
    """``config`` as a client may send it again: the store's output folder left out."""
    return dataclasses.replace(config, out=None)
