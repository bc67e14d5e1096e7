"""The network: 64 inputs -> ReLU hidden layer -> 10 logits, softmax + cross-entropy.

    Z1 = X @ W1 + b1        # (n, hidden)
    H  = relu(Z1)           # (n, hidden)
    logits = H @ W2 + b2    # (n, 10)
    loss = mean_i -log softmax(logits)_i[y_i]
"""

import numpy as np

from .functions import ACTIVATIONS, DERIVATIVES, log_softmax
from .optim import OPTIMIZERS


class MLP:
    """A two-layer perceptron with seeded He (ReLU layer) / Xavier (output layer) initialisation.

    ``forward(X)`` returns logits and keeps what ``backward(y)`` needs; ``backward(y)`` returns
    the gradients of the mean cross-entropy over the batch; ``step(grads, lr)`` applies SGD.
    """

    activation = "relu"

    def __init__(self, n_in=64, hidden=64, n_out=10, seed=0, dtype=np.float64):
        rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)
        self.W1 = (rng.standard_normal((n_in, hidden)) * np.sqrt(2.0 / n_in)).astype(self.dtype)
        self.b1 = np.zeros(hidden, dtype=self.dtype)
        self.W2 = (rng.standard_normal((hidden, n_out)) * np.sqrt(1.0 / hidden)).astype(self.dtype)
        self.b2 = np.zeros(n_out, dtype=self.dtype)
        self.loss = None  # mean cross-entropy of the last backward() batch
        self._cache = None

    def parameters(self):
        """The learned arrays by name: W1, b1, W2, b2."""
        return {"W1": self.W1, "b1": self.b1, "W2": self.W2, "b2": self.b2}

    @property
    def shape(self):
        return self.W1.shape[0], self.W1.shape[1], self.W2.shape[1]

    def forward(self, X):
        """Logits (n, n_out) of standardized inputs X (n, n_in); remembers X and H for backward."""
        X = np.asarray(X, dtype=self.dtype)
        H = X @ self.W1
        H += self.b1
        ACTIVATIONS[self.activation](H, out=H)
        logits = H @ self.W2
        logits += self.b2
        self._cache = (X, H, logits)
        return logits

    __call__ = forward

    def backward(self, y):
        """Gradients of the mean cross-entropy of integer labels y (n,) for the last forward batch.

        Returns {"W1", "b1", "W2", "b2"} arrays shaped like the parameters; sets ``self.loss``.
        """
        if self._cache is None:
            raise RuntimeError("backward() needs a forward() first")
        X, H, logits = self._cache
        n = X.shape[0]
        rows = np.arange(n)
        logp = log_softmax(logits)                      # (n, n_out)
        self.loss = float(-logp[rows, y].mean())
        G = np.exp(logp, out=logp)                      # softmax probabilities
        G[rows, y] -= 1.0                               # d loss_i / d logits = p - onehot
        G /= n                                          # mean over the batch
        dW2 = H.T @ G
        db2 = G.sum(axis=0)
        dH = G @ self.W2.T                              # (n, hidden)
        DERIVATIVES[self.activation](dH, H)
        dW1 = X.T @ dH
        db1 = dH.sum(axis=0)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def step(self, grads, lr, optimizer="sgd"):
        """Update the parameters in place from ``grads`` (as returned by backward)."""
        OPTIMIZERS[optimizer](self.parameters(), grads, lr)

    @classmethod
    def from_arrays(cls, W1, b1, W2, b2):
        """A network with the given weights (copied); the dtype is W1's."""
        model = cls.__new__(cls)
        model.dtype = np.asarray(W1).dtype
        model.W1, model.b1, model.W2, model.b2 = (np.array(a, dtype=model.dtype) for a in (W1, b1, W2, b2))
        model.loss, model._cache = None, None
        return model

    def copy(self):
        """An independent copy with the same weights."""
        return MLP.from_arrays(self.W1, self.b1, self.W2, self.b2)

    def __repr__(self):
        n_in, hidden, n_out = self.shape
        return f"MLP({n_in} -> {hidden} {self.activation} -> {n_out}, {self.dtype})"
