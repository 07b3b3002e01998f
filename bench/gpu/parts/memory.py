"""Part 8: peak device memory of every run (peaks reset before each), and the memory allocated
after several runs in one process against its baseline (the throughput series, part 7)."""

from __future__ import annotations

from bench.gpu.context import FAILED, PASSED, Bench, Outcome, Skip
from bench.gpu.runs import mib


def run(bench: Bench) -> Outcome:
    bench.need_cuda()
    series = bench.memory
    if series.get("ok") is None:
        raise Skip("the throughput runs (part 7) measured no memory series")
    before, first, last = (series[key] for key in ("before_first_run", "after_first_run",
                                                  "after_last_run"))  # fmt: skip
    lines = [
        f"Allocated before the first throughput run: {mib(before['allocated'])};"
        f" after it (the baseline): {mib(first['allocated'])}; after all {series['runs']} runs: "
        f"{mib(last['allocated'])} (growth {mib(series['growth_bytes'])}, allowed "
        f"{mib(series['slack_bytes'])}). Reserved after them: {mib(last['reserved'])}.",
        "",
        "Peak memory of every run of the check is in the run table above.",
    ]
    status = PASSED if series["ok"] else FAILED
    reason = "" if series["ok"] else f"memory grew by {mib(series['growth_bytes'])} over the runs"
    peaks = [{"label": r["label"], "peak_memory": r["peak_memory"]} for r in bench.runs]
    return Outcome(status, {"series": series, "peaks": peaks}, lines, reason)
