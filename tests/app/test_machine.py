"""app/server/machine.py: what the server chooses from the CPUs and memory it has (sweep workers as
processes or threads, the shared cache's budget), and a sweep's cells in threads of the server."""

import os

import pytest
import streamlit as st

import nncore
import nncore.lab.sweep
from app.server import machine, sweeps
from app.server.machine import CACHE_BYTES, CACHE_SHARE, MB, SERVER_RESERVE, WORKER_BYTES, Machine


def box(memory=None, cpus=2):
    return Machine(affinity=cpus, quota=None, memory=memory, cpus=cpus)


def test_without_a_memory_limit_a_sweep_has_a_process_per_cpu():
    assert box(cpus=2).sweep_processes == 2 and box(cpus=5).sweep_processes == 5


def test_processes_are_as_many_as_fit_beside_the_server():
    assert box(SERVER_RESERVE + WORKER_BYTES, cpus=4).sweep_processes == 1
    assert box(SERVER_RESERVE + 2 * WORKER_BYTES - 1, cpus=4).sweep_processes == 1
    assert box(SERVER_RESERVE + 2 * WORKER_BYTES, cpus=4).sweep_processes == 2
    assert box(10 * 2**30, cpus=2).sweep_processes == 2  # never more than the CPUs


def test_a_box_where_no_process_fits_has_none():
    assert box(SERVER_RESERVE + WORKER_BYTES - 1).sweep_processes == 0
    assert box(690 * MB, cpus=1).sweep_processes == 0       # Community Cloud's smallest
    assert box(2700 * MB, cpus=2).sweep_processes == 2      # and its largest


def test_the_cache_budget_shrinks_with_a_small_limit_only():
    assert box().cache_bytes == CACHE_BYTES
    assert box(CACHE_BYTES * CACHE_SHARE).cache_bytes == CACHE_BYTES
    assert box(CACHE_BYTES * CACHE_SHARE - CACHE_SHARE).cache_bytes == CACHE_BYTES - 1
    assert box(690 * MB).cache_bytes == 690 * MB // CACHE_SHARE


def test_what_was_found_and_chosen_is_said_in_one_line():
    line = Machine(affinity=2, quota=0.5, memory=690 * MB, cpus=1).describe()
    assert "CPU affinity 2" in line and "quota 0.5 CPU" in line and "memory limit 690 MB" in line
    assert "using 1 CPU" in line and "threads of the server" in line and "shared cache 43 MB" in line


def test_measure_reads_a_fake_cgroup(tmp_path):
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/cgroup").write_text("0::/app\n")
    for path, text in {"cgroup.controllers": "cpu memory", "app/cgroup.controllers": "cpu memory",
                       "app/cpu.max": "50000 100000", "app/memory.max": str(690 * MB)}.items():
        (tmp_path / "sys/fs/cgroup" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "sys/fs/cgroup" / path).write_text(text)
    found = machine.measure(tmp_path)
    assert (found.quota, found.memory, found.cpus) == (0.5, 690 * MB, 1)


@pytest.mark.parametrize("memory, threads", [(690 * MB, True), (2700 * MB, False)])
def test_the_sweep_pool_is_threads_where_no_process_fits(memory, threads):
    st.cache_resource.clear()
    client, slots, where = sweeps.pool(box(memory, cpus=2))
    assert isinstance(client, sweeps.Threads) is threads
    assert ("threads of the server" in where) is threads


def test_cells_in_threads_train_in_this_process_and_match_a_process_pool():
    sweep = nncore.lab.sweep.Sweep.of(nncore.TrainConfig(epochs=2), hidden=(8, 16))
    in_threads = {cell.index: cell for cell in nncore.lab.sweep.run(sweep, n_jobs=2, scheduler=sweeps.Threads(2))}
    in_processes = {cell.index: cell for cell in nncore.lab.sweep.run(sweep, n_jobs=2)}
    assert {cell.worker.rsplit(":", 1)[1] for cell in in_threads.values()} == {str(os.getpid())}
    assert str(os.getpid()) not in {cell.worker.rsplit(":", 1)[1] for cell in in_processes.values()}
    assert in_threads == in_processes  # the same runs, bit for bit (a Cell compares all but where and how long)


def test_the_server_says_what_it_found_once(caplog):
    machine.current.cache_clear()
    with caplog.at_level("WARNING", logger="digits.server"):
        assert machine.current() is machine.current()
    said = [record.getMessage() for record in caplog.records if "Digits Playground server:" in record.getMessage()]
    assert len(said) == 1 and "CPU affinity" in said[0] and "memory limit" in said[0]
