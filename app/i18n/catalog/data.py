"""Chinese of the dataset loader's errors and notes (:mod:`core.data`)."""

ZH: dict[str, str] = {
    "unsupported file type '{ext}' ({path}); supported: {supported}":
        "不支持的文件类型 '{ext}'（{path}）；支持的类型：{supported}",
    'file or folder not found: {path}':
        '找不到文件或文件夹：{path}',
    '{path} is empty':
        '{path} 是空文件',
    '{path} has no data rows (only a header)':
        '{path} 没有数据行（只有表头）',
    '{path} has no data rows':
        '{path} 没有数据行',
    '{path} is not valid UTF-8 (byte 0x{byte:02x} at offset {offset}); re-save it as UTF-8':
        '{path} 不是有效的 UTF-8 编码（偏移 {offset} 处的字节 0x{byte:02x}）'
        '；请将其另存为 UTF-8',
    'read {name} with quoting off (stray " characters)':
        '读取 {name} 时关闭了引号解析（文件中有零散的 " 字符）',
    'could not parse {path}: {error}':
        '无法解析 {path}：{error}',
    'could not parse {path}: expected one JSON object per example':
        '无法解析 {path}：每个样本应是一个 JSON 对象',
    'could not read {path} as Parquet: {error}':
        '无法按 Parquet 格式读取 {path}：{error}',
    "could not load dataset '{source}' from the Hugging Face Hub ({error}). Check the name and "
    'your internet connection, or give a path to a local file or folder.':
        "无法从 Hugging Face Hub 加载数据集 '{source}'（{error}）。请检查名称"
        '和网络连接，或填写本地文件或文件夹的路径。',
    "dataset '{source}' has no train split (splits: {splits})":
        "数据集 '{source}' 没有训练集划分（现有划分：{splits}）",
    'several {split} files in {folder}: {names}; keep only one':
        '{folder} 中有多个 {split} 文件：{names}；请只保留一个',
    "the folder's only data file, {name}, is the training data":
        '文件夹中唯一的数据文件 {name} 被用作训练数据',
    'expected train.<ext> (ext one of {extensions}), optionally with dev/validation/valid/val '
    'and test/test-labeled files':
        '应有 train.<ext> 文件（ext 为 {extensions} 之一），可另附 '
        'dev/validation/valid/val 和 test/test-labeled 文件',
    'no training file in folder {folder}: it holds several data files ({names}) and none is '
    'named train; rename the training file to train.<ext>, or give one file itself as the '
    'dataset':
        '文件夹 {folder} 中没有训练文件：其中有多个数据文件（{names}），但没'
        '有一个名为 train；请把训练文件重命名为 train.<ext>，或直接把某个文件'
        '作为数据集',
    'no training file in folder {folder}: its only data file, {name}, is named as a validation '
    'or test split; {expected}':
        '文件夹 {folder} 中没有训练文件：唯一的数据文件 {name} 的名称表示验证'
        '集或测试集；{expected}',
    'no training file in folder {folder}: {expected}; these subfolders have one: {subfolders}':
        '文件夹 {folder} 中没有训练文件：{expected}；以下子文件夹中有：'
        '{subfolders}',
    'no training file in folder {folder}: {expected}':
        '文件夹 {folder} 中没有训练文件：{expected}',
    'no dataset given: give a file, a folder or a Hugging Face dataset id':
        '未指定数据集：请填写文件、文件夹或 Hugging Face 数据集 ID',
    'set text_column / label_column (CLI: --text-column / --label-column)':
        '请设置文本列 / 标签列（命令行：--text-column / --label-column）',
    "column '{column}' not found; available columns: {available}":
        "找不到列 '{column}'；现有的列：{available}",
    'could not tell which column holds the labels (columns: {available}); {hint}':
        '无法判断哪一列是标签（现有的列：{available}）；{hint}',
    'could not tell which column holds the text (columns: {available}); {hint}':
        '无法判断哪一列是文本（现有的列：{available}）；{hint}',
    "text and label column are both '{column}'; {hint}":
        "文本列和标签列都是 '{column}'；{hint}",
    'the label column holds lists; multi-label data is not supported':
        '标签列中是列表；不支持多标签数据',
    "the label column '{column}' looks continuous: it holds {distinct:,} distinct numbers such "
    'as {examples}. Classification needs a small set of classes - choose another label column, '
    'or bin the values into a few classes (e.g. low / medium / high) in a new column; or '
    'predict the number itself: choose the task regression (CLI: --task regression)':
        "标签列 '{column}' 看起来是连续值：其中有 {distinct:,} 个不同的数，例"
        '如 {examples}。分类需要少量的类别——请换一个标签列，或在新列中把数值'
        '分成几档（例如 低 / 中 / 高）；或者直接预测这个数：选择任务类型 regression'
        '（命令行：--task regression）',
    '1 row':
        '1 行',
    '{n:,} rows':
        '{n:,} 行',
    "{bad:,} of {rows:,} rows in {split} have empty text in '{text_col}' or no label in '"
    "{label_col}' - probably the wrong column; {hint}":
        "{split} 的 {rows:,} 行中有 {bad:,} 行在 '{text_col}' 中文本为空或在 "
        "'{label_col}' 中没有标签——可能选错了列；{hint}",
    'dropped {rows} with empty text from {split}':
        '已从 {split} 中丢弃 {rows}文本为空的数据',
    'dropped {rows} with a missing label from {split}':
        '已从 {split} 中丢弃 {rows}缺少标签的数据',
    "the {split} split has no column '{column}' (columns: {columns})":
        "{split} 划分中没有列 '{column}'（现有的列：{columns}）",
    "the test split has no labels in column '{column}' (columns: {columns}); it is treated as "
    'unlabelled and not evaluated':
        "测试集的列 '{column}' 中没有标签（现有的列：{columns}）；按无标签数"
        '据处理，不做评估',
    'the {split} split has labels not seen in train: {unseen} (train: {names})':
        '{split} 划分中有训练集没有的标签：{unseen}（训练集：{names}）',
    'the training data is too small: {rows}; too few examples of {rare}. At least {least} rows '
    'and {each} examples per class are needed':
        '训练数据太少：{rows}；这些类别的样本太少：{rare}。至少需要 {least} '
        '行，且每个类别至少 {each} 个样本',
    'the training data is too small: {rows}. At least {least} rows and {each} examples per '
    'class are needed':
        '训练数据太少：{rows}。至少需要 {least} 行，且每个类别至少 {each} 个'
        '样本',
    '{problem} - raise max_train_rows':
        '{problem}——请调高训练行数上限（max_train_rows）',
    '{shared:,} of {rows:,} {split} texts also occur in train':
        '{split} 的 {rows:,} 条文本中有 {shared:,} 条也出现在训练集中',
    'validation_fraction {fraction} leaves too few training rows ({rows})':
        '验证集比例 {fraction} 使训练行数过少（{rows}）',
    'validation_fraction must be between 0 and 1, got {value}':
        '验证集比例必须在 0 和 1 之间，当前为 {value}',
    'max_train_rows must be at least {least}, got {value}':
        '训练行数上限至少为 {least}，当前为 {value}',
    'the training data has only one label ({labels}); at least two are needed':
        '训练数据只有一个标签（{labels}）；至少需要两个',
    'no validation file: held out {rows:,} training rows (seed {seed})':
        '没有验证集文件：从训练数据中留出了 {rows:,} 行（随机种子 {seed}）',
    'the validation split has {rows}; at least {least} are needed':
        '验证集只有 {rows}；至少需要 {least} 行',
    'using {used:,} of {rows:,} training rows (max_train_rows)':
        '使用 {rows:,} 行训练数据中的 {used:,} 行（训练行数上限）',
    '{share:.0%} of the tokens in the first {rows:,} training texts are pieces of characters '
    "that the tokenizer of {model} knows only as bytes: the model does not read this data's "
    'language (mostly {script} text), and a run on it learns little more than the most common '
    'label. Use a model that reads it, e.g. {models}.':
        '前 {rows:,} 条训练文本的词元中有 {share:.0%} 是 {model} 的分词器只认'
        '得字节的字符碎片：该模型读不懂这份数据的语言（主要是{script}文本），'
        '在它上面训练几乎只能学会预测最常见的标签。请换用能读懂这种语言的模型'
        '，例如 {models}。',
    '{share:.0%} of the tokens in the first {rows:,} training texts are unknown to the '
    "tokenizer of {model}: the model does not read this data's language (mostly {script} "
    'text), and a run on it learns little more than the most common label. Use a model that '
    'reads it, e.g. {models}.':
        '前 {rows:,} 条训练文本的词元中有 {share:.0%} 是 {model} 的分词器不认'
        '识的：该模型读不懂这份数据的语言（主要是{script}文本），在它上面训练'
        '几乎只能学会预测最常见的标签。请换用能读懂这种语言的模型，例如 '
        '{models}。',
    'Chinese':
        '中文',
    'Japanese':
        '日文',
    'Korean':
        '韩文',
    'Cyrillic':
        '西里尔字母',
    'Arabic':
        '阿拉伯文',
    'Devanagari':
        '天城文',
    'Greek':
        '希腊文',
    'Hebrew':
        '希伯来文',
    'Thai':
        '泰文',
    'Latin':
        '拉丁字母',
    'shots_per_class must be at least {least}, got {value}':
        'shots_per_class 至少为 {least}，实际为 {value}',
    'few-shot: training on {per_class:,} rows of each class, {rows:,} in all (seed {seed})':
        '小样本：每个类别训练 {per_class:,} 行，共 {rows:,} 行（种子 {seed}）',
    'evaluating on {used:,} of the {rows:,} {split} rows (eval_sample_rows)':
        '只在 {split} 的 {rows:,} 行中取 {used:,} 行评估（eval_sample_rows）',
    "class {name!r} has {rows:,} training rows, fewer than shots_per_class={per_class}; lower "
    "shots_per_class to {rows} or less, or leave it empty to train on every row":
        "类别 {name!r} 只有 {rows:,} 行训练数据，少于 shots_per_class={per_class}；"
        "请把 shots_per_class 降到 {rows} 或以下，或留空以使用全部训练行",
}  # fmt: skip
