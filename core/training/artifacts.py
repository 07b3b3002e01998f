"""Adapter folders (what is shared and predicted with) and resumable checkpoints.

An adapter folder holds the method's weights plus ``ptune_adapter.json`` with the method, its
settings, the base model, the label names and the training config:

* prompt tuning, P-Tuning v1, LoRA: peft's own ``adapter_config.json`` and
  ``adapter_model.safetensors``, so ``PeftModel.from_pretrained`` loads them directly;
* P-Tuning v2, bottleneck adapter, head only: ``adapter_model.safetensors`` holding the
  trainable tensors, loaded by :func:`load_adapter`;
* full fine-tuning: a complete ``save_pretrained`` model folder.

A checkpoint folder holds every trainable tensor (the P-Tuning v1 encoder too, which peft's
adapter format drops), the optimizer and scheduler states and the loop position.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from core.config import TrainConfig
from core.errors import AdapterLoadError, CheckpointError, OutputFolderError, PTuneError
from core.messages import say
from core.methods import get_method
from core.methods.base import write_json
from core.modeling import head_of, load_base, load_tokenizer
from core.pooling import apply_pooling
from core.tasks import AUTO, DEFAULT_TASK, Task, get_task
from storage.ownership import (
    ADAPTER_META,
    CHECKPOINT_MARKER,
    foreign_outputs,
    is_adapter,
    is_checkpoint,
)

META_FILE = ADAPTER_META
FORMAT = "ptune-studio-adapter"
FORMAT_VERSION = 1


def save_adapter(
    folder: Path,
    wrapped: nn.Module,
    config: TrainConfig,
    label_names: list[str],
    max_length: int,
    pooling: str = "cls",
    metrics: dict[str, Any] | None = None,
    method_options: dict[str, Any] | None = None,
    task: str | None = None,
    calibration: dict[str, Any] | None = None,
    inputs: Sequence[str] | None = None,
) -> int:
    """Write the adapter folder; returns its size in bytes.

    ``task`` is the task the run trained (:mod:`core.tasks`), told from its data when its
    settings say ``auto``; empty: the settings' task (auto: single_label). ``calibration`` is
    what the task chose on validation (a multi-label run's ``"thresholds"`` per label), stored
    at the top of the metadata. ``inputs`` are the texts a row held, stored (``"inputs"``) for
    a task whose inputs are told from the columns (a score of one text or of a pair).

    ``method_options`` are the settings that rebuild the trained weights when they differ from
    the requested ones (a grown prompt ends at the size it reached). A folder of that name
    that PTune did not write is refused (:class:`OutputFolderError`), never written into.
    """
    if folder.exists() or folder.is_symlink():
        _refuse_foreign(folder, is_adapter(folder))
    folder.mkdir(parents=True, exist_ok=True)
    method = get_method(config.method)
    method.save(wrapped, folder)
    write_json(
        folder / META_FILE,
        {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "method": config.method,
            "task": get_task(task or (None if config.task == AUTO else config.task)).name,
            "base_model": config.model,
            "label_names": label_names,
            "max_length": max_length,
            "pooling": pooling,
            "method_options": config.method_options if method_options is None else method_options,
            "train_config": config.to_dict(),
            "metrics": metrics or {},
            **(calibration or {}),
            **({"inputs": list(inputs)} if inputs else {}),
        },
    )
    return folder_bytes(folder)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def read_meta(folder: Path) -> dict[str, Any]:
    path = Path(folder) / META_FILE
    if not path.is_file():
        raise AdapterLoadError(
            say(
                "{folder} is not a PTune Studio adapter folder (no {file}); pick the 'adapter' "
                "folder a training run wrote",
                folder=folder,
                file=META_FILE,
            )
        )
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AdapterLoadError(say("{path} is unreadable: {error}", path=path, error=exc)) from exc
    if meta.get("format") != FORMAT or int(meta.get("version", 0)) > FORMAT_VERSION:
        raise AdapterLoadError(
            say(
                "{path} has format {format!r} version {version!r}; this version of PTune Studio "
                "reads {reads!r} up to version {newest}",
                path=path,
                format=meta.get("format"),
                version=meta.get("version"),
                reads=FORMAT,
                newest=FORMAT_VERSION,
            )  # fmt: skip
        )
    return meta


def input_task(folder: str | Path) -> Task:
    """The task of the adapter in ``folder`` for the inputs it was trained on (a score of a pair
    takes pairs); the default task when the folder is no adapter."""
    try:
        meta = read_meta(Path(folder))
    except PTuneError:
        return get_task(DEFAULT_TASK)
    return get_task(meta.get("task") or DEFAULT_TASK).for_inputs(meta.get("inputs"))


def task_of_folder(folder: str | Path) -> str:
    """The task the adapter in ``folder`` was trained on (older adapters: one text, one
    label); the default when the folder is no adapter (loading it names that problem)."""
    try:
        return str(read_meta(Path(folder)).get("task") or DEFAULT_TASK)
    except PTuneError:
        return DEFAULT_TASK


@dataclass
class LoadedAdapter:
    """A ready-to-predict classifier (inference mode) and what it was trained for."""

    model: nn.Module
    tokenizer: PreTrainedTokenizerBase
    label_names: list[str]
    max_length: int
    meta: dict[str, Any]

    @property
    def task(self) -> str:
        """The task the adapter was trained on (:mod:`core.tasks`); adapters written before
        task types existed trained one text with one label."""
        return str(self.meta.get("task") or DEFAULT_TASK)


def load_adapter(folder: str | Path, base: PreTrainedModel | None = None) -> LoadedAdapter:
    """Rebuild a trained classifier from its adapter folder, in inference mode.

    ``base`` may be a freshly loaded base classifier with the right number of labels, to
    avoid reading the base weights again; it is modified in place.
    """
    folder = Path(folder)
    meta = read_meta(folder)
    method = get_method(meta["method"])
    cfg = method.config_cls.from_stored(meta.get("method_options"))
    labels = list(meta["label_names"])
    pooling = meta.get("pooling", "cls")
    if method.whole_model:
        model = apply_pooling(method.load(None, folder, cfg), pooling)
        tokenizer = load_tokenizer(meta["base_model"])
    else:
        if base is None:
            loaded = load_base(meta["base_model"], labels, head=head_of(meta.get("task")))
            base, tokenizer = loaded.model, loaded.tokenizer
        else:
            tokenizer = load_tokenizer(meta["base_model"])
        model = method.load(apply_pooling(base, pooling), folder, cfg)
    model.requires_grad_(False)
    return LoadedAdapter(model.eval(), tokenizer, labels, int(meta["max_length"]), meta)


def save_checkpoint(
    folder: Path,
    trainable: dict[str, torch.Tensor],
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    state: dict[str, Any],
    best: dict[str, torch.Tensor] | None = None,
) -> None:
    """Write a resumable checkpoint atomically (a half-written one never replaces a good one).

    ``best`` holds the trainable tensors of the best evaluation so far, when they are kept.
    Only checkpoint folders PTune wrote are replaced or removed: another folder of one of the
    three names (``folder``, ``.tmp``, ``.old``) is refused (:class:`OutputFolderError`).
    """
    tmp = folder.with_name(folder.name + ".tmp")
    old = folder.with_name(folder.name + ".old")
    for path in (folder, tmp, old):
        if path.exists() or path.is_symlink():
            _refuse_foreign(path, is_checkpoint(path))
    shutil.rmtree(tmp, ignore_errors=True)  # left over from a process killed mid-write
    tmp.mkdir(parents=True)
    # The marker comes first, so a checkpoint killed half-written is still known as PTune's.
    write_json(tmp / CHECKPOINT_MARKER, {"format": "ptune-studio-checkpoint"})
    save_file(trainable, str(tmp / "trainable.safetensors"))
    if best is not None:
        save_file(best, str(tmp / "best.safetensors"))
    torch.save(
        {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
        tmp / "optimizer.pt",
    )
    write_json(tmp / "trainer_state.json", state)
    if folder.exists():
        shutil.rmtree(old, ignore_errors=True)
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def _refuse_foreign(folder: Path, owned: bool) -> None:
    if not owned:
        raise OutputFolderError(
            say(
                "{folder} was not written by PTune Studio and a run would replace it; choose "
                "another output folder, or move that folder away",
                folder=folder,
            )
        )


def check_output_folder(out: Path, tasks: Iterable[str] = ()) -> None:
    """Refuse, before a run starts, an output folder holding a checkpoint or adapter folder
    that the run would replace but PTune did not write (:class:`OutputFolderError`).

    ``tasks``: the task names of a multi-task run (one adapter folder each).
    """
    foreign = foreign_outputs(Path(out), tasks)
    if foreign == [Path(out)]:
        raise OutputFolderError(
            say(
                "the output folder {out} is a file, not a folder; choose another output folder",
                out=out,
            )
        )
    if foreign:
        raise OutputFolderError(
            say(
                "the output folder {out} already holds {foreign}, which PTune Studio did not "
                "write and a run would replace; choose another output folder, or move that "
                "folder away",
                out=out,
                foreign=", ".join(map(str, foreign)),
            )
        )


def load_checkpoint(folder: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any], dict[str, Any]]:
    """(trainable tensors, optimizer+scheduler states, loop state) of a checkpoint folder."""
    folder = Path(folder)
    previous = folder.with_name(folder.name + ".old")
    if not folder.is_dir() and previous.is_dir():
        folder = previous  # killed between swapping the old checkpoint out and the new one in
    needed = ["trainable.safetensors", "optimizer.pt", "trainer_state.json"]
    missing = [n for n in needed if not (folder / n).is_file()]
    if missing:
        raise CheckpointError(
            say(
                "checkpoint {folder} is missing {missing}; start the run again instead",
                folder=folder,
                missing=", ".join(missing),
            )
        )
    trainable = load_file(str(folder / "trainable.safetensors"))
    # On the CPU whatever device wrote it (a GPU run resumes on a machine without one); the
    # optimizer moves its state to its parameters' device when it loads it.
    states = torch.load(folder / "optimizer.pt", map_location="cpu", weights_only=True)
    state = json.loads((folder / "trainer_state.json").read_text(encoding="utf-8"))
    return trainable, states, state
