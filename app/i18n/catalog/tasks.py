"""Chinese of the task types' sentences (:mod:`core.tasks`): detection, choices, inputs, and the
name of the score each is judged by."""

ZH: dict[str, str] = {
    "unknown task '{name}'; choose one of {names}":
        "未知的任务类型 '{name}'；请从 {names} 中选择",
    "chosen: {task}":
        "已选择：{task}",
    'the pair task needs two text columns: none of the known pairs ({known}) is among the '
    'columns {available}; set text_pair_column (CLI: --text-pair-column)':
        '文本对任务需要两个文本列：列 {available} 中没有已知的列名组合（{known}）'
        '；请设置 text_pair_column（命令行：--text-pair-column）',
    "the task '{task}' does not fit this data":
        "任务类型 '{task}' 不适合这份数据",
    "one text column, {column}":
        "一个文本列：{column}",
    "no pair of text columns with known names":
        "没有已知列名的文本列对",
    "second text column given: {column}":
        "已指定第二个文本列：{column}",
    "two text columns named {first} and {second}":
        "两个文本列，名为 {first} 和 {second}",
    "give the text to classify as 'text'":
        "请在 'text' 中给出要分类的文本",
    "this run classifies single texts: give one text per row, without a second text":
        "此运行对单个文本分类：每行给一个文本，不要第二个文本",
    "this run classifies text pairs: give both texts, 'text' and 'text_pair' (batch files: "
    "two text columns)":
        "此运行对文本对分类：请给出两个文本 'text' 和 'text_pair'"
        "（批量文件：两个文本列）",
    "{run} was trained on {task} data, and {dataset} holds {other} data ({reason}); pick a "
    "dataset of the run's task":
        "{run} 是用 {task} 数据训练的，而 {dataset} 是 {other} 数据（{reason}）"
        "；请选择与该运行任务类型相同的数据集",
}  # fmt: skip

ZH_LABELS: dict[str, str] = {
    "the label column '{column}' holds lists of labels":
        "标签列 '{column}' 的每个单元格是一个标签列表",
    "the label column '{column}' holds several labels per row, joined as in '{example}'":
        "标签列 '{column}' 每行有多个标签，以 '{example}' 这样的方式连接",
    "the names file {path} must name at least two labels, each once":
        "标签名文件 {path} 至少要列出两个标签，每个只出现一次",
    "the {split} split has label id {id}, outside the names file {path} ({count} labels, ids "
    "0 to {last})":
        "{split} 划分中有标签编号 {id}，超出了标签名文件 {path} 的范围"
        "（共 {count} 个标签，编号 0 到 {last}）",
    "a multi-task run trains tasks of one label per row; {name} has the task {task} - train it "
    "on its own":
        "多任务运行只训练每行一个标签的任务；{name} 的任务类型是 {task}——请单独训练它",
}  # fmt: skip
ZH.update(ZH_LABELS)

ZH_SCORES: dict[str, str] = {
    "the label column '{column}' holds {distinct:,} distinct numbers such as {examples}: a "
    "score to predict":
        "标签列 '{column}' 有 {distinct:,} 个不同的数，例如 {examples}：要预测的分数",
    "{pair}; {labels}":
        "{pair}；{labels}",
    "could not tell which column holds the scores (columns: {available}; known names: "
    "{names}); {hint}":
        "无法判断哪一列是分数（列：{available}；已知列名：{names}）；{hint}",
    "the {split} split has {value!r} in the score column '{column}', which is not a number; a "
    "score (regression) needs a number in every row":
        "{split} 划分的分数列 '{column}' 中有 {value!r}，它不是数；"
        "分数（回归）任务每行都需要一个数",
    "the training data is too small: {rows}. At least {least} rows are needed":
        "训练数据太少：{rows}。至少需要 {least} 行",
    "every training row has the score {value}; a score needs rows of different values to "
    "learn from":
        "每个训练行的分数都是 {value}；分数任务需要不同取值的行才能学习",
    "the training data has {rows:,} rows, fewer than shots_per_class={per_class} (a score's "
    "sample counts rows in all); lower it or leave it empty":
        "训练数据只有 {rows:,} 行，少于 shots_per_class={per_class}"
        "（分数任务的样本按总行数计）；请调小或留空",
}  # fmt: skip
ZH_SCORES["chosen: {task} ({reason})"] = "已选择：{task}（{reason}）"
ZH.update(ZH_SCORES)
ZH["{count} columns of 0/1 values, one per label: {names}"] = (
    "{count} 个 0/1 列，每个标签一列：{names}"
)

ZH_SCORE_NAMES: dict[str, str] = {
    "accuracy": "准确率",
    "macro-F1": "宏平均 F1",
    "Pearson": "Pearson 相关系数",
    "entity F1": "实体 F1",
}
"""The score each task type is judged by (:attr:`core.tasks.base.Task.score_name`)."""
ZH.update(ZH_SCORE_NAMES)
