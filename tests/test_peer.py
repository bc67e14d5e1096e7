"""nncore/lab/peer.py: scikit-learn's MLPClassifier with our settings, on our rows, and what differs;
`main.py --compare-sklearn`."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nncore
from nncore import ConfigError, TrainConfig
from nncore.lab.peer import differences, sklearn_parameters, train_sklearn, training_rows

ROOT = Path(__file__).resolve().parents[1]


def test_the_settings_map_one_to_one_where_scikit_learn_has_them():
    p = sklearn_parameters(TrainConfig(hidden=32, lr=0.05, batch=50, epochs=12, seed=4, activation="sigmoid"), 1000)
    assert p["hidden_layer_sizes"] == (32,) and p["activation"] == "logistic" and p["solver"] == "sgd"
    assert p["momentum"] == 0.0 and p["nesterovs_momentum"] is False, "our sgd is plain gradient descent"
    assert (p["learning_rate_init"], p["learning_rate"], p["batch_size"], p["max_iter"], p["random_state"]) == \
        (0.05, "constant", 50, 12, 4)
    assert p["early_stopping"] is False and p["n_iter_no_change"] > 12, "all epochs run, as ours"


def test_alpha_is_l2_times_the_batch_because_scikit_learn_divides_its_penalty_by_the_batch():
    assert sklearn_parameters(TrainConfig(l2=0.001, batch=64), 1077)["alpha"] == pytest.approx(0.064)
    assert sklearn_parameters(TrainConfig(l2=0.001, batch=4096), 1077)["alpha"] == pytest.approx(1.077)


def test_momentum_and_adam_keep_their_settings():
    momentum = sklearn_parameters(TrainConfig(optimizer="momentum", momentum=0.8), 1000)
    assert momentum["solver"] == "sgd" and momentum["momentum"] == 0.8 and momentum["nesterovs_momentum"] is False
    adam = sklearn_parameters(TrainConfig(optimizer="adam", lr=0.003), 1000)
    assert adam["solver"] == "adam" and "momentum" not in adam


def test_patience_becomes_scikit_learns_early_stopping():
    p = sklearn_parameters(TrainConfig(patience=5), 1000)
    assert p["early_stopping"] is True and p["n_iter_no_change"] == 4 and p["validation_fraction"] == 0.1


def test_the_default_run_differs_only_in_what_every_run_does():
    said = differences(TrainConfig(), 1077)
    assert [sentence.split(":")[0] for sentence in said] == ["best epoch", "val_share", "initial weights"]


@pytest.mark.parametrize("settings, start", [
    (dict(activation="leaky_relu"), "activation leaky_relu: scikit-learn has relu, tanh, logistic and identity"),
    (dict(schedule="cosine"), "schedule cosine: "),
    (dict(schedule="step"), "schedule step: "),
    (dict(ensemble=3), "ensemble 3: scikit-learn trains one network"),
    (dict(augment=2), "augment 2: scikit-learn has no augmentation of its own"),
    (dict(patience=4), "patience 4: scikit-learn's early stopping holds out 10%"),
    (dict(optimizer="momentum"), "momentum 0.9: "),
    (dict(l2=0.01), "l2 0.01: alpha = l2 × batch = 0.64"),
])
def test_each_setting_without_an_equivalent_is_named(settings, start):
    assert any(sentence.startswith(start) for sentence in differences(TrainConfig(**settings), 1077))


def test_the_last_smaller_batch_is_said_to_decay_more():
    (sentence,) = [s for s in differences(TrainConfig(l2=0.01, batch=64), 1077) if s.startswith("l2")]
    assert "53 rows" in sentence and "1.21×" in sentence


def test_it_trains_on_exactly_our_training_rows_standardized_as_ours():
    config = TrainConfig(seed=3, val_share=0.3)
    X_train, y_train, X_test, y_test = training_rows(config)
    ours = nncore.train(TrainConfig(seed=3, val_share=0.3, epochs=1))
    X, y = nncore.digits()
    parts = nncore.split(3, 0.3)
    assert np.array_equal(y_train, y[parts.train]) and np.array_equal(y_test, y[parts.test])
    assert np.array_equal(X_train, ours.standardizer(X[parts.train], np.float32))
    assert np.array_equal(X_test, ours.standardizer(X[parts.test], np.float32))


def test_augmented_runs_give_scikit_learn_the_same_distorted_rows():
    X_train, y_train, _, _ = training_rows(TrainConfig(augment=1))
    assert len(y_train) == 2 * len(nncore.split(0).train)


def test_the_default_run_and_scikit_learns_reach_about_the_same_accuracy():
    peer = train_sklearn(TrainConfig())
    ours = nncore.train(TrainConfig())
    assert peer.test_accuracy >= 0.93 and abs(peer.test_accuracy - ours.test_accuracy) <= 0.03
    assert peer.epochs_run == 30 and len(peer.loss_curve) == 30 and peer.validation_scores == ()
    assert peer.loss_curve[-1] < peer.loss_curve[0] / 5
    assert peer.rows == len(nncore.split(0).train) and peer.seconds > 0


def test_with_patience_scikit_learn_reports_its_validation_scores():
    peer = train_sklearn(TrainConfig(patience=3, epochs=40))
    assert len(peer.validation_scores) == peer.epochs_run <= 40


def test_compare_sklearn_on_the_command_line_prints_both_and_what_differs(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--epochs", "5", "--activation", "leaky_relu",
                           "--compare-sklearn", "--out", str(tmp_path / "w.npz")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "beside scikit-learn's MLPClassifier(hidden_layer_sizes=(64,), activation='relu'" in out
    (row,) = [line for line in out.splitlines() if line.startswith("test accuracy")]
    ours, theirs = (float(v) for v in row.split()[2:4])
    assert 0.8 <= ours <= 1 and 0.8 <= theirs <= 1
    assert "  - activation leaky_relu: scikit-learn has relu" in out
    assert (tmp_path / "w.npz").exists(), "training still saves the run"


def test_the_estimate_of_scikit_learns_run_is_its_epochs_of_measured_steps():
    one = nncore.lab.peer.estimate_seconds(TrainConfig(epochs=1, hidden=16))
    assert one > 0
    assert nncore.lab.peer.estimate_seconds(TrainConfig(epochs=40, hidden=16)) == pytest.approx(40 * one)
    with pytest.raises(ConfigError, match="takes a TrainConfig"):
        nncore.lab.peer.estimate_seconds({"epochs": 1})


def test_a_stop_asked_after_each_epoch_ends_scikit_learns_training_there():
    """A closed tab's comparison trained on to its last epoch."""
    asked = []
    assert train_sklearn(TrainConfig(epochs=10, hidden=16), stop=lambda epoch, epochs: asked.append(epoch) or
                         epoch >= 3) is None
    assert asked == [1, 2, 3]


def test_a_stop_that_never_asks_trains_every_epoch():
    asked = []
    peer = train_sklearn(TrainConfig(epochs=4, hidden=16), stop=lambda epoch, epochs: asked.append(epoch) or False)
    assert peer.epochs_run == 4 and asked == [1, 2, 3, 4]
