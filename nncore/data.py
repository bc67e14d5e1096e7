"""The Digits data: loading, the seeded stratified split, and standardization.

All three splits are drawn with the run's seed, so runs that share a seed (the usual way to
compare hidden sizes or learning rates) are trained, selected and tested on the same digits.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

TEST_SHARE = 0.2


@lru_cache(maxsize=1)
def digits():
    """(X, y): the 1,797 Digits as float64 (n, 64) pixels in 0..16 and int64 labels. Read-only."""
    bunch = load_digits()
    X, y = bunch.data.astype(np.float64), bunch.target.astype(np.int64)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


@dataclass(frozen=True)
class Split:
    """Index arrays into ``digits()`` for the three splits."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


@lru_cache(maxsize=64)
def split(seed=0, val_share=0.2):
    """Stratified split of ``digits()`` drawn with ``seed``: TEST_SHARE of the digits for testing,
    ``val_share`` of them for validation, the rest for training. Returns a Split of indices."""
    _, y = digits()
    index = np.arange(len(y))
    rest, test = train_test_split(index, test_size=TEST_SHARE, stratify=y, random_state=seed)
    val_of_rest = val_share / (1.0 - TEST_SHARE)
    train, val = train_test_split(rest, test_size=val_of_rest, stratify=y[rest], random_state=seed)
    return Split(np.sort(train), np.sort(val), np.sort(test))


def test_set(seed=0):
    """(X, y) of the test split of ``seed``, raw 0..16 pixels."""
    X, y = digits()
    idx = split(seed).test
    return X[idx], y[idx]


@dataclass(frozen=True)
class Standardizer:
    """Per-pixel (x - mean) / std fitted on the training split. Pixels constant in training
    (std 0, such as the always-blank corners) get std 1, so they map to 0 rather than NaN."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, X):
        mean = X.mean(axis=0)
        std = X.std(axis=0)
        std[std == 0] = 1.0
        return cls(mean, std)

    def __call__(self, X, dtype=np.float64):
        """Standardize raw rows (n, 64) in 0..16; returns a new array of ``dtype``."""
        return ((np.asarray(X, dtype=np.float64) - self.mean) / self.std).astype(dtype, copy=False)


def divided(X):
    """The scaling ``"divide"``: pixels / 16, so every pixel lies in 0..1 (no centring)."""
    return Standardizer(np.zeros(X.shape[1]), np.full(X.shape[1], 16.0))


def unscaled(X):
    """The scaling ``"none"``: the raw 0..16 pixels, unchanged."""
    return Standardizer(np.zeros(X.shape[1]), np.ones(X.shape[1]))


# How a run scales its pixels (TrainConfig.scaling): each takes the training rows and returns the
# Standardizer that maps raw rows to the network's inputs, so predictions always take raw rows.
SCALINGS = {"standardize": Standardizer.fit, "divide": divided, "none": unscaled}


@lru_cache(maxsize=64)
def training_indices(seed=0, val_share=0.2, train_share=1.0):
    """Indices (sorted) of the training rows a run uses: the training split of ``split(seed,
    val_share)``, or a seeded stratified round(``train_share`` * n) of its n rows (every digit keeps its share).
    Validation and test splits are not touched."""
    train = split(seed, val_share).train
    if train_share >= 1.0:
        return train
    _, y = digits()
    count = int(round(train_share * len(train)))  # at least 27 rows (0.05 of the smallest split): every digit fits
    kept, _ = train_test_split(train, train_size=count, stratify=y[train], random_state=seed)
    return np.sort(kept)


def noisy_labels(y, share, seed=0):
    """A copy of labels ``y`` in which round(share * n) of them, chosen with ``seed``, are replaced by
    another digit drawn at random (never the true one, so exactly that share is wrong). Share 0
    returns ``y`` itself. Only training labels are ever made noisy."""
    y = np.asarray(y)
    count = int(round(share * len(y)))
    if count == 0:
        return y
    rng = np.random.default_rng([seed, 2])
    noisy = y.copy()
    chosen = rng.choice(len(y), size=count, replace=False)
    noisy[chosen] = (y[chosen] + rng.integers(1, 10, size=count)) % 10  # a shift of 1..9: another digit
    return noisy
