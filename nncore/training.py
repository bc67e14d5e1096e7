"""The training loop, as a straight line: data -> networks -> epochs of minibatch steps ->
best-validation weights -> test.

Every minibatch is ``model.forward(X)``, ``model.backward(y, l2)`` and ``optimizer.step(grads)``:
the same MLP the notes describe, in float32 (the speed; the checks use float64). Each epoch
shuffles the training rows once into contiguous arrays and walks them in slices.
"""

import math
import time
from dataclasses import dataclass
from functools import cache

import numpy as np

from . import data, health, optim
from .config import TrainConfig
from .errors import ConfigError
from .health import HEALTH_KEYS
from .imaging import augment
from .model import MLP, Ensemble
from .result import HISTORY_KEYS, TrainResult

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
    kept in every case. Early stopping (``config.patience``) watches the validation loss.

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
    rows = prepare_rows(config, dtype, augmentation)
    models, optimizers, rngs = build_networks(config, rows.X_train.shape[1], dtype)
    result = TrainResult(config, models.copy(), rows.standardizer)
    keep = snapshot_epochs(config.epochs, sum(p.nbytes for model in models for p in model.parameters().values()))
    stopper = EarlyStopping(config.patience)
    if 0 in keep:
        result.snapshots[0] = _weights(models)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(1, config.epochs + 1):
            stats = train_epoch(epoch, config, rows, models, optimizers, rngs, result)
            if stats is None:  # a loss became NaN or inf: the result says where
                break
            record_epoch(result, stats, models, keep)
            if callback is not None and callback(stats):
                result.ended = "stopped" if epoch < config.epochs else "completed"
                break
            if stopper.stops(stats.val_loss) and epoch < config.epochs:
                result.ended = "early stopping"
                break
    finish(result, models)
    result.seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True)
class Rows:
    """What one run trains and validates on, scaled as its ``scaling`` says: X (n, 64) in the
    training dtype, y the true digits (n,), Y the one-hot rows (n, 10) of the labels it learns from
    (y's, or noisy ones), and the batch size (at most the training rows)."""

    X_train: np.ndarray
    y_train: np.ndarray
    Y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    standardizer: data.Standardizer
    batch: int


def prepare_rows(config, dtype=np.float32, augmentation=augment.DEFAULTS):
    """The Rows of a run of ``config``: its training rows (see ``training_rows``) and the validation
    split, both scaled by what its training rows give (``config.scaling``)."""
    X_all, y_all = data.digits()
    X_fit, y_fit, y_learn = training_rows(config, augmentation)
    standardizer = data.SCALINGS[config.scaling](X_fit)
    val = data.split(config.seed, config.val_share).val
    return Rows(standardizer(X_fit, dtype), y_fit, np.eye(10, dtype=dtype)[y_learn],
                standardizer(X_all[val], dtype), y_all[val], standardizer, min(config.batch, len(y_fit)))


def optimizer_settings(config):
    """The optimizer's own settings of a run (``momentum=`` for "momentum"), for ``optim.make``."""
    return {"momentum": config.momentum} if config.optimizer == "momentum" else {}


def build_networks(config, n_in, dtype=np.float32):
    """(networks, their optimizers, their random streams). Network 0 is the single network of
    ensemble=1; the others draw their initial weights and shuffling from streams of their own."""
    rngs = [np.random.default_rng(config.seed if k == 0 else [config.seed, 0, k]) for k in range(config.ensemble)]
    models = Ensemble(MLP(n_in, config.hidden, 10, rng, dtype, config.activation) for rng in rngs)
    optimizers = [optim.make(config.optimizer, model.parameters(), config.lr, **optimizer_settings(config))
                  for model in models]
    return models, optimizers, rngs


def train_epoch(epoch, config, rows, models, optimizers, rngs, result):
    """One epoch of every network at the schedule's learning rate, then the validation pass.
    Returns its EpochStats, or None when a loss became NaN or inf (``result`` then says diverged)."""
    started = time.perf_counter()
    lr = optim.SCHEDULES[config.schedule](config.lr, epoch, config.epochs)
    n = len(rows.y_train)
    train_loss, train_correct, norms = 0.0, 0, [[] for _ in models]
    for model, optimizer, rng, kept in zip(models, optimizers, rngs, norms, strict=True):
        optimizer.lr = lr
        losses, correct = run_epoch(model, optimizer, rows.X_train, rows.y_train, rows.Y_train, rows.batch,
                                    config.l2, rng, kept)
        if not math.isfinite(losses[-1]):
            result.diverged_epoch, result.diverged_losses, result.ended = epoch, losses, "diverged"
            return None
        train_loss += float(np.dot(losses, _batch_sizes(n, rows.batch))) / n
        train_correct += correct
    val_loss, val_acc = models.evaluate(rows.X_val, rows.y_val)
    if not math.isfinite(val_loss):
        result.diverged_epoch, result.ended = epoch, "diverged"
        return None
    return EpochStats(epoch, config.epochs, train_loss / len(models), val_loss, train_correct / n / len(models),
                      val_acc, time.perf_counter() - started, lr, **health.epoch_health(models, rows.X_val, norms))


def record_epoch(result, stats, models, keep):
    """The epoch into the run's history; its weights kept when it validated best (on a tie the
    later epoch) and as a snapshot when it is one of the ``keep`` epochs."""
    for key in HISTORY_KEYS + HEALTH_KEYS:
        result.history[key].append(float(getattr(stats, key)))
    if stats.val_acc >= result.best_val_accuracy or result.best_epoch == 0:
        result.best_epoch = stats.epoch
        for model, kept in zip(models, result.ensemble, strict=True):
            for name, value in model.parameters().items():
                np.copyto(getattr(kept, name), value)
    if stats.epoch in keep:
        result.snapshots[stats.epoch] = _weights(models)


class EarlyStopping:
    """Stops once the validation loss has not fallen below its lowest for ``patience`` epochs (0: never)."""

    def __init__(self, patience):
        self.patience, self.lowest, self.since_lowest = patience, math.inf, 0

    def stops(self, val_loss):
        """Take one epoch's validation loss; True when training should stop after it."""
        if val_loss < self.lowest:
            self.lowest, self.since_lowest = val_loss, 0
        else:
            self.since_lowest += 1
        return bool(self.patience) and self.since_lowest >= self.patience


def finish(result, models):
    """The weights of the epoch it ended at (stopped early or not) as a snapshot, and the test
    accuracy of the weights kept."""
    if result.epochs_run and not result.diverged:
        result.snapshots.setdefault(result.epochs_run, _weights(models))
    X_test, y_test = data.test_set(result.config.seed)
    result.test_accuracy = float((result.predict(X_test) == y_test).mean())


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
