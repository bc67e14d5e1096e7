"""app/widgets/peer.py: the button that trains scikit-learn's MLPClassifier beside a run, driven
headless on a one-run script (its chart, figures.peer_curves, is tested in test_figures.py)."""

import threading

import pytest
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

import nncore.lab.peer

SCRIPT = """
import nncore
from app.state import runs
from app.widgets import peer as peer_view

if not runs.all_runs():
    runs.add(nncore.train(nncore.TrainConfig(epochs=5, activation="leaky_relu")))
peer_view.sklearn_beside(runs.all_runs()[0])
"""


def view(monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    calls = []

    def counted(config, **kwargs):
        calls.append(config)
        return train_sklearn(config, **kwargs)

    train_sklearn = nncore.lab.peer.train_sklearn
    monkeypatch.setattr(nncore.lab.peer, "train_sklearn", counted)
    at = AppTest.from_string(SCRIPT, default_timeout=300).run()
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
    assert button.label.endswith(" on an idle core)")  # what its estimate assumes
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
                             default_timeout=300).run()
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


def test_while_it_waits_for_a_slot_it_shows_its_place_and_trains_once_the_slot_frees(monkeypatch):
    """The comparison waited in the queue with a spinner only: no place in line, no Stop."""
    from app.server import trainer

    monkeypatch.setenv("DIGITS_TRAINING_SLOTS", "1")
    at = view(monkeypatch)
    queue = trainer.shared_queue()
    busy = queue.join("someone else", 5.0)
    assert queue.try_start(busy)
    told, drawn = [], []
    queue_text = trainer.queue_text

    def telling(place, wait, running):
        told.append(place)
        if len(told) == 1:  # the comparison is in line: the other training ends
            queue.leave(busy)
        return queue_text(place, wait, running)

    monkeypatch.setattr(trainer, "queue_text", telling)
    real_button = DeltaGenerator.button

    def button(self, label, *args, **kwargs):
        drawn.append(label)
        return real_button(self, label, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "button", button)
    ceiling = threading.Timer(60, queue.leave, args=(busy,))  # code that never tells its place still ends
    ceiling.start()
    at.button[0].click().run()
    ceiling.cancel()
    assert told and told[0] == 1 and "Stop" in drawn
    assert len(at.calls) == 1 and at.metric and queue.status() == (0, 0)
