"""nncore.functions: stable softmax and cross-entropy."""

import numpy as np

from nncore import MLP, cross_entropy, log_softmax, softmax


def test_softmax_of_extreme_logits_is_finite_and_sums_to_one():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]])
    probs = softmax(logits)
    assert np.isfinite(probs).all()
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert np.allclose(probs[0], [1, 0, 0]) and np.allclose(probs[2], [0.5, 0.5, 0])


def test_cross_entropy_of_extreme_logits_is_finite():
    logits = np.array([[1e4, -1e4], [-1e4, 1e4]])
    assert cross_entropy(logits, np.array([0, 1])) == 0.0
    wrong = cross_entropy(logits, np.array([1, 0]))
    assert np.isfinite(wrong) and np.isclose(wrong, 2e4)


def test_backward_on_extreme_logits_gives_finite_gradients():
    model = MLP(3, 2, 2, rng=0)
    model.W2 = np.array([[1e4, -1e4], [-1e4, 1e4]])
    model.forward(np.array([[5.0, 5.0, 5.0]]))
    grads = model.backward(np.array([1]))
    assert np.isfinite(model.loss) and all(np.isfinite(g).all() for g in grads.values())


def test_log_softmax_matches_naive_formula_on_moderate_logits():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(5, 10))
    naive = np.log(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))
    assert np.allclose(log_softmax(logits), naive)
