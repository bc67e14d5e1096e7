"""nncore.training: the train() loop, its history, callback, divergence and accuracy."""

import numpy as np
import pytest

from nncore import MLP, ConfigError, TrainConfig, data, digits, optim, softmax, train
from nncore.training import SNAPSHOT_BYTES, run_epoch, snapshot_epochs, training_rows

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
    assert run.epochs_run == 3 and run.stopped_early and run.ending == "stopped at epoch 3 of 10"


def test_diverging_learning_rate_stops_and_keeps_a_clean_history():
    run = train(TrainConfig(epochs=20, lr=100.0))
    assert run.diverged and run.diverged_epoch is not None
    assert run.epochs_run == run.diverged_epoch - 1
    for values in run.history.values():
        assert np.isfinite(values).all()
    assert np.isfinite(run.predict_proba(digits()[0][:5])).all()


def test_divergence_keeps_the_batch_losses_up_to_the_first_non_finite_one():
    run = train(TrainConfig(epochs=5, lr=50.0))
    assert run.diverged_epoch == 1 and run.epochs_run == 0 and run.ended == "diverged"
    losses = run.diverged_losses
    assert len(losses) >= 2 and not np.isfinite(losses[-1]) and np.isfinite(losses[:-1]).all()
    assert "diverged at epoch 1" in run.ending


def test_a_config_of_the_wrong_type_is_refused_with_the_librarys_error():
    with pytest.raises(ConfigError, match="TrainConfig"):
        train("x")


def test_every_batch_runs_forward_backward_and_an_optimizer_step(monkeypatch):
    calls = {"forward": 0, "backward": 0, "step": 0}

    def counting(cls, name):
        original = getattr(cls, name)

        def wrapper(*args, **kwargs):
            calls[name] += 1
            return original(*args, **kwargs)
        monkeypatch.setattr(cls, name, wrapper)

    counting(MLP, "forward")
    counting(MLP, "backward")
    counting(optim.Adam, "step")
    config = TrainConfig(epochs=3, optimizer="adam", lr=0.01)
    train(config)
    batches = 3 * -(-len(data.split(0).train) // 64)
    assert calls["backward"] == calls["step"] == batches
    assert calls["forward"] >= batches


# --- the choices a learner can make -------------------------------------------------------

RECOMMENDED_LR = {"sgd": 0.1, "momentum": 0.02, "adam": 0.003}


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("optimizer", list(RECOMMENDED_LR))
def test_every_activation_and_optimizer_learns_digits(activation, optimizer):
    lr = RECOMMENDED_LR[optimizer] * (5 if activation == "sigmoid" and optimizer == "sgd" else 1)
    run = train(TrainConfig(activation=activation, optimizer=optimizer, lr=lr))
    assert run.test_accuracy >= 0.95, (activation, optimizer, lr, run.test_accuracy)


def test_weight_decay_keeps_the_weights_smaller():
    plain, decayed = train(TrainConfig(epochs=15)), train(TrainConfig(epochs=15, l2=0.01))
    assert np.linalg.norm(decayed.model.W1) < 0.8 * np.linalg.norm(plain.model.W1)
    assert decayed.test_accuracy >= 0.93


@pytest.mark.parametrize("schedule", ["constant", "step", "cosine"])
def test_the_learning_rate_follows_the_schedule(schedule):
    seen = []
    train(TrainConfig(epochs=9, schedule=schedule, lr=0.2), callback=lambda stats: seen.append(stats.lr))
    assert seen == pytest.approx([optim.SCHEDULES[schedule](0.2, epoch, 9) for epoch in range(1, 10)])


def test_early_stopping_stops_when_validation_loss_stalls_and_says_so():
    run = train(TrainConfig(epochs=300, lr=0.3, patience=3))
    losses = run.history["val_loss"]
    assert run.ended == "early stopping" and run.epochs_run < 300
    assert min(losses[-3:]) >= min(losses[:-3]), "the last 3 epochs did not improve on the best"
    assert "had not improved for 3 epochs" in run.ending


# --- what the run keeps for looking back ------------------------------------------------------

def test_a_small_run_keeps_the_weights_of_every_epoch_and_they_replay_its_history():
    run = train(TrainConfig(epochs=6, hidden=16))
    assert sorted(run.snapshots) == list(range(7))
    X_val, y_val = digits()[0][data.split(0).val], digits()[1][data.split(0).val]
    for epoch in (1, 6):
        ensemble, kept = run.ensemble_at(epoch)
        assert kept == epoch
        _, accuracy = ensemble.evaluate(run.standardizer(X_val, np.float32), y_val)
        assert accuracy == pytest.approx(run.history["val_acc"][epoch - 1])


def test_a_large_run_keeps_snapshots_within_the_memory_bound():
    run = train(TrainConfig(epochs=40, hidden=1024, batch=1024))
    assert 0 in run.snapshots and 40 in run.snapshots and 2 < len(run.snapshots) < 41
    assert run.snapshot_bytes() <= SNAPSHOT_BYTES


def test_snapshot_epochs_spread_evenly_and_keep_at_least_the_last():
    assert snapshot_epochs(30, 1000) == set(range(31))
    assert snapshot_epochs(100, SNAPSHOT_BYTES // 5) == {0, 25, 50, 75, 100}
    assert snapshot_epochs(100, SNAPSHOT_BYTES * 2) == {100}


def test_input_gradient_matches_finite_differences_of_predict_proba(default_runs):
    run = default_runs[0]
    row = digits()[0][7].copy()
    for digit in (int(run.predict(row)[0]), 3):
        gradient = run.input_gradient(row, digit)
        numeric = np.zeros(64)
        for i in range(64):
            up, down = row.copy(), row.copy()
            up[i] += 1e-4
            down[i] -= 1e-4
            numeric[i] = (run.predict_proba(up)[0, digit] - run.predict_proba(down)[0, digit]) / 2e-4
        assert np.abs(gradient - numeric).max() <= 1e-6 + 1e-4 * np.abs(numeric).max()


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


def test_an_ensembles_input_gradient_is_that_of_its_averaged_probability(ensemble_run):
    row = digits()[0][11]
    numeric = np.zeros(64)
    for i in range(64):
        up, down = row.copy(), row.copy()
        up[i] += 1e-4
        down[i] -= 1e-4
        numeric[i] = (ensemble_run.predict_proba(up)[0, 5] - ensemble_run.predict_proba(down)[0, 5]) / 2e-4
    gradient = ensemble_run.input_gradient(row, 5)
    assert np.abs(gradient - numeric).max() <= 1e-6 + 1e-4 * np.abs(numeric).max()


def test_a_diverging_ensemble_stops_with_a_clean_history():
    run = train(TrainConfig(ensemble=2, lr=100.0, epochs=20))
    assert run.diverged_epoch is not None
    assert all(np.isfinite(v) for key in run.history for v in run.history[key])
    assert np.isfinite(run.predict_proba(digits()[0][:5])).all()


def test_raw_pixels_at_lr_0_3_leave_most_hidden_units_dead_where_standardized_leave_none():
    raw, standardized = train(TrainConfig(scaling="none", lr=0.3)), train(TrainConfig(lr=0.3))
    assert raw.history["dead_units"][-1] > 0.5 and raw.test_accuracy < 0.5
    assert max(standardized.history["dead_units"]) == 0.0 and standardized.test_accuracy > 0.95


@pytest.mark.parametrize("scaling, inputs", [("standardize", None), ("divide", lambda X: X / 16),
                                             ("none", lambda X: X)])
def test_predictions_and_the_input_gradient_take_raw_rows_whatever_the_scaling(scaling, inputs):
    run = train(TrainConfig(epochs=2, hidden=16, scaling=scaling))
    X = digits()[0][:5]
    if inputs is not None:
        assert np.allclose(run.predict_proba(X), run.ensemble.predict_proba(inputs(X)))
    row, step = X[0].copy(), 1e-3
    gradient = run.input_gradient(row, 3)
    bumped = row.copy()
    bumped[20] += step
    numeric = (run.predict_proba(bumped)[0, 3] - run.predict_proba(row)[0, 3]) / step
    assert numeric == pytest.approx(gradient[20], rel=1e-2, abs=1e-6)


def test_thirty_percent_noisy_labels_make_the_validation_loss_rise_from_an_early_minimum():
    noisy = np.array(train(TrainConfig(hidden=256, epochs=100, label_noise=0.3)).history["val_loss"])
    clean = np.array(train(TrainConfig(hidden=256, epochs=100)).history["val_loss"])
    assert noisy.argmin() < 30 and noisy[-1] > 1.2 * noisy.min()
    assert clean.argmin() >= 90 and clean[-1] < 1.05 * clean.min()


def test_patience_stops_the_noisy_run_soon_after_its_minimum_and_not_the_clean_one_early():
    noisy = train(TrainConfig(hidden=256, epochs=100, label_noise=0.3, patience=5))
    assert noisy.ended == "early stopping" and noisy.epochs_run < 40
    lowest = int(np.argmin(noisy.history["val_loss"])) + 1
    assert noisy.epochs_run == lowest + 5
    assert train(TrainConfig(hidden=256, epochs=60, patience=5)).epochs_run > 50


def test_label_noise_changes_only_training_labels_and_every_accuracy_is_against_the_true_labels():
    config = TrainConfig(label_noise=0.5)
    X_fit, y_true, y_learn = training_rows(config)
    X, y = digits()
    rows = data.training_indices(config.seed, config.val_share, 1.0)
    assert np.array_equal(y_true, y[rows]) and np.mean(y_learn != y_true) == pytest.approx(0.5, abs=1e-3)
    run = train(config)
    parts = data.split(config.seed, config.val_share)
    assert run.best_val_accuracy == np.mean(run.predict(X[parts.val]) == y[parts.val]) > 0.7
    assert run.test_accuracy == np.mean(run.predict(X[parts.test]) == y[parts.test]) > 0.7
    assert run.history["train_acc"][-1] > 0.7  # against its noisy labels it could not pass about 0.5 + 0.05


def test_train_share_trains_on_that_share_of_the_training_rows():
    X_fit, y_fit, _ = training_rows(TrainConfig(train_share=0.1))
    n = len(data.split(0, 0.2).train)
    assert len(y_fit) == round(0.1 * n)
    run = train(TrainConfig(train_share=0.1, epochs=5))
    counts = np.array(run.history["train_acc"]) * len(y_fit)  # each a count of the share's rows
    assert np.allclose(counts, np.round(counts))
    augmented_rows = training_rows(TrainConfig(train_share=0.1, augment=2, label_noise=0.2))
    assert len(augmented_rows[1]) == 3 * len(y_fit)
    assert np.array_equal(augmented_rows[2][:len(y_fit)], augmented_rows[2][len(y_fit):2 * len(y_fit)])


def test_the_training_loss_is_the_cross_entropy_without_the_l2_penalty_like_the_validation_loss():
    run = train(TrainConfig(l2=0.01, epochs=30))
    assert run.history["train_loss"][-1] < 1.5 * run.history["val_loss"][-1]
    model = MLP(64, 8, 10, seed=0)
    X = data.Standardizer.fit(digits()[0])(digits()[0][:64], np.float32)
    y = digits()[1][:64]
    losses, _ = run_epoch(model, optim.make("sgd", model.parameters(), 0.0), X, y, np.eye(10, dtype=np.float32)[y],
                          64, 0.5, np.random.default_rng(0))
    assert losses == [model.cross_entropy] and model.loss > model.cross_entropy + 1
