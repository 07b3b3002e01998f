"""The interface's text about task types (one text or text pairs), in English and Chinese:
the Train tab's task and second-column pickers, the detected task's line, Try it's second box
and its "Why?" of a score, of several labels and of a pair's two texts."""

from __future__ import annotations

EN_TASKS: dict[str, str] = {
    "train_task": "Task",
    "train_task_info": "auto tells it from the columns: two text columns named like a pair "
    "(sentence1/sentence2, premise/hypothesis, question/answer, ...) make a pair task, labels "
    "joined in one cell (0,15 or joy;love) or lists several labels per text; a score "
    "(regression) is chosen here",
    "train_text_pair_column": "Second text column",
    "train_text_pair_column_info": "For text pairs: the column of each row's second text",
    "tryit_text_pair": "Second text (runs trained on text pairs)",
    "tryit_text_pair_placeholder": "The second text of the pair (hypothesis, answer, ...)",
}

ZH_TASKS: dict[str, str] = {
    "train_task": "任务类型",
    "train_task_info": "auto 根据列判断：两个名称成对的文本列（sentence1/sentence2、"
    "premise/hypothesis、question/answer……）构成文本对任务，一个单元格中连接的标签"
    "（0,15 或 joy;love）或列表表示每个文本多个标签；分数（回归）需在此选择",
    "train_text_pair_column": "第二个文本列",
    "train_text_pair_column_info": "文本对任务：每行第二个文本所在的列",
    "tryit_text_pair": "第二个文本（用文本对训练的运行）",
    "tryit_text_pair_placeholder": "文本对的第二个文本（假设、答案……）",
}

SERVER_EN_TASKS: dict[str, str] = {
    "dataset_task": "Task: **{task}** ({reason}).",
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
    "dataset_task": "任务类型：**{task}**（{reason}）。",
    "why_tip_score": "使分数变化 {change:+.3f}",
    "why_head_score": "<b>{run}</b> 预测的分数为 <b>{value}</b>：绿色的词使分数升高，"
    "红色的词使它降低",
    "why_head_labels": "<b>{run}</b> 预测为 <b>{labels}</b>（每个词：它对这些标签的共同影响）",
    "why_head_no_label": "<b>{run}</b> 没有预测任何标签；下面是支持和反对其最可能标签 "
    "<b>{labels}</b> 的词",
    "why_part": "文本 {n}",
}
