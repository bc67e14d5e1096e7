"""nncore.fused: the training fast path does exactly what MLP.forward / backward / step do."""

import numpy as np
import pytest

from nncore import MLP, cross_entropy
from nncore.fused import FusedSGD, single_threaded_blas


def reference_epoch(model, X, y, order, batch, lr):
    """The plain loop the fast path replaces: (mean loss, number correct) before each step."""
    X, y = X[order], y[order]
    loss_sum, correct = 0.0, 0
    for start in range(0, len(y), batch):
        Xb, yb = X[start:start + batch], y[start:start + batch]
        correct += int((model.forward(Xb).argmax(axis=1) == yb).sum())
        model.step(model.backward(yb), lr)
        loss_sum += model.loss * len(yb)
    return loss_sum / len(y), correct


@pytest.mark.parametrize("n, batch, hidden", [(50, 8, 7), (64, 64, 16), (37, 100, 5), (20, 1, 3)])
def test_epochs_match_the_model_step_by_step_in_float64(n, batch, hidden):
    rng = np.random.default_rng(n)
    X, y = rng.normal(size=(n, 12)), rng.integers(0, 10, n)
    reference = MLP(12, hidden, 10, seed=1, dtype=np.float64)
    reference.b1[:] = rng.normal(0, 0.1, hidden)
    reference.b2[:] = rng.normal(0, 0.1, 10)
    sgd = FusedSGD(reference.copy(), X, y, min(batch, n))
    for epoch in range(3):
        order = np.random.default_rng(epoch).permutation(n)
        expected_loss, expected_correct = reference_epoch(reference, X, y, order, min(batch, n), 0.3)
        loss, correct = sgd.epoch(order, 0.3)
        assert loss == pytest.approx(expected_loss, rel=1e-12)
        assert correct == expected_correct
    for name, value in sgd.parameters().items():
        np.testing.assert_allclose(value, getattr(reference, name), rtol=1e-11, atol=1e-13)


def test_parameters_are_views_shaped_like_the_models():
    model = MLP(12, 6, 10, seed=0, dtype=np.float32)
    X = np.random.default_rng(0).normal(size=(4, 12)).astype(np.float32)
    sgd = FusedSGD(model, X, np.array([0, 1, 2, 3]), 2)
    params = sgd.parameters()
    for name, value in model.parameters().items():
        assert params[name].shape == value.shape and params[name].dtype == np.float32
        assert np.array_equal(params[name], value)
    before = params["W1"].copy()
    sgd.epoch(np.arange(4), 1.0)
    assert not np.array_equal(sgd.parameters()["W1"], before)
    assert np.array_equal(model.W1, before), "the model handed in is not trained in place"


def test_evaluate_matches_forward_and_cross_entropy():
    rng = np.random.default_rng(0)
    model = MLP(12, 9, 10, seed=2)
    model.b1[:] = rng.normal(0, 0.5, 9)
    model.b2[:] = rng.normal(0, 0.5, 10)
    X, y = rng.normal(size=(30, 12)), rng.integers(0, 10, 30)
    loss, correct = FusedSGD(model, X, y, 8).evaluate(X, y)
    logits = model.forward(X)
    assert loss == pytest.approx(cross_entropy(logits, y), rel=1e-12)
    assert correct == (logits.argmax(axis=1) == y).sum()


def test_extreme_logits_give_a_finite_loss():
    model = MLP(2, 2, 2, seed=0)
    model.W1, model.W2 = np.eye(2), np.array([[1e4, -1e4], [-1e4, 1e4]])
    X, y = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1, 1])
    loss, correct = FusedSGD(model, X, y, 2).evaluate(X, y)
    assert loss == pytest.approx(1e4) and correct == 1


def test_single_threaded_blas_still_computes_the_same_product():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(300, 200)), rng.normal(size=(200, 100))
    with single_threaded_blas():
        inside = A @ B
    np.testing.assert_allclose(inside, A @ B, rtol=1e-12)


def test_overlapping_single_threaded_blas_restores_the_threads_when_the_last_one_ends():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = blas_threads()
    first, second = single_threaded_blas(), single_threaded_blas()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first training ends while the second still runs
    assert all(n == 1 for n in blas_threads())
    second.__exit__(None, None, None)
    assert blas_threads() == before
