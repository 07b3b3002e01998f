"""Chinese of the settings checks (:mod:`core.config`, :mod:`core.checks`)."""

ZH: dict[str, str] = {
    '{name}={value!r} must be a number':
        '{name}={value!r} 必须是数字',
    '{name}={value!r} must be a finite number':
        '{name}={value!r} 必须是有限的数字',
    '{name}={value!r} must be a whole number, e.g. {whole}':
        '{name}={value!r} 必须是整数，例如 {whole}',
    '{name}={value!r} is not one of {options}':
        '{name}={value!r} 不在可选值 {options} 之中',
    '{name}={value!r} is out of range; use a value from {lo} to {hi}':
        '{name}={value!r} 超出范围；请使用 {lo} 到 {hi} 之间的值',
    '{cls}: {problems}':
        '{cls}：{problems}',
    '{cls}: unknown setting(s) {unknown}; known settings are {known}':
        '{cls}：未知的设置 {unknown}；可用的设置有 {known}',
    '{cls}: the stored settings lack {name}, which has no default':
        '{cls}：保存的设置中缺少 {name}，而它没有默认值',
    'data is empty; give a file, a folder or a hub dataset id':
        '未指定数据集；请填写文件、文件夹或 Hugging Face 数据集 ID',
    'method_options must be a mapping of setting names to values':
        'method_options 必须是设置名到取值的映射',
    'tasks entry {part!r} is not name=dataset; write the tasks as name=dataset pairs separated '
    'by commas, e.g. sst2=data/sst2,books=data/books':
        '多任务条目 {part!r} 不是 名称=数据集 的形式；请把各任务写成以逗号分'
        '隔的 名称=数据集，例如 sst2=data/sst2,books=data/books',
    'task name {name!r} is given twice; give each task its own name':
        '任务名 {name!r} 出现了两次；请给每个任务取不同的名字',
    'tasks needs at least two datasets; for one dataset use data instead':
        '多任务训练至少需要两个数据集；只有一个数据集时请填写在数据集中',
    'give either data (one task) or tasks (several), not both':
        '数据集（单任务）和多任务数据集（多个任务）只能填写其一',
    "task name {name!r} may only hold letters, digits, '_', '-' and '.'; rename it":
        "任务名 {name!r} 只能包含字母、数字、'_'、'-' 和 '.'；请重新命名",
    'task {name!r} has no dataset':
        '任务 {name!r} 没有数据集',
    "unknown method '{method}'; choose one of {methods}":
        "未知的方法 '{method}'；请从 {methods} 中选择",
    '{other} is not a setting of {method}; its settings are {known}':
        '{other} 不是 {method} 的设置；它的设置有 {known}',
    'unknown setting(s) {unknown}; known settings are {known}':
        '未知的设置 {unknown}；可用的设置有 {known}',
    "the prompt takes {taken} of the model's {limit} positions, leaving fewer than {room} for "
    'the text; use fewer virtual tokens':
        '提示占用了模型 {limit} 个位置中的 {taken} 个，留给文本的不到 {room} '
        '个；请减少虚拟词元数',
    "a {family} model is a decoder: its first token sees nothing of the text after it, so it "
    "cannot be read as the sentence; use pooling auto or last (the last real token)":
        '{family} 模型是解码器：它的第一个词元看不到其后的文本，不能代表整句；'
        '请使用 pooling auto 或 last（最后一个真实词元）',
    "pooling last reads the last real token, which only decoder models gather the text in; a "
    "'{kind}' model is an encoder: use pooling auto, cls or mean":
        'pooling last 读取最后一个真实词元，只有解码器模型把整段文本汇集在那里；'
        "'{kind}' 模型是编码器：请使用 pooling auto、cls 或 mean",
    'multi-task training shares one prompt between tasks; choose {shared} instead of {name}':
        '多任务训练让各任务共用一个提示；请选择 {shared}，而不是 {name}',
    "a multi-task run starts from fresh weights; leave 'start from adapter' empty":
        '多任务运行从全新的权重开始；请让“从适配器开始”留空',
    'the run needs about {need:.1f} GB but {have:.1f} GB is available; choose a smaller model, '
    'a smaller batch size or max length{checkpointing}{peft}':
        '这次运行约需 {need:.1f} GB 内存，但只有 {have:.1f} GB 可用；请换更小的模型、'
        '减小批大小或最大长度{checkpointing}{peft}',
    ', or turn on gradient checkpointing':
        '，或打开梯度检查点',
    '; or train with LoRA or another PEFT method':
        '；或改用 LoRA 等参数高效方法训练',
    "gradient checkpointing recomputes the layers' activations in the backward pass, and "
    '{method} keeps none (its backward pass stops at the head); turn it off':
        '梯度检查点在反向传播时重新计算各层的激活值，而 {method} 不保留任何激活值'
        '（它的反向传播止于分类头）；请关闭它',
    '{model} cannot recompute its activations (gradient checkpointing); turn it off':
        '{model} 不支持重新计算激活值（梯度检查点）；请关闭它',
    '{task}: {reason}':
        '{task}：{reason}',
}  # fmt: skip
