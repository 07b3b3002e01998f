"""Prediction requests combined: one worker thread, one forward pass per adapter for every request
that arrived together.

Try it and ``/predict`` handle each request in its own server thread. Run as they come, ten
clients meant ten forward passes at once on a few cores, each asking for every core: the passes
slowed each other and a training run beside them. Here every request goes to one queue; the
worker takes the first, waits ``window`` seconds for others, and runs the texts of all of them
for one adapter as one batch, then hands each caller its own rows. One pass at a time also keeps
a model's forward hooks (mean pooling remembers the batch's attention mask) to one batch.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

RunFn = Callable[[str, list[str]], Sequence[Any]]
"""Runs one adapter (by key) on texts; one result per text, in order."""


@dataclass
class Request:
    """One caller's texts for each of its adapters; the future gets {key: rows}."""

    keys: list[str]
    texts: list[str]
    future: Future = field(default_factory=Future)


class Batcher:
    """Runs :class:`Request` s on one worker thread, combining those that arrive together.

    ``run(key, texts)`` computes one adapter's results. ``window``: seconds the worker waits
    for more requests after the first, or a function giving them batch by batch. ``max_rows``
    caps the texts a combined batch gathers; a single larger request still runs whole.
    """

    def __init__(
        self,
        run: RunFn,
        window: float | Callable[[], float] = 0.003,
        max_rows: int = 256,
        name: str = "ptune-predict",
    ) -> None:
        self.run = run
        self.window = window
        self.max_rows = max_rows
        self.batches = 0  # combined batches run, for tests and benchmarks
        self.name = name
        self._queue: queue.Queue[Request | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, keys: Sequence[str], texts: Sequence[str]) -> Future:
        """Queue ``texts`` for each adapter of ``keys``; the future's result is {key: rows}."""
        request = Request(list(keys), list(texts))
        with self._start_lock:  # queued before any close() can stop the worker
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
                self._thread.start()
            self._queue.put(request)
        return request.future

    def __call__(self, keys: Sequence[str], texts: Sequence[str]) -> dict[str, list[Any]]:
        """Submit and wait: {key: one result per text}; an adapter's error is raised here."""
        return self.submit(keys, texts).result()

    def close(self) -> None:
        """Stop the worker once the queued requests are done (a later submit starts another)."""
        with self._start_lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join()
                self._thread = None

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            pending, closing = self._gather(first)
            try:
                self._run_batch(pending)
            except BaseException as exc:  # noqa: BLE001 - no caller may wait forever
                for request in pending:
                    if not request.future.done():
                        request.future.set_exception(exc)
            self.batches += 1
            if closing:
                return

    def _gather(self, first: Request) -> tuple[list[Request], bool]:
        """``first`` and the requests arriving within the window (up to ``max_rows`` texts)."""
        pending, rows = [first], len(first.texts)
        window = self.window() if callable(self.window) else self.window
        deadline = time.monotonic() + window
        while rows < self.max_rows:
            try:
                request = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if request is None:
                return pending, True
            pending.append(request)
            rows += len(request.texts)
        return pending, False

    def _run_batch(self, pending: list[Request]) -> None:
        results: list[dict[str, list[Any]]] = [{} for _ in pending]
        failed: dict[int, BaseException] = {}
        for key in dict.fromkeys(k for request in pending for k in request.keys):
            asking = [i for i, r in enumerate(pending) if key in r.keys and i not in failed]
            texts = [text for i in asking for text in pending[i].texts]
            try:
                rows = list(self.run(key, texts))
            except BaseException as exc:  # noqa: BLE001 - goes to the callers that asked
                failed.update(dict.fromkeys(asking, exc))
                continue
            start = 0
            for i in asking:
                results[i][key] = rows[start : start + len(pending[i].texts)]
                start += len(pending[i].texts)
        for i, request in enumerate(pending):
            if i in failed:
                request.future.set_exception(failed[i])
            else:
                request.future.set_result(results[i])
