"""Small pure functions of the network, gathered in dicts so a new choice is one entry.

Modelled on scikit-learn's ``neural_network/_base.py``. Each activation ``f`` comes with its
derivative written in terms of its *output* ``H = f(Z)`` -- the array the backward pass has at
hand -- so ``dZ = dH * DERIVATIVES[name](H)``.
"""

import numpy as np

LEAKY_SLOPE = 0.01  # leaky ReLU's slope for negative inputs


def relu(Z):
    """max(Z, 0)."""
    return np.maximum(Z, 0)


def relu_derivative(H):
    """1 where the unit is active (H > 0), else 0."""
    return H > 0


def leaky_relu(Z):
    """Z where positive, LEAKY_SLOPE * Z elsewhere: a dead unit still passes a little gradient."""
    return np.where(Z > 0, Z, LEAKY_SLOPE * Z)


def leaky_relu_derivative(H):
    """1 where H > 0 (H has Z's sign), LEAKY_SLOPE elsewhere."""
    return np.where(H > 0, 1, LEAKY_SLOPE).astype(H.dtype)


def tanh(Z):
    """tanh(Z), in (-1, 1)."""
    return np.tanh(Z)


def tanh_derivative(H):
    """d tanh(Z) / dZ = 1 - tanh(Z)^2 = 1 - H^2."""
    return 1 - H * H


def sigmoid(Z):
    """1 / (1 + exp(-Z)), written with tanh so that no exp overflows for large |Z|."""
    return 0.5 * (np.tanh(0.5 * Z) + 1)


def sigmoid_derivative(H):
    """d sigmoid(Z) / dZ = sigmoid(Z) (1 - sigmoid(Z)) = H (1 - H)."""
    return H * (1 - H)


ACTIVATIONS = {"relu": relu, "leaky_relu": leaky_relu, "tanh": tanh, "sigmoid": sigmoid}
DERIVATIVES = {"relu": relu_derivative, "leaky_relu": leaky_relu_derivative, "tanh": tanh_derivative,
               "sigmoid": sigmoid_derivative}


def logsumexp(a, axis):
    """log(sum(exp(a))) along ``axis`` (kept, with size 1), stable: the maximum is taken out
    before exp, so no exp overflows. The one place this is written: the softmax below and the
    average of an ensemble's probabilities use it."""
    top = a.max(axis=axis, keepdims=True)
    return top + np.log(np.exp(a - top).sum(axis=axis, keepdims=True))


def log_softmax(logits):
    """Row-wise log-softmax of logits (n, k): log-probabilities, finite for any finite input."""
    return logits - logsumexp(logits, axis=1)


def softmax(logits):
    """Row-wise softmax of logits (n, k): probabilities, each row sums to 1."""
    return np.exp(log_softmax(logits))


def cross_entropy(logits, y):
    """Mean cross-entropy of integer labels y (n,) under softmax(logits) (n, k)."""
    return float(-log_softmax(logits)[np.arange(len(y)), y].mean())
