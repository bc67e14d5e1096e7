"""Sweeps: a grid of runs over one or more settings, trained in parallel.

A Sweep is a base TrainConfig and the axes that vary (setting -> values); its cells are the
configs of every combination, first axis slowest. ``run`` hands the cells, a few at a time, to a
pool of processes (nncore.lab.pools: workers on this machine's cores or, given a scheduler, a Dask
cluster): the same loop either way, each cell one task; a sweep too small to earn back the
workers' start trains in the calling process. Cells come back as
they finish, as small ``Cell`` rows (with the full TrainResult when asked); a ``stop`` event ends
the sweep after the cells already running. Training a config is deterministic, so a cell is the
same run wherever it was trained. The summaries (best cell, mean over seeds, grid, CSV) follow.

Why not ``joblib.Parallel``: it runs everything in the calling process when the pool has one
worker (a Dask cluster of one thread included), and stopping one of its generators early
terminates the loky pool that every other sweep of the process (the app's other sessions) shares.
"""

import itertools
import math
import os
import socket
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import nullcontext
from dataclasses import dataclass, field, fields, replace

import numpy as np

from .. import data
from ..config import BOUNDS, TrainConfig, check_setting, number_text
from ..errors import NNCoreError, shorten
from ..training import TrainResult, train
from . import pools
from .cost import estimate_seconds
from .threads import single_threaded_blas

MAX_CELLS = 1000
MAX_VALUES = 50      # values of one setting


class SweepError(NNCoreError):
    """A sweep's grid cannot be built: a value or a range that is not one, a setting swept twice,
    too many cells."""


def parse_values(name, text):
    """The values of setting ``name`` written as text: a list ('16, 64, 256', 'relu,tanh') or a
    range 'LOW:HIGH:COUNT' (evenly spaced) or 'LOW:HIGH:COUNT:log' (evenly spaced in log).
    Returns a tuple of checked values; raises ConfigError or SweepError with what is wrong."""
    if name not in BOUNDS:
        raise SweepError(f"there is no setting {shorten(repr(name))}; the settings are {', '.join(BOUNDS)}")
    parts = [part.strip() for part in str(text).split(":")]
    if len(parts) in (3, 4) and not BOUNDS[name].choices:
        if len(parts) == 4 and parts[3] not in ("log", "lin"):
            raise SweepError(f"{name}: a range is LOW:HIGH:COUNT or LOW:HIGH:COUNT:log, got {shorten(text)!r}")
        low, high = (_one_value(name, part) for part in parts[:2])
        count = _count(name, parts[2])
        return value_range(name, low, high, count, log=len(parts) == 4 and parts[3] == "log")
    if len(parts) > 1:
        raise SweepError(f"{name}: write a list '1, 2, 3' or a range LOW:HIGH:COUNT[:log], got {shorten(text)!r}")
    values = [_one_value(name, item) for item in str(text).split(",") if item.strip()]
    if not values:
        raise SweepError(f"{name}: no values given")
    return _distinct(name, values)


def _one_value(name, text):
    setting, text = BOUNDS[name], text.strip()
    if not setting.choices:
        try:
            value = setting.kind(text)
        except ValueError:
            kind = "whole number" if setting.kind is int else "number"
            raise SweepError(f"{name}: {shorten(repr(text))} is not a {kind}") from None
    else:
        value = text
    return check_setting(name, value)


def _count(name, text):
    try:
        count = int(text)
    except ValueError:
        raise SweepError(f"{name}: the count of a range must be a whole number, got {shorten(repr(text))}") from None
    if not 1 <= count <= MAX_VALUES:
        raise SweepError(f"{name}: a range has 1 to {MAX_VALUES} values, got {count}")
    return count


def value_range(name, low, high, count, log=False):
    """``count`` values of setting ``name`` from ``low`` to ``high``, evenly spaced (in log when
    ``log``), rounded to 6 significant digits (whole numbers for whole-number settings, repeats
    dropped). Returns a tuple; raises ConfigError or SweepError."""
    setting = BOUNDS[name]
    if setting.choices:
        raise SweepError(f"{name} is a choice ({setting.allowed()}): list the values instead of a range")
    low, high = check_setting(name, low), check_setting(name, high)
    if not 1 <= count <= MAX_VALUES:
        raise SweepError(f"{name}: a range has 1 to {MAX_VALUES} values, got {count}")
    if log and low <= 0:
        raise SweepError(f"{name}: a log range must start above 0, got {number_text(low)}")
    points = np.geomspace(low, high, count) if log else np.linspace(low, high, count)
    if setting.kind is int:
        values = [int(round(p)) for p in points]
    else:
        values = [float(f"{p:.6g}") for p in points]
    return _distinct(name, [check_setting(name, min(max(v, setting.low), setting.high)) for v in values])


def _distinct(name, values):
    distinct = tuple(dict.fromkeys(values))
    if len(distinct) > MAX_VALUES:
        raise SweepError(f"{name}: at most {MAX_VALUES} values, got {len(distinct)}")
    return distinct


def value_text(value):
    """A setting's value as a person writes it: 64, 0.001, tanh."""
    return value if isinstance(value, str) else number_text(value)


@dataclass(frozen=True)
class Axis:
    """One setting that varies over a sweep, and its values (checked against BOUNDS)."""

    name: str
    values: tuple

    def __post_init__(self):
        if self.name not in BOUNDS:
            raise SweepError(f"there is no setting {shorten(repr(self.name))}; the settings are {', '.join(BOUNDS)}")
        if not self.values:
            raise SweepError(f"{self.name}: no values given")
        object.__setattr__(self, "values", _distinct(self.name, [check_setting(self.name, v) for v in self.values]))


@dataclass(frozen=True)
class Estimate:
    """What a sweep will cost: seconds of each cell (``per_cell``, grid order), of all of them
    (``training``) and, the cells handed in grid order to the first free of ``workers``, until
    the last one ends (``wall``)."""

    per_cell: tuple
    workers: int
    training: float
    wall: float


@dataclass(frozen=True)
class Sweep:
    """A grid of runs: ``base`` with each combination of the ``axes``' values (first axis slowest).

    Raises SweepError when an axis repeats a setting or the grid has more than MAX_CELLS cells."""

    base: TrainConfig
    axes: tuple

    def __post_init__(self):
        object.__setattr__(self, "axes", tuple(self.axes))
        names = [axis.name for axis in self.axes]
        if len(set(names)) != len(names):
            raise SweepError(f"a setting may be swept once, got {', '.join(names)}")
        if self.cells > MAX_CELLS:
            raise SweepError(f"{self.cells} runs is more than a sweep may have ({MAX_CELLS})")

    @classmethod
    def of(cls, base=None, **values):
        """``Sweep.of(TrainConfig(epochs=10), hidden=(16, 64), lr=(0.01, 0.1))``."""
        return cls(base or TrainConfig(), tuple(Axis(name, tuple(v)) for name, v in values.items()))

    @property
    def cells(self):
        return math.prod(len(axis.values) for axis in self.axes)

    @property
    def names(self):
        return tuple(axis.name for axis in self.axes)

    def configs(self):
        """The config of each cell, in grid order."""
        return [replace(self.base, **dict(zip(self.names, combination, strict=True)))
                for combination in itertools.product(*(axis.values for axis in self.axes))]

    def label(self, config):
        """The swept settings of one cell: 'hidden 64 · lr 0.1'."""
        return " · ".join(f"{name} {value_text(getattr(config, name))}" for name in self.names)

    def estimate(self, workers=1):
        """An Estimate from ``nncore.estimate_seconds`` of each cell, handed in grid order to the
        first free of ``workers`` workers."""
        seconds = tuple(estimate_seconds(config) for config in self.configs())
        busy = [0.0] * max(1, min(workers, len(seconds)))
        for cell in seconds:
            busy[busy.index(min(busy))] += cell
        return Estimate(seconds, len(busy), sum(seconds), max(busy))


@dataclass(frozen=True)
class Cell:
    """One finished cell: its place in the grid, config, scores, and how long and where it was
    trained (``worker``: 'host:pid'; with ``seconds``, left out when cells are compared: the same
    run trained elsewhere is equal). ``result`` is the TrainResult when it was asked for, else None."""

    index: int
    config: TrainConfig
    val_accuracy: float
    test_accuracy: float
    best_epoch: int
    epochs_run: int
    ended: str
    seconds: float = field(compare=False)
    worker: str = field(compare=False)
    result: TrainResult = field(default=None, compare=False, repr=False)

    def scores(self):
        """(validation, test) accuracy, NaN-free for sorting: a run without a finished epoch is -1."""
        return tuple(-1.0 if math.isnan(v) else v for v in (self.val_accuracy, self.test_accuracy))

    def row(self):
        """The cell as a flat dict: its number, every setting, its scores and the command line."""
        return {"cell": self.index + 1, **self.config.to_dict(), "val_accuracy": self.val_accuracy,
                "test_accuracy": self.test_accuracy, "best_epoch": self.best_epoch, "epochs_run": self.epochs_run,
                "ended": self.ended, "seconds": round(self.seconds, 3), "worker": self.worker,
                "command": self.config.command()}


COLUMNS = ["cell", *(f.name for f in fields(TrainConfig)), "val_accuracy", "test_accuracy", "best_epoch",
           "epochs_run", "ended", "seconds", "worker", "command"]


def cell_of(index, result, worker, keep_result=False):
    """The Cell at ``index`` of a grid whose run is ``result`` (a TrainResult), trained on ``worker``
    ('host:pid', or '' when not known): its scores are the run's."""
    return Cell(index, result.config, result.best_val_accuracy, result.test_accuracy, result.best_epoch,
                result.epochs_run, result.ended, result.seconds, worker, result if keep_result else None)


def train_cell(index, config, keep_result=False):
    """Train one cell (on whichever process runs it). Returns a Cell."""
    with single_threaded_blas():
        result = train(config, callback=pools.end_if_orphaned)  # a local worker whose server died ends here
    return cell_of(index, result, f"{socket.gethostname()}:{os.getpid()}", keep_result)


def known_cells(sweep, find):
    """The cells of ``sweep`` whose runs exist already, without training anything: {index: Cell}
    (without its result, worker unknown) for each cell's config that ``find(config)`` returns a
    finished TrainResult of; ``find`` returns None for a run it does not hold."""
    cells = {}
    for index, config in enumerate(sweep.configs()):
        result = find(config)
        if result is not None and result.config == config and not result.stopped_early:
            cells[index] = cell_of(index, result, "")
    return cells


def run(sweep, n_jobs=None, scheduler=None, keep_results=False, stop=None, on_start=None, only=None, poll=None,
        admit=None, local="kept"):
    """Train the cells of ``sweep``; yields each Cell as it finishes (in any order).

    ``n_jobs``: cells trained at once (None: one per core here, every worker thread on Dask).
    ``scheduler``: a Dask scheduler's address ('tcp://host:8786') or a ``distributed.Client``: each
    cell is then a task on its workers. Otherwise the cells run here: in processes of the local pool
    ``local`` (nncore.lab.pools: 'kept', the app's warm workers, or 'forked', copies of a one-thread
    caller such as the command line), or in this process, one after the other, when the time the
    workers would save (``in_process``) is less than they take to start. Either way the cells are
    handed out by this one loop, ``n_jobs`` at a time.
    ``keep_results``: give each Cell its TrainResult. ``stop``: a threading.Event; once set, no
    further cell starts, and the ones running finish and are yielded. ``on_start(index)`` is called
    as each cell is handed out. ``only``: the indices to train (default all). ``poll``: seconds;
    when given, None is yielded whenever that long passes without a cell finishing (the caller's
    chance to draw, or to set ``stop``; in this process, between cells). ``admit(index)``: asked
    before each cell starts, False to hold it back for now (a shared server's fair queue); it is
    asked again after ``poll``.
    Raises PoolError (nncore.lab.pools) when the scheduler cannot be reached or has no workers, a
    worker cannot import nncore, or a worker process dies.
    """
    configs = sweep.configs()
    waiting = deque(range(len(configs)) if only is None else sorted(only))
    stop = threading.Event() if stop is None else stop
    with pools.connect(scheduler) as client:
        slots = pools.workers(client, n_jobs)
        if client is None and in_process(sweep, slots, local, waiting):
            yield from _run_here(configs, waiting, keep_results, stop, on_start, poll, admit)
            return
        if client is None and local == "forked":  # forked workers start with the digits and splits already read
            for seed, val_share in dict.fromkeys((c.seed, c.val_share) for c in configs):
                data.split(seed, val_share)
        with (pools.local_pool(local, slots) if client is None else nullcontext(pools.executor(client, slots))) as pool:
            yield from _run_on(pool, slots, configs, waiting, keep_results, stop, on_start, poll, admit)


def in_process(sweep, slots, local="kept", only=None):
    """Whether the cells ``only`` (default all) of ``sweep`` train faster one after the other in
    this process than on ``slots`` workers of the local pool ``local``: the estimated training
    time the workers save (all of it, less the time until the last of them ends) is less than
    they take to start (``pools.start_seconds``; a warm kept pool takes none)."""
    estimate = sweep.estimate(slots)
    per_cell = estimate.per_cell if only is None else [estimate.per_cell[i] for i in only]
    busy = [0.0] * max(1, min(slots, len(per_cell)))
    for seconds in per_cell:
        busy[busy.index(min(busy))] += seconds
    return sum(per_cell) - max(busy) < pools.start_seconds(local, slots)


def _run_here(configs, waiting, keep_results, stop, on_start, poll, admit):
    while waiting and not stop.is_set():
        if admit is not None and not admit(waiting[0]):
            time.sleep(poll or 0.1)
            yield None
            continue
        index = waiting.popleft()
        if on_start is not None:
            on_start(index)
        yield train_cell(index, configs[index], keep_results)


def _run_on(pool, slots, configs, waiting, keep_results, stop, on_start, poll, admit):
    running = set()
    try:
        while running or (waiting and not stop.is_set()):
            while waiting and len(running) < slots and not stop.is_set():
                if admit is not None and not admit(waiting[0]):
                    break
                index = waiting.popleft()
                if on_start is not None:
                    on_start(index)
                running.add(pools.submit(pool, train_cell, index, configs[index], keep_results))
            if not running:  # held back by ``admit``: nothing to wait for but time
                time.sleep(poll or 0.1)
                yield None
                continue
            done, running = wait(running, timeout=poll, return_when=FIRST_COMPLETED)
            if not done:
                yield None
            for future in done:
                yield pools.outcome(future)
    finally:  # stopped early (an error, or the caller let go): what has not started never will
        for future in running:
            future.cancel()


def best(cells):
    """The cell with the highest validation accuracy (the test split only reports; it never
    chooses), the earlier in the grid on a tie; None for no cells."""
    return max(cells, key=lambda cell: (cell.scores()[0], -cell.index), default=None)


@dataclass(frozen=True)
class Point:
    """The cells of one combination of the swept settings other than the seed, over the seeds."""

    settings: tuple        # ((name, value), ...), the non-seed axes
    seeds: int
    val_mean: float
    val_std: float
    test_mean: float
    test_std: float

    @property
    def label(self):
        """'hidden 64 · lr 0.1' (empty when the seed is the only axis)."""
        return " · ".join(f"{name} {value_text(value)}" for name, value in self.settings)


def over_seeds(sweep, cells):
    """One Point per combination of the non-seed axes that has finished cells, in grid order:
    mean and standard deviation of the validation and test accuracy over the seeds."""
    names = [name for name in sweep.names if name != "seed"]
    groups = {}
    for cell in sorted(cells, key=lambda c: c.index):
        groups.setdefault(tuple((n, getattr(cell.config, n)) for n in names), []).append(cell)
    points = []
    for settings, group in groups.items():
        val, test = (np.array([c.scores()[k] for c in group]) for k in (0, 1))
        points.append(Point(settings, len(group), float(val.mean()), float(val.std()), float(test.mean()),
                            float(test.std())))
    return points


def best_point(points):
    """The Point with the highest mean validation accuracy (the earlier on a tie), or None."""
    return max(reversed(points), key=lambda point: point.val_mean, default=None)


def grid(sweep, cells, metric):
    """A metric ('val_accuracy', 'test_accuracy', 'seconds') of the cells of a two-axis sweep as
    an array (values of the second axis, values of the first), NaN where a cell has not finished."""
    first, second = sweep.axes
    values = np.full((len(second.values), len(first.values)), np.nan)
    for cell in cells:
        i, j = divmod(cell.index, len(second.values))  # the first axis is the slower
        values[j, i] = getattr(cell, metric)
    return values


def write_csv(cells, file):
    """Write the cells (grid order) to a text file object as CSV, one row per cell (COLUMNS)."""
    import csv

    writer = csv.DictWriter(file, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for cell in sorted(cells, key=lambda c: c.index):
        writer.writerow(cell.row())
