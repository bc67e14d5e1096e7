"""nncore/pools.py: where a sweep's cells run (the Dask side is tests/test_dask.py)."""

import os
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
