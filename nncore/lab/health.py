"""Training health, measured every epoch: how many hidden units are dead, and how large the
gradients reaching each layer's weights are.

A unit is *dead* when its gradient factor f'(Z1) stays below DEAD_FRACTION of the largest value
f' can take on every validation digit: a ReLU unit that never fires, a tanh or sigmoid unit stuck
in its flat part. No blame reaches its incoming weights, so they stop learning. Leaky ReLU's
factor never falls below 1% of its peak (its slope for negative inputs is exactly that), so a
leaky unit never counts.
"""

import numpy as np

from ..functions import ACTIVATIONS, DERIVATIVES

HEALTH_KEYS = ("dead_units", "grad_W1", "grad_W2")
DEAD_FRACTION = 0.01
# The largest value each activation's derivative f' takes (at Z = 0 for tanh and sigmoid).
DERIVATIVE_PEAK = {"relu": 1.0, "leaky_relu": 1.0, "tanh": 1.0, "sigmoid": 0.25}


def dead_unit_share(model, X):
    """The share of ``model``'s hidden units whose f'(Z1) is below DEAD_FRACTION of its peak on
    every row of X (n, n_in), standardized inputs. 0 for leaky ReLU, whose f' never is."""
    H = ACTIVATIONS[model.activation](X @ model.W1 + model.b1)             # (n, hidden)
    factor = DERIVATIVES[model.activation](H).astype(np.float64)           # (n, hidden): f'(Z1)
    largest = factor.max(axis=0, initial=0.0)                              # (hidden,): over the rows
    return float(np.mean(largest < DEAD_FRACTION * DERIVATIVE_PEAK[model.activation]))


def gradient_norms(grads):
    """(|dW1|, |dW2|): the Frobenius norms of one step's weight gradients."""
    return float(np.linalg.norm(grads["W1"])), float(np.linalg.norm(grads["W2"]))


def epoch_health(models, X_val, norms):
    """The health of one epoch, {key: value} for HEALTH_KEYS: the dead-unit share on the
    validation rows X_val and the mean over the epoch's batches of each gradient norm, both
    averaged over the networks of an ensemble. ``norms``: per network, the list of
    ``gradient_norms`` of its batches."""
    per_network = [np.mean(network, axis=0) for network in norms if network]
    grad_W1, grad_W2 = np.mean(per_network, axis=0) if per_network else (np.nan, np.nan)
    return {"dead_units": float(np.mean([dead_unit_share(model, X_val) for model in models])),
            "grad_W1": float(grad_W1), "grad_W2": float(grad_W2)}
