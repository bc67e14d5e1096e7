"""The network: 64 pixels -> one hidden layer -> 10 logits, with softmax and cross-entropy.

Forward, for a batch X of n standardized digits (n, 64):

    Z1     = X @ W1 + b1                 (n, hidden)   weighted sums of the pixels
    H      = f(Z1)                       (n, hidden)   f: relu, leaky_relu, tanh or sigmoid
    logits = H @ W2 + b2                 (n, 10)       one score per digit
    P      = softmax(logits)             (n, 10)       probabilities
    loss   = mean_i -log P[i, y_i]  +  l2/2 (|W1|^2 + |W2|^2)

Backward, the chain rule applied line by line from the loss back to W1 (docs/how-it-learns.md
derives each line):

    dlogits = (P - onehot(y)) / n        (n, 10)       softmax and cross-entropy together
    dW2 = H.T @ dlogits + l2 W2          db2 = sum of dlogits over the batch
    dH  = dlogits @ W2.T                 (n, hidden)
    dZ1 = dH * f'(Z1)                    f' written in terms of H (functions.DERIVATIVES)
    dW1 = X.T @ dZ1 + l2 W1              db1 = sum of dZ1 over the batch

This is the code that trains (nncore.training calls forward, backward and an optimizer's step
for every batch) and the code the app shows.
"""

import numpy as np

from .functions import ACTIVATIONS, DERIVATIVES, log_softmax, logsumexp

# Initial weights suited to each activation: He (variance 2/fan_in) keeps ReLU layers' signals
# at a steady scale; Xavier/Glorot (variance 2/(fan_in + fan_out)) suits the saturating ones.
INIT_SCALE = {
    "relu": lambda n_in, n_out: np.sqrt(2.0 / n_in),
    "leaky_relu": lambda n_in, n_out: np.sqrt(2.0 / n_in),
    "tanh": lambda n_in, n_out: np.sqrt(2.0 / (n_in + n_out)),
    "sigmoid": lambda n_in, n_out: np.sqrt(2.0 / (n_in + n_out)),
}


class MLP:
    """A two-layer perceptron with seeded initial weights.

    ``forward(X)`` returns the logits and remembers, in ``trace``, what ``backward`` needs;
    ``backward(y, l2)`` returns the gradients of the loss (and sets ``loss``). Every array of
    the last pass stays in ``trace`` under its name above, for showing.
    """

    def __init__(self, n_in=64, hidden=64, n_out=10, seed=0, dtype=np.float64, activation="relu"):
        rng = np.random.default_rng(seed)
        self.dtype, self.activation = np.dtype(dtype), activation
        self.W1 = (rng.standard_normal((n_in, hidden)) * INIT_SCALE[activation](n_in, hidden)).astype(self.dtype)
        self.b1 = np.zeros(hidden, dtype=self.dtype)
        # LeCun (variance 1/fan_in): the logits are not passed through an activation
        self.W2 = (rng.standard_normal((hidden, n_out)) * np.sqrt(1.0 / hidden)).astype(self.dtype)
        self.b2 = np.zeros(n_out, dtype=self.dtype)
        self.loss = self.cross_entropy = None   # the loss of the last backward() batch, with and without L2
        self.trace = None  # the arrays of the last forward (and backward) pass, by name

    def parameters(self):
        """The learned arrays by name: W1 (n_in, hidden), b1 (hidden,), W2 (hidden, n_out), b2 (n_out,)."""
        return {"W1": self.W1, "b1": self.b1, "W2": self.W2, "b2": self.b2}

    @property
    def shape(self):
        """(n_in, hidden, n_out)."""
        return self.W1.shape[0], self.W1.shape[1], self.W2.shape[1]

    def forward(self, X, remember=True):
        """Logits (n, n_out) of standardized inputs X (n, n_in), computed in X's dtype (float32 in
        training, float64 for checks and predictions). ``remember=False`` keeps nothing for
        backward (predictions: a kept network must not hold on to its last batch)."""
        Z1 = X @ self.W1 + self.b1                        # (n, hidden)
        H = ACTIVATIONS[self.activation](Z1)              # (n, hidden)
        logits = H @ self.W2 + self.b2                    # (n, n_out)
        self.trace = {"X": X, "Z1": Z1, "H": H, "logits": logits} if remember else None
        return logits

    __call__ = forward

    def backward(self, y, l2=0.0):
        """Gradients {"W1", "b1", "W2", "b2"} of the loss of the last forward batch: mean
        cross-entropy plus l2/2 (|W1|^2 + |W2|^2). ``y``: the integer labels (n,), or their one-hot
        rows (n, n_out) (training passes those, shuffled once per epoch). Sets ``self.loss`` and
        ``self.cross_entropy`` (the loss without the L2 penalty)."""
        if self.trace is None:
            raise RuntimeError("backward() needs a forward() first")
        logits = self.trace["logits"]
        n, n_out = logits.shape
        log_P = log_softmax(logits)                       # (n, n_out)
        P = np.exp(log_P)                                 # softmax(logits)
        onehot = y if np.ndim(y) == 2 else np.eye(n_out, dtype=P.dtype)[y]  # (n, n_out): 1 at the true class
        self.cross_entropy = -float(np.vdot(onehot, log_P)) / n   # mean of -log P[i, y_i]
        self.loss = self.cross_entropy
        if l2:
            self.loss += l2 / 2 * float(np.vdot(self.W1, self.W1) + np.vdot(self.W2, self.W2))
        dlogits = (P - onehot) / n                        # d loss / d logits
        self.trace["P"] = P
        return self.backprop(dlogits, l2)

    def backprop(self, dlogits, l2=0.0, inputs=False):
        """The chain rule from ``dlogits`` (d objective / d logits of the last forward batch) to
        the parameters; returns their gradients, with l2 * W added to the weights' gradients.
        ``inputs=True`` also puts d objective / d X in ``trace["dX"]`` (the saliency map)."""
        X, H = self.trace["X"], self.trace["H"]
        dW2 = H.T @ dlogits                               # (hidden, n_out)
        db2 = dlogits.sum(axis=0)                         # (n_out,)
        dH = dlogits @ self.W2.T                          # (n, hidden)
        dZ1 = dH * DERIVATIVES[self.activation](H)        # (n, hidden)
        dW1 = X.T @ dZ1                                   # (n_in, hidden)
        db1 = dZ1.sum(axis=0)                             # (hidden,)
        if l2:  # the penalty's gradient l2 * W; biases are not decayed
            dW1 += l2 * self.W1
            dW2 += l2 * self.W2
        self.trace.update(dlogits=dlogits, dH=dH, dZ1=dZ1)
        if inputs:
            self.trace["dX"] = dZ1 @ self.W1.T            # (n, n_in)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    @classmethod
    def from_arrays(cls, W1, b1, W2, b2, activation="relu"):
        """A network with the given weights (copied); the dtype is W1's."""
        model = cls.__new__(cls)
        model.dtype, model.activation = np.asarray(W1).dtype, activation
        model.W1, model.b1, model.W2, model.b2 = (np.array(a, dtype=model.dtype) for a in (W1, b1, W2, b2))
        model.loss = model.cross_entropy = model.trace = None
        return model

    def copy(self, dtype=None):
        """An independent copy with the same weights (converted to ``dtype`` when given)."""
        arrays = (p if dtype is None else p.astype(dtype) for p in self.parameters().values())
        return MLP.from_arrays(*arrays, activation=self.activation)

    def __repr__(self):
        n_in, hidden, n_out = self.shape
        return f"MLP({n_in} -> {hidden} {self.activation} -> {n_out}, {self.dtype})"


class Ensemble(list):
    """A list of networks whose softmax outputs are averaged: the predictor of a run (a single
    network is an Ensemble of one). Works on standardized inputs, like MLP.forward."""

    def log_proba(self, X):
        """log of the mean of the networks' softmax outputs (n, n_out), in float64, computed in
        log space so that a confident mistake gives a large finite loss rather than log(0)."""
        log_Ps = [log_softmax(model.forward(X, remember=False).astype(np.float64)) for model in self]
        if len(log_Ps) == 1:
            return log_Ps[0]
        return logsumexp(np.stack(log_Ps), axis=0)[0] - np.log(len(log_Ps))  # (n, n_out)

    def predict_proba(self, X):
        """Mean softmax output (n, n_out) of the networks on standardized rows X (n, n_in)."""
        return np.exp(self.log_proba(X))

    def evaluate(self, X, y):
        """(mean cross-entropy, accuracy) of the averaged prediction on rows X with labels y (n,).
        A row counts as right only when the true class is the argmax (a tie goes to the lower class)."""
        log_P = self.log_proba(X)
        loss = float(-log_P[np.arange(len(y)), y].mean())
        return loss, float(np.mean(log_P.argmax(axis=1) == y))

    def copy(self):
        return Ensemble(model.copy() for model in self)
