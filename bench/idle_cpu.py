"""Idle CPU of the served app with one browser page open: what its timers cost while nobody
does anything.

    python bench/idle_cpu.py                          # this checkout, the page on its first tab
    python bench/idle_cpu.py --tab Monitor            # the page switched to the Monitor tab
    python bench/idle_cpu.py --visit all --tab Train  # every tab opened once, then back to Train
    python bench/idle_cpu.py --app-root /work/main    # the same measure of another checkout
    python bench/idle_cpu.py --settle 20 --seconds 60 --out /tmp/idle.json

The app runs in its own process (``launch.py --db <tmp>/studio.db --port N``, ``PTUNE_HOME`` a
temporary folder) on the built-in demo dataset, with ``--runs`` finished runs recorded in its
database (records only, nothing trains) so that its run lists and tables have rows. Headless
Chromium (``/usr/bin/chromium``, driven by Playwright as tests/e2e/test_browser.py does) opens
one page on it, clicks each tab of ``--visit`` (Gradio mounts a tab's components, timers
included, only once it was shown: a page a person has used has them all), then ``--tab`` if
given, and waits ``--settle`` seconds; then the server's CPU
seconds (user + system, with any child processes, read with psutil) are read before and after
``--seconds`` of idle time. It prints, and with ``--out`` writes, a JSON report: the CPU used as a
percentage of one core, the ``gr.Timer`` components on the page and the events the page sent
while idle.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("PTUNE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
START_SECONDS = 180
SEED = """
import sys
from storage.store import Store

store = Store(sys.argv[1])
for i in range(int(sys.argv[2])):
    run_id = store.create_run(name=f"idle {i + 1}", method="head_only", base_model="m",
                              dataset="reviews.csv", config={"method": "head_only"})
    store.start_run(run_id)
    store.finish_run(run_id, "succeeded", metrics={"eval_accuracy": 0.8, "eval_f1": 0.79})
store.close()
"""
"""Recorded finished runs, written with the measured checkout's own storage layer."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def commit_of(root: Path) -> str:
    done = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout.strip() or "?"


def start_app(root: Path, home: Path, port: int, runs: int) -> subprocess.Popen:
    """``launch.py`` of ``root`` on ``port`` over a fresh database holding ``runs`` runs."""
    env = {**os.environ, "PTUNE_HOME": str(home), "PYTHONPATH": str(root)}
    db = home / "studio.db"
    subprocess.run([sys.executable, "-c", SEED, str(db), str(runs)], cwd=root, env=env,
                   check=True)  # fmt: skip
    command = [sys.executable, "launch.py", "--db", str(db), "--port", str(port)]
    log = (home / "app.log").open("w")
    return subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(url: str, app: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if app.poll() is not None:
            raise SystemExit(f"the app ended while starting (exit {app.returncode})")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the app did not answer at {url} within {START_SECONDS} s")


def cpu_seconds(process: psutil.Process) -> float:
    """User and system CPU seconds of ``process`` and its living children."""
    total = 0.0
    for proc in [process, *process.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def page_timers(url: str) -> int:
    """How many ``gr.Timer`` components the page has (from its configuration)."""
    config = httpx.get(url + "config", timeout=10).json()
    return sum(1 for c in config.get("components", []) if c.get("type") == "timer")


def visits(page: Any, visit: str) -> list[str]:
    """The tab names ``--visit`` asks for: ``all`` (each tab of the page, in order) or a
    comma-separated list."""
    if visit == "all":
        return [name.strip() for name in page.get_by_role("tab").all_inner_texts()]
    return [name.strip() for name in visit.split(",") if name.strip()]


def measure(url: str, app: subprocess.Popen, args: argparse.Namespace) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    server = psutil.Process(app.pid)
    events: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: events.append(time.monotonic())
                    if "/queue/join" in r.url else None)  # fmt: skip
            page.goto(url)
            page.wait_for_selector("#tabs")
            for name in visits(page, args.visit):
                page.get_by_role("tab", name=name).click()
                page.wait_for_timeout(1000)
            if args.tab:
                page.get_by_role("tab", name=args.tab).click()
            page.wait_for_timeout(args.settle * 1000)
            start, before = time.monotonic(), cpu_seconds(server)
            page.wait_for_timeout(args.seconds * 1000)
            used, wall = cpu_seconds(server) - before, time.monotonic() - start
        finally:
            browser.close()
    sent = sum(1 for t in events if start <= t <= start + wall)
    return {
        "cpu_seconds": round(used, 3),
        "wall_seconds": round(wall, 2),
        "cpu_percent_of_one_core": round(100 * used / wall, 2),
        "events_sent_while_idle": sent,
        "events_per_minute": round(60 * sent / wall, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-root", type=Path, default=ROOT, help="checkout to measure")
    parser.add_argument("--tab", default="", help="tab to click before idling (default: none)")
    parser.add_argument("--visit", default="", help="tabs to open first: 'all' or 'A,B'")
    parser.add_argument("--settle", type=float, default=20, help="seconds before measuring")
    parser.add_argument("--seconds", type=float, default=60, help="seconds measured")
    parser.add_argument("--runs", type=int, default=3, help="finished runs in the database")
    parser.add_argument("--out", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    root = args.app_root.resolve()
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory(prefix="ptune-idle-") as folder:
        app = start_app(root, Path(folder), port, args.runs)
        try:
            wait_ready(url, app)
            report = {"app_root": str(root), "commit": commit_of(root),
                      "visited": args.visit or None, "tab": args.tab or None, "runs": args.runs,
                      "settle_seconds": args.settle, "timers_on_page": page_timers(url),
                      **measure(url, app, args)}  # fmt: skip
        finally:
            app.terminate()
            try:
                app.wait(20)
            except subprocess.TimeoutExpired:
                app.kill()
    report["command"] = " ".join(["python", "bench/idle_cpu.py", *(argv or sys.argv[1:])])
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
