"""TrainResult: a trained run -- its networks, standardization, history and scores -- and what
can be asked of it: predictions, the saliency map, how training ended, the weights of earlier
epochs."""

from dataclasses import dataclass, field

import numpy as np

from . import data
from .config import TrainConfig
from .functions import softmax
from .lab.health import HEALTH_KEYS
from .model import MLP, Ensemble

HISTORY_KEYS = ("train_loss", "val_loss", "train_acc", "val_acc")


@dataclass
class TrainResult:
    """A trained run: the best-validation networks with their standardization, history and scores.

    ``history`` maps each of HISTORY_KEYS to one float per finished epoch (never NaN): the
    training loss is the cross-entropy on the labels it learned from, without the L2 penalty (the
    quantity the validation loss measures), accuracies are against the true labels; and each of
    HEALTH_KEYS (nncore.lab.health) to one float per finished epoch, or to [] for a run saved
    before they were recorded;
    ``best_epoch`` counts from 1 (0: no epoch finished, the initial weights are kept);
    ``ended`` says why training ended: "completed", "stopped" (the callback asked), "early
    stopping" (patience ran out) or "diverged" (``diverged_epoch``: the epoch whose loss became NaN
    or inf; ``diverged_losses``: that epoch's batch losses up to the first non-finite one).
    ``snapshots`` maps some epochs (0 = the initial weights) to each network's weights then.
    """

    config: TrainConfig
    ensemble: Ensemble
    standardizer: data.Standardizer
    history: dict = field(default_factory=lambda: {k: [] for k in HISTORY_KEYS + HEALTH_KEYS})
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

    def logit_gradient(self, raw_row, digit):
        """d logit(digit) / d pixel (64,): how the network's score for ``digit`` before the softmax
        changes with each raw pixel (0..16 scale) of ``raw_row``, through the scaling (for an
        ensemble: the mean over its networks). The saliency map of Simonyan et al. (2014): unlike
        d P / d pixel (``input_gradient``) it carries no factor P (1 - P), which vanishes for a
        confident answer and leaves only noise to show. Computed by MLP.backprop, in float64."""
        X = self.standardizer(np.reshape(np.asarray(raw_row, dtype=np.float64), (1, -1)))
        gradient = np.zeros(X.shape[1])
        for model in self.ensemble:
            network = model.copy(np.float64)
            logits = network.forward(X)                                   # (1, 10)
            network.backprop(np.eye(logits.shape[1])[[digit]], inputs=True)  # d logit_digit / d logits
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
