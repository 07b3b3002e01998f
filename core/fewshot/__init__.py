"""Few-shot learning curves: how a run's score grows with the examples per class, per method.

:mod:`core.fewshot.plan` holds the plan and its checks, :mod:`core.fewshot.run` runs it (one
recorded run per method, size and seed, stoppable and resumable), :mod:`core.fewshot.results`
reads the curve back, and :mod:`core.fewshot.cli` is ``python -m core.fewshot``.
"""

from core.fewshot.plan import (
    ALL,
    DEFAULT_BATCH,
    DEFAULT_EVAL_ROWS,
    DEFAULT_METHODS,
    DEFAULT_SEEDS,
    DEFAULT_SHOTS,
    DEFAULT_STEPS,
    FewShotConfig,
    check_plan,
    fewshot_problems,
    read_methods,
    read_shots,
)
from core.fewshot.results import curve, fewshot_results
from core.fewshot.run import (
    FewShotHandle,
    config_of,
    resume_fewshot,
    run_fewshot,
    start_fewshot,
)

__all__ = [
    "ALL", "DEFAULT_BATCH", "DEFAULT_EVAL_ROWS", "DEFAULT_METHODS", "DEFAULT_SEEDS",
    "DEFAULT_SHOTS", "DEFAULT_STEPS", "FewShotConfig", "FewShotHandle", "check_plan",
    "config_of", "curve", "fewshot_problems", "fewshot_results", "read_methods", "read_shots",
    "resume_fewshot", "run_fewshot", "start_fewshot",
]  # fmt: skip
