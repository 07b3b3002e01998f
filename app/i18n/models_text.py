"""The interface's text about the model suggestions under the Train tab's model box (known
encoder and decoder models by size, with the memory and speed estimated for the form's run), in
English and Chinese: the table's label (a component), and its columns and kinds (text built on
the server)."""

from __future__ import annotations

EN_MODELS: dict[str, str] = {
    "train_suggestions": "Suggested models by size (estimated for the method, batch size and "
    "max length chosen; click a row to use it)",
}

SERVER_EN_MODELS: dict[str, str] = {
    "suggest_model": "Model",
    "suggest_kind": "Kind",
    "suggest_family": "Family",
    "suggest_parameters": "Parameters",
    "suggest_memory": "Est. memory (GB)",
    "suggest_fits": "Fits here",
    "suggest_speed": "Est. rows/s (sentences)",
    "suggest_encoder": "encoder",
    "suggest_decoder": "decoder",
}

ZH_MODELS: dict[str, str] = {
    "train_suggestions": "按规模推荐的模型（按所选方法、批大小和最大长度估算；点击一行即可选用）",
}

SERVER_ZH_MODELS: dict[str, str] = {
    "suggest_model": "模型",
    "suggest_kind": "类型",
    "suggest_family": "系列",
    "suggest_parameters": "参数量",
    "suggest_memory": "估计内存（GB）",
    "suggest_fits": "本机可容纳",
    "suggest_speed": "估计每秒行数（短句）",
    "suggest_encoder": "编码器",
    "suggest_decoder": "解码器",
}
