"""Sweeps on a real Dask cluster: a `dask scheduler` and a `dask worker` started here on 127.0.0.1,
as anyone would start them. The worker gets the project on its PYTHONPATH; the scheduler does not
(it never needs nncore). Every cell must be a task the worker ran, and its run must equal the
local run's bit for bit: from nncore.lab.sweep.run, from `main.py sweep --scheduler` and from the app
with DIGITS_DASK_SCHEDULER."""

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import nncore
import nncore.lab.sweep
from app.server import sweeps
from nncore.lab.pools import PoolError
from nncore.lab.sweep import Sweep
from support.appserver import free_port

Client = pytest.importorskip("distributed", reason="Dask's distributed is not installed "
                             "(it is in requirements-dev.txt, not requirements.txt)").Client

ROOT = Path(__file__).resolve().parents[1]
SWEEP = Sweep.of(nncore.TrainConfig(epochs=4), hidden=(8, 16), lr=(0.05, 0.1))


class Cluster:
    """`dask scheduler` and one `dask worker` (one process, one thread) on a free loopback port;
    ``project``: whether the worker has the project on its PYTHONPATH."""

    def __init__(self, folder, project=True):
        self.address = f"tcp://127.0.0.1:{free_port()}"
        bare = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        worker_env = {**bare, "PYTHONPATH": str(ROOT)} if project else bare
        dask = [sys.executable, "-m", "dask"]  # the `dask` command, of this Python
        self.processes = [
            subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", self.address.rsplit(":", 1)[1],
                              "--dashboard-address", "127.0.0.1:0"], cwd=folder, env=bare,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True),
            subprocess.Popen([*dask, "worker", self.address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                              "--local-directory", str(folder)], cwd=folder, env=worker_env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
        deadline = time.monotonic() + 90
        while True:
            try:
                self.client = Client(self.address, timeout=5, set_as_default=False)
                self.client.wait_for_workers(1, timeout=max(1, deadline - time.monotonic()))
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.5)

    def executed(self):
        """Tasks the worker has run so far."""
        (count,) = self.client.run(lambda dask_worker: dask_worker.state.executed_count).values()
        return count

    def worker_pid(self):
        (pid,) = self.client.run(os.getpid).values()
        return pid

    def stop(self):
        if getattr(self, "client", None) is not None:
            self.client.close()
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = Cluster(tmp_path_factory.mktemp("dask"))
    yield started
    started.stop()


@pytest.fixture(scope="module")
def local_cells():
    return sorted(nncore.lab.sweep.run(SWEEP, n_jobs=2, keep_results=True), key=lambda cell: cell.index)


def assert_same_runs(cells, local):
    assert cells == local, "the same configs, scores, best epochs and endings"
    for theirs, ours in zip(cells, local, strict=True):
        assert theirs.result.history == ours.result.history
        for a, b in zip(theirs.result.models, ours.result.models, strict=True):
            for name, array in b.parameters().items():
                assert np.array_equal(a.parameters()[name], array), name
        assert np.array_equal(theirs.result.standardizer.mean, ours.result.standardizer.mean)


def test_every_cell_is_a_task_on_the_worker_and_equals_the_local_run_bit_for_bit(cluster, local_cells):
    before = cluster.executed()
    cells = sorted(nncore.lab.sweep.run(SWEEP, scheduler=cluster.address, keep_results=True), key=lambda c: c.index)
    assert cluster.executed() - before == SWEEP.cells == 4
    assert {cell.worker.split(":")[1] for cell in cells} == {str(cluster.worker_pid())}
    assert_same_runs(cells, local_cells)


def test_a_stop_on_the_cluster_keeps_the_cells_that_finished(cluster):
    stop, cells = threading.Event(), []
    sweep = Sweep.of(nncore.TrainConfig(epochs=2), seed=tuple(range(6)))
    for cell in nncore.lab.sweep.run(sweep, scheduler=cluster.client, stop=stop):
        cells.append(cell)
        stop.set()
    assert len(cells) == 1, "one worker thread: one cell at a time, none started after the stop"


def test_the_command_line_sweeps_on_the_cluster_with_the_local_results(cluster, local_cells):
    before = cluster.executed()
    args = [sys.executable, str(ROOT / "main.py"), "sweep", "--hidden", "8,16", "--lr", "0.05,0.1", "--epochs", "4"]
    done = subprocess.run([*args, "--scheduler", cluster.address], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert cluster.executed() - before == 4
    lines = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert len(lines) == 4 and all(line.endswith(f":{cluster.worker_pid()}") for line in lines)
    for cell in local_cells:
        expected = f"{SWEEP.label(cell.config)}  val {cell.val_accuracy:.4f}  test {cell.test_accuracy:.4f}"
        assert any(expected in line for line in lines), expected


def test_the_app_sweeps_on_the_cluster_named_by_its_environment_variable(cluster, local_cells, monkeypatch):
    monkeypatch.setenv("DIGITS_DASK_SCHEDULER", cluster.address)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300).run()
    at.number_input(key="setting_epochs").set_value(4)
    at.switch_page("app_pages/sweep.py").run()  # starts connecting in the background; sweeps run here till then
    sweeps._connection(cluster.address)._thread.join(120)
    at.run()
    assert not at.warning
    said = [m.value for m in at.markdown]
    assert any("worker thread of the Dask cluster at " + cluster.address in m for m in said), said
    at.text_input(key="sweep_hidden_list").set_value("8, 16")
    at.text_input(key="sweep_lr_list").set_value("0.05, 0.1").run()
    before = cluster.executed()
    at.button(key="sweep_run").click().run()
    assert not at.exception and not [e.value for e in at.error]
    record = at.session_state["sweep_record"]
    assert cluster.executed() - before == 4 and record.finished == local_cells
    assert {cell.worker.split(":")[1] for cell in record.finished} == {str(cluster.worker_pid())}
    runs = {run.name: run.result for run in at.session_state["session_runs"].runs}
    assert_same_runs([replace(cell, result=runs[cell.config.name]) for cell in record.finished], local_cells)
    st.cache_resource.clear()  # closes nothing, but lets the next test's app connect afresh


def test_a_worker_without_the_project_says_how_to_start_it(tmp_path):
    bare = Cluster(tmp_path, project=False)
    try:
        with pytest.raises(PoolError, match="a worker could not import nncore: start the Dask workers with "
                                              "PYTHONPATH"):
            list(nncore.lab.sweep.run(Sweep.of(nncore.TrainConfig(epochs=1), seed=(0,)), scheduler=bare.address))
    finally:
        bare.stop()
