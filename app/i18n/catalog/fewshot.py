"""Chinese of the few-shot experiment's messages (:mod:`core.fewshot`)."""

ZH: dict[str, str] = {
    "examples per class: {part!r} is neither a whole number nor 'all'; give numbers separated "
    "by commas, e.g. 8,16,32,all":
        "每类样本数：{part!r} 既不是整数也不是 'all'；请用逗号分隔的数字，例如 8,16,32,all",
    'methods: {part!r} is not a method; choose from {methods}':
        '方法：{part!r} 不是一种方法；请从 {methods} 中选择',
    'base must be a TrainConfig holding the shared settings':
        'base 必须是保存共享设置的 TrainConfig',
    'methods are empty; choose at least one':
        '没有选择方法；请至少选择一种',
    'unknown methods {unknown}; choose from {methods}':
        '未知的方法 {unknown}；请从 {methods} 中选择',
    'examples per class are empty; give at least one, e.g. 8,16,32,all':
        '每类样本数为空；请至少给出一个，例如 8,16,32,all',
    'examples per class: {k} is too few; use {least} or more':
        '每类样本数：{k} 太少；请用 {least} 或更多',
    '{methods} methods x {sizes} sizes x {seeds} seeds = {runs} runs; at most {most} fit one '
    'experiment, so drop some':
        '{methods} 种方法 × {sizes} 种样本量 × {seeds} 个种子 = {runs} 次运行；'
        '一个实验最多 {most} 次，请去掉一些',
    'a few-shot experiment trains on one dataset; clear the multi-task datasets':
        '小样本实验只在一个数据集上训练；请清空多任务数据集',
    "a few-shot experiment starts every run fresh; clear 'start from adapter'":
        "小样本实验的每次运行都从头开始；请清空“从适配器开始”",
    "left out {sizes} examples per class: class {name!r} has only {rows:,} training rows ('all' "
    "covers it)":
        "已略去每类 {sizes} 个样本的点：类别 {name!r} 只有 {rows:,} 行训练数据（'all' 已涵盖）",
    'no run finished; the first one said: {error}':
        '没有一次运行完成；第一次运行的报错：{error}',
    '#{id} ({name}) is not a few-shot experiment':
        '#{id}（{name}）不是小样本实验',
    'few-shot experiment {experiment} is still running; it cannot be resumed':
        '小样本实验 {experiment} 仍在运行；无法继续',
    'few-shot experiment {experiment} has a finished run for every point; there is nothing left '
    'to resume':
        '小样本实验 {experiment} 的每个点都已有完成的运行；没有需要继续的内容',
    'give either shots_per_class (examples per class) or max_train_rows (a share of every '
    'class), not both':
        '请只设置 shots_per_class（每类样本数）或 max_train_rows（按比例取每类的行）'
        '中的一个，不要同时设置',
    'the process running it ended unexpectedly; its finished runs are kept, resume it to run '
    'the rest':
        '运行它的进程意外结束；已完成的运行都保留着，继续它即可运行其余部分',
}  # fmt: skip
