"""The training loop: setup, loop, save, cleanup.

:func:`train` runs one configured run to the end in the calling thread and returns its summary;
progress goes to a callback as plain dict events, and a ``threading.Event`` asks it to stop at
the next step boundary. Built on Accelerate, so the same loop runs on a GPU or, under
``accelerate launch``, on several.
"""

from __future__ import annotations

import gc
import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import torch
from accelerate import Accelerator
from accelerate.state import AcceleratorState
from safetensors.torch import load_file
from torch.nn import functional as F

from core.checks import checked
from core.config import ConfigBase, TrainConfig
from core.data.batching import iterate, length_grouped_batches, tokenize
from core.data.loading import DataBundle, load_data
from core.errors import CheckpointError, PTuneError
from core.hardware import default_device, physical_cores, resolve_precision
from core.methods import Method
from core.methods.base import count_parameters
from core.modeling import load_base, max_positions
from core.pooling import apply_pooling, resolve_pooling
from core.training import artifacts, warm_start
from core.training.evaluate import classification_metrics, predict_logits
from core.training.growth import fixed_options, schedule_of

Event = dict[str, Any]
Callback = Callable[[Event], None]
STATUSES = ("succeeded", "failed", "stopped")


def check_config(config: TrainConfig) -> tuple[Method, ConfigBase]:
    """Check everything that can be checked before loading data (:func:`core.checks.checked`,
    which raises one :class:`ConfigProblems` listing all); the method and its settings."""
    result = checked(config)
    return cast(Method, result.method), cast(ConfigBase, result.settings)


def load_run_data(config: TrainConfig) -> DataBundle:
    """The dataset a run's settings describe (columns, validation split, row cap)."""
    return load_data(
        config.data,
        text_column=config.text_column,
        label_column=config.label_column,
        validation_fraction=config.validation_fraction,
        seed=config.seed,
        max_train_rows=config.max_train_rows,
    )


DEFAULT_TIME_BUDGET_MINUTES = 6.0
"""Runs that set neither epochs nor max steps stop after this long (or their default epochs)."""


def time_budget_seconds(config: TrainConfig) -> float | None:
    if config.time_budget_minutes:
        return config.time_budget_minutes * 60
    if config.epochs is None and config.max_steps is None:
        return DEFAULT_TIME_BUDGET_MINUTES * 60
    return None


def default_out(config: TrainConfig) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{stamp}-{config.method}"


@dataclass
class LoopState:
    """Where the loop is; saved in checkpoints so a run can resume."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    total_steps: int = 0
    samples: int = 0
    train_seconds: float = 0.0
    best_accuracy: float = -1.0
    best_step: int = -1
    evals_without_gain: int = 0
    prompt_length: int = 0  # virtual tokens now (prompt methods; grows with a growth schedule)
    best_prompt_length: int = 0


class Trainer:
    """One run: ``Trainer(config, callback, stop_event).run()`` returns the summary dict."""

    def __init__(
        self,
        config: TrainConfig,
        callback: Callback | None = None,
        stop_event: threading.Event | None = None,
        resume_from: str | Path | None = None,
        data: DataBundle | None = None,
    ) -> None:
        self.config = config
        self.callback = callback or (lambda event: None)
        self.stop_event = stop_event or threading.Event()
        self.budget_seconds = time_budget_seconds(config)
        self.resume_from = Path(resume_from) if resume_from else None
        self.data = data
        self.out = Path(config.out) if config.out else default_out(config)
        self.state = LoopState()
        self.best_state: dict[str, torch.Tensor] | None = None

    def emit(self, kind: str, **values: Any) -> None:
        accelerator = getattr(self, "accelerator", None)
        if accelerator is None or accelerator.is_main_process:
            self.callback({"type": kind, **values})

    # ----------------------------------------------------------------- setup
    def setup(self) -> None:
        cfg = self.config
        self.method, self.method_cfg = check_config(cfg)
        torch.manual_seed(cfg.seed)
        torch.set_num_threads(cfg.num_threads or physical_cores())
        if self.data is None:
            self.data = self._load_data()
        self.labels = list(self.data.label_names)
        if cfg.init_from:
            init_meta, self.method_cfg = warm_start.adapter_settings(cfg)
        base = load_base(cfg.model, self._base_labels())
        self.pooling = resolve_pooling(cfg.pooling, base.source)
        apply_pooling(base.model, self.pooling)
        self.tokenizer = base.tokenizer
        self.pad_id = self.tokenizer.pad_token_id or 0
        limit = max_positions(base.model.config) - self.method.reserved_positions(self.method_cfg)
        self.max_length = min(cfg.max_length, limit)
        self._prepare_base(base.model)
        self.model = self.method.wrap(base.model, self.method_cfg)
        self.growth = schedule_of(self.method_cfg)
        if self.growth is not None:
            self.method.resize_prompt(self.model, self.growth.stages[0], self.method_cfg)
        if cfg.init_from:
            warm_start.load_initial_weights(
                self.method, self.model, init_meta, Path(cfg.init_from), self.labels
            )
        self.state.prompt_length = self.method.prompt_length(self.model) or 0
        self.trainable, self.total = count_parameters(self.model)
        self.train_features = tokenize(self.tokenizer, self.data.train.texts, self.max_length)
        self.val_features = tokenize(self.tokenizer, self.data.validation.texts, self.max_length)
        self.lengths = [len(f["input_ids"]) for f in self.train_features]
        self._setup_accelerator()
        self._setup_optimizer()
        if self.resume_from:
            self._resume()

    def _load_data(self) -> DataBundle:
        return load_run_data(self.config)

    def _base_labels(self) -> list[str]:
        """Labels the base classifier is built for (the run's own)."""
        return self.labels

    def _prepare_base(self, model: torch.nn.Module) -> None:
        """Adjust the base classifier before the method wraps it (nothing for one task)."""

    def _setup_accelerator(self) -> None:
        device = default_device()
        precision = resolve_precision(self.config.precision, device)
        state = AcceleratorState._shared_state
        if state and state.get("_mixed_precision") not in (None, precision):
            AcceleratorState._reset_state()  # a new run may use another precision
        self.accelerator = Accelerator(mixed_precision=precision, cpu=device == "cpu")
        self.precision = precision

    def _setup_optimizer(self) -> None:
        cfg = self.config
        steps_per_epoch = math.ceil(len(self.train_features) / cfg.batch_size)
        epochs = cfg.epochs or self.method.default_epochs
        self.state.total_steps = cfg.max_steps or max(1, math.ceil(steps_per_epoch * epochs))
        self.model = self.accelerator.prepare(self.model)
        self._build_optimizer()

    def _build_optimizer(self) -> None:
        """AdamW over the trainable tensors and the schedule, positioned at the current step."""
        cfg = self.config
        lr = cfg.lr or self.method.default_lr
        params = [p for p in self.model.parameters() if p.requires_grad]
        decay = [p for p in params if p.ndim >= 2]
        no_decay = [p for p in params if p.ndim < 2]
        self.optimizer = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": cfg.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=lr,
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr_factor)
        step = self.state.step
        if step:  # rebuilt mid-run (prompt growth): continue the schedule where it was
            self.scheduler.last_epoch = step
            for group in self.optimizer.param_groups:
                group["lr"] = group["initial_lr"] * self._lr_factor(step)
            self.scheduler._last_lr = [g["lr"] for g in self.optimizer.param_groups]
        self.optimizer, self.scheduler = self.accelerator.prepare(self.optimizer, self.scheduler)

    def _lr_factor(self, step: int) -> float:
        """Linear warm-up, then linear decay to zero at the (possibly re-planned) last step."""
        total = max(1, self.state.total_steps)
        warmup = int(total * self.config.warmup_ratio)
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    def _resume(self) -> None:
        trainable, states, saved = artifacts.load_checkpoint(self.resume_from)
        if saved.get("method") != self.config.method or saved.get("model") != self.config.model:
            raise CheckpointError(
                f"checkpoint {self.resume_from} belongs to a {saved.get('method')} run on "
                f"{saved.get('model')}, not to this {self.config.method} run"
            )
        planned = self.state.total_steps
        loop = LoopState(**saved["loop"])
        if loop.prompt_length and loop.prompt_length != self.state.prompt_length:
            self.state.step = loop.step  # a grown prompt: same length, optimizer to match
            self._resize_prompt(loop.prompt_length)
        self.method.load_trainable_state(self.accelerator.unwrap_model(self.model), trainable)
        self.optimizer.load_state_dict(states["optimizer"])
        self.scheduler.load_state_dict(states["scheduler"])
        self.state = loop
        if saved.get("config") != self.config.to_dict():
            self.state.total_steps = planned  # changed settings (e.g. more steps) set a new plan
        best = self.resume_from / "best.safetensors"
        if best.is_file():
            self.best_state = load_file(str(best))

    # ------------------------------------------------------------------ loop
    def loop(self) -> str:
        """Train until the planned steps, early stopping or a stop request; returns the status."""
        cfg, st = self.config, self.state
        self.model.train()
        self._loop_started = time.perf_counter()
        self._loop_first_step, self._eval_seconds, self._eval_rows_done = st.step, 0.0, 0
        self._replan_from = st.step + min(20, max(1, (st.total_steps - st.step) // 10))
        window_loss, window_steps, window_start = 0.0, 0, time.perf_counter()
        while st.step < st.total_steps:
            batches = length_grouped_batches(self.lengths, cfg.batch_size, cfg.seed, st.epoch)
            shard = batches[self.accelerator.process_index :: self.accelerator.num_processes]
            for indices, batch in iterate(
                self.train_features, shard[st.batch_in_epoch :], self.pad_id
            ):
                if self.stop_event.is_set():
                    if window_steps:  # count the steps since the last log line
                        st.train_seconds += time.perf_counter() - window_start
                    return "stopped"
                loss = self._step(indices, batch)
                st.step += 1
                st.batch_in_epoch += 1
                st.samples += len(indices)
                window_loss, window_steps = window_loss + loss, window_steps + 1
                self._maybe_replan(time.perf_counter())  # may make this step the last
                if st.step % cfg.log_every == 0 or st.step == st.total_steps:
                    now = time.perf_counter()
                    st.train_seconds += now - window_start
                    self._log_train(window_loss / window_steps, now)
                    window_loss, window_steps, window_start = 0.0, 0, time.perf_counter()
                self._maybe_grow()
                if st.step % self._eval_every() == 0 or st.step >= st.total_steps:
                    paused = time.perf_counter()
                    stop_early = self._evaluate_and_checkpoint()
                    self._eval_seconds += time.perf_counter() - paused
                    window_start += time.perf_counter() - paused
                    if stop_early:
                        return "succeeded"
                if st.step >= st.total_steps:
                    break
            else:
                st.epoch, st.batch_in_epoch = st.epoch + 1, 0
        return "succeeded"

    def _step(self, indices: list[int], batch: dict[str, torch.Tensor]) -> float:
        batch = {k: v.to(self.accelerator.device) for k, v in batch.items()}
        labels = torch.tensor(
            [self.data.train.labels[i] for i in indices], device=self.accelerator.device
        )
        logits = self.model(**batch).logits
        loss = F.cross_entropy(logits.float(), labels)  # the loss stays in fp32
        self.accelerator.backward(loss)
        if self.config.max_grad_norm > 0:
            params = [p for p in self.model.parameters() if p.requires_grad]
            self.accelerator.clip_grad_norm_(params, self.config.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        value = float(loss.detach())
        if not math.isfinite(value):
            raise FloatingPointError(
                f"the loss became {value} at step {self.state.step + 1}; lower the learning "
                "rate or use precision fp32"
            )
        return value

    def _log_train(self, loss: float, now: float) -> None:
        st = self.state
        speed = st.samples / st.train_seconds if st.train_seconds > 0 else 0.0
        self.emit(
            "train",
            step=st.step,
            epoch=self._epoch_float(),
            loss=loss,
            lr=self.scheduler.get_last_lr()[0],
            samples_per_second=speed,
            eta_seconds=self._seconds_per_step(now) * (st.total_steps - st.step),
            progress=st.step / st.total_steps,
            total_steps=st.total_steps,
        )

    def _seconds_per_step(self, now: float) -> float:
        trained = self.state.step - self._loop_first_step
        return (now - self._loop_started - self._eval_seconds) / max(1, trained)

    def _epoch_float(self) -> float:
        per_epoch = math.ceil(len(self.train_features) / self.config.batch_size)
        return self.state.epoch + self.state.batch_in_epoch / max(1, per_epoch)

    def _eval_every(self) -> int:
        return self.config.eval_every or max(1, self.state.total_steps // 10)

    def _maybe_replan(self, now: float) -> None:
        """Under a time budget, fit the remaining steps to the measured speed.

        From the first few steps on, every step re-estimates the seconds per step and only ever
        shortens the plan, so a run that slows down (a busy machine) still ends on time; the
        learning-rate schedule follows the new total.
        """
        st = self.state
        if not self.budget_seconds or st.step < self._replan_from:
            return
        per_step = self._seconds_per_step(now)
        periodic = min(len(self.val_features), self.config.max_eval_rows)
        final = len(self.val_features) + (len(self.data.test) if self.data.test else 0)
        eval_rows = periodic * self._evals_left() + final
        left = self.budget_seconds - (now - self._run_started) - eval_rows * self._eval_row_cost()
        st.total_steps = max(st.step, min(st.total_steps, st.step + int(left / per_step)))

    def _maybe_grow(self) -> None:
        """Enter the next growth stage once training has reached its share of the steps."""
        st = self.state
        if self.growth is None or st.step >= st.total_steps:
            return
        length = self.growth.length_at(st.step, st.total_steps)
        if length > st.prompt_length:
            self._resize_prompt(length)
            self.emit("grow", step=st.step, epoch=self._epoch_float(), prompt_length=length)

    def _resize_prompt(self, length: int) -> None:
        """Resize the prompt and rebuild the optimizer around the new tensors."""
        self.method.resize_prompt(self._unwrapped(), length, self.method_cfg)
        self.accelerator._optimizers.clear()  # the old ones hold the replaced tensors
        self.accelerator._schedulers.clear()
        self._build_optimizer()
        self.state.prompt_length = length

    def _evals_left(self) -> int:
        return (self.state.total_steps - self.state.step) // self._eval_every()

    def _eval_row_cost(self) -> float:
        """Seconds per evaluated row: measured once an evaluation ran, else guessed from the
        training speed (a forward pass is about a third of a training step)."""
        if self._eval_rows_done:
            return self._eval_seconds / self._eval_rows_done
        return self._seconds_per_step(time.perf_counter()) / self.config.batch_size / 3

    def _logits(self, features: list) -> torch.Tensor:
        """The model's logits for tokenized rows (evaluation batches, autocast as in training)."""
        return predict_logits(
            self.model,
            features,
            self.config.batch_size * 2,
            self.pad_id,
            self.accelerator.device,
            self.accelerator.autocast,
        )

    def _evaluate(self, features: list, labels: list[int], prefix: str) -> dict[str, Any]:
        return classification_metrics(self._logits(features), labels, len(self.labels), prefix)

    def _evaluate_and_checkpoint(self) -> bool:
        """Evaluate on (a sample of) validation; returns True when early stopping triggers."""
        st = self.state
        rows = min(len(self.val_features), self.config.max_eval_rows)
        metrics = self._evaluate(
            self.val_features[:rows], self.data.validation.labels[:rows], "eval"
        )
        self._eval_rows_done += rows
        self.emit("eval", step=st.step, epoch=self._epoch_float(), **metrics)
        if metrics["eval_accuracy"] > st.best_accuracy:
            st.best_accuracy, st.best_step, st.evals_without_gain = (
                metrics["eval_accuracy"],
                st.step,
                0,
            )
            st.best_prompt_length = st.prompt_length
            if self.config.keep_best:
                self.best_state = self.method.trainable_state(self._unwrapped())
        else:
            st.evals_without_gain += 1
        self._checkpoint()
        patience = self.config.early_stopping_patience
        return bool(patience and st.evals_without_gain >= patience)

    def _unwrapped(self) -> torch.nn.Module:
        return self.accelerator.unwrap_model(self.model)

    def _checkpoint(self) -> None:
        """Write the resumable checkpoint (on the main process only, under accelerate launch)."""
        self.accelerator.wait_for_everyone()
        if not self.accelerator.is_main_process:
            return
        folder = self.out / "checkpoint"
        state = {
            "method": self.config.method,
            "model": self.config.model,
            "config": self.config.to_dict(),
            "loop": asdict(self.state),
        }
        artifacts.save_checkpoint(
            folder,
            self.method.trainable_state(self._unwrapped()),
            self.optimizer,
            self.scheduler,
            state,
            best=self.best_state,
        )
        self.emit("checkpoint", step=self.state.step, path=str(folder))

    # ------------------------------------------------------------ save, run
    def finish(self, status: str) -> dict[str, Any]:
        """Restore the best weights, evaluate on all of validation (and test), save the adapter."""
        model = self._unwrapped()
        st = self.state
        if self.config.keep_best and self.best_state is not None:
            if st.best_prompt_length and st.best_prompt_length != st.prompt_length:
                self.method.resize_prompt(model, st.best_prompt_length, self.method_cfg)
                st.prompt_length = st.best_prompt_length  # the best came at an earlier stage
            self.method.load_trainable_state(model, self.best_state)
        self.trainable, self.total = count_parameters(model)
        metrics = self._evaluate(self.val_features, self.data.validation.labels, "eval")
        if self.data.test is not None:
            test = tokenize(self.tokenizer, self.data.test.texts, self.max_length)
            metrics.update(self._evaluate(test, self.data.test.labels, "test"))
        self.emit("eval", step=self.state.step, epoch=self._epoch_float(), final=True, **metrics)
        self._checkpoint()
        saved = self._save_adapters(model, metrics)
        extra = {"prompt_length": st.prompt_length} if st.prompt_length else {}
        return {
            **extra,
            **saved,
            **metrics,
            "status": status,
            "best_step": st.best_step if self.config.keep_best else st.step,
            "steps": st.step,
            "epochs": round(self._epoch_float(), 3),
            "train_samples_per_second": st.samples / st.train_seconds if st.train_seconds else 0.0,
            "train_seconds": st.train_seconds,
            "checkpoint_path": str(self.out / "checkpoint"),
        }

    def _save_adapters(self, model: torch.nn.Module, metrics: dict[str, Any]) -> dict[str, Any]:
        """Write the adapter folder (main process only); its path and size for the summary."""
        adapter = self.out / "adapter"
        adapter_bytes = 0
        if self.accelerator.is_main_process:
            adapter_bytes = artifacts.save_adapter(
                adapter,
                model,
                self.config,
                self.labels,
                self.max_length,
                self.pooling,
                {k: v for k, v in metrics.items() if not k.endswith("confusion_matrix")},
                method_options=self._trained_options(),
            )
        return {"adapter_path": str(adapter), "adapter_bytes": adapter_bytes}

    def _trained_options(self) -> dict[str, Any]:
        """The method settings that rebuild the trained adapter (a grown prompt's final size)."""
        options = self.method_cfg.to_dict()
        if self.growth is None:
            return options
        return fixed_options(options, self.state.prompt_length)

    def run(self) -> dict[str, Any]:
        """Set up, train, save; never raises: failures end with status 'failed' and a reason."""
        t0 = self._run_started = time.perf_counter()
        summary: dict[str, Any] = {}
        try:
            self.setup()
            self.emit(
                "start",
                method=self.config.method,
                total_steps=self.state.total_steps,
                trainable_params=self.trainable,
                total_params=self.total,
                label_names=self.labels,
                train_rows=len(self.train_features),
                validation_rows=len(self.val_features),
                max_length=self.max_length,
                precision=self.precision,
                device=str(self.accelerator.device),
                out=str(self.out),
                data=self.data.summary(),
            )
            status = self.loop()
            summary = self.finish(status)
        except Exception as exc:  # noqa: BLE001 - every failure must end the run with a reason
            summary = {"status": "failed", "error": describe_failure(exc)}
        finally:
            self._release()
        summary.update(self._identity(), wall_seconds=time.perf_counter() - t0)
        self.emit("end", **summary)
        return summary

    def _identity(self) -> dict[str, Any]:
        return {
            "method": self.config.method,
            "model": self.config.model,
            "data": self.config.dataset_text(),
            "label_names": getattr(self, "labels", None),
            "trainable_params": getattr(self, "trainable", None),
            "total_params": getattr(self, "total", None),
            "precision": getattr(self, "precision", None),
            "max_length": getattr(self, "max_length", None),
        }

    def _release(self) -> None:
        """Free model and optimizer memory (device memory above all) whatever happened."""
        for name in ("model", "optimizer", "scheduler", "best_state"):
            if hasattr(self, name):
                setattr(self, name, None)
        accelerator = getattr(self, "accelerator", None)
        if accelerator is not None:
            accelerator.free_memory()
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def describe_failure(exc: BaseException) -> str:
    """One sentence a person can act on."""
    if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
        return (
            "out of memory: lower the batch size or the max length, or pick a smaller "
            "model or a lighter method"
        )
    if isinstance(exc, (PTuneError, FloatingPointError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def create_trainer(
    config: TrainConfig,
    callback: Callback | None = None,
    stop_event: threading.Event | None = None,
    resume_from: str | Path | None = None,
) -> Trainer:
    """The trainer for ``config``: multi-task when it names several tasks."""
    if config.tasks:
        from core.training.multitask import MultiTaskTrainer

        return MultiTaskTrainer(config, callback, stop_event, resume_from)
    return Trainer(config, callback, stop_event, resume_from)


def train(
    config: TrainConfig,
    callback: Callback | None = None,
    stop_event: threading.Event | None = None,
    resume_from: str | Path | None = None,
) -> dict[str, Any]:
    """Run one training run to the end in this thread and return its summary."""
    return create_trainer(config, callback, stop_event, resume_from).run()
