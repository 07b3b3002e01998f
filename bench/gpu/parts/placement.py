"""Part 4: after every run of the check, every parameter still on the device, in its dtype.

Each run's model is looked at once the run has finished (:func:`bench.gpu.runs.train`): after
the best weights came back and the adapter was saved. This part gathers those looks.
"""

from __future__ import annotations

from bench.gpu.context import FAILED, PASSED, Bench, Outcome, Skip


def run(bench: Bench) -> Outcome:
    looked = [r for r in bench.runs if r["placement"] is not None]
    if not looked:
        raise Skip("no run reached its end")
    wrong = [r for r in looked if not r["placement"]["ok"]]
    parameters = sum(r["placement"]["parameters"] for r in looked)
    lines = [f"{len(looked)} runs looked at after their end ({parameters:,} parameters): "
             f"{len(wrong)} with a parameter off {bench.device} or in another dtype."]  # fmt: skip
    lines += [f"- {r['label']}: {r['placement']['off_device']} off the device, "
              f"{r['placement']['wrong_dtype']} in another dtype, e.g. "
              f"{'; '.join(r['placement']['examples'])}" for r in wrong]  # fmt: skip
    unseen = [r["label"] for r in bench.runs if r["placement"] is None]
    if unseen:
        lines.append(f"Not looked at (the run failed before its end): {', '.join(unseen)}.")
    figures = {"runs": [{"label": r["label"], **r["placement"]} for r in looked],
               "not_looked_at": unseen}  # fmt: skip
    if wrong:
        reason = f"{len(wrong)} runs left parameters off the device or in another dtype"
        return Outcome(FAILED, figures, lines, reason)
    return Outcome(PASSED, figures, lines)
