"""Chinese text of the analysis messages: comparing, explaining and inspecting runs and finding
where they go wrong (:mod:`core.analysis`), and the run statuses those messages name."""

from __future__ import annotations

STATUS_ZH = {
    "waiting": "等待中",
    "queued": "准备中",
    "running": "运行中",
    "succeeded": "已成功",
    "failed": "已失败",
    "stopped": "已停止",
    "interrupted": "已中断",
}
"""A run's status as a word inside a sentence (``core.analysis.compare.said_status``)."""

ZH: dict[str, str] = {
    **STATUS_ZH,
    "run #{id} ({name})": "运行 #{id}（{name}）",
    "{run} is {status} and has no trained adapter to evaluate; pick a run that succeeded or "
    "was stopped": (
        "{run}的状态是{status}，没有可供评估的已训练适配器；请选择一个已成功或已停止的运行"
    ),
    "{run} was trained on {dataset}; generalisation is measured on a dataset the run was not "
    "trained on, so pick another one": (
        "{run}就是在 {dataset} 上训练的；泛化能力要在该运行没有训练过的数据集上衡量，请换一个数据集"
    ),
    "{run} predicts the labels {labels}, but {dataset} has the labels {present} ({missing} not "
    "among the run's). Pick a dataset labelled like the training data, or rename its labels to "
    "the run's label names": (
        "{run}预测的标签是 {labels}，而 {dataset} 的标签是 {present}（其中 {missing} 不在该运行的"
        "标签里）。请选择标签与训练数据一致的数据集，或把它的标签改成该运行的标签名"
    ),
    "there are no words to explain; type a sentence first": "没有可以解释的词；请先输入一句话",
    "this run tags words: its answer is a tag per word already, shown with its prediction; "
    "'Why?' explains runs that label or score a whole text": (
        "该运行为每个词打标签：它的回答本身就是每个词的标签，已随预测显示；"
        "“为什么？”解释的是为整段文本给出标签或分数的运行"
    ),
    "the text has {words} words and punctuation marks; an explanation takes up to {most}: "
    "shorten the text or explain one part at a time": (
        "这段文本有 {words} 个词和标点；一次解释最多支持 {most} 个：请缩短文本，或分段解释"
    ),
    "this run uses {method}; word neighbours exist only for prompt methods: {methods}. Pick a "
    "run trained with one of them": (
        "该运行使用的是 {method}；只有提示类方法（{methods}）才有近邻词。"
        "请选择用其中一种方法训练的运行"
    ),
    "k={k} is out of range; ask for 1 to {most} nearest words": (
        "k={k} 超出范围；近邻词的个数应在 1 到 {most} 之间"
    ),
    "{folder} has no {file}; pick a complete adapter folder": (
        "{folder} 中没有 {file}；请选择一个完整的适配器文件夹"
    ),
    "{path} holds no {tensor}; it was not written by a prompt-method run": (
        "{path} 中没有 {tensor}；它不是由提示类方法的运行保存的"
    ),
    "{path}: prompt embeddings of shape {shape} do not fit the base model's word embeddings "
    "of width {width}": "{path}：形状为 {shape} 的提示嵌入与宽度为 {width} 的基础模型词嵌入不匹配",
    "the model did not report its first layer's keys": "模型没有给出第一层的键",
    "the loaded P-Tuning v2 model has no deep prompt": "加载的 P-Tuning v2 模型没有深度提示",
    "prefix keys of width {width} do not fit the model's keys of width {keys}": (
        "宽度为 {width} 的前缀键与宽度为 {keys} 的模型键不匹配"
    ),
    "{run} is still {status}; where it goes wrong can be seen once it has finished": (
        "{run}仍处于{status}状态；运行结束后才能查看它错在哪里"
    ),
    "{run} is {status} and saved no trained adapter to look at; pick a run that succeeded or "
    "was stopped": (
        "{run}的状态是{status}，没有保存可供查看的已训练适配器；请选择一个已成功或已停止的运行"
    ),
    "{run} trained on several tasks at once; where it goes wrong can be shown for runs trained "
    "on one dataset": "{run}同时在多个任务上训练；只有在单个数据集上训练的运行才能查看错在哪里",
    "the dataset of {run}, {data}, can no longer be read: {why}. Put the dataset back where the "
    "run found it to see where the run goes wrong": (
        "{run}的数据集 {data} 已无法读取：{why}。请把数据集放回该运行训练时的位置，再查看它错在哪里"
    ),
    "the dataset of {run}, {data}, has changed since the run trained: its validation rows are "
    "no longer the ones the run was evaluated on. Put the original data back, or train a new "
    "run on the changed data": (
        "{run}的数据集 {data} 在训练之后已经改变：其验证集的行不再是该运行评估时所用的那些。"
        "请放回原来的数据，或在改变后的数据上训练一个新的运行"
    ),
    "{run} has no saved adapter to predict with ({why}); pick a run that saved one, or train it "
    "again": "{run}没有保存可用于预测的适配器（{why}）；请选择一个保存了适配器的运行，或重新训练",
    "true label {label!r} is not one of {run}'s labels: {labels}": (
        "真实标签 {label!r} 不是 {run} 的标签之一：{labels}"
    ),
    "predicted label {label!r} is not one of {run}'s labels: {labels}": (
        "预测标签 {label!r} 不是 {run} 的标签之一：{labels}"
    ),
    "{first} and {second} were validated on different rows ({first_data}, {first_rows:,} rows; "
    "{second_data}, {second_rows:,} rows). Pick two runs trained on the same dataset with the "
    "same validation_fraction and seed": (
        "{first} 和 {second} 是在不同的验证行上评估的（{first_data}，{first_rows:,} 行；"
        "{second_data}，{second_rows:,} 行）。请选择两个在同一数据集上、以相同的 "
        "validation_fraction 和 seed 训练的运行"
    ),
    "a run is training on {device}, and predictions may keep {budget} MB of its memory beside "
    "it, too little for this model ({need} MB); predict once the run has ended, or stop it": (
        "一个运行正在 {device} 上训练，预测在它旁边最多只能占用 {budget} MB 显存，"
        "不足以载入这个模型（{need} MB）；请等该运行结束后再预测，或停止它"
    ),
    "{name} must be more than 0 and at most 1, got {value}": (
        "{name} 必须大于 0 且不超过 1，实际为 {value}"
    ),
    "host_budget must be 0 or more, got {budget}": "host_budget 必须不小于 0，实际为 {budget}",
}
