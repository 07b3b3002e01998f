"""Chinese text of the sentences the app builds in Python: refused paths
(:mod:`app.shared.confine`), the check before a run (:mod:`app.shared.preflight`), uploads and
batch files."""

from __future__ import annotations

ZH: dict[str, str] = {
    "the app's run folder {folder}": "本应用的运行文件夹 {folder}",
    "the data folder {data} or {home}": "数据文件夹 {data} 或{home}",
    "the dataset {path} is outside the folders this app reads datasets from; pick one from the "
    "uploads or the demo dataset, or upload the file with the Upload button": (
        "数据集 {path} 不在本应用读取数据集的文件夹中；请从已上传的文件或演示数据集中选择，"
        "或用“上传”按钮上传该文件"
    ),
    "the dataset {path} is outside the folders this app reads datasets from; pick one from the "
    "data folder {data}, the uploads or the demo dataset, or upload the file with the Upload "
    "button": (
        "数据集 {path} 不在本应用读取数据集的文件夹中；请从数据文件夹 {data}、已上传的文件或"
        "演示数据集中选择，或用“上传”按钮上传该文件"
    ),
    "the base model folder {path} is outside {where}; put the model folder there, or give a "
    "Hugging Face model id or {default}": (
        "基础模型文件夹 {path} 不在{where}中；请把模型文件夹放到那里，或填写 Hugging Face 模型 ID "
        "或 {default}"
    ),
    "the adapter folder {path} is outside {where}; start from the adapter of a run this app "
    "trained (under {runs})": (
        "适配器文件夹 {path} 不在{where}中；请从本应用训练的某个运行的适配器开始（位于 {runs} 下）"
    ),
    "the adapter folder {path} is outside {where}; start from the adapter of a run this app "
    "trained (under {runs}) or one in the data folder": (
        "适配器文件夹 {path} 不在{where}中；请从本应用训练的某个运行的适配器（位于 {runs} 下）"
        "或数据文件夹中的适配器开始"
    ),
    "out (the output folder) is a command-line setting; the app keeps each run in its own "
    "folder under {runs}, so leave out empty": (
        "out（输出文件夹）是命令行设置；本应用把每个运行保存在 {runs} 下各自的文件夹中，"
        "请将 out 留空"
    ),
    "task {name}: {why}": "任务 {name}：{why}",
    "{label}: {message}": "{label}：{message}",
    "{task}: {why}": "{task}：{why}",
    "file or folder not found: {path}": "找不到文件或文件夹：{path}",
    "the data folder {folder} does not exist": "数据文件夹 {folder} 不存在",
    "'{name}' is not a supported dataset file; use one of {kinds}": (
        "“{name}”不是支持的数据集文件；请使用以下格式之一：{kinds}"
    ),
    "'{name}' is {size:,} bytes; uploads may be at most {mb:,} MB ({cap:,} bytes). Upload a "
    "smaller file, or start the app with a larger --max-upload-mb": (
        "“{name}”有 {size:,} 字节；上传的文件最大为 {mb:,} MB（{cap:,} 字节）。请上传更小的文件，"
        "或用更大的 --max-upload-mb 启动应用"
    ),
    "{file} has no column of texts; name it 'text'": "{file} 中没有文本列；请把文本列命名为“text”",
    "{name} is not a CoNLL file of tagged words: {reason}. A {ext} file needs one word and its "
    "tag per line (e.g. 'Paris B-LOC') and a blank line between sentences; a table of texts and "
    "labels goes in a {tables} file": (
        "{name} 不是带标签词语的 CoNLL 文件：{reason}。{ext} 文件每行需要一个词及其标签（例如"
        "“Paris B-LOC”），句子之间空一行；文本和标签的表格请存为 {tables} 文件"
    ),
}
