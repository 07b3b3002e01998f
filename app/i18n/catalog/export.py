"""Chinese text of the export messages (:mod:`core.export`)."""

from __future__ import annotations

ZH: dict[str, str] = {
    "A {method} adapter cannot be merged into a plain model: {why}.": (
        "{method}适配器无法合并为普通模型：{why}。"
    ),
    "This {method} run reads the average of all tokens (mean pooling, the sentence-embedding "
    "model's own way), while a plain Hugging Face classifier reads the first token, so a "
    "merged model would predict differently. Train with pooling 'cls' (--pooling cls) for a "
    "run that merges.": (
        "这个{method}运行读取的是所有词元的平均值（均值池化，即句向量模型自己的方式），而普通的 "
        "Hugging Face 分类器读取的是第一个词元，因此合并后的模型会给出不同的预测。若要得到可以合并"
        "的运行，请用 pooling 'cls'（--pooling cls）训练。"
    ),
    "{reason} {hint}": "{reason}{hint}",
    "Ship the adapter folder instead (it loads with PTune Studio) and serve it over HTTP with "
    "`python -m core.serve {folder}`.": (
        "请改为交付适配器文件夹（可用 PTune Studio 加载），并用 `python -m core.serve {folder}` "
        "通过 HTTP 提供服务。"
    ),
    "{folder} already exists and is not an empty folder; choose a new folder": (
        "{folder} 已存在且不是空文件夹；请选择一个新文件夹"
    ),
}
