"""The grid of a sweep: prompt lengths x learning rates over shared settings, and its checks.

Text such as ``"10, 20,30"`` is read by :func:`read_values`; :class:`SweepConfig` checks the grid
itself and :func:`check_sweep` / :func:`sweep_problems` check the runs it makes as any run is
checked (settings, model, room left for the text), every problem at once.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from core.checks import draft, run_problems
from core.config import ConfigBase, Problem, TrainConfig, param
from core.errors import ConfigError, ConfigProblems
from core.messages import Message, say
from core.methods import METHODS, prompt_methods

LENGTH = "num_virtual_tokens"
DEFAULT_LENGTHS = (10, 15, 20, 25, 30)
MAX_RUNS = 60


def _length_field(method: str) -> dataclasses.Field | None:
    cls = METHODS[method].config_cls
    return next((f for f in dataclasses.fields(cls) if f.name == LENGTH), None)


def length_range(method: str) -> tuple[int, int]:
    """The smallest and largest prompt length the method accepts."""
    found = _length_field(method)
    if found is None:
        raise ConfigError(_not_prompt(method))
    return int(found.metadata["min"]), int(found.metadata["max"])


def default_lrs(method: str) -> tuple[float, ...]:
    """Three learning rates around the method's default: a third of it, it, and three times."""
    base = METHODS[method].default_lr
    return tuple(float(f"{base * factor:.2g}") for factor in (1 / 3, 1, 3))


def _items(text: str) -> list[str]:
    return [part for part in re.split(r"[,;\s]+", str(text).strip()) if part]


def _number(part: str, whole: bool) -> int | float | None:
    if whole:
        return int(part) if re.fullmatch(r"\d+", part) else None
    try:
        return float(part)
    except ValueError:
        return None


def read_values(text: str, whole: bool) -> tuple[list[Any], list[Message]]:
    """The numbers in comma-separated ``text`` and a problem for each item that is not one."""
    values, problems = [], []
    for part in _items(text):
        value = _number(part, whole)
        if value is not None:
            values.append(value)
        elif whole:
            problems.append(
                say("prompt lengths: {part!r} is not a whole number; give whole numbers "
                    "separated by commas, e.g. 10,20,30", part=part)
            )  # fmt: skip
        else:
            problems.append(
                say("learning rates: {part!r} is not a number; give numbers separated by "
                    "commas, e.g. 0.01,0.003", part=part)
            )  # fmt: skip
    return values, problems


def parse_lengths(text: str) -> list[int]:
    """Prompt lengths from text such as ``"10, 20,30"``; ConfigProblems naming every bad item."""
    values, problems = read_values(text, whole=True)
    if problems:
        raise ConfigProblems(problems)
    return values


def parse_lrs(text: str) -> list[float]:
    """Learning rates from text such as ``"0.01, 3e-3"``; ConfigProblems naming every bad item."""
    values, problems = read_values(text, whole=False)
    if problems:
        raise ConfigProblems(problems)
    return values


def _not_prompt(method: str) -> Message:
    return say(
        "method={method!r} has no prompt length to sweep; choose one of {methods}",
        method=method,
        methods=", ".join(prompt_methods()),
    )


@dataclass
class SweepConfig(ConfigBase):
    """A grid of prompt lengths x learning rates over shared base settings.

    ``lrs`` left empty takes :func:`default_lrs` of the method. Repeated values are dropped
    (the first order is kept); the base's own ``lr`` and prompt length are replaced by the grid.
    """

    base: TrainConfig = field(
        metadata={"help": "Settings shared by every run of the sweep.", "label": "Base settings"}
    )
    method: str = param("ptuning_v2", "Prompt method to sweep.", label="Method")
    lengths: tuple[int, ...] = param(
        DEFAULT_LENGTHS, "Prompt lengths (virtual tokens) to try.", label="Prompt lengths"
    )
    lrs: tuple[float, ...] | None = param(
        None,
        "Learning rates to try; empty tries three around the method's default.",
        label="Learning rates",
    )
    name: str | None = param(None, "A name for the sweep.", label="Sweep name")

    def __post_init__(self) -> None:
        self.fill_in()
        super().__post_init__()

    def fill_in(self) -> None:
        """Drop repeated values and take the default learning rates when none are given."""
        self.lengths = tuple(dict.fromkeys(self.lengths or ()))
        if self.lrs is None and self.method in METHODS:
            self.lrs = default_lrs(self.method)
        self.lrs = tuple(dict.fromkeys(self.lrs or ()))

    @property
    def points(self) -> list[tuple[int, float]]:
        """(prompt length, learning rate) of each run, in the order they train."""
        return [(length, lr) for length in self.lengths for lr in self.lrs or ()]

    def problems(self) -> list[Problem]:
        found = super().problems()
        if not isinstance(self.base, TrainConfig):
            message = say("base must be a TrainConfig holding the shared settings")
            found.append(Problem(message, "base"))
        if self.method not in prompt_methods():
            return [*found, Problem(_not_prompt(self.method), "method")]
        found += [Problem(p, "lengths") for p in self._length_problems()]
        found += [Problem(p, "lrs") for p in self._lr_problems()]
        if len(self.points) > MAX_RUNS:
            message = say(
                "the grid has {lengths} lengths x {lrs} learning rates = {runs} runs; at most "
                "{most} fit one sweep, so drop some values",
                lengths=len(self.lengths), lrs=len(self.lrs or ()), runs=len(self.points),
                most=MAX_RUNS,
            )  # fmt: skip
            found.append(Problem(message, "lengths"))
        if isinstance(self.base, TrainConfig) and self.base.method_options.get("grow"):
            message = say(
                "a sweep trains fixed prompt lengths; clear the prompt growth setting (grow)"
            )
            found.append(Problem(message, "base"))
        return found

    def _length_problems(self) -> list[Message]:
        if not self.lengths:
            return [say("prompt lengths are empty; give at least one, e.g. 10,20,30")]
        lo, hi = length_range(self.method)
        title = METHODS[self.method].said_title
        found = []
        for value in self.lengths:
            if isinstance(value, bool) or not isinstance(value, int):
                found.append(say("prompt lengths: {value!r} is not a whole number", value=value))
            elif not lo <= value <= hi:
                found.append(
                    say("prompt lengths: {value} is out of range for {method}; use lengths from "
                        "{lo} to {hi}", value=value, method=title, lo=lo, hi=hi)
                )  # fmt: skip
        return found

    def _lr_problems(self) -> list[Message]:
        if not self.lrs:
            return [say("learning rates are empty; give at least one, e.g. 0.01,0.003")]
        meta = next(f.metadata for f in dataclasses.fields(TrainConfig) if f.name == "lr")
        found = []
        for value in self.lrs:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                found.append(say("learning rates: {value!r} is not a number", value=value))
            elif not meta["min"] <= value <= meta["max"]:
                found.append(
                    say("learning rates: {value:g} is out of range; use values from {lo:g} to "
                        "{hi:g}, e.g. 0.01", value=value, lo=meta["min"], hi=meta["max"])
                )  # fmt: skip
        return found

    def values(
        self, length: int | None, lr: float | None, name: str | None = None
    ) -> dict[str, Any]:
        """TrainConfig keyword values of one grid point (None keeps the base's value)."""
        options = dict(self.base.method_options or {})
        if length is not None:
            options[LENGTH] = length
        return {**dataclasses.asdict(self.base), "method": self.method, "lr": lr,
                "method_options": options, "name": name, "out": None}  # fmt: skip

    def sweep_name(self) -> str:
        data = Path(str(self.base.data)).name or str(self.base.data)
        return self.name or f"{self.method} sweep on {data}"


def _point_problems(config: SweepConfig) -> list[Problem]:
    """Problems of the runs the grid makes, checked as any run is (settings, model, room)."""
    if config.method not in prompt_methods():
        return run_problems(config.values(None, None))
    lo, hi = length_range(config.method)
    usable: list[int | None] = [n for n in config.lengths if isinstance(n, int) and lo <= n <= hi]
    problems: list[Problem] = []
    for length in usable or [None]:
        problems += run_problems(config.values(length, None))
    return problems


def _distinct(problems: list[Problem]) -> list[Problem]:
    """``problems`` without repeats (several grid points share most problems), first kept."""
    seen: dict[str, Problem] = {}
    for problem in problems:
        seen.setdefault(str(problem), problem)
    return list(seen.values())


def check_sweep(config: SweepConfig) -> None:
    """Check every grid point as a run would be checked; ConfigProblems listing all problems."""
    problems = _point_problems(config)
    if problems:
        raise ConfigProblems(_distinct(problems))


def sweep_problems(
    base: dict[str, Any],
    method: str,
    lengths: list[Any],
    lrs: list[Any] | None,
    name: str | None = None,
) -> list[Problem]:
    """Every problem of a sweep given as plain values (what a form holds), each once.

    ``base`` holds TrainConfig keyword values; ``lrs`` None takes the method's defaults.
    """
    values = {"base": draft(TrainConfig, base), "method": method, "lengths": tuple(lengths),
              "lrs": None if lrs is None else tuple(lrs), "name": name}  # fmt: skip
    config = cast(SweepConfig, draft(SweepConfig, values))
    config.fill_in()
    return _distinct(config.problems() + _point_problems(config))
