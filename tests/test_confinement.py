"""Paths from the browser and the HTTP API stay inside what the app serves; the engine never
replaces or deletes a folder PTune Studio did not write; the command line keeps free paths."""

from __future__ import annotations

import json
import shutil
import time

import pytest
import torch
from conftest import serving, train_config, write_reviews
from gradio_client import Client

from app import create_app
from app.shared import confine
from app.shared.datasets import preview
from app.shared.state import DEMO_DATA, AppState
from app.tabs.sweep.logic import sweep_from_form
from app.tabs.train.logic import check_form, show_model
from app.tabs.train.view import show_dataset
from core import runs
from core.errors import ConfigProblems, DataError, OutputFolderError
from core.runs import train_unrecorded
from core.training.artifacts import save_checkpoint
from storage.store import Store

OUTSIDE = "is outside the folders this app reads datasets from"


def reviews_at(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_reviews(path, rows=rows)


@pytest.fixture()
def served_state(tmp_path) -> AppState:
    """App state with a data folder, a home and a dataset outside both."""
    data_dir = tmp_path / "data"
    reviews_at(data_dir / "films.csv", 60)
    reviews_at(tmp_path / "outside.csv", 60)
    return AppState(store=Store(tmp_path / "home" / "studio.db"), data_dir=data_dir)


def form(**values):
    return {"data": str(DEMO_DATA), "method": "head_only", "model": "all-MiniLM-L6-v2", **values}


# ----------------------------------------------------------------------------- datasets
def test_preview_refuses_a_dataset_outside_the_served_folders(served_state, tmp_path):
    outside = tmp_path / "outside.csv"
    with pytest.raises(DataError, match=f"the dataset {outside} {OUTSIDE}") as caught:
        preview(served_state, str(outside))
    assert f"the data folder {served_state.data_dir}" in str(caught.value)
    assert "upload the file with the Upload button" in str(caught.value)
    with pytest.raises(DataError, match=OUTSIDE):  # the Train tab's preview handler
        show_dataset(served_state, str(outside))
    with pytest.raises(DataError, match=OUTSIDE):
        preview(served_state, "/etc/passwd")


def test_a_symbolic_link_out_of_the_data_folder_is_refused(served_state, tmp_path):
    link = served_state.data_dir / "link.csv"
    link.symlink_to(tmp_path / "outside.csv")
    folder_link = served_state.data_dir / "elsewhere"
    folder_link.symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(DataError, match=f"the dataset {link} {OUTSIDE}"):
        preview(served_state, str(link))
    with pytest.raises(DataError, match=OUTSIDE):
        preview(served_state, str(folder_link / "outside.csv"))
    dataset = served_state.data_dir / "sst"  # a dataset folder whose split file leads out
    dataset.mkdir()
    (dataset / "train.csv").symlink_to(tmp_path / "outside.csv")
    with pytest.raises(DataError, match=f"the dataset {dataset / 'train.csv'} {OUTSIDE}"):
        preview(served_state, str(dataset))
    assert confine.data_refusal(served_state, str(served_state.data_dir)) is not None


def test_dot_dot_out_of_the_data_folder_is_refused(served_state):
    escape = f"{served_state.data_dir}/../outside.csv"
    with pytest.raises(DataError, match=OUTSIDE):
        preview(served_state, escape)
    with pytest.raises(DataError, match=OUTSIDE):
        preview(served_state, f"{served_state.data_dir}/../../../../../../etc/passwd")


def test_datasets_the_app_serves_are_read(served_state):
    assert preview(served_state, str(served_state.data_dir / "films.csv")).rows == 60
    assert preview(served_state, str(DEMO_DATA)).rows == 300
    served_state.upload_dir.mkdir(parents=True)
    upload = reviews_at(served_state.upload_dir / "mine.csv", 20)
    assert preview(served_state, str(upload)).rows == 20
    # the database's folder is not a root: --db may put it anywhere, e.g. a home directory
    beside_db = reviews_at(served_state.store.home / "notes.csv", 30)
    with pytest.raises(DataError, match="outside the folders this app reads datasets from"):
        preview(served_state, str(beside_db))
    inside = served_state.data_dir / "sub" / ".." / "films.csv"  # '..' that stays inside
    (served_state.data_dir / "sub").mkdir()
    assert preview(served_state, str(inside)).rows == 60


def test_hub_ids_pass_the_confinement_check(served_state):
    for source in ("glue:sst2", "imdb", "stanfordnlp/sst2"):
        assert confine.data_refusal(served_state, source) is None
    for model in ("bert-base-uncased", "org/model", "all-MiniLM-L6-v2", "default", ""):
        assert confine.model_refusal(served_state, model) is None
    assert show_dataset(served_state, "glue:sst2")[0].empty  # explained, not read


def test_the_train_form_lists_a_refused_dataset_with_the_other_problems(served_state, tmp_path):
    with pytest.raises(ConfigProblems) as caught:
        check_form(served_state, form(data=str(tmp_path / "outside.csv"), cfg_batch_size=0))
    by_setting = {p.setting: str(p) for p in caught.value.problems}
    assert set(by_setting) == {"data", "batch_size"}
    assert by_setting["data"].startswith("Dataset: the dataset") and OUTSIDE in by_setting["data"]


def test_each_task_dataset_is_confined(served_state, tmp_path):
    tasks = f"a={served_state.data_dir / 'films.csv'},b={tmp_path / 'outside.csv'}"
    problems = confine.path_problems(served_state, {"tasks": tasks})
    assert [p.setting for p in problems] == ["tasks"]
    assert str(problems[0]).endswith(f"task b: the dataset {tmp_path / 'outside.csv'} {OUTSIDE}"
                                     "; pick one from the data folder "
                                     f"{served_state.data_dir}, the uploads or the demo dataset, "
                                     "or upload the file with the Upload button")  # fmt: skip


def test_the_sweep_form_refuses_paths_outside(served_state, tmp_path):
    values = {"data": str(tmp_path / "outside.csv"), "model": str(tmp_path),
              "method": "ptuning_v2", "lengths": "4", "lrs": "0.01", "max_steps": "2",
              "budget": None}  # fmt: skip
    with pytest.raises(ConfigProblems) as caught:
        sweep_from_form(served_state, values)
    problems = [str(p) for p in caught.value.problems]
    assert any(OUTSIDE in p for p in problems)
    assert any(p.startswith(f"Base model: the base model folder {tmp_path} is outside")
               for p in problems)  # fmt: skip


# ----------------------------------------------------------------------------- models and folders
def test_a_model_folder_outside_is_refused_and_not_read(served_state, tiny_model_dir):
    message = confine.model_refusal(served_state, str(tiny_model_dir))
    runs = served_state.store.home / "checkpoints"
    assert message == (
        f"the base model folder {tiny_model_dir} is outside the data folder "
        f"{served_state.data_dir} or the app's run folder {runs}; put the model folder there, "
        "or give a Hugging Face model id or all-MiniLM-L6-v2"
    )
    shown = show_model(served_state, str(tiny_model_dir))  # its config is not even read
    assert shown == f"This model cannot be used: {message}"
    with pytest.raises(ConfigProblems) as caught:
        check_form(served_state, form(model=str(tiny_model_dir)))
    assert [p.setting for p in caught.value.problems] == ["model"]
    inside = shutil.copytree(tiny_model_dir, served_state.data_dir / "tiny")
    assert confine.model_refusal(served_state, str(inside)) is None
    assert show_model(served_state, str(inside)).startswith("Model family `bert`")
    (inside / "config.json").unlink()  # a file of the folder that leads out of it
    (inside / "config.json").symlink_to(tiny_model_dir / "config.json")
    refusal = confine.model_refusal(served_state, str(inside))
    assert refusal.startswith(f"the base model folder {inside / 'config.json'} is outside")


def test_init_from_outside_the_app_folders_is_refused(served_state, tmp_path):
    outside = tmp_path / "someone" / "adapter"
    runs = served_state.store.home / "checkpoints"
    problems = confine.path_problems(served_state, {"init_from": str(outside)})
    assert [(p.setting, p.message) for p in problems] == [(
        "init_from",
        f"the adapter folder {outside} is outside the data folder {served_state.data_dir} or the "
        f"app's run folder {runs}; start from the adapter of a run this app trained "
        f"(under {runs}) or one in the data folder",
    )]  # fmt: skip
    own = served_state.store.checkpoint_dir(3) / "adapter"
    assert confine.path_problems(served_state, {"init_from": str(own)}) == []


def test_an_output_folder_from_a_client_is_refused(served_state, tmp_path):
    with pytest.raises(ConfigProblems) as caught:
        confine.checked(served_state, {"data": str(DEMO_DATA), "out": str(tmp_path / "x")})
    assert [str(p) for p in caught.value.problems] == [
        "Output folder: out (the output folder) is a command-line setting; the app keeps each "
        f"run in its own folder under {served_state.store.home / 'checkpoints'}, so leave out "
        "empty"
    ]


# ----------------------------------------------------------------------------- HTTP API
@pytest.fixture(scope="module")
def api(tmp_path_factory, tiny_model_dir):
    """(client, state, folder) of an app served with a data folder holding a tiny model."""
    folder = tmp_path_factory.mktemp("confined")
    data_dir = folder / "data"
    reviews_at(data_dir / "films.csv", 60)
    shutil.copytree(tiny_model_dir, data_dir / "tiny")
    reviews_at(folder / "outside.csv", 60)
    demo = create_app(db=folder / "home" / "studio.db", data_dir=data_dir)
    with serving(demo) as url:
        yield Client(url, verbose=False), demo.ptune_state, folder


def api_values(folder, **extra) -> dict:
    return {"data": str(folder / "data" / "films.csv"), "model": str(folder / "data" / "tiny"),
            "method": "head_only", "max_steps": 2, "batch_size": 8, "precision": "fp32",
            **extra}  # fmt: skip


@pytest.mark.train
def test_train_api_refuses_paths_outside_and_records_nothing(api, tiny_model_dir):
    client, state, folder = api
    cases = [
        ({"data": str(folder / "outside.csv")}, OUTSIDE),
        ({"model": str(tiny_model_dir)}, "the base model folder"),
        ({"init_from": str(folder / "x")}, "the adapter folder"),
        ({"out": str(folder / "mine")}, "out \\(the output folder\\) is a command-line"),
    ]
    for extra, message in cases:
        with pytest.raises(Exception, match=message):
            client.predict(api_values(folder, **extra), api_name="/train")
    yaml_text = f"data: {folder / 'data' / '..' / 'outside.csv'}\n"
    with pytest.raises(Exception, match=OUTSIDE):
        client.predict(yaml_text, api_name="/train")
    assert state.store.list_runs() == [] and not (folder / "mine").exists()


@pytest.mark.train
def test_train_api_trains_a_data_folder_dataset_in_the_run_folder(api):
    client, state, folder = api
    run_id = client.predict(api_values(folder), api_name="/train")
    deadline = time.monotonic() + 120
    while state.store.get_run(run_id)["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the run did not finish in time"
        time.sleep(0.2)
    run = state.store.get_run(run_id)
    assert run["status"] == "succeeded", run["error"]
    assert run["config"]["out"] == str(state.store.checkpoint_dir(run_id))
    assert (state.store.checkpoint_dir(run_id) / "adapter" / "ptune_adapter.json").is_file()


# ----------------------------------------------------------------------------- the engine
def foreign_checkpoint(out):
    """An output folder whose ``checkpoint`` holds a person's own file."""
    (out / "checkpoint").mkdir(parents=True)
    (out / "checkpoint" / "thesis.txt").write_text("years of work", encoding="utf-8")
    return out / "checkpoint" / "thesis.txt"


def test_a_foreign_checkpoint_folder_is_kept_and_the_run_refused_before_training(
    tmp_path, reviews, tiny_model_dir
):
    out = tmp_path / "run"
    precious = foreign_checkpoint(out)
    events = []
    config = train_config(tmp_path, reviews, tiny_model_dir)
    expected = (
        f"the output folder {out} already holds {out / 'checkpoint'}, which PTune Studio did "
        "not write and a run would replace; choose another output folder, or move that "
        "folder away"
    )
    with pytest.raises(OutputFolderError) as caught:
        train_unrecorded(config, events.append)
    assert str(caught.value) == expected
    assert events == [] and precious.read_text(encoding="utf-8") == "years of work"
    store = Store(tmp_path / "home" / "studio.db")
    with pytest.raises(OutputFolderError, match="choose another output folder"):
        runs.start(store, config)
    assert store.list_runs() == [] and precious.is_file()


def test_other_trainers_checkpoints_and_adapters_are_refused(tmp_path, tiny_model_dir, reviews):
    hf = tmp_path / "hf"
    (hf / "checkpoint").mkdir(parents=True)  # another trainer's state file, not PTune's
    (hf / "checkpoint" / "trainer_state.json").write_text('{"global_step": 5}', encoding="utf-8")
    peft = tmp_path / "peft"
    (peft / "adapter").mkdir(parents=True)
    (peft / "adapter" / "adapter_config.json").write_text("{}", encoding="utf-8")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    for out, named in ((hf, hf / "checkpoint"), (peft, peft / "adapter")):
        with pytest.raises(OutputFolderError, match=f"already holds {named}, which"):
            train_unrecorded(train_config(tmp_path, reviews, tiny_model_dir, out=str(out)))
    with pytest.raises(OutputFolderError, match="is a file, not a folder"):
        train_unrecorded(
            train_config(tmp_path, reviews, tiny_model_dir, out=str(tmp_path / "file"))
        )
    assert (peft / "adapter" / "adapter_config.json").read_text(encoding="utf-8") == "{}"


def test_the_checkpoint_writer_never_replaces_a_folder_it_did_not_write(tmp_path):
    param = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.AdamW([param])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0)
    folder = tmp_path / "checkpoint"
    save_checkpoint(folder, {"w": param.detach()}, optimizer, scheduler, {"loop": {"step": 1}})
    old = tmp_path / "checkpoint.old"
    old.mkdir()
    (old / "notes.txt").write_text("mine", encoding="utf-8")  # appeared during training
    with pytest.raises(OutputFolderError, match=f"{old} was not written by PTune Studio"):
        save_checkpoint(folder, {"w": param.detach()}, optimizer, scheduler, {"loop": {"step": 2}})
    assert (old / "notes.txt").is_file() and (folder / "trainable.safetensors").is_file()


def test_deleting_a_run_keeps_files_ptune_did_not_write(store):
    run_id = store.create_run(name="r", method="lora", base_model="m", dataset="d", config={})
    folder = store.checkpoint_dir(run_id)
    (folder / "checkpoint").mkdir(parents=True)
    (folder / "checkpoint" / "ptune_checkpoint.json").write_text("{}", encoding="utf-8")
    (folder / "adapter").mkdir()
    (folder / "adapter" / "ptune_adapter.json").write_text("{}", encoding="utf-8")
    (folder / "results.csv").write_text("mine", encoding="utf-8")
    store.delete_run(run_id)
    assert sorted(p.name for p in folder.iterdir()) == ["results.csv"]


# ----------------------------------------------------------------------------- command line
@pytest.mark.train
def test_the_command_line_keeps_free_paths(tmp_path, tiny_model_dir, capsys):
    from core.train import main

    data = reviews_at(tmp_path / "anywhere" / "films.csv", 60)
    out = tmp_path / "my-runs" / "first"

    def run(folder) -> int:
        return main(["--data", str(data), "--model", str(tiny_model_dir), "--method",
                     "head_only", "--max-steps", "2", "--batch-size", "8", "--precision", "fp32",
                     "--out", str(folder), "--quiet"])  # fmt: skip

    assert run(out) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "succeeded"
    assert (out / "adapter" / "ptune_adapter.json").is_file()
    assert run(out) == 0, "a second run replaces the checkpoint PTune wrote there"
    precious = foreign_checkpoint(tmp_path / "theirs")
    assert run(tmp_path / "theirs") == 2
    assert "choose another output folder" in capsys.readouterr().err
    assert precious.is_file()
