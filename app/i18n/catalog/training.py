"""Chinese of training's errors and run failures (:mod:`core.training`)."""

ZH: dict[str, str] = {
    'wait for it to finish or stop it':
        '请等它结束或将其停止',
    'a {what} run is already training on {device}; {wait} first':
        '{device} 上已有一个 {what} 运行在训练；{wait}',
    'sweep {sweep}':
        '扫描 {sweep}',
    'few-shot experiment {experiment}':
        '小样本实验 {experiment}',
    'a sweep':
        '扫描',
    'a few-shot experiment':
        '小样本实验',
    'a group of runs':
        '一组运行',
    '{run} is waiting in the queue to train; it has an adapter once it has trained':
        '{run} 正在队列中等待训练；训练后才会有适配器',
    '{run} is still training; its adapter is saved when it ends. Wait for it to finish, or stop '
    'it (a stopped run saves its adapter too)':
        '{run} 仍在训练；适配器在训练结束时保存。请等它完成，或将其停止（停止的运行也会保'
        '存适配器）',
    'another':
        '另一个',
    '{group} is running on {device}; {wait} first':
        '{group} 正在 {device} 上运行；{wait}',
    'a {what} run is training; {wait} before starting {starting}':
        '一个 {what} 运行正在训练；开始{starting}前{wait}',
    '{group} is still running; {wait} before starting {starting}':
        '{group} 仍在运行；开始{starting}前{wait}',
    '{group} is stopping; it starts no further runs':
        '{group} 正在停止；不会再开始新的运行',
    'run {id} ({name})':
        '运行 {id}（{name}）',
    '{run} is still being set up; wait for it to end, or stop it, before resuming it':
        '{run} 仍在准备中；请等它结束或将其停止后再继续',
    '{run} is still training; wait for it to end, or stop it, before resuming it':
        '{run} 仍在训练；请等它结束或将其停止后再继续',
    '{run} succeeded: it trained to its end, so there is nothing to resume; start a new run '
    '(e.g. with more max_steps) to train further':
        '{run} 已成功：它已训练完毕，没有可继续的内容；如需继续训练，请开始一'
        '个新运行（例如增大最大步数）',
    '{run} is {status}; only {resumable} runs can resume':
        '{run} 的状态是 {status}；只有 {resumable} 的运行可以继续',
    'run {id} changed while it was being resumed; try again':
        '运行 {id} 在继续时发生了变化；请重试',
    'run {id} ({name}) has no usable checkpoint to resume from: {file} is missing or '
    'unreadable ({kind}); start the run again instead':
        '运行 {id}（{name}）没有可用于继续的检查点：{file} 缺失或无法读取（'
        '{kind}）；请重新开始该运行',
    'run {id} ({name}) is already waiting in the queue; it starts when the runs before it have '
    'trained':
        '运行 {id}（{name}）已在队列中等待；排在它前面的运行训练完后它就会开'
        '始',
    'run {id} changed while it was being queued; try again':
        '运行 {id} 在排队时发生了变化；请重试',
    'it could not start when its turn in the queue came: {reason}':
        '轮到它时未能开始：{reason}',
    'out of memory: lower the batch size or the max length, or pick a smaller model or a '
    'lighter method':
        '内存不足：请减小批大小或最大长度，或换用更小的模型或更轻量的方法',
    'the loss became {value} by step {step}; lower the learning rate or use precision fp32':
        '到第 {step} 步时损失已变成 {value}；请降低学习率或使用 fp32 精度',
    'checkpoint {folder} belongs to a {method} run on {model}, not to this {this} run':
        '检查点 {folder} 属于基于 {model} 的 {method} 运行，而不是当前的 '
        '{this} 运行',
    'checkpoint {folder} is missing {missing}; start the run again instead':
        '检查点 {folder} 缺少 {missing}；请重新开始该运行',
    "{folder} is not a PTune Studio adapter folder (no {file}); pick the 'adapter' folder a "
    'training run wrote':
        '{folder} 不是 PTune Studio 的适配器文件夹（没有 {file}）；请选择训练'
        "运行写出的 'adapter' 文件夹",
    '{path} is unreadable: {error}':
        '{path} 无法读取：{error}',
    '{path} has format {format!r} version {version!r}; this version of PTune Studio reads '
    '{reads!r} up to version {newest}':
        '{path} 的格式是 {format!r}、版本 {version!r}；当前版本的 PTune '
        'Studio 只能读取 {reads!r} 格式的 {newest} 及以下版本',
    '{folder} was not written by PTune Studio and a run would replace it; choose another '
    'output folder, or move that folder away':
        '{folder} 不是 PTune Studio 写出的，运行会覆盖它；请另选输出文件夹，'
        '或把该文件夹移走',
    'the output folder {out} is a file, not a folder; choose another output folder':
        '输出文件夹 {out} 是一个文件而不是文件夹；请另选输出文件夹',
    'the output folder {out} already holds {foreign}, which PTune Studio did not write and a '
    'run would replace; choose another output folder, or move that folder away':
        '输出文件夹 {out} 中已有 {foreign}，它们不是 PTune Studio 写出的，运'
        '行会覆盖它们；请另选输出文件夹，或把它们移走',
    'the adapter in {folder} was trained with {method}, not {this}; choose method {method} to '
    'start from it':
        '{folder} 中的适配器是用 {method} 训练的，而不是 {this}；要从它开始，'
        '请选择方法 {method}',
    'the adapter in {folder} was trained on base model {model}, not {this}; choose that base '
    'model to start from it':
        '{folder} 中的适配器是在基础模型 {model} 上训练的，而不是 {this}；要'
        '从它开始，请选择该基础模型',
    "the adapter's weights do not fit this model (e.g. {name})":
        '适配器的权重与该模型不匹配（例如 {name}）',
    "the adapter's tensor {name} {shape} does not fit this model; start from an adapter "
    'trained with the same settings':
        '适配器的张量 {name} {shape} 与该模型不匹配；请从用相同设置训练的适配'
        '器开始',
    'cannot find the output layer of {head}':
        '找不到 {head} 的输出层',
    'grow={text!r} must be whole numbers separated by commas, e.g. 5,10,20':
        'grow={text!r} 必须是以逗号分隔的整数，例如 5,10,20',
    'grow={text!r} needs at least two lengths, e.g. 5,10,20':
        'grow={text!r} 至少需要两个长度，例如 5,10,20',
    'grow={text!r} has {stages} stages; use at most {most}':
        'grow={text!r} 有 {stages} 个阶段；最多 {most} 个',
    'grow={text!r} must increase from stage to stage, e.g. 5,10,20':
        'grow={text!r} 必须逐阶段递增，例如 5,10,20',
    'grow={text!r}: every length must be from 1 to {longest}':
        'grow={text!r}：每个长度都必须在 1 到 {longest} 之间',
    'grow_at={text!r} must be fractions separated by commas':
        'grow_at={text!r} 必须是以逗号分隔的小数',
    'grow_at={text!r} gives {points} points for {stages} stages; give {needed} fractions (one '
    'per stage after the first) or leave it empty':
        'grow_at={text!r} 为 {stages} 个阶段给出了 {points} 个位置；请给出 '
        '{needed} 个小数（第一阶段之后每个阶段一个），或留空',
    'grow_at={text!r} must be increasing fractions between 0 and 1':
        'grow_at={text!r} 必须是 0 到 1 之间递增的小数',
    "grow_at is set but grow is empty; give the stages too":
        "设置了 grow_at 但 grow 为空；请同时给出各阶段长度",
}  # fmt: skip
