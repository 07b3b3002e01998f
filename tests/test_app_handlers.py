"""The app's handlers and pure functions, called directly (no server, no browser)."""

from __future__ import annotations

import argparse
import dataclasses
import re

import gradio as gr
import pytest

from app.i18n import EN, ZH, ZH_FIELDS, PreferLanguage, translations
from app.server.api import parse_config
from app.shared import estimate, forms
from app.shared.actions import stop_training
from app.shared.datasets import preview
from app.shared.errors import FormProblems, friendly
from app.shared.preflight import refuse
from app.shared.state import DEMO_DATA, dataset_choices, find_datasets
from app.tabs.monitor.plots import training_figure
from app.tabs.monitor.runs import config_diff, runs_table, toggle
from app.tabs.monitor.view import poll, show_runs
from app.tabs.train.logic import check_form
from app.tabs.train.plots import label_figure
from app.tabs.train.view import add_upload, show_dataset
from app.tabs.tryit.plots import prediction_figure
from app.tabs.tryit.predict import read_texts
from core.checks import checked
from core.config import TrainConfig
from core.errors import DataError, InputError
from core.methods import METHODS
from storage.store import Store

SKIP = gr.skip()


def form(**values):
    base = {"data": str(DEMO_DATA), "method": "ptuning_v2", "model": "all-MiniLM-L6-v2"}
    return {**base, **values}


# ----------------------------------------------------------------------------- form -> config
def test_form_values_become_a_train_config():
    config = forms.form_to_config(
        form(
            method="lora",
            name="  my run ",
            text_column="",
            cfg_max_steps="20",
            cfg_batch_size=8.0,
            cfg_epochs="",
            cfg_lr="0.001",
            cfg_keep_best=False,
            opt_lora_r=4.0,
            opt_lora_target_modules="",
            opt_ptuning_v2_num_virtual_tokens=99,
        )  # fmt: skip
    )
    assert config.method == "lora"
    assert config.name == "my run"
    assert config.text_column is None
    assert config.max_steps == 20 and isinstance(config.max_steps, int)
    assert config.batch_size == 8 and isinstance(config.batch_size, int)
    assert config.epochs is None
    assert config.lr == pytest.approx(0.001)
    assert config.keep_best is False
    assert config.method_options == {"r": 4, "target_modules": ""}  # only the chosen method's


def test_every_problem_of_the_form_is_listed_at_once():
    with pytest.raises(FormProblems) as caught:
        forms.form_to_config(
            form(
                cfg_batch_size=0, cfg_lr="5", cfg_epochs="many", opt_ptuning_v2_num_virtual_tokens=0
            )
        )
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 4, problems
    assert any(p.startswith("Batch size: batch_size=0") for p in problems)
    assert any(p.startswith("Learning rate: lr=5.0") for p in problems)
    assert any("epochs='many' must be a number" in p for p in problems)
    assert any(p.startswith("Prompt length: num_virtual_tokens=0") for p in problems)
    settings = {p.setting for p in caught.value.problems}  # each names its setting
    assert settings == {"batch_size", "lr", "epochs", "num_virtual_tokens"}


def test_a_missing_model_folder_is_listed_with_the_other_problems(tmp_path):
    with pytest.raises(FormProblems) as caught:
        forms.form_to_config(form(model=str(tmp_path / "nowhere"), cfg_batch_size=0))
    assert len(caught.value.problems) == 2
    assert any("nowhere" in str(p) for p in caught.value.problems)
    assert {p.setting for p in caught.value.problems} == {"model", "batch_size"}


def test_each_setting_gets_a_fitting_component():
    rows = {row["name"]: row for row in TrainConfig.describe()}
    assert isinstance(forms.component_for(rows["keep_best"], "cfg"), gr.Checkbox)
    assert isinstance(forms.component_for(rows["precision"], "cfg"), gr.Dropdown)
    batch = forms.component_for(rows["batch_size"], "cfg")
    assert isinstance(batch, gr.Number)
    assert (batch.minimum, batch.maximum, batch.precision) == (1, 4096, 0)
    assert batch.preprocess(0) == 0  # out of range: reported with the other problems
    assert isinstance(forms.component_for(rows["epochs"], "cfg"), gr.Textbox)  # empty = default
    assert forms.component_for(rows["batch_size"], "cfg").elem_id == "field-cfg-batch-size"


def test_the_settings_lists_leave_out_fields_placed_elsewhere():
    names = {row["name"] for row in forms.common_rows()}
    assert not names & set(forms.TOP_FIELDS)
    assert {"epochs", "batch_size", "lr", "time_budget_minutes", "max_length"} <= names


def test_command_and_yaml_describe_the_same_run():
    config = TrainConfig(
        data="reviews.csv", method="lora", max_steps=50, method_options={"r": 4, "alpha": 16}
    )
    command = forms.as_command(config)
    assert command.startswith("python -m core.train")
    for part in ("--method lora", "--data reviews.csv", "--max-steps 50", "--r 4"):
        assert part in command
    assert "--alpha" not in command  # the default is left out
    again = TrainConfig(**parse_config(forms.as_yaml(config)))
    assert again == config


def test_api_config_takes_flat_method_settings_and_rejects_unknown_ones():
    values = parse_config({"data": "x.csv", "method": "lora", "r": 2})
    assert values["method_options"] == {"r": 2}
    with pytest.raises(ValueError, match="unknown setting.*warp_speed"):
        checked(parse_config("data: x.csv\nwarp_speed: 9\n"))
    with pytest.raises(ValueError, match="r is not a setting of P-Tuning v2"):
        checked(parse_config("data: x.csv\nr: 4\n"))


def test_check_shows_parameters_estimate_command_and_yaml(state, tiny_model_dir):
    values = form(model=str(tiny_model_dir), method="lora", cfg_max_steps="30", opt_lora_r=2)
    message, command, yaml_text = check_form(state, values)
    assert "trainable parameters" in message and "About **30** steps" in message
    assert "estimate" in message
    assert "--method lora" in command and "--r 2" in command
    assert "method: lora" in yaml_text and "r: 2" in yaml_text
    again, _, _ = check_form(state, {**values, "cfg_batch_size": 8})
    assert again.split("**")[1] == message.split("**")[1]  # same count, from the cache


def test_problems_with_the_data_are_listed_with_the_others(state, tmp_path):
    one_label = tmp_path / "one.csv"
    one_label.write_text("text,label\n" + "a,x\n" * 10, encoding="utf-8")
    with pytest.raises(FormProblems) as caught:
        check_form(state, form(data=str(one_label), cfg_batch_size=0))
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 2 and any("only one label" in p for p in problems)


def test_stop_without_a_run_says_so(state):
    assert stop_training(state) == "No training is running."


def test_an_uploaded_dataset_is_kept_and_selected(state, tmp_path):
    upload = tmp_path / "mine.csv"
    upload.write_text("text,label\ngood,1\nbad,0\n", encoding="utf-8")
    update = add_upload(state, str(upload))
    assert update["value"] == str(state.upload_dir / "mine.csv")
    assert ("Uploaded: mine.csv", update["value"]) in update["choices"]
    with pytest.raises(ValueError, match="not a supported dataset file"):
        add_upload(state, str(tmp_path / "notes.docx"))


def test_a_form_refuses_with_each_problem_once_in_the_order_found():
    refuse([])  # nothing to refuse
    with pytest.raises(FormProblems) as caught:
        refuse(["b is wrong", "a is wrong", "b is wrong"])
    assert caught.value.problems == ["b is wrong", "a is wrong"]


# ----------------------------------------------------------------------------- datasets
def test_preview_guesses_the_columns_and_counts_labels(state):
    view = preview(state, str(DEMO_DATA))
    assert (view.text_column, view.label_column) == ("text", "label")
    assert view.label_counts == {"negative": 150, "positive": 150}
    assert view.rows == 300 and len(view.head) == 8


def test_preview_of_unguessable_columns_still_shows_the_rows(state, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    view = preview(state, str(path))
    assert view.columns == ["a", "b"]
    assert view.label_column is None and view.label_counts == {}


def test_preview_of_a_folder_reads_its_train_file(state, tmp_path):
    (tmp_path / "train.tsv").write_text("review\tsentiment\ngood\t1\nbad\t0\n", encoding="utf-8")
    view = preview(state, str(tmp_path))
    assert (view.text_column, view.label_column) == ("review", "sentiment")
    with pytest.raises(DataError, match="not found"):
        preview(state, str(tmp_path / "missing.csv"))


def test_a_hub_dataset_id_is_explained_not_previewed(state):
    outputs = show_dataset(state, "glue:sst2")
    assert "Hugging Face Hub" in outputs[-1]
    assert outputs[0].empty


def test_data_folder_datasets_are_listed_once(tmp_path):
    (tmp_path / "sst" / "train.tsv").parent.mkdir()
    (tmp_path / "sst" / "train.tsv").write_text("x", encoding="utf-8")
    (tmp_path / "sst" / "dev.tsv").write_text("x", encoding="utf-8")
    (tmp_path / "more" / "hotels").mkdir(parents=True)
    (tmp_path / "more" / "hotels" / "reviews.csv").write_text("x", encoding="utf-8")
    (tmp_path / "notes.md").write_text("x", encoding="utf-8")
    labels = [label for label, _ in find_datasets(tmp_path)]
    assert labels == ["more/hotels/reviews.csv", "sst"]


def test_the_demo_dataset_is_offered_first(state):
    assert dataset_choices(state)[0][1] == str(DEMO_DATA)


def test_batch_files_are_read_by_their_text_column(tmp_path):
    txt = tmp_path / "a.txt"
    txt.write_text("first\n\nsecond\n", encoding="utf-8")
    assert read_texts(txt) == ["first", "second"]
    csv = tmp_path / "b.csv"
    csv.write_text("id,Review\n1,nice\n2,awful\n", encoding="utf-8")
    assert read_texts(csv) == ["nice", "awful"]


# ----------------------------------------------------------------------------- plots
def metric_rows(steps, split="train", name="loss", start=1.0):
    return [{"step": s, "split": split, "name": name, "value": start / s} for s in steps]


def test_training_figure_draws_each_metric_of_each_run():
    rows = metric_rows([10, 20]) + metric_rows([10, 20], "eval", "eval_loss")
    rows += metric_rows([10, 20], "eval", "eval_accuracy") + metric_rows([10, 20], name="lr")
    fig = training_figure({"#1 a": rows, "#2 b": metric_rows([10])})
    names = [trace.name for trace in fig.data]
    assert names == [
        "#1 a", "#1 a · Validation accuracy", "#1 a · Learning rate", "#1 a · validation loss",
        "#2 b",
    ]  # fmt: skip
    assert [trace.showlegend for trace in fig.data] == [None, False, False, None, None]
    assert fig.layout.uirevision == "monitor"  # a zoom survives redraws
    assert list(fig.data[0].x) == [10, 20]


def test_an_empty_training_figure_says_so():
    fig = training_figure({}, lang="zh")
    assert not fig.data
    assert fig.layout.annotations[0].text == "暂无数据"


def test_label_and_prediction_figures():
    bars = label_figure({"neg": 3, "pos": 5})
    assert list(bars.data[0].y) == [3, 5]
    fig = prediction_figure([
        {"run": "#1", "probabilities": {"neg": 0.2, "pos": 0.8}},
        {"run": "#2", "probabilities": {"neg": 0.6, "pos": 0.4}},
    ])  # fmt: skip
    assert [trace.name for trace in fig.data] == ["#1", "#2"]
    assert list(fig.data[0].y) == [0.2, 0.8]


# ----------------------------------------------------------------------------- monitor
def recorded_run(store: Store, **config) -> int:
    config = TrainConfig(data="reviews.csv", **config).to_dict()
    return store.create_run(name="r", method=config["method"], base_model="m", dataset="d",
                            config=config)  # fmt: skip


def test_poll_skips_every_output_when_nothing_is_new(state):
    run_id = recorded_run(state.store)
    state.store.start_run(run_id)
    state.store.append_metrics(run_id, metric_rows([10]))
    view = show_runs(state, None, [run_id])[-1]
    view["follow"] = False
    assert poll(state, view) == tuple(SKIP for _ in range(7))

    state.store.append_metrics(run_id, metric_rows([10], "eval", "eval_accuracy"))  # same step
    outputs = poll(state, view)
    assert outputs[0] is not SKIP
    assert any(t.name.endswith("Validation accuracy") for t in outputs[0].data)
    assert poll(state, view) == tuple(SKIP for _ in range(7))

    state.store.finish_run(run_id, "failed", error="out of memory: lower the batch size")
    outputs = poll(state, view)
    assert "out of memory" in outputs[2]  # the status line names the error
    table = outputs[3]
    assert table.iloc[0]["Error"] == "out of memory: lower the batch size"


def test_a_redraw_of_the_same_runs_never_sets_the_run_picker(state):
    """The person may be picking runs as the clock redraws: a redraw of the runs shown updates
    the picker's choices only, so it cannot put back what was picked before."""
    run_id = recorded_run(state.store)
    state.store.start_run(run_id)
    view = show_runs(state, None, [run_id])[-1]
    view["follow"] = False
    state.store.append_metrics(run_id, metric_rows([10]))
    picker = poll(state, view)[4]
    assert picker["choices"] and "value" not in picker
    assert show_runs(state, view, [run_id])[4]["value"] == [run_id]  # a pick sets it


def test_clicking_a_run_adds_or_removes_it_from_the_view():
    assert toggle({"runs": [1]}, "2") == [1, 2]
    assert toggle({"runs": [1, 2]}, 1) == [2]
    assert toggle(None, 3) == [3]


def test_runs_table_has_the_promised_columns(state):
    recorded_run(state.store)
    table = runs_table(state, state.store.list_runs())
    assert list(table.columns) == [
        "ID", "Name", "Status", "Method", "Score", "Duration", "Error",
    ]  # fmt: skip


def test_config_diff_lists_only_the_settings_that_differ(state):
    first = recorded_run(state.store, method="lora", lr=1e-3, method_options={"r": 4})
    second = recorded_run(state.store, method="lora", lr=1e-2, method_options={"r": 8})
    runs = [state.store.get_run(first), state.store.get_run(second)]
    diff = config_diff(state, runs)
    assert list(diff["Setting"]) == ["lr", "lora.r"]
    assert list(diff["#1 r"]) == ["0.001", "4"]
    same = config_diff(state, [runs[0], runs[0]])
    assert "same settings" in same.iloc[0, 0]
    assert "two or more" in config_diff(state, runs[:1]).iloc[0, 0]


# ----------------------------------------------------------------------------- estimate
def test_the_guessed_speed_follows_the_model_the_method_and_the_texts_length(tiny_model_dir):
    minilm = estimate.guessed_speed(None, "full")
    assert minilm == estimate.guessed_speed(None, "full", estimate.REFERENCE_TOKENS)
    assert estimate.guessed_speed(None, "lora") > minilm  # no weight gradients
    assert estimate.guessed_speed(None, "full", 100) == pytest.approx(minilm / 4)
    assert estimate.guessed_speed(str(tiny_model_dir), "full") > minilm  # a far smaller model
    assert estimate.guessed_speed("/no/such/model", "full") is None
    short = estimate.mean_tokens(None, ["a fine film"] * 3, 128)
    long = estimate.mean_tokens(None, ["a fine film " * 80], 128)
    assert 3 < short < 8 and long == 128  # cut at max_length, as the run cuts them
    assert estimate.mean_tokens("/no/such/model", ["x"], 128) == estimate.REFERENCE_TOKENS


def test_estimate_counts_steps_and_respects_the_time_budget():
    config = TrainConfig(data="x", method="lora", epochs=2, batch_size=10)
    assert estimate.planned_steps(config, 95) == 20
    plan = estimate.estimate(config, 95, 10, samples_per_second=100.0)
    assert plan["steps"] == 20 and plan["budget"] is None
    assert plan["seconds"] == pytest.approx(2.0 + 11 * 10 / 300)
    capped = dataclasses.replace(config, epochs=1000, time_budget_minutes=1.0)
    plan = estimate.estimate(capped, 95, 10, samples_per_second=100.0)
    assert plan["seconds"] == 60.0 and plan["budget"] == 60.0
    assert plan["steps"] < estimate.planned_steps(capped, 95)


def test_durations_and_shares_read_naturally():
    assert estimate.duration(42) == "42 s"
    assert estimate.duration(200) == "3 min 20 s"
    assert estimate.duration(3900) == "1 h 5 min"
    assert estimate.share(770, 22_700_000) == "0.0034%"
    assert estimate.share(1, 2) == "50.0%"


# ----------------------------------------------------------------------------- errors, i18n
def test_engine_errors_become_plain_gradio_errors():
    @friendly("en")
    def broken():
        raise DataError("the training data has only one label")

    with pytest.raises(gr.Error) as caught:
        broken()
    assert caught.value.message == "The training data has only one label"

    @friendly("zh")
    def invalid():
        raise FormProblems(["a is wrong", "b < 0"])

    with pytest.raises(gr.Error) as caught:
        invalid()
    assert caught.value.message == "<ul><li>a is wrong</li><li>b &lt; 0</li></ul>"
    assert caught.value.title == "请修正以下设置"


def test_a_bug_is_logged_with_its_traceback_not_offered_as_advice(caplog):
    @friendly("en")
    def buggy():
        return {}["model"]  # a programming error, not the person's mistake

    with caplog.at_level("ERROR", logger="app.shared.errors"), pytest.raises(gr.Error) as caught:
        buggy()
    message = caught.value.message
    reference = re.search(r"logged as ([0-9a-f]{8})", message)
    assert message.startswith("An internal error (KeyError), logged as ") and reference
    (record,) = [r for r in caplog.records if reference.group(1) in r.getMessage()]
    assert record.exc_info is not None and record.exc_info[0] is KeyError


@pytest.mark.parametrize("error", [ValueError("bad literal"), LookupError("x"), OSError("disk")])
def test_plain_library_errors_are_bugs_too(error, caplog):
    @friendly("zh")
    def broken():
        raise error

    with caplog.at_level("ERROR", logger="app.shared.errors"), pytest.raises(gr.Error) as caught:
        broken()
    assert caught.value.message.startswith(f"内部错误（{type(error).__name__}），已记录为 ")
    assert "bad literal" not in caught.value.message  # a bug's own words are for the log
    assert len(caplog.records) == 1


def test_a_persons_mistake_in_the_app_is_a_domain_error(state):
    from app.tabs.tryit.predict import predict_text

    with pytest.raises(InputError, match="Pick at least one trained run"):
        predict_text(state, "a fine film", [])


def test_english_and_chinese_have_the_same_keys():
    table = translations()
    assert set(table["en"]) == set(table["zh"]) and set(EN) == set(ZH)
    settings = {f.name for f in dataclasses.fields(TrainConfig)} - set(forms.TOP_FIELDS)
    for method in METHODS.values():
        settings |= {f.name for f in dataclasses.fields(method.config_cls)}
    assert settings <= set(ZH_FIELDS), settings - set(ZH_FIELDS)


def test_the_page_reports_the_chosen_language():
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import HTMLResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def page(request):
        return HTMLResponse("<html><head><title>x</title></head></html>")

    web = Starlette(
        routes=[Route("/", page), Route("/other", page)],
        middleware=[Middleware(PreferLanguage, lang="zh")],
    )
    with TestClient(web) as client:
        html = client.get("/").text
        assert html.startswith("<html><head><script>") and "'zh-CN'" in html
        assert "<script>" not in client.get("/other").text


# ----------------------------------------------------------------------------- launch
def launch_args(*argv):
    from launch import build_parser

    return build_parser().parse_args(list(argv))


def test_a_public_host_without_auth_is_refused():
    from launch import check_args

    with pytest.raises(ValueError, match="--auth user:password"):
        check_args(launch_args("--host", "0.0.0.0"))
    check_args(launch_args("--host", "0.0.0.0", "--auth", "me:secret"))
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_args(launch_args("--host", host))


def test_launch_exits_with_a_message_for_bad_arguments(capsys):
    from launch import main, parse_auth

    with pytest.raises(SystemExit) as caught:
        main(["--host", "192.168.1.5"])
    assert caught.value.code == 2
    assert "refusing to serve on 192.168.1.5" in capsys.readouterr().err
    with pytest.raises(argparse.ArgumentTypeError):
        parse_auth("no-colon")
    assert parse_auth("me:a:b") == ("me", "a:b")


def test_launch_defaults():
    args = launch_args()
    assert (args.host, args.port, args.lang, args.auth, args.db) == (
        "127.0.0.1", 7860, "en", None, None,
    )  # fmt: skip


# ----------------------------------------------------------------------------- the whole app
def test_create_app_has_the_stable_ids_and_api_names(tmp_path):
    from app import create_app

    demo = create_app(db=tmp_path / "studio.db", lang="zh")
    ids = {block.elem_id for block in demo.blocks.values() if getattr(block, "elem_id", None)}
    expected = {"train-start", "train-stop", "monitor-plot", "tryit-text", "tryit-run"}
    assert expected | {"tryit-predict", "tryit-result"} <= ids
    endpoints = set(demo.get_api_info()["named_endpoints"])
    assert {"/train", "/stop", "/runs", "/predict"} <= endpoints
    assert isinstance(demo.ptune_state.store, Store)
