"""nncore/lab/pools.py: where a sweep's cells run (the Dask side is tests/test_dask.py)."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nncore.lab import pools
from support.appserver import alive, cpu_seconds, descendants
from tests.listeners import GARBAGE, Listener


def test_a_call_runs_in_a_process_of_the_local_pool_and_returns_its_value():
    pool = pools.executor(None, 1)
    assert pools.outcome(pools.submit(pool, os.getpid)) != os.getpid()
    assert pools.outcome(pools.submit(pool, divmod, 7, 2)) == (3, 1)


def test_an_error_of_the_call_itself_comes_back_as_it_is():
    with pytest.raises(ZeroDivisionError):
        pools.outcome(pools.submit(pools.executor(None, 1), divmod, 1, 0))


def test_cells_at_once_are_n_jobs_or_the_cpus_this_process_may_use():
    assert pools.workers(None, 3) == 3
    assert pools.workers(None) == pools.available_cpus()


def test_a_local_run_needs_no_client():
    with pools.connect(None) as client:
        assert client is None


def test_what_is_not_a_scheduler_address_is_refused_at_once():
    started = time.perf_counter()
    with pytest.raises(pools.PoolError, match="cannot reach the Dask scheduler at nowhere: missing port"):
        pools.dask_client("nowhere")
    assert time.perf_counter() - started < 5


def connect_in_a_thread(address, seconds):
    """dask_client(address, seconds) in a thread: (finished?, PoolError message or None). A client
    that hangs leaves the thread running past the generous wait, and the test fails, not hangs."""
    said = {}

    def attempt():
        try:
            pools.dask_client(address, seconds).close()
        except pools.PoolError as exc:
            said["error"] = str(exc)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(seconds + 60)
    return not thread.is_alive(), said.get("error")


def test_a_scheduler_address_that_accepts_and_stays_silent_is_given_up_in_words():
    """Client(address, timeout=10) alone never returns for such a socket: the probe must."""
    with Listener() as silent:
        finished, error = connect_in_a_thread(silent.address, 2)
        assert finished, "connecting to a silent port did not return"
        assert silent.connections  # it was reached: the silence, not a refusal, is what was given up on
    assert error == (f"the Dask scheduler at {silent.address} did not answer within 2 s: is that the scheduler's "
                     "port (8786 unless set), not its dashboard's (8787)?")


def test_a_scheduler_address_that_sends_garbage_is_refused_in_words_not_an_allocation_error():
    """Garbage read as a frame length must give a sentence, not an attempt to allocate exabytes."""
    with Listener(GARBAGE) as garbage:
        finished, error = connect_in_a_thread(garbage.address, 5)
    assert finished
    assert error == (f"what answers at {garbage.address} is not a Dask scheduler: is that the scheduler's port "
                     "(8786 unless set), not its dashboard's (8787)?")


def test_a_port_nobody_listens_on_is_unreachable_in_words():
    """The port stays bound (never listening) for the whole test: a closed port could be taken by
    another process, or the connect could pick it as its own source port and reach itself."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{bound.getsockname()[1]}"
        finished, error = connect_in_a_thread(address, 2)
    assert finished and error.startswith(f"cannot reach the Dask scheduler at {address}: ")


ROOT = Path(__file__).resolve().parents[1]
# A stand-in for the app's server: a sweep on the local pool whose first two cells (one epoch) warm
# both workers up (started, imported, watching), and whose last two then train 500 epochs each.
SERVER = """
import nncore, nncore.lab.sweep
sweep = nncore.lab.sweep.Sweep.of(nncore.TrainConfig(hidden=2048, batch=16), epochs=(1, 500), seed=(0, 1))
for cell in nncore.lab.sweep.run(sweep, n_jobs=2, on_start=lambda index: print("started", index, flush=True)):
    pass
"""


ORPHAN_CPU_S = 3.0


def loky_workers(pid):
    return [child for child in descendants(pid) if b"LokyProcess" in Path(f"/proc/{child}/cmdline").read_bytes()]


def test_the_workers_of_a_server_killed_mid_sweep_end_themselves():
    """After SIGKILL of the server, its loky workers must not be adopted by PID 1 and finish their
    cell: they end with it. Counted: the server's processes."""
    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    tree = []
    try:
        # the long cells are handed out once the short ones finished: both workers are then at work
        assert [server.stdout.readline().strip() for _ in range(4)] == [f"started {i}" for i in range(4)]
        tree = descendants(server.pid)  # the two workers, and loky's resource trackers
        assert len(loky_workers(server.pid)) == 2, tree
        workers = loky_workers(server.pid)
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        # Counted in the workers' own CPU, not in seconds: a worker that notices ends within an epoch
        # (a small fraction of a CPU second); one that trains on passes ORPHAN_CPU_S (a long cell is
        # about 13 s of CPU), however slowly a loaded machine lets it run.
        before = {pid: cpu_seconds(pid) for pid in workers}
        give_up = time.monotonic() + 600  # only a ceiling, should a worker stop using CPU and not end
        while (any(alive(pid) for pid in tree) and time.monotonic() < give_up
               and all(cpu_seconds(pid) - before[pid] < ORPHAN_CPU_S for pid in workers if alive(pid))):
            time.sleep(0.2)
        assert {pid: round(cpu_seconds(pid) - before[pid], 2) for pid in workers if alive(pid)} == {}
        assert [pid for pid in tree if alive(pid)] == []
    finally:
        for pid in [server.pid, *tree]:  # only the processes this test started
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        server.stdout.close()


def test_a_worker_whose_parent_lives_keeps_working():
    """The other side: the watch ends a worker only once its parent is gone."""
    pool = pools.executor(None, 1)
    first = pools.outcome(pools.submit(pool, os.getpid))
    time.sleep(3 * pools.PARENT_POLL_SECONDS)  # several rounds of the watch
    assert pools.outcome(pools.submit(pool, os.getpid)) == first and alive(first)



def test_a_kept_pool_is_warm_once_started_until_its_workers_would_have_left(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(pools.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(pools, "_kept_used", {})
    assert not pools.warm(1) and pools.start_seconds("kept", 1) == pools.SPAWN_SECONDS
    pools.warm_up(1)
    assert pools.warm(1) and not pools.warm(2) and pools.start_seconds("kept", 1) == 0.0
    now[0] += pools.KEEP_SECONDS - 1
    assert pools.warm(1)
    now[0] += 1
    assert not pools.warm(1)


def test_workers_are_forked_only_from_a_process_with_one_thread():
    hold = threading.Event()
    other = threading.Thread(target=hold.wait)
    other.start()
    try:
        assert not pools.can_fork()
        assert pools.start_seconds("forked", 2) in (0.0, pools.SPAWN_SECONDS)
        with pools.local_pool("forked", 1) as pool:
            assert pool is pools.kept(1), "a process with other threads gets the kept pool instead"
    finally:
        hold.set()
        other.join()


def test_a_local_pool_must_be_one_of_the_two():
    with pytest.raises(ValueError, match="local pool must be one of kept, forked"):
        with pools.local_pool("threads", 1):
            pass
