"""The page: one list of tabs behind one contract, one clock that refreshes only the tab shown
(each refresh skips what did not change), and signals between tabs (Start opens the Monitor)."""

from __future__ import annotations

from typing import Any

import gradio as gr
import pytest
from conftest import new_run

from app.studio import TABS, link_tabs
from app.tabs.clock import open_values, pace, tick_values, unique
from app.tabs.compare.tab import build_compare_tab
from app.tabs.contract import Receiver, Signal, TabParts
from app.tabs.fewshot.tab import build_fewshot_tab
from app.tabs.monitor.tab import build_monitor_tab
from app.tabs.sweep.tab import build_sweep_tab
from app.tabs.train.tab import TrainTab
from app.tabs.tryit.tab import build_tryit_tab

SKIP = gr.skip()
ORDER = ["train", "monitor", "sweep", "tryit", "compare", "fewshot"]


class Counted(TabParts):
    """A tab that redraws its one output with what it was given, counting its refreshes."""

    def __init__(self, tab_id: str, seconds: float | None = 1.0) -> None:
        super().__init__()
        self.id, self.title, self.poll_seconds = tab_id, f"tab_{tab_id}", seconds
        self.refresh_inputs, self.refresh_outputs = [object()], [object()]
        self.calls: list[tuple] = []

    def refresh(self, *values: Any) -> tuple:
        self.calls.append(values)
        return (f"{self.id} drew {values[0]}",)


# ----------------------------------------------------------------------------- the clock
def test_a_tick_refreshes_only_the_tab_shown():
    shown, hidden = Counted("a"), Counted("b")
    tabs = [shown, hidden]
    inputs = unique(c for tab in tabs for c in tab.refresh_inputs)
    outputs = unique(c for tab in tabs for c in tab.refresh_outputs)
    assert tick_values(shown, inputs, outputs, ["x", "y"]) == ("a drew x", SKIP)
    assert shown.calls == [("x",)] and hidden.calls == []
    assert tick_values(None, inputs, outputs, ["x", "y"]) == (SKIP, SKIP)


class Viewing(TabParts):
    """A tab whose view lives in a gr.State: a refresh changes it in place, or makes a new one
    when there is none yet."""

    def __init__(self) -> None:
        super().__init__()
        self.id, self.title, self.poll_seconds = "v", "tab_v", 1.0
        with gr.Blocks():
            self.view = gr.State(None)
        self.refresh_inputs = self.refresh_outputs = [self.view]

    def refresh(self, *values: Any) -> tuple:
        (view,) = values
        if view is None:
            return ({"ticks": 1},)
        view["ticks"] += 1
        return (view,)


def test_a_view_changed_in_place_is_not_written_back_over_a_newer_one():
    tab = Viewing()
    (made,) = tick_values(tab, tab.refresh_inputs, tab.refresh_outputs, [None])
    assert made == {"ticks": 1}  # a new view is stored
    view = {"ticks": 5}
    (written,) = tick_values(tab, tab.refresh_inputs, tab.refresh_outputs, [view])
    assert written == SKIP and view == {"ticks": 6}  # kept in place, not stored again
    assert open_values(tab, [view])[2] == SKIP


def test_a_tab_opened_is_recorded_set_to_its_pace_and_refreshed_at_once():
    tab = Counted("a", seconds=2.5)
    shown, timer, drawn = open_values(tab, ["x"])
    assert shown == "a" and drawn == "a drew x" and tab.calls == [("x",)]
    assert (timer.value, timer.active) == (2.5, True)


def test_a_tab_with_nothing_to_redraw_stops_the_clock():
    train = TrainTab()
    assert train.poll_seconds is None and train.refresh_outputs == []
    shown, timer = open_values(train, [])
    assert shown == "train" and timer.active is False
    assert pace(Counted("a", seconds=None)).active is False


def test_unique_keeps_each_component_once_in_order():
    first, second = object(), object()
    assert unique([first, second, first]) == [first, second]


# ----------------------------------------------------------------------------- the page
def test_the_page_has_one_timer_and_the_tabs_of_its_one_list(tmp_path):
    from app import create_app

    demo = create_app(db=tmp_path / "studio.db")
    assert sum(isinstance(block, gr.Timer) for block in demo.blocks.values()) == 1
    tabs = [block for block in demo.blocks.values() if isinstance(block, gr.Tab)]
    assert [tab.id for tab in tabs] == [make().id for make in TABS] == ORDER
    assert [tab.elem_id for tab in tabs] == [f"tab-{name}" for name in ORDER]
    names = [fn.name for fn in demo.fns.values()]
    assert names.count("on_tick") == 1
    assert {f"on_open_{name}" for name in ORDER} <= set(names)


def test_start_on_train_opens_the_monitor_through_the_contract(tmp_path):
    from app import create_app

    demo = create_app(db=tmp_path / "studio.db")
    fns = list(demo.fns.values())
    started = next(fn for fn in fns if fn.name == "on_started")
    plot = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "monitor-plot")
    assert plot in started.outputs
    opened = next(fn for fn in fns if fn.name == "show_tab")
    assert [type(block) for block in opened.outputs] == [gr.Tabs]
    assert opened.fn().selected == "monitor"


def test_a_signal_reaches_only_the_tabs_that_receive_it():
    with gr.Blocks() as demo:
        button, shown = gr.Button(), gr.Markdown()
        with gr.Tabs() as container, gr.Tab("a", id="a"):
            pass
        sender, receiver, bystander = Counted("s"), Counted("r"), Counted("b")
        sender.emits = {"done": Signal(button.click(lambda: None, None, None))}

        def on_done() -> tuple:
            return ("received",)

        def on_other() -> tuple:
            return ("not this one",)

        receiver.receives = {"done": Receiver(on_done, [shown], opens=False)}
        bystander.receives = {"other": Receiver(on_other, [shown])}
        link_tabs([sender, receiver, bystander], container)
    names = [fn.name for fn in demo.fns.values()]
    assert "on_done" in names and "on_other" not in names
    assert "show_tab" not in names  # the receiver does not open its tab


# ----------------------------------------------------------------------------- the tabs
def _again(tab: Any, drawn: tuple) -> tuple:
    """The tab's refresh inputs as the page holds them after ``drawn`` was shown."""
    by_id = {id(c): value for c, value in zip(tab.refresh_outputs, drawn, strict=True)}
    values = []
    for component in tab.refresh_inputs:
        value = by_id.get(id(component))
        values.append(value["value"] if isinstance(value, dict) and "value" in value else value)
    return tuple(values)


@pytest.mark.parametrize(
    "build",
    [
        build_monitor_tab,
        build_sweep_tab,
        build_fewshot_tab,
        build_tryit_tab,
        build_compare_tab,
    ],  # fmt: skip
)
def test_each_tab_draws_when_opened_then_skips_while_nothing_changed(state, build):
    finished = new_run(state.store, name="done")
    state.store.finish_run(finished, "succeeded", metrics={"eval_accuracy": 0.8})
    with gr.Blocks() as demo:
        tab = build(state, demo)
    assert tab.poll_seconds and len(tab.refresh_inputs) and len(tab.refresh_outputs)
    first = tab.refresh(*(None for _ in tab.refresh_inputs))
    assert len(first) == len(tab.refresh_outputs) and any(value != SKIP for value in first)
    second = tab.refresh(*_again(tab, first))
    assert second == tuple(SKIP for _ in tab.refresh_outputs)


def test_the_monitors_refresh_follows_a_run_that_ends(state):
    run_id = new_run(state.store, name="live")
    state.store.start_run(run_id)
    with gr.Blocks() as demo:
        tab = build_monitor_tab(state, demo)
    drawn = tab.refresh(*(None for _ in tab.refresh_inputs))
    assert drawn[tab.refresh_outputs.index(tab.status)].endswith("running")
    again = _again(tab, drawn)
    assert tab.refresh(*again) == tuple(SKIP for _ in tab.refresh_outputs)
    state.store.finish_run(run_id, "succeeded", metrics={"eval_accuracy": 0.9})
    redrawn = tab.refresh(*again)
    assert "succeeded" in redrawn[tab.refresh_outputs.index(tab.status)]
    run_picker = redrawn[tab.refresh_outputs.index(tab.diagnose["run"])]
    assert run_picker["value"] == run_id  # the run shown, now finished, is ready to diagnose
