"""app.analysis: chart data from a run."""

import numpy as np
import pytest

import nncore
from app.analysis import run as analysis


@pytest.fixture(scope="module")
def evaluation():
    return analysis.evaluate(nncore.train(nncore.TrainConfig(epochs=5, seed=2)))


def test_evaluation_is_on_the_runs_test_split(evaluation):
    assert np.array_equal(evaluation.index, nncore.split(2).test)
    assert evaluation.confusion().sum() == len(evaluation.y)
    assert evaluation.accuracy == pytest.approx(np.trace(evaluation.confusion()) / len(evaluation.y))


def test_misclassified_are_wrong_and_most_confident_first(evaluation):
    wrong = evaluation.misclassified()
    assert (evaluation.predicted[wrong] != evaluation.y[wrong]).all()
    confidence = evaluation.probs[wrong].max(axis=1)
    assert (np.diff(confidence) <= 0).all()


def test_per_class_recall_matches_the_confusion_rows(evaluation):
    counts = evaluation.confusion()
    assert np.allclose(evaluation.per_class()["recall"], np.diag(counts) / counts.sum(axis=1))


def test_row_percentages_sum_to_100_and_survive_empty_rows():
    pct = analysis.row_percentages(np.array([[1, 3], [0, 0]]))
    assert np.allclose(pct, [[25, 75], [0, 0]])


def test_top_guesses():
    assert analysis.top_guesses(np.array([0.1, 0.6, 0.3])) == [(1, 0.6), (2, 0.3)]


def note_of(val_loss, val_acc, best_epoch=None, label_noise=0.0, train_loss=None, train_acc=None, dead=()):
    """validation_loss_note of a run with these histories (seed 0: 360 validation digits)."""
    from types import SimpleNamespace
    n = len(val_loss)
    history = {"val_loss": val_loss, "val_acc": val_acc, "dead_units": list(dead),
               "train_loss": train_loss or list(np.linspace(1.0, 0.1, n)),
               "train_acc": train_acc or list(np.linspace(0.8, 0.99, n))}
    config = nncore.TrainConfig(label_noise=label_noise)
    return analysis.validation_loss_note(SimpleNamespace(history=history, best_epoch=best_epoch or n, config=config))


def test_a_validation_loss_rising_three_epochs_with_accuracy_held_is_growing_confidence():
    note = note_of([0.5, 0.3, 0.31, 0.32, 0.33], [0.9, 0.95, 0.95, 0.95, 0.95 - 1 / 360], best_epoch=2)
    assert not note["overfitting"] and "did not fall" in note["text"] and "more confident" in note["text"]
    assert "lowest at epoch 2 (0.300)" in note["text"] and "1.10×" in note["text"]
    assert "Early stopping" not in note["text"] and "smaller learning rate" not in note["text"]


def test_a_validation_loss_rising_with_accuracy_two_digits_lower_is_overfitting_and_names_the_noise():
    note = note_of([0.5, 0.3, 0.31, 0.32, 0.33], [0.9, 0.95, 0.95, 0.95, 0.95 - 2 / 360], best_epoch=2,
                   label_noise=0.3)
    assert note["overfitting"] and "fell too" in note["text"] and "30% of their labels that are wrong" in note["text"]
    assert "The run keeps epoch 2" in note["text"] and "Early stopping (patience)" in note["text"]


def test_no_note_for_a_rise_of_two_epochs_or_of_2_percent_or_while_training_loss_rises_too():
    assert note_of([0.5, 0.3, 0.31, 0.32], [0.9] * 4) is None                 # two epochs above the lowest
    assert note_of([0.5, 0.3, 0.301, 0.302, 0.306], [0.9] * 5) is None        # 1.02× the lowest, not more
    assert note_of([0.5, 0.3, 0.301, 0.302, 0.3061], [0.9] * 5) is not None   # just over it
    assert note_of([0.5, 0.3, 0.31, 0.32, 0.33], [0.9] * 5, train_loss=[1.0, 0.2, 0.3, 0.3, 0.3]) is None


def test_a_run_whose_kept_epoch_is_its_last_is_not_told_to_stop_earlier():
    note = note_of([0.5, 0.3, 0.31, 0.32, 0.33], [0.9, 0.95, 0.95, 0.95, 0.96], best_epoch=5)
    assert "highest in its last epoch" in note["text"] and "would not have given a more accurate" in note["text"]
    assert "Early stopping" not in note["text"]


@pytest.mark.parametrize("config, overfitting", [
    (nncore.TrainConfig(hidden=256, label_noise=0.3, epochs=100), True),
    (nncore.TrainConfig(optimizer="adam", lr=0.01), False),
    (nncore.TrainConfig(lr=1.0), None),
    (nncore.TrainConfig(), None),
])
def test_real_runs_get_the_note_their_history_shows(config, overfitting):
    """Noisy labels: accuracy falls with the rising loss; Adam at 0.01: the loss creeps up while the
    kept epoch is the last and best; SGD at lr 1, the sweep's best, and the default: no note."""
    result = nncore.train(config)
    note = analysis.validation_loss_note(result)
    assert (note and note["overfitting"]) == overfitting
    if config.optimizer == "adam":
        assert result.best_epoch == result.epochs_run and "stopping earlier would not" in note["text"]


def test_an_l2_run_says_both_loss_curves_are_cross_entropy_and_gives_its_penalty():
    from app.widgets import views
    result = nncore.train(nncore.TrainConfig(l2=0.01, epochs=3))
    W1, W2 = result.model.W1.astype(float), result.model.W2.astype(float)
    text = views.penalty_text(result)
    assert "cross-entropy alone" in text and f"{0.005 * (np.sum(W1 ** 2) + np.sum(W2 ** 2)):.3g}" in text
    assert views.penalty_text(nncore.train(nncore.TrainConfig(epochs=1))) == ""


def test_health_text_is_computed_from_the_run_s_health_history():
    from types import SimpleNamespace

    from app.widgets import views

    def result(activation, dead, w1=(1.0, 1.0), w2=(2.0, 2.0)):
        history = {"dead_units": list(dead), "grad_W1": list(w1), "grad_W2": list(w2)}
        return SimpleNamespace(history=history, config=nncore.TrainConfig(activation=activation, hidden=8))

    text = views.health_text(result("relu", [0.25, 0.5]))
    assert "In the last epoch (2), 50% of the 8 hidden units were dead (most during training: 50%)" in text
    assert "no blame reaches" in text and "on average 0.50× the size of W2's" in text
    healthy = views.health_text(result("relu", [0.0, 0.0]))
    assert "0% of the 8 hidden units" in healthy and "no blame" not in healthy
    assert "none counts as dead" in views.health_text(result("leaky_relu", [0.0, 0.0]))
    assert views.health_text(result("relu", [], (), ())) is None  # a file saved before health was recorded


def test_a_falling_accuracy_is_overfitting_only_when_the_training_loss_ends_well_below_the_validation_loss():
    """Raw pixels at lr 0.3 collapse: validation loss creeps up while training loss stays as high."""
    rising = [0.5, 0.3, 0.31, 0.32, 0.33]
    falling = [0.9, 0.95, 0.94, 0.94, 0.9]
    note = note_of(rising, falling, train_loss=[1.0, 0.5, 0.4, 0.35, 0.8 * 0.33], dead=[0.9] * 5)
    assert not note["overfitting"] and "(overfitting)" not in note["text"]
    assert "training loss (0.264) is about as high as the validation loss (0.330)" in note["text"]
    assert "90% of the hidden units are dead" in note["text"]
    assert "dead" not in note_of(rising, falling, train_loss=[1.0, 0.5, 0.4, 0.35, 0.3], dead=[0.4] * 5)["text"]
    assert note_of(rising, falling, train_loss=[1.0, 0.5, 0.4, 0.35, 0.263])["overfitting"]


def test_the_collapsing_raw_pixel_run_is_told_so_not_overfitting():
    note = analysis.validation_loss_note(nncore.train(nncore.TrainConfig(scaling="none", lr=0.3)))
    assert note is not None and not note["overfitting"] and "hidden units are dead" in note["text"]
