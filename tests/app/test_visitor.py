"""What one visitor can cost the server, app side: links that broke the page, training over
the budget, messages hidden by the page itself."""

import pytest
from streamlit.testing.v1 import AppTest

import nncore
from tests.app.conftest import PAGES, ROOT, errors, session_runs, train


def fresh_with(query):
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.query_params.update(query)
    return at.run()


def test_a_link_with_runs_that_differ_only_in_epochs_restores_both(app):
    """Two live charts identical at epoch 1 raised StreamlitDuplicateElementId; the second run was lost."""
    at = fresh_with({"run": ["epochs:1", "epochs:2", "batch:4096,epochs:1", "batch:2000,epochs:1"]})
    assert not at.exception
    assert sorted((run.config.epochs, run.config.batch) for run in session_runs(at)) == [
        (1, 64), (1, 2000), (1, 4096), (2, 64)]


@pytest.fixture
def tiny_budget(monkeypatch):
    monkeypatch.setenv("DIGITS_TRAINING_BUDGET", "0.000001")  # every run is over it


def test_a_link_never_starts_training_over_the_budget_without_a_click(app, tiny_budget):
    at = fresh_with({"run": ["epochs:2,hidden:8"]})
    assert not session_runs(at), "nothing trained yet"
    assert any("Training takes a while here" in w.value and "h8 lr0.1 b64 e2 s0" in w.value for w in at.warning)
    next(b for b in at.button if b.label.startswith("Train (")).click().run()
    assert [run.config.hidden for run in session_runs(at)] == [8]


def test_the_train_button_over_the_budget_asks_first_and_cancel_drops_it(app, tiny_budget):
    train(app, epochs=2)
    assert not session_runs(app) and any("Training takes a while" in w.value for w in app.warning)
    next(b for b in app.button if b.label == "Cancel").click().run()
    assert not app.warning and not session_runs(app)


def test_a_shared_server_refuses_runs_over_the_budget(app, tiny_budget, monkeypatch):
    monkeypatch.setenv("DIGITS_SHARED", "1")
    at = fresh_with({"run": ["epochs:2,hidden:8"]})
    assert not session_runs(at)
    assert any("This server is shared" in e for e in errors(at))
    assert not any(b.label.startswith("Train (") for b in at.button)


def test_a_run_under_the_budget_trains_at_once(app):
    at = fresh_with({"run": ["epochs:2,hidden:8"]})
    assert [run.config.hidden for run in session_runs(at)] == [8] and not at.warning


def test_the_largest_settings_are_far_over_the_default_budget():
    largest = nncore.TrainConfig(hidden=2048, batch=1, epochs=500, augment=20, ensemble=5)
    assert nncore.estimate_seconds(largest) > 100 * 60  # hours, not the budget's minute
    default = nncore.estimate_seconds(nncore.TrainConfig())
    assert nncore.estimate_seconds(nncore.TrainConfig(epochs=60)) == pytest.approx(2 * default, rel=0.05)


def test_an_upload_message_stays_visible_when_the_upload_box_closes(trained):
    """After the first uploaded run the box collapsed and hid its own success or error message."""
    saved = nncore.train(nncore.TrainConfig(epochs=2, hidden=8, seed=3))
    trained.switch_page(PAGES["compare"]).run()
    trained.file_uploader(key="weights_upload").set_value(("run.npz", nncore.to_bytes(saved), "application/x"))
    trained.run()
    assert any("Loaded" in s.value for s in trained.success)
    assert not trained.expander[0].success, "the message is not inside the (closed) upload box"
