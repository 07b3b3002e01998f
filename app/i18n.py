"""English and Chinese text of the interface, through ``gr.I18n``.

Component labels are translation keys (``t("train_start")``) that the browser translates, so
Gradio's own Settings panel (footer, "Settings" > Language) switches the language at runtime.
Gradio picks the browser's language first; ``--lang`` overrides that with :class:`PreferLanguage`,
which makes the page report the chosen language before Gradio reads it. Text built on the server
(status lines, table headers, plot titles) uses :func:`text` in the language given at launch.

Labels and help texts of the settings come from the config dataclasses (English); only their
Chinese versions are written here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import gradio as gr

from core.config import TrainConfig
from core.methods import METHODS

LANGS = ("en", "zh")
BROWSER_LOCALE = {"en": "en", "zh": "zh-CN"}

EN: dict[str, str] = {
    "app_title": "PTune Studio",
    "app_intro": "Train a text classifier in three steps: pick a model, a dataset and a method "
    "on **Train**, watch it learn on **Monitor**, then try the result on **Try it**.",
    "tab_train": "Train",
    "tab_monitor": "Monitor",
    "tab_tryit": "Try it",
    # Train tab
    "train_model": "Base model",
    "train_model_info": "The built-in all-MiniLM-L6-v2 needs no download; or give a local "
    "model folder or a Hugging Face model id.",
    "train_data_heading": "### 1. Data",
    "train_dataset": "Dataset",
    "train_dataset_info": "The demo reviews, the data folder's datasets or your uploads "
    "(CSV, TSV, JSON lines, JSON or Parquet with a text and a label column).",
    "train_upload": "Upload a dataset",
    "train_text_column": "Text column",
    "train_label_column": "Label column",
    "train_preview": "First rows",
    "train_labels_plot": "Labels",
    "train_method_heading": "### 2. Method",
    "train_method": "Method",
    "train_method_advanced": "More settings of this method",
    "train_settings_heading": "### 3. Settings",
    "train_run_name": "Run name",
    "train_run_name_info": "Optional; a name is made up from the method and the dataset.",
    "train_advanced": "Advanced settings",
    "empty_default": "empty: the default",
    "train_check": "Check settings and estimate",
    "train_start": "Start training",
    "train_stop": "Stop",
    "train_code": "Show as command / YAML",
    "train_command": "Command line",
    "train_yaml": "Config file (YAML), for `python -m core.train --config run.yaml`",
    # Monitor tab
    "monitor_runs": "Runs (click a row to show or hide its curves)",
    "monitor_select": "Show runs",
    "monitor_select_info": "Pick several runs to overlay their curves and compare settings.",
    "monitor_refresh": "Refresh",
    "monitor_plot": "Training curves",
    "monitor_diff": "Settings that differ",
    "monitor_stop": "Stop training",
    # Try it tab
    "tryit_text": "Sentence",
    "tryit_text_placeholder": "Type a sentence to classify...",
    "tryit_runs": "Trained runs",
    "tryit_runs_info": "Pick one or more finished runs; each one judges the sentence.",
    "tryit_refresh": "Refresh list",
    "tryit_predict": "Classify",
    "tryit_result": "Predictions",
    "tryit_chart": "Probabilities",
    "tryit_examples": "Example sentences",
    "tryit_batch": "Classify a whole file",
    "tryit_batch_file": "File with one text per row (CSV, TSV) or per line (TXT)",
    "tryit_batch_run": "Classify the file",
    "tryit_batch_out": "Predictions (CSV)",
    "tryit_export": "Export a run",
    "tryit_export_run": "Run to export",
    "tryit_export_button": "Export as zip",
    "tryit_export_file": "Run archive (adapter, settings, metrics)",
    # Try it: looking inside runs
    "tryit_why": "Why? The words behind each prediction",
    "tryit_why_legend": "Each word is left out in turn and the sentence judged again: "
    "**green** words pushed the run toward its prediction, **red** ones against it; the deeper "
    "the colour, the bigger the change (hover over a word for the number).",
    "tryit_why_button": "Explain the predictions",
    "tryit_prompt_words": "Prompt words: what a learned prompt resembles",
    "tryit_prompt_run": "Prompt-method run",
    "tryit_prompt_run_info": "Runs trained with prompt tuning, P-Tuning v1 or P-Tuning v2.",
    "tryit_prompt_k": "Words per virtual token",
    "tryit_prompt_show": "Show the nearest words",
    "tryit_prompt_table": "Nearest vocabulary words of each virtual token",
    # Compare tab
    "tab_compare": "Compare",
    "compare_intro": "Pick finished runs to see them side by side: the share of parameters each "
    "method trains, its adapter's size on disk, training speed, time to reach its best "
    "accuracy and accuracy on the validation split. To measure generalisation, pick a second "
    "dataset the runs were not trained on, with the same label names (for example, runs "
    "trained on SST-2 judged on Amazon reviews), and press **Evaluate generalisation**.",
    "compare_runs": "Runs to compare",
    "compare_runs_info": "Finished runs (succeeded or stopped).",
    "compare_refresh": "Refresh lists",
    "compare_show": "Compare",
    "compare_dataset": "Second dataset",
    "compare_dataset_info": "Its test split is used if it has one, else its validation file, "
    "else all of it. Its label names must be among the runs' labels.",
    "compare_max_rows": "Rows to evaluate",
    "compare_max_rows_info": "A stratified sample (seed 42) when the split is larger.",
    "compare_evaluate": "Evaluate generalisation",
    "compare_table": "Comparison",
    "compare_plot": "Comparison chart",
    # Sweep tab
    "tab_sweep": "Sweep",
    "sweep_intro": "Try every combination of prompt length and learning rate for a prompt "
    "method. Each combination is a normal run (it appears on **Monitor** and **Try it**), and the "
    "runs train one after another; **Stop** ends the current run, which still saves, and keeps "
    "the finished ones.",
    "sweep_dataset": "Dataset",
    "sweep_model": "Base model",
    "sweep_method": "Prompt method",
    "sweep_lengths": "Prompt lengths",
    "sweep_lengths_info": "Virtual tokens to try, separated by commas.",
    "sweep_lrs": "Learning rates",
    "sweep_lrs_info": "Separated by commas; filled in around the chosen method's default.",
    "sweep_budget": "Minutes per run",
    "sweep_budget_info": "Each run fits itself into this time.",
    "sweep_max_steps": "Max steps per run",
    "sweep_max_steps_info": "Optional; stops each run after this many steps.",
    "sweep_name": "Sweep name",
    "sweep_start": "Start sweep",
    "sweep_stop": "Stop sweep",
    "sweep_past": "Sweep",
    "sweep_past_info": "The running sweep, or one from the database.",
    "sweep_plot": "Validation accuracy by prompt length and learning rate",
    "sweep_table": "Runs of the sweep (★ marks the best)",
}

ZH: dict[str, str] = {
    "app_title": "PTune Studio",
    "app_intro": "三步训练一个文本分类器：在 **训练** 页选择模型、数据集和方法，在 **监控** 页"
    "观察学习过程，然后在 **试用** 页检验结果。",
    "tab_train": "训练",
    "tab_monitor": "监控",
    "tab_tryit": "试用",
    "train_model": "基础模型",
    "train_model_info": "内置的 all-MiniLM-L6-v2 无需下载；也可以填写本地模型文件夹或 "
    "Hugging Face 模型 ID。",
    "train_data_heading": "### 1. 数据",
    "train_dataset": "数据集",
    "train_dataset_info": "演示用的评论数据、数据文件夹中的数据集，或你上传的文件"
    "（CSV、TSV、JSON Lines、JSON 或 Parquet，含文本列和标签列）。",
    "train_upload": "上传数据集",
    "train_text_column": "文本列",
    "train_label_column": "标签列",
    "train_preview": "前几行",
    "train_labels_plot": "标签分布",
    "train_method_heading": "### 2. 方法",
    "train_method": "方法",
    "train_method_advanced": "该方法的更多设置",
    "train_settings_heading": "### 3. 设置",
    "train_run_name": "运行名称",
    "train_run_name_info": "可选；留空时根据方法和数据集自动命名。",
    "train_advanced": "高级设置",
    "empty_default": "留空：使用默认值",
    "train_check": "检查设置并估算",
    "train_start": "开始训练",
    "train_stop": "停止",
    "train_code": "显示为命令行 / YAML",
    "train_command": "命令行",
    "train_yaml": "配置文件（YAML），用于 `python -m core.train --config run.yaml`",
    "monitor_runs": "运行记录（点击一行显示或隐藏其曲线）",
    "monitor_select": "显示的运行",
    "monitor_select_info": "选择多个运行以叠加曲线并比较设置。",
    "monitor_refresh": "刷新",
    "monitor_plot": "训练曲线",
    "monitor_diff": "不同的设置",
    "monitor_stop": "停止训练",
    "tryit_text": "句子",
    "tryit_text_placeholder": "输入一句要分类的话……",
    "tryit_runs": "已训练的运行",
    "tryit_runs_info": "选择一个或多个已完成的运行；每个运行分别给出判断。",
    "tryit_refresh": "刷新列表",
    "tryit_predict": "分类",
    "tryit_result": "预测结果",
    "tryit_chart": "概率",
    "tryit_examples": "示例句子",
    "tryit_batch": "对整个文件分类",
    "tryit_batch_file": "每行一条文本的文件（CSV、TSV，或每行一句的 TXT）",
    "tryit_batch_run": "对文件分类",
    "tryit_batch_out": "预测结果（CSV）",
    "tryit_export": "导出运行",
    "tryit_export_run": "要导出的运行",
    "tryit_export_button": "导出为 zip",
    "tryit_export_file": "运行存档（适配器、设置、指标）",
    # 试用：查看运行内部
    "tryit_why": "为什么？每个预测背后的词",
    "tryit_why_legend": "依次去掉每个词后重新判断：**绿色**的词把运行推向它的预测，**红色**的词"
    "则相反；颜色越深，影响越大（鼠标悬停可查看数值）。",
    "tryit_why_button": "解释预测",
    "tryit_prompt_words": "提示词：学到的提示像哪些词",
    "tryit_prompt_run": "提示类方法的运行",
    "tryit_prompt_run_info": "用提示调优、P-Tuning v1 或 P-Tuning v2 训练的运行。",
    "tryit_prompt_k": "每个虚拟词元显示的词数",
    "tryit_prompt_show": "显示最近的词",
    "tryit_prompt_table": "每个虚拟词元最近的词表词",
    "tab_compare": "比较",
    "compare_intro": "选择已完成的运行并排比较：各方法训练的参数占比、适配器在磁盘上的大小、训练"
    "速度、达到最佳准确率所用的时间以及验证集准确率。要衡量泛化能力，请选择一个这些运行没有训练"
    "过、标签名称相同的第二个数据集（例如在 SST-2 上训练的运行在亚马逊评论上测试），然后点击"
    "**评估泛化能力**。",
    "compare_runs": "要比较的运行",
    "compare_runs_info": "已完成的运行（成功或已停止）。",
    "compare_refresh": "刷新列表",
    "compare_show": "比较",
    "compare_dataset": "第二个数据集",
    "compare_dataset_info": "有测试集时使用测试集，否则使用验证集文件，再否则使用全部数据。"
    "它的标签名称必须在运行的标签之中。",
    "compare_max_rows": "评估行数",
    "compare_max_rows_info": "数据多于此数时按标签比例分层抽样（种子 42）。",
    "compare_evaluate": "评估泛化能力",
    "compare_table": "比较结果",
    "compare_plot": "比较图",
    # 扫描页
    "tab_sweep": "扫描",
    "sweep_intro": "为提示类方法尝试提示长度与学习率的每种组合。每种组合都是一次普通运行（会出现在"
    "**监控**和**试用**页），各运行依次训练；**停止**会结束当前运行（它仍会保存），并保留已完成的"
    "运行。",
    "sweep_dataset": "数据集",
    "sweep_model": "基础模型",
    "sweep_method": "提示类方法",
    "sweep_lengths": "提示长度",
    "sweep_lengths_info": "要尝试的虚拟词元数，用逗号分隔。",
    "sweep_lrs": "学习率",
    "sweep_lrs_info": "用逗号分隔；默认取所选方法默认学习率附近的值。",
    "sweep_budget": "每次运行的分钟数",
    "sweep_budget_info": "每次运行都控制在这个时间内。",
    "sweep_max_steps": "每次运行的最大步数",
    "sweep_max_steps_info": "可选；每次运行达到这么多步后停止。",
    "sweep_name": "扫描名称",
    "sweep_start": "开始扫描",
    "sweep_stop": "停止扫描",
    "sweep_past": "扫描",
    "sweep_past_info": "正在进行的扫描，或数据库中的扫描。",
    "sweep_plot": "不同提示长度和学习率下的验证准确率",
    "sweep_table": "扫描中的运行（★ 表示最佳）",
}

# Chinese labels and help of the settings, by field name (shared by methods with that field).
ZH_FIELDS: dict[str, tuple[str, str]] = {
    "pooling": ("池化方式", "分类器读取的向量：第一个词元（cls）或所有词元的平均（mean）。"
                "auto 跟随模型：声明了平均池化的句向量模型用 mean。"),
    "validation_fraction": ("验证集比例", "数据没有验证集文件时，从训练数据中留出用于验证的比例。"),
    "max_train_rows": ("训练行数上限", "最多使用这么多训练行（分层抽样）；留空使用全部。"),
    "epochs": ("训练轮数", "遍历训练数据的次数；留空使用该方法的默认值。"),
    "max_steps": ("最大步数", "达到这么多优化步后停止（优先于训练轮数）。"),
    "time_budget_minutes": ("时间预算（分钟）", "把训练控制在这么多分钟内：短暂预热后按实测速度"
                            "削减步数，学习率计划随之调整。"),
    "batch_size": ("批大小", "每个优化步使用的样本数。"),
    "lr": ("学习率", "峰值学习率；留空使用该方法的默认值。"),
    "weight_decay": ("权重衰减", "AdamW 的权重衰减。"),
    "warmup_ratio": ("预热比例", "学习率线性衰减前用于预热的步数比例。"),
    "max_grad_norm": ("梯度裁剪", "把梯度裁剪到这个范数；0 表示不裁剪。"),
    "max_length": ("最大长度", "输入的最大词元数；更长的文本会被截断（模型需要空间时，提示词元"
                   "也从这里扣除）。"),
    "precision": ("数值精度", "auto：支持的 CPU 和 GPU 上用 bf16，较旧的 GPU 用 fp16，"
                  "其余用 fp32。"),
    "eval_every": ("评估间隔", "每 N 步评估一次；留空时整个训练约评估十次。"),
    "max_eval_rows": ("评估行数", "训练中评估所用的验证集行数；最终评估使用全部验证集。"),
    "log_every": ("记录间隔", "每 N 步记录一次训练损失。"),
    "early_stopping_patience": ("早停耐心值", "连续这么多次评估准确率没有提高就停止；0 表示关闭。"),
    "keep_best": ("保留最佳", "保留评估结果最好时的权重，而不是最后的权重。"),
    "seed": ("随机种子", "数据顺序和初始化使用的随机种子。"),
    "num_threads": ("CPU 线程数", "训练使用的 CPU 线程数；留空使用物理核心数。"),
    "out": ("输出文件夹", "保存适配器和检查点的文件夹；留空时自动创建。"),
    "num_virtual_tokens": ("提示长度", "虚拟词元的数量；越多容量越大，每步越慢。"),
    "init": ("初始化方式", "虚拟词元的初始值：随机词表词的嵌入、一段文本的嵌入或随机数。"),
    "init_text": ("初始文本", "用其词元嵌入初始化提示的文本（初始化方式为 text 时使用）。"),
    "encoder": ("提示编码器", "生成虚拟词元的网络：MLP 或双向 LSTM。"),
    "encoder_hidden_size": ("编码器隐藏层大小", "提示编码器的隐藏层大小。"),
    "encoder_num_layers": ("编码器层数", "LSTM 编码器的层数（MLP 固定为两层）。"),
    "encoder_dropout": ("编码器 Dropout", "提示编码器内部的 Dropout。"),
    "prefix_projection": ("用 MLP 重参数化", "用两层 MLP 生成前缀，而不是直接学习前缀；参数更多，"
                          "有时训练更稳定。"),
    "projection_hidden_size": ("MLP 隐藏层大小", "重参数化 MLP 的隐藏层大小。"),
    "prefix_dropout": ("前缀 Dropout", "训练时作用于前缀键/值的 Dropout。"),
    "r": ("秩 r", "每个低秩更新的秩。"),
    "alpha": ("Alpha", "更新的缩放（实际缩放为 alpha / r）。"),
    "dropout": ("Dropout", "LoRA 输入上的 Dropout。"),
    "target_modules": ("目标模块", "要适配的模块名，用逗号分隔；留空表示该架构的全部注意力投影。"),
    "bottleneck": ("瓶颈大小", "每个适配器瓶颈层的宽度。"),
    "train_layernorm": ("训练 LayerNorm", "同时训练编码器的 LayerNorm 权重"
                        "（Houlsby 等人的做法）。"),
    "grow": ("分阶段增长提示（实验性）",
             "实验性：分阶段增长提示，例如 5,10,20。训练从第一个长度开始，"
             "逐步增长到最后一个长度（它取代提示长度）；"
             "已训练的词元保留，新词元按全新提示的方式初始化。留空则使用固定长度。"),
    "grow_at": ("增长时间点（实验性）",
                "每个后续阶段开始时所处的训练步数比例，例如三阶段用 0.3,0.6；留空则均匀分布。"),
    "share_encoder": ("各层共享一个提示编码器",
                      "用一个小网络根据学习到的层嵌入生成每一层的前缀，而不是每层单独一份前缀："
                      "在深层模型上可训练参数少得多。前缀从冻结模型自身的键/值出发，"
                      "网络学习所有层共享的修正。"),
    "shared_hidden_size": ("共享编码器宽度",
                           "共享提示编码器的宽度；其输出层"
                           "（宽度 × 2 × 模型隐藏层大小）占了大部分参数。"),
    "tasks": ("多任务数据集",
              "多任务训练：两个或更多数据集，写成用逗号分隔的 名称=数据集 对"
              "（例如 sst2=data/sst2, books=data/books）。所有任务共享一个提示，"
              "每个任务有自己的分类器，批次混合各任务，并分别评估每个任务。"
              "使用此项时请把数据集留空。"),
    "init_from": ("从适配器开始",
                  "从一个已训练的适配器文件夹开始：使用它的提示（标签相同时还有分类器），"
                  "而不是全新的权重，例如把多任务运行中某个任务的适配器在该任务上继续微调。"
                  "此时方法设置取自该适配器。"),
}  # fmt: skip

# Text built on the server, in the language given at launch.
SERVER_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "problems_title": "Please fix these settings",
        "error_title": "Something went wrong",
        "started": "Run #{run_id} ({name}) started. Follow it on the Monitor tab.",
        "stopping": "Asked run #{run_id} to stop; it finishes the current step and saves.",
        "stopping_sweep": "Sweep {sweep_id} starts no further runs.",
        "nothing_running": "No training is running.",
        "estimate": "**{trainable}** trainable parameters of {total} ({share}). "
        "About **{steps}** steps; estimated time **{duration}** (a rough estimate from {speed}).",
        "estimate_budget": " The time budget caps it at {budget}.",
        "speed_measured": "earlier runs of this model and method",
        "speed_guess": "a conservative guess of the speed",
        "settings_ok": "The settings look fine.",
        "dataset_summary": "{rows} rows, {labels} labels: {names}. Text column `{text}`, label "
        "column `{label}`.",
        "hub_dataset": "`{name}` is not a file or folder here, so it will be loaded from the "
        "Hugging Face Hub when training starts (this needs internet).",
        "no_runs": "No runs yet: start one on the Train tab.",
        "status_line": "Run #{run_id} **{name}** ({method}): {status}",
        "status_error": "Run #{run_id} failed: {error}",
        "eta": "step {step} of {total} · {percent}% · about {eta} left (estimate)",
        "done": "step {step} of {total} · finished",
        "need_two": "Select two or more runs to compare their settings.",
        "no_difference": "The selected runs have the same settings.",
        "no_text": "Type a sentence first.",
        "no_run_selected": "Pick at least one trained run.",
        "no_file": "Upload a file first.",
        "empty_file": "The file has no text to classify.",
        "loss": "Loss",
        "eval_loss": "validation loss",
        "accuracy": "Validation accuracy",
        "learning_rate": "Learning rate",
        "throughput": "Samples per second",
        "step": "Step",
        "no_data": "No data yet",
        "probability": "Probability",
        "label": "Label",
        "count": "Examples",
        "setting": "Setting",
        "run": "Run",
        "col_id": "ID",
        "col_name": "Name",
        "col_status": "Status",
        "col_method": "Method",
        "col_accuracy": "Accuracy",
        "col_duration": "Duration",
        "col_error": "Error",
        "col_score": "Probability",
        "col_text": "Text",
        "demo_dataset": "Demo: 300 short reviews, positive or negative",
        "uploaded": "Uploaded",
        # Try it: looking inside runs
        "why_head": "<b>{run}</b> predicts <b>{label}</b> ({probability})",
        "why_tip": "{points:+.1f} percentage points",
        "why_truncated": "The text is longer than this run reads; words past that point cannot "
        "change its prediction.",
        "no_prompt_run": "Pick a run trained with a prompt method (prompt tuning, P-Tuning v1 or "
        "P-Tuning v2).",
        "col_virtual_token": "Virtual token",
        "col_nearest": "Nearest words (cosine similarity)",
        "col_norm": "Norm vs. words",
        "prompt_space_embeddings": "Each virtual token of **{run}** is compared with the base "
        "model's word embeddings. The norm is the token's length relative to an average word's "
        "(1.00× is typical).",
        "prompt_space_keys": "P-Tuning v2 learns no input words, so each virtual token of "
        "**{run}** is compared by its first-layer attention key (all heads) with the key the "
        "frozen model computes for every word, with the average key removed (attention ignores a "
        "shift shared by all keys). The norm is relative to an average word's key.",
        "prompt_drift": "Best similarities average {similarity:.2f} and norms {norm:.2f}×: the "
        "prompt has drifted away from every real word, as learned prompts often do, so the words "
        "are loose hints rather than its meaning.",
        "prompt_close": "Best similarities average {similarity:.2f} and norms {norm:.2f}×: most "
        "virtual tokens sit close to real words.",
        "cmp_col_run": "Run",
        "cmp_col_method": "Method",
        "cmp_col_share": "Trainable share (parameters)",
        "cmp_col_adapter": "Adapter on disk",
        "cmp_col_speed": "Train samples/s",
        "cmp_col_to_best": "Time to best accuracy",
        "cmp_col_dev": "Dev accuracy",
        "cmp_col_transfer": "Accuracy on {dataset}",
        "cmp_plot_share": "Trainable parameters, % (log)",
        "cmp_plot_adapter": "Adapter size, bytes (log)",
        "cmp_plot_speed": "Training samples per second",
        "cmp_plot_to_best": "Seconds to best accuracy",
        "cmp_plot_accuracy": "Accuracy: dev and second datasets",
        "cmp_plot_tradeoff": "Trainable share vs dev accuracy (bubble: adapter size)",
        "cmp_axis_share": "trainable parameters, %",
        "cmp_axis_dev": "dev accuracy",
        "cmp_dev": "dev",
        "cmp_none_picked": "Pick one or more finished runs to compare.",
        "cmp_no_results": "Run #{run_id} ({name}) is {status} and has no results; it is left "
        "out of the comparison.",
        "cmp_no_dataset": "Pick a second dataset to evaluate the runs on.",
        "cmp_transfer_done": "Evaluated {count} run(s) on {dataset}: {rows} rows of its {split} "
        "split.",
        # Sweep tab
        "sweep_started": "Sweep #{sweep_id} started: {runs} runs, one after another{each}.",
        "sweep_each": ", up to {duration} each",
        "sweep_stopping": "Stopping sweep #{sweep_id}: the current run finishes its step and "
        "saves; no more runs start.",
        "sweep_not_running": "No sweep is running.",
        "sweep_none": "No sweeps yet: choose a grid and press Start sweep.",
        "sweep_line": "Sweep #{sweep_id} **{name}** ({method}): {status} · {done} of {total} runs "
        "done",
        "sweep_current": " · now run #{run_id} (P={length}, lr={lr}), {step}",
        "sweep_step": "step {step} of {total}",
        "sweep_best": " · best: run #{run_id}, P={length}, lr={lr}, accuracy {accuracy}",
        "sweep_best_so_far": " · best so far: run #{run_id}, P={length}, lr={lr}, accuracy "
        "{accuracy}",
        "sweep_error": "Sweep error: {error}",
        "sweep_best_marker": "★ best",
        "sweep_best_point": "best",
        "sweep_axis_length": "Prompt length (virtual tokens)",
        "sweep_col_best": "Best",
        "sweep_col_length": "Prompt length",
        "sweep_col_lr": "Learning rate",
        "sweep_col_f1": "F1",
        "sweep_col_time": "Training time",
    },
    "zh": {
        "problems_title": "请修正以下设置",
        "error_title": "出错了",
        "started": "运行 #{run_id}（{name}）已开始。请在监控页查看。",
        "stopping": "已请求运行 #{run_id} 停止；它会完成当前步骤并保存。",
        "stopping_sweep": "扫描 {sweep_id} 不再启动新的运行。",
        "nothing_running": "当前没有正在进行的训练。",
        "estimate": "可训练参数 **{trainable}**，共 {total}（{share}）。约 **{steps}** 步；"
        "预计用时 **{duration}**（根据{speed}粗略估算）。",
        "estimate_budget": " 时间预算将其限制在 {budget}。",
        "speed_measured": "此前同一模型和方法的运行",
        "speed_guess": "保守的速度假设",
        "settings_ok": "设置没有问题。",
        "dataset_summary": "{rows} 行，{labels} 个标签：{names}。"
        "文本列 `{text}`，标签列 `{label}`。",
        "hub_dataset": "`{name}` 不是本机的文件或文件夹，开始训练时将从 Hugging Face Hub "
        "加载（需要联网）。",
        "no_runs": "还没有运行：请在训练页开始一次训练。",
        "status_line": "运行 #{run_id} **{name}**（{method}）：{status}",
        "status_error": "运行 #{run_id} 失败：{error}",
        "eta": "第 {step} / {total} 步 · {percent}% · 预计还需约 {eta}（估算）",
        "done": "第 {step} / {total} 步 · 已结束",
        "need_two": "选择两个或更多运行以比较它们的设置。",
        "no_difference": "所选运行的设置相同。",
        "no_text": "请先输入一句话。",
        "no_run_selected": "请至少选择一个已训练的运行。",
        "no_file": "请先上传文件。",
        "empty_file": "文件中没有可分类的文本。",
        "loss": "损失",
        "eval_loss": "验证损失",
        "accuracy": "验证准确率",
        "learning_rate": "学习率",
        "throughput": "每秒样本数",
        "step": "步数",
        "no_data": "暂无数据",
        "probability": "概率",
        "label": "标签",
        "count": "样本数",
        "setting": "设置",
        "run": "运行",
        "col_id": "ID",
        "col_name": "名称",
        "col_status": "状态",
        "col_method": "方法",
        "col_accuracy": "准确率",
        "col_duration": "用时",
        "col_error": "错误",
        "col_score": "概率",
        "col_text": "文本",
        "demo_dataset": "演示：300 条正面或负面的短评",
        "uploaded": "已上传",
        # 试用：查看运行内部
        "why_head": "<b>{run}</b> 预测为 <b>{label}</b>（{probability}）",
        "why_tip": "{points:+.1f} 个百分点",
        "why_truncated": "文本超出了该运行能读取的长度；超出部分的词不会影响它的预测。",
        "no_prompt_run": "请选择一个用提示类方法（提示调优、P-Tuning v1 或 P-Tuning v2）"
        "训练的运行。",
        "col_virtual_token": "虚拟词元",
        "col_nearest": "最近的词（余弦相似度）",
        "col_norm": "范数（相对词）",
        "prompt_space_embeddings": "把 **{run}** 的每个虚拟词元与基础模型的词嵌入比较。范数是该词元"
        "相对于平均词嵌入的长度（1.00× 为常见值）。",
        "prompt_space_keys": "P-Tuning v2 不学习输入词，因此把 **{run}** 的每个虚拟词元在第一层的"
        "注意力键（所有注意力头）与冻结模型为每个词计算的键比较，并先减去平均键（所有键共有的偏移"
        "不影响注意力）。范数相对于平均词的键。",
        "prompt_drift": "最佳相似度平均为 {similarity:.2f}，范数为 {norm:.2f}×：提示已偏离所有真实"
        "的词（学到的提示常常如此），这些词只是粗略的线索，而不是它的含义。",
        "prompt_close": "最佳相似度平均为 {similarity:.2f}，范数为 {norm:.2f}×：大多数虚拟词元"
        "接近真实的词。",
        "cmp_col_run": "运行",
        "cmp_col_method": "方法",
        "cmp_col_share": "可训练参数占比（数量）",
        "cmp_col_adapter": "适配器大小",
        "cmp_col_speed": "训练样本/秒",
        "cmp_col_to_best": "达到最佳准确率的时间",
        "cmp_col_dev": "验证集准确率",
        "cmp_col_transfer": "{dataset} 上的准确率",
        "cmp_plot_share": "可训练参数，%（对数）",
        "cmp_plot_adapter": "适配器大小，字节（对数）",
        "cmp_plot_speed": "每秒训练样本数",
        "cmp_plot_to_best": "达到最佳准确率的秒数",
        "cmp_plot_accuracy": "准确率：验证集与第二个数据集",
        "cmp_plot_tradeoff": "可训练占比与验证集准确率（气泡：适配器大小）",
        "cmp_axis_share": "可训练参数，%",
        "cmp_axis_dev": "验证集准确率",
        "cmp_dev": "验证集",
        "cmp_none_picked": "请选择一个或多个已完成的运行进行比较。",
        "cmp_no_results": "运行 #{run_id}（{name}）状态为 {status}，没有结果，不参与比较。",
        "cmp_no_dataset": "请选择用来评估这些运行的第二个数据集。",
        "cmp_transfer_done": "已在 {dataset} 上评估 {count} 个运行：使用其 {split} 部分的 "
        "{rows} 行。",
        # 扫描页
        "sweep_started": "扫描 #{sweep_id} 已开始：共 {runs} 次运行，依次进行{each}。",
        "sweep_each": "，每次最多 {duration}",
        "sweep_stopping": "正在停止扫描 #{sweep_id}：当前运行完成这一步后保存，不再开始新的运行。",
        "sweep_not_running": "当前没有正在进行的扫描。",
        "sweep_none": "还没有扫描：选择网格后点击开始扫描。",
        "sweep_line": "扫描 #{sweep_id} **{name}**（{method}）：{status} · 已完成 {done} / {total} "
        "次运行",
        "sweep_current": " · 当前运行 #{run_id}（P={length}，lr={lr}），{step}",
        "sweep_step": "第 {step} / {total} 步",
        "sweep_best": " · 最佳：运行 #{run_id}，P={length}，lr={lr}，准确率 {accuracy}",
        "sweep_best_so_far": " · 目前最佳：运行 #{run_id}，P={length}，lr={lr}，准确率 {accuracy}",
        "sweep_error": "扫描出错：{error}",
        "sweep_best_marker": "★ 最佳",
        "sweep_best_point": "最佳",
        "sweep_axis_length": "提示长度（虚拟词元数）",
        "sweep_col_best": "最佳",
        "sweep_col_length": "提示长度",
        "sweep_col_lr": "学习率",
        "sweep_col_f1": "F1",
        "sweep_col_time": "训练用时",
    },
}


def _settings_classes() -> list[tuple[str, type]]:
    return [("cfg", TrainConfig)] + [(f"opt_{m.name}", m.config_cls) for m in METHODS.values()]


def field_key(prefix: str, name: str) -> str:
    """Translation key of a setting's label; its help text is the same key plus ``_help``."""
    return f"{prefix}_{name}"


def _field_translations() -> tuple[dict[str, str], dict[str, str]]:
    en: dict[str, str] = {}
    zh: dict[str, str] = {}
    for prefix, cls in _settings_classes():
        for f in dataclasses.fields(cls):
            key = field_key(prefix, f.name)
            en[key] = f.metadata.get("label") or f.name
            en[key + "_help"] = f.metadata.get("help", "")
            label, help_text = ZH_FIELDS.get(f.name, (en[key], en[key + "_help"]))
            zh[key], zh[key + "_help"] = label, help_text
    for name, method in METHODS.items():
        en[f"method_{name}_summary"] = method.summary
        zh[f"method_{name}_summary"] = method.summary_in("zh")
    return en, zh


def translations() -> dict[str, dict[str, str]]:
    """Every key in English and Chinese (also under ``zh-CN`` and ``zh-TW``)."""
    fields_en, fields_zh = _field_translations()
    english = {**EN, **fields_en}
    chinese = {**ZH, **fields_zh}
    return {"en": english, "zh": chinese, "zh-CN": chinese, "zh-TW": chinese}


_TRANSLATIONS = translations()
I18N = gr.I18n(**_TRANSLATIONS)


def t(key: str) -> Any:
    """The translation key for a label, checked to exist (a typo fails at app creation)."""
    if key not in _TRANSLATIONS["en"]:
        raise KeyError(f"no translation for {key!r}")
    return I18N(key)


def text(key: str, lang: str = "en", **values: Any) -> str:
    """Server-side text in ``lang``, formatted with ``values``."""
    table = SERVER_TEXT.get(lang, SERVER_TEXT["en"])
    return table.get(key, SERVER_TEXT["en"][key]).format(**values)


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    return lang


LANG_SCRIPT = (
    "<script>(function(){{var l={locale!r};try{{Object.defineProperty(navigator,'language',"
    "{{get:function(){{return l;}},configurable:true}});Object.defineProperty(navigator,"
    "'languages',{{get:function(){{return [l];}},configurable:true}});}}catch(e){{}}}})();"
    "</script>"
)


class PreferLanguage:
    """ASGI middleware: the page tells Gradio ``lang`` is the browser's language.

    Gradio chooses the interface language from ``navigator.language`` before any custom ``head``
    code runs, so the script goes first in the HTML of the page itself. Switching in Gradio's
    Settings panel still works afterwards.
    """

    def __init__(self, app: Any, lang: str = "en") -> None:
        self.app = app
        self.script = LANG_SCRIPT.format(locale=BROWSER_LOCALE[check_lang(lang)]).encode()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or scope["path"] != "/":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        body: list[bytes] = []

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await send_page(b"".join(body))

        async def send_page(page: bytes) -> None:
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            content_type = dict(headers).get(b"content-type", b"")
            if content_type.startswith(b"text/html") and b"<head>" in page:
                page = page.replace(b"<head>", b"<head>" + self.script, 1)
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, capture)
