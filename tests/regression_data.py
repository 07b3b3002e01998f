"""Test-only score datasets (not a test module): a number per text or per pair of texts."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from conftest import FILLER, NEGATIVE, POSITIVE


def write_scores(path: Path, rows: int = 80, seed: int = 0, pairs: bool = False) -> Path:
    """A CSV whose ``score`` counts the happy words (0-3) of a text, plus a little noise; with
    ``pairs``, sentence1/sentence2 columns whose score is the happy words of both."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["sentence1", "sentence2", "score"] if pairs else ["text", "score"])
        for i in range(rows):
            happy = i % 4
            words = (
                rng.sample(FILLER, 3)
                + rng.sample(POSITIVE, happy)
                + rng.sample(NEGATIVE, 3 - happy)
            )
            rng.shuffle(words)
            score = round(happy + rng.uniform(-0.2, 0.2), 3)
            if pairs:
                half = len(words) // 2
                writer.writerow([" ".join(words[:half]), " ".join(words[half:]), score])
            else:
                writer.writerow([" ".join(words), score])
    return path
