"""Where a sweep's cells run: a pool of processes, either joblib's loky pool on this machine's
cores or a Dask cluster (the executor of its ``distributed.Client``). Both are
``concurrent.futures`` executors, so ``nncore.sweep.run`` hands cells to either with the same
``submit`` and waits on them the same way. Dask is optional: it is imported only when a
scheduler is named.
"""

import math
import os
import pickle
from concurrent.futures import BrokenExecutor
from contextlib import contextmanager

from joblib.externals.loky import get_reusable_executor

from .errors import NNCoreError, shorten
from .lab import cgroups

CONNECT_SECONDS = 10


class PoolError(NNCoreError):
    """The pool cannot run cells: Dask missing, the scheduler unreachable or without workers, a
    worker without the project, or a worker process that died."""


def dask_client(address):
    """A ``distributed.Client`` connected to the Dask scheduler at ``address`` ('tcp://host:8786').
    Raises PoolError when Dask is not installed or the scheduler cannot be reached."""
    try:
        from distributed import Client
        from distributed.comm.addressing import get_address_host_port
    except ImportError:
        raise PoolError("running on a Dask cluster needs Dask: pip install distributed") from None
    try:
        get_address_host_port(address)  # checked first: a Client that fails on a bad address hangs when deleted
        return Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, ValueError) as exc:  # not an address (ValueError) or unreachable (OSError, TimeoutError)
        raise PoolError(f"cannot reach the Dask scheduler at {shorten(address)}: {shorten(exc)}") from None


@contextmanager
def connect(scheduler):
    """Context manager: None for a local run (``scheduler`` None); else a ``distributed.Client``:
    ``scheduler`` itself when it is one, or one connected to the address ``scheduler`` (and
    closed after). Raises PoolError as ``dask_client``."""
    if scheduler is None or not isinstance(scheduler, str):
        yield scheduler
        return
    client = dask_client(scheduler)
    try:
        yield client
    finally:
        client.close()


def available_cpus(root="/"):
    """How many CPUs this process may use: the smaller of its CPU affinity and its cgroup's CPU
    quota (read at its own cgroup, see nncore.lab.cgroups), rounded up, at least 1. ``os.cpu_count()``
    counts the host's CPUs, which a container's quota does not give it. ``root``: where the
    cgroup files are read (a folder of fake ones in the tests)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux: no affinity, no cgroups
        cpus = os.cpu_count() or 1
    quota = cgroups.cpu_quota(root)
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(1, cpus)


def workers(client=None, n_jobs=None):
    """How many cells run at once: ``n_jobs`` when given; else on the Dask cluster of ``client``
    its worker threads (waiting CONNECT_SECONDS for a first worker), on this machine the CPUs it
    may use (``available_cpus``)."""
    if n_jobs:
        return n_jobs
    if client is None:
        return available_cpus()
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except TimeoutError:
        raise PoolError(f"the Dask scheduler has no workers (waited {CONNECT_SECONDS} s): start one with "
                        "dask worker ADDRESS") from None
    return sum(client.nthreads().values())


def executor(client, slots):
    """The executor cells are submitted to: the Dask cluster's of ``client`` (every task run anew,
    never a result Dask remembers), else joblib's loky pool of ``slots`` processes, reused from
    one sweep to the next and shared by the sweeps of this process."""
    return client.get_executor(pure=False) if client is not None else get_reusable_executor(max_workers=slots)


def submit(pool, function, *args):
    """``function(*args)`` on a worker of ``pool``; returns its concurrent.futures.Future."""
    return pool.submit(pickle.loads, _Call(function, *args).payload())


class _Call:
    """A call sent as pickled bytes that make the call when unpickled (``pickle.loads`` on the
    worker returns its value). A Dask scheduler unpickles every task it is given, so a task naming
    nncore's functions would need nncore installed beside the scheduler too; bytes and Python's own
    pickle.loads need nothing there, and only the workers import nncore."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args

    def payload(self):
        return pickle.dumps(self)


def outcome(future):
    """A finished future's value; its exception, in a sentence (PoolError) when it is the pool's
    rather than the call's."""
    try:
        return future.result()
    except ImportError as exc:  # a Dask worker started without the project on its path
        raise PoolError(f"a worker could not import {exc.name or 'the project'}: start the Dask workers with "
                        "PYTHONPATH set to the project's folder (see the README)") from exc
    except BrokenExecutor as exc:  # a worker process died (killed, or out of memory)
        raise PoolError(f"a worker process died while training (out of memory?): {shorten(exc)}") from exc
