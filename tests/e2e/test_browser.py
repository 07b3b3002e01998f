"""One end-to-end run in headless Chromium: train on the Train tab, watch the Monitor curve,
classify a sentence on Try it and ask why, compare the run on Compare, see where it goes wrong
on Monitor, open Sweep, draw a small learning curve on Few-shot; with a screenshot of each tab
(kept in docs/screenshots/ when PTUNE_SCREENSHOTS=1).

Needs the ``playwright`` Python package and Debian's ``chromium`` (no Playwright browser
download). Skipped when either is missing, except on CI (``CI=true``), where that fails.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import free_port

CHROMIUM = os.environ.get("PTUNE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
"""Where the pictures go with PTUNE_SCREENSHOTS=1 (to refresh the docs); else a temp folder."""
RUN_TIMEOUT_MS = 120_000
UI_TIMEOUT_MS = 30_000

pytestmark = pytest.mark.e2e


@pytest.fixture()
def sync_api():
    """Playwright's sync API, or a skip (a failure on CI) naming what is missing."""
    missing = []
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
        missing.append("the playwright package (pip install playwright)")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        missing.append(f"chromium at {CHROMIUM} (apt-get install -y chromium)")
    if missing:
        reason = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return sync_api


@pytest.fixture()
def app_url(sync_api, tmp_path, tmp_path_factory):
    from app import create_app, launch_options

    # The session's temporary folder is the data folder: the tiny model lives there.
    demo = create_app(db=tmp_path / "studio.db", data_dir=tmp_path_factory.getbasetemp())
    port = free_port()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
        **launch_options("en"),
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def fill(page, elem_id: str, value: str) -> None:
    page.locator(f"#{elem_id} textarea, #{elem_id} input").first.fill(value)


def screenshot(page, folder: Path, name: str) -> None:
    page.mouse.move(0, 0)  # no hover highlight in the picture
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / name), full_page=True)
    assert (folder / name).stat().st_size > 10_000


def plot_traces(page) -> int:
    return page.locator("#monitor-plot .js-plotly-plot .scatterlayer .trace").count()


@pytest.fixture()
def page(sync_api, app_url):
    """A Chromium page on the served app."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            opened = browser.new_page(viewport={"width": 1400, "height": 1000})
            opened.set_default_timeout(UI_TIMEOUT_MS)
            opened.goto(app_url)
            yield opened
        finally:
            browser.close()


def test_train_monitor_and_try_it_in_a_browser(page, tiny_model_dir, tmp_path):
    shots = DOCS_SCREENSHOTS if os.environ.get("PTUNE_SCREENSHOTS") == "1" else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    train_and_watch(page, str(tiny_model_dir), shots)
    try_it(page, shots)
    why(page)
    compare(page, shots)
    where_it_goes_wrong(page)
    page.get_by_role("tab", name="Sweep").click()
    page.locator("#sweep-start").wait_for()
    few_shot(page, str(tiny_model_dir), shots)


def train_and_watch(page, model_dir: str, shots: Path) -> None:
    page.wait_for_selector("#train-start")
    page.locator("#train-data-info").get_by_text("300 rows").wait_for()
    page.locator("#train-method").get_by_text("Head only", exact=True).click()
    fill(page, "train-name", "head-only demo")
    fill(page, "field-cfg-max-steps", "40")
    fill(page, "field-cfg-batch-size", "16")
    page.locator("#train-check").click()
    page.locator("#train-estimate").get_by_text("trainable parameters").wait_for()
    screenshot(page, shots, "train.png")

    fill(page, "train-model", model_dir)
    page.locator("#train-start").click()
    page.locator("#train-status").get_by_text("started").wait_for()
    page.get_by_role("tab", name="Monitor").click()
    page.wait_for_function(
        "() => document.querySelectorAll("
        "'#monitor-plot .js-plotly-plot .scatterlayer .trace').length > 0",
        timeout=RUN_TIMEOUT_MS,
    )
    assert plot_traces(page) > 0
    page.locator("#monitor-status").get_by_text("succeeded").wait_for(timeout=RUN_TIMEOUT_MS)
    page.locator("#monitor-progress").get_by_text("finished").wait_for()
    screenshot(page, shots, "monitor.png")


def try_it(page, shots: Path) -> None:
    page.get_by_role("tab", name="Try it").click()
    page.locator("#tryit-run").get_by_text("head-only demo").first.wait_for()
    fill(page, "tryit-text", "The staff were friendly and the room was spotless.")
    page.locator("#tryit-predict").click()
    page.wait_for_function(
        "() => { const t = document.querySelector('#tryit-result').innerText;"
        " return t.includes('head-only demo') && /\\b(positive|negative)\\b/.test(t); }"
    )
    page.locator("#tryit-chart .js-plotly-plot").wait_for()
    screenshot(page, shots, "tryit.png")


def why(page) -> None:
    page.get_by_text("Why? The words behind each prediction").click()
    page.locator("#tryit-why").click()
    page.wait_for_function(
        "() => { const t = document.querySelector('#tryit-why-out').innerText;"
        " return t.includes('head-only demo') && t.includes('spotless'); }"
    )


def compare(page, shots: Path) -> None:
    page.get_by_role("tab", name="Compare").click()
    page.locator("#compare-runs input").click()
    page.get_by_role("option", name="head-only demo").first.click()
    page.locator("#compare-show").click()
    page.wait_for_function(
        "() => document.querySelector('#compare-table').innerText.includes('head_only')"
    )
    page.locator("#compare-plot .js-plotly-plot").wait_for()
    screenshot(page, shots, "compare.png")


def where_it_goes_wrong(page) -> None:
    page.get_by_role("tab", name="Monitor").click()
    page.get_by_text("Where it goes wrong").click()
    page.locator("#monitor-diagnose-run input").click()
    page.get_by_role("option", name="head-only demo").first.click()
    page.locator("#monitor-diagnose-show").click()
    page.locator("#monitor-diagnose-summary").get_by_text("validation rows looked at").wait_for()
    page.locator("#monitor-confusion .js-plotly-plot .heatmaplayer").wait_for()
    page.locator("#monitor-per-class").get_by_text("positive").first.wait_for()
    page.wait_for_function(  # the mistakes, or the note that there are none
        "() => /positive|negative/.test(document.querySelector('#monitor-errors').innerText)"
        " || document.querySelector('#monitor-errors-note').innerText.includes('No mistakes')"
    )
    text_cell = page.locator('#monitor-errors [data-testid="cell-0-1"]')
    if text_cell.count():  # a run with mistakes: clicking one shows the words behind it
        text_cell.click()
        page.locator("#monitor-errors-why .ptune-why").wait_for()


def few_shot(page, model_dir: str, shots: Path) -> None:
    """A small learning curve: two sizes, one seed, the default methods."""
    page.get_by_role("tab", name="Few-shot").click()
    page.locator("#fewshot-plan").get_by_text("54 runs").wait_for()  # 3 methods x 6 sizes x 3 seeds
    fill(page, "fewshot-model", model_dir)
    fill(page, "fewshot-shots", "4,all")
    fill(page, "fewshot-seeds", "1")
    fill(page, "fewshot-steps", "3")
    page.locator("#fewshot-plan").get_by_text("6 runs").wait_for()
    page.locator("#fewshot-start").click()
    page.locator("#fewshot-status").get_by_text("succeeded").wait_for(timeout=RUN_TIMEOUT_MS)
    page.locator("#fewshot-plot .js-plotly-plot .scatterlayer .trace").first.wait_for()
    page.wait_for_function(
        "() => document.querySelector('#fewshot-runs').innerText.includes('succeeded')"
    )
    assert page.locator("#fewshot-plot .xtick").get_by_text("all").count() == 1
    screenshot(page, shots, "fewshot.png")


def test_queue_two_runs_and_resume_a_stopped_one_in_a_browser(page, tiny_model_dir):
    queue_two(page, str(tiny_model_dir))
    resume_stopped(page)


def start_run(page, name: str, steps: int, expect: str) -> None:
    """Start a run on the Train tab; Start opens the Monitor, then back to Train to read what
    Start said."""
    fill(page, "train-name", name)
    fill(page, "field-cfg-max-steps", str(steps))
    page.locator("#train-start").click()
    page.locator("#monitor-plot").wait_for(timeout=RUN_TIMEOUT_MS)
    page.get_by_role("tab", name="Train").click()
    page.locator("#train-status").get_by_text(expect).wait_for()


def queue_two(page, model_dir: str) -> None:
    page.wait_for_selector("#train-start")
    page.locator("#train-data-info").get_by_text("300 rows").wait_for()
    page.locator("#train-method").get_by_text("Head only", exact=True).click()
    fill(page, "train-model", model_dir)
    fill(page, "field-cfg-batch-size", "16")
    start_run(page, "long", 100_000, "long) started")
    start_run(page, "queued one", 20, "waits in the queue at position 1")
    start_run(page, "queued two", 20, "waits in the queue at position 2")
    page.get_by_role("tab", name="Monitor").click()
    page.wait_for_function(
        "() => { const t = document.querySelector('#monitor-queue').innerText;"
        " return t.includes('queued one') && t.includes('queued two'); }"
    )
    page.locator("#monitor-stop").click()
    page.wait_for_function(
        "() => { const t = document.querySelector('#monitor-runs').innerText;"
        " return (t.match(/succeeded/g) || []).length === 2 && t.includes('stopped'); }",
        timeout=RUN_TIMEOUT_MS,
    )
    page.wait_for_function(
        "() => !document.querySelector('#monitor-queue').innerText.includes('queued')"
    )


def resume_stopped(page) -> None:
    page.locator("#monitor-select input").click()
    # The Monitor may already show #1 (it follows the active run and can miss the short queued
    # runs): clicking a picked option of a multiselect unpicks it, so click only if it is not.
    option = page.get_by_role("option", name="#1 long")
    if option.get_attribute("aria-selected") != "true":
        option.click()
    page.locator("#monitor-resume").click()
    page.locator("#monitor-queue-status").get_by_text("continues from its checkpoint").wait_for()
    # It may wait a moment for the device: the runs before it hand it back after they end.
    page.wait_for_function(
        "() => document.querySelector('#monitor-runs').innerText.includes('running')",
        timeout=RUN_TIMEOUT_MS,
    )
    page.locator("#monitor-status").get_by_text("long").wait_for(timeout=RUN_TIMEOUT_MS)
    page.locator("#monitor-status").get_by_text("running").wait_for(timeout=RUN_TIMEOUT_MS)
    page.locator("#monitor-stop").click()
    page.locator("#monitor-status").get_by_text("stopped").wait_for(timeout=RUN_TIMEOUT_MS)


def test_an_uploaded_pair_file_shows_its_task_and_the_preview_follows_the_picker(page, tmp_path):
    pairs = tmp_path / "paraphrase.csv"
    rows = [("A man plays a flute.", "A man plays music.", "same"),
            ("A cat sleeps.", "The stock market fell.", "other")] * 6  # fmt: skip
    pairs.write_text("sentence1,sentence2,label\n" + "".join(",".join(r) + "\n" for r in rows))
    info = "document.querySelector('#train-data-info').innerText"
    page.locator("#train-data-info").get_by_text("300 rows").wait_for()  # the demo's preview
    with page.expect_file_chooser() as chooser:
        page.locator("#train-upload").click()
    chooser.value.set_files(str(pairs))
    page.wait_for_function(
        f"() => {info}.includes('Text pairs. Task: pair (two text columns named sentence1 and"
        " sentence2)')"
    )
    second = page.locator("#train-text-pair-column input")
    assert second.input_value() == "sentence2"
    page.locator("#train-task input").click()
    page.get_by_role("option", name="One text, one label").click()
    page.wait_for_function(f"() => {info}.includes('Task: single_label (chosen: single_label)')")
    page.wait_for_function("() => !document.querySelector('#train-text-pair-column input').value")
    assert "12 rows, 2 labels: other, same." in page.locator("#train-data-info").inner_text()
