"""Memory and load of the served app: its RSS idle, while and after training on a large CSV,
Try it's latency, and /predict under many clients while a LoRA run trains.

    python bench/load.py                        # 60 MB CSV, 10 clients x 20 calls
    python bench/load.py --quick --out /tmp/load.json
    python bench/load.py --app-root ../other-checkout   # the same measures of another checkout

The app runs in its own process (``launch.py`` on a free port, with a temporary database and
``PTUNE_HOME``), so its resident memory is measured alone, sampled every 50 ms by a thread.
Everything it trains on is generated into a temporary folder (its ``--data-dir``) and removed at
the end.

1. Five short runs on all-MiniLM-L6-v2 (five methods), so that Try it has adapters; then the
   idle RSS with them loaded.
2. Try it: ``/predict`` of one sentence with one run, then with all five (p50 and p95).
3. A LoRA run of ``--big-steps`` steps on a generated ``--csv-mb`` MB CSV (with one
   ``--long-row-mb`` MB row): the peak RSS while it runs and the RSS once it has ended.
4. Load: a LoRA run trains while ``--clients`` clients each send ``--calls`` ``/predict`` calls
   one after another. Training's samples/s come from the run's recorded metrics: in a window
   with no clients before and after, and in the window with the clients.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):  # run as a file: python bench/load.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("tryit", "memory", "load")
LOAD_METHOD = "lora"
"""The method trained while clients predict (a LoRA run, as in the figures reported)."""
TRYIT_RUNS = 5
"""Runs Try it judges with at once: the first methods of the registry that keep the base."""
POSITIVE = ["good", "great", "fine", "lovely", "superb", "happy", "wonderful", "nice"]
NEGATIVE = ["bad", "awful", "poor", "terrible", "boring", "sad", "horrible", "ugly"]
FILLER = ["the", "film", "was", "a", "plot", "and", "it", "story", "really", "quite", "this",
          "actor", "scene", "music", "of", "in", "with", "but", "not", "very"]  # fmt: skip
SENTENCES = [
    "A gripping, beautifully acted film that never lets go.",
    "The plot was dull and the ending made no sense at all.",
    "Not bad, though the music carried most of the scenes.",
    "I would happily watch this again with friends.",
]
MB = 2**20


# ----------------------------------------------------------------------------- data
def write_csv(path: Path, target_bytes: int, words: tuple[int, int], long_row_bytes: int = 0):
    """A labelled CSV of about ``target_bytes``: rows of ``words`` words whose two sentiment
    words decide the label, and one row of ``long_row_bytes`` characters when asked."""
    rng = random.Random(0)
    written = 0
    with path.open("w", encoding="utf-8") as f:
        f.write("text,label\n")
        if long_row_bytes:
            long_text = " ".join(rng.choice(FILLER) for _ in range(long_row_bytes // 4))
            f.write(f"{long_text[:long_row_bytes]} good,positive\n")
        i = 0
        while written < target_bytes:
            label = i % 2
            row = [rng.choice(FILLER) for _ in range(rng.randint(*words) - 2)]
            row += rng.sample(POSITIVE if label else NEGATIVE, 2)
            rng.shuffle(row)
            line = f"{' '.join(row)},{'positive' if label else 'negative'}\n"
            f.write(line)
            written += len(line)
            i += 1
    return path


# ----------------------------------------------------------------------------- the server
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Api:
    """One connection calling the app's named endpoints over Gradio's plain HTTP API: POST
    ``/call/NAME`` queues the call, GET ``/call/NAME/EVENT`` streams its result.

    gradio_client is not used: it polls for results every 50 ms, which would add up to 50 ms
    to every figure measured here, while a browser is told at once. Like gradio_client and a
    browser page, each connection is one session of the app.
    """

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=900)
        self.session = uuid.uuid4().hex

    def __call__(self, name: str, *data: Any) -> Any:
        body = {"data": list(data), "session_hash": self.session}
        reply = self.http.post(f"call/{name}", json=body)
        reply.raise_for_status()
        event, kind = reply.json()["event_id"], None
        with self.http.stream("GET", f"call/{name}/{event}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: ") and kind in ("complete", "error"):
                    payload = json.loads(line.removeprefix("data: "))
                    if kind == "error":
                        raise RuntimeError(f"/{name} failed: {payload}")
                    return payload[0]
        raise RuntimeError(f"/{name} ended without a result")


class Server:
    """``launch.py`` of ``root`` in a subprocess, and a thread sampling its RSS."""

    def __init__(self, root: Path, home: Path, data: Path) -> None:
        import psutil

        home.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.db = home / "studio.db"
        self.log = (home / "server.log").open("w", encoding="utf-8")
        env = {**os.environ, "PTUNE_HOME": str(home), "HF_HUB_OFFLINE": "1",
               "GRADIO_ANALYTICS_ENABLED": "False"}  # fmt: skip
        command = [sys.executable, "launch.py", "--port", str(self.port), "--db", str(self.db),
                   "--data-dir", str(data)]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.proc = psutil.Process(self.process.pid)
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop.is_set() and self.process.poll() is None:
            try:
                self.samples.append((time.monotonic(), self.proc.memory_info().rss))
            except Exception:  # noqa: BLE001 - the process may end between two samples
                return
            time.sleep(0.05)

    def rss(self, since: float, until: float | None = None) -> list[int]:
        until = until or time.monotonic()
        return [rss for at, rss in self.samples if since <= at <= until]

    def settled_rss(self, seconds: float) -> float:
        """Median RSS (MiB) over ``seconds`` of doing nothing."""
        start = time.monotonic()
        time.sleep(seconds)
        return statistics.median(self.rss(start)) / MB

    def client(self, timeout: float = 180.0) -> Api:
        """A connection to the app, once it answers."""
        api = Api(f"http://127.0.0.1:{self.port}/gradio_api/")
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited; see {self.log.name}")
            try:
                api("runs")
                return api
            except httpx.TransportError:  # not listening yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def close(self) -> None:
        self._stop.set()
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# ----------------------------------------------------------------------------- runs
def wait_run(client: Api, run_id: int, until: Callable[[dict], bool], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = next(r for r in client("runs") if r["id"] == run_id)
        if until(run):
            return run
        time.sleep(0.5)
    raise RuntimeError(f"run #{run_id} did not get there within {timeout:.0f} s")


def ended(run: dict) -> bool:
    return run["status"] not in ("queued", "running")


def train(client: Api, timeout: float, **config: Any) -> dict:
    run_id = client("train", config)
    run = wait_run(client, run_id, ended, timeout)
    if run["status"] != "succeeded":
        raise RuntimeError(f"run #{run_id} ({config['method']}) {run['status']}: {run['error']}")
    return run


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"p50_ms": float("nan"), "p95_ms": float("nan")}
    return {"p50_ms": statistics.median(ordered),
            "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]}  # fmt: skip


def timed_predict(client: Api, text: str, run_ids: list[int]) -> float:
    started = time.perf_counter()
    client("predict", text, run_ids)
    return (time.perf_counter() - started) * 1000


# ----------------------------------------------------------------------------- phases
def tryit_latency(client: Api, run_ids: list[int], calls: int) -> dict[str, float]:
    for text in SENTENCES[:2]:  # warm: adapters loaded, first-call costs paid
        timed_predict(client, text, run_ids)
    times = [timed_predict(client, SENTENCES[i % len(SENTENCES)], run_ids) for i in range(calls)]
    return {"runs": len(run_ids), "calls": calls, **percentiles(times)}


def big_csv(args: argparse.Namespace, server: Server, client: Api, folder: Path) -> dict:
    path = write_csv(folder / "big.csv", int(args.csv_mb * MB), (40, 90),
                     int(args.long_row_mb * MB))  # fmt: skip
    size = path.stat().st_size / MB
    print(f"training on a {size:.0f} MB CSV ({args.big_steps} steps)...", flush=True)
    start = time.monotonic()
    train(client, 1800, data=str(path), method=args.method, max_steps=args.big_steps, batch_size=16,
          validation_fraction=0.01, eval_every=args.big_steps)  # fmt: skip
    peak = max(server.rss(start)) / MB
    return {"csv_mb": round(size, 1), "steps": args.big_steps, "peak_rss_mb": round(peak),
            "after_rss_mb": round(server.settled_rss(args.settle))}  # fmt: skip


def train_rate(db: Path, run_id: int, batch_size: int, start: float, end: float) -> float | None:
    """Training samples/s between the wall-clock times ``start`` and ``end``, from the run's
    recorded train rows (each logged step carries the time it was recorded)."""
    from storage.store import Store

    with Store(db) as store:
        rows = store.read_metrics(run_id, split="train")
    points = sorted({(r["time"], r["step"]) for r in rows if r["name"] == "progress"})
    inside = [(t, s) for t, s in points if start <= t <= end]
    if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
        return None
    (t0, s0), (t1, s1) = inside[0], inside[-1]
    return (s1 - s0) * batch_size / (t1 - t0)


def client_load(server: Server, run_ids: list[int], clients: int, calls: int) -> dict:
    """``clients`` threads, each its own connection, sending ``calls`` /predict one by one."""
    connections = [server.client() for _ in range(clients)]
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        for i in range(calls):
            try:
                took = timed_predict(connections[index], SENTENCES[(index + i) % 4], run_ids)
                with lock:
                    times.append(took)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(str(exc)[:200])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"start": started, "end": time.time(), "calls": len(times), "errors": len(errors),
            "error_examples": errors[:3], **percentiles(times)}  # fmt: skip


def load(args: argparse.Namespace, server: Server, client: Api, folder: Path, run_ids: list[int]):
    path = write_csv(folder / "load.csv", 3 * MB, (8, 25))
    batch = 32
    run_id = client(
        "train",
        {"data": str(path), "method": args.method, "max_steps": 1_000_000, "batch_size": batch,
         "eval_every": 1_000_000, "log_every": 1, "time_budget_minutes": 120,
         "validation_fraction": 0.02},
    )  # fmt: skip
    try:
        wait_run(client, run_id, lambda run: run["status"] == "running", 300)
        time.sleep(args.window / 2)  # past setup and the first steps
        windows = {}
        start = time.time()
        time.sleep(args.window)
        windows["before"] = train_rate(server.db, run_id, batch, start, time.time())
        result = client_load(server, run_ids, args.clients, args.calls)
        windows["with_clients"] = train_rate(server.db, run_id, batch, result.pop("start"),
                                             result.pop("end"))  # fmt: skip
        start = time.time()
        time.sleep(args.window)
        windows["after"] = train_rate(server.db, run_id, batch, start, time.time())
    finally:
        client("stop")
        wait_run(client, run_id, ended, 600)
    alone = [v for v in (windows["before"], windows["after"]) if v]
    slowdown = None
    if alone and windows["with_clients"]:
        slowdown = 1 - windows["with_clients"] / statistics.mean(alone)
    rates = {f"samples_per_second_{k}": v and round(v, 1) for k, v in windows.items()}
    return {"clients": args.clients, "calls_per_client": args.calls, "runs_per_call": len(run_ids),
            **result, **rates, "slowdown": slowdown and round(slowdown, 3)}  # fmt: skip


# ----------------------------------------------------------------------------- main
def environment(root: Path) -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    load_average = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cpu": platform.processor() or platform.machine(), "logical_cores": os.cpu_count(),
            "python": platform.python_version(), "app_root": str(root), "commit": commit,
            "load_average_at_start": load_average,
            "when": time.strftime("%Y-%m-%d %H:%M", time.localtime())}  # fmt: skip


def tryit_methods() -> list[str]:
    """The registry's first methods that train beside a shared base (Try it loads that base
    once for all of them)."""
    from core.methods import METHODS

    return [name for name, m in METHODS.items() if not m.whole_model][:TRYIT_RUNS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="a short trial: 6 MB CSV, 4 clients x 5 calls")
    add("--csv-mb", type=float, default=60.0, help="size of the generated training CSV (MB)")
    add("--long-row-mb", type=float, default=1.0, help="one row this long in the CSV; 0: none")
    add("--big-steps", type=int, default=30, help="training steps on the large CSV")
    add("--clients", type=int, default=10, help="clients sending /predict during training")
    add("--calls", type=int, default=20, help="/predict calls per client, one after another")
    add("--tryit-calls", type=int, default=30, help="timed Try it calls per case")
    add("--window", type=float, default=20.0, help="seconds of training measured without clients")
    add("--settle", type=float, default=5.0, help="seconds of idling before RSS is read")
    add("--parts", default=",".join(PARTS), help="what to measure beside idle RSS: %(default)s")
    add("--method", default=LOAD_METHOD, help="method of the runs trained under load")
    add("--app-root", type=Path, default=ROOT, help="checkout whose launch.py is served")
    add("--out", type=Path, help="write every figure here as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    if parts - set(PARTS):
        parser.error(f"--parts: choose among {', '.join(PARTS)}")
    if args.quick:
        args.csv_mb, args.clients, args.calls = min(args.csv_mb, 6.0), 4, 5
        args.tryit_calls, args.window, args.settle = 10, 6.0, 3.0
    report: dict[str, Any] = {"environment": environment(args.app_root.resolve()),
                              "settings": {k: str(v) for k, v in vars(args).items()}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ptune-load-") as tmp:
        folder = Path(tmp) / "data"  # the app reads datasets only from its data folder
        folder.mkdir()
        server = Server(args.app_root.resolve(), Path(tmp) / "home", folder)
        try:
            client = server.client()
            report["rss_started_mb"] = round(server.settled_rss(args.settle))
            small = write_csv(folder / "small.csv", 60_000, (10, 30))
            print("training the Try it runs...", flush=True)
            runs = [train(client, 600, data=str(small), method=m, max_steps=2, batch_size=8)["id"]
                    for m in tryit_methods()]  # fmt: skip
            timed_predict(client, SENTENCES[0], runs)  # every adapter and MiniLM loaded
            report["rss_idle_mb"] = round(server.settled_rss(args.settle))
            print(f"RSS idle with MiniLM and {len(runs)} adapters: {report['rss_idle_mb']} MiB")
            if "tryit" in parts:
                report["try_it"] = [tryit_latency(client, runs[:n], args.tryit_calls)
                                    for n in (1, len(runs))]  # fmt: skip
                for row in report["try_it"]:
                    print(f"Try it, {row['runs']} run(s): p50 {row['p50_ms']:.0f} ms, "
                          f"p95 {row['p95_ms']:.0f} ms", flush=True)  # fmt: skip
            if "memory" in parts:
                report["big_csv"] = big_csv(args, server, client, folder)
                print(f"large CSV: {json.dumps(report['big_csv'])}", flush=True)
            if "load" in parts:
                report["load"] = load(args, server, client, folder, runs[:1])
                print(f"load: {json.dumps(report['load'])}", flush=True)
            report["rss_end_mb"] = round(server.settled_rss(args.settle))
            print(f"RSS at the end: {report['rss_end_mb']} MiB")
        finally:
            server.close()
    if args.out:
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
