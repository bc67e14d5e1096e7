"""nncore.optim: each optimizer's steps against the update written out by hand, and the schedules."""

import math

import numpy as np
import pytest

from nncore import optim


def setup(seed=0):
    rng = np.random.default_rng(seed)
    params = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}
    grads = [{name: rng.normal(size=p.shape) for name, p in params.items()} for _ in range(4)]
    return params, grads


def test_sgd_subtracts_lr_times_the_gradient():
    params, grads = setup()
    expected = {name: p.copy() for name, p in params.items()}
    optimizer = optim.make("sgd", params, 0.3)
    for g in grads:
        optimizer.step(g)
        for name in expected:
            expected[name] = expected[name] - 0.3 * g[name]
    for name in params:
        np.testing.assert_allclose(params[name], expected[name], rtol=1e-14)


def test_momentum_follows_pytorchs_convention():
    params, grads = setup(1)
    W = params["W"].copy()
    optimizer = optim.make("momentum", params, 0.1, momentum=0.8)
    v = np.zeros_like(W)
    for g in grads:
        optimizer.step(g)
        v = 0.8 * v + g["W"]
        W = W - 0.1 * v
    np.testing.assert_allclose(params["W"], W, rtol=1e-14)


def test_adam_follows_pytorchs_default_adam():
    params, grads = setup(2)
    b = params["b"].copy()
    optimizer = optim.make("adam", params, 0.01)
    m = v = np.zeros_like(b)
    for t, g in enumerate(grads, 1):
        optimizer.step(g)
        m = 0.9 * m + 0.1 * g["b"]
        v = 0.999 * v + 0.001 * g["b"] ** 2
        m_hat, v_hat = m / (1 - 0.9 ** t), v / (1 - 0.999 ** t)
        b = b - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8)
    np.testing.assert_allclose(params["b"], b, rtol=1e-12)


def test_adams_first_step_moves_every_weight_by_about_lr():
    params, grads = setup(3)
    before = params["W"].copy()
    optimizer = optim.make("adam", params, 0.001)
    optimizer.step(grads[0])
    np.testing.assert_allclose(np.abs(params["W"] - before), 0.001, rtol=1e-4)


def test_each_optimizer_keeps_state_per_parameter_array_and_updates_in_place():
    params, grads = setup(4)
    arrays = dict(params)
    optimizer = optim.make("momentum", params, 0.1)
    optimizer.step(grads[0])
    assert set(optimizer.velocity) == {"W", "b"}
    assert all(params[name] is arrays[name] for name in params)
    np.testing.assert_allclose(optimizer.velocity["b"], grads[0]["b"])


@pytest.mark.parametrize("name, expected", [
    ("constant", [0.4] * 9),
    ("step", [0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1]),
    ("cosine", [0.4 * 0.5 * (1 + math.cos(math.pi * e / 9)) for e in range(9)]),
])
def test_schedules_give_the_learning_rate_of_each_epoch(name, expected):
    got = [optim.SCHEDULES[name](0.4, epoch, 9) for epoch in range(1, 10)]
    assert got == pytest.approx(expected)


def test_step_schedule_on_short_runs_still_decays():
    assert [optim.step_decay(1.0, epoch, 2) for epoch in (1, 2)] == [1.0, 0.5]
