"""Chinese of the tagged-words readers, alignment and entity scoring (:mod:`core.data.tagging`,
:mod:`core.data.iob`, :mod:`core.data.word_alignment`)."""

ZH: dict[str, str] = {
    "{path} line {line}":
        "{path} 第 {line} 行",
    "{path} line {line}, word {word}":
        "{path} 第 {line} 行第 {word} 个词",
    "{where}: tag '{tag}' is not an IOB tag; use O, or B-, I-, E- or S- followed by the "
    "entity type (e.g. B-PER)":
        "{where}：标签 '{tag}' 不是 IOB 标签；请使用 O，或 B-、"
        "I-、E-、S- 加实体类型（例如 B-PER）",
    "{where}: tag '{tag}' breaks an IOBES entity; an entity is B- I-... E- of one type, or "
    "S- alone":
        "{where}：标签 '{tag}' 破坏了 IOBES 实体；一个实体是同一类"
        "型的 B- I-... E-，或单独的 S-",
    "{where}: the sentence ends inside a {kind} entity; IOBES entities end with E-":
        "{where}：句子在 {kind} 实体内部结束；IOBES 实体应以 E- "
        "结尾",
    "{where}: '{text}' has one column; each line needs a word and its tag (other columns "
    "between them are allowed, the tag comes last)":
        "{where}：'{text}' 只有一列；每行需要一个词和它的标签（中间可以有"
        "其他列，标签在最后一列）",
    "{where}: {words:,} words but {tags:,} tags; each word needs one tag":
        "{where}：有 {words:,} 个词但有 {tags:,} 个标签；每个"
        "词需要一个标签",
    "{where}: not valid JSON ({error})":
        "{where}：不是有效的 JSON（{error}）",
    "{where}: expected a JSON object with a list of words and a list of tags":
        "{where}：应是一个包含词列表和标签列表的 JSON 对象",
    "{where}: no list of words; name it one of {expected} (keys found: {found})":
        "{where}：没有词列表；请将其命名为 {expected} 之一（现有的键："
        "{found}）",
    "{where}: no list of tags; name it one of {expected} (keys found: {found})":
        "{where}：没有标签列表；请将其命名为 {expected} 之一（现有的键"
        "：{found}）",
    "{where}: '{key}' must be a list of strings":
        "{where}：'{key}' 必须是字符串列表",
    "{where}: '{key}' must be a list of tags (strings, or numbers with tag names)":
        "{where}：'{key}' 必须是标签列表（字符串，或附带标签名称的数字）",
    "{where}: the tags are numbers; give their names (tag_names, e.g. the dataset's "
    "ClassLabel names) to read them":
        "{where}：标签是数字；请提供它们的名称（tag_names，例如数据集的 "
        "ClassLabel 名称）才能读取",
    "{where}: tag number {number} has no name; there are {count} tag names":
        "{where}：标签编号 {number} 没有名称；共有 {count} 个标"
        "签名称",
    "{path} holds no tagged sentences":
        "{path} 中没有带标签的句子",
    "{name} uses IOB1 tags: {count:,} entities starting with I- now start with B- (IOB2)":
        "{name} 使用 IOB1 标签：{count:,} 个以 I- 开头的实体已"
        "改为以 B- 开头（IOB2）",
    "{name} is a {ext} file, not CoNLL":
        "{name} 是 {ext} 文件，不是 CoNLL 文件",
    "line {line} of {name} does not end with an IOB tag: '{text}'":
        "{name} 的第 {line} 行不是以 IOB 标签结尾：'{text}'",
    "no entity tags (B-, I-, ...) in {name}":
        "{name} 中没有实体标签（B-、I- 等）",
    "every line of {name} looked at ({lines:,}) is a word and its IOB tag":
        "{name} 中查看的每一行（{lines:,} 行）都是一个词及其 IOB 标"
        "签",
    "tagged words need a fast tokenizer, which tells each sub-token's word; {name} has only "
    "a slow one":
        "词标注需要快速分词器（能指出每个子词属于哪个词）；{name} 只有慢速分词器",
    "tag '{tag}' is not among the training data's tags ({tags})":
        "标签 '{tag}' 不在训练数据的标签中（{tags}）",
}  # fmt: skip
