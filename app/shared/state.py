"""What the handlers share: the store, one Predictor, the data folder and small caches."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.i18n import check_lang, text
from app.server.limits import Limits
from core.cache import ByteLRU
from core.config import DEFAULT_METHOD, DEFAULT_MODEL
from core.data.files import DATASET_EXTENSIONS, conll_only, not_conll
from core.data.splits import SPLIT_STEMS
from core.errors import InputError
from core.messages import say
from storage.store import Store

DEMO_DATA = Path(__file__).resolve().parents[1] / "demo_data" / "reviews.csv"
MAX_SCAN_DEPTH = 3
SPLIT_NAMES = {stem for stems in SPLIT_STEMS.values() for stem in stems}
CACHE_BYTES = 192 * 2**20
"""What the app keeps between clicks (previewed tables, loaded datasets, the model the Train
tab counts parameters on) at most, in bytes; the least recently used goes first."""


@dataclass
class AppState:
    """Shared by every handler and every browser session of one app."""

    store: Store
    data_dir: Path | None = None
    lang: str = "en"
    default_model: str = DEFAULT_MODEL
    default_method: str = DEFAULT_METHOD
    limits: Limits = field(default_factory=Limits)
    cache: ByteLRU = field(default_factory=lambda: ByteLRU(CACHE_BYTES))
    lock: threading.Lock = field(default_factory=threading.Lock)
    _predictor: Any = None
    queue_server: Any = None  # the thread starting waiting runs (app.shared.run_queue.serve_queue)

    @property
    def upload_dir(self) -> Path:
        return self.store.home / "uploads"

    def predictor(self) -> Any:
        """The app's one Predictor: adapters on the same base share its weights."""
        with self.lock:
            if self._predictor is None:
                from core.analysis.predict import Predictor

                self._predictor = Predictor()
            return self._predictor

    def text(self, key: str, **values: Any) -> str:
        return text(key, self.lang, **values)

    def translate(self, message: object) -> str:
        """An engine message (or an error read back from the database) in the app's language."""
        from app.i18n.engine import translate

        return translate(message, self.lang)


def check_text_length(state: AppState, sentence: str, lang: str | None = None) -> None:
    """ValueError, in ``lang`` (default the app's), when ``sentence`` is longer than the app's
    ``--max-text-chars``: a model reads a few hundred words at most, and a huge text only ties
    up the server."""
    cap = state.limits.max_text_chars
    if len(sentence) > cap:
        message = text("text_too_long", lang or state.lang, length=f"{len(sentence):,}",
                       limit=f"{cap:,}")  # fmt: skip
        raise InputError(message)


def create_state(
    db: str | Path | None = None,
    data_dir: str | Path | None = None,
    lang: str = "en",
    limits: Limits | None = None,
) -> AppState:
    """Open the store (default path when ``db`` is None) and check the data folder."""
    folder = Path(data_dir).expanduser().resolve() if data_dir else None
    if folder is not None and not folder.is_dir():
        raise InputError(say("the data folder {folder} does not exist", folder=folder))
    return AppState(
        store=Store(db), data_dir=folder, lang=check_lang(lang), limits=limits or Limits()
    )


# ----------------------------------------------------------------------------- datasets
def _is_dataset_folder(folder: Path) -> bool:
    return any(
        p.is_file() and p.stem.lower() == "train" and p.suffix.lower() in DATASET_EXTENSIONS
        for p in folder.iterdir()
    )


def _is_dataset_file(path: Path) -> bool:
    """A table, or a file named like a CoNLL file whose lines are tagged words (a stray
    ``notes.txt`` is no dataset)."""
    if path.suffix.lower() not in DATASET_EXTENSIONS or path.stem.lower() in SPLIT_NAMES:
        return False
    return not conll_only(path) or not_conll(path) is None


def _scan(folder: Path, depth: int) -> list[Path]:
    """Dataset folders (with a train file) and standalone data files under ``folder``."""
    found: list[Path] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return found
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if _is_dataset_folder(entry):
                found.append(entry)
            elif depth > 1:
                found += _scan(entry, depth - 1)
        elif _is_dataset_file(entry):
            found.append(entry)
    return found


def find_datasets(data_dir: Path | None) -> list[tuple[str, str]]:
    """(label, path) of every dataset under ``data_dir``; the label is the relative path."""
    if data_dir is None:
        return []
    if _is_dataset_folder(data_dir):
        return [(data_dir.name, str(data_dir))]
    return [(str(p.relative_to(data_dir)), str(p)) for p in _scan(data_dir, MAX_SCAN_DEPTH)]


def uploaded_datasets(state: AppState) -> list[tuple[str, str]]:
    folder = state.upload_dir
    if not folder.is_dir():
        return []
    prefix = state.text("uploaded")
    return [
        (f"{prefix}: {p.name}", str(p))
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix.lower() in DATASET_EXTENSIONS
    ]


def dataset_choices(state: AppState) -> list[tuple[str, str]]:
    """Every dataset the picker offers: the demo, the data folder's, the uploaded ones."""
    demo = [(state.text("demo_dataset"), str(DEMO_DATA))]
    return demo + find_datasets(state.data_dir) + uploaded_datasets(state)


def save_upload(state: AppState, temp_path: str | Path) -> str:
    """Copy an uploaded file into the store's home so it stays listed; its new path.

    Gradio already refuses uploads over the cap (``max_file_size``); checking again here keeps
    the cap when the file came another way, e.g. an app launched without :mod:`app.server.serving`.
    A file named like a CoNLL file only (``.txt``, ``.conll``, ...) is kept only when its lines
    are words with their tags.
    """
    source = Path(temp_path)
    if source.suffix.lower() not in DATASET_EXTENSIONS:
        raise InputError(
            say("'{name}' is not a supported dataset file; use one of {kinds}",
                name=source.name, kinds=", ".join(DATASET_EXTENSIONS))
        )  # fmt: skip
    size, cap = source.stat().st_size, state.limits.max_upload_bytes
    if size > cap:
        raise InputError(
            say("'{name}' is {size:,} bytes; uploads may be at most {mb:,} MB ({cap:,} bytes). "
                "Upload a smaller file, or start the app with a larger --max-upload-mb",
                name=source.name, size=size, mb=state.limits.max_upload_mb, cap=cap)
        )  # fmt: skip
    refusal = not_conll(source)
    if refusal is not None:
        raise InputError(refusal)
    state.upload_dir.mkdir(parents=True, exist_ok=True)
    target = state.upload_dir / source.name
    shutil.copyfile(source, target)
    return str(target)
