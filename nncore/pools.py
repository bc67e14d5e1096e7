"""Where a sweep's cells run: a pool of processes, either joblib's loky pool on this machine's
cores or a Dask cluster (the executor of its ``distributed.Client``). Both are
``concurrent.futures`` executors, so ``nncore.sweep.run`` hands cells to either with the same
``submit`` and waits on them the same way. Dask is optional: it is imported only when a
scheduler is named.

Starting workers costs time, and a small sweep may not earn it back. Two kinds of local pool:

* "kept" (the app): joblib's loky pool, its workers started once (``warm_up``) and kept for
  KEEP_SECONDS after their last cell, so a sweep from a page finds them ready. A fresh worker
  starts a Python of its own and imports a cell's code (``nncore.sweep``, about SPAWN_SECONDS).
* "forked" (the command line, a process with one thread): workers forked from the caller for one
  sweep, with its imports and loaded digits already in them (about FORK_SECONDS).

``start_seconds`` is that cost; ``nncore.sweep.run`` trains a sweep in the calling process when
the estimated time parallel workers save is less.
"""

import multiprocessing
import os
import pickle
import sys
import threading
import time
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from contextlib import contextmanager

from .errors import NNCoreError, shorten

CONNECT_SECONDS = 10
KEEP_SECONDS = 3600  # a kept worker left idle this long exits (the next sweep starts it again)
SPAWN_SECONDS = 1.5  # a fresh kept worker: a new Python importing NumPy and nncore (~0.4 s idle, more when busy)
FORK_SECONDS = 0.05  # a forked worker: a copy of the caller
LOCAL_POOLS = ("kept", "forked")


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


def workers(client=None, n_jobs=None):
    """How many cells run at once: ``n_jobs`` when given; else on the Dask cluster of ``client``
    its worker threads (waiting CONNECT_SECONDS for a first worker), on this machine its cores."""
    if n_jobs:
        return n_jobs
    if client is None:
        return os.cpu_count() or 1
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except TimeoutError:
        raise PoolError(f"the Dask scheduler has no workers (waited {CONNECT_SECONDS} s): start one with "
                        "dask worker ADDRESS") from None
    return sum(client.nthreads().values())


def executor(client, slots):
    """The executor cells are submitted to: the Dask cluster's of ``client`` (every task run anew,
    never a result Dask remembers), else the kept pool of ``slots`` processes (``kept``)."""
    return client.get_executor(pure=False) if client is not None else kept(slots)


_kept_lock = threading.Lock()
_kept_used = {}  # slots -> time.monotonic() when the kept pool of that size last took a cell


def kept(slots):
    """joblib's loky pool of ``slots`` processes, reused from one sweep to the next and shared by
    the sweeps of this process; each worker imports a cell's code as it starts."""
    from joblib.externals.loky import get_reusable_executor  # joblib's import alone takes ~0.6 s

    with _kept_lock:
        for size in [size for size in _kept_used if size != slots]:  # asking for another size replaces the pool
            del _kept_used[size]
        _kept_used[slots] = time.monotonic()
    return get_reusable_executor(max_workers=slots, timeout=KEEP_SECONDS, initializer=_import_cell_code)


def _import_cell_code():
    import nncore.sweep  # noqa: F401  (what every cell runs: nncore.sweep.train_cell)


def warm_up(slots):
    """Start the kept pool's ``slots`` workers now, in the background (a page that may sweep
    calls this as it is shown). Returns at once."""
    pool = kept(slots)
    for _ in range(slots):
        pool.submit(os.getpid)


def warm(slots):
    """Whether the kept pool of ``slots`` workers has been started and has not been idle long
    enough for its workers to exit."""
    with _kept_lock:
        used = _kept_used.get(slots)
    return used is not None and time.monotonic() - used < KEEP_SECONDS


def start_seconds(local, slots):
    """About how long ``slots`` workers of the local pool ``local`` ('kept' or 'forked') take to
    be ready for a first cell: 0 for a warm kept pool."""
    if local == "forked" and can_fork():
        return FORK_SECONDS
    return 0.0 if warm(slots) else SPAWN_SECONDS


def can_fork():
    """Whether forked workers are safe here: on Linux, from a process with one thread (forking a
    process whose other threads hold locks, a server's, can deadlock the copy)."""
    return sys.platform == "linux" and threading.active_count() == 1


@contextmanager
def local_pool(local, slots):
    """Context manager: the local pool ``local`` of ``slots`` workers. 'forked' (when ``can_fork``,
    else as 'kept') is this sweep's own, shut down at the end; 'kept' is ``kept(slots)``."""
    if local not in LOCAL_POOLS:
        raise ValueError(f"local pool must be one of {', '.join(LOCAL_POOLS)}, got {local!r}")
    if local == "kept" or not can_fork():
        yield kept(slots)
        return
    pool = ProcessPoolExecutor(max_workers=slots, mp_context=multiprocessing.get_context("fork"))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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
