"""Datasets from the Hugging Face Hub, as DataFrames per split."""

from __future__ import annotations

import pandas as pd

from core.data.columns import label_key
from core.data.reading import one_line
from core.data.splits import SPLIT_STEMS
from core.errors import DataError
from core.messages import say


def hub_frames(
    source: str, hf_config: str | None
) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]]]:
    """Splits of a Hub dataset as DataFrames; ClassLabel ids become names (-1 -> missing)."""
    name, _, config = source.partition(":")
    try:
        import datasets

        loaded = datasets.load_dataset(name, hf_config or config or None)
    except Exception as exc:  # the hub raises many unrelated types
        raise DataError(
            say(
                "could not load dataset '{source}' from the Hugging Face Hub ({error}). Check the "
                "name and your internet connection, or give a path to a local file or folder.",
                source=source,
                error=one_line(exc),
            )
        ) from exc
    by_lower = {str(key).lower(): key for key in loaded}
    frames: dict[str, pd.DataFrame] = {}
    orders: dict[str, list[str]] = {}
    for split, stems in SPLIT_STEMS.items():
        key = next((by_lower[s] for s in stems if s in by_lower), None)
        if key is None:
            continue
        ds = loaded[key]
        df = ds.to_pandas()
        for col, feature in ds.features.items():
            if isinstance(feature, datasets.ClassLabel):
                names = list(feature.names)
                df[col] = [names[i] if 0 <= i < len(names) else None for i in df[col]]
                orders[col] = [str(label_key(n)) for n in names]
        frames[split] = df
    if "train" not in frames:
        raise DataError(
            say(
                "dataset '{source}' has no train split (splits: {splits})",
                source=source,
                splits=list(loaded),
            )
        )
    return frames, orders
