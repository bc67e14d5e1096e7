"""app/widgets/peer.py: the button that trains scikit-learn's MLPClassifier beside a run, driven
headless on a one-run script, and its figure builder."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import nncore.lab.peer
from app.widgets import peer as peer_view

SCRIPT = """
import nncore
from app import peer_view, runs

if not runs.all_runs():
    runs.add(nncore.train(nncore.TrainConfig(epochs=5, activation="leaky_relu")))
peer_view.sklearn_beside(runs.all_runs()[0])
"""


def view(monkeypatch):
    st.cache_data.clear()
    calls = []

    def counted(config):
        calls.append(config)
        return train_sklearn(config)

    train_sklearn = nncore.lab.peer.train_sklearn
    monkeypatch.setattr(nncore.lab.peer, "train_sklearn", counted)
    at = AppTest.from_string(SCRIPT, default_timeout=120).run()
    at.calls = calls
    return at


@pytest.fixture(name="view")
def view_fixture(monkeypatch):
    """The one-run script, before any click (``calls``: the configs scikit-learn trained)."""
    return view(monkeypatch)


def test_before_the_click_only_the_button_shows(view):
    assert not view.exception
    (button,) = view.button
    assert button.label.startswith("Train scikit-learn's MLPClassifier beside it (about ")
    assert not view.metric and not view.get("plotly_chart") and view.calls == []


def test_the_click_shows_both_runs_side_by_side_and_what_differs(view):
    view.button[0].click().run()
    assert not view.exception
    labels = [m.label for m in view.metric]
    assert labels == ["Test accuracy: ours", "Training time: ours", "Epochs: ours"]
    assert "vs scikit-learn's" in view.metric[0].delta
    (chart,) = view.get("plotly_chart")
    assert "ours (NumPy, from scratch)" in chart.proto.spec and "scikit-learn MLPClassifier" in chart.proto.spec
    assert any("MLPClassifier(hidden_layer_sizes=(64,), activation='relu'" in c.value for c in view.caption)
    (differs,) = [m.value for m in view.markdown if m.value.startswith("**What differs**")]
    assert "- activation leaky_relu: scikit-learn has relu, tanh, logistic and identity" in differs


def test_the_comparison_stays_and_is_trained_once_per_config(view):
    view.button[0].click().run()
    view.run()
    view.run()
    assert len(view.get("plotly_chart")) == 1, "still shown after reruns"
    assert len(view.calls) == 1


def test_with_early_stopping_the_validation_curves_show_too():
    st.cache_data.clear()
    at = AppTest.from_string(SCRIPT.replace('epochs=5, activation="leaky_relu"', "epochs=20, patience=2"),
                             default_timeout=120).run()
    at.button[0].click().run()
    assert not at.exception
    specs = [chart.proto.spec for chart in at.get("plotly_chart")]
    assert len(specs) == 2 and "Validation accuracy per epoch" in specs[1]


def test_a_shared_server_refuses_scikit_learns_run_over_the_budget(monkeypatch):
    monkeypatch.setenv("DIGITS_SHARED", "1")
    monkeypatch.setenv("DIGITS_TRAINING_BUDGET", "0.000001")
    at = view(monkeypatch)
    (refusal,) = [e.value for e in at.error]
    assert "This server is shared" in refusal and "scikit-learn's run of these settings would take about" in refusal
    assert at.button[0].disabled and at.calls == []


def test_over_the_budget_the_page_says_how_long_before_the_click(monkeypatch):
    monkeypatch.setenv("DIGITS_TRAINING_BUDGET", "0.000001")
    at = view(monkeypatch)
    assert any("scikit-learn's run of these settings would take about" in w.value for w in at.warning)
    assert not at.button[0].disabled and at.calls == []
    at.button[0].click().run()
    assert not at.exception and len(at.calls) == 1 and at.metric


def test_the_chart_has_both_curves_per_epoch():
    fig = peer_view.beside([1.0, 0.5, 0.25], [1.1, 0.6, 0.3])
    assert [list(trace.x) for trace in fig.data] == [[1, 2, 3], [1, 2, 3]]
    assert list(fig.data[1].y) == [1.1, 0.6, 0.3]
