"""The training loop, as a straight line: data -> networks -> epochs of minibatch steps ->
best-validation weights -> test.

Every minibatch is ``model.forward(X)``, ``model.backward(y, l2)`` and ``optimizer.step(grads)``:
the same MLP the notes describe, in float32 (the speed; the checks use float64). Each epoch
shuffles the training rows once into contiguous arrays and walks them in slices.
"""

import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import numpy as np
from threadpoolctl import ThreadpoolController

from . import augment, data, optim
from .config import TrainConfig
from .errors import ConfigError
from .lab import health
from .model import MLP, Ensemble
from .result import HEALTH_KEYS, HISTORY_KEYS, TrainResult

SNAPSHOT_BYTES = 4 * 2**20  # weights kept per run for looking back at earlier epochs


@dataclass(frozen=True)
class EpochStats:
    """What the progress callback receives after each epoch (epoch counts from 1)."""

    epoch: int
    epochs: int
    train_loss: float
    val_loss: float
    train_acc: float
    val_acc: float
    seconds: float
    lr: float = float("nan")
    dead_units: float = float("nan")
    grad_W1: float = float("nan")
    grad_W2: float = float("nan")


def snapshot_epochs(epochs, bytes_per_epoch, limit=SNAPSHOT_BYTES):
    """The epochs (0 = the initial weights) whose weights a run keeps: all of them when they fit
    in ``limit`` bytes, else as many as fit, spread evenly from 0 to ``epochs``; at least the last."""
    fits = int(limit // max(bytes_per_epoch, 1))
    if fits > epochs:
        return set(range(epochs + 1))
    if fits < 2:
        return {epochs}
    return {int(e) for e in np.round(np.linspace(0, epochs, fits))}


_limit_lock = threading.Lock()
_limit = {"users": 0, "limiter": None}


@cache
def _blas():
    return ThreadpoolController()  # finds the loaded BLAS once (~0.1 ms); limiting it is then ~10 us


@contextmanager
def single_threaded_blas():
    """NumPy's BLAS on one thread for the duration. Our matrices are small: a second thread only
    waits for a core, and on a busy 2-core machine that made training several times slower. The
    limit is process-wide, so overlapping trainings (app sessions) are counted and the threads
    come back when the last one ends."""
    with _limit_lock:
        if _limit["users"] == 0:
            _limit["limiter"] = _blas().limit(limits=1, user_api="blas")
        _limit["users"] += 1
    try:
        yield
    finally:
        with _limit_lock:
            _limit["users"] -= 1
            if _limit["users"] == 0:
                _limit["limiter"].restore_original_limits()


def run_epoch(model, optimizer, X, y, Y, batch, l2, rng, norms=None):
    """One pass over the rows X (n, n_in) with true labels y (n,) and the one-hot rows Y (n, n_out)
    it learns from (y's, or noisy ones), shuffled by ``rng``, one step per batch of ``batch`` rows
    (the last may be smaller).

    Returns (batch cross-entropies, number classified correctly against y), measured on each
    batch before its step; the cross-entropy leaves out the L2 penalty, so it is the quantity
    the validation loss measures. Stops at the first batch whose loss is not finite (training
    has diverged). With a list ``norms``, appends each step's (|dW1|, |dW2|)."""
    order = rng.permutation(len(y))
    X, y, Y = X[order], y[order], Y[order]             # one shuffle, into contiguous arrays
    losses, correct = [], 0
    for start in range(0, len(y), batch):
        Xb, yb, Yb = X[start:start + batch], y[start:start + batch], Y[start:start + batch]
        logits = model.forward(Xb)
        correct += int(np.count_nonzero(logits.argmax(axis=1) == yb))
        grads = model.backward(Yb, l2)
        losses.append(model.cross_entropy)
        if not math.isfinite(model.loss):
            break
        if norms is not None:
            norms.append(health.gradient_norms(grads))
        optimizer.step(grads)
    return losses, correct


def train(config=None, callback=None, dtype=np.float32, augmentation=augment.DEFAULTS):
    """Train on Digits with ``config`` (a TrainConfig; the defaults if None). Returns a TrainResult.

    After each epoch, ``callback(EpochStats)`` is called when given; returning True stops
    training there. A batch whose loss is NaN or inf ends training and marks the run diverged;
    the weights of the best finished epoch (highest validation accuracy; on a tie the later) are
    kept in every case.

    With ``config.ensemble`` = N > 1, N networks train side by side on the same rows, each with
    its own initial weights and shuffling (the first exactly as the single network of these
    settings); the history holds their mean training figures and the validation figures of their
    averaged softmax output, and the epoch kept is where that average validated best.

    ``augmentation`` (an augment.AugmentSettings) shapes the distorted copies when
    ``config.augment`` > 0; experiments pass variants, the app and the command line the defaults.
    """
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise ConfigError(f"train() takes a TrainConfig, got {type(config).__name__}")
    started = time.perf_counter()
    X_all, y_all = data.digits()
    parts = data.split(config.seed, config.val_share)
    X_fit, y_fit, y_learn = training_rows(config, augmentation)
    standardizer = data.SCALINGS[config.scaling](X_fit)
    X_train, y_train = standardizer(X_fit, dtype), y_fit
    Y_train = np.eye(10, dtype=dtype)[y_learn]                  # one-hot rows (n, 10) of the labels it learns
    X_val, y_val = standardizer(X_all[parts.val], dtype), y_all[parts.val]
    batch = min(config.batch, len(y_train))

    # Network 0 is the single network of ensemble=1; the others draw their initial weights and
    # shuffling from streams of their own.
    rngs = [np.random.default_rng(config.seed if k == 0 else [config.seed, 0, k]) for k in range(config.ensemble)]
    models = Ensemble(MLP(X_train.shape[1], config.hidden, 10, rng, dtype, config.activation) for rng in rngs)
    settings = {"momentum": config.momentum} if config.optimizer == "momentum" else {}
    optimizers = [optim.make(config.optimizer, model.parameters(), config.lr, **settings) for model in models]
    schedule = optim.SCHEDULES[config.schedule]
    result = TrainResult(config, models.copy(), standardizer)
    weights_bytes = sum(p.nbytes for model in models for p in model.parameters().values())
    keep = snapshot_epochs(config.epochs, weights_bytes)
    if 0 in keep:
        result.snapshots[0] = _weights(models)
    lowest_val_loss, since_lowest = math.inf, 0

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), single_threaded_blas():
        for epoch in range(1, config.epochs + 1):
            epoch_started = time.perf_counter()
            lr = schedule(config.lr, epoch, config.epochs)
            train_loss, train_correct, norms = 0.0, 0, [[] for _ in models]
            for model, optimizer, rng, kept in zip(models, optimizers, rngs, norms, strict=True):
                optimizer.lr = lr
                losses, correct = run_epoch(model, optimizer, X_train, y_train, Y_train, batch, config.l2, rng, kept)
                if not math.isfinite(losses[-1]):
                    result.diverged_epoch, result.diverged_losses, result.ended = epoch, losses, "diverged"
                    break
                train_loss += float(np.dot(losses, _batch_sizes(len(y_train), batch))) / len(y_train)
                train_correct += correct
            if result.diverged:
                break
            val_loss, val_acc = models.evaluate(X_val, y_val)
            if not math.isfinite(val_loss):
                result.diverged_epoch, result.ended = epoch, "diverged"
                break
            stats = EpochStats(epoch, config.epochs, train_loss / len(models),
                               val_loss, train_correct / len(y_train) / len(models), val_acc,
                               time.perf_counter() - epoch_started, lr, **health.epoch_health(models, X_val, norms))
            for key in HISTORY_KEYS + HEALTH_KEYS:
                result.history[key].append(float(getattr(stats, key)))
            if val_acc >= result.best_val_accuracy or result.best_epoch == 0:  # on a tie the later epoch
                result.best_epoch = epoch
                for model, kept in zip(models, result.ensemble, strict=True):
                    for name, value in model.parameters().items():
                        np.copyto(getattr(kept, name), value)
            if epoch in keep:
                result.snapshots[epoch] = _weights(models)
            if val_loss < lowest_val_loss:
                lowest_val_loss, since_lowest = val_loss, 0
            else:
                since_lowest += 1
            if callback is not None and callback(stats):
                result.ended = "stopped" if epoch < config.epochs else "completed"
                break
            if config.patience and since_lowest >= config.patience and epoch < config.epochs:
                result.ended = "early stopping"
                break

        if result.epochs_run and not result.diverged:  # the epoch it ended at, stopped early or not
            result.snapshots.setdefault(result.epochs_run, _weights(models))
        X_test, y_test = data.test_set(config.seed)  # on the one BLAS thread too: a second one waiting
        result.test_accuracy = float((result.predict(X_test) == y_test).mean())  # for a core cost ~15 ms
    result.seconds = time.perf_counter() - started
    return result


def training_rows(config, augmentation=augment.DEFAULTS):
    """(X, y, y_learn): the raw rows a run of ``config`` trains on (its share of the training split,
    then its distorted copies), their true labels, and the labels it learns from (``label_noise``
    of them replaced by a wrong digit, the same for a digit and its copies)."""
    X_all, y_all = data.digits()
    rows = data.training_indices(config.seed, config.val_share, config.train_share)
    noisy = data.noisy_labels(y_all[rows], config.label_noise, config.seed)
    if not config.augment:
        return X_all[rows], y_all[rows], noisy
    X_fit, y_fit = augment.training_rows(config.seed, config.val_share, config.augment, augmentation,
                                         config.train_share)
    return X_fit, y_fit, np.tile(noisy, 1 + config.augment)  # augmented rows: the rows, then each copy of them


def _weights(models):
    """A copy of each network's weights: [{name: array}, ...]."""
    return [{name: p.copy() for name, p in model.parameters().items()} for model in models]


@cache
def _batch_sizes(n, batch):
    """The sizes of the batches of an epoch of n rows: full ones, then the remainder."""
    return np.diff(np.append(np.arange(0, n, batch), n)).astype(np.float64)
