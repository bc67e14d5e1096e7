"""The Sweep page (app_pages/sweep.py, app/server/sweeps.py) driven headless, and its figure builders
(app/figures/sweep.py)."""

import csv
import io
import math
import os

import numpy as np
import pytest

import nncore
from app.figures import sweep as sweep_figures
from app.server import sweeps, trainer
from nncore.config import BOUNDS
from nncore.lab.sweep import Cell, Sweep
from tests.app.conftest import PAGES, errors, session_runs
from tests.listeners import Listener


@pytest.fixture
def page(app):
    """The sweep page of a fresh session, 3 epochs per run."""
    app.number_input(key="setting_epochs").set_value(3)
    return app.switch_page(PAGES["sweep"]).run()


def grid(at, first="hidden", first_values="8, 16", second="lr", second_values="0.05, 0.1"):
    at.selectbox(key="sweep_first").set_value(first)
    at.selectbox(key="sweep_second").set_value(second).run()
    for name, values in ((first, first_values), (second, second_values)):
        if name != "none" and not BOUNDS[name].choices:
            at.text_input(key=f"sweep_{name}_list").set_value(values)
    return at.run()


def run_sweep(at):
    at.button(key="sweep_run").click()
    return at.run()


def record(at):
    return at.session_state["sweep_record"]


def figures(at):
    return [chart.proto.spec for chart in at.get("plotly_chart")]


def test_before_running_the_page_says_how_many_runs_and_how_long(page):
    grid(page, second_values="0.01, 0.05, 0.1")
    assert not page.exception and not errors(page)
    (summary,) = [m.value for m in page.markdown if m.value.startswith("**")]
    assert summary.startswith("**6 runs** (2 × 3: hidden units × learning rate) · about **")
    assert " on 2 processes on this machine" in summary or "process" in summary
    assert any("Estimated seconds of each run" in spec for spec in figures(page))
    assert not page.button(key="sweep_run").disabled


@pytest.mark.parametrize("start, words", [(0.0, " on 2 processes on this machine"),
                                           (60.0, " on this server's own process, one run after the other")])
def test_the_page_says_where_the_sweep_will_run_small_ones_in_the_servers_process(page, monkeypatch, start, words):
    monkeypatch.setattr(nncore.lab.pools, "start_seconds", lambda local, slots: start)
    monkeypatch.setattr(sweeps, "jobs", lambda: 2)
    grid(page, second_values="0.01, 0.05, 0.1")
    (summary,) = [m.value for m in page.markdown if m.value.startswith("**")]
    assert words in summary
    run_sweep(page)
    workers = {cell.worker.split(":")[1] for cell in record(page).finished}
    assert (workers == {str(os.getpid())}) is (start > 0), "in this process exactly when it says so"


def test_the_page_starts_the_workers_as_it_is_shown(app, monkeypatch):
    started = []
    monkeypatch.setattr(nncore.lab.pools, "warm_up", started.append)
    monkeypatch.setattr(sweeps, "jobs", lambda: 2)
    app.run()
    assert started == [], "the first page starts no workers"
    app.switch_page(PAGES["sweep"]).run()
    assert started and set(started) == {2}


@pytest.mark.parametrize("values, words", [("0, 16", "hidden must be 1 to 2048"), ("16, x", "'x' is not a whole")])
def test_bad_values_say_what_is_wrong_and_nothing_can_run(page, values, words):
    grid(page, first_values=values)
    assert any(words in e for e in errors(page))
    assert page.button(key="sweep_run").disabled


def test_a_shared_server_refuses_a_sweep_whose_runs_together_are_over_the_budget(page, monkeypatch):
    grid(page)
    axes = (nncore.lab.sweep.Axis("hidden", (8, 16)), nncore.lab.sweep.Axis("lr", (0.05, 0.1)))
    estimate = nncore.lab.sweep.Sweep(nncore.TrainConfig(epochs=3), axes).estimate()
    budget = 0.9 * estimate.training  # each run is within it, the four together are not
    assert max(estimate.per_cell) < budget
    monkeypatch.setenv("DIGITS_SHARED", "1")
    monkeypatch.setenv("DIGITS_TRAINING_BUDGET", str(budget))
    grid(page)
    assert any("This server is shared" in e and "these 4 runs would take about" in e for e in errors(page))
    assert page.button(key="sweep_run").disabled
    monkeypatch.delenv("DIGITS_SHARED")  # not shared: the estimate shown above the button is the warning
    assert not page.run().button(key="sweep_run").disabled


def test_a_2x2_sweep_adds_each_run_to_the_session_and_the_shared_cache_and_shows_heatmaps(page):
    run_sweep(grid(page))
    assert not page.exception and not errors(page)
    rec = record(page)
    assert rec.state == "finished" and len(rec.finished) == 4 and not rec.missing
    names = {config.name for config in rec.sweep.configs()}
    assert {run.name for run in session_runs(page)} == names
    assert {run.source for run in session_runs(page)} == {"sweep"}
    for run in session_runs(page):
        assert trainer.shared_cache().get(run.key) is run.result, "the very run is in the shared cache"
    best = nncore.lab.sweep.best(rec.finished)
    assert page.selectbox(key="selected_run").value == best.config.name, "the best run is selected"
    specs = figures(page)
    assert sum("Validation accuracy" in s or "Test accuracy" in s for s in specs) == 2
    assert any('"type":"parcoords"' in s.replace(" ", "") for s in specs)
    table = page.dataframe[0].value
    assert len(table) == 4 and list(table["best"]).count("★") == 1
    assert table.loc[table["best"] == "★", "command"].item() == best.config.command()


def test_the_results_table_downloads_as_csv(page):
    run_sweep(grid(page))
    rows = list(csv.DictReader(io.StringIO(sweeps.csv_text(record(page)))))
    assert len(rows) == 4 and {"hidden", "lr", "val_accuracy", "test_accuracy", "command"} <= set(rows[0])


def test_seeds_as_the_second_setting_give_a_line_with_error_bars(page):
    run_sweep(grid(page, second="seed", second_values="0, 1"))
    assert not page.exception and not errors(page)
    (line,) = [s for s in figures(page) if "Accuracy over 2 seeds" in s]
    assert '"error_y"' in line
    assert list(page.dataframe[0].value["best"]).count("★") == 2, "both seeds of the best setting"


def test_one_setting_gives_a_line(page):
    run_sweep(grid(page, first="activation", second="none"))
    assert not page.exception and not errors(page)
    assert len(record(page).finished) == 4, "every activation by default"
    assert any('"title":{"text":"Accuracy"}' in s.replace(" ", "") for s in figures(page))


def test_a_range_with_log_spacing_sets_the_values(page):
    grid(page, first="lr", second="none")
    page.radio(key="sweep_lr_mode").set_value("a range").run()
    page.number_input(key="sweep_lr_low").set_value(0.001)
    page.number_input(key="sweep_lr_high").set_value(0.1)
    page.number_input(key="sweep_lr_count").set_value(3).run()
    run_sweep(page)
    assert [cell.config.lr for cell in record(page).finished] == [0.001, 0.01, 0.1]


def test_a_stopped_sweep_trains_only_the_remaining_runs(page):
    run_sweep(grid(page))
    rec = record(page)
    kept = rec.cells.pop(3)          # as if Stop came before the last run finished
    rec.state = "stopped"
    page.run()
    assert page.button(key="sweep_run").label == "Run the remaining 1 runs"
    assert any("Stopped: 3 of 4 runs" in c.value for c in page.caption)
    run_sweep(page)
    assert record(page) is rec and rec.state == "finished" and list(rec.started) == [3]
    assert rec.cells[3] == kept, "the run trained again is the identical run"


def reopened(at):
    """A new session opened on ``at``'s link (its query parameters), on its Sweep page; the server's
    shared cache is kept, as a reload's is."""
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT
    fresh = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    fresh.query_params.update(dict(at.query_params))
    return fresh.run().switch_page(PAGES["sweep"]).run()


def small_grid(at):
    at.number_input(key="setting_hidden").set_value(8)
    return grid(at, first="hidden", first_values="4, 8", second="seed", second_values="0, 1")


def test_a_reload_brings_the_last_sweep_back_from_its_runs_with_its_boxes(page):
    run_sweep(small_grid(page))
    before = record(page)
    assert before.state == "finished" and "sweep" in page.query_params
    again = reopened(page)
    assert not again.exception and not errors(again)
    after = record(again)
    assert after is not before and after.sweep == before.sweep
    assert after.state == "finished" and after.finished == before.finished, "the same cells, the same scores"
    assert any("Finished: 4 of 4 runs, back with the link" in c.value for c in again.caption)
    assert any("Accuracy over 2 seeds" in spec for spec in figures(again))
    assert len(again.dataframe) == 1 and len(again.dataframe[0].value) == 4
    assert (again.selectbox(key="sweep_first").value, again.selectbox(key="sweep_second").value) == ("hidden", "seed")
    assert (again.text_input(key="sweep_hidden_list").value, again.text_input(key="sweep_seed_list").value) == \
        ("4, 8", "0, 1")
    assert again.button(key="sweep_run").label == "Run sweep", "nothing remains to run"
    assert dict(again.query_params) == dict(page.query_params), "the reloaded session writes the link it came from"


def test_the_boxes_are_preset_once_and_a_later_change_is_the_learners(page):
    again = reopened(run_sweep(small_grid(page)))
    again.text_input(key="sweep_seed_list").set_value("0, 1, 2").run()
    again.run()
    assert again.text_input(key="sweep_seed_list").value == "0, 1, 2"
    assert again.button(key="sweep_run").label == "Run sweep"


def test_a_reload_whose_runs_the_server_let_go_offers_the_remaining_ones(page):
    run_sweep(small_grid(page))
    sweep = record(page).sweep
    gone = {config.name for config in sweep.configs()[1:3]}
    page.query_params["run"] = [run.key for run in session_runs(page) if run.name not in gone]
    for name in gone:  # nor does the server's cache hold them any more
        trainer.shared_cache()._runs.pop(next(run.key for run in session_runs(page) if run.name == name))
    again = reopened(page)
    after = record(again)
    assert after.state == "stopped" and sorted(after.cells) == [0, 3] and after.came_back == 2
    assert again.button(key="sweep_run").label == "Run the remaining 2 runs"
    assert any("2 of 4 runs of this sweep came back with the link" in i.value and "Run the remaining 2 runs" in i.value
               for i in again.info)
    assert any("Stopped: 2 of 4 runs, back with the link" in c.value for c in again.caption)
    run_sweep(again)
    assert record(again) is after and after.state == "finished" and sorted(after.started) == [1, 2]
    assert after.finished == record(page).finished, "the runs trained again are the identical runs"
    assert not any("came back with the link" in i.value for i in again.info)


def test_a_link_with_a_sweep_whose_runs_are_all_gone_trains_nothing_and_says_so(page, monkeypatch):
    trained = []
    monkeypatch.setattr(nncore.lab.sweep, "train_cell", lambda *args, **kwargs: trained.append(args))
    page.query_params.update({"epochs": "3", "hidden": "8", "sweep": "hidden:4/8,seed:0/1",
                              "sweep_base": "epochs:3,hidden:8"})
    again = reopened(page)
    assert not again.exception and trained == [] and record(again).cells == {}
    assert any("None of the 4 runs of this sweep came back" in i.value for i in again.info)
    assert again.button(key="sweep_run").label == "Run the remaining 4 runs"


def test_a_session_without_a_sweep_gets_no_record_on_its_sweep_page(page):
    assert "sweep_record" not in page.session_state and "sweep" not in page.query_params
    assert any("No sweep yet" in i.value for i in page.info)


def test_open_brings_a_run_back_and_selects_it(page):
    run_sweep(grid(page))
    session_runs(page).clear()
    first = record(page).finished[0].config
    page.selectbox(key="sweep_open").set_value(record(page).sweep.label(first))
    page.button(key="sweep_open_button").click().run()
    assert [run.name for run in session_runs(page)] == [first.name]
    assert page.selectbox(key="selected_run").value == first.name


def test_more_runs_than_the_app_allows_point_to_the_command_line(page):
    grid(page, first_values="8:64:7", second_values="0.01:0.1:6")
    assert any("at most 36 runs" in w.value and "python main.py sweep" in w.value for w in page.warning)
    assert page.button(key="sweep_run").disabled


def test_a_grid_over_the_apps_limit_is_refused_before_any_run_is_estimated(page, monkeypatch):
    # 50 widths x 20 batches of augmented digits: 1,000 runs, each a step to measure (minutes of the server's CPU)
    estimated = []
    monkeypatch.setattr(nncore.lab.sweep, "estimate_seconds", lambda config: estimated.append(config) or 1.0)
    widths, batches = (",".join(str(top - i) for i in range(count)) for top, count in ((2048, 50), (4096, 20)))
    grid(page, "hidden", widths, "batch", batches)
    estimated.clear()  # the 3 x 3 grid on the way there was estimated, as it should be
    page.run()
    assert any("1000 runs" in w.value and "at most 36" in w.value for w in page.warning)
    assert page.button(key="sweep_run").disabled
    assert estimated == []


def test_the_best_run_can_be_trained_beside_scikit_learn(page):
    run_sweep(grid(page))
    page.button(key=f"sklearn-beside-{nncore.lab.sweep.best(record(page).finished).config.name}").click().run()
    assert not page.exception
    assert any("Beside scikit-learn's MLPClassifier" in m.value for m in page.markdown)


# --- figure builders ------------------------------------------------------------------------------

def test_a_scheduler_that_never_answers_leaves_the_page_usable_and_sweeps_run_here(app, monkeypatch):
    """The page must not wait for a Client that never returns while it holds the cached call's lock:
    every session's Sweep page would hang (AppTest's timeout fails it)."""
    with Listener() as silent:
        monkeypatch.setenv("DIGITS_DASK_SCHEDULER", silent.address)
        at = app.switch_page(PAGES["sweep"]).run()
        assert not at.exception
        said = [warning.value for warning in at.warning]
        assert f"Connecting to the Dask cluster at {silent.address}: until it answers, sweeps run on this machine." \
            in said
        assert any("process" in m.value and "on this machine" in m.value for m in at.markdown)
        assert not at.button(key="sweep_run").disabled
        connection = sweeps._connection(silent.address)
        connection._thread.join(120)  # the background attempt gives up after its deadline
        said = [warning.value for warning in at.run().warning]
    assert any(text.startswith(f"The Dask cluster at {silent.address} is unreachable, so sweeps run on this machine: "
                               f"the Dask scheduler at {silent.address} did not answer within") for text in said), said


def test_heatmap_writes_each_accuracy_and_outlines_the_best():
    z = np.array([[0.9, 0.95], [np.nan, 0.8]])
    fig = sweep_figures.accuracy_heatmap(z, ["8", "16"], ["0.1", "0.5"], "hidden", "lr", "Validation accuracy",
                                         best=(1, 0), zrange=(0.5, 1.0))
    heat = fig.data[0]
    assert [list(row) for row in heat.text] == [["90.0%", "95.0%"], ["", "80.0%"]]
    assert (heat.zmin, heat.zmax) == (0.5, 1.0)
    (rect,) = fig.layout.shapes
    assert (rect.x0, rect.x1, rect.y0, rect.y1) == (0.5, 1.5, -0.5, 0.5)


def test_lines_carry_error_bars_when_given_and_star_the_best():
    fig = sweep_figures.accuracy_lines(["8", "16"], "hidden", {"validation": ([0.9, 0.95], [0.01, 0.02]),
                                                               "test": ([0.88, 0.93], None)}, "Accuracy", best=1)
    assert list(fig.data[0].error_y.array) == [0.01, 0.02] and fig.data[1].error_y.array is None
    assert fig.data[2].marker.symbol == "star" and list(fig.data[2].y) == [0.95]


def test_parallel_coordinates_name_each_swept_value():
    sweep = Sweep.of(nncore.TrainConfig(), hidden=(8, 16), activation=("relu", "tanh"))
    cells = [Cell(i, c, 0.9, 0.8, 3, 3, "completed", 0.1, "x") for i, c in enumerate(sweep.configs())]
    cells[3] = Cell(3, sweep.configs()[3], math.nan, 0.1, 0, 1, "diverged", 0.1, "x")
    fig = sweep_figures.every_run(sweep, cells, {"hidden": "Hidden units", "activation": "Activation"})
    dims = fig.data[0].dimensions
    assert [d.label for d in dims] == ["Hidden units", "Activation", "validation accuracy", "test accuracy", "seconds"]
    assert list(dims[1].ticktext) == ["relu", "tanh"] and list(dims[1].values) == [0, 1, 0, 1]
    assert list(dims[2].values) == [0.9, 0.9, 0.9, 0.0], "a run without a finished epoch sits at 0"
    assert dims[2].tickformat == dims[3].tickformat == ".1%", "accuracies read as percentages, as everywhere"


def test_parallel_coordinates_fit_a_phone_labels_leaning_and_the_colour_bar_under_the_axes():
    """At 390 px the five axes stand about 50 px apart: level labels ran into each other, and a
    vertical colour bar at the side took a third of the width (checked by screenshot)."""
    sweep = Sweep.of(nncore.TrainConfig(), hidden=(8, 16), lr=(0.1, 0.5))
    cells = [Cell(i, c, 0.9, 0.8, 3, 3, "completed", 0.1, "x") for i, c in enumerate(sweep.configs())]
    trace = sweep_figures.every_run(sweep, cells, {"hidden": "Hidden units", "lr": "Learning rate"}).data[0]
    assert trace.labelangle != 0
    bar = trace.line.colorbar
    assert bar.orientation == "h" and bar.title.text == "validation accuracy" and bar.title.side == "top"


def test_the_estimate_chart_is_a_heatmap_over_two_settings_and_bars_over_one():
    two = Sweep.of(nncore.TrainConfig(), hidden=(8, 16, 32), lr=(0.1, 0.5))
    fig = sweep_figures.estimate_chart(two, (1, 2, 3, 4, 5, 6), {"hidden": "Hidden units", "lr": "Learning rate"})
    assert fig.data[0].type == "heatmap" and np.array(fig.data[0].z).tolist() == [[1, 3, 5], [2, 4, 6]]
    one = Sweep.of(nncore.TrainConfig(), hidden=(8, 16))
    assert sweep_figures.estimate_chart(one, (1, 2), {"hidden": "Hidden units"}).data[0].type == "bar"


def test_the_boxes_keep_their_grid_across_a_page_switch(page):
    """Streamlit forgets a widget that a script run does not draw: the page keeps its boxes' values."""
    at = grid(page, "batch", "16, 32", "seed", "0, 1, 2")
    at.radio(key="sweep_batch_mode").set_value("a range").run()
    at.number_input(key="sweep_batch_high").set_value(128).run()
    at.switch_page(PAGES["compare"]).run()
    at.switch_page(PAGES["sweep"]).run()
    assert (at.selectbox(key="sweep_first").value, at.selectbox(key="sweep_second").value) == ("batch", "seed")
    assert at.radio(key="sweep_batch_mode").value == "a range" and at.number_input(key="sweep_batch_high").value == 128
    assert at.text_input(key="sweep_seed_list").value == "0, 1, 2"
