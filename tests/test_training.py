"""nncore.training: the train() loop, its history, callback, divergence and accuracy."""

import numpy as np
import pytest

from nncore import TrainConfig, data, digits, softmax, train

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


# --- several networks averaged (TrainConfig.ensemble) --------------------------------------

@pytest.fixture(scope="module")
def ensemble_run():
    return train(TrainConfig(ensemble=3, seed=2))


def test_an_ensemble_averages_the_softmax_of_its_networks(ensemble_run):
    X = digits()[0][:50]
    assert len(ensemble_run.models) == 3
    singles = [softmax(model.forward(ensemble_run.standardizer(X, model.dtype)).astype(np.float64))
               for model in ensemble_run.models]
    probs = ensemble_run.predict_proba(X)
    assert np.allclose(probs, np.mean(singles, axis=0))
    assert np.allclose(probs.sum(axis=1), 1)
    assert np.array_equal(ensemble_run.predict(X), probs.argmax(axis=1))
    # the networks differ (own initial weights, shuffling): an average of copies would be pointless
    assert not np.allclose(ensemble_run.models[0].W1, ensemble_run.models[1].W1)


def test_an_ensembles_first_network_is_the_single_network_of_its_settings():
    def stop_after_two(stats):
        return stats.epoch == 2

    single = train(TrainConfig(seed=2), callback=stop_after_two)
    ensemble = train(TrainConfig(seed=2, ensemble=3), callback=stop_after_two)
    assert single.best_epoch == ensemble.best_epoch == 2
    for name, value in single.model.parameters().items():
        assert np.array_equal(value, ensemble.model.parameters()[name])


def test_an_ensemble_is_accurate_deterministic_and_tracked_per_epoch(ensemble_run):
    assert ensemble_run.test_accuracy >= 0.95
    assert len(ensemble_run.history["val_acc"]) == 30
    assert all(np.isfinite(v) for key in ensemble_run.history for v in ensemble_run.history[key])
    again = train(TrainConfig(ensemble=3, seed=2))
    assert again.history == ensemble_run.history
    for a, b in zip(again.models, ensemble_run.models, strict=True):
        assert np.array_equal(a.W1, b.W1) and np.array_equal(a.W2, b.W2)


def test_a_diverging_ensemble_stops_with_a_clean_history():
    run = train(TrainConfig(ensemble=2, lr=100.0, epochs=20))
    assert run.diverged_epoch is not None
    assert all(np.isfinite(v) for key in run.history for v in run.history[key])
    assert np.isfinite(run.predict_proba(digits()[0][:5])).all()
