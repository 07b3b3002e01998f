"""The interface's text about task types, in English and Chinese: the Train tab's task picker
(each task by its title, the English one the task's own) and second-column picker, the detected
task's line and the summaries of several labels and of scores, Try it's second box and its
"Why?" of a score, of several labels and of a pair's two texts, and the score each task is
judged by as the run views title it."""

from __future__ import annotations

from core.tasks import AUTO, TASKS

TASK_TITLES_ZH: dict[str, str] = {
    AUTO: "自动（根据数据判断）",
    "single_label": "一个文本，一个标签",
    "pair": "文本对",
    "multi_label": "每个文本多个标签",
    "regression": "分数（回归）",
    "tagging": "带标签的词语（实体）",
}
"""Each task's title in Chinese (and auto's), keyed by the task's name."""

EN_TASKS: dict[str, str] = {
    "train_task": "Task",
    "train_task_info": "auto tells it from the columns: two text columns named like a pair "
    "(sentence1/sentence2, premise/hypothesis, question/answer, ...) make a pair task, labels "
    "joined in one cell (0,15 or joy;love), lists or one 0/1 column per label several labels "
    "per text, a label column of many distinct fractional numbers a score, a CoNLL file tagged "
    "words; a score of whole numbers (a 1-5 rating to predict as a number) is chosen here",
    "train_text_pair_column": "Second text column",
    "train_text_pair_column_info": "For text pairs: the column of each row's second text",
    "tryit_text_pair": "Second text (runs trained on text pairs)",
    "tryit_text_pair_placeholder": "The second text of the pair (hypothesis, answer, ...)",
}

ZH_TASKS: dict[str, str] = {
    "train_task": "任务类型",
    "train_task_info": "auto 根据列判断：两个名称成对的文本列（sentence1/sentence2、"
    "premise/hypothesis、question/answer……）构成文本对任务，一个单元格中连接的标签"
    "（0,15 或 joy;love）、列表或每个标签一个 0/1 列表示每个文本多个标签，CoNLL 文件表示带标签的"
    "词语，包含许多不同小数的标签列表示分数；整数分数（例如要作为数值预测的 1-5 评分）需在此选择",
    "train_text_pair_column": "第二个文本列",
    "train_text_pair_column_info": "文本对任务：每行第二个文本所在的列",
    "tryit_text_pair": "第二个文本（用文本对训练的运行）",
    "tryit_text_pair_placeholder": "文本对的第二个文本（假设、答案……）",
}

SERVER_EN_TASKS: dict[str, str] = {
    "col_run_score": "Score",
    "score_axis": "Validation {metric}",
    "score_any": "score",
    "dataset_task": "**{title}**. Task: **{task}** ({reason}).",
    "dataset_binary_summary": "{rows} rows, {labels} labels: {names}. Text column `{text}`; "
    "each label is a column of 0/1 values.",
    "dataset_score_summary": "{rows} rows. Text column `{text}`, score column `{label}`: "
    "from {low} to {high}.",
    f"task_{AUTO}": "Auto (told from the data)",
    **{f"task_{name}": task.title for name, task in TASKS.items()},
    # "Why?" of a score, of several labels and of a pair's two texts
    "why_tip_score": "{change:+.3f} to the score",
    "why_head_score": "<b>{run}</b> predicts a score of <b>{value}</b>: green words raised it, "
    "red words lowered it",
    "why_head_labels": "<b>{run}</b> predicts <b>{labels}</b> (each word: its pull on these "
    "labels together)",
    "why_head_no_label": "<b>{run}</b> predicts no label; the words for and against its "
    "likeliest, <b>{labels}</b>",
    "why_part": "Text {n}",
}

SERVER_ZH_TASKS: dict[str, str] = {
    "col_run_score": "得分",
    "score_axis": "验证集{metric}",
    "score_any": "得分",
    "dataset_task": "**{title}**。任务类型：**{task}**（{reason}）。",
    "dataset_binary_summary": "{rows} 行，{labels} 个标签：{names}。文本列 `{text}`；"
    "每个标签是一列 0/1 值。",
    "dataset_score_summary": "{rows} 行。文本列 `{text}`，分数列 `{label}`：从 {low} 到 {high}。",
    **{f"task_{name}": title for name, title in TASK_TITLES_ZH.items()},
    "why_tip_score": "使分数变化 {change:+.3f}",
    "why_head_score": "<b>{run}</b> 预测的分数为 <b>{value}</b>：绿色的词使分数升高，"
    "红色的词使它降低",
    "why_head_labels": "<b>{run}</b> 预测为 <b>{labels}</b>（每个词：它对这些标签的共同影响）",
    "why_head_no_label": "<b>{run}</b> 没有预测任何标签；下面是支持和反对其最可能标签 "
    "<b>{labels}</b> 的词",
    "why_part": "文本 {n}",
}
