"""Optimizers and learning-rate schedules, each written out by hand.

An optimizer holds the parameter arrays it updates (a dict name -> array, as
``MLP.parameters()`` gives) and its own state per array; ``step(grads)`` updates the arrays in
place from gradients with the same names. Its ``lr`` may be changed between steps (schedules do).
The updates follow PyTorch's conventions, so the numbers can be checked against it.
"""

import math

import numpy as np


class SGD:
    """Plain gradient descent: p -= lr * g."""

    def __init__(self, params, lr):
        self.params, self.lr = params, lr

    def step(self, grads):
        for name, p in self.params.items():
            p -= self.lr * grads[name]


class Momentum:
    """SGD with momentum (PyTorch's convention): v = momentum * v + g;  p -= lr * v.

    v is a running sum of past gradients, decaying by ``momentum`` per step: steps along a
    direction the gradients agree on grow up to 1 / (1 - momentum) times larger."""

    def __init__(self, params, lr, momentum=0.9):
        self.params, self.lr, self.momentum = params, lr, momentum
        self.velocity = {name: np.zeros_like(p) for name, p in params.items()}

    def step(self, grads):
        for name, p in self.params.items():
            v = self.velocity[name]
            v *= self.momentum
            v += grads[name]
            p -= self.lr * v


class Adam:
    """Adam (PyTorch's default): running means of the gradient and of its square, bias-corrected.

        m = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g^2          (t = steps taken)
        p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

    Each weight gets its own step size: about lr where its gradient is consistent, less where it
    is noisy. It wants a smaller lr than SGD (about 0.001 to 0.01)."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = {name: np.zeros_like(p) for name, p in params.items()}
        self.v = {name: np.zeros_like(p) for name, p in params.items()}
        self.t = 0

    def step(self, grads):
        b1, b2 = self.betas
        self.t += 1
        m_correction, v_correction = 1 - b1 ** self.t, 1 - b2 ** self.t
        for name, p in self.params.items():
            g, m, v = grads[name], self.m[name], self.v[name]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            p -= (self.lr / m_correction) * m / (np.sqrt(v / v_correction) + self.eps)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make(name, params, lr, **settings):
    """The optimizer ``name`` (a key of OPTIMIZERS) updating ``params`` with step size ``lr``;
    ``settings`` are its own (``momentum=`` for "momentum", ``betas=``, ``eps=`` for "adam")."""
    return OPTIMIZERS[name](params, lr, **settings)


def constant(lr, epoch, epochs):
    """The same learning rate every epoch."""
    return lr


def step_decay(lr, epoch, epochs):
    """Halved every ``epochs // 3`` epochs (epochs count from 1)."""
    return lr * 0.5 ** ((epoch - 1) // max(1, epochs // 3))


def cosine(lr, epoch, epochs):
    """From lr at the first epoch down towards 0 at the end, along half a cosine."""
    return lr * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / epochs))


SCHEDULES = {"constant": constant, "step": step_decay, "cosine": cosine}
