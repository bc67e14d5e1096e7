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


MEMORISING = 0.8  # a training loss under this share of the validation loss: the network fits its own digits better


def validation_loss_note(result):
    """What a rising validation loss means for this run, in sentences computed from its history, or
    None when the validation loss has not risen for 3 epochs while the training loss kept falling
    (``overfitting``). One explanation, chosen by what the run measured rather than by its settings:

    - validation accuracy held (within one validation digit): the network grew more confident,
      also on the few digits it gets wrong, and each of those costs ever more loss;
    - validation accuracy fell and the training loss ends well below the validation loss (under
      MEMORISING of it): it fits its training digits (and their wrong labels, if any) in ways that do
      not carry over -- overfitting;
    - validation accuracy fell but the training loss is about as high as the validation loss:
      training itself went wrong on every digit, not memorising (with the share of dead hidden
      units when the run recorded it).

    Then what the kept epoch means: when it is the last epoch, stopping earlier would not have
    given a more accurate network, and the note says so instead of suggesting it."""
    history = result.history
    since = overfitting(history)
    if since is None:
        return None
    val, fit, acc = history["val_loss"], history["train_loss"], history["val_acc"]
    n_val = len(nncore.split(result.config.seed, result.config.val_share).val)
    last, kept = len(val), result.best_epoch
    lowest = val[since - 1]
    words = [f"Validation loss was lowest at epoch {since} ({lowest:.3f}) and is {val[-1] / lowest:.2f}× "
             f"that by epoch {last} ({val[-1]:.3f}), while the training loss kept falling ({fit[since - 1]:.3f} → "
             f"{fit[-1]:.3f})."]
    right_then, right_now = round(acc[since - 1] * n_val), round(acc[-1] * n_val)
    held = right_now >= right_then - 1
    if held:
        words.append(f"Validation accuracy did not fall ({acc[since - 1]:.1%} → {acc[-1]:.1%}), so this is "
                     "not the network getting worse at digits: it grows ever more confident, also on the few "
                     "validation digits it gets wrong, and each of those costs more loss as its probability "
                     "for the true digit shrinks (a larger learning rate gets there sooner). The calibration "
                     "section of Curves & confusion shows how confident it is against how often it is right.")
    elif fit[-1] >= MEMORISING * val[-1]:
        dead = history.get("dead_units") or []
        words.append(f"Validation accuracy fell ({acc[since - 1]:.1%} → {acc[-1]:.1%}), but the training loss "
                     f"({fit[-1]:.3f}) is about as high as the validation loss ({val[-1]:.3f}): the network does not "
                     "fit its training digits better than new ones, so this is not memorising but training going "
                     "wrong on all of them"
                     + (f"; {dead[-1]:.0%} of the hidden units are dead (see Training health)."
                        if dead and dead[-1] >= 0.5 else "."))
        return {"overfitting": False, "text": " ".join(words)}
    else:
        noisy = (f" and the {result.config.label_noise:.0%} of their labels that are wrong"
                 if result.config.label_noise else "")
        words.append(f"Validation accuracy fell too ({acc[since - 1]:.1%} → {acc[-1]:.1%}): the network is fitting "
                     f"its training digits{noisy} in ways that do not carry over to new digits (overfitting).")
    if kept == last:
        words.append(f"Its validation accuracy was highest in its last epoch ({acc[-1]:.1%}), which the run keeps: "
                     "stopping earlier would not have given a more accurate network.")
    elif kept:
        remedy = "" if held else " Early stopping (patience), L2 or a larger training share would end nearer there."
        words.append(f"The run keeps epoch {kept}, its highest validation accuracy ({acc[kept - 1]:.1%}).{remedy}")
    return {"overfitting": not held, "text": " ".join(words)}
