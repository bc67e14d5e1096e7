"""nncore.model: the MLP's forward pass and its gradients, for every activation, with and without L2;
the ensemble's averaged prediction."""

import numpy as np
import pytest

from nncore import MLP, Ensemble, cross_entropy, softmax
from nncore.functions import ACTIVATIONS

ACTIVATION_NAMES = list(ACTIVATIONS)


def objective(model, X, y, l2):
    """The loss backward() differentiates, computed from the forward pass alone."""
    penalty = l2 / 2 * (np.sum(model.W1 ** 2) + np.sum(model.W2 ** 2))
    return cross_entropy(model.forward(X), y) + penalty


def numeric_gradient(f, param, eps=1e-6):
    """Central finite differences of f() with respect to every entry of ``param`` (changed in place)."""
    grad = np.zeros_like(param)
    for index in np.ndindex(param.shape):
        saved = param[index]
        param[index] = saved + eps
        plus = f()
        param[index] = saved - eps
        minus = f()
        param[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b):
    return np.abs(a - b).max() / max(np.abs(a).max() + np.abs(b).max(), 1e-12)


def random_model(n_in, hidden, n_out, seed, activation):
    rng = np.random.default_rng(100 + seed)
    model = MLP(n_in, hidden, n_out, rng=seed, dtype=np.float64, activation=activation)
    model.b1[:] = rng.normal(0, 0.1, hidden)  # nonzero biases so their gradients are exercised
    model.b2[:] = rng.normal(0, 0.1, n_out)
    return model, rng


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("l2", [0.0, 0.05])
@pytest.mark.parametrize("n_in, hidden, n_out, batch, seed", [(64, 16, 10, 8, 0), (5, 7, 3, 4, 1), (12, 3, 10, 1, 2)])
def test_gradients_match_central_finite_differences(activation, l2, n_in, hidden, n_out, batch, seed):
    model, rng = random_model(n_in, hidden, n_out, seed, activation)
    X = rng.normal(size=(batch, n_in))
    y = rng.integers(0, n_out, size=batch)
    model.forward(X)
    grads = {k: v.copy() for k, v in model.backward(y, l2).items()}
    assert set(grads) == {"W1", "b1", "W2", "b2"}
    for name, analytic in grads.items():
        assert analytic.shape == getattr(model, name).shape
        numeric = numeric_gradient(lambda: objective(model, X, y, l2), getattr(model, name))
        assert relative_error(analytic, numeric) < 1e-6, f"{activation} l2={l2} {name}"


@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_loss_is_mean_cross_entropy_plus_the_l2_penalty(l2):
    rng = np.random.default_rng(0)
    model = MLP(rng=3, activation="tanh")
    X, y = rng.normal(size=(20, 64)), rng.integers(0, 10, 20)
    model.forward(X)
    model.backward(y, l2)
    assert model.loss == pytest.approx(objective(model, X, y, l2), rel=1e-12)


def test_one_hot_rows_and_integer_labels_give_the_same_gradients():
    rng = np.random.default_rng(4)
    model = MLP(6, 5, 4, rng=0)
    X, y = rng.normal(size=(9, 6)), rng.integers(0, 4, 9)
    model.forward(X)
    from_labels = {k: v.copy() for k, v in model.backward(y).items()}
    model.forward(X)
    from_rows = model.backward(np.eye(4)[y])
    for name in from_labels:
        np.testing.assert_array_equal(from_labels[name], from_rows[name])


def test_input_gradient_from_backprop_matches_finite_differences():
    model, rng = random_model(8, 6, 4, 0, "sigmoid")
    X = rng.normal(size=(1, 8))
    P = softmax(model.forward(X))
    digit = 2
    model.backprop(P[:, digit, None] * (np.eye(4)[digit] - P), inputs=True)  # d P_digit / d logits
    analytic = model.trace["dX"]
    numeric = numeric_gradient(lambda: softmax(model.forward(X))[0, digit], X)
    assert relative_error(analytic, numeric) < 1e-6


def test_the_trace_names_every_array_of_the_last_pass_with_its_shape():
    model = MLP(64, 32, 10, rng=0)
    X, y = np.random.default_rng(0).normal(size=(5, 64)), np.arange(5)
    model.forward(X)
    model.backward(y)
    shapes = {name: value.shape for name, value in model.trace.items()}
    assert shapes == {"X": (5, 64), "Z1": (5, 32), "H": (5, 32), "logits": (5, 10), "P": (5, 10),
                      "dlogits": (5, 10), "dH": (5, 32), "dZ1": (5, 32)}
    model.forward(X, remember=False)
    assert model.trace is None, "a prediction keeps nothing for backward"


def test_loss_decreases_when_overfitting_a_small_batch():
    from nncore.optim import SGD

    rng = np.random.default_rng(1)
    model = MLP(64, 32, 10, rng=1)
    optimizer = SGD(model.parameters(), 0.1)
    X, y = rng.normal(size=(16, 64)), rng.integers(0, 10, 16)
    losses = []
    for _ in range(200):
        model.forward(X)
        optimizer.step(model.backward(y))
        losses.append(model.loss)
    assert losses[-1] < 0.05 * losses[0]
    assert (model.forward(X).argmax(axis=1) == y).all()


def test_same_seed_gives_identical_weights_and_different_seed_does_not():
    a, b, c = MLP(rng=7), MLP(rng=7), MLP(rng=8)
    for name in ("W1", "b1", "W2", "b2"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.W1, c.W1)


@pytest.mark.parametrize("activation, first_layer_std", [
    ("relu", np.sqrt(2 / 64)), ("leaky_relu", np.sqrt(2 / 64)),     # He
    ("tanh", np.sqrt(2 / (64 + 256))), ("sigmoid", np.sqrt(2 / (64 + 256))),  # Xavier / Glorot
])
def test_initial_weights_suit_the_activation(activation, first_layer_std):
    model = MLP(n_in=64, hidden=256, n_out=10, rng=0, dtype=np.float32, activation=activation)
    assert model.W1.shape == (64, 256) and model.W2.shape == (256, 10)
    assert all(p.dtype == np.float32 for p in model.parameters().values())
    assert model.W1.std() == pytest.approx(first_layer_std, rel=0.05)
    assert model.W2.std() == pytest.approx(np.sqrt(1 / 256), rel=0.15)


def test_weights_can_be_assigned_and_are_used():
    model = MLP(4, 3, 2, rng=0)
    model.W1 = np.zeros((4, 3))
    model.b1 = np.ones(3)
    model.W2 = np.ones((3, 2))
    model.b2 = np.array([0.0, 1.0])
    assert np.allclose(model.forward(np.ones((1, 4))), [[3.0, 4.0]])


def test_an_ensemble_averages_its_networks_probabilities_and_evaluates_by_strict_argmax():
    rng = np.random.default_rng(0)
    nets = Ensemble(MLP(6, 5, 3, rng=s) for s in range(3))
    X, y = rng.normal(size=(40, 6)), rng.integers(0, 3, 40)
    expected = np.mean([softmax(net.forward(X)) for net in nets], axis=0)
    np.testing.assert_allclose(nets.predict_proba(X), expected, rtol=1e-12)
    loss, accuracy = nets.evaluate(X, y)
    assert loss == pytest.approx(-np.log(expected[np.arange(40), y]).mean(), rel=1e-12)
    assert accuracy == np.mean(expected.argmax(axis=1) == y)


def test_tied_logits_count_as_right_only_for_the_class_argmax_picks():
    model = MLP(64, 8, 10, rng=0)
    model.W2[:] = 0.0  # every row's logits tie
    X, y = np.random.default_rng(0).normal(size=(100, 64)), np.arange(100) % 10
    _, accuracy = Ensemble([model]).evaluate(X, y)
    assert accuracy == 0.1  # argmax picks class 0: only the true 0s are right
