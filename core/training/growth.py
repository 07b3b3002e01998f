"""Progressive prompt growth (experimental): a short prompt first, grown in stages.

A run with ``grow="5,10,20"`` trains 5 virtual tokens, then 10, then 20. Each growth keeps the
trained rows, adds new rows initialised the way the method initialises a fresh prompt, and
rebuilds the optimizer (the new rows have no moment estimates yet). Stages begin at fractions of
the planned training steps (``grow_at``), evenly spaced unless given.

The settings come with :class:`PromptSettings`, the base of every prompt method's settings.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, fields
from typing import Any

from core.config import ConfigBase, Problem, param
from core.errors import ConfigError, message_of
from core.messages import say

MAX_STAGES = 10


@dataclass
class PromptSettings(ConfigBase):
    """Base of the settings of methods with a prompt: the (experimental) growth schedule.

    Each subclass declares its own ``num_virtual_tokens``; forms list these fields after it.
    """

    grow: str = param(
        "",
        "Experimental: grow the prompt in stages, e.g. 5,10,20. Training starts with the first "
        "length and grows to the last, which replaces the prompt length; trained tokens are "
        "kept and new ones start like a fresh prompt. Empty trains one fixed length.",
        label="Grow prompt in stages (experimental)",
        advanced=True,
    )
    grow_at: str = param(
        "",
        "Fractions of the training steps at which each later stage begins, e.g. 0.3,0.6 for "
        "three stages; empty spaces the stages evenly.",
        label="Growth points (experimental)",
        advanced=True,
    )

    def normalize(self) -> None:
        normalize_growth(self)

    def problems(self) -> list[Problem]:
        found = super().problems()
        if not self.grow:
            if self.grow_at:
                found.append(
                    self.problem(
                        "grow_at", say("grow_at is set but grow is empty; give the stages too")
                    )
                )
            return found
        try:
            stages = parse_stages(self.grow, _longest(self))
        except ConfigError as exc:
            return [*found, self.problem("grow", message_of(exc))]
        try:
            parse_points(self.grow_at, len(stages))
        except ConfigError as exc:
            found.append(self.problem("grow_at", message_of(exc)))
        return found


def _as_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value).strip()


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def parse_stages(text: str, longest: int) -> list[int]:
    """Prompt lengths of the stages; raises ConfigError with the fix when they are not usable."""
    parts = _split(text)
    try:
        stages = [int(p) for p in parts]
    except ValueError:
        raise ConfigError(
            say("grow={text!r} must be whole numbers separated by commas, e.g. 5,10,20", text=text)
        ) from None
    if len(stages) < 2:
        raise ConfigError(say("grow={text!r} needs at least two lengths, e.g. 5,10,20", text=text))
    if len(stages) > MAX_STAGES:
        raise ConfigError(
            say(
                "grow={text!r} has {stages} stages; use at most {most}",
                text=text,
                stages=len(stages),
                most=MAX_STAGES,
            )
        )
    if any(b <= a for a, b in zip(stages, stages[1:], strict=False)):
        raise ConfigError(
            say("grow={text!r} must increase from stage to stage, e.g. 5,10,20", text=text)
        )
    if stages[0] < 1 or stages[-1] > longest:
        raise ConfigError(
            say(
                "grow={text!r}: every length must be from 1 to {longest}",
                text=text,
                longest=longest,
            )
        )
    return stages


def parse_points(text: str, stages: int) -> list[float]:
    """Fractions of training where stages 2..n begin (evenly spaced when ``text`` is empty)."""
    if not _split(text):
        return [i / stages for i in range(1, stages)]
    try:
        points = [float(p) for p in _split(text)]
    except ValueError:
        raise ConfigError(
            say("grow_at={text!r} must be fractions separated by commas", text=text)
        ) from None
    if len(points) != stages - 1:
        raise ConfigError(
            say(
                "grow_at={text!r} gives {points} points for {stages} stages; give {needed} "
                "fractions (one per stage after the first) or leave it empty",
                text=text,
                points=len(points),
                stages=stages,
                needed=stages - 1,
            )
        )
    if any(not 0 < p < 1 for p in points) or any(
        b <= a for a, b in zip(points, points[1:], strict=False)
    ):
        raise ConfigError(
            say("grow_at={text!r} must be increasing fractions between 0 and 1", text=text)
        )
    return points


def _longest(settings: Any) -> int:
    for f in fields(settings):
        if f.name == "num_virtual_tokens":
            return int(f.metadata["max"])
    raise TypeError(f"{type(settings).__name__} has no prompt length")


def normalize_growth(settings: Any) -> None:
    """Write the stages in one form and make the last stage the prompt length."""
    settings.grow = _as_text(settings.grow)
    settings.grow_at = _as_text(settings.grow_at)
    try:
        stages = parse_stages(settings.grow, _longest(settings)) if settings.grow else None
    except ConfigError:
        return  # problems() reports it
    if stages:
        settings.grow = ",".join(str(n) for n in stages)
        settings.num_virtual_tokens = stages[-1]
        if _split(settings.grow_at):
            try:
                points = parse_points(settings.grow_at, len(stages))
            except ConfigError:
                return  # problems() reports it
            settings.grow_at = ",".join(f"{p:g}" for p in points)


@dataclass(frozen=True)
class Schedule:
    """Stage lengths and the fractions of training where each later stage begins."""

    stages: tuple[int, ...]
    points: tuple[float, ...]

    def length_at(self, step: int, total_steps: int) -> int:
        """The prompt length for ``step`` of a run planned for ``total_steps``."""
        done = step / max(1, total_steps)
        return self.stages[bisect.bisect_right(self.points, done)]


def schedule_of(settings: Any) -> Schedule | None:
    """The growth schedule of a method's settings, or None for a fixed-length prompt."""
    if not getattr(settings, "grow", ""):
        return None
    stages = parse_stages(settings.grow, _longest(settings))
    return Schedule(tuple(stages), tuple(parse_points(settings.grow_at, len(stages))))


def fixed_options(options: dict[str, Any], length: int) -> dict[str, Any]:
    """Method options describing a trained prompt of ``length`` tokens, without growth."""
    fixed = {**options, "num_virtual_tokens": length}
    fixed.pop("grow", None)
    fixed.pop("grow_at", None)
    return fixed
