"""Setting up a run: the method and model, the tokenized data, devices and precision, the
optimizer, and the checkpoint a resumed run continues from."""

from __future__ import annotations

import dataclasses
import threading
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import torch
from accelerate import Accelerator
from accelerate.utils import InitProcessGroupKwargs
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from core.config import ConfigBase, TrainConfig
from core.data.batching import Tokens, tokenize
from core.data.language import unread
from core.data.splits import DataBundle
from core.errors import InputError
from core.hardware import default_device, fast_fp32_matmuls, physical_cores, resolve_precision
from core.memory import release_memory
from core.messages import say
from core.methods import Method
from core.methods.base import classifier_head, count_parameters
from core.modeling import DEFAULT_MODEL, load_base, max_positions
from core.pooling import apply_pooling, resolve_pooling
from core.tasks import AUTO, Task, get_task
from core.training import warm_start
from core.training.checkpoint import LoopState, checkpoint_task, read_checkpoint
from core.training.events import Callback
from core.training.growth import Schedule, schedule_of
from core.training.inputs import check_config, load_run_data
from core.training.optimizer import adamw, lr_schedule
from core.training.precision import (
    DTYPES,
    MixedPrecision,
    frozen_in_compute_precision,
    trainable_in_fp32,
)
from core.training.ranks import collective_timeout
from core.training.schedule import Pace, lr_factor, planned_steps, time_budget_seconds

Features = Tokens

Piece = TypeVar("Piece")


def built(piece: Piece | None, name: str) -> Piece:
    """``piece`` of a run, which :meth:`RunSetup.setup` builds before the loop reads it."""
    if piece is None:
        raise RuntimeError(f"the run's {name} is read before setup built it or after its release")
    return piece


def checkpoint_activations(model: PreTrainedModel, name: str) -> None:
    """Recompute each layer's activations in the backward pass (gradient checkpointing).

    Non-reentrant checkpointing: gradients reach trainable weights inside a layer whether or
    not the layer's input needs a gradient (a frozen embedding under LoRA gives it none).
    """
    if not model.supports_gradient_checkpointing:
        raise InputError(
            say("{model} cannot recompute its activations (gradient checkpointing); turn it off",
                model=name)
        )  # fmt: skip
    # transformers 5 names it activation checkpointing (gradient_checkpointing_enable is its
    # deprecated alias)
    model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})


def default_out(config: TrainConfig) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{stamp}-{config.method}"


class RunSetup:
    """A run's pieces, all declared here, and :meth:`setup`, which builds them.

    Until setup the pieces are None or empty, so a run that fails early reports and releases
    only what it built. Those the run keeps to its end are read through typed properties
    (reading one before setup built it is a bug: RuntimeError); the model, the optimizer and
    the data, which the run lets go of, stay attributes that may be None.
    :class:`~core.training.trainer.Trainer` adds the loop.
    """

    head = "sequence"
    """The base classifier's kind (:data:`core.modeling.HEADS`)."""

    def __init__(
        self,
        config: TrainConfig,
        callback: Callback | None = None,
        stop_event: threading.Event | None = None,
        resume_from: str | Path | None = None,
        data: DataBundle | None = None,
    ) -> None:
        self.config = config
        self.callback: Callback = callback or (lambda event: None)
        self.stop_event = stop_event or threading.Event()
        self.budget_seconds = time_budget_seconds(config)
        self.resume_from = Path(resume_from) if resume_from else None
        self.data = data
        self.out = Path(config.out) if config.out else default_out(config)
        self.state = LoopState()
        self.pace = Pace()
        self.best_state: dict[str, torch.Tensor] | None = None
        self.last_eval: tuple[int, int, dict[str, Any]] | None = None
        """The latest evaluation during the loop: its step, validation rows and metrics."""
        self.batch_rows: list[int] = []
        """The training rows of the current step's whole batch (every process's part)."""
        self.failure: Exception | None = None
        """Under several processes, this process's failure not yet told to the others (it
        is, at their next agreement: :mod:`core.training.ranks`)."""
        # the method and model (setup)
        self._method: Method | None = None
        self._method_cfg: ConfigBase | None = None
        self._labels: list[str] | None = None
        self.calibration: dict[str, Any] = {}  # what the task chose on validation once trained
        self._pooling: str | None = None
        self._tokenizer: PreTrainedTokenizerBase | None = None
        self.pad_id = 0
        self.threads = 1  # CPU threads of the run (setup); one fewer while predictions run
        self._max_length: int | None = None
        self.model: torch.nn.Module | None = None
        self.growth: Schedule | None = None
        self._trainable: int | None = None
        self._total: int | None = None
        # the tokenized data (setup)
        self.train_features: Features = Tokens.join([])
        self.val_features: Features = Tokens.join([])
        self.lengths: list[int] = []
        self.notices: list[str] = []
        """Warnings for the person running it (the model does not read the data's language)."""
        # devices, precision and optimization (setup)
        self._accelerator: Accelerator | None = None
        self._precision: str | None = None  # "no" (fp32), "bf16" or "fp16"
        self._mixed: MixedPrecision | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler: Any = None

    # ------------------------------------------------- what setup built, typed
    @property
    def method(self) -> Method:
        return built(self._method, "method")

    @property
    def method_cfg(self) -> ConfigBase:
        """The method's settings (an adapter's own when the run starts from one)."""
        return built(self._method_cfg, "method settings")

    @property
    def labels(self) -> list[str]:
        return built(self._labels, "label names")

    @property
    def task(self) -> Task:
        """The run's task type (:mod:`core.tasks`), as its data was read."""
        return get_task(built(self.data, "data").task)

    @property
    def pooling(self) -> str:
        return built(self._pooling, "pooling")

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        return built(self._tokenizer, "tokenizer")

    @property
    def max_length(self) -> int:
        """Longest input in tokens (the setting, less the positions the prompt takes)."""
        return built(self._max_length, "max length")

    @property
    def trainable(self) -> int:
        """Trainable parameters of the model (counted again when the best weights return)."""
        return built(self._trainable, "trainable parameter count")

    @property
    def total(self) -> int:
        return built(self._total, "parameter count")

    @property
    def accelerator(self) -> Accelerator:
        return built(self._accelerator, "accelerator")

    @property
    def precision(self) -> str:
        return built(self._precision, "precision")

    @property
    def mixed(self) -> MixedPrecision:
        return built(self._mixed, "mixed precision")

    # ----------------------------------------------------------------- setup
    def setup(self) -> None:
        cfg = self.config
        self._method, self._method_cfg = check_config(cfg)
        torch.manual_seed(cfg.seed)
        self.threads = cfg.num_threads or physical_cores()
        torch.set_num_threads(self.threads)
        if self.data is None:
            self.data = self._load_data()
        self._labels = list(self.data.label_names)
        self._setup_model()
        self.notices = self._language_notices()
        self.train_features = self.tokenized(self.data.train.texts)
        self.val_features = self.tokenized(self.data.validation.texts)
        self.lengths = self.train_features.lengths.tolist()
        # Reading and tokenising left freed buffers in Arrow's pool (pandas' text columns),
        # which training's tensors cannot reuse: hand them back before the peak.
        release_memory()
        self._setup_accelerator()
        epochs = cfg.epochs or self.method.default_epochs
        self.state.total_steps = planned_steps(
            len(self.train_features), cfg.batch_size, epochs, cfg.max_steps
        )
        self.pace.planned_total = self.state.total_steps  # a fitted plan never goes past it
        # The checkpoint's prompt size and weights go in before the model is prepared: DDP
        # wraps the tensors the model has then, and the device move keeps what was loaded.
        optimizer_state = self._resume(self.resume_from) if self.resume_from else None
        frozen_in_compute_precision(built(self.model, "model"), self.mixed.dtype)
        self.model = self.accelerator.prepare(self.model)
        self.method.place(self._unwrapped(), self.accelerator.device)
        self._build_optimizer()
        if optimizer_state is not None:
            built(self.optimizer, "optimizer").load_state_dict(optimizer_state)

    def tokenized(self, texts: list[Any]) -> Tokens:
        """Rows of the run's data encoded as its task encodes them (:mod:`core.tasks`)."""
        return tokenize(self.tokenizer, texts, self.max_length, built(self.data, "data").task)

    def _setup_model(self) -> None:
        """The base classifier wrapped by the method, its tokenizer and the prompt's size."""
        cfg = self.config
        if cfg.init_from:
            init_meta, self._method_cfg = warm_start.adapter_settings(cfg)
        base = load_base(cfg.model, self._base_labels(), self._load_dtype(), self.head)
        self._pooling = self._resolve_pooling(base.source, base.model.config.model_type)
        apply_pooling(base.model, self.pooling)
        self._tokenizer = base.tokenizer
        self.pad_id = self.tokenizer.pad_token_id or 0
        limit = max_positions(base.model.config) - self.method.reserved_positions(self.method_cfg)
        self._max_length = min(cfg.max_length, limit)
        self._prepare_base(base.model)
        self._start_head(base.model)
        if cfg.gradient_checkpointing:
            checkpoint_activations(base.model, base.name)
        model = self.model = self.method.wrap(base.model, self.method_cfg)
        trainable_in_fp32(model)
        self.growth = schedule_of(self.method_cfg)
        if self.growth is not None:
            with self._host_autocast():
                self.method.resize_prompt(model, self.growth.stages[0], self.method_cfg)
        if cfg.init_from:
            warm_start.load_initial_weights(
                self.method, model, init_meta, Path(cfg.init_from), self.labels
            )
        self.state.prompt_length = self.method.prompt_length(model) or 0
        self._trainable, self._total = count_parameters(model)

    def _resolve_pooling(self, source: str, model_type: str) -> str:
        """How the classifier reads the text (:func:`core.pooling.resolve_pooling`)."""
        return resolve_pooling(self.config.pooling, source, model_type)

    def _load_dtype(self) -> torch.dtype:
        """The dtype the base model loads in: the compute precision when the method freezes
        the backbone (every method but full fine-tuning, which trains and saves every weight),
        so the model's fp32 copy never exists at once; fp32 otherwise."""
        if self.method.whole_model:
            return torch.float32
        precision = resolve_precision(self.config.precision, default_device())
        return DTYPES.get(precision, torch.float32)

    def _host_autocast(self) -> AbstractContextManager:
        """Autocast for running the model while setup holds it on the host, mixed (frozen
        weights in the compute precision, trained ones in fp32): a prompt's new rows start from
        the frozen model's own activations (P-Tuning v2)."""
        dtype = self._load_dtype()
        if dtype == torch.float32:
            return nullcontext()
        return torch.autocast("cpu", dtype=dtype)

    def _load_data(self) -> DataBundle:
        """The run's data; a resumed run of task ``auto`` reads it as the task it started with
        (kept in its checkpoint), so a file edited since cannot turn it into another task."""
        config = self.config
        if self.resume_from is not None and config.task == AUTO:
            task = checkpoint_task(self.resume_from)
            if task:
                config = dataclasses.replace(config, task=task)
        return load_run_data(config)

    def _language_notices(self) -> list[str]:
        """A warning when the model's tokenizer does not know much of the training text
        (:mod:`core.data.language`); the run goes on, the start event carries it."""
        report = unread(
            self.tokenizer,
            built(self.data, "data").train.texts,
            self.config.unknown_token_warning,
            self.config.model or DEFAULT_MODEL,
        )
        return [report.message()] if report else []

    def _base_labels(self) -> list[str]:
        """Labels the base classifier is built for (the run's own)."""
        return self.labels

    def _prepare_base(self, model: torch.nn.Module) -> None:
        """Adjust the base classifier before the method wraps it (nothing for one task)."""

    def _start_head(self, model: torch.nn.Module) -> None:
        """Start the head's outputs at the training labels' base rate where the task has one
        (:meth:`~core.tasks.base.Task.initial_bias`: several labels, a score), by the bias of
        its last linear layer (a head without one keeps its start); weights loaded later (a
        resumed or warm-started run) replace it."""
        data = built(self.data, "data")
        bias = self.task.initial_bias(data.train.labels, len(self.labels))
        layers = [m for m in classifier_head(model).modules() if isinstance(m, torch.nn.Linear)]
        if bias is None or not layers or layers[-1].bias is None:
            return
        with torch.no_grad():
            layers[-1].bias.copy_(torch.tensor(bias, dtype=layers[-1].bias.dtype))

    def _setup_accelerator(self) -> None:
        """Devices and processes from Accelerate; the precision is the run's own (see
        :mod:`core.training.precision`), so Accelerate itself runs in fp32."""
        device = default_device()
        self._precision = resolve_precision(self.config.precision, device)
        # The loop steps the schedule once per optimizer step itself; Accelerate's default
        # would step it once per process, ending the decay after 1/N of an N-process run.
        self._accelerator = Accelerator(
            mixed_precision="no", cpu=device == "cpu", step_scheduler_with_optimizer=False,
            kwargs_handlers=[InitProcessGroupKwargs(timeout=collective_timeout())],
        )  # fmt: skip
        self._mixed = MixedPrecision(self.precision, self.accelerator.device.type)
        fast_fp32_matmuls(self.accelerator.device, self.precision)

    def _build_optimizer(self) -> None:
        """AdamW over the trainable tensors and the schedule, positioned at the current step."""
        lr = self.config.lr or self.method.default_lr
        optimizer = adamw(built(self.model, "model"), lr, self.config.weight_decay)
        scheduler = lr_schedule(optimizer, self._lr_factor, start=self.state.step)
        self.optimizer, self.scheduler = self.accelerator.prepare(optimizer, scheduler)

    def _lr_factor(self, step: int) -> float:
        """The schedule at ``step`` over the current plan (a re-planned run decays sooner)."""
        return lr_factor(step, self.state.total_steps, self.config.warmup_ratio)

    def _resume(self, folder: Path) -> dict[str, Any]:
        """Continue from a checkpoint: its loop position, prompt size and weights.

        Returns its optimizer state, for the optimizer built at the resumed step.
        """
        point = read_checkpoint(folder, self.config)
        planned, length = self.state.total_steps, self.state.prompt_length
        self.state = point.loop
        if not point.same_settings:
            self.state.total_steps = planned  # changed settings (e.g. more steps) set a new plan
        if self.state.prompt_length and self.state.prompt_length != length:
            with self._host_autocast():
                self.method.resize_prompt(
                    self._unwrapped(), self.state.prompt_length, self.method_cfg
                )
        self.method.load_trainable_state(self._unwrapped(), point.trainable)
        self.best_state = point.best
        return point.optimizer

    def _unwrapped(self) -> torch.nn.Module:
        return self.accelerator.unwrap_model(self.model)
