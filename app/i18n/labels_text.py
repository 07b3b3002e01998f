"""The interface's text about several labels per text (multi-label), in English and Chinese:
Try it's thresholds table, its answer when no label reaches its threshold, and its refusals."""

from __future__ import annotations

EN_LABELS: dict[str, str] = {
    "tryit_thresholds": "Thresholds (runs with several labels per text; edit to try others)",
}

ZH_LABELS: dict[str, str] = {
    "tryit_thresholds": "阈值（每个文本有多个标签的运行；可修改后重试）",
}

SERVER_EN_LABELS: dict[str, str] = {
    "tryit_col_threshold": "Threshold",
    "tryit_no_label": "(no label)",
    "tryit_bad_threshold": "The threshold of {label} for {run} is {value!r}; give a number "
    "between 0 and 1",
}

SERVER_ZH_LABELS: dict[str, str] = {
    "tryit_col_threshold": "阈值",
    "tryit_no_label": "（无标签）",
    "tryit_bad_threshold": "{run} 的标签 {label} 的阈值是 {value!r}；请给出 0 到 1 之间的数",
}
