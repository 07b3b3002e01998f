"""Try it's predictions, without Gradio: several trained runs judge one sentence side by side
(a table and a bar chart; the entities of runs that tag words highlighted), or every text of
a batch file (a CSV to download; a tagger's one sentence per line).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Generator
from contextlib import closing
from itertools import islice
from pathlib import Path
from typing import Any

import pandas as pd

from app.shared.actions import predict_runs
from app.shared.state import AppState, check_text_length
from app.tabs.tryit.plots import prediction_figure
from app.tabs.tryit.tagged import batch_cells, highlights, is_tagged, table_row
from app.tabs.tryit.thresholds import decided, edited
from core.data.columns import TEXT_NAMES
from core.data.reading import read_table, read_text
from core.errors import InputError
from core.messages import say
from core.tasks.pair import pair_by_name

STREAMED = (".txt", ".csv", ".tsv", ".jsonl")
"""Batch file types whose rows :func:`count_rows` counts without holding the file."""


def _check(state: AppState, text: str | None, run_ids: list[int] | None) -> None:
    if not run_ids:
        raise InputError(state.text("no_run_selected"))
    if text is not None and not text.strip():
        raise InputError(state.text("no_text"))
    if text is not None:
        check_text_length(state, text.strip())


def predict_text(
    state: AppState, text: str, run_ids: list[int], text_pair: str | None = None,
    thresholds: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, Any]:  # fmt: skip
    """Each run's label and probability for one sentence (with its second text, for runs
    trained on text pairs): a table and a bar chart. A run with several labels per text names
    every label at or above its threshold: its own, or the one edited in ``thresholds``."""
    table, figure, _ = judge_text(state, text, run_ids, text_pair, thresholds)
    return table, figure


def judge_text(
    state: AppState, text: str, run_ids: list[int], text_pair: str | None = None,
    thresholds: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, Any, list[tuple[str, str | None]]]:  # fmt: skip
    """:func:`predict_text`'s table and chart, and the entities of the runs that tag words
    highlighted by type (empty when none does); a tagger's table row lists its entities."""
    _check(state, text, run_ids)
    pair = (text_pair or "").strip()
    if pair:
        check_text_length(state, pair)
    chosen = edited(state, thresholds)
    results = predict_runs(state, [text.strip()], run_ids, [pair] if pair else None)
    results = decided(state, results, chosen)
    table = pd.DataFrame(
        [table_row(r) if is_tagged(r) else [r["run"], r["label"], score_cell(r)] for r in results],
        columns=[state.text("run"), state.text("label"), state.text("col_score")],
    )
    labelled = [r for r in results if not is_tagged(r)]
    return table, prediction_figure(labelled, state.lang), highlights(results)


def score_cell(row: dict[str, Any]) -> str:
    """A prediction's score as a cell: a probability as a share, a predicted score as itself."""
    return f"{row['score']:.1%}" if "probabilities" in row else f"{row['score']:.3f}"


def read_pairs(path: str | Path) -> tuple[list[str], list[str] | None]:
    """Texts of a batch file, and the second texts when it has two text columns with the
    names of a pair (sentence1/sentence2, premise/hypothesis, ...: :mod:`core.tasks.pair`)."""
    path = Path(path)
    if path.suffix.lower() != ".txt":
        df = read_table(path)
        found = pair_by_name([str(c) for c in df.columns])
        if found is not None:
            firsts, seconds = (df[c].map(lambda v: "" if pd.isna(v) else str(v).strip())
                               for c in found)  # fmt: skip
            kept = [(a, b) for a, b in zip(firsts, seconds, strict=True) if a or b]
            return [a for a, _ in kept], [b for _, b in kept]
    return read_texts(path), None


def read_texts(path: str | Path) -> list[str]:
    """Texts of a batch file: TXT one per line; CSV/TSV/JSON its text column."""
    path = Path(path)
    if path.suffix.lower() == ".txt":
        lines = read_text(path).splitlines()
        return [line.strip() for line in lines if line.strip()]
    df = read_table(path)
    by_lower = {str(c).lower(): c for c in df.columns}
    column = next((by_lower[n] for n in TEXT_NAMES if n in by_lower), None)
    if column is None:
        strings = [c for c in df.columns if df[c].map(lambda v: isinstance(v, str)).all()]
        if not strings:
            raise InputError(say("{file} has no column of texts; name it 'text'", file=path.name))
        column = max(strings, key=lambda c: df[c].str.len().mean())
    return [str(v).strip() for v in df[column].tolist() if str(v).strip()]


def _rows(path: Path) -> Generator[Any, None, None]:
    """The rows of a TXT, JSON lines, CSV or TSV file, one at a time (no header, no blank
    lines of TXT and JSON lines)."""
    ext = path.suffix.lower()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if ext in (".txt", ".jsonl"):
            yield from (line for line in handle if line.strip())
            return
        reader = csv.reader(handle, delimiter="\t" if ext == ".tsv" else ",")
        next(reader, None)
        yield from reader


def count_rows(path: str | Path, stop: int) -> int | None:
    """Rows of a batch file, read one at a time and counted up to ``stop`` at most; None when
    the file type must be read whole (JSON, Parquet) or the file cannot be read this way (the
    full read then says why)."""
    path = Path(path)
    if path.suffix.lower() not in STREAMED:
        return None
    try:
        with closing(_rows(path)) as rows:
            return sum(1 for _ in islice(rows, stop))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def predict_file(state: AppState, file: str | None, run_ids: list[int]) -> str:
    """Classify every text of an uploaded file; the path of a CSV with the predictions.

    A file with more rows than the app's ``--max-batch-rows`` is refused, before it is read
    whole when its rows can be counted one by one.
    """
    if not file:
        raise InputError(state.text("no_file"))
    _check(state, None, run_ids)
    cap = state.limits.max_batch_rows
    too_long = state.text("batch_too_long", name=Path(file).name, limit=f"{cap:,}")
    if (count_rows(file, cap + 1) or 0) > cap:
        raise InputError(too_long)
    texts, pairs = read_pairs(file)
    if len(texts) > cap:  # rows the count could not see, e.g. a JSON file
        raise InputError(too_long)
    if not texts:
        raise InputError(state.text("empty_file"))
    results = predict_runs(state, texts, run_ids, pairs)
    out = Path(tempfile.mkdtemp(prefix="ptune-batch-")) / f"{Path(file).stem}-predictions.csv"
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        tagged = any(is_tagged(row) for row in results)
        writer.writerow(["text", *(["text_pair"] if pairs else []), "run_id", "run", "label",
                         "score", *(["tags", "entities"] if tagged else [])])  # fmt: skip
        per_run = len(texts)
        for i, row in enumerate(results):
            second = [pairs[i % per_run]] if pairs else []
            cells = batch_cells(row)
            writer.writerow([texts[i % per_run], *second, row["run_id"], row["run"],
                             *(cells if tagged else cells[:2])])  # fmt: skip
    return str(out)
