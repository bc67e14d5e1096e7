"""nncore.inspect: the numbers the app's views draw, checked against the network and finite differences."""

import numpy as np
import pytest

import nncore
from nncore import inspect


@pytest.fixture(scope="module")
def run():
    return nncore.train(nncore.TrainConfig(epochs=4, hidden=16, seed=1))


@pytest.fixture(scope="module")
def pair():
    return nncore.train(nncore.TrainConfig(epochs=3, hidden=12, ensemble=2, activation="tanh", optimizer="adam",
                                           lr=0.01, l2=0.001))


@pytest.fixture(scope="module")
def digit():
    X, y = nncore.test_set(1)
    return X[5], int(y[5])


def test_network_is_a_float64_copy_of_the_kept_weights(run):
    model, epoch = inspect.network(run)
    assert epoch == run.best_epoch and model.dtype == np.float64
    np.testing.assert_allclose(model.W1, run.model.W1, rtol=1e-6)
    model.W1[:] = 0
    assert np.abs(run.model.W1).max() > 0


def test_network_at_epoch_0_is_the_initial_weights(run):
    model, epoch = inspect.network(run, 0)
    assert epoch == 0
    np.testing.assert_array_equal(model.W2, run.snapshots[0][0]["W2"].astype(np.float64))


def test_network_refuses_an_index_beyond_the_ensemble(run):
    with pytest.raises(nncore.NNCoreError, match="network index must be 0 to 0"):
        inspect.network(run, index=1)


def test_drift_is_how_far_the_weights_moved_from_their_start(run):
    assert inspect.drift(run, 0) == {"W1": 0.0, "W2": 0.0}
    moved = inspect.drift(run, 4)
    start, end = run.snapshots[0][0]["W1"], run.snapshots[4][0]["W1"]
    assert moved["W1"] == pytest.approx(np.linalg.norm(end - start) / np.linalg.norm(start), rel=1e-5)
    assert moved["W2"] > 0


def test_unit_images_are_the_columns_of_W1(run):
    model, _ = inspect.network(run)
    images = inspect.unit_images(model)
    assert images.shape == (16, 8, 8)
    np.testing.assert_array_equal(images[3].ravel(), model.W1[:, 3])


def test_hidden_activations_are_the_forward_pass(run, digit):
    model, _ = inspect.network(run)
    H = inspect.hidden_of(run, digit[0])
    X = run.standardizer(digit[0][None])
    np.testing.assert_allclose(H, np.maximum(X @ model.W1 + model.b1, 0))


def test_contributions_add_up_to_the_logit(run, digit):
    model, _ = inspect.network(run)
    x = run.standardizer(digit[0][None])[0]
    logits = model.forward(x[None])[0]
    for d in (0, digit[1], 9):
        assert inspect.contributions(model, x, d).sum() + model.b2[d] == pytest.approx(logits[d])


def test_a_unit_without_votes_is_least_important(run):
    model, _ = inspect.network(run)
    model.W2[7] = 0
    X = run.standardizer(nncore.test_set(1)[0])
    assert inspect.importance(model, X)[7] == 0
    assert inspect.importance_order(model, X)[-1] == 7


def test_strongest_voters_are_the_largest_weights_to_each_digit(run):
    model, _ = inspect.network(run)
    model.W2[11, 4] = 50.0
    voters = inspect.strongest_voters(model)
    assert voters.shape == (10,) and voters[4] == 11


def test_probabilities_at_the_last_epoch_are_those_of_the_last_snapshot(run, digit):
    probs, epoch = inspect.probabilities_at(run, digit[0], 99)
    assert epoch == run.epochs_run and probs.shape == (1, 10)
    assert probs.sum() == pytest.approx(1.0)


def test_walkthrough_gradients_are_those_of_mlp_backward(pair, digit):
    walk = inspect.walkthrough(pair, digit[0], digit[1], index=1)
    model = pair.models[1].copy(np.float64)
    model.forward(pair.standardizer(digit[0][None]))
    grads = model.backward(np.array([digit[1]]), pair.config.l2)
    for name, gradient in grads.items():
        np.testing.assert_array_equal(walk[f"d{name}"], gradient)
    assert walk.loss == model.loss


def test_walkthrough_gradient_matches_finite_differences(pair, digit):
    walk = inspect.walkthrough(pair, digit[0], 3)  # a wrong label: large gradients
    model, _ = inspect.network(pair)
    X, y = pair.standardizer(digit[0][None]), np.array([3])

    def loss():
        model.forward(X)
        model.backward(y, pair.config.l2)
        return model.loss

    for name, where in (("W1", (20, 4)), ("W2", (5, 3)), ("b1", 2), ("b2", 3)):
        p = getattr(model, name)
        saved, h = p[where], 1e-6
        p[where] = saved + h
        up = loss()
        p[where] = saved - h
        down = loss()
        p[where] = saved
        assert walk[f"d{name}"][where] == pytest.approx((up - down) / (2 * h), rel=1e-4, abs=1e-9)


def test_walkthrough_sgd_step_is_minus_lr_times_the_gradient_and_lowers_the_loss(run, digit):
    walk = inspect.walkthrough(run, digit[0], (digit[1] + 1) % 10)
    assert walk.optimizer == "sgd" and walk.lr == run.config.lr
    np.testing.assert_allclose(walk.steps["W1"], -walk.lr * walk["dW1"], atol=1e-12)
    assert walk.loss_after < walk.loss


def test_walkthrough_adam_first_step_is_about_lr_per_weight(pair, digit):
    walk = inspect.walkthrough(pair, digit[0], digit[1])
    moved = np.abs(walk.steps["W2"])[np.abs(walk["dW2"]) > 1e-4]
    np.testing.assert_allclose(moved, walk.lr, rtol=1e-3)


def test_walkthrough_keeps_every_named_array(run, digit):
    walk = inspect.walkthrough(run, digit[0], digit[1], epoch=2)
    names = {"raw", "mean", "std", "X", "W1", "b1", "Z1", "H", "W2", "b2", "logits", "P", "onehot", "dlogits",
             "dW2", "db2", "dH", "dZ1", "dW1", "db1"}
    assert names <= set(walk.arrays) and walk.epoch == 2
    np.testing.assert_allclose(walk["dlogits"], walk["P"] - walk["onehot"])
    np.testing.assert_allclose(walk["X"], (walk["raw"] - walk["mean"]) / walk["std"])


def test_walkthrough_refuses_a_label_that_is_not_a_digit(run, digit):
    with pytest.raises(nncore.NNCoreError, match="label must be a digit 0 to 9, got 10"):
        inspect.walkthrough(run, digit[0], 10)


@pytest.mark.parametrize("which", ["run", "pair"])
def test_saliency_matches_finite_differences_of_the_probability(which, request, digit):
    result = request.getfixturevalue(which)
    raw = digit[0].astype(np.float64)
    for target in (digit[1], (digit[1] + 3) % 10):
        gradient = result.input_gradient(raw, target)
        for pixel in (12, 27, 36, 43):
            h = 1e-4
            up, down = raw.copy(), raw.copy()
            up[pixel] += h
            down[pixel] -= h
            numeric = (result.predict_proba(up)[0, target] - result.predict_proba(down)[0, target]) / (2 * h)
            assert gradient[pixel] == pytest.approx(numeric, rel=1e-3, abs=1e-8)


def test_saliency_per_std_is_the_gradient_with_respect_to_the_standardized_input(run, digit):
    per_std = inspect.saliency(run, digit[0], 4, per_std=True)
    model, _ = inspect.network(run)
    X = run.standardizer(digit[0][None])
    h, pixel = 1e-5, 28
    up, down = X.copy(), X.copy()
    up[0, pixel] += h
    down[0, pixel] -= h
    numeric = (run.ensemble[0].forward(up)[0, 4] - run.ensemble[0].forward(down)[0, 4]) / (2 * h)
    assert per_std[pixel] == pytest.approx(numeric, rel=1e-3, abs=1e-7)
    np.testing.assert_array_equal(inspect.saliency(run, digit[0], 4), run.logit_gradient(digit[0], 4))


@pytest.mark.parametrize("which", ["run", "pair"])
def test_the_logit_gradient_matches_finite_differences_of_the_networks_mean_logit(which, request, digit):
    result = request.getfixturevalue(which)
    raw = digit[0].astype(np.float64)

    def mean_logit(row, target):
        X = result.standardizer(row[None])
        return np.mean([model.copy(np.float64).forward(X)[0, target] for model in result.ensemble])

    gradient = result.logit_gradient(raw, 7)
    for pixel in (12, 27, 36, 43):
        up, down = raw.copy(), raw.copy()
        up[pixel] += 1e-4
        down[pixel] -= 1e-4
        assert gradient[pixel] == pytest.approx((mean_logit(up, 7) - mean_logit(down, 7)) / 2e-4, rel=1e-4, abs=1e-8)


def test_the_saliency_of_a_confident_digit_does_not_vanish_as_the_probability_gradient_does():
    """d P / d pixel carries P (1 - P): for the most confident test digit of the default run it is
    around 1e-5 while the logit's gradient stays of the size it has for an unsure digit."""
    result = nncore.train(nncore.TrainConfig())
    X, _ = nncore.test_set(0)
    probs = result.predict_proba(X)
    confident, unsure = int(np.argmax(probs.max(axis=1))), int(np.argmin(probs.max(axis=1)))
    top = int(probs[confident].argmax())
    assert np.abs(result.input_gradient(X[confident], top)).max() < 1e-3
    sizes = [np.abs(inspect.saliency(result, X[i], int(probs[i].argmax()))).max() for i in (confident, unsure)]
    assert sizes[0] > 0.1 * sizes[1] and sizes[0] > 0.05


def test_pixels_blank_in_every_training_digit_keep_their_initial_weights():
    config = nncore.TrainConfig(epochs=5)
    blank = inspect.blank_pixels(config)
    assert list(np.flatnonzero(blank)) == [0, 24, 32, 39, 56]  # seed 0's training split
    result = nncore.train(config)
    start, _ = result.ensemble_at(0)
    np.testing.assert_array_equal(result.model.W1[blank], start[0].W1[blank])
    assert np.all(np.any(result.model.W1[~blank] != start[0].W1[~blank], axis=1))
    assert not inspect.blank_pixels(nncore.TrainConfig(augment=1)).any()  # distorted copies ink them
