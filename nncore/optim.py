"""Optimizers: functions that update parameter arrays in place from their gradients.

OPTIMIZERS maps a name to ``update(params, grads, lr)``; a stateful optimizer (momentum,
Adam) would be added here as one more entry.
"""


def sgd(params, grads, lr):
    """Plain stochastic gradient descent: p -= lr * g, in place."""
    for name, p in params.items():
        p -= lr * grads[name]


OPTIMIZERS = {"sgd": sgd}
