"""The training loop: setup, loop, save, cleanup.

``Trainer(config, callback, stop_event).run()`` runs one configured run to the end in the
calling thread and returns its summary (:func:`core.training.launch.train` picks the trainer
for the settings); progress goes to a callback as typed events (:mod:`core.training.events`), and a
``threading.Event`` asks it to stop at the next step boundary. Built on Accelerate, so the same
loop runs on a GPU or, under ``accelerate launch``, on several. How the run's pieces are built
is :mod:`core.training.run_setup`; how several processes keep together is
:mod:`core.training.together`.
"""

from __future__ import annotations

import math
import time
from typing import Any

import torch
from torch.nn import functional as F

from core.data.batching import (
    Tokens,
    iterate,
    length_grouped_batches,
    process_part,
    to_device,
)
from core.hardware import training_threads
from core.memory import release_memory
from core.messages import say
from core.methods.base import count_parameters
from core.tasks import Task
from core.training import artifacts
from core.training.checkpoint import write_checkpoint
from core.training.evaluate import classification_metrics, predict_logits
from core.training.events import (
    CheckpointWritten,
    Evaluated,
    PromptGrown,
    RunEnded,
    RunEvent,
    RunStarted,
    TrainLogged,
)
from core.training.growth import fixed_options
from core.training.run_setup import Features, built
from core.training.schedule import eval_interval, steps_per_epoch
from core.training.together import Together


class Trainer(Together):
    """One run: ``Trainer(config, callback, stop_event).run()`` returns the summary dict."""

    def run(self) -> dict[str, Any]:
        """Set up, train, save; never raises: failures end with status 'failed' and a reason."""
        t0 = self.pace.run_started = time.perf_counter()
        summary: dict[str, Any] = {}
        try:
            self._announce()
            self.setup()
            self._or_later(lambda: self.emit(
                RunStarted(
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
                    mean_tokens=self._mean_tokens(),
                    data=built(self.data, "data").summary(),
                    warnings=list(self.notices),
                )
            ))  # fmt: skip
            status = self.loop()
            summary = self.finish(status)
        except Exception as exc:  # noqa: BLE001 - every failure must end the run with a reason
            summary = {"status": "failed", "error": self._failure_reason(exc)}
        finally:
            self._release()
        summary.update(self._identity(), wall_seconds=time.perf_counter() - t0)
        self.emit(RunEnded(summary))
        return summary

    def emit(self, event: RunEvent) -> None:
        """Report an event (from the main process only, under accelerate launch)."""
        if self._accelerator is None or self._accelerator.is_main_process:
            self.callback(event)

    # ------------------------------------------------------------------ loop
    def loop(self) -> str:
        """Train until the planned steps, early stopping or a stop request; returns the status."""
        cfg, st = self.config, self.state
        several = self.accelerator.num_processes > 1
        built(self.model, "model").train()
        self.pace.start_loop(st.step, st.total_steps)
        window_loss: torch.Tensor | float = 0.0  # on the device until a log line reads it
        window_steps, window_start = 0, time.perf_counter()
        while st.step < st.total_steps:
            # The batch size is global: under accelerate launch each process trains on its
            # part of every batch, and the samples counted are the whole batch's.
            batches = length_grouped_batches(self.lengths, cfg.batch_size, cfg.seed, st.epoch)
            rest = batches[st.batch_in_epoch :]
            index, count = self.accelerator.process_index, self.accelerator.num_processes
            own = [process_part(b, index, count) for b in rest]
            for whole, (indices, batch) in zip(
                rest, iterate(self.train_features, own, self.pad_id), strict=True
            ):
                if not several and self.stop_event.is_set():  # several stop where they agree
                    if window_steps:  # count the steps since the last log line
                        st.train_seconds += time.perf_counter() - window_start
                    return "stopped"
                self._share_cores()
                self.batch_rows = whole
                loss = self._step(indices, batch)
                st.step += 1
                st.batch_in_epoch += 1
                st.samples += len(whole)
                window_loss, window_steps = window_loss + loss, window_steps + 1
                if not several:
                    self._maybe_replan(time.perf_counter())  # may make this step the last
                stop = False
                if st.step % cfg.log_every == 0 or st.step == st.total_steps:
                    self._end_window(window_loss, window_steps, window_start)
                    window_loss, window_steps, window_start = 0.0, 0, time.perf_counter()
                    stop = several and self._agree_at_log_step()
                self._maybe_grow()
                if st.step % self._eval_every() == 0 or st.step >= st.total_steps:
                    paused = time.perf_counter()
                    stop_early = self._evaluate_and_checkpoint()
                    self.pace.eval_seconds += time.perf_counter() - paused
                    window_start += time.perf_counter() - paused
                    if stop_early:
                        return "succeeded"
                if st.step >= st.total_steps:
                    break
                if stop:
                    return "stopped"
            else:
                st.epoch, st.batch_in_epoch = st.epoch + 1, 0
        return "succeeded"

    def _share_cores(self) -> None:
        """Train on one thread fewer while predictions run beside the run (on a CPU)."""
        if self.accelerator.device.type != "cpu":
            return
        wanted = training_threads(self.threads)
        if torch.get_num_threads() != wanted:
            torch.set_num_threads(wanted)

    def _step(self, indices: list[int], batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """One optimizer step on a batch; its loss, detached and left on the device (reading
        it would make the host wait for the device: the loop reads a window of them at once)."""
        model, optimizer = built(self.model, "model"), built(self.optimizer, "optimizer")
        loss = self._batch_loss(model, indices, batch)
        self.accelerator.backward(self.mixed.scale(loss))
        self._after_backward()
        if self.config.max_grad_norm > 0:
            self.mixed.unscale(optimizer)
            params = [p for p in model.parameters() if p.requires_grad]
            self.accelerator.clip_grad_norm_(params, self.config.max_grad_norm)
        if self.mixed.step(optimizer):
            self.scheduler.step()  # a skipped fp16 step does not advance the schedule
        optimizer.zero_grad(set_to_none=True)
        return loss.detach()

    def _batch_loss(
        self, model: torch.nn.Module, indices: list[int], batch: dict[str, torch.Tensor]
    ) -> torch.Tensor:
        """The loss of the training rows ``indices`` (``batch`` holds their tokens), in fp32:
        one class per row is the loop's own cross-entropy, other tasks' their own loss."""
        train = built(self.data, "data").train
        labels = self.task.targets([train.labels[i] for i in indices], len(self.labels))
        batch = to_device({**batch, "labels": labels}, self.accelerator.device)
        labels = batch.pop("labels")
        with self.mixed.autocast():
            logits = model(**batch).logits
        logits = logits.float()
        return F.cross_entropy(logits, labels) if self.own_loss else self.task.loss(logits, labels)

    def _after_backward(self) -> None:
        """Adjust the gradients before the optimizer step (nothing for one task)."""

    def _end_window(self, total: torch.Tensor | float, steps: int, started: float) -> None:
        """A log step: read the window's mean loss (the host waits for the device here, once
        per log interval), count the window's time and report both."""
        loss = self._or_later(lambda: self._window_loss(total, steps))
        now = time.perf_counter()  # after the read, so the window's device time counts
        self.state.train_seconds += now - started
        if loss is not None:
            self._or_later(lambda: self._log_train(loss, now))

    def _window_loss(self, total: torch.Tensor | float, steps: int) -> float:
        """The mean loss of the steps since the last log line: the host's one read of the
        losses (and its wait for the device) per log interval. FloatingPointError when it is not
        finite."""
        value = float(total) / steps
        if not math.isfinite(value):
            raise FloatingPointError(
                say(
                    "the loss became {value} by step {step}; lower the learning rate or use "
                    "precision fp32",
                    value=value,
                    step=self.state.step,
                )
            )
        return value

    def _log_train(self, loss: float, now: float) -> None:
        st = self.state
        self.emit(
            TrainLogged(
                step=st.step,
                epoch=self._epoch_float(),
                loss=loss,
                lr=self.scheduler.get_last_lr()[0],
                samples_per_second=st.samples_per_second(),
                eta_seconds=self.pace.seconds_per_step(now, st.step) * (st.total_steps - st.step),
                progress=st.step / st.total_steps,
                total_steps=st.total_steps,
            )
        )

    def _epoch_float(self) -> float:
        per_epoch = steps_per_epoch(len(self.train_features), self.config.batch_size)
        return self.state.epoch + self.state.batch_in_epoch / max(1, per_epoch)

    def _eval_every(self) -> int:
        return eval_interval(self.config.eval_every, self.state.total_steps)

    def _maybe_replan(self, now: float) -> None:
        """Under a time budget, fit the remaining steps to the measured speed.

        Once the warm-up's steps are behind and as many more have been measured, every step
        re-estimates the seconds per step: the plan shortens when the run slows down (a busy
        machine), so it still ends on time, and grows back towards the configured steps when an
        earlier estimate was too pessimistic; the learning-rate schedule follows the total.
        """
        self.state.total_steps = self._fitted_total(now)

    def _fitted_total(self, now: float) -> int:
        """The planned steps, fitted to what the time budget has left room for."""
        st = self.state
        if not self.budget_seconds:
            return st.total_steps
        self.pace.note(now, st.step)
        if st.step < self.pace.replan_from:
            return st.total_steps
        periodic = min(len(self.val_features), self.config.max_eval_rows)
        test = built(self.data, "data").test
        final = len(self.val_features) + (len(test) if test else 0)
        evals_left = (st.total_steps - st.step) // self._eval_every()
        return self.pace.fitted_total(
            now, st.step, self.budget_seconds, periodic * evals_left + final, self.config.batch_size
        )

    def _agree_at_log_step(self) -> bool:
        """Under several processes, agree at a log step (see :meth:`Together._agree`)."""
        return self._agree(self._fitted_total(time.perf_counter()))

    # ------------------------------------------------------------ prompt growth
    def _maybe_grow(self) -> None:
        """Enter the next growth stage once training has reached its share of the steps."""
        st = self.state
        if self.growth is None or st.step >= st.total_steps:
            return
        length = self.growth.length_at(st.step, st.total_steps)
        if length > st.prompt_length:
            self._resize_prompt(length)
            event = PromptGrown(st.step, self._epoch_float(), length)
            self._or_later(lambda: self.emit(event))

    def _resize_prompt(self, length: int) -> None:
        """Resize the prompt and rebuild the optimizer around the new tensors.

        Under several processes the model is wrapped again: DDP reduces the gradients of the
        tensors it was given when it wrapped the model, so it must see the new prompt (and
        it starts every process from the main process's new rows).
        """
        model = self._unwrapped()
        self.model = self.optimizer = self.scheduler = None
        self.accelerator.free_memory()  # drops the old optimizer and wrapper (replaced tensors)
        self._resize_method_prompt(model, length)
        self.model = self.accelerator.prepare(model)  # one process: prepared already, as it is
        self._build_optimizer()
        self.state.prompt_length = length

    def _resize_method_prompt(self, model: torch.nn.Module, length: int) -> None:
        """The method's resize, under the run's autocast: it may run the model to start the new
        rows (P-Tuning v2 does), whose frozen weights are in the compute precision by now."""
        with self.mixed.autocast():
            self.method.resize_prompt(model, length, self.method_cfg)

    # ------------------------------------------------------------ evaluation
    def _logits(self, features: Features) -> torch.Tensor:
        """The model's logits for tokenized rows (evaluation batches, autocast as in training).

        Under several processes each computes those of its share of the rows, and every
        process gets them all.
        """

        def logits_of(rows: Features) -> torch.Tensor:
            return predict_logits(
                self._unwrapped(),  # not DDP's wrapper: its forward is a collective
                rows,
                self.config.batch_size * 2,
                self.pad_id,
                self.accelerator.device,
                self.mixed.autocast,
            )

        if self.accelerator.num_processes == 1:
            return logits_of(features)
        return self._gathered(features, logits_of)

    @property
    def own_loss(self) -> bool:
        """Whether the task keeps the default loss and metrics of one class per row, which the
        loop computes itself (:func:`classification_metrics`); others are the task's."""
        return type(self.task).loss is Task.loss and type(self.task).metrics is Task.metrics

    def _evaluate(self, features: Features, labels: list[Any], prefix: str) -> dict[str, Any]:
        logits = self._logits(features)
        if self.own_loss:
            return self._computed_once(
                lambda: classification_metrics(logits, labels, len(self.labels), prefix)
            )
        return self._computed_once(
            lambda: self.task.metrics(logits, labels, self.labels, prefix, self.calibration)
        )

    def _calibrate(self, features: Features, labels: list[Any]) -> dict[str, Any]:
        """Choose what the task tunes on the validation rows once trained (multi-label
        thresholds) into :attr:`calibration`, the same in every process; returns the rows'
        metrics judged fairly (:meth:`~core.tasks.base.Task.calibrated_metrics`)."""
        logits = self._logits(features)
        outcome = self._computed_once(
            lambda: dict(
                zip(
                    ("chosen", "metrics"),
                    self.task.calibrated_metrics(logits, labels, self.labels),
                    strict=True,
                )
            )  # fmt: skip
        )
        self.calibration = outcome["chosen"]
        return dict(outcome["metrics"])

    def _evaluate_and_checkpoint(self) -> bool:
        """Evaluate on (a sample of) validation; returns True when early stopping triggers.

        Every process holds the same metrics (:meth:`_computed_once`), so all keep the same
        best weights and stop at the same evaluation.
        """
        st = self.state
        rows = min(len(self.val_features), self.config.max_eval_rows)
        labels = built(self.data, "data").validation.labels
        metrics = self._evaluate(self.val_features[:rows], labels[:rows], "eval")
        self.pace.eval_rows += rows
        event = Evaluated(st.step, self._epoch_float(), metrics)
        self._or_later(lambda: self.emit(event))
        if st.record_eval(metrics[self.task.best_metric]) and self.config.keep_best:
            self.best_state = self.method.trainable_state(self._unwrapped())
        self._checkpoint()
        self.last_eval = (st.step, rows, metrics)
        patience = self.config.early_stopping_patience
        return bool(patience and st.evals_without_gain >= patience)

    def _checkpoint(self) -> None:
        """Write the resumable checkpoint (on the main process only, under accelerate launch)."""
        self._check_together()
        if self.accelerator.is_main_process:
            self._or_later(self._write_checkpoint)

    def _write_checkpoint(self) -> None:
        folder = self.out / "checkpoint"
        trainable = self.method.trainable_state(self._unwrapped())
        write_checkpoint(
            folder, self.config, self.state, trainable, built(self.optimizer, "optimizer"),
            self.scheduler, self.best_state, self.data.task if self.data is not None else None,
        )  # fmt: skip
        self.emit(CheckpointWritten(self.state.step, str(folder)))

    # ------------------------------------------------------------------ save
    def finish(self, status: str) -> dict[str, Any]:
        """Restore the best weights, evaluate on all of validation (and test), save the adapter."""
        model, data = self._unwrapped(), built(self.data, "data")
        st = self.state
        restored = False
        if self.config.keep_best and self.best_state is not None and st.best_step != st.step:
            if st.best_prompt_length and st.best_prompt_length != st.prompt_length:
                self._resize_method_prompt(model, st.best_prompt_length)
                st.prompt_length = st.best_prompt_length  # the best came at an earlier stage
            self.method.load_trainable_state(model, self.best_state)
            restored = True
        self._trainable, self._total = count_parameters(model)
        # The evaluation of the last step saw these very weights; when it read every validation
        # row (and was checkpointed), it is the final one: no second pass, no second checkpoint.
        step, rows, last = self.last_eval or (-1, 0, {})
        fresh = restored or step != st.step or rows != len(self.val_features)
        if self.task.calibrated:
            metrics = self._calibrate(self.val_features, data.validation.labels)
        elif fresh:
            metrics = self._evaluate(self.val_features, data.validation.labels, "eval")
        else:
            metrics = dict(last)
        if data.test is not None:
            test = self.tokenized(data.test.texts)
            metrics.update(self._evaluate(test, data.test.labels, "test"))
        self.emit(Evaluated(self.state.step, self._epoch_float(), dict(metrics), final=True))
        if fresh:
            self._checkpoint()
        saved = self._save_adapters(model, metrics)
        self._check_together()  # the run ends the same way in every process: saved, or failed
        extra = {"prompt_length": st.prompt_length} if st.prompt_length else {}
        return {
            **extra,
            **saved,
            **metrics,
            "status": status,
            "task": data.task,
            **st.summary(self.config.keep_best, self._epoch_float()),
            "checkpoint_path": str(self.out / "checkpoint"),
            # which rows were validated, so a later look at them can tell the data has changed
            "validation_digest": data.digest(data.validation),
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
                task=self.data.task if self.data is not None else None,
                calibration=self.calibration,
                inputs=self._inputs(),
            )
        return {"adapter_path": str(adapter), "adapter_bytes": adapter_bytes}

    def _inputs(self) -> tuple[str, ...] | None:
        """The texts a row held, for a task whose inputs are told from the columns."""
        pairs = self.task.for_inputs(("text", "text_pair"))
        if pairs is self.task or self.data is None:
            return None
        return pairs.inputs if self.data.text_pair_column else self.task.inputs

    def _trained_options(self) -> dict[str, Any]:
        """The method settings that rebuild the trained adapter (a grown prompt's final size)."""
        options = self.method_cfg.to_dict()
        if self.growth is None:
            return options
        return fixed_options(options, self.state.prompt_length)

    # --------------------------------------------------------------- cleanup
    def _mean_tokens(self) -> float:
        """Mean tokens of a training row (0 without rows, or features that do not say)."""
        lengths = getattr(self.train_features, "lengths", None)
        return float(lengths.mean()) if lengths is not None and len(lengths) else 0.0

    def _identity(self) -> dict[str, Any]:
        """What the run is, for its summary (None for what a failed setup never reached)."""
        return {
            "method": self.config.method,
            "model": self.config.model,
            "data": self.config.dataset_text(),
            "label_names": self._labels,
            "trainable_params": self._trainable,
            "total_params": self._total,
            "precision": self._precision,
            "max_length": self._max_length,
        }

    def _release(self) -> None:
        """Free what the run loaded, whatever happened: the model, the optimizer, the data and
        its tokens, so that the process returns to its size before the run (device memory and
        the heap glibc would otherwise keep, see :func:`core.memory.release_memory`)."""
        self.model = self.optimizer = self.scheduler = None
        self.best_state = self.last_eval = None
        self.data = None
        self.train_features = self.val_features = Tokens.join([])
        self.lengths = []
        if self._accelerator is not None:
            self._accelerator.free_memory()
        release_memory()
