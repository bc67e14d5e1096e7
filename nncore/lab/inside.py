"""Looking inside a trained run: the numbers the app's views draw, computed by the run's own networks.

Nothing here repeats the network's maths: every activation, logit and gradient comes from
``MLP.forward`` / ``MLP.backward`` (the code that trains) run on a float64 copy of a network, and
every update from the optimizer that training uses. The run's own networks are never touched.

``network(result, epoch, index)`` is one network of a run as it was after ``epoch``; the other
functions take such a network (an MLP) and standardized rows X (n, 64), or a TrainResult and raw
0..16 rows, as their names say.
"""

from dataclasses import dataclass

import numpy as np

from .. import optim
from ..errors import NNCoreError
from ..training import optimizer_settings

SIDE = 8  # the digits are SIDE x SIDE pixels: a hidden unit's 64 input weights form such an image


def network(result, epoch=None, index=0):
    """Network ``index`` of ``result`` as it was after ``epoch`` (None: the kept, best-validation
    weights), as an independent float64 copy. Returns (MLP, the epoch of the weights used: the
    nearest kept snapshot at or before ``epoch``; for None, ``result.best_epoch``)."""
    if not 0 <= index < len(result.models):
        raise NNCoreError(f"network index must be 0 to {len(result.models) - 1}, got {index}")
    if epoch is None:
        return result.models[index].copy(np.float64), result.best_epoch
    ensemble, used = result.ensemble_at(epoch)
    return ensemble[index].copy(np.float64), used


def unit_images(model):
    """Each hidden unit's input weights as an 8x8 image: (hidden, 8, 8); image j is W1[:, j], the
    pattern of pixels that drives unit j up (positive) or down (negative)."""
    return model.W1.T.reshape(-1, SIDE, SIDE)


def blank_pixels(config):
    """The pixels (64,) of bool) that are 0 in every raw row the run of ``config`` trains on. Their
    input X is 0 for every training digit whatever the scaling (standardizing maps a constant 0 to
    0), so dW1 = X^T dZ1 is 0 on their rows: their weights keep their random initial values (only
    L2 shrinks them)."""
    from ..training import training_rows  # inspect is read by the app, training imports the network
    X, _, _ = training_rows(config)
    return ~np.any(X != 0, axis=0)


def forward(model, X):
    """The arrays of MLP.forward on standardized rows X (n, 64): {"X", "Z1", "H", "logits"}.
    ``model`` keeps the pass in its trace: give it a copy (``network``), never a run's own network."""
    model.forward(np.asarray(X, dtype=model.dtype))
    return dict(model.trace)


def hidden(model, X):
    """The hidden activations H (n, hidden) of standardized rows X (n, 64) (see ``forward``)."""
    return forward(model, X)["H"]


def hidden_of(result, raw_rows, epoch=None, index=0):
    """H (n, hidden) of raw rows (n, 64) in network ``index`` of ``result`` after ``epoch`` (None:
    the kept weights), through the run's standardization."""
    model, _ = network(result, epoch, index)
    return hidden(model, result.standardizer(np.atleast_2d(raw_rows)))


def contributions(model, x, digit):
    """How much each hidden unit pushed the logit of ``digit`` for one standardized row x (64,):
    H_j * W2[j, digit], an array (hidden,). Their sum plus b2[digit] is the logit."""
    H = hidden(model, np.reshape(x, (1, -1)))[0]                     # (hidden,)
    return H * model.W2[:, digit]


def importance(model, X):
    """How much each hidden unit moves the logits over the rows X (n, 64): the mean over the rows
    of |H_j| times the length of unit j's row of W2 (its votes for the 10 digits). (hidden,); a
    unit that never fires, or whose votes are all near 0, scores near 0."""
    H = hidden(model, X)                                              # (n, hidden)
    return np.abs(H).mean(axis=0) * np.linalg.norm(model.W2, axis=1)


def importance_order(model, X):
    """The hidden units, most important first (``importance``; ties keep the unit order)."""
    return np.argsort(-importance(model, X), kind="stable")


def drift(result, epoch, index=0):
    """How far network ``index``'s weights have moved from their random start by ``epoch``:
    {"W1": |W1_epoch - W1_0| / |W1_0|, "W2": likewise} (Frobenius norms; 0 at epoch 0), or None
    when the run did not keep its initial weights."""
    start, kept = network(result, 0, index)
    if kept != 0:
        return None
    now, _ = network(result, epoch, index)
    return {name: float(np.linalg.norm(getattr(now, name) - getattr(start, name))
                        / np.linalg.norm(getattr(start, name))) for name in ("W1", "W2")}


def saliency(result, raw_row, digit, per_std=False):
    """d logit(digit) / d raw pixel (64,) of ``raw_row`` (TrainResult.logit_gradient: the score
    before the softmax, whose gradient does not vanish when the answer is confident). With
    ``per_std``, d logit(digit) / d X, the scaled input: the change for one standard deviation of
    ink at each pixel (for a standardized run). Pixels almost never inked in training have a tiny
    std, so a little raw ink there moves X, and the logit, a lot; per std, every pixel is measured
    on its own typical variation."""
    gradient = result.logit_gradient(raw_row, digit)
    return gradient * result.standardizer.std if per_std else gradient    # d X / d raw = 1 / std


def strongest_voters(model):
    """For each digit, the hidden unit with the largest weight to it in W2: an array (n_out,)."""
    return model.W2.argmax(axis=0)


def probabilities_at(result, raw_rows, epoch):
    """(probabilities (n, 10), epoch used) of raw rows under the run's networks after ``epoch``
    (the nearest kept snapshot at or before it): the averaged softmax output, as in training."""
    ensemble, used = result.ensemble_at(epoch)
    return ensemble.predict_proba(result.standardizer(np.atleast_2d(raw_rows))), used


@dataclass(frozen=True)
class Walkthrough:
    """One forward and one backward pass of one digit, and the optimizer's step on it.

    ``arrays`` holds every named array of the pass, as MLP.forward/backward computed them:
    raw (1, 64), mean, std (64,), X (1, 64), W1, b1, Z1, H, W2, b2, logits, P, onehot, dlogits,
    dW2, db2, dH, dZ1, dW1, db1 (with their shapes in the model's docstring). ``steps`` maps
    W1, b1, W2, b2 to the change the optimizer made (new - old); ``loss_after`` is this digit's
    loss with the stepped weights (same forward pass)."""

    arrays: dict
    loss: float
    steps: dict
    loss_after: float
    label: int
    epoch: int
    activation: str
    optimizer: str
    lr: float
    l2: float

    def __getitem__(self, name):
        return self.arrays[name]

    @property
    def predicted(self):
        return int(np.argmax(self.arrays["P"][0]))


def walkthrough(result, raw_row, label, epoch=None, index=0):
    """The forward and backward pass of ``raw_row`` (64 pixels in 0..16) with the true digit
    ``label`` through network ``index`` of ``result`` after ``epoch`` (None: the kept weights),
    then one step of the run's optimizer (fresh state, as at training's first step; learning
    rate of the run's schedule for the epoch after the weights'). Returns a Walkthrough; raises NNCoreError for a
    label outside 0..9."""
    if not 0 <= int(label) <= 9:
        raise NNCoreError(f"label must be a digit 0 to 9, got {label}")
    config = result.config
    model, used = network(result, epoch, index)
    before = {name: p.copy() for name, p in model.parameters().items()}
    raw = np.reshape(np.asarray(raw_row, dtype=np.float64), (1, -1))
    model.forward(result.standardizer(raw))
    grads = model.backward(np.array([int(label)]), config.l2)
    loss, trace = model.loss, dict(model.trace)
    onehot = np.eye(trace["P"].shape[1])[[int(label)]]
    lr = optim.SCHEDULES[config.schedule](config.lr, min(used + 1, config.epochs), config.epochs)  # the next step's
    optim.make(config.optimizer, model.parameters(), lr, **optimizer_settings(config)).step(grads)
    steps = {name: p - before[name] for name, p in model.parameters().items()}
    model.forward(trace["X"])
    model.backward(np.array([int(label)]), config.l2)
    arrays = {"raw": raw, "mean": result.standardizer.mean, "std": result.standardizer.std, **before, **trace,
              "onehot": onehot, **{f"d{name}": g for name, g in grads.items()}}
    return Walkthrough(arrays, loss, steps, model.loss, int(label), used, config.activation, config.optimizer,
                       lr, config.l2)


__all__ = ["SIDE", "Walkthrough", "contributions", "drift", "forward", "hidden", "hidden_of", "importance",
           "importance_order", "network", "probabilities_at", "saliency", "strongest_voters", "unit_images",
           "walkthrough"]
