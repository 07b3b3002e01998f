"""The HTTP API end to end: ``/resume``, ``/train`` refusing data that could never train, and
error messages in plain text. Served in-process and driven with gradio_client, as in
test_app_api.py."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import serving
from gradio_client import Client
from gradio_client.exceptions import AppError
from test_app_api import train_values, wait_for

from app import create_app

MARKUP = re.compile(r"<[a-zA-Z/][^>]*>|&#?\w+;")
"""An HTML tag or entity: what a plain-text message never holds."""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(client, app state) of an app on a free port with a fresh database."""
    # The session's temporary folder is the data folder: the tiny model lives there.
    demo = create_app(
        db=tmp_path_factory.mktemp("app-resume") / "studio.db",
        data_dir=tmp_path_factory.getbasetemp(),
    )
    with serving(demo) as url:
        yield Client(url, verbose=False), demo.ptune_state


def refusal(client: Client, *args, api_name: str) -> str:
    """The plain-text message of a refused API call."""
    with pytest.raises(AppError) as caught:
        client.predict(*args, api_name=api_name)
    message = caught.value.message
    assert not MARKUP.search(message), message
    return message


@pytest.fixture(scope="module")
def stopped(served, tiny_model_dir) -> int:
    """A run stopped through /stop after its first steps: resumable."""
    client, state = served
    run_id = client.predict(train_values(tiny_model_dir, max_steps=5000), api_name="/train")
    wait_for(client, run_id, until=lambda run: state.store.last_step(run_id) >= 3)
    client.predict(api_name="/stop")
    assert wait_for(client, run_id)["status"] == "stopped"
    return run_id


@pytest.mark.train
def test_resume_refuses_what_cannot_continue_and_says_why(served, stopped, tiny_model_dir):
    client, state = served
    assert re.search(
        r"No run with id 999 in .*studio\.db", refusal(client, 999, api_name="/resume")
    )
    assert "Run id 'abc' is not a run number" in refusal(client, "abc", api_name="/resume")

    other = client.predict(train_values(tiny_model_dir, max_steps=5000), api_name="/train")
    wait_for(client, other, until=lambda run: run["status"] == "running")
    message = refusal(client, other, api_name="/resume")
    assert f"Run {other} (ptuning_v2 on reviews.csv) is still training; wait for it" in message
    before = state.store.get_run(stopped)
    assert client.predict(stopped, api_name="/resume") == stopped  # busy: it waits its turn
    queue = client.predict(api_name="/queue")
    assert [(r["id"], r["position"], r["resume"]) for r in queue] == [(stopped, 1, True)]
    message = client.predict(str(stopped), api_name="/cancel")
    assert message.endswith("was taken out of the queue; it is stopped again, as before.")
    assert state.store.get_run(stopped)["status"] == "stopped"
    assert state.store.get_run(stopped)["finished_at"] == before["finished_at"]
    message = refusal(client, stopped, api_name="/cancel")
    assert message == (
        f"Run {stopped} is not waiting in the queue (it is stopped); only waiting runs can be "
        "cancelled or moved."
    )
    message = refusal(client, other, api_name="/cancel")
    assert "is already training; stop it with Stop training instead of cancelling it" in message
    client.predict(api_name="/stop")
    assert wait_for(client, other)["status"] == "stopped"

    shutil.rmtree(state.store.checkpoint_path(other))
    message = refusal(client, str(other), api_name="/resume")
    assert f"Run {other} (ptuning_v2 on reviews.csv) has no checkpoint to resume from" in message

    queued = state.store.create_run(
        name="setting up", method="lora", base_model="m", dataset="d", config={}
    )
    message = refusal(client, queued, api_name="/resume")
    assert f"Run {queued} (setting up) is still being set up" in message
    state.store.delete_run(queued)


@pytest.mark.train
def test_a_stopped_run_resumes_through_the_api_as_the_same_run(served, stopped):
    client, state = served
    before = [run["id"] for run in client.predict(api_name="/runs")]
    stopped_at = state.store.get_run(stopped)["metrics"]["steps"]
    assert 0 < stopped_at < 5000
    state.store.update_run(stopped, config={**state.store.get_run(stopped)["config"],
                                            "max_steps": stopped_at + 10})  # fmt: skip
    assert client.predict(str(stopped), api_name="/resume") == stopped
    run = wait_for(client, stopped)
    assert run["status"] == "succeeded", run["error"]
    assert state.store.get_run(stopped)["metrics"]["steps"] == stopped_at + 10
    assert [run["id"] for run in client.predict(api_name="/runs")] == before  # no new run

    message = refusal(client, stopped, api_name="/resume")
    assert f"Run {stopped} (ptuning_v2 on reviews.csv) succeeded: it trained to its end, so " in (
        message
    )
    assert "there is nothing to resume" in message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"Dataset: file or folder not found: .*missing\.csv"),
        (b"text,label\n" + b"a fine film,positive\n" * 12, r"only one label \(\['positive'\]\)"),
        (b"text,label\ncaf\xe9 cr\xe8me,1\nbad,0\n" * 6, r"is not valid UTF-8 \(byte 0xe9"),
    ],
    ids=["missing file", "single class", "bad encoding"],
)
def test_train_refuses_data_that_could_never_train_and_records_nothing(
    served, tiny_model_dir, tmp_path, content, message
):
    client, _state = served
    data = tmp_path / "missing.csv"
    if content is not None:
        data = tmp_path / "data.csv"
        data.write_bytes(content)
    before = client.predict(api_name="/runs")
    text = refusal(client, train_values(tiny_model_dir, data=str(data)), api_name="/train")
    assert re.search(message, text), text
    assert client.predict(api_name="/runs") == before


def test_api_errors_are_plain_text_one_problem_per_line(served, tiny_model_dir, tmp_path):
    client, _state = served
    data = tmp_path / "it's salt & pepper.csv"  # html.escape would change ' and &
    config = train_values(tiny_model_dir, data=str(data), batch_size=0, lr=5)
    lines = refusal(client, config, api_name="/train").splitlines()
    assert len(lines) == 3, lines
    assert any(line.startswith("Batch size: batch_size=0") for line in lines)
    assert any(line.startswith("Learning rate: lr=5") for line in lines)
    assert f"Dataset: file or folder not found: {data}" in lines  # as typed


@pytest.mark.train
def test_train_queues_runs_while_busy_and_they_start_in_order(served, tiny_model_dir):
    client, state = served
    busy = client.predict(train_values(tiny_model_dir, max_steps=5000), api_name="/train")
    wait_for(client, busy, until=lambda run: run["status"] == "running")
    first = client.predict(train_values(tiny_model_dir, name="first"), api_name="/train")
    second = client.predict(train_values(tiny_model_dir, name="second"), api_name="/train")
    queue = client.predict(api_name="/queue")
    assert [(r["id"], r["name"], r["method"], r["position"]) for r in queue] == [
        (first, "first", "ptuning_v2", 1), (second, "second", "ptuning_v2", 2),
    ]  # fmt: skip
    assert {r["id"]: r["status"] for r in client.predict(api_name="/runs")}[first] == "waiting"

    client.predict(api_name="/stop")
    runs = [wait_for(client, run_id) for run_id in (busy, first, second)]
    assert [run["status"] for run in runs] == ["stopped", "succeeded", "succeeded"]
    assert runs[0]["finished_at"] <= runs[1]["started_at"]
    assert runs[1]["finished_at"] <= runs[2]["started_at"]
    assert client.predict(api_name="/queue") == []
