"""Chinese text of the sweep messages (:mod:`core.sweep`)."""

from __future__ import annotations

ZH: dict[str, str] = {
    "method={method!r} has no prompt length to sweep; choose one of {methods}": (
        "method={method!r} 没有可以扫描的提示长度；请从 {methods} 中选择"
    ),
    "base must be a TrainConfig holding the shared settings": (
        "base 必须是一个包含共享设置的 TrainConfig"
    ),
    "the grid has {lengths} lengths x {lrs} learning rates = {runs} runs; at most {most} fit "
    "one sweep, so drop some values": (
        "网格有 {lengths} 个长度 × {lrs} 个学习率 = {runs} 个运行；一次扫描最多 {most} 个，"
        "请去掉一些取值"
    ),
    "a sweep trains fixed prompt lengths; clear the prompt growth setting (grow)": (
        "扫描训练的是固定的提示长度；请清空提示增长设置（grow）"
    ),
    "prompt lengths are empty; give at least one, e.g. 10,20,30": (
        "提示长度为空；请至少填写一个，例如 10,20,30"
    ),
    "learning rates are empty; give at least one, e.g. 0.01,0.003": (
        "学习率为空；请至少填写一个，例如 0.01,0.003"
    ),
    "prompt lengths: {part!r} is not a whole number; give whole numbers separated by commas, "
    "e.g. 10,20,30": "提示长度：{part!r} 不是整数；请填写用逗号分隔的整数，例如 10,20,30",
    "learning rates: {part!r} is not a number; give numbers separated by commas, e.g. "
    "0.01,0.003": "学习率：{part!r} 不是数字；请填写用逗号分隔的数字，例如 0.01,0.003",
    "prompt lengths: {value!r} is not a whole number": "提示长度：{value!r} 不是整数",
    "learning rates: {value!r} is not a number": "学习率：{value!r} 不是数字",
    "prompt lengths: {value} is out of range for {method}; use lengths from {lo} to {hi}": (
        "提示长度：{value} 超出了{method}的范围；请使用 {lo} 到 {hi} 之间的长度"
    ),
    "learning rates: {value:g} is out of range; use values from {lo:g} to {hi:g}, e.g. 0.01": (
        "学习率：{value:g} 超出范围；请使用 {lo:g} 到 {hi:g} 之间的值，例如 0.01"
    ),
    "every run failed; the first one said: {error}": (
        "所有运行都失败了；第一个运行的错误是：{error}"
    ),
}
