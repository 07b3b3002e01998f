"""Test-only multi-label datasets (not a test module): moods and topics, several per text."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from conftest import FILLER, NEGATIVE, POSITIVE

TOPIC = ["film", "plot", "actor", "scene", "camera", "script"]
PLAIN = ["it", "was", "and", "then", "so", "very", "that", "this"]
MOODS = ("happy", "sad", "movie")


def labelled_rows(rows: int, seed: int) -> list[tuple[str, list[str]]]:
    """Texts with their labels: "happy" and "sad" by mood words, "movie" by topic words; a row
    may carry any of them, none included."""
    rng = random.Random(seed)
    out = []
    for i in range(rows):
        labels = [name for bit, name in enumerate(MOODS) if (i >> bit) & 1]
        words = rng.sample(PLAIN, 4)
        for name, vocabulary in (("happy", POSITIVE), ("sad", NEGATIVE), ("movie", TOPIC)):
            if name in labels:
                words += rng.sample(vocabulary, 2)
        words += rng.sample([w for w in FILLER if w not in TOPIC], 1)
        rng.shuffle(words)
        out.append((" ".join(words), labels))
    return out


def write_joined(path: Path, rows: int = 96, seed: int = 0, sep: str = ";") -> Path:
    """A CSV whose label cells join the labels with ``sep`` (a row without labels: "[]")."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "labels"])
        for text, labels in labelled_rows(rows, seed):
            writer.writerow([text, sep.join(labels) if labels else "[]"])
    return path


def write_lists(path: Path, rows: int = 96, seed: int = 0) -> Path:
    """A JSONL file whose label cells are lists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"text": t, "labels": labels}) for t, labels in labelled_rows(rows, seed)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_ids(folder: Path, rows: int = 96, seed: int = 0) -> Path:
    """A GoEmotions-like folder: train/dev TSVs of label ids ("0,2") and labels.txt."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "labels.txt").write_text("\n".join(MOODS) + "\n", encoding="utf-8")
    for name, count, offset in (("train", rows, seed), ("dev", rows // 2, seed + 1)):
        with (folder / f"{name}.tsv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, delimiter="\t")
            writer.writerow(["text", "label", "id"])
            for i, (text, labels) in enumerate(labelled_rows(count, offset)):
                ids = ",".join(str(MOODS.index(n)) for n in labels) or "[]"
                writer.writerow([text, ids, f"r{i}"])
    return folder


def write_binary(path: Path, rows: int = 96, seed: int = 0) -> Path:
    """A CSV with one 0/1 column per label (as Jigsaw's toxicity columns): text, happy, sad,
    movie."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", *MOODS])
        for text, labels in labelled_rows(rows, seed):
            writer.writerow([text, *(int(name in labels) for name in MOODS)])
    return path
