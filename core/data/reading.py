"""Reading one data file (.tsv, .csv, .jsonl, .json, .parquet) into a DataFrame.

CSV/TSV quoting rule: files are parsed with the standard CSV rules (fields may be quoted, ``""``
escapes a quote, quoted fields may span lines), which the Amazon review TSVs need. But a TSV
written without quoting (``"\t".join``) may contain stray ``"`` characters, e.g. a sentence
starting with a quote; the standard rules would drop those quotes or swallow the following
lines into one field. So a TSV that contains ``"`` and in which every line has exactly the
header's number of tabs is re-read with quoting off when the standard parse fails, puts a line
break inside a field, or is not strictly valid CSV (text after a closing quote). A note is
recorded. CSV files always use the standard rules (writers must quote commas). The GLUE SST-2
files contain no ``"`` at all; the Amazon TSVs have quoted fields spanning lines.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import DataError
from core.messages import say

SUPPORTED_EXTENSIONS: tuple[str, ...] = (".tsv", ".csv", ".jsonl", ".json", ".parquet")
NOTES_ATTR = "ptune_notes"
"""DataFrame attribute holding notes about how a file was read (shown with the dataset)."""


def read_table(path: str | Path, nrows: int | None = None) -> pd.DataFrame:
    """Read one .tsv/.csv/.jsonl/.json/.parquet file; CSV/TSV cells come back as ``str``.

    Raises:
        DataError: unsupported extension, missing file, not UTF-8, unparsable, or no data rows.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise DataError(
            say(
                "unsupported file type '{ext}' ({path}); supported: {supported}",
                ext=ext or path.name,
                path=path,
                supported=", ".join(SUPPORTED_EXTENSIONS),
            )  # fmt: skip
        )
    if not path.is_file():
        raise DataError(say("file or folder not found: {path}", path=path))
    if ext == ".parquet":
        df = _read_parquet(path, nrows)
    else:
        text = read_text(path)
        if not text.strip():
            raise DataError(say("{path} is empty", path=path))
        if ext in (".tsv", ".csv"):
            df = _read_delimited(text, path, "\t" if ext == ".tsv" else ",", nrows)
        else:
            df = _read_json(text, path, ext == ".jsonl", nrows)
    if len(df) == 0:
        if len(df.columns) > 0:
            raise DataError(say("{path} has no data rows (only a header)", path=path))
        raise DataError(say("{path} has no data rows", path=path))
    return df


def read_text(path: Path) -> str:
    """The file's text (UTF-8, a byte-order mark dropped); DataError naming the first byte that
    is not UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            say(
                "{path} is not valid UTF-8 (byte 0x{byte:02x} at offset {offset}); re-save it "
                "as UTF-8",
                path=path,
                byte=data[exc.start],
                offset=exc.start,
            )
        ) from None


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An error message on one line, cut to ``limit`` characters, for a person to read."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse_delimited(text: str, sep: str, quoting: int, nrows: int | None) -> pd.DataFrame:
    with warnings.catch_warnings():  # "header and data lengths differ" would silently drop data
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return pd.read_csv(
            io.StringIO(text), sep=sep, quoting=quoting, dtype=str, keep_default_na=False,
            na_values=[], index_col=False, nrows=nrows,
        )  # fmt: skip


def _one_row_per_line(text: str, sep: str) -> bool:
    lines = [line.rstrip("\r") for line in text.split("\n")]
    lines = [line for line in lines if line]
    fields = lines[0].count(sep)
    return fields > 0 and all(line.count(sep) == fields for line in lines)


def _has_line_break(df: pd.DataFrame) -> bool:
    return any(df[col].str.contains("[\r\n]", regex=True).any() for col in df.columns)


def _strictly_quoted(text: str, sep: str) -> bool:
    try:
        for _ in csv.reader(io.StringIO(text), delimiter=sep, strict=True):
            pass
    except csv.Error:
        return False
    return True


def _read_delimited(text: str, path: Path, sep: str, nrows: int | None) -> pd.DataFrame:
    df, error = None, None
    try:
        df = _parse_delimited(text, sep, csv.QUOTE_MINIMAL, nrows)
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        error = exc
    if (
        sep == "\t"
        and '"' in text
        and _one_row_per_line(text, sep)
        and (df is None or _has_line_break(df) or not _strictly_quoted(text, sep))
    ):
        df = _parse_delimited(text, sep, csv.QUOTE_NONE, nrows)  # the quotes are plain text
        df.attrs[NOTES_ATTR] = [
            say('read {name} with quoting off (stray " characters)', name=path.name)
        ]
    elif df is None:
        assert error is not None  # nothing was read: the first parse failed
        raise DataError(
            say("could not parse {path}: {error}", path=path, error=one_line(error))
        ) from error
    return df


def _read_json(text: str, path: Path, lines: bool, nrows: int | None) -> pd.DataFrame:
    """JSON lines, or one JSON list of objects (also ``{"data": [...]}`` / ``{col: [...]}``)."""
    try:
        if lines:
            rows: Any = [_json_line(line, i) for i, line in enumerate(text.split("\n"), 1)]
            rows = [row for row in rows if row is not None]
        else:
            rows = json.loads(text)
            if isinstance(rows, dict):
                lists = [v for v in rows.values() if isinstance(v, list)]
                if len(rows) == 1 and lists:  # {"data": [objects]}
                    rows = lists[0]
                elif lists and len(lists) == len(rows):  # {column: [values]}
                    rows = pd.DataFrame(rows).to_dict("records")
    except ValueError as exc:  # JSONDecodeError and unequal column lengths
        if not lines and getattr(exc, "msg", "") == "Extra data":  # a .json file of JSON lines
            return _read_json(text, path, True, nrows)
        raise DataError(
            say("could not parse {path}: {error}", path=path, error=one_line(exc))
        ) from exc
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise DataError(
            say("could not parse {path}: expected one JSON object per example", path=path)
        )
    df = pd.DataFrame.from_records(rows)
    return df if nrows is None else df.head(nrows)


def _json_line(line: str, number: int) -> Any:
    try:
        return json.loads(line) if line.strip() else None
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {number}: {exc.msg} (column {exc.colno})") from exc


def _read_parquet(path: Path, nrows: int | None) -> pd.DataFrame:
    try:
        df = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DataError(
            say("could not read {path} as Parquet: {error}", path=path, error=one_line(exc))
        ) from exc
    return df if nrows is None else df.head(nrows)
