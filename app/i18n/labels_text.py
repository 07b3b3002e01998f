"""The interface's text about several labels per text (multi-label) and scores (regression), in
English and Chinese: Try it's thresholds table, its answer when no label reaches its threshold,
its refusals, and the diagnosis of a score (predicted against true, the largest errors)."""

from __future__ import annotations

EN_LABELS: dict[str, str] = {
    "tryit_thresholds": "Thresholds (runs with several labels per text; edit to try others)",
}

ZH_LABELS: dict[str, str] = {
    "tryit_thresholds": "阈值（每个文本有多个标签的运行；可修改后重试）",
}

SERVER_EN_LABELS: dict[str, str] = {
    "diag_score": "Score",
    "diag_true_score": "True score",
    "diag_predicted_score": "Predicted score",
    "diag_col_error": "Error",
    "diag_summary_score": "{run}: {rows} validation rows{sample}; Pearson {pearson}, Spearman "
    "{spearman}, mean squared error {mse}, mean absolute error {mae}. The table lists the "
    "largest errors first.",
    "tryit_col_threshold": "Threshold",
    "tryit_no_label": "(no label)",
    "tryit_bad_threshold": "The threshold of {label} for {run} is {value!r}; give a number "
    "between 0 and 1",
}

SERVER_ZH_LABELS: dict[str, str] = {
    "diag_score": "分数",
    "diag_true_score": "真实分数",
    "diag_predicted_score": "预测分数",
    "diag_col_error": "误差",
    "diag_summary_score": "{run}：{rows} 个验证行{sample}；Pearson {pearson}，Spearman "
    "{spearman}，均方误差 {mse}，平均绝对误差 {mae}。表格按误差从大到小列出。",
    "tryit_col_threshold": "阈值",
    "tryit_no_label": "（无标签）",
    "tryit_bad_threshold": "{run} 的标签 {label} 的阈值是 {value!r}；请给出 0 到 1 之间的数",
}
