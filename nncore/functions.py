"""Small pure functions of the network, gathered in dicts so a new choice is one entry.

Modelled on scikit-learn's ``neural_network/_base.py``: activations act in place where the
caller allows it, and their derivatives are written in terms of the activation's *output*,
which is what the backward pass keeps.
"""

import numpy as np


def relu(Z, out=None):
    """max(Z, 0), elementwise."""
    return np.maximum(Z, 0, out=out)


def relu_grad_(dH, H):
    """Multiply dH in place by relu'(Z), written with the output H = relu(Z)."""
    dH *= H > 0  # a multiply by the 0/1 mask: several times faster than dH[H <= 0] = 0
    return dH


ACTIVATIONS = {"relu": relu}
DERIVATIVES = {"relu": relu_grad_}


def log_softmax(logits):
    """Row-wise log-softmax, stable: the row maximum is subtracted before exp.

    logits: (n, k) array. Returns an (n, k) array of log-probabilities, finite for any finite input.
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits):
    """Row-wise softmax, stable for logits of any finite magnitude. Rows sum to 1."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def cross_entropy(logits, y):
    """Mean cross-entropy of integer labels y (n,) under softmax(logits) (n, k), via log-sum-exp."""
    n = logits.shape[0]
    return float(-log_softmax(logits)[np.arange(n), y].mean())
