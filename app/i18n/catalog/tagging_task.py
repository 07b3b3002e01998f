"""Chinese of the tagging task: loading tagged words as a run's data and predicting tags
(:mod:`core.tasks.tagging`, :mod:`core.data.tagged_loading`)."""

ZH: dict[str, str] = {
    "this run tags words: give a sentence as 'words' (a list of words) or as 'text' (split at "
    "spaces)":
        "此运行为词语打标签：请以 'words'（词语列表）或 'text'（按空格切分）给出句子",
    "a sentence to tag has no words":
        "要打标签的句子没有词语",
    "no training file of tagged words in folder {folder}: name it train.txt (CoNLL) or "
    "train.jsonl":
        "文件夹 {folder} 中没有带标签词语的训练文件：请将其命名为 train.txt（CoNLL）或 "
        "train.jsonl",
    "the {split} split has {rows}; at least {least} are needed":
        "{split} 划分只有 {rows}；至少需要 {least}",
    "a few-shot sample of {shots:,} sentences needs as many training sentences; the data has "
    "{rows:,}":
        "{shots:,} 个句子的小样本需要同样多的训练句子；数据只有 {rows:,} 个",
    "few-shot: training on {shots:,} sentences (seed {seed})":
        "小样本：在 {shots:,} 个句子上训练（种子 {seed}）",
    "the tagger knows the tags {tags}, but the dataset has {missing} too; pick a dataset tagged "
    "like the training data":
        "该标注模型只认识标签 {tags}，而数据集还有 {missing}；请选择标注方式与训练数据相同的数据集",
    "left out {sizes} sentences: the training data has only {rows:,} ('all' covers it)":
        "已略去 {sizes} 个句子的规模：训练数据只有 {rows:,} 个句子（'all' 涵盖全部）",
}  # fmt: skip
