"""nncore.imaging.augment: seeded distortions of Digits that keep their label, fast enough to train on."""

import hashlib
from dataclasses import replace

import numpy as np
import pytest

from nncore import ConfigError, TrainConfig, digits, handwriting_config, split, train
from nncore.imaging import augment, digitize


def test_the_same_seed_gives_the_same_digits_and_another_seed_others():
    X, _ = digits()
    a = augment.distort(X[:50], np.random.default_rng(3))
    assert np.array_equal(a, augment.distort(X[:50], np.random.default_rng(3)))
    assert not np.allclose(a, augment.distort(X[:50], np.random.default_rng(4)))


def test_distorted_rows_are_digits_rows():
    X, _ = digits()
    rows = augment.distort(X[:200], np.random.default_rng(0))
    assert rows.shape == (200, 64) and rows.dtype == np.float64
    assert rows.min() >= 0 and rows.max() <= 16 and np.isfinite(rows).all()
    assert 250 < rows.sum(axis=1).mean() < 400, "about as much ink as Digits (313 on average)"


def test_augmented_appends_copies_with_their_labels():
    X, y = digits()
    X2, y2 = augment.augmented(X[:30], y[:30], 3, rng=0)
    assert X2.shape == (120, 64) and np.array_equal(y2, np.tile(y[:30], 4))
    assert np.array_equal(X2[:30], X[:30])
    same, labels = augment.augmented(X[:30], y[:30], 0, rng=0)
    assert np.array_equal(same, X[:30]) and np.array_equal(labels, y[:30])


def shape(name):
    """A simple 8x8 shape in Digits units: a bar (like a 1), a ring (like a 0), a cross (+)."""
    image = np.zeros((8, 8))
    if name == "bar":
        image[:, 3:5] = 16
    elif name == "ring":
        image[0, 2:6] = image[7, 2:6] = image[1:7, 1] = image[1:7, 6] = 16
    else:
        image[:, 3:5] = image[3:5, 1:7] = 16
    return image.reshape(64)


def has_hole(row, level=6):
    """Whether the 8x8 sample encloses background that the border cannot reach (4-connected)."""
    ink = row.reshape(8, 8) >= level
    outside = np.zeros((10, 10), dtype=bool)
    outside[0, :] = outside[-1, :] = outside[:, 0] = outside[:, -1] = True
    open_ = np.pad(~ink, 1, constant_values=True)
    for _ in range(64):
        grown = outside.copy()
        grown[1:, :] |= outside[:-1, :]
        grown[:-1, :] |= outside[1:, :]
        grown[:, 1:] |= outside[:, :-1]
        grown[:, :-1] |= outside[:, 1:]
        grown &= open_
        if np.array_equal(grown, outside):
            break
        outside = grown
    return bool((open_ & ~outside).any())


def widest_row(row, level=6):
    """Columns between the first and last ink pixel of the widest row."""
    ink = row.reshape(8, 8) >= level
    return max((np.ptp(np.flatnonzero(r)) + 1 if r.any() else 0) for r in ink)


def distorted(name, n=100):
    return augment.distort(np.tile(shape(name), (n, 1)), np.random.default_rng(1))


def test_a_distorted_ring_still_encloses_a_hole():
    assert np.mean([has_hole(row) for row in distorted("ring")]) >= 0.95


def test_a_distorted_bar_stays_a_narrow_stroke_without_a_hole():
    rows = distorted("bar")
    assert not any(has_hole(row) for row in rows)
    assert max(widest_row(row) for row in rows) <= 4


def test_a_distorted_cross_keeps_its_arms_and_no_hole():
    rows = distorted("cross")
    assert not any(has_hole(row) for row in rows)
    assert min(widest_row(row) for row in rows) >= 4


def test_a_model_trained_with_augmentation_reads_distorted_test_digits():
    X, y = digits()
    run = train(TrainConfig(epochs=20, hidden=128, augment=3, seed=0))
    test = split(0).test
    rows = augment.distort(X[test], np.random.default_rng(2))
    assert (run.predict(rows) == y[test]).mean() >= 0.78, "the distortions keep the digit's label"


def test_augment_is_named_in_the_run_only_when_on_and_refused_out_of_range():
    assert TrainConfig(augment=5).name.endswith(" a5") and TrainConfig().name == "h64 lr0.1 b64 e30 s0"
    for bad in (-1, 21, 2.5):
        with pytest.raises(ConfigError, match="augment"):
            TrainConfig(augment=bad)


def test_augmentation_leaves_validation_and_test_alone():
    config = TrainConfig(epochs=2, hidden=16, augment=2, seed=5)
    run = train(config)
    X, y = digits()
    parts = split(config.seed, config.val_share)
    # the run's validation and test scores are those of the raw Digits rows of its split, all of them, unchanged
    assert run.best_val_accuracy == (run.predict(X[parts.val]) == y[parts.val]).mean()
    assert run.test_accuracy == (run.predict(X[parts.test]) == y[parts.test]).mean()
    # while it trained on its training split followed by two distorted copies of it
    X_fit, _ = augment.training_rows(config.seed, config.val_share, config.augment)
    assert len(X_fit) == 3 * len(parts.train) and np.array_equal(run.standardizer.mean, X_fit.mean(axis=0))


def test_training_rows_are_the_split_and_its_copies_built_once_and_read_only():
    X, y = digits()
    indices = split(7, 0.25).train
    X_fit, y_fit = augment.training_rows(7, 0.25, 2)
    assert np.array_equal(X_fit[:len(indices)], X[indices]) and np.array_equal(y_fit, np.tile(y[indices], 3))
    again = augment.training_rows(7, 0.25, 2)
    assert again[0] is X_fit and again[1] is y_fit
    with pytest.raises(ValueError, match="read-only"):
        X_fit[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        y_fit[0] = 1


def test_training_rows_keep_only_the_last_few():
    first, _ = augment.training_rows(8, 0.2, 1)
    kept = augment.training_rows.cache_info().maxsize
    assert 1 <= kept <= 8, "a few entries of a few MB each"
    for seed in range(100, 100 + kept):
        augment.training_rows(seed, 0.2, 1)
    rebuilt, _ = augment.training_rows(8, 0.2, 1)
    assert rebuilt is not first and np.array_equal(rebuilt, first)


def test_augmented_training_is_reproducible():
    a = train(TrainConfig(epochs=2, hidden=16, augment=2, seed=5))
    b = train(TrainConfig(epochs=2, hidden=16, augment=2, seed=5))
    assert a.history == b.history
    for name, value in a.model.parameters().items():
        assert np.array_equal(value, b.model.parameters()[name])


@pytest.mark.slow
def test_the_handwriting_preset_keeps_digits_accuracy():
    run = train(handwriting_config())  # its training time (< 10 s) is measured by bench/handwriting.py
    assert run.test_accuracy >= 0.96


def digest(rows):
    """A short fingerprint of distorted rows (whole counts 0..16, so exact across float quirks)."""
    return hashlib.sha256(np.asarray(rows, dtype=np.uint8).tobytes()).hexdigest()[:16]


def test_the_default_settings_give_the_digits_they_always_gave():
    X, _ = digits()
    rows = augment.distort(X[:40], np.random.default_rng(0), augment.AugmentSettings())
    assert digest(rows) == "94a5bc55b0eb6abd", "the defaults are the shipped distortions, draw for draw"


@pytest.mark.parametrize("change", [{"rotation": 0.0}, {"slant": 0.0}, {"aspect": 0.0}, {"zoom": 0.0},
                                    {"shift": 0.0}, {"thickness": 0.2},
                                    {"digitization": replace(digitize.DigitizeSettings(), min_mass=0.0)}])
def test_a_variant_of_the_settings_distorts_differently(change):
    X, _ = digits()
    variant = replace(augment.AugmentSettings(), **change)
    rows = augment.distort(X[:40], np.random.default_rng(0), variant)
    assert not np.array_equal(rows, augment.distort(X[:40], np.random.default_rng(0)))


def test_without_any_distortion_every_copy_of_a_digit_is_the_same():
    X, _ = digits()
    still = augment.AugmentSettings(rotation=0.0, slant=0.0, aspect=0.0, zoom=0.0, shift=0.0, thickness=0.0)
    rows = augment.distort(np.tile(X[:5], (4, 1)), np.random.default_rng(0), still)
    assert np.array_equal(rows, np.tile(rows[:5], (4, 1)))


@pytest.mark.parametrize("change, name", [({"rotation": -1.0}, "rotation"), ({"shift": 20.0}, "shift"),
                                          ({"thickness": 0.5}, "thickness")])
def test_augment_settings_out_of_range_are_refused_by_name(change, name):
    with pytest.raises(ConfigError, match=name):
        augment.AugmentSettings(**change)

