"""nncore.model: the MLP's forward pass, its gradients and its SGD step."""

import numpy as np
import pytest

from nncore import MLP, cross_entropy


def numeric_gradient(model, X, y, name, eps=1e-6):
    """Central finite differences of the mean cross-entropy with respect to parameter ``name``."""
    param = getattr(model, name)
    grad = np.zeros_like(param)
    for index in np.ndindex(param.shape):
        saved = param[index]
        param[index] = saved + eps
        plus = cross_entropy(model.forward(X), y)
        param[index] = saved - eps
        minus = cross_entropy(model.forward(X), y)
        param[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


@pytest.mark.parametrize("n_in, hidden, n_out, batch, seed",
                         [(64, 16, 10, 8, 0), (5, 7, 3, 4, 1), (12, 3, 10, 1, 2), (64, 32, 10, 33, 3)])
def test_gradients_match_central_finite_differences(n_in, hidden, n_out, batch, seed):
    rng = np.random.default_rng(100 + seed)
    model = MLP(n_in, hidden, n_out, seed=seed, dtype=np.float64)
    model.b1[:] = rng.normal(0, 0.1, hidden)  # nonzero biases so their gradients are exercised
    model.b2[:] = rng.normal(0, 0.1, n_out)
    X = rng.normal(size=(batch, n_in))
    y = rng.integers(0, n_out, size=batch)
    model.forward(X)
    grads = {k: v.copy() for k, v in model.backward(y).items()}
    for name, analytic in grads.items():
        assert analytic.shape == getattr(model, name).shape
        numeric = numeric_gradient(model, X, y, name)
        rel = np.abs(analytic - numeric).max() / max(np.abs(analytic).max() + np.abs(numeric).max(), 1e-12)
        assert rel < 1e-6, f"{name}: relative error {rel:.2e}"


def test_backward_loss_is_mean_cross_entropy():
    rng = np.random.default_rng(0)
    model = MLP(seed=3)
    X, y = rng.normal(size=(20, 64)), rng.integers(0, 10, 20)
    logits = model.forward(X)
    model.backward(y)
    assert model.loss == pytest.approx(cross_entropy(logits, y), rel=1e-12)


def test_loss_decreases_when_overfitting_a_small_batch():
    rng = np.random.default_rng(1)
    model = MLP(64, 32, 10, seed=1)
    X, y = rng.normal(size=(16, 64)), rng.integers(0, 10, 16)
    losses = []
    for _ in range(200):
        model.forward(X)
        grads = model.backward(y)
        losses.append(model.loss)
        model.step(grads, 0.1)
    assert losses[-1] < 0.05 * losses[0]
    assert (model.forward(X).argmax(axis=1) == y).all()


def test_same_seed_gives_identical_weights_and_different_seed_does_not():
    a, b, c = MLP(seed=7), MLP(seed=7), MLP(seed=8)
    for name in ("W1", "b1", "W2", "b2"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.W1, c.W1)


def test_weights_have_documented_shapes_dtype_and_scale():
    model = MLP(n_in=64, hidden=128, n_out=10, seed=0, dtype=np.float32)
    assert model.W1.shape == (64, 128) and model.b1.shape == (128,)
    assert model.W2.shape == (128, 10) and model.b2.shape == (10,)
    assert all(p.dtype == np.float32 for p in model.parameters().values())
    assert model.W1.std() == pytest.approx(np.sqrt(2 / 64), rel=0.1)  # He, for the ReLU layer
    assert model.W2.std() == pytest.approx(np.sqrt(1 / 128), rel=0.15)  # Xavier, for the output


def test_weights_can_be_assigned_and_are_used():
    model = MLP(4, 3, 2, seed=0)
    model.W1 = np.zeros((4, 3))
    model.b1 = np.ones(3)
    model.W2 = np.ones((3, 2))
    model.b2 = np.array([0.0, 1.0])
    assert np.allclose(model.forward(np.ones((1, 4))), [[3.0, 4.0]])


def test_step_applies_plain_sgd():
    model = MLP(4, 3, 2, seed=0)
    before = {k: v.copy() for k, v in model.parameters().items()}
    grads = {k: np.full_like(v, 2.0) for k, v in before.items()}
    model.step(grads, 0.25)
    for name, value in model.parameters().items():
        assert np.allclose(value, before[name] - 0.5)
