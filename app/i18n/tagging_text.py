"""The interface's text about tagged words (entities), in English and Chinese: the Train tab's
preview of a tagging dataset, Try it's highlighted entities, the diagnosis of a tagger."""

from __future__ import annotations

EN_TAGGING: dict[str, str] = {
    "tryit_entities": "Entities (runs that tag words)",
}

ZH_TAGGING: dict[str, str] = {
    "tryit_entities": "实体（为词语打标签的运行）",
}

SERVER_EN_TAGGING: dict[str, str] = {
    "dataset_tagged_summary": "{sentences} sentences, {tags} tags: {names}. Entities: {types}.",
    "tagging_type": "Entity type",
    "tagging_precision": "Precision",
    "tagging_recall": "Recall",
    "tagging_f1": "F1",
    "tagging_support": "Entities",
    "tagging_sentence": "Sentence",
    "tagging_missed": "Missed",
    "tagging_spurious": "Spurious",
    "tagging_overall": "all entities",
    "tagging_diag_summary": "{run}: {rows} of {total} validation sentences, entity F1 {f1}.",
    "tagging_no_disagree": "Disagreements are listed for runs that classify texts; compare "
    "taggers by their entity mistakes.",
}

SERVER_ZH_TAGGING: dict[str, str] = {
    "dataset_tagged_summary": "{sentences} 个句子，{tags} 个标签：{names}。实体类型：{types}。",
    "tagging_type": "实体类型",
    "tagging_precision": "精确率",
    "tagging_recall": "召回率",
    "tagging_f1": "F1",
    "tagging_support": "实体数",
    "tagging_sentence": "句子",
    "tagging_missed": "漏掉的",
    "tagging_spurious": "多出的",
    "tagging_overall": "全部实体",
    "tagging_diag_summary": "{run}：{total} 个验证句子中的 {rows} 个，实体 F1 {f1}。",
    "tagging_no_disagree": "分歧列表仅适用于文本分类运行；请通过实体错误比较标注运行。",
}
