"""The app's run queue: a run started while the device is busy waits its turn.

Start (Train tab, HTTP ``/train``) and Resume (Monitor tab, HTTP ``/resume``) go through
:func:`submit_run` and :func:`submit_resume`: the run starts at once when the device is free and
nobody is waiting, else it is recorded ``waiting`` at the end of the queue. One
:class:`QueueServer` thread per app starts the first waiting run whenever the device frees
(after a run, or after a sweep: a sweep holds the device until its last point ends). The queue
lives in the database, so runs still waiting when the app stops start when it comes back.

Cancel takes a waiting run out of the queue: a new run's record is deleted (it trained nothing),
a queued resume goes back to how it was. No Gradio here: tabs and the HTTP API share it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, cast

from app.shared.state import AppState
from core import runs
from core.config import TrainConfig
from core.errors import BusyError, RunStateError
from core.training import jobs
from core.training.events import Event, RunEnded
from storage.errors import StorageError

POLL_SECONDS = 1.0
"""How often the queue looks for a free device (a run's end also wakes it at once)."""
QUEUE_FIELDS = ("id", "name", "method", "position", "resume", "created_at")

log = logging.getLogger(__name__)


def submit_run(state: AppState, config: TrainConfig) -> tuple[int, int | None]:
    """Start a checked run now, or queue it when the device is busy or runs are waiting.

    (run id, position in the queue: None when it started at once).
    """
    if not state.store.waiting_runs():
        try:
            handle = runs.start(state.store, config, _wake_on_end(state))
            return cast(int, handle.run_id), None  # a started run is always recorded
        except BusyError:
            pass  # a run or a sweep holds the device: wait behind it
    run_id = runs.enqueue(state.store, config)
    wake(state)
    return run_id, position(state, run_id)


def submit_resume(state: AppState, run_id: int) -> int | None:
    """Continue a stopped, interrupted or failed run now, or queue it to continue when the
    device frees; its position in the queue (None when it resumed at once)."""
    if not state.store.waiting_runs():
        try:
            runs.resume(state.store, run_id, _wake_on_end(state))
            return None
        except BusyError:
            pass
    runs.enqueue_resume(state.store, run_id)
    wake(state)
    return position(state, run_id)


def position(state: AppState, run_id: int) -> int | None:
    """The run's place in the queue (1 starts next), None when it is not waiting."""
    return next((r["position"] for r in state.store.waiting_runs() if r["id"] == run_id), None)


def waiting(state: AppState) -> list[dict[str, Any]]:
    """The waiting runs in the order they start: {id, name, method, position, resume, ...}."""
    return [{key: run[key] for key in QUEUE_FIELDS} for run in state.store.waiting_runs()]


def cancel(state: AppState, run_id: int) -> str:
    """Take a waiting run out of the queue; what happened, in the app's language."""
    run = state.store.get_run(run_id)  # RunNotFoundError names an unknown id
    if run["status"] in ("queued", "running"):
        raise RunStateError(state.text("cancel_running", run_id=run_id))
    if run["status"] != "waiting":
        raise RunStateError(
            state.text("not_waiting", run_id=run_id, status=state.translate(run["status"]))
        )
    if state.store.cancel_waiting(run_id):
        return state.text("cancelled_new", run_id=run_id, name=run["name"])
    status = state.store.get_run(run_id)["status"]
    return state.text("cancelled_resume", run_id=run_id, name=run["name"], status=status)


def move_up(state: AppState, run_id: int) -> str:
    """Move a waiting run one place towards the front; what happened."""
    run = state.store.get_run(run_id)
    if run["status"] != "waiting":
        raise RunStateError(
            state.text("not_waiting", run_id=run_id, status=state.translate(run["status"]))
        )
    return state.text("moved_up", run_id=run_id, position=state.store.move_up(run_id))


# ----------------------------------------------------------------------------- serving
def serve_next(state: AppState) -> int | None:
    """Start the first waiting run if the device is free; its id, else None."""
    if jobs.current() is not None:
        return None
    return runs.start_next(state.store, _wake_on_end(state))


def wake(state: AppState) -> None:
    """Have the app's queue look for a free device now rather than at its next poll."""
    server = state.queue_server
    if server is not None:
        server.wake.set()


def _wake_on_end(state: AppState) -> Any:
    def on_event(event: Event) -> None:
        if isinstance(event, RunEnded):
            wake(state)

    return on_event


class QueueServer:
    """The thread that starts waiting runs one after another, for one app's store."""

    def __init__(self, state: AppState, poll: float = POLL_SECONDS) -> None:
        self.state = state
        self.poll = poll
        self.wake = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="ptune-queue", daemon=True)

    def _loop(self) -> None:
        while not self.stopped.is_set() and not self.state.store.closed:
            try:
                serve_next(self.state)
            except StorageError as exc:
                log.warning("the run queue could not start the next run: %s", exc)
            except Exception as exc:  # recorded on the run (failed, with the reason)
                log.warning("a waiting run could not start: %s", exc)
            self.wake.wait(self.poll)
            self.wake.clear()

    def stop(self) -> None:
        self.stopped.set()
        self.wake.set()


def serve_queue(state: AppState, poll: float = POLL_SECONDS) -> QueueServer:
    """Start the app's queue thread (once per state); it starts runs left waiting at once."""
    if state.queue_server is None:
        state.queue_server = QueueServer(state, poll)
        state.queue_server.thread.start()
    return state.queue_server
