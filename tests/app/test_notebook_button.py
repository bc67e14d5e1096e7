"""app/widgets/notebook.py: the "Download as a notebook" button beside a run, driven with AppTest."""

import pytest

import nncore
from app.widgets.notebook import download_help
from nncore.lab import notebook
from tests.app.conftest import PAGES, errors, session_runs


def downloads(at):
    return [button for button in at.get("download_button") if button.proto.label == "Download as a notebook"]


@pytest.mark.parametrize("page", ["overview", "how"])
def test_the_button_and_the_exercise_box_sit_beside_the_run_and_build_nothing_on_a_rerun(trained, page,
                                                                                       monkeypatch):
    def built(*args, **kwargs):
        raise AssertionError("the notebook was built on a rerun")

    monkeypatch.setattr(notebook, "to_bytes", built)
    trained.switch_page(PAGES[page]).run()
    assert not trained.exception and not errors(trained)
    assert len(downloads(trained)) == 1
    box = trained.checkbox(key=f"{page}_exercise")
    assert box.label.startswith("Exercise") and box.value is False
    box.check().run()  # ticking the box reruns the page: still nothing built
    assert not trained.exception and len(downloads(trained)) == 1


def test_there_is_no_button_before_a_run(app):
    app.switch_page(PAGES["overview"]).run()
    assert not downloads(app) and not session_runs(app)


def test_the_buttons_help_says_what_the_notebook_will_end_with_and_when_it_cannot_match():
    config = nncore.TrainConfig(epochs=3)
    completed = nncore.train(config)
    stopped = nncore.train(config, callback=lambda stats: stats.epoch == 2)
    assert download_help(completed).endswith(f"the same best epoch ({completed.best_epoch}) and test accuracy "
                                             f"({completed.test_accuracy:.1%}).")
    assert "stopped at epoch 2, so its numbers can differ (set epochs to 2" in download_help(stopped)
    assert "stopped" not in download_help(completed)
