"""Where a sweep's cells run: a pool of processes, either joblib's loky pool on this machine's
cores or a Dask cluster (the executor of its ``distributed.Client``). Both are
``concurrent.futures`` executors, so ``nncore.lab.sweep.run`` hands cells to either with the same
``submit`` and waits on them the same way. Dask is optional: it is imported only when a
scheduler is named.

Starting workers costs time, and a small sweep may not earn it back. Two kinds of local pool:

* "kept" (the app): joblib's loky pool, its workers started once (``warm_up``) and kept for
  KEEP_SECONDS after their last cell, so a sweep from a page finds them ready. A fresh worker
  starts a Python of its own and imports a cell's code (``nncore.lab.sweep``, about SPAWN_SECONDS).
* "forked" (the command line, a process with one thread): workers forked from the caller for one
  sweep, with its imports and loaded digits already in them (about FORK_SECONDS).

``start_seconds`` is that cost; ``nncore.lab.sweep.run`` trains a sweep in the calling process when
the estimated time parallel workers save is less. Every local worker ends itself once the process
whose pool it is has gone (``watch_parent``).
"""

import asyncio
import math
import multiprocessing
import os
import pickle
import socket
import sys
import threading
import time
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from contextlib import contextmanager

from ..errors import NNCoreError, shorten
from . import cgroups

CONNECT_SECONDS = 10
KEEP_SECONDS = 3600  # a kept worker left idle this long exits (the next sweep starts it again)
SPAWN_SECONDS = 1.5  # a fresh kept worker: a new Python importing NumPy and nncore (~0.4 s idle, more when busy)
FORK_SECONDS = 0.05  # a forked worker: a copy of the caller
LOCAL_POOLS = ("kept", "forked")


class PoolError(NNCoreError):
    """The pool cannot run cells: Dask missing, the scheduler unreachable or without workers, a
    worker without the project, or a worker process that died."""


def dask_client(address, seconds=CONNECT_SECONDS):
    """A ``distributed.Client`` connected to the Dask scheduler at ``address`` ('tcp://host:8786'),
    within about ``seconds`` (Dask's own timeout does not cover a peer that accepts the connection
    and then says nothing). Raises PoolError, in words, when Dask is not installed or the address
    is not a scheduler's: unreachable, silent, or speaking something else (a dashboard's port)."""
    try:
        from distributed import Client
        from distributed.comm.addressing import get_address_host_port
    except ImportError:
        raise PoolError("running on a Dask cluster needs Dask: pip install distributed") from None
    try:
        host, port = get_address_host_port(address)  # first: a Client that fails on a bad address hangs when deleted
    except ValueError as exc:  # not an address
        raise PoolError(f"cannot reach the Dask scheduler at {shorten(address)}: {shorten(exc)}") from None
    try:  # a refused port is said at once (Dask's own connect retries it until its timeout)
        socket.create_connection((host, port), timeout=seconds).close()
    except OSError as exc:
        raise PoolError(f"cannot reach the Dask scheduler at {shorten(address)}: {shorten(exc)}") from None
    _check_scheduler(address, seconds)
    try:
        return _within(seconds, lambda: Client(address, timeout=seconds, set_as_default=False),
                       f"the Dask scheduler at {shorten(address)} did not let a client in within {seconds:g} s")
    except OSError as exc:  # unreachable since the check (OSError, TimeoutError)
        raise PoolError(f"cannot reach the Dask scheduler at {shorten(address)}: {shorten(exc)}") from None


def _within(seconds, call, late):
    """``call()``'s value or exception, from a daemon thread given ``seconds`` (and 5 more) to
    finish; when it has not, PoolError(``late``) and the thread is left to end on its own."""
    outcome = {}

    def target():
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name="dask-connect")
    thread.start()
    thread.join(seconds + 5)
    if thread.is_alive():
        raise PoolError(late)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _check_scheduler(address, seconds):
    """Ask ``address`` who it is (Dask's 'identity' message) with a deadline of ``seconds``; raise
    PoolError in words unless a Dask scheduler answers."""
    from distributed.comm import connect

    async def identity():
        comm = await connect(address, timeout=seconds)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    hint = "is that the scheduler's port (8786 unless set), not its dashboard's (8787)?"
    where = shorten(address)
    try:
        reply = _within(seconds, lambda: asyncio.run(asyncio.wait_for(identity(), seconds)),
                        f"the Dask scheduler at {where} did not answer within {seconds:g} s: {hint}")
    except TimeoutError:
        raise PoolError(f"the Dask scheduler at {where} did not answer within {seconds:g} s: {hint}") from None
    except PoolError:
        raise
    except OSError as exc:  # refused, unreachable host, closed mid-way
        raise PoolError(f"cannot reach the Dask scheduler at {where}: {shorten(exc)}") from None
    except Exception:  # garbage read as a message: any error at all, even "Unable to allocate 7.84 EiB"
        reply = None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise PoolError(f"what answers at {where} is not a Dask scheduler: {hint}")


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
    never a result Dask remembers), else the kept pool of ``slots`` processes (``kept``)."""
    return client.get_executor(pure=False) if client is not None else kept(slots)


_kept_lock = threading.Lock()
_kept_used = {}  # slots -> time.monotonic() when the kept pool of that size last took a cell


def kept(slots):
    """joblib's loky pool of ``slots`` processes, reused from one sweep to the next and shared by
    the sweeps of this process; each worker imports a cell's code as it starts and ends itself
    once this process is gone."""
    from joblib.externals.loky import get_reusable_executor  # joblib's import alone takes ~0.6 s

    with _kept_lock:
        for size in [size for size in _kept_used if size != slots]:  # asking for another size replaces the pool
            del _kept_used[size]
        _kept_used[slots] = time.monotonic()
    return get_reusable_executor(max_workers=slots, timeout=KEEP_SECONDS, initializer=_start_worker,
                                 initargs=(os.getpid(),))


def _start_worker(parent):
    watch_parent(parent)
    import nncore.lab.sweep  # noqa: F401  (what every cell runs: nncore.lab.sweep.train_cell)


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
    pool = ProcessPoolExecutor(max_workers=slots, mp_context=multiprocessing.get_context("fork"),
                               initializer=watch_parent, initargs=(os.getpid(),))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


PARENT_POLL_SECONDS = 0.5


_parent = {}  # in a local worker: {"pid": the process whose pool it is}


def watch_parent(parent):
    """Run in each local worker as it starts: a daemon thread that ends the worker once ``parent``
    (the process whose pool it is) is no longer its parent. A server killed with SIGKILL tells its
    workers nothing; they were adopted by PID 1, finished their cell and idled on for loky's 300 s.
    A cell in training also asks after every epoch (end_if_orphaned): on a loaded machine the
    thread can wait long for its turn at the interpreter."""
    _parent["pid"] = parent

    def watch():
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def end_if_orphaned(*_):
    """End this process if it is a local worker whose parent is gone (else nothing: in the parent
    itself, or on a Dask worker). Takes and ignores any arguments: a training callback."""
    if _parent and os.getppid() != _parent["pid"]:
        os._exit(1)


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
