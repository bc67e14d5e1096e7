"""The training loop: data -> model -> minibatch SGD epochs -> best-validation weights -> test.

Training runs in float32 (the speed); the epochs themselves -- one shuffle into preallocated
arrays, then the MLP's forward, backward and SGD step per batch -- run in ``fused.FusedSGD``,
which does the model's maths with no allocation per step. The model's own float64 mode stays for
the gradient checks.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from . import augment, data
from .config import TrainConfig
from .functions import softmax
from .fused import FusedSGD, evaluate_average, single_threaded_blas
from .model import MLP

HISTORY_KEYS = ("train_loss", "val_loss", "train_acc", "val_acc")


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


@dataclass
class TrainResult:
    """A trained run: the best-validation model with its standardization, history and scores.

    ``history`` maps each of HISTORY_KEYS to one float per finished epoch (never NaN);
    ``best_epoch`` counts from 1 (0: no epoch finished, the initial weights are kept);
    ``diverged_epoch`` is the epoch whose loss became NaN or inf, or None.
    """

    config: TrainConfig
    model: MLP
    standardizer: data.Standardizer
    history: dict = field(default_factory=lambda: {k: [] for k in HISTORY_KEYS})
    best_epoch: int = 0
    test_accuracy: float = float("nan")
    diverged_epoch: int = None
    stopped_early: bool = False
    seconds: float = 0.0
    more_models: list = field(default_factory=list)  # the other networks of an ensemble (config.ensemble > 1)

    @property
    def models(self):
        """Every network of the run: ``model`` first, then the rest of an ensemble."""
        return [self.model, *self.more_models]

    @property
    def diverged(self):
        return self.diverged_epoch is not None

    @property
    def epochs_run(self):
        return len(self.history["val_acc"])

    @property
    def best_val_accuracy(self):
        return self.history["val_acc"][self.best_epoch - 1] if self.best_epoch else float("nan")

    @property
    def name(self):
        return self.config.name

    def predict_proba(self, X):
        """Class probabilities (n, 10) of raw Digits rows X (n, 64) with pixels in 0..16 (an
        ensemble's: the mean of its networks' softmax outputs)."""
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        X = self.standardizer(X, self.model.dtype)
        probs = softmax(self.model.forward(X).astype(np.float64))
        for model in self.more_models:
            probs += softmax(model.forward(X).astype(np.float64))
        if self.more_models:
            probs /= 1 + len(self.more_models)
        return probs

    def predict(self, X):
        """Predicted digits (n,) of raw rows X (n, 64): the argmax of ``predict_proba`` (of the
        logits for a single network, the same digits without computing the softmax)."""
        if self.more_models:
            return self.predict_proba(X).argmax(axis=1)
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        return self.model.forward(self.standardizer(X, self.model.dtype)).argmax(axis=1)


def train(config=None, callback=None, dtype=np.float32):
    """Train an MLP on Digits with ``config`` (a TrainConfig; default settings if None).

    After each epoch, ``callback(EpochStats)`` is called when given; returning True stops
    training there. An epoch whose loss is NaN or inf ends training and marks the run diverged;
    the weights of the best finished epoch are kept either way. Returns a TrainResult.

    With ``config.ensemble`` = N > 1, N networks are trained side by side on the same training
    rows (augmented copies included), each with its own initial weights and shuffling (the first
    exactly as the single network of these settings). Giving each its own augmented copies too
    read new handwriting no better (bench/handwriting.py's dev set: 0.851 vs 0.856 over seeds
    0-4) and tripled the time of augmentation, the preset's largest cost. Each epoch trains all
    of them; the history holds their mean training figures and the validation figures of their
    averaged softmax output, and the epoch kept is the one where that average validated best.
    """
    config = config or TrainConfig()
    if not isinstance(config, TrainConfig):
        raise TypeError(f"train() takes a TrainConfig, got {type(config).__name__}")
    started = time.perf_counter()
    X_all, y_all = data.digits()
    parts = data.split(config.seed, config.val_share)
    X_fit, y_fit = X_all[parts.train], y_all[parts.train]
    if config.augment:  # distorted copies of the training split only, from their own seeded stream
        X_fit, y_fit = augment.augmented(X_fit, y_fit, config.augment, np.random.default_rng([config.seed, 1]))
    standardizer = data.Standardizer.fit(X_fit)
    X_train, y_train = standardizer(X_fit, dtype), y_fit
    X_val, y_val = standardizer(X_all[parts.val], dtype), y_all[parts.val]
    n = len(y_train)
    batch = min(config.batch, n)

    # Network 0 is the single network of ensemble=1; the others draw their initial weights and
    # shuffling from streams of their own.
    rngs = [np.random.default_rng(config.seed if k == 0 else [config.seed, 0, k]) for k in range(config.ensemble)]
    models = [MLP(X_train.shape[1], config.hidden, 10, seed=rng, dtype=dtype) for rng in rngs]
    best = [model.copy() for model in models]
    result = TrainResult(config, best[0], standardizer, more_models=best[1:])
    sgds = [FusedSGD(model, X_train, y_train, batch) for model in models]  # the fast path of forward/backward/step
    best_val_acc = -1.0

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), single_threaded_blas():
        for epoch in range(1, config.epochs + 1):
            epoch_started = time.perf_counter()
            train_loss, train_acc = 0.0, 0.0
            for sgd, rng in zip(sgds, rngs, strict=True):
                loss, correct = sgd.epoch(rng.permutation(n), config.lr)
                train_loss += loss / len(sgds)
                train_acc += correct / n / len(sgds)
            if len(sgds) == 1:
                val_loss, val_correct = sgds[0].evaluate(X_val, y_val)
            else:
                val_loss, val_correct = evaluate_average(sgds, X_val, y_val)
            val_acc = val_correct / len(y_val)
            if not (np.isfinite(train_loss) and np.isfinite(val_loss)):
                result.diverged_epoch = epoch
                break
            stats = EpochStats(epoch, config.epochs, train_loss, val_loss, train_acc, val_acc,
                               time.perf_counter() - epoch_started)
            for key in HISTORY_KEYS:
                result.history[key].append(float(getattr(stats, key)))
            if val_acc >= best_val_acc:  # on a tie the later, better-fitted epoch
                best_val_acc, result.best_epoch = val_acc, epoch
                for sgd, kept in zip(sgds, best, strict=True):
                    for name, value in sgd.parameters().items():
                        np.copyto(getattr(kept, name), value)
            if callback is not None and callback(stats):
                result.stopped_early = epoch < config.epochs
                break

        X_test, y_test = data.test_set(config.seed)  # on the one BLAS thread too: a second one waiting
        result.test_accuracy = float((result.predict(X_test) == y_test).mean())  # for a core cost ~15 ms
    result.seconds = time.perf_counter() - started
    return result
