"""nncore/lab/sweep.py and `main.py sweep`: the grid, its values, the estimate, the parallel run and
its stop, the summaries, the CSV, and the command line end to end."""

import csv
import dataclasses
import io
import math
import os
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import main
import nncore
from nncore import TrainConfig
from nncore.config import BOUNDS
from nncore.lab.sweep import Axis, Cell, Sweep, SweepError, parse_values, value_range
from tests.listeners import GARBAGE, Listener

ROOT = Path(__file__).resolve().parents[1]
QUICK = TrainConfig(epochs=3, hidden=16)


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def cell(index, val, test=0.9, config=QUICK):
    return Cell(index, config, val, test, 3, 3, "completed", 0.1, "here:1")


# --- values ---------------------------------------------------------------------------------------

def test_a_list_of_values_is_parsed_and_checked_per_setting():
    assert parse_values("hidden", "16, 64,256") == (16, 64, 256)
    assert parse_values("lr", "0.01,0.1") == (0.01, 0.1)
    assert parse_values("activation", "relu, tanh") == ("relu", "tanh")
    assert parse_values("seed", "3") == (3,)


def test_repeated_values_count_once():
    assert parse_values("hidden", "16,16,32") == (16, 32)


def test_a_range_is_linear_or_log_and_whole_numbers_stay_whole():
    assert parse_values("hidden", "16:256:5") == (16, 76, 136, 196, 256)
    assert parse_values("lr", "0.001:1:4:log") == (0.001, 0.01, 0.1, 1.0)
    assert value_range("batch", 1, 4, 10) == (1, 2, 3, 4)  # rounded, repeats dropped


@pytest.mark.parametrize("name, text, words", [
    ("hidden", "0,16", "hidden must be 1 to 2048"),
    ("hidden", "16.5", "hidden: '16.5' is not a whole number"),
    ("lr", "fast", "lr: 'fast' is not a number"),
    ("activation", "relu,swish", "activation must be one of"),
    ("lr", "0:1:3:log", "lr must be"),
    ("l2", "0:1:3:log", "a log range must start above 0"),
    ("hidden", "16:64:x", "count of a range must be a whole number"),
    ("hidden", "16:64:0", "a range has 1 to"),
    ("activation", "relu:tanh:2", "write a list"),
    ("hidden", " , ", "no values"),
    ("width", "1,2", "there is no setting 'width'"),
])
def test_bad_values_raise_a_sentence_naming_the_setting(name, text, words):
    with pytest.raises(nncore.NNCoreError, match=words):
        parse_values(name, text)


# --- the grid -------------------------------------------------------------------------------------

def test_cells_are_every_combination_first_axis_slowest():
    sweep = Sweep.of(QUICK, hidden=(16, 32), lr=(0.01, 0.1, 0.5))
    configs = sweep.configs()
    assert sweep.cells == len(configs) == 6
    assert [(c.hidden, c.lr) for c in configs] == [(16, 0.01), (16, 0.1), (16, 0.5), (32, 0.01), (32, 0.1), (32, 0.5)]
    assert all(c.epochs == 3 for c in configs)
    assert sweep.label(configs[4]) == "hidden 32 · lr 0.1"


def test_any_setting_can_be_swept_including_choices():
    sweep = Sweep.of(QUICK, activation=("relu", "tanh"), schedule=("constant", "cosine"), optimizer=("sgd", "adam"))
    assert {(c.activation, c.schedule, c.optimizer) for c in sweep.configs()} == {
        (a, s, o) for a in ("relu", "tanh") for s in ("constant", "cosine") for o in ("sgd", "adam")}


def test_a_grid_refuses_a_setting_twice_and_too_many_cells():
    with pytest.raises(SweepError, match="swept once"):
        Sweep(QUICK, (Axis("lr", (0.1,)), Axis("lr", (0.2,))))
    with pytest.raises(SweepError, match="more than a sweep may have"):
        Sweep.of(QUICK, hidden=range(1, 41), lr=[0.01 * k for k in range(1, 30)])
    with pytest.raises(nncore.ConfigError, match="hidden must be"):
        Axis("hidden", (0,))


def test_the_estimate_sums_each_cells_estimate_and_spreads_them_over_the_workers():
    sweep = Sweep.of(QUICK, hidden=(16, 256, 1024))
    estimate = sweep.estimate(workers=2)
    each = [nncore.estimate_seconds(config) for config in sweep.configs()]
    assert estimate.per_cell == pytest.approx(each, rel=1e-9)
    assert estimate.training == pytest.approx(sum(each))
    assert estimate.workers == 2
    assert estimate.wall == pytest.approx(max(each[0] + each[2], each[1]))  # the third goes to the first free worker
    assert sweep.estimate(workers=8).workers == 3


# --- running --------------------------------------------------------------------------------------

@pytest.fixture
def workers_ready(monkeypatch):
    """Workers that start at once: every sweep of more than one cell at a time goes to them."""
    monkeypatch.setattr(nncore.lab.pools, "start_seconds", lambda local, slots: 0.0)


def test_a_sweep_trains_every_cell_in_other_processes_exactly_as_train_does(workers_ready):
    sweep = Sweep.of(QUICK, hidden=(8, 16), lr=(0.05, 0.1))
    cells = sorted(nncore.lab.sweep.run(sweep, n_jobs=2, keep_results=True), key=lambda c: c.index)
    assert [c.index for c in cells] == [0, 1, 2, 3]
    assert all(c.worker.split(":")[1] != str(os.getpid()) for c in cells), "trained in the pool's processes"
    for c, config in zip(cells, sweep.configs(), strict=True):
        here = nncore.train(config)
        assert c.config == config
        assert (c.val_accuracy, c.test_accuracy, c.best_epoch) == (here.best_val_accuracy, here.test_accuracy,
                                                                  here.best_epoch)
        assert c.result.history == here.history
        for theirs, ours in zip(c.result.models, here.models, strict=True):
            for name, array in ours.parameters().items():
                assert np.array_equal(theirs.parameters()[name], array), name


def test_a_sweep_whose_workers_would_save_less_than_they_take_to_start_trains_here(monkeypatch):
    sweep = Sweep.of(QUICK, hidden=(8, 16), lr=(0.05, 0.1))
    monkeypatch.setattr(nncore.lab.pools, "start_seconds", lambda local, slots: 60.0)
    cells = sorted(nncore.lab.sweep.run(sweep, n_jobs=2, keep_results=True), key=lambda c: c.index)
    assert all(c.worker.split(":")[1] == str(os.getpid()) for c in cells), "trained in this process"
    for c, config in zip(cells, sweep.configs(), strict=True):
        assert c.config == config and c.result.history == nncore.train(config).history


def test_in_this_process_a_held_back_cell_waits_its_turn_and_a_stop_ends_the_sweep(monkeypatch):
    monkeypatch.setattr(nncore.lab.pools, "start_seconds", lambda local, slots: 60.0)
    sweep, asked, stop, items = Sweep.of(QUICK, seed=(0, 1, 2)), [], threading.Event(), []

    def admit(index):
        asked.append(index)
        return len(asked) > 1

    for item in nncore.lab.sweep.run(sweep, n_jobs=2, poll=0.01, stop=stop, admit=admit):
        items.append(item)
        if item is not None:
            stop.set()
    assert items[0] is None and [c.index for c in items[1:]] == [0], "held back once, then one cell, then stopped"
    assert items[1].worker.endswith(f":{os.getpid()}")


@pytest.mark.parametrize("start, here", [(1.99, False), (2.0, False), (2.01, True)])
def test_in_process_exactly_when_the_workers_save_less_than_their_start(monkeypatch, start, here):
    monkeypatch.setattr(nncore.lab.sweep, "estimate_seconds", lambda config: 1.0)
    monkeypatch.setattr(nncore.lab.pools, "start_seconds", lambda local, slots: start)
    sweep = Sweep.of(QUICK, seed=(0, 1, 2, 3))  # 4 s of training; on 2 workers 2 s: they save 2 s
    assert nncore.lab.sweep.in_process(sweep, 2) is here
    assert nncore.lab.sweep.in_process(sweep, 2, only=[0, 1, 2, 3]) is here
    assert nncore.lab.sweep.in_process(sweep, 2, only=[0]) is (start > 0), "one cell: workers save nothing"


def test_a_sweep_from_the_command_line_forks_workers_with_the_digits_read():
    code = ("import os, nncore, nncore.lab.sweep, nncore.lab.pools as pools\n"
            "sweep = nncore.lab.sweep.Sweep.of(nncore.TrainConfig(epochs=40, hidden=256), seed=(0, 1, 2, 3))\n"
            "assert not nncore.lab.sweep.in_process(sweep, 2, 'forked')\n"
            "cells = list(nncore.lab.sweep.run(sweep, n_jobs=2, local='forked'))\n"
            "pids = {int(c.worker.split(':')[1]) for c in cells}\n"
            "with pools.local_pool('forked', 2) as pool:\n"
            "    parent = pool.submit(os.getppid).result()\n"
            "    read = pool.submit(eval, '__import__(\"nncore\").data.split.cache_info().currsize').result()\n"
            "print(len(cells), os.getpid() not in pids, parent == os.getpid(), read)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.stdout.split() == ["4", "True", "True", "4"], out.stderr  # the 4 seeds' splits, read before forking


def test_cells_come_without_their_run_unless_asked():
    (only,) = nncore.lab.sweep.run(Sweep.of(QUICK, seed=(0,)), n_jobs=1)
    assert only.result is None and only.row()["command"] == QUICK.command()


def test_known_cells_are_the_grids_runs_found_with_the_scores_training_gave_them():
    sweep = Sweep.of(TrainConfig(epochs=2, hidden=4), seed=(0, 1, 2))
    trained = {c.config: c for c in nncore.lab.sweep.run(sweep, n_jobs=1, keep_results=True)}
    configs = sweep.configs()
    held = {configs[0]: trained[configs[0]].result, configs[2]: trained[configs[2]].result}
    found = nncore.lab.sweep.known_cells(sweep, held.get)
    assert sorted(found) == [0, 2], "the cell whose run is not held is left out"
    for cell in found.values():
        assert cell == dataclasses.replace(trained[cell.config], result=None), "the very scores of the run"
        assert cell.result is None


def test_known_cells_ignore_a_run_stopped_early_or_of_other_settings():
    sweep = Sweep.of(TrainConfig(epochs=3, hidden=4), seed=(0,))
    stopped = nncore.train(sweep.configs()[0], callback=lambda stats: stats.epoch == 1)
    assert stopped.stopped_early
    assert nncore.lab.sweep.known_cells(sweep, lambda config: stopped) == {}
    other = nncore.train(TrainConfig(epochs=1, hidden=4))
    assert nncore.lab.sweep.known_cells(sweep, lambda config: other) == {}


def test_a_stop_starts_no_new_cell_and_keeps_the_ones_running():
    sweep = Sweep.of(QUICK, seed=tuple(range(8)))
    stop, started, cells = threading.Event(), [], []
    for c in nncore.lab.sweep.run(sweep, n_jobs=2, stop=stop, on_start=started.append):
        cells.append(c)
        stop.set()
    assert len(cells) == len(started) <= 3, "the cell that finished and the ones already running"
    assert sorted(c.index for c in cells) == sorted(started)


def test_only_the_given_cells_are_trained():
    sweep = Sweep.of(QUICK, seed=(0, 1, 2, 3))
    assert sorted(c.index for c in nncore.lab.sweep.run(sweep, n_jobs=2, only=[3, 1])) == [1, 3]


def test_with_poll_the_caller_hears_back_while_cells_run(workers_ready):
    sweep = Sweep.of(TrainConfig(epochs=60, hidden=256, batch=16), seed=(0,))
    items = list(nncore.lab.sweep.run(sweep, n_jobs=1, poll=0.01))
    assert items[-1] is not None and items.count(None) >= 1


# --- summaries ------------------------------------------------------------------------------------

def test_the_best_cell_is_chosen_by_validation_never_by_test():
    cells = [cell(0, 0.90, test=0.99), cell(1, 0.95, test=0.90), cell(2, 0.95, test=0.97), cell(3, math.nan)]
    assert nncore.lab.sweep.best(cells).index == 1, "highest validation accuracy; on a tie the earlier cell"
    assert nncore.lab.sweep.best([]) is None


def test_over_seeds_gives_mean_and_spread_per_setting():
    sweep = Sweep.of(QUICK, hidden=(8, 16), seed=(0, 1))
    configs = sweep.configs()
    cells = [cell(i, val, config=configs[i]) for i, val in enumerate([0.80, 0.90, 0.95, 0.97])]
    points = nncore.lab.sweep.over_seeds(sweep, cells)
    assert [p.settings for p in points] == [(("hidden", 8),), (("hidden", 16),)]
    assert points[0].val_mean == pytest.approx(0.85) and points[0].val_std == pytest.approx(0.05)
    assert points[1].seeds == 2 and points[1].label == "hidden 16"
    assert nncore.lab.sweep.best_point(points) is points[1]


def test_grid_places_each_cell_by_its_settings_and_leaves_unfinished_ones_nan():
    sweep = Sweep.of(QUICK, hidden=(8, 16, 32), lr=(0.1, 0.5))
    cells = [cell(i, i / 10) for i in (0, 3, 5)]
    grid = nncore.lab.sweep.grid(sweep, cells, "val_accuracy")
    assert grid.shape == (2, 3)                     # (second axis, first axis)
    assert grid[0, 0] == 0.0 and grid[1, 1] == pytest.approx(0.3) and grid[1, 2] == pytest.approx(0.5)
    assert np.isnan(grid[0, 1])


def test_csv_has_every_setting_the_scores_and_the_command():
    sweep = Sweep.of(QUICK, hidden=(8, 16))
    cells = [cell(1, 0.9, config=sweep.configs()[1]), cell(0, 0.8, config=sweep.configs()[0])]
    text = io.StringIO()
    nncore.lab.sweep.write_csv(cells, text)
    rows = list(csv.DictReader(io.StringIO(text.getvalue())))
    assert [row["cell"] for row in rows] == ["1", "2"]
    assert set(BOUNDS) <= set(rows[0]) and rows[1]["hidden"] == "16" and rows[1]["val_accuracy"] == "0.9"
    assert rows[1]["command"] == "python main.py --epochs 3 --hidden 16"


# --- the command line -----------------------------------------------------------------------------

def test_every_sidebar_setting_is_a_flag_and_a_runs_command_trains_that_run():
    from app.widgets.sidebar import MAIN, MORE

    assert sorted(MAIN + MORE) == sorted(BOUNDS)
    config = TrainConfig(epochs=7, hidden=33, lr=0.02, batch=10, seed=5, val_share=0.25, augment=1, ensemble=2,
                         activation="tanh", optimizer="momentum", momentum=0.8, l2=0.001, schedule="cosine", patience=3)
    args = main.train_parser().parse_args(shlex.split(config.command())[2:])
    assert TrainConfig(**{name: getattr(args, name) for name in BOUNDS}) == config
    swept = main.sweep_parser().parse_args(shlex.split(config.command())[2:])
    assert TrainConfig(**{name: getattr(swept, name)[0] for name in BOUNDS}) == config


def test_sweep_prints_a_line_per_cell_a_summary_and_writes_the_csv(tmp_path):
    out = tmp_path / "grid" / "cells.csv"
    done = cli("sweep", "--hidden", "8,16", "--lr", "0.05,0.1", "--epochs", "3", "--jobs", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    cell_lines = [line for line in lines if line.startswith("[")]
    assert len(cell_lines) == 4 and all(" val " in line and " test " in line and line.endswith(" s")
                                        for line in cell_lines)
    assert lines[0].startswith("sweep of 4 runs: hidden 8, 16 × lr 0.05, 0.1")
    assert any(line.startswith("best: hidden ") and "python main.py --epochs 3" in line for line in lines)
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 4 and {row["hidden"] for row in rows} == {"8", "16"}
    best = max(rows, key=lambda row: float(row["val_accuracy"]))
    assert nncore.train(TrainConfig(epochs=3, hidden=int(best["hidden"]), lr=float(best["lr"]))).best_val_accuracy \
        == float(best["val_accuracy"])


@pytest.mark.parametrize("jobs, words", [("1", "in this process, one after the other"),
                                         ("2", "on 2 worker processes forked from this one")])
def test_sweep_says_where_its_runs_train_and_trains_them_there(tmp_path, jobs, words):
    out = tmp_path / "cells.csv"
    done = cli("sweep", "--hidden", "256,512", "--seed", "0,1", "--epochs", "40", "--jobs", jobs, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert words in done.stdout.splitlines()[1]
    workers = {row["worker"].split(":")[1] for row in csv.DictReader(out.open())}
    assert 1 <= len(workers) <= int(jobs), "one process here; with 2 jobs, the two forked workers"


def test_sweep_over_seeds_summarizes_mean_and_spread():
    done = cli("sweep", "--hidden", "8,16", "--seeds", "0,1", "--epochs", "2")
    assert done.returncode == 0, done.stderr
    assert "over the seeds (mean ± standard deviation" in done.stdout
    assert "best on average over the seeds: hidden " in done.stdout


@pytest.mark.parametrize("args", [["--hidden", "0,8"], ["--lr", "x"], ["--activation", "relu,swish"],
                                  ["--jobs", "0"], ["--hidden", "1:2048:50", "--lr", "0.001:1:50:log"]])
def test_sweep_refuses_bad_arguments_in_one_line_with_exit_2(args):
    done = cli("sweep", *args)
    assert done.returncode == 2, done.stdout
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_sweep_on_an_unreachable_scheduler_says_so(monkeypatch):
    done = cli("sweep", "--epochs", "1", "--scheduler", "not-an-address")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot reach the Dask scheduler at not-an-address" in done.stderr


def test_a_training_share_costs_that_share_of_the_epoch_s_steps():
    from nncore.lab import cost

    def step(hidden, batch, activation, optimizer):
        return 1.0  # one second a step: the estimate counts steps

    full, tenth = nncore.TrainConfig(batch=1), nncore.TrainConfig(batch=1, train_share=0.1)
    assert cost.epoch_seconds(full, step) == len(nncore.split(0).train)
    assert cost.epoch_seconds(tenth, step) == round(0.1 * len(nncore.split(0).train))



@pytest.mark.parametrize("reply, words", [(b"", "did not answer within 10 s"), (GARBAGE, "is not a Dask scheduler")],
                         ids=["silent", "garbage"])
def test_sweep_on_a_scheduler_port_that_is_silent_or_speaks_garbage_says_so_and_ends(reply, words):
    """A port that accepts and stays silent must not hang `main.py sweep --scheduler`
    (cli's 120 s timeout ends the test then), and garbage gives a sentence, not an allocation of exabytes."""
    with Listener(reply) as listener:
        done = cli("sweep", "--epochs", "1", "--hidden", "8", "--scheduler", listener.address)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert f"at {listener.address}" in done.stderr and words in done.stderr and "dashboard" in done.stderr
