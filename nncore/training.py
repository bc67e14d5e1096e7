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
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from threadpoolctl import ThreadpoolController

from . import augment, data, optim
from .config import TrainConfig
from .errors import ConfigError
from .functions import softmax
from .model import MLP, Ensemble

HISTORY_KEYS = ("train_loss", "val_loss", "train_acc", "val_acc")
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


@dataclass
class TrainResult:
    """A trained run: the best-validation networks with their standardization, history and scores.

    ``history`` maps each of HISTORY_KEYS to one float per finished epoch (never NaN);
    ``best_epoch`` counts from 1 (0: no epoch finished, the initial weights are kept);
    ``ended`` says why training ended: "completed", "stopped" (the callback asked), "early
    stopping" (patience ran out) or "diverged" (``diverged_epoch``: the epoch whose loss became NaN
    or inf; ``diverged_losses``: that epoch's batch losses up to the first non-finite one).
    ``snapshots`` maps some epochs (0 = the initial weights) to each network's weights then.
    """

    config: TrainConfig
    ensemble: Ensemble
    standardizer: data.Standardizer
    history: dict = field(default_factory=lambda: {k: [] for k in HISTORY_KEYS})
    best_epoch: int = 0
    test_accuracy: float = float("nan")
    diverged_epoch: int = None
    diverged_losses: list = field(default_factory=list)
    ended: str = "completed"
    seconds: float = 0.0
    snapshots: dict = field(default_factory=dict, repr=False)

    @property
    def models(self):
        """The networks of the run (one, or an ensemble's)."""
        return list(self.ensemble)

    @property
    def model(self):
        """The first (for ensemble=1: the only) network."""
        return self.ensemble[0]

    @property
    def diverged(self):
        return self.diverged_epoch is not None

    @property
    def stopped_early(self):
        """True when the callback stopped training before its last epoch."""
        return self.ended == "stopped"

    @property
    def epochs_run(self):
        return len(self.history["val_acc"])

    @property
    def best_val_accuracy(self):
        return self.history["val_acc"][self.best_epoch - 1] if self.best_epoch else float("nan")

    @property
    def name(self):
        return self.config.name

    @property
    def ending(self):
        """How training ended, in a sentence."""
        done, total = self.epochs_run, self.config.epochs
        if self.ended == "diverged":
            return f"diverged at epoch {self.diverged_epoch}: the loss became NaN or infinite"
        if self.ended == "stopped":
            return f"stopped at epoch {done} of {total}"
        if self.ended == "early stopping":
            losses = self.history["val_loss"]
            best = int(np.argmin(losses)) + 1
            return (f"early stopping at epoch {done} of {total}: the validation loss had not improved for "
                    f"{self.config.patience} epochs (lowest {losses[best - 1]:.4f} at epoch {best})")
        return f"completed all {total} epochs"

    def predict_proba(self, X):
        """Class probabilities (n, 10) of raw Digits rows X (n, 64) with pixels in 0..16 (an
        ensemble's: the mean of its networks' softmax outputs)."""
        return self.ensemble.predict_proba(self.standardizer(np.atleast_2d(X)))

    def predict(self, X):
        """Predicted digits (n,) of raw rows X (n, 64): the argmax of the probabilities."""
        return self.ensemble.log_proba(self.standardizer(np.atleast_2d(X))).argmax(axis=1)

    def input_gradient(self, raw_row, digit):
        """d P(digit) / d pixel (64,): how the probability of ``digit`` changes with each raw pixel
        (0..16 scale) of ``raw_row``, through the standardization (for an ensemble: of the averaged
        probability). The saliency map; computed by MLP.backprop, in float64."""
        X = self.standardizer(np.reshape(np.asarray(raw_row, dtype=np.float64), (1, -1)))
        gradient = np.zeros(X.shape[1])
        for model in self.ensemble:
            network = model.copy(np.float64)
            P = softmax(network.forward(X))                               # (1, 10)
            onehot = np.eye(P.shape[1])[digit]
            network.backprop(P[:, digit, None] * (onehot - P), inputs=True)  # d P_digit / d logits
            gradient += network.trace["dX"][0]
        return gradient / len(self.ensemble) / self.standardizer.std       # d X / d raw = 1 / std

    def ensemble_at(self, epoch):
        """The networks as they were after ``epoch`` (0: before training), from the nearest
        snapshot at or before it. Returns (Ensemble, the snapshot's epoch)."""
        if not self.snapshots:  # diverged before any kept epoch
            return self.ensemble, self.best_epoch
        kept = max((e for e in self.snapshots if e <= epoch), default=min(self.snapshots))
        return Ensemble(MLP.from_arrays(**weights, activation=self.config.activation)
                        for weights in self.snapshots[kept]), kept

    def snapshot_bytes(self):
        return sum(a.nbytes for weights in self.snapshots.values() for net in weights for a in net.values())

    def nbytes(self):
        """Memory the run holds, roughly: its arrays, its snapshots and its lists of Python floats."""
        arrays = [p for model in self.ensemble for p in model.parameters().values()]
        arrays += [self.standardizer.mean, self.standardizer.std]
        floats = sum(len(values) for values in self.history.values()) + len(self.diverged_losses)
        return sum(a.nbytes for a in arrays) + self.snapshot_bytes() + 32 * floats


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


def run_epoch(model, optimizer, X, y, Y, batch, l2, rng):
    """One pass over the rows X (n, n_in) with labels y (n,) and their one-hot rows Y (n, n_out),
    shuffled by ``rng``, one step per batch of ``batch`` rows (the last may be smaller).

    Returns (batch losses, number classified correctly), measured on each batch before its step.
    Stops at the first batch whose loss is not finite (training has diverged)."""
    order = rng.permutation(len(y))
    X, y, Y = X[order], y[order], Y[order]             # one shuffle, into contiguous arrays
    losses, correct = [], 0
    for start in range(0, len(y), batch):
        Xb, yb, Yb = X[start:start + batch], y[start:start + batch], Y[start:start + batch]
        logits = model.forward(Xb)
        correct += int(np.count_nonzero(logits.argmax(axis=1) == yb))
        grads = model.backward(Yb, l2)
        losses.append(model.loss)
        if not math.isfinite(model.loss):
            break
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
    X_fit, y_fit = X_all[parts.train], y_all[parts.train]
    if config.augment:  # the training split and its distorted copies, built once per seed and kept
        X_fit, y_fit = augment.training_rows(config.seed, config.val_share, config.augment, augmentation)
    standardizer = data.Standardizer.fit(X_fit)
    X_train, y_train = standardizer(X_fit, dtype), y_fit
    Y_train = np.eye(10, dtype=dtype)[y_train]                              # one-hot rows (n, 10)
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
            train_loss, train_correct = 0.0, 0
            for model, optimizer, rng in zip(models, optimizers, rngs, strict=True):
                optimizer.lr = lr
                losses, correct = run_epoch(model, optimizer, X_train, y_train, Y_train, batch, config.l2, rng)
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
                               time.perf_counter() - epoch_started, lr)
            for key in HISTORY_KEYS:
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


def _weights(models):
    """A copy of each network's weights: [{name: array}, ...]."""
    return [{name: p.copy() for name, p in model.parameters().items()} for model in models]


@cache
def _batch_sizes(n, batch):
    """The sizes of the batches of an epoch of n rows: full ones, then the remainder."""
    return np.diff(np.append(np.arange(0, n, batch), n)).astype(np.float64)
