"""What a training run will cost, known before it starts: seconds on this machine, estimated from
its settings and a model of one step fitted to a few measured steps.

A run is epochs x networks x (steps per epoch), each step one forward, backward and optimizer
step on a batch, plus a validation pass per epoch and the building of augmented copies. The
seconds of a step of any size come from a StepModel: steps of a few sizes (a 3 x 3 grid of hidden
units and batch rows, the largest 1,024 x 1,024) are measured once, on one BLAS thread as
training runs, and any other size is read off that grid. An estimate then costs microseconds,
whatever sizes are typed: no step of a typed size is ever timed.

A step is timed in the CPU seconds of the thread that runs it, not on the wall clock, so steps
measured while other sessions train are not counted slow; and a model is measured again once
it is MAX_AGE seconds old, so nothing measured once rules for the server's lifetime.
"""

import math
import threading
import time

import numpy as np

from .. import data, optim
from ..config import TrainConfig
from ..errors import ConfigError
from ..model import MLP
from .threads import single_threaded_blas

AUGMENT_SECONDS_PER_DIGIT = 35e-6  # distorting one training digit (bench/handwriting.py: ~0.35 s for 10,770)
GRID = (16, 128, 1024)  # hidden units and batch rows measured: 9 sizes in all
MAX_AGE = 600.0         # seconds a fitted model is used before its steps are measured again


def duration(seconds):
    """Seconds as a person reads them: '0.04 s', '3.2 s', '35 s', '4 min 10 s', '12 min', '2 h 5 min'."""
    if seconds < 1:
        return f"{seconds:.2g} s"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s" if minutes < 10 else f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def measured_step(hidden, batch, activation="relu", optimizer="sgd"):
    """Measured CPU seconds of one training step (forward, backward, optimizer step) on ``batch``
    rows with ``hidden`` units: the fastest of up to 5 steps after a warm-up step, fewer once 50 ms
    have gone to timing (a large step is its own average). Uncached: StepModel calls it."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, 64)).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    model = MLP(64, hidden, 10, rng=0, dtype=np.float32, activation=activation)
    optimizer_ = optim.make(optimizer, model.parameters(), 1e-3)
    timings = []
    with single_threaded_blas():
        for attempt in range(6):
            started = time.thread_time()  # this thread's CPU: other processes' load does not count
            model.forward(X)
            optimizer_.step(model.backward(Y))
            if attempt:  # the first step warms up
                timings.append(time.thread_time() - started)
                if sum(timings) > 0.05:
                    break
    return max(min(timings), 1e-7)  # a step shorter than the clock's tick still costs something


def _along(x, xs, ys):
    """ys (at the increasing xs) read at x: linearly between points; below them, the smallest
    size's value (a smaller step still pays the fixed cost of its NumPy calls, which dominates
    there: a batch of 1 costs about what a batch of 16 does); above them, along the last segment
    with its slope kept within [0, 1]: in log-log terms, a step never costs less when it grows, nor
    more than in proportion (its work grows linearly with rows and units)."""
    if x < xs[0]:
        return float(ys[0])
    if x <= xs[-1]:
        return float(np.interp(x, xs, ys))
    slope = min(max((ys[-1] - ys[-2]) / (xs[-1] - xs[-2]), 0.0), 1.0)
    return float(ys[-1] + slope * (x - xs[-1]))


class StepModel:
    """Seconds of one training step of any size, for one activation and optimizer: ``measure``
    (hidden, batch, activation, optimizer) -> seconds is called on the GRID's sizes when the model
    is first used and again once the fit is ``max_age`` seconds old by ``clock``; any size is read
    off the grid in log-log terms (between its sizes, and beyond them along its edge)."""

    def __init__(self, activation="relu", optimizer="sgd", measure=measured_step, clock=time.monotonic,
                 max_age=MAX_AGE, grid=GRID):
        self.activation, self.optimizer, self.measure = activation, optimizer, measure
        self.clock, self.max_age, self.grid = clock, max_age, tuple(grid)
        self.fitted_at, self.log_seconds, self._lock = None, None, threading.Lock()

    def fit(self):
        """Measure the grid's steps now (log seconds, hidden by batch)."""
        self.log_seconds = np.log([[self.measure(hidden, batch, self.activation, self.optimizer)
                                    for batch in self.grid] for hidden in self.grid])
        self.fitted_at = self.clock()

    def __call__(self, hidden, batch):
        with self._lock:  # one fit at a time: sessions asking together wait for the same measurement
            if self.fitted_at is None or self.clock() - self.fitted_at > self.max_age:
                self.fit()
            table = self.log_seconds
        sizes = np.log(self.grid)
        per_batch = [_along(math.log(hidden), sizes, table[:, j]) for j in range(len(sizes))]
        return math.exp(_along(math.log(batch), sizes, per_batch))


_models, _models_lock = {}, threading.Lock()


def step_model(activation="relu", optimizer="sgd", measure=measured_step):
    """The server's StepModel for ``activation``, ``optimizer`` and ``measure``: one each, kept."""
    with _models_lock:
        key = (activation, optimizer, measure)
        if key not in _models:
            _models[key] = StepModel(activation, optimizer, measure)
        return _models[key]


def seconds_per_step(hidden, batch, activation="relu", optimizer="sgd"):
    """Seconds of one training step of ours on ``batch`` rows with ``hidden`` units, from the
    server's StepModel (its first use for an activation and optimizer measures 9 steps)."""
    return step_model(activation, optimizer)(hidden, batch)


def epoch_seconds(config, step=seconds_per_step):
    """Seconds of one network's training steps in one epoch of ``config``: its training rows (with
    their distorted copies) in batches, each step timed by ``step(hidden, batch, activation,
    optimizer)`` (ours by default; nncore.lab.peer passes scikit-learn's)."""
    rows = len(data.training_indices(config.seed, config.val_share, config.train_share)) * (1 + config.augment)
    batch = min(config.batch, rows)
    full, rest = divmod(rows, batch)
    seconds = full * step(config.hidden, batch, config.activation, config.optimizer)
    if rest:
        seconds += step(config.hidden, rest, config.activation, config.optimizer)
    return seconds


def augmentation_seconds(config):
    """Seconds to build the distorted copies of ``config``'s training digits (0 without any)."""
    return (len(data.training_indices(config.seed, config.val_share, config.train_share)) * config.augment
            * AUGMENT_SECONDS_PER_DIGIT)


def estimate_seconds(config):
    """Estimated seconds to train ``config`` (a TrainConfig) on this machine, from scratch."""
    if not isinstance(config, TrainConfig):
        raise ConfigError(f"estimate_seconds() takes a TrainConfig, got {type(config).__name__}")
    validation = len(data.split(config.seed, config.val_share).val)
    # the validation pass: a forward pass of the validation rows, about a third of a step of that size
    per_epoch = epoch_seconds(config) + seconds_per_step(config.hidden, validation, config.activation, "sgd") / 3
    return config.epochs * config.ensemble * per_epoch + augmentation_seconds(config)
