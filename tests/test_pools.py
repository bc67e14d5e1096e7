"""nncore/pools.py: where a sweep's cells run (the Dask side is tests/test_dask.py)."""

import os
import threading
import time

import pytest

from nncore import pools


def test_a_call_runs_in_a_process_of_the_local_pool_and_returns_its_value():
    pool = pools.executor(None, 1)
    assert pools.outcome(pools.submit(pool, os.getpid)) != os.getpid()
    assert pools.outcome(pools.submit(pool, divmod, 7, 2)) == (3, 1)


def test_an_error_of_the_call_itself_comes_back_as_it_is():
    with pytest.raises(ZeroDivisionError):
        pools.outcome(pools.submit(pools.executor(None, 1), divmod, 1, 0))


def test_cells_at_once_are_n_jobs_or_the_cores():
    assert pools.workers(None, 3) == 3
    assert pools.workers(None) == os.cpu_count()


def test_a_local_run_needs_no_client():
    with pools.connect(None) as client:
        assert client is None


def test_what_is_not_a_scheduler_address_is_refused_at_once():
    started = time.perf_counter()
    with pytest.raises(pools.PoolError, match="cannot reach the Dask scheduler at nowhere: missing port"):
        pools.dask_client("nowhere")
    assert time.perf_counter() - started < 5


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
