"""nncore.data: the split and the standardization."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nncore import Standardizer, data, digits, split
from nncore.data import stratified_split

ROOT = Path(__file__).resolve().parents[1]


def test_digits_are_the_1797_scikit_learn_images():
    X, y = digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0 and X.max() == 16 and set(y) == set(range(10))


def test_split_is_disjoint_complete_and_60_20_20_by_default():
    parts = split(0)
    together = np.concatenate([parts.train, parts.val, parts.test])
    assert len(together) == 1797 and len(np.unique(together)) == 1797
    assert abs(len(parts.train) - 0.6 * 1797) <= 2
    assert abs(len(parts.val) - 0.2 * 1797) <= 2
    assert abs(len(parts.test) - 0.2 * 1797) <= 2


def test_split_is_stratified():
    _, y = digits()
    parts = split(3)
    overall = np.bincount(y) / len(y)
    for idx in (parts.train, parts.val, parts.test):
        assert np.abs(np.bincount(y[idx], minlength=10) / len(idx) - overall).max() < 0.01


def test_split_is_seeded():
    # split() is cached: draw it anew (split.__wrapped__) so that the same seed is really redrawn
    again = split.__wrapped__(5)
    assert all(np.array_equal(getattr(again, part), getattr(split(5), part)) for part in ("train", "val", "test"))
    assert not np.array_equal(split(5).val, split(6).val)


def test_validation_share_is_honoured():
    assert abs(len(split(0, 0.1).val) - 0.1 * 1797) <= 2


def test_standardizer_maps_constant_pixels_to_zero_not_nan():
    X, _ = digits()
    train = X[split(0).train]
    standardize = Standardizer.fit(train)
    assert (train.std(axis=0) == 0).any(), "Digits has always-blank pixels; this test relies on it"
    assert np.isfinite(standardize(X)).all()
    assert np.allclose(standardize(train)[:, train.std(axis=0) == 0], 0.0)
    assert np.allclose(standardize(train).mean(axis=0), 0.0, atol=1e-9)


def test_standardizer_is_fitted_on_training_rows_only():
    X, _ = digits()
    parts = split(0)
    standardize = Standardizer.fit(X[parts.train])
    assert np.allclose(standardize.mean, X[parts.train].mean(axis=0))
    assert not np.allclose(standardize.mean, X.mean(axis=0))


@pytest.mark.parametrize("share", [0.05, 0.5, 1.0])
def test_training_indices_are_a_stratified_share_of_the_training_split(share):
    _, y = data.digits()
    train = data.split(3, 0.2).train
    kept = data.training_indices(3, 0.2, share)
    assert set(kept) <= set(train) and len(kept) == round(share * len(train))
    assert np.allclose(np.bincount(y[kept], minlength=10), share * np.bincount(y[train], minlength=10), atol=1)
    assert np.array_equal(kept, data.training_indices(3, 0.2, share))


def test_noisy_labels_replace_exactly_the_share_with_another_digit_seeded():
    y = np.tile(np.arange(10), 50)
    noisy = data.noisy_labels(y, 0.3, seed=1)
    assert np.sum(noisy != y) == 150 and noisy.min() >= 0 and noisy.max() <= 9
    assert np.array_equal(noisy, data.noisy_labels(y, 0.3, seed=1))
    assert not np.array_equal(noisy, data.noisy_labels(y, 0.3, seed=2))
    assert data.noisy_labels(y, 0.0) is y


@pytest.mark.parametrize("scaling, low, high", [("standardize", -5, 50), ("divide", 0, 1), ("none", 0, 16)])
def test_each_scaling_maps_raw_pixels_as_it_says(scaling, low, high):
    X = data.digits()[0]
    scaled = data.SCALINGS[scaling](X)(X)
    assert scaled.min() >= low and scaled.max() <= high
    if scaling == "standardize":
        assert np.allclose(scaled.mean(axis=0), 0, atol=1e-9)
    else:
        assert scaled.max() == high



def test_digits_are_exactly_scikit_learns():
    from sklearn.datasets import load_digits

    X, y = digits()
    theirs = load_digits()
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert np.array_equal(X, theirs.data) and np.array_equal(y, theirs.target)


@pytest.mark.parametrize("seed", [0, 1, 2, 41, 2**31 - 1])
@pytest.mark.parametrize("share", [0.05, 0.2, 0.0625, 0.5])
def test_stratified_split_is_scikit_learns_train_test_split(seed, share):
    from sklearn.model_selection import train_test_split

    _, y = digits()
    index = np.random.default_rng(seed).permutation(len(y))[:1000]  # any order, any subset
    ours = stratified_split(index, y[index], share, seed)
    theirs = train_test_split(index, test_size=share, stratify=y[index], random_state=seed)
    assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))


def test_split_is_scikit_learns_split_of_the_rest():
    from sklearn.model_selection import train_test_split

    _, y = digits()
    rest, test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=7)
    train, val = train_test_split(rest, test_size=0.1 / 0.8, stratify=y[rest], random_state=7)
    parts = split(7, 0.1)
    assert np.array_equal(parts.test, np.sort(test))
    assert np.array_equal(parts.val, np.sort(val)) and np.array_equal(parts.train, np.sort(train))


def test_importing_nncore_does_not_import_scikit_learn():
    # scikit-learn's import takes ~2 s: a fresh app server and every sweep worker would pay it
    code = "import sys, nncore, nncore.lab.sweep; nncore.data.split(0); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("share", [0.05, 0.3, 0.77])
def test_a_training_share_is_scikit_learns_stratified_subset_of_the_training_split(share):
    from sklearn.model_selection import train_test_split

    _, y = digits()
    train = split(3, 0.2).train
    expected, _ = train_test_split(train, train_size=int(round(share * len(train))), stratify=y[train],
                                   random_state=3)
    assert np.array_equal(data.training_indices(3, 0.2, share), np.sort(expected))
