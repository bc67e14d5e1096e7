"""Chart data computed from a trained run: plain arrays in, plain arrays out (no Streamlit).

scikit-learn's metrics are imported where they are used: importing scikit-learn takes about 2 s,
and the first page of a freshly started server needs none of it.
"""

from dataclasses import dataclass

import numpy as np

import nncore


@dataclass(frozen=True)
class Evaluation:
    """A run's predictions on its test split (raw pixels X, labels y, probabilities, indices)."""

    X: np.ndarray          # (n, 64) raw 0..16 pixels
    y: np.ndarray          # (n,) true digits
    probs: np.ndarray      # (n, 10)
    index: np.ndarray      # (n,) positions in nncore.digits()

    @property
    def predicted(self):
        return self.probs.argmax(axis=1)

    @property
    def accuracy(self):
        return float((self.predicted == self.y).mean())

    def confusion(self):
        """(10, 10) counts: row = true digit, column = predicted digit."""
        from sklearn.metrics import confusion_matrix

        return confusion_matrix(self.y, self.predicted, labels=range(10))

    def per_class(self):
        """dict of arrays (10,): precision, recall, f1, support."""
        from sklearn.metrics import precision_recall_fscore_support

        precision, recall, f1, support = precision_recall_fscore_support(
            self.y, self.predicted, labels=range(10), zero_division=0)
        return {"precision": precision, "recall": recall, "f1": f1, "support": support}

    def misclassified(self):
        """Positions (into this evaluation) of wrong predictions, most confident mistakes first."""
        wrong = np.flatnonzero(self.predicted != self.y)
        return wrong[np.argsort(-self.probs[wrong].max(axis=1), kind="stable")]


def evaluate(result):
    """Evaluation of ``result`` on the test split of its seed."""
    X_all, y_all = nncore.digits()
    index = nncore.split(result.config.seed, result.config.val_share).test
    X = X_all[index]
    return Evaluation(X, y_all[index], result.predict_proba(X), index)


def row_percentages(counts):
    """Counts (k, k) as percentages of each row's total (rows with no examples give 0)."""
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(100.0 * counts, totals, out=np.zeros(counts.shape, dtype=float), where=totals > 0)


def top_guesses(probs, k=2):
    """The k most probable digits of one probability vector, as [(digit, probability), ...]."""
    order = np.argsort(-probs, kind="stable")[:k]
    return [(int(d), float(probs[d])) for d in order]


def overfitting(history, epochs=3):
    """The epoch after which the validation loss has risen for at least ``epochs`` epochs while the
    training loss kept falling (the network memorising its training digits), or None."""
    val, fit = np.asarray(history["val_loss"]), np.asarray(history["train_loss"])
    if len(val) <= epochs:
        return None
    lowest = int(np.argmin(val))  # 0-based: the epoch lowest + 1
    rising = len(val) - 1 - lowest
    if rising >= epochs and val[-1] > val[lowest] * 1.02 and fit[-1] < fit[lowest]:
        return lowest + 1
    return None
