"""The Digits data: loading, the seeded stratified split, and standardization.

All three splits are drawn with the run's seed, so runs that share a seed (the usual way to
compare hidden sizes or learning rates) are trained, selected and tested on the same digits.

The digits are scikit-learn's, read from the file scikit-learn ships, and the split is
scikit-learn's ``train_test_split(..., stratify=y, random_state=seed)``, drawn here with the same
random numbers (tests/test_data.py checks both against scikit-learn): importing scikit-learn
takes about 2 s, which every fresh app server and every sweep worker would otherwise pay.
"""

import gzip
import importlib.util
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

TEST_SHARE = 0.2


def digits_file():
    """The path of scikit-learn's ``datasets/data/digits.csv.gz``, found without importing scikit-learn."""
    spec = importlib.util.find_spec("sklearn")
    return Path(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz")


@lru_cache(maxsize=1)
def digits():
    """(X, y): the 1,797 Digits as float64 (n, 64) pixels in 0..16 and int64 labels, as
    ``sklearn.datasets.load_digits()`` gives them. Read-only."""
    with gzip.open(digits_file(), "rt") as file:
        rows = np.loadtxt(file, delimiter=",")             # (n, 65): 64 pixels, then the label
    X, y = np.ascontiguousarray(rows[:, :-1]), rows[:, -1].astype(np.int64)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def stratified_split(index, y, test_share, seed, test_count=None):
    """(rest, test): ``index`` split as ``sklearn.model_selection.train_test_split(index,
    test_size=test_share, stratify=y, random_state=seed)`` splits it, in the same order (with
    ``test_count``: ``test_size=test_count``, a number of rows). Each class
    gives the test part its share of rows (the rows left over go to the classes with the largest
    remainders, ties drawn at random), the rows of each class taken in a random order."""
    rng = np.random.RandomState(seed)                      # scikit-learn's random_state=seed
    n_test = math.ceil(test_share * len(y)) if test_count is None else test_count
    classes, y_class, counts = np.unique(y, return_inverse=True, return_counts=True)
    members = np.split(np.argsort(y_class, kind="stable"), np.cumsum(counts)[:-1])  # each class's rows
    n_rest = _share_by_class(counts, len(y) - n_test, rng)
    n_test_by_class = _share_by_class(counts - n_rest, n_test, rng)
    rest, test = [], []
    for k in range(len(classes)):
        shuffled = members[k][rng.permutation(counts[k])]
        rest.extend(shuffled[:n_rest[k]])
        test.extend(shuffled[n_rest[k]:n_rest[k] + n_test_by_class[k]])
    return index[rng.permutation(rest)], index[rng.permutation(test)]


def _share_by_class(counts, n_draws, rng):
    """How many of ``n_draws`` rows each class gives: its share rounded down, then one more to each
    class in order of the largest remainder (ties in a random order) until n_draws are given
    (scikit-learn's ``_approximate_mode``, with the same draws)."""
    exact = counts / counts.sum() * n_draws
    given = np.floor(exact)
    missing = int(n_draws - given.sum())
    remainder = exact - given
    for value in np.sort(np.unique(remainder))[::-1]:
        if missing <= 0:
            break
        (tied,) = np.where(remainder == value)
        chosen = rng.choice(tied, size=min(len(tied), missing), replace=False)
        given[chosen] += 1
        missing -= len(chosen)
    return given.astype(int)


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
    rest, test = stratified_split(np.arange(len(y)), y, TEST_SHARE, seed)
    val_of_rest = val_share / (1.0 - TEST_SHARE)
    train, val = stratified_split(rest, y[rest], val_of_rest, seed)
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
    kept, _ = stratified_split(train, y[train], None, seed, test_count=len(train) - count)
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
