"""Sweeps from the app: a grid's cells trained in parallel by ``nncore.lab.sweep.run``, a status per
cell while they run, a Stop button, and every finished cell kept as a normal run: in the
session's runs (source "sweep") and in the shared training cache. The session's last sweep is
kept (its cells' scores, not their weights) for the results.

The cells run in processes of joblib's loky pool, one per CPU the server may use
(``DIGITS_SWEEP_JOBS`` sets how many); on a box whose memory holds no worker process beside the
server (app.server.machine), in threads of the server process; or, when the setting
``DIGITS_DASK_SCHEDULER`` (or the older secret ``dask_scheduler``) names a Dask scheduler, as
tasks on its workers. ``cells`` is the one place a
sweep's cells are handed out.

Like training, a sweep runs in the script: any click (Stop, or any widget) interrupts it. No new
cell starts then; the running ones finish and are kept before the click's rerun begins.
"""

import dataclasses
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

import nncore
import nncore.lab.pools
import nncore.lab.sweep
from app.server import machine, settings, trainer
from app.server.interruption import INTERRUPTIONS
from app.state import links, person, runs
from app.widgets import sidebar
from nncore.lab.cost import duration

MAX_CELLS = links.MAX_SWEEP_CELLS  # runs one sweep from the app may have (the command line allows more)
POLL_SECONDS = 0.25  # how often the status is redrawn, and a click noticed, while cells run


@dataclass(eq=False)
class Record:
    """The session's last sweep: its grid, where it runs, its finished cells (scores only: the
    runs themselves are in the session's runs and the cache), when each cell started, how it
    ended ("running", "finished", "stopped"), how many older runs the session let go and, when a
    link brought it back (``from_link``), how many of its cells came back (None: it ran here)."""

    sweep: nncore.lab.sweep.Sweep
    where: str
    cells: dict = field(default_factory=dict)     # index -> nncore.lab.sweep.Cell without its result
    started: dict = field(default_factory=dict)   # index -> time.perf_counter() when handed out
    state: str = "running"
    seconds: float = 0.0
    dropped: int = 0
    error: str = None
    came_back: int = None

    @property
    def finished(self):
        """The finished cells, in grid order."""
        return [self.cells[index] for index in sorted(self.cells)]

    @property
    def missing(self):
        """Indices of the cells not finished."""
        return [index for index in range(self.sweep.cells) if index not in self.cells]

    def start(self, index):
        self.started[index] = time.perf_counter()
        # in the server's log, as each finished cell is (_keep): the browser tests count these
        print(f"digits: sweep cell {index + 1}/{self.sweep.cells} started", flush=True)

    def status(self, index):
        """'done', 'running' or 'waiting' ('not run' once the sweep has ended)."""
        if index in self.cells:
            return "done"
        if self.state != "running":
            return "not run"
        return "running" if index in self.started else "waiting"


def sidebar_settings():
    """The sidebar's settings, as Train would train them: the sweep's fixed settings (None while
    a box holds a value that is not allowed)."""
    return sidebar.current_settings()


def scheduler_address():
    """The Dask scheduler to run sweeps on (the setting DIGITS_DASK_SCHEDULER), or None (run here)."""
    return settings.value("DIGITS_DASK_SCHEDULER")


class _Connection:
    """The server's Dask Client for ``address``, connected in a background thread (Dask's own
    timeout does not cover a port that accepts and then stays silent, and a cached call that hangs
    would hold every session's Sweep page): until it is connected, or after it failed, sweeps run
    on this machine and ``status`` says why. A failed attempt is tried again RETRY_SECONDS later.
    (Held in an object: Streamlit refuses to cache a Client itself, as it is awaitable.)"""

    RETRY_SECONDS = 60

    def __init__(self, address):
        self.address, self.client, self.error, self.failed_at = address, None, None, None
        self._lock, self._thread = threading.Lock(), None
        self._start()

    def _start(self):
        self._thread = threading.Thread(target=self._connect, daemon=True, name="dask-connect")
        self._thread.start()

    def _connect(self):
        try:
            client = nncore.lab.pools.dask_client(self.address)
            nncore.lab.pools.workers(client)  # a cluster without workers is no place to send cells yet
        except nncore.NNCoreError as exc:
            with self._lock:
                self.error, self.failed_at = str(exc), time.monotonic()
            return
        with self._lock:
            self.client, self.error = client, None

    def status(self):
        """(Client or None, None or a sentence on why sweeps run on this machine): the Client once
        connected; else 'connecting' or 'unreachable' in words (and, if it failed long enough ago,
        a new attempt started)."""
        with self._lock:
            if self.client is not None:
                return self.client, None
            if self._thread.is_alive():
                return None, (f"Connecting to the Dask cluster at {self.address}: until it answers, sweeps run on "
                              "this machine.")
            error = self.error
            if time.monotonic() - self.failed_at > self.RETRY_SECONDS:
                self._start()
        return None, (f"The Dask cluster at {self.address} is unreachable, so sweeps run on this machine: {error} "
                      f"(the server tries again every {self.RETRY_SECONDS} s).")


@st.cache_resource(show_spinner=False)
def _connection(address):
    return _Connection(address)


def jobs():
    """Cells run at once on this machine: DIGITS_SWEEP_JOBS, by default one per CPU the server may use."""
    return settings.value("DIGITS_SWEEP_JOBS")


class Threads:
    """Stands where a Dask Client would for ``nncore.lab.sweep.run``: its executor is a pool of threads
    of this process, for a box whose memory holds no worker process (machine.Machine.sweep_processes)."""

    def __init__(self, slots):
        self.pool = ThreadPoolExecutor(slots, thread_name_prefix="sweep-cell")

    def get_executor(self, pure=False):
        return self.pool


@st.cache_resource(show_spinner=False)
def _threads(slots):
    return Threads(slots)


def cluster_status():
    """(Dask Client or None, None or a sentence saying why sweeps run on this machine although a
    scheduler is configured). Never waits for the cluster: it is connected in the background."""
    address = scheduler_address()
    return _connection(address).status() if address else (None, None)


def pool(box=None):
    """Where cells run: (a Dask Client, Threads or None for worker processes; cells at once; where
    in words). On the cluster once it is connected; on this machine before that, or when it is
    unreachable (cluster_status says so): in worker processes, or in threads of the server when the
    box's memory (``box``: a machine.Machine, by default this server's) holds no worker process.
    Raises PoolError when the connected cluster has lost its workers."""
    box = machine.current() if box is None else box
    client, _ = cluster_status()
    slots = nncore.lab.pools.workers(client, None if client is not None else jobs())  # DIGITS_SWEEP_JOBS: local only
    if client is not None:
        return client, slots, f"{slots} worker thread{'s' * (slots > 1)} of the Dask cluster at {scheduler_address()}"
    if box.sweep_processes == 0:
        return _threads(slots), slots, (f"{slots} thread{'s' * (slots > 1)} of the server (its memory holds no "
                                        "worker process beside it)")
    nncore.lab.pools.warm_up(slots)  # the kept pool's workers start as the page asks: ready by the click
    return None, slots, f"{slots} process{'es' * (slots > 1)} on this machine"


def placed(sweep, pool):
    """(cells at once, where in words) for ``sweep`` on ``pool`` (from ``pool()``): one at a time in
    the server's own process when workers would save less than they take to start
    (nncore.lab.sweep.in_process), else the pool's."""
    client, slots, where = pool
    if client is None and nncore.lab.sweep.in_process(sweep, slots):
        return 1, "this server's own process, one run after the other (starting workers would cost more than they save)"
    return slots, where


def refusal(estimate):
    """Why this server will not run a sweep of this nncore Estimate, or None: on a shared
    deployment (DIGITS_SHARED) a whole sweep, the sum of its runs, keeps to the budget of one run."""
    budget = trainer.budget_seconds()
    if estimate.training <= budget or not trainer.shared_deployment():
        return None
    return (f"This server is shared, so a sweep may take at most {duration(budget)} of training in all; "
            f"these {len(estimate.per_cell)} runs would take about {duration(estimate.training)}. Sweep "
            "fewer values or smaller runs (fewer epochs or hidden units, larger batches), or run it on your own "
            "machine with `python main.py sweep` and the same settings.")


def locked():
    """The settings this session may not sweep: the link's lock and the server's DIGITS_LOCK."""
    return sidebar.locked_settings()


def cells(sweep, stop, on_start, only, owner):
    """The one place a sweep's cells are handed out: ``nncore.lab.sweep.run`` on ``pool()``, each Cell
    with its TrainResult, None every POLL_SECONDS. Here, each cell takes its turn in the server's
    fair training queue like a single run (a sweep of many cells cannot starve the others); on a
    Dask cluster the cells do not run on this server and take no turn."""
    client, slots, _ = pool()
    queue, tickets = trainer.shared_queue(), {}
    configs = sweep.configs()

    def admit(index):
        if client is not None and not isinstance(client, Threads):  # a Dask cluster: not this server's CPUs
            return True
        if index not in tickets:
            tickets[index] = queue.join(owner, trainer.estimate(configs[index]))
        return queue.try_start(tickets[index])

    try:
        for cell in nncore.lab.sweep.run(sweep, n_jobs=slots, scheduler=client, keep_results=True, stop=stop,
                                     on_start=on_start, only=only, poll=POLL_SECONDS, admit=admit):
            if cell is not None and cell.index in tickets:
                queue.leave(tickets.pop(cell.index))
            yield cell
    finally:  # stopped, failed or done: give back every place and slot still held
        for ticket in tickets.values():
            queue.leave(ticket)


def last():
    """The session's last sweep (a Record), or None."""
    return st.session_state.get("sweep_record")


def restored(sweep, session, cache):
    """A Record of ``sweep`` rebuilt from runs that exist, training nothing: each cell whose run is
    among the ``session``'s runs (runs._Session), else in ``cache`` (a RunCache), is done with that
    run's scores; "finished" when every cell is, else "stopped" (the rest can be trained)."""
    def find(config):
        key = links.run_key(config)
        run = session.get(key)
        return run.result if run is not None else cache.get(key)

    done = nncore.lab.sweep.known_cells(sweep, find)
    return Record(sweep, "", done, state="finished" if len(done) == sweep.cells else "stopped",
                  came_back=len(done))


def from_link():
    """Once per session, as its Sweep page opens: the Record of the sweep the session's link
    carried (app.widgets.sidebar.restore_from_url), rebuilt by ``restored`` and kept as the last
    sweep; None when there is none, or the session has swept since."""
    sweep = st.session_state.pop("sweep_from_link", None)
    if sweep is None or last() is not None:
        return None
    record = st.session_state["sweep_record"] = restored(sweep, runs.current(), trainer.shared_cache())
    return record


def run(sweep, area, where):
    """Train the cells of ``sweep`` that the session's last sweep of the same grid has not
    finished, drawing their status into ``area`` (``where``: the pool, in words, from ``pool``).
    Each finished cell joins the session's runs and the shared cache as it arrives. Returns the
    Record. After a click interrupted it (no new cell started; the running ones were kept),
    re-raises that interruption."""
    swept = set(sweep.names) & locked()
    if swept:  # the page offers no locked setting; this holds for any other caller
        raise nncore.ConfigError(f"{', '.join(sorted(swept))} is fixed for this class and cannot be swept")
    session = runs.current()  # kept at hand: after an interruption even reading session state raises
    record = last()
    if record is None or record.sweep != sweep:
        record = st.session_state["sweep_record"] = Record(sweep, where, state="stopped")
    view = _Progress(area, sweep.cells, where)  # an interruption while drawing it has started nothing
    record.state, record.where, record.error, record.started = "running", where, None, {}
    stop, interruption, started = threading.Event(), None, time.perf_counter()
    with runs.training(session):
        try:
            for cell in cells(sweep, stop, record.start, record.missing, person.owner(session)):
                if cell is not None:
                    _keep(cell, record, session)
                if interruption is None:
                    try:
                        view.update(record)
                    except INTERRUPTIONS as request:
                        interruption = request
                        stop.set()
        except nncore.NNCoreError as exc:
            record.error = str(exc)
        finally:
            record.seconds += time.perf_counter() - started
            record.state = "stopped" if record.missing else "finished"
            print(f"digits: sweep {record.state}: {len(record.cells)} of {sweep.cells} cells trained", flush=True)
    if interruption is not None:
        raise interruption
    area.empty()
    best = best_cell(record)
    if best is not None and runs.get(best.config.name) is not None:
        runs.select(best.config.name)
    return record


def _keep(cell, record, session):
    """A finished cell into the shared cache, the session's runs and the record (no drawing)."""
    result = trainer.store(cell.result)
    before = {run.key for run in session.runs}
    session.add(result, "sweep")
    record.dropped += len(before - {run.key for run in session.runs})  # to stay within the session's runs
    record.cells[cell.index] = dataclasses.replace(cell, result=None)
    # in the server's log, for the browser tests and whoever runs the server (as app/server/trainer.py's queue waits)
    print(f"digits: sweep cell {cell.index + 1}/{record.sweep.cells} trained in {cell.seconds:.3f} s: "
          f"{cell.config.name}", flush=True)


def open_cell(config):
    """Make the run of ``config`` (a sweep's cell) the run shown on every page: from the session's
    runs, else asked for (from the shared cache at once, else trained again: the identical run)."""
    if runs.get(config.name) is not None:
        runs.select(config.name)
        return
    runs.current().request(config, source="sweep")
    st.rerun()


class _Progress:
    """The running sweep: a Stop button, a progress bar and a table with a status per cell."""

    def __init__(self, area, cells, where):
        self.began, self.shown = time.perf_counter(), None
        with area.container(border=True):
            top = st.columns([5, 1], vertical_alignment="center")
            top[0].markdown(f"**Sweep of {cells} runs** on {where}")
            top[1].button("Stop", key="sweep-stop", help="No new cell starts; the cells running now finish and "
                          "are kept, like every finished cell")
            self.bar = st.progress(0.0, text="starting…")
            self.table = st.empty()

    def update(self, record):
        total, done = record.sweep.cells, len(record.cells)
        running = sum(index not in record.cells for index in record.started)
        self.bar.progress(done / total, text=f"{done} of {total} runs finished · {running} running · "
                                             f"{time.perf_counter() - self.began:.0f} s")
        rows = status_rows(record)
        if rows != self.shown:  # the table only when a cell starts or ends; the bar on every poll
            self.table.dataframe(rows, hide_index=True, width="stretch")
            self.shown = rows


def status_rows(record):
    """One row per cell: its swept settings, status and, once done, its scores."""
    rows = []
    for index, config in enumerate(record.sweep.configs()):
        cell = record.cells.get(index)
        rows.append({"cell": index + 1, **{name: nncore.lab.sweep.value_text(getattr(config, name))
                                           for name in record.sweep.names},
                     "status": record.status(index),
                     "validation accuracy": None if cell is None else round(cell.val_accuracy, 4),
                     "test accuracy": None if cell is None else round(cell.test_accuracy, 4),
                     "seconds": None if cell is None else round(cell.seconds, 2)})
    return rows


def best_cells(record):
    """Indices of the cells to mark best: the cell with the highest validation accuracy; with
    seeds swept, the cells of the settings best on average over the seeds."""
    done = record.finished
    if "seed" not in record.sweep.names:
        best = nncore.lab.sweep.best(done)
        return {best.index} if best else set()
    top = nncore.lab.sweep.best_point(nncore.lab.sweep.over_seeds(record.sweep, done))
    settings = dict(top.settings) if top else {}
    return {c.index for c in done if all(getattr(c.config, n) == v for n, v in settings.items())}


def best_cell(record):
    """The run a sweep points at: its best cell; with seeds, the best seed of the setting best on
    average. None before any cell finished."""
    marked = best_cells(record)
    return nncore.lab.sweep.best([cell for cell in record.finished if cell.index in marked])


def table(record):
    """The finished cells as a DataFrame: best mark, settings swept, scores, time and command line."""
    marked = best_cells(record)
    return pd.DataFrame([{
        "best": "★" if c.index in marked else "", "cell": c.index + 1,
        **{nncore.BOUNDS[name].label: nncore.lab.sweep.value_text(getattr(c.config, name))
           for name in record.sweep.names},
        "validation accuracy": c.val_accuracy, "test accuracy": c.test_accuracy, "best epoch": c.best_epoch,
        "ended": c.ended, "seconds": c.seconds, "command": c.config.command()} for c in record.finished])


def csv_text(record):
    """The finished cells as CSV (every setting, scores, worker, command), as `main.py sweep --out`."""
    text = io.StringIO()
    nncore.lab.sweep.write_csv(record.finished, text)
    return text.getvalue()
