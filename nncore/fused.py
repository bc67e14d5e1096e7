"""The training fast path: epochs of minibatch SGD for the MLP, with every array preallocated.

The maths is the model's (``MLP.forward``, ``backward``, ``step``; tests/test_fused.py checks a
step against them), laid out so that one SGD step is a fixed list of NumPy calls writing into
arrays allocated once, with no Python work per example:

* b1 rides inside W1: the training rows carry a column of ones, so ``Xa @ W1a = X @ W1 + b1``
  with ``W1a = [W1; b1]`` (n_in + 1, hidden), and the gradient of b1 is the last row of
  ``Xa.T @ dZ1`` -- one matrix product instead of a product, a sum and an add;
* the logits are kept transposed, (n_out, batch): the per-example max and sum over the 10
  classes are then reductions over 10 contiguous rows rather than over 64 rows of 10; W2 is
  stored transposed too (W2T, (n_out, hidden)), the layout in which OpenBLAS's small-matrix
  kernels do the three products that involve it fastest;
* the softmax-cross-entropy gradient is fused, ``p - onehot``, and already multiplied by the
  step size lr / batch, so the SGD update is a plain ``W -= dW``;
* the loss and accuracy of the epoch are computed once at its end, from the shifted logits and
  softmax denominators stored for every example, not once per batch.
"""

import threading
from contextlib import contextmanager
from functools import cache

import numpy as np
from threadpoolctl import ThreadpoolController

from .functions import ACTIVATIONS, DERIVATIVES


@cache
def _blas():
    return ThreadpoolController()  # finds the loaded BLAS once (~0.1 ms); limiting it is then ~10 us


_limit_lock = threading.Lock()
_limit = {"users": 0, "limiter": None}


@contextmanager
def single_threaded_blas():
    """Context manager running NumPy's BLAS on one thread.

    Our matrices are small: one thread is as fast on an idle machine (a 64x64x64 product is
    below OpenBLAS's threading threshold anyway), and on a busy one -- a 2-core box also serving
    the app -- a second BLAS thread waiting for a core made the default training 2-6x slower.
    The limit is process-wide (threadpoolctl comes with scikit-learn), so it is counted: with
    trainings overlapping in several threads (app sessions) it is lifted when the last one ends.
    """
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


class FusedSGD:
    """Plain minibatch SGD of ``model``'s weights on the rows X (n, n_in) and labels y (n,).

    The weights are copied in at construction and live here while training runs;
    ``parameters()`` gives views of them shaped as the model's. Each ``epoch(order, lr)`` visits
    the rows in ``order`` in consecutive batches of ``batch`` (the last one may be smaller).
    """

    def __init__(self, model, X, y, batch):
        n_in, hidden, n_out = model.shape
        dtype = model.dtype
        n = len(y)
        self.activation = ACTIVATIONS[model.activation]
        self.derivative = DERIVATIVES[model.activation]
        self.W1a = np.concatenate([model.W1, model.b1[None, :]]).astype(dtype)  # (n_in + 1, hidden)
        self.W2T = model.W2.T.astype(dtype, order="C")                          # (n_out, hidden)
        self.b2 = model.b2.astype(dtype)                                        # (n_out,)
        self.X = np.ones((n, n_in + 1), dtype)                                  # [X, 1]
        self.X[:, :n_in] = X
        self.y = np.asarray(y)
        self.onehot = np.eye(n_out, dtype=dtype)[self.y]                        # (n, n_out)

        # Per epoch, in visiting order: the rows, their labels and one-hot labels, and per
        # example the shifted logits (n_out, n) and the softmax denominator (n,).
        self.X_order = np.empty_like(self.X)
        self.y_order = np.empty_like(self.y)
        self.onehot_order = np.empty_like(self.onehot)
        self.shifted = np.empty((n_out, n), dtype)
        self.denominator = np.empty(n, dtype)

        self.dW1a = np.empty_like(self.W1a)
        self.dW2T = np.empty_like(self.W2T)
        self.db2 = np.empty_like(self.b2)
        per_size = {}
        self.steps = []
        for start in range(0, n, batch):
            stop = min(start + batch, n)
            m = stop - start
            if m not in per_size:  # at most two sizes: the full batch and the remainder
                per_size[m] = (np.empty((m, hidden), dtype), np.empty((n_out, m), dtype), np.empty((n_out, m), dtype),
                               np.empty(m, dtype), np.empty((m, hidden), dtype))
            self.steps.append((self.X_order[start:stop], self.onehot_order[start:stop].T, self.shifted[:, start:stop],
                               self.denominator[start:stop], *per_size[m]))

    def parameters(self):
        """Views of the current weights: W1 (n_in, hidden), b1, W2 (hidden, n_out), b2."""
        return {"W1": self.W1a[:-1], "b1": self.W1a[-1], "W2": self.W2T.T, "b2": self.b2}

    def epoch(self, order, lr):
        """One pass over the rows in ``order`` (a permutation of range(n)), an SGD step per batch.

        Returns (mean cross-entropy, number of examples classified correctly), both measured
        on each batch with the weights before its step, as a per-batch loop would.
        """
        np.take(self.X, order, axis=0, out=self.X_order)
        np.take(self.y, order, out=self.y_order)
        np.take(self.onehot, order, axis=0, out=self.onehot_order)

        activation, derivative = self.activation, self.derivative
        W1a, W2T, b2, dW1a, dW2T, db2 = self.W1a, self.W2T, self.b2, self.dW1a, self.dW2T, self.db2
        b2_column = b2[:, None]
        for Xa, onehot, shifted, denominator, H, logits, G, row_max, dH in self.steps:
            # forward; logits, G and onehot are transposed: (n_out, m)
            np.dot(Xa, W1a, out=H)                              # Z1 = X @ W1 + b1      (m, hidden)
            activation(H, out=H)                                # H = relu(Z1)
            np.dot(W2T, H.T, out=logits)                        # (H @ W2).T            (n_out, m)
            logits += b2_column
            # softmax and the fused cross-entropy gradient, times the step: G = lr/m (p - onehot)
            np.maximum.reduce(logits, axis=0, out=row_max)
            np.subtract(logits, row_max, out=shifted)           # stable: max of each example is 0
            np.exp(shifted, out=G)
            np.add.reduce(G, axis=0, out=denominator)
            G /= denominator                                    # p
            G -= onehot
            G *= lr / len(denominator)
            # backward, then the SGD step
            np.dot(G, H, out=dW2T)                              # (H.T @ G.T).T         (n_out, hidden)
            np.add.reduce(G, axis=1, out=db2)
            np.dot(G.T, W2T, out=dH)                            # (m, hidden), with W2 before its step
            derivative(dH, H)                                   # dZ1
            np.dot(Xa.T, dH, out=dW1a)                          # (n_in + 1, hidden): dW1 and db1
            W1a -= dW1a
            W2T -= dW2T
            b2 -= db2

        return _loss_and_correct(self.shifted, self.denominator, self.y_order)

    def _softmax_parts(self, X):
        """Max-shifted logits (n_out, n) of the current weights on rows X (n, n_in), their
        exponentials (n_out, n) and the softmax denominators (n,)."""
        params = self.parameters()
        H = X @ params["W1"]
        H += params["b1"]
        self.activation(H, out=H)                               # (n, hidden)
        logits = self.W2T @ H.T                                 # (n_out, n)
        logits += self.b2[:, None]
        shifted = np.subtract(logits, np.maximum.reduce(logits, axis=0), out=logits)
        exps = np.exp(shifted)
        return shifted, exps, np.add.reduce(exps, axis=0)

    def evaluate(self, X, y):
        """(mean cross-entropy, number classified correctly) of the current weights on rows X
        (n, n_in) with labels y (n,)."""
        shifted, _, denominator = self._softmax_parts(X)
        return _loss_and_correct(shifted, denominator, y)


def evaluate_average(sgds, X, y):
    """(mean cross-entropy, number classified correctly) of the average of several networks'
    softmax outputs on rows X (n, n_in) with labels y (n,). The loss is taken in log space
    (log-sum-exp over the networks' log-probabilities), so a confident mistake gives a large
    finite loss rather than log(0)."""
    columns = np.arange(len(y))
    log_p = []                                                   # per network: log p(true class), (n,)
    p_sum = 0.0
    for sgd in sgds:
        shifted, exps, denominator = sgd._softmax_parts(X)
        log_p.append(shifted[y, columns] - np.log(denominator, dtype=np.float64))
        p_sum = p_sum + exps / denominator                       # (n_out, n)
    log_p = np.array(log_p)
    top = log_p.max(axis=0)
    log_mean = top + np.log(np.mean(np.exp(log_p - top), axis=0))
    return float(-np.mean(log_mean)), int(np.count_nonzero(p_sum.argmax(axis=0) == y))


def _loss_and_correct(shifted, denominator, y):
    """Mean cross-entropy and number of correct argmaxes from transposed, max-shifted logits
    (n_out, n) and their softmax denominators (n,): loss_i = log(denominator_i) - shifted[y_i, i].
    The true class is the argmax exactly where its shifted logit is 0 (the maximum was
    subtracted), which spares an argmax over the strided (n_out, n) array (~6% of a training)."""
    picked = shifted[y, np.arange(len(y))]
    loss = np.mean(np.log(denominator, dtype=np.float64) - picked)
    correct = np.count_nonzero(picked == 0)
    return float(loss), int(correct)
