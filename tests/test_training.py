"""nncore.training: the train() loop, its history, callback, divergence and accuracy."""

import numpy as np
import pytest

from nncore import TrainConfig, data, digits, train

DEFAULT = TrainConfig(epochs=30, hidden=64, lr=0.1, batch=64, seed=0)


@pytest.fixture(scope="module")
def default_runs():
    return [train(TrainConfig(epochs=30, hidden=64, lr=0.1, batch=64, seed=s)) for s in range(5)]


def test_default_config_reaches_095_on_every_seed_and_0965_on_average(default_runs):
    accuracies = [r.test_accuracy for r in default_runs]
    assert min(accuracies) >= 0.95, accuracies
    assert np.mean(accuracies) >= 0.965, accuracies


def test_history_has_one_finite_entry_per_epoch(default_runs):
    run = default_runs[0]
    for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
        assert len(run.history[key]) == 30 and np.isfinite(run.history[key]).all()
    assert run.history["train_loss"][-1] < run.history["train_loss"][0]


def test_best_epoch_is_the_best_validation_epoch(default_runs):
    run = default_runs[0]
    assert run.best_val_accuracy == max(run.history["val_acc"])
    assert 1 <= run.best_epoch <= 30


def test_predict_proba_takes_raw_digits_rows(default_runs):
    X, y = digits()
    probs = default_runs[0].predict_proba(X[:50])
    assert probs.shape == (50, 10) and np.allclose(probs.sum(axis=1), 1.0)
    assert (probs.argmax(axis=1) == y[:50]).mean() > 0.9


def test_test_accuracy_is_measured_on_the_test_split(default_runs):
    X, y = data.test_set(0)
    assert default_runs[0].test_accuracy == pytest.approx((default_runs[0].predict(X) == y).mean())


def test_same_config_gives_bit_identical_weights():
    a, b = train(TrainConfig(epochs=3, seed=4)), train(TrainConfig(epochs=3, seed=4))
    for name, value in a.model.parameters().items():
        assert np.array_equal(value, b.model.parameters()[name])
    assert a.history == b.history


def test_callback_sees_every_epoch_and_can_stop_training():
    seen = []

    def callback(stats):
        seen.append(stats)
        return stats.epoch == 3

    run = train(TrainConfig(epochs=10), callback=callback)
    assert [s.epoch for s in seen] == [1, 2, 3]
    assert seen[0].epochs == 10 and 0 <= seen[0].val_acc <= 1
    assert run.epochs_run == 3 and run.stopped_early


def test_diverging_learning_rate_stops_and_keeps_a_clean_history():
    run = train(TrainConfig(epochs=20, lr=100.0))
    assert run.diverged and run.diverged_epoch is not None
    assert run.epochs_run == run.diverged_epoch - 1
    for values in run.history.values():
        assert np.isfinite(values).all()
    assert np.isfinite(run.predict_proba(digits()[0][:5])).all()
