"""What a training run will cost, known before it starts: seconds on this machine, estimated from
its settings and a measured step of the same size.

A run is epochs x networks x (steps per epoch), each step one forward, backward and optimizer
step on a batch, plus a validation pass per epoch and the building of augmented copies. The
time of one step of a given size is measured here once (a few steps of a throwaway network on
random rows, on one BLAS thread as training runs) and kept, so the estimate follows the machine.
"""

import time
from functools import lru_cache

import numpy as np

from . import data, optim
from .config import TrainConfig
from .model import MLP

AUGMENT_SECONDS_PER_DIGIT = 35e-6  # distorting one training digit (bench/handwriting.py: ~0.35 s for 10,770)


@lru_cache(maxsize=256)
def seconds_per_step(hidden, batch, activation="relu", optimizer="sgd"):
    """Measured seconds of one training step (forward, backward, optimizer step) on ``batch`` rows
    with ``hidden`` units: the fastest of up to 5 steps after a warm-up step, fewer once 20 ms have
    gone to timing (a large step is its own average; timing it 7 times made a sweep's estimate
    cost half a minute of CPU)."""
    from .training import single_threaded_blas  # training imports this module's callers, not this one

    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, 64)).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    model = MLP(64, hidden, 10, seed=0, dtype=np.float32, activation=activation)
    optimizer_ = optim.make(optimizer, model.parameters(), 1e-3)
    timings = []
    with single_threaded_blas():
        for attempt in range(6):
            started = time.perf_counter()
            model.forward(X)
            optimizer_.step(model.backward(Y))
            if attempt:  # the first step warms up
                timings.append(time.perf_counter() - started)
                if sum(timings) > 0.02:
                    break
    return min(timings)


def epoch_seconds(config, step=seconds_per_step):
    """Seconds of one network's training steps in one epoch of ``config``: its training rows (with
    their distorted copies) in batches, each step timed by ``step(hidden, batch, activation,
    optimizer)`` (ours by default; nncore.peer passes scikit-learn's)."""
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
        raise TypeError(f"estimate_seconds() takes a TrainConfig, got {type(config).__name__}")
    validation = len(data.split(config.seed, config.val_share).val)
    # the validation pass: a forward pass of the validation rows, about a third of a step of that size
    per_epoch = epoch_seconds(config) + seconds_per_step(config.hidden, validation, config.activation, "sgd") / 3
    return config.epochs * config.ensemble * per_epoch + augmentation_seconds(config)
