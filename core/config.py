"""Config dataclasses with help text and ranges that the app's forms read.

Every field is declared with :func:`param`, which stores a help text and a range (or a list of
choices) in the field's metadata. ``problems()`` checks them all and returns every problem at
once as a :class:`Problem` naming its setting, so a form can list them together and point at
the setting; construction raises :class:`ConfigError` when there is any.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from dataclasses import dataclass, field
from typing import Any

from core.errors import ConfigError
from core.messages import say


def param(
    default: Any,
    help: str,
    *,
    min: float | None = None,
    max: float | None = None,
    choices: tuple[Any, ...] | None = None,
    label: str | None = None,
    advanced: bool = False,
) -> Any:
    """Declare a config field with its help text and allowed range."""
    meta = {"help": help, "min": min, "max": max, "choices": choices, "label": label}
    meta["advanced"] = advanced
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Problem:
    """One problem of a run's settings: the setting it concerns (None for the run as a whole),
    that setting's label as a form shows it, and a sentence saying what is wrong and the fix."""

    message: str
    setting: str | None = None
    label: str | None = None

    def __str__(self) -> str:
        return f"{self.label}: {self.message}" if self.label else self.message


def number_kind(f: dataclasses.Field) -> str | None:
    """ "int" or "float" for a numeric setting, None for any other (bools are not numbers)."""
    kinds = {part.strip() for part in str(f.type).split("|")} - {"None"}
    return next(iter(kinds)) if kinds in ({"int"}, {"float"}) else None


def coerce_numbers(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with numbers written the way people write them read as numbers.

    YAML reads ``1e-3`` (no dot before the e) and ``"32"`` as text, forms send text, and JSON
    may send ``32.0`` for a whole number: each becomes the setting's number. Text that is no
    number, and fractions for whole-number settings, are left for ``problems()`` to name.
    """
    kinds = {f.name: number_kind(f) for f in dataclasses.fields(cls)}
    out = dict(values)
    for name, value in values.items():
        kind = kinds.get(name)
        if kind is None or isinstance(value, bool):
            continue
        if isinstance(value, str):
            try:
                value = float(value.strip().replace("_", ""))
            except ValueError:
                continue
        if kind == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)
        out[name] = value
    return out


def _field_message(name: str, value: Any, meta: dict, kind: str | None = None) -> str | None:
    if value is None:
        return None
    if kind is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return say("{name}={value!r} must be a number", name=name, value=value)
    if isinstance(value, float) and not math.isfinite(value):
        return say("{name}={value!r} must be a finite number", name=name, value=value)
    if kind == "int" and isinstance(value, float):
        return say(
            "{name}={value!r} must be a whole number, e.g. {whole}",
            name=name, value=value, whole=round(value),
        )  # fmt: skip
    choices, lo, hi = meta.get("choices"), meta.get("min"), meta.get("max")
    if choices is not None and value not in choices:
        options = ", ".join(repr(c) for c in choices)
        return say(
            "{name}={value!r} is not one of {options}", name=name, value=value, options=options
        )
    if lo is None and hi is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return say("{name}={value!r} must be a number", name=name, value=value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return say(
            "{name}={value!r} is out of range; use a value from {lo} to {hi}",
            name=name, value=value, lo=lo, hi=hi,
        )  # fmt: skip
    return None


@dataclass
class ConfigBase:
    """Base for config dataclasses: range checks, dict round trip, field descriptions."""

    def __post_init__(self) -> None:
        for name, value in coerce_numbers(type(self), vars(self)).items():
            setattr(self, name, value)
        self.normalize()
        problems = self.problems()
        if problems:
            joined = "; ".join(map(str, problems))
            raise ConfigError(say("{cls}: {problems}", cls=type(self).__name__, problems=joined))

    def normalize(self) -> None:
        """Bring equivalent spellings of a setting to one form (before checking)."""

    def problems(self) -> list[Problem]:
        """Every range or choice violation, each naming its setting and the fix."""
        found: list[Problem] = []
        for f in dataclasses.fields(self):
            value, meta = getattr(self, f.name), dict(f.metadata)
            message = _field_message(f.name, value, meta, number_kind(f))
            if message:
                found.append(self.problem(f.name, message))
        return found

    @classmethod
    def problem(cls, setting: str, message: str) -> Problem:
        """A problem of the field ``setting``, labelled as the form labels that field."""
        label = next(
            (f.metadata.get("label") for f in dataclasses.fields(cls) if f.name == setting), None
        )
        return Problem(message, setting, label if label and label != setting else None)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ConfigBase:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ConfigError(
                say(
                    "{cls}: unknown setting(s) {unknown}; known settings are {known}",
                    cls=cls.__name__,
                    unknown=", ".join(unknown),
                    known=", ".join(sorted(names)),
                )  # fmt: skip
            )
        return cls(**values)

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        """Field name, type, default, help and range for each field (what a form shows).

        A class's own fields come before those it inherits (shared settings such as prompt
        growth follow the method's own), each group in declaration order.
        """
        rows = []
        for f in sorted(dataclasses.fields(cls), key=lambda f: _declared_depth(cls, f.name)):
            default = f.default if f.default is not dataclasses.MISSING else None
            rows.append({"name": f.name, "type": str(f.type), "default": default, **f.metadata})
        return rows


def _declared_depth(cls: type, name: str) -> int:
    """How far up ``cls``'s MRO the field ``name`` is declared (0: in ``cls`` itself)."""
    for depth, klass in enumerate(cls.__mro__):
        if name in inspect.get_annotations(klass):
            return depth
    return len(cls.__mro__)


PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@dataclass
class TrainConfig(ConfigBase):
    """One training run: data, model, method and the loop's settings.

    ``lr`` and ``epochs`` left empty take the chosen method's defaults; method-specific settings
    (prompt length, LoRA rank, ...) go in ``method_options``.
    """

    data: str = param(
        "", "Dataset: a file, a folder with train/dev/test files, or a hub id.", label="Dataset"
    )
    method: str = param("ptuning_v2", "Training method.", label="Method")
    model: str = param(
        "all-MiniLM-L6-v2",
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
        "Which vector the classifier reads: the first token (cls) or the mean of all tokens "
        "(mean). auto follows the model: mean for sentence-embedding models that declare it.",
        choices=("auto", "cls", "mean"),
        label="Pooling",
        advanced=True,
    )
    text_column: str | None = param(
        None, "Column holding the text; guessed when empty.", label="Text column", advanced=True
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
        min=8,
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
        min=2,
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


TASK_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-.")


def parse_tasks(value: Any) -> Any:
    """Multi-task datasets as {name: dataset}; text "a=path, b=path" is accepted too.

    A value that cannot be read comes back as a sentence saying why (checked in problems()).
    """
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return {str(k).strip(): str(v).strip() for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    tasks: dict[str, str] = {}
    for part in (p.strip() for p in str(value).split(",")):
        if not part:
            continue
        name, sep, data = part.partition("=")
        if not sep or not name.strip() or not data.strip():
            return say(
                "tasks entry {part!r} is not name=dataset; write the tasks as name=dataset "
                "pairs separated by commas, e.g. sst2=data/sst2,books=data/books",
                part=part,
            )
        if name.strip() in tasks:
            return say(
                "task name {name!r} is given twice; give each task its own name", name=name.strip()
            )
        tasks[name.strip()] = data.strip()
    return tasks


def task_problems(tasks: dict[str, str], data: str) -> list[str]:
    found = []
    if len(tasks) < 2:
        found.append(say("tasks needs at least two datasets; for one dataset use data instead"))
    if str(data).strip():
        found.append(say("give either data (one task) or tasks (several), not both"))
    for name, source in tasks.items():
        if not name or not set(name.lower()) <= TASK_NAME_CHARS:
            found.append(
                say(
                    "task name {name!r} may only hold letters, digits, '_', '-' and '.'; rename it",
                    name=name,
                )
            )
        if not source:
            found.append(say("task {name!r} has no dataset", name=name))
    return found
