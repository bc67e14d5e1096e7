"""nncore.lab.health: dead hidden units and gradient norms, recorded every epoch by train()."""

import math

import numpy as np
import pytest

from nncore import MLP, TrainConfig, data, train
from nncore.lab.health import DEAD_FRACTION, DERIVATIVE_PEAK, dead_unit_share, epoch_health, gradient_norms
from nncore.training import training_rows


def network(activation, b1):
    """A network of 3 inputs and len(b1) hidden units whose W1 is 0: each unit's Z1 is its bias."""
    model = MLP(3, len(b1), 2, seed=0, activation=activation)
    model.W1[:], model.b1[:] = 0.0, b1
    return model


def sigmoid_input(factor):
    """The Z at which sigmoid'(Z) = factor (< 0.25), on the positive side."""
    s = (1 + math.sqrt(1 - 4 * factor)) / 2
    return math.log(s / (1 - s))


def test_a_relu_unit_is_dead_only_when_it_fires_on_no_row():
    assert dead_unit_share(network("relu", [-1.0, 1e-3, -5.0, 2.0]), np.ones((4, 3))) == 0.5


def test_a_leaky_relu_unit_never_counts_as_dead():
    assert dead_unit_share(network("leaky_relu", [-1.0, -1e6, -5.0]), np.ones((4, 3))) == 0.0


@pytest.mark.parametrize("scale, dead", [(0.9, 1.0), (1.1, 0.0)])
def test_a_sigmoid_unit_is_dead_below_one_percent_of_its_peak_factor_and_alive_above(scale, dead):
    threshold = DEAD_FRACTION * DERIVATIVE_PEAK["sigmoid"]
    assert dead_unit_share(network("sigmoid", [sigmoid_input(scale * threshold)]), np.ones((2, 3))) == dead


def test_a_tanh_unit_saturated_on_every_row_is_dead_but_not_if_one_row_reaches_its_slope():
    model = network("tanh", [10.0])
    assert dead_unit_share(model, np.ones((3, 3))) == 1.0
    model.W1[0, 0] = -10.0  # the row with a 1 in the first pixel has Z1 = 0: the steepest point
    assert dead_unit_share(model, np.array([[0.0, 0, 0], [1.0, 0, 0]])) == 0.0


def test_gradient_norms_are_frobenius_norms_of_dW1_and_dW2():
    grads = {"W1": np.full((2, 2), 3.0), "W2": np.array([[3.0, 4.0]]), "b1": np.ones(2), "b2": np.ones(1)}
    assert gradient_norms(grads) == (6.0, 5.0)


def test_epoch_health_averages_batches_then_networks():
    models = [network("relu", [1.0, -1.0]), network("relu", [1.0, 1.0])]
    health = epoch_health(models, np.ones((2, 3)), [[(1.0, 2.0), (3.0, 4.0)], [(5.0, 6.0)]])
    assert health == {"dead_units": 0.25, "grad_W1": 3.5, "grad_W2": 4.5}


def test_grad_norms_of_a_full_batch_epoch_are_the_norms_of_the_gradient_at_the_initial_weights():
    config = TrainConfig(epochs=1, batch=4096)
    X, y, _ = training_rows(config)
    model = MLP(64, config.hidden, 10, seed=config.seed)
    model.forward(data.Standardizer.fit(X)(X, np.float64))
    expected = gradient_norms(model.backward(y))
    run = train(config)
    assert run.history["grad_W1"][0] == pytest.approx(expected[0], rel=1e-4)
    assert run.history["grad_W2"][0] == pytest.approx(expected[1], rel=1e-4)


@pytest.mark.parametrize("config", [TrainConfig(epochs=4), TrainConfig(epochs=6, ensemble=2, activation="tanh"),
                                    TrainConfig(epochs=40, patience=2, hidden=256, label_noise=0.3),
                                    TrainConfig(epochs=10, lr=5.0)])
def test_health_histories_have_one_finite_value_per_finished_epoch(config):
    run = train(config)
    assert run.epochs_run >= 2 and (run.ended != "completed" or config.epochs == run.epochs_run)
    for key in ("dead_units", "grad_W1", "grad_W2"):
        assert len(run.history[key]) == run.epochs_run, key
        assert np.all(np.isfinite(run.history[key])), key
    assert all(0.0 <= share <= 1.0 for share in run.history["dead_units"])
