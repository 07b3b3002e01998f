"""The app's HTTP API end to end: launched in-process, driven with gradio_client."""

from __future__ import annotations

import csv
import time
import zipfile

import pytest
from conftest import serving
from gradio_client import Client

from app import create_app
from app.shared.state import DEMO_DATA
from app.tabs.monitor.view import attach
from app.tabs.tryit.export import export_run
from app.tabs.tryit.predict import predict_file
from core.config import TrainConfig
from core.sweep import SweepConfig, start_sweep

RUN_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(client, app state) of an app on a free port with a fresh database."""
    # The session's temporary folder is the data folder: the tiny model lives there.
    demo = create_app(
        db=tmp_path_factory.mktemp("app-api") / "studio.db",
        data_dir=tmp_path_factory.getbasetemp(),
    )
    with serving(demo) as url:
        yield Client(url, verbose=False), demo.ptune_state


@pytest.fixture(scope="module")
def client(served) -> Client:
    return served[0]


def train_values(model_dir, **extra) -> dict:
    """The settings of a short P-Tuning v2 run on the demo data, as the /train API takes them."""
    return {
        "data": str(DEMO_DATA), "model": str(model_dir), "method": "ptuning_v2",
        "max_steps": 20, "batch_size": 8, "precision": "fp32", "num_virtual_tokens": 4, **extra,
    }  # fmt: skip


def wait_for(
    client: Client,
    run_id: int,
    until=lambda run: run["status"] not in ("waiting", "queued", "running"),
):
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        runs = {run["id"]: run for run in client.predict(api_name="/runs")}
        if until(runs[run_id]):
            return runs[run_id]
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} did not get there in {RUN_TIMEOUT_SECONDS} s")


@pytest.fixture(scope="module")
def trained(client, tiny_model_dir) -> int:
    run_id = client.predict(train_values(tiny_model_dir), api_name="/train")
    assert isinstance(run_id, int)
    run = wait_for(client, run_id)
    assert run["status"] == "succeeded", run["error"]
    return run_id


@pytest.mark.train
def test_train_records_a_succeeded_run(client, trained):
    run = next(r for r in client.predict(api_name="/runs") if r["id"] == trained)
    assert run["method"] == "ptuning_v2"
    assert run["label_names"] == ["negative", "positive"]
    assert 0.0 <= run["metrics"]["eval_accuracy"] <= 1.0


def test_predict_gives_labels_and_probabilities(client, trained):
    results = client.predict("A wonderful, moving film.", [trained], api_name="/predict")
    assert len(results) == 1
    result = results[0]
    assert result["run_id"] == trained
    assert result["label"] in ("negative", "positive")
    assert set(result["probabilities"]) == {"negative", "positive"}
    assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    assert result["score"] == max(result["probabilities"].values())


@pytest.mark.train
def test_concurrent_predict_calls_each_get_their_own_answer(client, trained):
    texts = [f"{start} film, take {i}" for i in range(4) for start in ("A wonderful", "An awful")]
    alone = {text: client.predict(text, [trained], api_name="/predict")[0] for text in texts}
    jobs = {text: client.submit(text, [trained], api_name="/predict") for text in texts}
    for text, job in jobs.items():  # combined into shared passes, bf16 may round otherwise
        answer = job.result()[0]
        assert answer["run_id"] == trained
        assert answer["probabilities"] == pytest.approx(alone[text]["probabilities"], abs=2e-2)
        assert answer["label"] == max(answer["probabilities"], key=answer["probabilities"].get)


def test_batch_predictions_and_export_of_a_trained_run(served, trained, tmp_path):
    state = served[1]
    texts = tmp_path / "texts.txt"
    texts.write_text("Great food.\nTerrible service.\n", encoding="utf-8")
    with open(predict_file(state, str(texts), [trained]), encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["text"] for row in rows] == ["Great food.", "Terrible service."]
    assert {row["label"] for row in rows} <= {"negative", "positive"}
    with zipfile.ZipFile(export_run(state, trained)) as archive:
        names = archive.namelist()
    assert f"run-{trained}/run.json" in names
    assert any(name.endswith("adapter/ptune_adapter.json") for name in names)


@pytest.mark.train
def test_stop_ends_a_running_run_as_stopped_and_a_new_page_attaches_to_it(served, tiny_model_dir):
    client, state = served
    run_id = client.predict(train_values(tiny_model_dir, max_steps=5000), api_name="/train")
    wait_for(client, run_id, until=lambda run: run["status"] == "running")
    view = attach(state)[-1]  # what a reloaded page shows
    assert view["runs"] == [run_id]
    assert client.predict(api_name="/stop") == {"stopping": run_id, "sweep": None}
    assert wait_for(client, run_id)["status"] == "stopped"
    assert client.predict(api_name="/stop") == {"stopping": None, "sweep": None}


@pytest.mark.train
def test_stop_ends_a_running_sweep_and_it_starts_no_further_runs(served, tiny_model_dir):
    client, state = served
    base = TrainConfig(data=str(DEMO_DATA), model=str(tiny_model_dir), batch_size=8,
                       max_steps=5000, precision="fp32")  # fmt: skip
    grid = SweepConfig(base=base, method="ptuning_v2", lengths=(2, 4), lrs=(0.01,))
    handle = start_sweep(state.store, grid)
    run_id = first_run_id(handle)
    wait_for(client, run_id, until=lambda run: run["status"] == "running")
    assert attach(state)[-1]["runs"] == [run_id]  # a reloaded page follows the sweep's run
    assert client.predict(api_name="/stop") == {"stopping": run_id, "sweep": handle.sweep_id}
    outcome = handle.wait(RUN_TIMEOUT_SECONDS)
    assert outcome is not None and outcome["status"] == "stopped"
    assert [(r["run_id"], r["status"]) for r in outcome["runs"]] == [(run_id, "stopped")]
    assert state.store.get_sweep(handle.sweep_id)["status"] == "stopped"
    assert [r["id"] for r in state.store.list_runs(sweep_id=handle.sweep_id)] == [run_id]
    assert client.predict(api_name="/stop") == {"stopping": None, "sweep": None}


def first_run_id(handle) -> int:
    """The id of the sweep's first run, once it is recorded and started."""
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        run = handle.current
        if run is not None and run.run_id is not None:
            return run.run_id
        time.sleep(0.05)
    raise AssertionError(f"sweep {handle.sweep_id} started no run in {RUN_TIMEOUT_SECONDS} s")


def test_train_accepts_yaml_and_reports_every_problem(client, tiny_model_dir):
    config = f"data: {DEMO_DATA}\nmodel: {tiny_model_dir}\nbatch_size: 0\nlr: 5\n"
    with pytest.raises(Exception, match="batch_size") as caught:
        client.predict(config, api_name="/train")
    assert "lr=5" in str(caught.value)


def test_check_warns_of_a_model_that_does_not_read_the_data(client, served, tiny_model_dir):
    from test_language import write_chinese

    data = write_chinese(served[1].data_dir / "chinese-check" / "hotel.csv")
    values = {"data": str(data), "model": str(tiny_model_dir), "method": "head_only"}
    runs_before = len(client.predict(api_name="/runs"))
    result = client.predict(values, api_name="/check")
    assert "unknown to the tokenizer" in result["warnings"][0]
    assert "bert-base-chinese" in result["warnings"][0]
    assert result["data"]["text_column"] == "review"
    assert len(client.predict(api_name="/runs")) == runs_before  # a check starts no run
    english = client.predict({**values, "data": str(DEMO_DATA)}, api_name="/check")
    assert not any("tokenizer" in warning for warning in english["warnings"])
    with pytest.raises(Exception, match="batch_size"):
        client.predict({**values, "batch_size": 0}, api_name="/check")


def test_predict_with_an_unknown_run_is_a_plain_error(client):
    with pytest.raises(Exception, match="(?i)no run with id 999"):
        client.predict("text", [999], api_name="/predict")
