"""Chinese text of the training methods' messages (:mod:`core.methods`).

Each method's title and refusals come from its own ``translations`` (so adding a method means
adding its module only); the sentences the methods share are written here.
"""

from __future__ import annotations

from core.methods import METHODS
from core.methods.base import Method


def _own(method: type[Method] | Method) -> dict[str, str]:
    """A method's title and refusals, English -> Chinese, from its ``translations``."""
    zh = method.translations.get("zh", {})
    found = {method.title: zh.get("title", method.title)}
    for key in ("merge_refusal", "init_from_refusal"):
        english = getattr(method, key)
        if english is not None and key in zh:
            found[english.template] = zh[key]
    return found


ZH: dict[str, str] = {
    "two methods are called '{name}'; rename one": "有两个方法都叫“{name}”；请给其中一个改名",
    "unknown method '{name}'; choose one of {methods}": "未知的方法“{name}”；请从 {methods} 中选择",
    "its trained weights are not part of a plain Hugging Face classifier": (
        "它训练出的权重不属于普通的 Hugging Face 分类器"
    ),
    "{method} does not support '{kind}' models; it supports {families}": (
        "{method}不支持“{kind}”类型的模型；它支持 {families}"
    ),
    "{method} has no prompt to resize; growth needs a prompt method": (
        "{method}没有可以调整长度的提示；提示增长只适用于提示类方法"
    ),
    "saved weights lack {count} tensors, e.g. {name}": "保存的权重缺少 {count} 个张量，例如 {name}",
    "{folder} has no {file}": "{folder} 中没有 {file}",
    "{model} has no classifier head": "{model} 没有分类头",
    "found {found} self-attention modules but the config has {layers} layers": (
        "找到 {found} 个自注意力模块，但模型配置中有 {layers} 层"
    ),
    "prompt growth supports encoder models only": "提示增长只支持编码器模型",
    "LoRA has no default targets for '{kind}'; set target_modules": (
        "LoRA 对“{kind}”类型的模型没有默认的目标模块；请设置 target_modules"
    ),
    "init_text is empty; give a short text or choose another init": (
        "init_text 为空；请填写一段简短的文本，或选择其他初始化方式"
    ),
    "share_encoder and prefix_projection are two ways of producing the prefixes; "
    "turn one of them off": (
        "share_encoder 和 prefix_projection 是生成前缀的两种不同方式；请关闭其中一个"
    ),
    "saved weights lack prefix_init (the shared encoder's base)": (
        "保存的权重缺少 prefix_init（共享编码器的初始前缀）"
    ),
}
for _method in METHODS.values():
    ZH.update(_own(_method))
