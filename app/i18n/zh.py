"""Chinese text of the interface: component labels, settings, method summaries and text
built on the server."""

from __future__ import annotations

from app.i18n.labels_text import ZH_LABELS
from app.i18n.models_text import ZH_MODELS
from app.i18n.tagging_text import ZH_TAGGING
from app.i18n.tasks_text import ZH_TASKS

ZH: dict[str, str] = {
    **ZH_TASKS,
    **ZH_TAGGING,
    **ZH_LABELS,
    **ZH_MODELS,
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
    "（CSV、TSV、JSON Lines、JSON 或 Parquet，含文本列和标签列），或带标签词语的 CoNLL 文件"
    "（.txt、.conll、.iob、.bio：每行一个词及其标签）。",
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
    # 监控：模型错在哪里
    "diag_title": "错在哪里",
    "diag_intro": "用已完成的运行重新判断它自己的验证集（与训练时的划分相同）：它混淆了哪些标签、"
    "每个标签的精确率、召回率和 F1，以及它判错的样本（最有把握的排在前面）。点击一条错误即可查看"
    "导致该预测的词。",
    "diag_run": "运行",
    "diag_run_info": "已完成的运行（成功或已停止）。",
    "diag_other": "第二个运行（可选）",
    "diag_other_info": "验证集相同的另一个运行，用于查看两者意见不一致的样本。",
    "diag_show": "查看错在哪里",
    "diag_refresh": "刷新列表",
    "diag_normalised": "按真实标签显示比例（每行合计 100%）",
    "diag_classes": "各标签指标",
    "diag_true_filter": "真实标签",
    "diag_predicted_filter": "预测标签",
    "diag_errors": "判错的样本，最有把握的在前（点击查看起作用的词）",
    "diag_csv": "判错的样本（CSV）",
    "diag_disagree": "两个运行意见不一致的样本",
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
    "tryit_export_merged": "导出合并后的模型",
    "tryit_export_merged_file": "合并后的模型（普通 Hugging Face 模型文件夹，zip 压缩）",
    "tryit_export_merged_info": "以 cls 池化训练的 LoRA、全量微调或仅分类头运行，也可以下载为"
    "一个普通模型：解压后的文件夹无需 PTune Studio，用 `AutoModelForSequenceClassification` "
    "和 `AutoTokenizer` 即可加载。",
    # 试用：查看运行内部
    "tryit_why": "为什么？每个预测背后的词",
    "tryit_why_legend": "依次去掉每个词后重新判断：**绿色**的词把运行推向它的预测，**红色**的词"
    "则相反；颜色越深，影响越大（鼠标悬停可查看数值）。对预测分数的运行，绿色的词使分数升高，红色的词"
    "使它降低；对用文本对训练的运行，两段文本的词都会得到解释。",
    "tryit_why_button": "解释预测",
    "tryit_prompt_words": "提示词：学到的提示像哪些词",
    "tryit_prompt_run": "提示类方法的运行",
    "tryit_prompt_run_info": "用提示调优、P-Tuning v1 或 P-Tuning v2 训练的运行。",
    "tryit_prompt_k": "每个虚拟词元显示的词数",
    "tryit_prompt_show": "显示最近的词",
    "tryit_prompt_table": "每个虚拟词元最近的词表词",
    "tab_compare": "比较",
    "compare_intro": "选择已完成的运行并排比较：各方法训练的参数占比、适配器在磁盘上的大小、训练"
    "速度、达到最佳得分所用的时间以及验证集得分（准确率，或任务自己的指标：宏平均 F1、"
    "Pearson 相关系数、实体 F1）。要衡量泛化能力，请选择一个这些运行没有训练过、标签名称相同的"
    "第二个数据集（例如在 SST-2 上训练的运行在亚马逊评论上测试），然后点击**评估泛化能力**。",
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
    "sweep_plot": "不同提示长度和学习率下的验证集得分",
    "sweep_table": "扫描中的运行（★ 表示最佳）",
    # 小样本实验页
    "tab_fewshot": "小样本实验",
    "fewshot_intro": "**我需要多少数据？** 让每种方法在每个类别的 *k* 个样本上训练，"
    "取多个 *k* 和多个种子，观察得分如何随 *k* 增长。每次运行都以该方法的默认设置训练相同的"
    "步数，并只在结束时于同一批验证行上评估一次，因此各点可以公平比较；"
    "**all** 表示用全部训练行训练相同的步数。各次运行依次进行，共 方法数 × 样本量数 × 种子数 次"
    "（表单下方一行会统计次数并估算用时）；每次都是普通运行，会出现在 **监控** 和 **试用** 页。"
    "**停止** 结束当前运行并保留已完成的运行；**继续** 在同一实验下训练其余部分。",
    "fewshot_dataset": "数据集",
    "fewshot_model": "基础模型",
    "fewshot_methods": "方法",
    "fewshot_methods_info": "每种方法都使用其默认学习率和设置训练。",
    "fewshot_shots": "每类样本数 (k)",
    "fewshot_shots_info": "用逗号分隔；'all' 表示使用全部训练行。大于最小类别行数的取值会被略去。"
    "带标签词语：按句子总数计。",
    "fewshot_seeds": "种子数",
    "fewshot_seeds_info": "每种方法和样本量的运行次数，每次抽取不同的样本。",
    "fewshot_steps": "每次运行的步数",
    "fewshot_steps_info": "所有运行相同，这样只有数据不同。",
    "fewshot_batch": "批大小",
    "fewshot_batch_info": "每步的样本数（k 较小时会重复抽取）。",
    "fewshot_name": "实验名称",
    "fewshot_start": "开始实验",
    "fewshot_stop": "停止实验",
    "fewshot_resume": "继续实验",
    "fewshot_past": "小样本实验",
    "fewshot_past_info": "正在进行的实验，或数据库中的实验。",
    "fewshot_plot": "不同每类样本数下的得分",
    "fewshot_table": "得分的均值 ± 标准差（已完成 / 计划的运行数）",
    "fewshot_runs": "实验中的运行",
    "monitor_resume": "继续训练",
    "monitor_queue": "排队中的运行",
    "monitor_queue_table": "等待设备的运行，按开始顺序排列",
    "monitor_queue_run": "排队的运行",
    "monitor_move_up": "上移",
    "monitor_cancel": "取消",
}

# Chinese labels and help of the settings, by field name (shared by methods with that field).
ZH_FIELDS: dict[str, tuple[str, str]] = {
    "pooling": ("池化方式", "分类器读取的向量：第一个词元（cls）、所有词元的平均（mean）"
                "或最后一个真实词元（last）。auto 跟随模型：解码器模型用 last，"
                "声明了平均池化的句向量模型用 mean。"),
    "validation_fraction": ("验证集比例", "数据没有验证集文件时，从训练数据中留出用于验证的比例。"),
    "max_train_rows": ("训练行数上限", "最多使用这么多训练行（分层抽样）；留空使用全部。"),
    "shots_per_class": (
        "每类样本数",
        "每个类别只用这么多训练样本（按随机种子抽取的小样本；同一种子下，小样本包含在大样本之中）；"
        "留空使用全部训练行。数据没有验证集文件时，验证行用固定种子留出，"
        "这样不同样本量、不同种子的运行都在同一批行上评估。",
    ),
    "eval_sample_rows": (
        "评估行数",
        "验证集和测试集各最多用这么多行评估（固定的分层抽样，每次运行相同）；留空使用全部。"
        "在大评估集上做由许多短运行组成的实验时更快。",
    ),
    "unknown_token_warning": (
        "未知词元警告",
        "前 200 条训练文本的词元中，若模型分词器不认识的比例超过此值（模型读不懂数据的语言），"
        "训练前发出警告，并给出能读懂的模型。设为 1 则关闭。",
    ),
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
    "gradient_checkpointing": (
        "梯度检查点",
        "反向传播时重新计算每层的激活值而不保存它们：大模型或长文本省下大量内存，"
        "每步约慢三分之一。适用于除仅分类头以外的所有方法"
        "（仅分类头的反向传播止于分类头，不保留激活值）。",
    ),
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
    "train_layernorm": ("训练 LayerNorm", "同时训练各层内的 LayerNorm（解码器为 RMSNorm）权重"
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
SERVER_ZH: dict[str, str] = {
    "problems_title": "请修正以下设置",
    "error_title": "出错了",
    "unexpected_error": "内部错误（{kind}），已记录为 {reference}：详情见服务器日志。"
    "请附上该编号报告此问题。",
    "started": "运行 #{run_id}（{name}）已开始。请在监控页查看。",
    "stopping": "已请求运行 #{run_id} 停止；它会完成当前步骤并保存。",
    "stopping_sweep": "扫描 {sweep_id} 不再启动新的运行。",
    "nothing_running": "当前没有正在进行的训练。",
    "estimate": "可训练参数 **{trainable}**，共 {total}（{share}）。约 **{steps}** 步；"
    "预计用时 **{duration}**（根据{speed}粗略估算）。",
    "estimate_budget": " 时间预算将其限制在 {budget}。",
    "estimate_memory": " 峰值内存约 **{need} GB**，本机可用 {have} GB。",
    "speed_measured": "此前同一模型和方法的运行",
    "speed_guess": "保守的速度假设",
    "settings_ok": "设置没有问题。",
    "dataset_summary": "{rows} 行，{labels} 个标签：{names}。文本列 `{text}`，标签列 `{label}`。",
    "language_unknown": "前 {rows} 条训练文本的词元中有 **{share}** 是 `{model}` 的分词器不认识的："
    "该模型读不懂这份数据的语言（主要是{script}文本），在它上面训练几乎只能学会预测最常见的标签。"
    "请换用能读懂这种语言的基础模型，例如 {models}。",
    "language_bytes": "前 {rows} 条训练文本的词元中有 **{share}** 是 `{model}` 的分词器只认得字节的"
    "字符碎片：该模型读不懂这份数据的语言（主要是{script}文本），在它上面训练几乎只能学会预测最常见"
    "的标签。请换用能读懂这种语言的基础模型，例如 {models}。",
    "script_chinese": "中文",
    "script_japanese": "日文",
    "script_korean": "韩文",
    "script_cyrillic": "西里尔字母",
    "script_arabic": "阿拉伯文",
    "script_devanagari": "天城文",
    "script_greek": "希腊文",
    "script_hebrew": "希伯来文",
    "script_thai": "泰文",
    "script_latin": "拉丁字母",
    "hub_dataset": "`{name}` 不是本机的文件或文件夹，开始训练时将从 Hugging Face Hub "
    "加载（需要联网）。",
    "model_support": "模型系列 {family}：所有方法都可以训练它。",
    "model_support_some": "模型系列 {family}：{usable} 可以训练它；{unusable} 不行（{reason}）。",
    "model_family_encoder": "`{family}`",
    "model_family_decoder": "`{family}`（{name}，解码器：读取最后一个词元）",
    "model_unreadable": "无法使用此模型：{error}",
    "no_runs": "还没有运行：请在训练页开始一次训练。",
    "status_line": "运行 #{run_id} **{name}**（{method}）：{status}",
    "status_error": "运行 #{run_id} 失败：{error}",
    "eta": "第 {step} / {total} 步 · {percent}% · 预计还需约 {eta}（估算）",
    "done": "第 {step} / {total} 步 · 已结束",
    "need_two": "选择两个或更多运行以比较它们的设置。",
    "no_difference": "所选运行的设置相同。",
    "no_text": "请先输入一句话。",
    "no_run_selected": "请至少选择一个已训练的运行。",
    "merge_refused_method": "{method} 运行无法导出为合并后的模型：{reason}。",
    "merge_refused_pooling": "这个 {method} 运行读取所有词元的平均值（mean 池化），而普通的 "
    "Hugging Face 分类器读取第一个词元，合并后的模型会给出不同的预测。请用池化设置 'cls' "
    "训练，得到可以合并的运行。",
    "merge_ship_adapter": "请改用“导出为 zip”下载该运行，并用 "
    "`python -m core.serve ADAPTER_FOLDER` 提供其适配器文件夹的服务。",
    "no_file": "请先上传文件。",
    "empty_file": "文件中没有可分类的文本。",
    "text_too_long": "文本长 {length} 个字符，最多接受 {limit} 个。请缩短文本，"
    "或以更大的 --max-text-chars 启动应用。",
    "batch_too_long": "{name} 超过 {limit} 行，批量文件最多 {limit} 行。请拆分文件，"
    "或以更大的 --max-batch-rows 启动应用。",
    "loss": "损失",
    "eval_loss": "验证损失",
    "accuracy": "验证准确率",
    "learning_rate": "学习率",
    "throughput": "每秒样本数",
    "step": "步数",
    "no_data": "暂无数据",
    # 监控：模型错在哪里
    "diag_no_run": "请选择一个已完成的运行，查看它错在哪里。",
    "diag_same_run": "请选择与第一个不同的第二个运行，才能比较两者的分歧。",
    "diag_outside": "运行 #{run_id} 训练所用的数据集 {data} 不在本应用读取数据集的文件夹中；"
    "请用包含它的 --data-dir 启动应用，才能查看它的验证集。",
    "diag_summary": "**{run}**：查看了 {rows} 条验证样本{sample}，判错 {wrong} 条"
    "（准确率 {accuracy}）。",
    "diag_sample": "（从 {total} 条中分层抽样）",
    "diag_shown": "表格显示最有把握的 {shown} 条错误（共 {total} 条）；CSV 包含全部。",
    "diag_no_mistakes": "这些标签下没有判错的样本。",
    "diag_no_other": "选择第二个运行，查看两者意见不一致的样本。",
    "diag_agree": "两个运行在每条验证样本上的判断都一致。",
    "diag_any": "全部",
    "diag_no_second": "无",
    "diag_axis_true": "真实标签",
    "diag_axis_predicted": "预测标签",
    "diag_shares": "比例",
    "diag_col_row": "行",
    "diag_col_true": "真实标签",
    "diag_col_predicted": "预测",
    "diag_col_confidence": "置信度",
    "diag_col_precision": "精确率",
    "diag_col_recall": "召回率",
    "diag_col_f1": "F1",
    "diag_col_support": "样本数",
    "diag_col_run_label": "{run} 的预测",
    "diag_col_run_confidence": "{run} 的置信度",
    "diag_first_run": "第一个运行",
    "diag_second_run": "第二个运行",
    "probability": "概率",
    "label": "标签",
    "count": "样本数",
    "setting": "设置",
    "run": "运行",
    "col_id": "ID",
    "col_name": "名称",
    "col_status": "状态",
    "col_method": "方法",
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
    "no_prompt_run": "请选择一个用提示类方法（提示调优、P-Tuning v1 或 P-Tuning v2）训练的运行。",
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
    "cmp_col_to_best": "达到最佳{metric}的时间",
    "cmp_col_dev": "验证集{metric}",
    "cmp_col_transfer": "{dataset} 上的{Metric}",
    "cmp_plot_share": "可训练参数，%（对数）",
    "cmp_plot_adapter": "适配器大小，字节（对数）",
    "cmp_plot_speed": "每秒训练样本数",
    "cmp_plot_to_best": "达到最佳{metric}的秒数",
    "cmp_plot_accuracy": "{Metric}：验证集与第二个数据集",
    "cmp_plot_tradeoff": "可训练占比与验证集{metric}（气泡：适配器大小）",
    "cmp_axis_share": "可训练参数，%",
    "cmp_axis_dev": "验证集{metric}",
    "cmp_dev": "验证集",
    "cmp_none_picked": "请选择一个或多个已完成的运行进行比较。",
    "cmp_no_results": "运行 #{run_id}（{name}）状态为 {status}，没有结果，不参与比较。",
    "cmp_no_dataset": "请选择用来评估这些运行的第二个数据集。",
    "cmp_transfer_done": "已在 {dataset} 上评估 {count} 个运行：使用其 {split} 部分的 {rows} 行。",
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
    "sweep_best": " · 最佳：运行 #{run_id}，P={length}，lr={lr}，{metric} {score}",
    "sweep_best_so_far": " · 目前最佳：运行 #{run_id}，P={length}，lr={lr}，{metric} {score}",
    "sweep_error": "扫描出错：{error}",
    "sweep_best_marker": "★ 最佳",
    "sweep_best_point": "最佳",
    "sweep_axis_length": "提示长度（虚拟词元数）",
    "sweep_col_best": "最佳",
    "sweep_col_length": "提示长度",
    "sweep_col_lr": "学习率",
    "sweep_col_f1": "F1",
    "sweep_col_time": "训练用时",
    "queued_run": "运行 #{run_id}（{name}）在队列中排第 {position} 位；设备空闲时开始。"
    "请在监控页查看。",
    "resumed": "运行 #{run_id}（{name}）从检查点继续训练。",
    "resume_queued": "运行 #{run_id}（{name}）在队列中排第 {position} 位；"
    "设备空闲时从检查点继续训练。",
    "resume_pick": "请在“显示运行”中选择一个已停止、已中断或失败的运行来继续训练。",
    "cancel_running": "运行 {run_id} 已在训练；请用“停止训练”停止它，而不是取消。",
    "not_waiting": "运行 {run_id} 不在队列中（状态为 {status}）；只有排队中的运行可以取消或移动。",
    "cancelled_new": "运行 #{run_id}（{name}）已移出队列并删除；它尚未开始。",
    "cancelled_resume": "运行 #{run_id}（{name}）已移出队列；它恢复为之前的 {status} 状态。",
    "moved_up": "运行 #{run_id} 现在排在队列第 {position} 位。",
    "pick_waiting": "请先选择一个排队中的运行。",
    "col_position": "位置",
    "col_start": "开始方式",
    "queue_new": "新运行",
    "queue_resume": "继续训练",
    # 小样本实验页
    "stopping_fewshot": "小样本实验 {experiment_id} 不再启动新的运行。",
    "fewshot_started": "小样本实验 #{experiment_id} 已开始：共 {runs} 次运行，依次进行。",
    "fewshot_resumed": "小样本实验 #{experiment_id} 继续进行：{runs} 次运行中"
    "还剩 {left} 次要训练。",
    "fewshot_pick_resume": "请选择一个已停止、已中断或失败的小样本实验来继续。",
    "fewshot_stopping": "正在停止小样本实验 #{experiment_id}：当前运行完成这一步后保存，"
    "不再开始新的运行。",
    "fewshot_not_running": "当前没有正在进行的小样本实验。",
    "fewshot_none": "还没有小样本实验：选择方法和样本量后点击开始实验。",
    "fewshot_line": "小样本实验 #{experiment_id} **{name}**：{status} · 已完成 {done} / {planned} "
    "次运行 · 每次 {steps} 步",
    "fewshot_current": " · 当前运行 #{run_id}（{method}，k={k}，种子 {seed}），"
    "第 {step} / {total} 步",
    "fewshot_resume_hint": " · “继续实验”会训练剩下的 {left} 次运行",
    "fewshot_note": "注意：{note}",
    "fewshot_error": "实验出错：{error}",
    "fewshot_plan": "**{runs} 次运行**（{methods} 种方法 × {sizes} 种样本量 × {seeds} 个种子），"
    "每次 {steps} 步{time}。",
    "fewshot_plan_time": "；总共约 **{duration}**（根据{speed}粗略估算）",
    "fewshot_all": "全部",
    "fewshot_axis_k": "每类训练样本数 k（对数刻度）",
    "fewshot_plot_title": "不同每类样本数下的验证集{metric}",
    "fewshot_legend": "线：各种子的均值 · 误差线：最低到最高的种子 · 点：每次运行",
    "fewshot_hover": "{method}，k={k}<br>{metric}均值 {mean}（标准差 {std}）<br>最低到最高的种子："
    "{low} – {high}<br>{planned} 次中完成 {runs} 次",
    "fewshot_hover_run": "运行 #{run_id}，种子 {seed}，k={k}：{metric} {score}",
    "fewshot_no_runs": "还没有完成的运行",
    "fewshot_col_method": "方法",
    "fewshot_col_k": "k",
    "fewshot_col_seed": "种子",
    "fewshot_cell": "{mean} ± {std}（{runs}/{planned}）",
    "fewshot_cell_empty": "–（{runs}/{planned}）",
}
