"""Which folders PTune Studio wrote, so that it replaces or removes only those.

A run writes, under its output folder, ``checkpoint`` (swapped in through ``checkpoint.tmp``
and ``checkpoint.old``), ``adapter`` and, for a multi-task run, ``adapters/<task>``. Each of
these is replaced or written into as the run goes, so a folder of that name that PTune did not
write (a person's own files, another tool's checkpoint) must be refused, never overwritten or
deleted.

A checkpoint is recognised by its marker file (written first, so a half-written
``checkpoint.tmp`` has it too) or, for checkpoints written before the marker existed, by a
``trainer_state.json`` of PTune's own form; an adapter folder by its ``ptune_adapter.json``.
An empty folder holds nothing to lose and counts as PTune's. A symbolic link never does: it
points at something PTune did not make.

Standard library only: the engine and the storage layer both read it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

CHECKPOINT_MARKER = "ptune_checkpoint.json"
"""Written first into every checkpoint PTune Studio writes."""
ADAPTER_META = "ptune_adapter.json"
"""Written into every adapter folder PTune Studio writes."""
CHECKPOINT_NAMES = ("checkpoint", "checkpoint.tmp", "checkpoint.old")
STATE_KEYS = ("method", "model", "loop")
"""Keys of PTune's own ``trainer_state.json`` (other trainers' files of that name lack them)."""


def _empty_folder(folder: Path) -> bool:
    return not any(folder.iterdir())


def is_checkpoint(folder: Path) -> bool:
    """Whether ``folder`` is a checkpoint folder PTune Studio wrote (or an empty folder)."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    if (folder / CHECKPOINT_MARKER).is_file() or _empty_folder(folder):
        return True
    try:
        state = json.loads((folder / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(state, dict) and all(key in state for key in STATE_KEYS)


def is_adapter(folder: Path) -> bool:
    """Whether ``folder`` is an adapter folder PTune Studio wrote (or an empty folder)."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    return (folder / ADAPTER_META).is_file() or _empty_folder(folder)


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def foreign_outputs(out: Path, tasks: Iterable[str] = ()) -> list[Path]:
    """What a run writing to ``out`` would replace or write into that PTune did not write.

    ``tasks``: the task names of a multi-task run, which saves one ``adapters/<task>`` each
    instead of ``adapter``.
    """
    out, tasks = Path(out), list(tasks)
    if _exists(out) and not out.is_dir():
        return [out]
    found = [out / n for n in CHECKPOINT_NAMES if _exists(out / n) and not is_checkpoint(out / n)]
    adapters = [out / "adapters" / name for name in tasks] if tasks else [out / "adapter"]
    found += [folder for folder in adapters if _exists(folder) and not is_adapter(folder)]
    if _exists(out / "adapters") and not (out / "adapters").is_dir():
        found.append(out / "adapters")
    return found


def remove_owned(folder: Path) -> bool:
    """Remove what PTune Studio wrote in ``folder`` (a run's folder or its checkpoint): the
    whole folder when it is PTune's checkpoint or adapter, else its checkpoints and adapters,
    then the folder itself once nothing else is left. Returns whether the folder is gone.

    Anything else (a person's files, a symbolic link) stays where it is.
    """
    if folder.is_symlink() or not folder.is_dir():
        return False
    if is_checkpoint(folder) or (folder / ADAPTER_META).is_file():
        shutil.rmtree(folder)
        return True
    for name in CHECKPOINT_NAMES:
        if is_checkpoint(folder / name):
            shutil.rmtree(folder / name)
    if is_adapter(folder / "adapter"):
        shutil.rmtree(folder / "adapter")
    adapters = folder / "adapters"
    if adapters.is_dir() and not adapters.is_symlink():
        for task in list(adapters.iterdir()):
            if is_adapter(task):
                shutil.rmtree(task)
        if _empty_folder(adapters):
            adapters.rmdir()
    if _empty_folder(folder):
        folder.rmdir()
        return True
    return False
