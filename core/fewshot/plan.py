"""The plan of a few-shot experiment: methods x examples per class x seeds, and its checks.

Every point of the plan is an ordinary run (:class:`core.config.TrainConfig`) that trains on
``k`` examples of each class (``shots_per_class``) for the same number of steps, with each
method's default learning rate and settings, and is evaluated once, at its end, on the same
validation rows; no weights are chosen by validation accuracy, so the accuracy it reports is a
fair estimate of what that much data gives. ``all`` trains on every training row for the same
steps: what more varied data gives at equal compute.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from core.checks import draft, run_problems
from core.config import MIN_PER_CLASS, ConfigBase, Problem, TrainConfig, param
from core.errors import ConfigProblems
from core.messages import Message, say
from core.methods import METHODS

ALL = "all"
"""The point that trains on every training row."""
DEFAULT_SHOTS: tuple[int | str, ...] = (8, 16, 32, 64, 128, ALL)
DEFAULT_METHODS = ("ptuning_v2", "lora", "head_only")
DEFAULT_SEEDS = 3
DEFAULT_STEPS = 100
DEFAULT_BATCH = 16
DEFAULT_EVAL_ROWS = 1000
MAX_RUNS = 400

Shot = int | str


def _items(text: str) -> list[str]:
    return [part for part in re.split(r"[,;\s]+", str(text).strip()) if part]


def read_shots(text: str) -> tuple[list[Shot], list[Message]]:
    """Examples per class from text such as ``"8, 16,32,all"``, and a problem per bad item."""
    values: list[Shot] = []
    problems: list[Message] = []
    for part in _items(text):
        if part.lower() == ALL:
            values.append(ALL)
        elif re.fullmatch(r"\d+", part):
            values.append(int(part))
        else:
            problems.append(
                say(
                    "examples per class: {part!r} is neither a whole number nor 'all'; give "
                    "numbers separated by commas, e.g. 8,16,32,all",
                    part=part,
                )
            )
    return values, problems


def read_methods(text: str) -> tuple[list[str], list[Message]]:
    """Method names from text such as ``"ptuning_v2, lora"``, and a problem per unknown one."""
    values: list[str] = []
    problems: list[Message] = []
    for part in _items(text):
        if part in METHODS:
            values.append(part)
        else:
            problems.append(
                say(
                    "methods: {part!r} is not a method; choose from {methods}",
                    part=part,
                    methods=", ".join(METHODS),
                )
            )
    return values, problems


def shot_order(shots: tuple[Shot, ...]) -> tuple[Shot, ...]:
    """Numbers ascending, then ``all``; repeats dropped."""
    numbers = sorted({s for s in shots if isinstance(s, int) and not isinstance(s, bool)})
    return (*numbers, *([ALL] if ALL in shots else []))


@dataclass
class FewShotConfig(ConfigBase):
    """A learning-curve experiment over shared base settings.

    The base's method, learning rate, method settings and step count are replaced per point:
    each method trains with its own defaults for ``steps`` steps.
    """

    base: TrainConfig = field(
        metadata={
            "help": "Settings shared by every run (dataset, model, batch size, ...).",
            "label": "Base settings",
        }  # fmt: skip
    )
    methods: tuple[str, ...] = param(
        DEFAULT_METHODS, "Methods to compare, each with its default settings.", label="Methods"
    )
    shots: tuple[Shot, ...] = param(
        DEFAULT_SHOTS,
        "Training examples per class at each point of the curve; 'all' uses every row.",
        label="Examples per class",
    )
    seeds: int = param(
        DEFAULT_SEEDS,
        "Runs per method and size, each with another sample and initialisation: the spread "
        "over them shows how much a result depends on which examples were drawn.",
        min=1,
        max=10,
        label="Seeds",
    )
    steps: int = param(
        DEFAULT_STEPS,
        "Optimizer steps of every run, the same at every size so that only the data differs.",
        min=1,
        max=100_000,
        label="Steps per run",
    )
    name: str | None = param(None, "A name for the experiment.", label="Experiment name")

    def __post_init__(self) -> None:
        self.methods = tuple(dict.fromkeys(self.methods or ()))
        self.shots = shot_order(tuple(self.shots or ()))
        super().__post_init__()

    @property
    def seed_values(self) -> list[int]:
        """The seeds of the runs: the base seed and the ones after it."""
        return [self.base.seed + i for i in range(self.seeds)]

    @property
    def points(self) -> list[tuple[str, Shot, int]]:
        """(method, examples per class, seed) of each run, in the order they train: one seed
        of the whole curve first, so a stopped experiment has every method and size."""
        return [
            (method, k, seed)
            for seed in self.seed_values
            for k in self.shots
            for method in self.methods
        ]

    def problems(self) -> list[Problem]:
        found = super().problems()
        if not isinstance(self.base, TrainConfig):
            return [*found, Problem(say("base must be a TrainConfig holding the shared settings"))]
        if not self.methods:
            found.append(Problem(say("methods are empty; choose at least one"), "methods"))
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            message = say(
                "unknown methods {unknown}; choose from {methods}",
                unknown=", ".join(unknown),
                methods=", ".join(METHODS),
            )
            found.append(Problem(message, "methods"))
        if not self.shots:
            message = say("examples per class are empty; give at least one, e.g. 8,16,32,all")
            found.append(Problem(message, "shots"))
        for k in self.shots:
            if isinstance(k, int) and k < MIN_PER_CLASS:
                message = say(
                    "examples per class: {k} is too few; use {least} or more",
                    k=k, least=MIN_PER_CLASS,
                )  # fmt: skip
                found.append(Problem(message, "shots"))
        # A draft's seeds may be anything a form sent ('x', 2.5): its own problem is listed
        # above, and the count of runs is only known for a whole number.
        whole = isinstance(self.seeds, int) and not isinstance(self.seeds, bool)
        runs = len(self.methods) * len(self.shots) * (max(self.seeds, 0) if whole else 0)
        if runs > MAX_RUNS:
            message = say(
                "{methods} methods x {sizes} sizes x {seeds} seeds = {runs} runs; at most {most} "
                "fit one experiment, so drop some",
                methods=len(self.methods), sizes=len(self.shots), seeds=self.seeds,
                runs=runs, most=MAX_RUNS,
            )  # fmt: skip
            found.append(Problem(message, "methods"))
        if self.base.tasks:
            message = say(
                "a few-shot experiment trains on one dataset; clear the multi-task datasets"
            )
            found.append(Problem(message, "base"))
        if self.base.init_from:
            message = say(
                "a few-shot experiment starts every run fresh; clear 'start from adapter'"
            )
            found.append(Problem(message, "base"))
        return found

    def values(self, method: str, k: Shot, seed: int, name: str | None = None) -> dict[str, Any]:
        """TrainConfig keyword values of one point."""
        base = dataclasses.asdict(self.base)
        return {
            **base,
            "method": method,
            "method_options": {},
            "lr": None,
            "epochs": None,
            "time_budget_minutes": None,
            "max_steps": self.steps,
            "max_train_rows": None,
            "shots_per_class": None if k == ALL else k,
            "seed": seed,
            "eval_every": self.steps,  # one evaluation, at the end
            "keep_best": False,
            "early_stopping_patience": 0,
            "name": name,
            "out": None,  # each run gets its own folder from the store
        }

    def experiment_name(self) -> str:
        data = Path(str(self.base.data)).name or str(self.base.data)
        return self.name or f"few-shot on {data}"

    def grid(self) -> dict[str, Any]:
        """What the store records of the plan."""
        return {"methods": list(self.methods), "shots": list(self.shots),
                "seeds": self.seed_values, "steps": self.steps}  # fmt: skip


def plan_problems(config: FewShotConfig) -> list[Problem]:
    """Every problem of the plan and of the runs it makes (each once)."""
    problems = list(config.problems())
    if isinstance(config.base, TrainConfig):
        for method in [m for m in config.methods if m in METHODS] or [config.base.method]:
            k = next((s for s in config.shots if s != ALL), ALL)
            problems += run_problems(config.values(method, k, config.base.seed))
    unique: dict[str, Problem] = {}
    for problem in problems:
        unique.setdefault(str(problem), problem)
    return list(unique.values())


def check_plan(config: FewShotConfig) -> None:
    """ConfigProblems listing every problem of the plan."""
    problems = plan_problems(config)
    if problems:
        raise ConfigProblems(problems)


def fewshot_problems(
    base: dict[str, Any], methods: list[Any], shots: list[Any], seeds: Any, steps: Any,
    name: str | None = None,
) -> list[Problem]:  # fmt: skip
    """Every problem of an experiment given as plain values (what a form holds)."""
    values = {"base": draft(TrainConfig, base), "methods": tuple(methods),
              "shots": tuple(shots), "seeds": seeds, "steps": steps, "name": name}  # fmt: skip
    config = cast(FewShotConfig, draft(FewShotConfig, values))
    return plan_problems(config)
