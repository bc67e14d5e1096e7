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
