"""A run's plan under a time budget: measured after the warm-up, fitted both ways."""

from __future__ import annotations

from core.training.schedule import WARMUP_STEPS, Pace


def pace(total: int = 1000) -> Pace:
    """A fresh loop at step 0 of ``total`` planned steps, started at time 0."""
    p = Pace(run_started=0.0)
    p.planned_total = total
    p.start_loop(0, total)
    p.loop_started = 0.0
    return p


def test_the_warm_up_is_left_out_of_the_speed_that_fits_the_plan():
    p = pace()
    assert (p.warm_from, p.replan_from) == (WARMUP_STEPS, 2 * WARMUP_STEPS)
    p.note(10.0, WARMUP_STEPS)  # 20 slow steps: 0.5 s each (kernels compiling, caches filling)
    now, step = 12.0, 2 * WARMUP_STEPS  # then 0.1 s a step
    fitted = p.fitted_total(now, step, budget=100.0, eval_rows=0, batch=8)
    assert fitted == step + round((100.0 - now) / 0.1)  # 920: the steady speed's plan
    assert p.seconds_per_step(now, step) == 12.0 / 40  # the progress bar's pace keeps it all


def test_a_pessimistic_early_plan_grows_back_but_never_past_the_configured_steps():
    p = pace(total=1000)
    p.note(2.0, WARMUP_STEPS)
    slow = p.fitted_total(2.0 + 20 * 0.5, 40, budget=100.0, eval_rows=0, batch=8)
    assert slow == 40 + int((100.0 - 12.0) / 0.5)  # 216: the machine was busy
    faster = p.fitted_total(12.0 + 60 * 0.1, 100, budget=100.0, eval_rows=0, batch=8)
    assert faster > slow  # it freed up: the plan grows back


def test_a_fitted_plan_never_goes_past_the_configured_steps():
    p = pace(total=1000)
    p.note(1.0, WARMUP_STEPS)
    assert p.fitted_total(1.0 + 20 * 0.001, 40, budget=100.0, eval_rows=0, batch=8) == 1000


def test_a_plan_never_ends_before_the_step_the_run_is_at():
    p = pace()
    p.note(1.0, WARMUP_STEPS)
    assert p.fitted_total(500.0, 60, budget=100.0, eval_rows=0, batch=8) == 60


def test_evaluations_still_to_come_are_paid_for():
    p = pace()
    p.note(2.0, WARMUP_STEPS)
    p.eval_seconds, p.eval_rows = 1.0, 100  # 0.01 s a row, measured
    p.warm_eval_seconds = 1.0  # that evaluation came before the warm-up's end
    plain = p.fitted_total(6.0, 60, budget=100.0, eval_rows=0, batch=8)
    with_evals = p.fitted_total(6.0, 60, budget=100.0, eval_rows=1000, batch=8)
    assert plain - with_evals == round(1000 * 0.01 / 0.1)
