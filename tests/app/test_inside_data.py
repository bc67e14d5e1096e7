"""app.analysis.inside, app.analysis.digit and app.server.memo: the chart data of the views inside a run."""

import contextlib
import dataclasses
import gc
import os
import threading

import numpy as np
import pandas as pd
import pytest

import nncore
from app.analysis import digit as inside_digit
from app.analysis import inside
from app.analysis import run as analysis
from app.server import memo
from nncore.lab import inside as inspect


@pytest.fixture(scope="module")
def run():
    return nncore.train(nncore.TrainConfig(epochs=5, hidden=24, seed=2))


@pytest.fixture(scope="module")
def evaluation(run):
    return analysis.evaluate(run)


def test_calibration_bins_counts_accuracy_and_ece_by_hand():
    probs = np.array([[0.95, 0.05], [0.95, 0.05], [0.35, 0.65], [0.3, 0.7], [0.0, 1.0]])
    y = np.array([0, 1, 1, 0, 1])
    c = inside.calibration(probs, y, bins=10)
    assert c.counts.sum() == 5 and c.counts[9] == 3 and c.counts[6] == 2  # 0.65 and 0.7 in (0.6, 0.7]
    assert c.accuracy[9] == pytest.approx(2 / 3) and c.confidence[9] == pytest.approx((0.95 + 0.95 + 1.0) / 3)
    assert c.accuracy[6] == pytest.approx(0.5)
    expected = (3 * abs(2 / 3 - 2.9 / 3) + 2 * abs(0.5 - 0.675)) / 5
    assert c.ece == pytest.approx(expected)
    assert np.isnan(c.accuracy[0])  # empty bins have no accuracy


def test_calibration_of_a_calibrated_predictor_is_zero():
    probs = np.tile([0.75, 0.25], (4, 1))
    c = inside.calibration(probs, np.array([0, 0, 0, 1]))
    assert c.ece == pytest.approx(0.0) and c.mean_confidence == pytest.approx(0.75)


def test_calibration_table_and_verdict_describe_the_bins():
    c = inside.calibration(np.array([[0.9, 0.1], [0.6, 0.4]]), np.array([0, 0]))
    table = inside.calibration_table(c)
    assert list(table["confidence"]) == ["50%–60%", "80%–90%"] and list(table["digits"]) == [1, 1]
    assert "under-confident" in inside.calibration_verdict(c, 1.0)
    assert "over-confident" in inside.calibration_verdict(c, 0.5)


def test_cell_members_and_difference_of_confusion_matrices():
    y, predicted = np.array([1, 1, 2, 8, 8]), np.array([1, 7, 2, 1, 1])
    np.testing.assert_array_equal(inside.cell_members(y, predicted, 8, 1), [3, 4])
    first = inside.confusion(y, predicted)
    assert first[8, 1] == 2 and first.sum() == 5
    second = inside.confusion(y, y)
    difference = inside.confusion_difference(first, second)
    assert difference[8, 1] == -2 and difference[8, 8] == 2 and difference.sum() == 0


def test_history_until_an_epoch_and_as_csv():
    history = {"train_loss": [3, 2, 1], "val_loss": [3, 2, 2], "train_acc": [0.1, 0.5, 0.9], "val_acc": [0.1, .4, .8]}
    assert inside.history_until(history, 2)["val_acc"] == [0.1, 0.4]
    table = inside.history_table([("a", history), ("b", inside.history_until(history, 1))])
    assert list(table["run"]) == ["a", "a", "a", "b"] and list(table["epoch"]) == [1, 2, 3, 1]
    back = pd.read_csv(pd.io.common.BytesIO(inside.csv_bytes(table)))
    assert list(back.columns) == ["run", "epoch", "train_loss", "val_loss", "train_acc", "val_acc"]
    assert back["val_loss"].tolist() == [3, 2, 2, 3]


def test_view_box_leaves_far_outliers_outside():
    xy = np.vstack([np.random.default_rng(0).normal(size=(200, 2)), [[60.0, -17.0]]])
    (x0, x1), (y0, y1), = inside.view_box(xy)[0]
    assert x1 < 60 and y0 > -17 and inside.view_box(xy)[1] >= 1


def test_projection_pca_uses_the_rows_it_is_fitted_on():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(100, 5)) * [10, 5, 1, 1, 1]
    xy = inside.projection(train[:7], "PCA", fit_on=train)
    assert xy.shape == (7, 2)
    assert np.var(inside.projection(train, "PCA", fit_on=train)[:, 0]) > 50
    with pytest.raises(ValueError, match="method must be one of PCA, t-SNE"):
        inside.projection(train, "UMAP")


def test_tsne_projection_places_every_point():
    points = np.random.default_rng(0).normal(size=(40, 6))
    assert inside.projection(points, "t-SNE").shape == (40, 2)


def test_separation_of_well_separated_classes_is_perfect():
    y = np.repeat(np.arange(10), 10)
    xy = np.column_stack([y * 10.0, np.zeros(100)]) + np.random.default_rng(0).normal(size=(100, 2)) * 0.1
    assert inside.separation(xy, y) == 1.0


def test_projections_of_a_run_are_raw_and_hidden_kept_per_run(run, evaluation):
    views = inside.projections(run, evaluation.X)
    assert set(views) == {"raw pixels", "hidden layer"} and views["hidden layer"].shape == (len(evaluation.y), 2)
    assert inside.projections(run, evaluation.X) is views


def test_unit_grid_is_the_network_s_weights_at_that_epoch(run):
    grid = inside.unit_grid(run, 0, [3, 1], 0)
    initial = run.snapshots[0][0]
    np.testing.assert_allclose(grid.images[0].ravel(), initial["W1"][:, 3])
    np.testing.assert_allclose(grid.votes[1], initial["W2"][1])
    assert grid.epoch == 0 and list(grid.units) == [3, 1]
    assert inside.unit_grid(run, run.epochs_run, [3], 0).scale == grid.scale  # one scale for every epoch


def test_unit_order_puts_the_most_important_unit_first(run, evaluation):
    order = inside.unit_order(run, evaluation.X)
    model, _ = inspect.network(run)
    scores = inspect.importance(model, run.standardizer(evaluation.X))
    assert sorted(order) == list(range(24)) and scores[order[0]] == scores.max()


def test_unit_response_and_top_digits_of_a_unit(run, evaluation):
    response = inside.unit_response(run, evaluation.X, evaluation.y)
    H = inspect.hidden_of(run, evaluation.X)
    assert response.shape == (24, 10)
    assert response[5, 3] == pytest.approx(H[evaluation.y == 3, 5].mean())
    positions, activations = inside.top_digits(run, evaluation.X, evaluation.y, 5)
    assert activations[0] == pytest.approx(H[:, 5].max()) and list(activations) == sorted(activations, reverse=True)
    assert "Unit **5**" in inside.unit_summary(5, response[5], np.arange(10.0))


def test_strongest_voters_are_per_digit(run):
    voters = inside.strongest_voters(run)
    assert voters.shape == (10,) and voters[0] == int(np.argmax(run.model.W2[:, 0]))


def test_replay_frame_at_epoch_0_is_the_untrained_network(run, evaluation):
    start = inside.frame(run, evaluation, evaluation.X[0], 0)
    end = inside.frame(run, evaluation, evaluation.X[0], run.epochs_run)
    assert start.epoch == 0 and start.history["val_acc"] == [] and start.counts.sum() == len(evaluation.y)
    assert start.accuracy < 0.5 < end.accuracy and end.digit_probs.sum() == pytest.approx(1.0)
    assert inside.kept_epochs(run) == list(range(run.epochs_run + 1))


def test_digit_path_adds_up_to_the_network_s_logit(run, evaluation):
    path = inside_digit.digit_path(run, evaluation.X[3])
    assert path.contributions.sum() + path.b2 == pytest.approx(path.logits[path.network_predicted])
    assert path.predicted == int(np.argmax(run.predict_proba(evaluation.X[3])))
    np.testing.assert_array_equal(path.saliency, run.logit_gradient(evaluation.X[3], path.predicted))
    assert path.active == int((path.H > 0).sum()) and len(path.top_units) == 8


def test_walkthrough_tables_pick_entries_of_the_pass(run, evaluation):
    walk = inside_digit.walkthrough(run, evaluation.X[3], 4)
    assert inside_digit.walkthrough(run, evaluation.X[3], 4) is walk
    top = inside_digit.entries(walk["dW1"], 3)
    assert abs(top["value"][0]) == pytest.approx(np.abs(walk["dW1"]).max())
    assert walk["dW1"][top["row"][1], top["column"][1]] == top["value"][1]
    assert list(inside_digit.class_table(walk, ["P"])["P"]) == list(walk["P"][0])
    assert inside_digit.busiest_unit(walk) == int(np.argmax(np.abs(walk["dZ1"])))
    units = inside_digit.unit_table(walk, ["H", "dZ1"], by="dZ1")
    assert abs(units["dZ1"][0]) == pytest.approx(np.abs(walk["dZ1"]).max())
    assert list(inside_digit.pixel_table(walk)["x (raw)"]) == sorted(evaluation.X[3], reverse=True)[:6]


def test_shown_keeps_a_probability_near_1_apart_from_1():
    assert inside_digit.shown(0.9999703187) == "0.9999703"  # 1 - P = 0.0000297: three digits of it
    assert inside_digit.shown(1 - 0.9999703187) == "0.0000297"
    assert inside_digit.shown(1.0) == "1" and inside_digit.shown(0.0) == "0" and inside_digit.shown(-0.0) == "0"
    assert inside_digit.shown(0.5) == "0.5" and inside_digit.shown(-0.0007517) == "-0.000752"
    assert inside_digit.shown(2.5e-5, plus=True) == "+0.000025"
    assert inside_digit.shown(-2.5e-5, plus=True) == "-0.000025"


def test_shown_writes_a_number_out_down_to_a_millionth_then_in_scientific_notation():
    assert inside_digit.shown(1e-6) == "0.000001" and inside_digit.shown(1.5e-6) == "0.0000015"
    assert inside_digit.shown(9.99e-7) == "9.99e-07" and inside_digit.shown(-1.5e-7) == "-1.5e-07"
    assert inside_digit.shown(1 - 1.5e-7) == "0.99999985"  # near 1 it stays written out


def test_shown_apart_gives_two_close_numbers_the_digits_of_their_difference():
    assert inside_digit.shown_apart(4.7424674e-06, 4.7411705e-06) == ("0.00000474247", "0.00000474117")
    assert inside_digit.shown_apart(0.0012441, 0.0012075) == ("0.0012441", "0.0012075")
    assert inside_digit.shown_apart(0.19019, 0.0011132) == ("0.19", "0.00111")  # far apart: shown's own digits
    assert inside_digit.shown_apart(2.5, 2.5) == ("2.5", "2.5")


def confident_digit(evaluation):
    """The test digit to which a run gives its true label the highest probability."""
    return int(np.argmax(evaluation.probs[np.arange(len(evaluation.y)), evaluation.y]))


def test_a_confident_digit_s_tables_show_p_minus_onehot_as_dlogits():
    run = nncore.train(nncore.TrainConfig())  # 30 epochs: sure of some digits to within 0.00003
    evaluation = analysis.evaluate(run)
    position = confident_digit(evaluation)
    walk = inside_digit.walkthrough(run, evaluation.X[position], int(evaluation.y[position]))
    table = inside_digit.class_table(walk, ["P", "onehot", "dlogits"])
    text = inside_digit.styled(table).hide(axis="index").to_string(delimiter="|").splitlines()[1:]
    rows = [[float(cell) for cell in line.split("|")[1:]] for line in text]  # P, onehot, dlogits as shown
    assert len(rows) == 10
    for P, onehot, dlogits in rows:
        assert (P != onehot) == (dlogits != 0)
        assert P - onehot == pytest.approx(dlogits, rel=1e-6, abs=1e-15)
    label = int(evaluation.y[position])
    assert rows[label][1] == 1 and 0 < -rows[label][2] < 1e-4  # the case that read P = 1, dlogits = -0.00003


def mistakes(*cells):
    """(10, 10) counts of a few test digits: right ones on the diagonal and the mistakes (true, predicted) given."""
    pairs = [(d, d) for d in range(10)] + list(cells)
    return inside.confusion([t for t, _ in pairs], [p for _, p in pairs])


def test_a_unique_most_frequent_mistake_is_called_the_most_frequent():
    counts = mistakes((4, 8), (4, 8), (8, 1))
    assert inside.most_frequent_mistakes(counts) == [(4, 8)]
    assert inside.cell_sentence(counts, 4, 8) == "**2** test 4s read as 8 (the most frequent mistake)"
    assert inside.cell_sentence(counts, 8, 1) == "**1** test 8s read as 1"
    assert inside.cell_sentence(counts, 4, 4) == "**1** test 4s read correctly"


def test_a_tied_most_frequent_mistake_says_it_is_one_of_them():
    counts = mistakes((4, 8), (4, 8), (8, 1), (8, 1), (3, 5))
    assert inside.most_frequent_mistakes(counts) == [(4, 8), (8, 1)]
    assert inside.cell_sentence(counts, 4, 8) == ("**2** test 4s read as 8 (one of the two most frequent mistakes, "
                                                  "with 8s read as 1)")
    assert inside.cell_sentence(counts, 8, 1).endswith("(one of the two most frequent mistakes, with 4s read as 8)")
    assert inside.cell_sentence(counts, 3, 5) == "**1** test 3s read as 5"


def test_a_tie_of_three_names_the_others_and_of_four_counts_them():
    three = mistakes((4, 8), (8, 1), (3, 5))
    assert inside.cell_sentence(three, 8, 1).endswith("(one of the three most frequent mistakes, with 3s read as 5 "
                                                      "and 4s read as 8)")
    four = mistakes((4, 8), (8, 1), (3, 5), (9, 7))
    assert inside.cell_sentence(four, 9, 7) == ("**1** test 9s read as 7 (one of the 4 most frequent mistakes, tied at "
                                                "1 each)")


def test_without_mistakes_no_cell_is_the_most_frequent_mistake():
    counts = mistakes()
    assert inside.most_frequent_mistakes(counts) == []
    assert inside.cell_sentence(counts, 0, 0) == "**1** test 0s read correctly"
    assert inside.cell_sentence(counts, 0, 1) == "**0** test 0s read as 1"


def test_memo_computes_once_per_result_and_forgets_it_with_the_result():
    class Result:
        pass

    result, calls = Result(), []
    assert memo.per_result(result, ("k",), lambda: calls.append(1) or 7) == 7
    assert memo.per_result(result, ("k",), lambda: calls.append(1) or 8) == 7 and calls == [1]
    for k in range(5):
        memo.per_result(result, ("big", k), lambda k=k: k, keep=3)
    assert memo.per_result(result, ("big", 0), lambda: "again") == "again"  # dropped: only 3 kept
    assert memo.per_result(result, ("big", 4), lambda: "again") == 4
    gc.collect()  # other tests' runs that are already unreachable go first
    before = memo.size()[0]
    del result
    gc.collect()
    assert memo.size()[0] == before - 1


def test_wide_arrays_are_cut_to_their_first_units_for_drawing():
    small, title = inside_digit.first_units(np.ones((64, 16)), "W1")
    assert small.shape == (64, 16) and title == "W1 (64 × 16)"
    cut, title = inside_digit.first_units(np.ones((64, 2048)), "dW1")
    assert cut.shape == (64, inside_digit.SHOWN_UNITS) and title == "dW1 (64 × 2048): units 0–127"
    rows, title = inside_digit.first_units(np.ones((300, 10)), "W2", axis=0)
    assert rows.shape == (128, 10) and title == "W2 (300 × 10): units 0–127"


def test_a_run_without_snapshots_shows_its_kept_weights(run, evaluation):
    loaded = dataclasses.replace(run, snapshots={})  # as a run read from a file without its epochs
    assert inside.kept_epochs(loaded) == [run.best_epoch]
    grid = inside.unit_grid(loaded, 0, [0], 0)
    assert grid.epoch == run.best_epoch
    np.testing.assert_allclose(grid.images[0].ravel(), run.model.W1[:, 0])
    assert inside.frame(loaded, evaluation, evaluation.X[0], 0).drift is None


def test_two_pca_directions_hold_under_a_third_of_the_pixels_spread():
    spread = inside.explained_spread(nncore.train(nncore.TrainConfig(epochs=3)))
    assert 0.2 < spread["raw pixels"] < 0.35  # about 29% (seed 0's training digits)
    assert 0 < spread["hidden layer"] < 1



def test_tsne_runs_on_one_thread(monkeypatch):
    """t-SNE runs on one BLAS thread, not on every core of a shared server."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_info

    seen = []
    fit_transform = TSNE.fit_transform

    def recorded(self, X, *args, **kwargs):
        seen.append({info["user_api"]: info["num_threads"] for info in threadpool_info()})
        return fit_transform(self, X, *args, **kwargs)

    monkeypatch.setattr(TSNE, "fit_transform", recorded)
    inside.projection(np.random.default_rng(0).normal(size=(60, 6)), "t-SNE")
    assert seen and set(seen[0]) >= {"openmp", "blas"} and set(seen[0].values()) == {1}, seen
    assert {info["num_threads"] for info in threadpool_info()} != {1} or os.cpu_count() == 1  # given back after


def test_tsne_plan_keeps_every_digit_within_the_budget_else_the_most_that_fit():
    """Both sides of the budget: all 360 digits when they fit, else the largest sample that does."""
    def cost(n, hidden):
        return inside.tsne_seconds(n, 64) + inside.tsne_seconds(n, hidden)

    keep, seconds = inside.tsne_plan(360, 256, cost(360, 256))
    assert keep == 360 and seconds == pytest.approx(cost(360, 256))
    budget = cost(200, 256)
    keep, seconds = inside.tsne_plan(360, 256, budget)
    assert keep == 200 and seconds <= budget < cost(201, 256)
    assert inside.tsne_plan(360, 256, 0.0)[0] == inside.TSNE_MIN_POINTS  # the least it places
    assert cost(360, 2048) > cost(360, 16) > cost(100, 16) > 0


def test_a_subsample_is_seeded_ordered_and_all_rows_when_they_fit():
    assert list(inside.subsample(5, 9)) == [0, 1, 2, 3, 4]
    picked = inside.subsample(360, 100, seed=3)
    assert len(set(picked)) == 100 and list(picked) == sorted(picked)
    assert list(inside.subsample(360, 100, seed=3)) == list(picked) != list(inside.subsample(360, 100, seed=4))


def test_projections_compute_inside_their_turn_once_per_run(run, evaluation):
    """The t-SNE waits its turn in the training queue; the page hands its turn in."""
    turns = []

    @contextlib.contextmanager
    def turn():
        turns.append("in")
        yield

    views = inside.projections(run, evaluation.X, "t-SNE", 0, 60, turn)
    assert turns == ["in"] and views["hidden layer"].shape == (60, 2)
    assert inside.projections(run, evaluation.X, "t-SNE", 0, 60, turn) is views and turns == ["in"]


def test_a_value_being_computed_is_waited_for_not_computed_again():
    """Two sessions opening one run's t-SNE at once paid for it twice."""
    class Result:
        pass

    result, computed, entered, release, values = Result(), [], threading.Event(), threading.Event(), []

    def compute():
        computed.append(1)
        entered.set()
        release.wait(60)
        return "value"

    first = threading.Thread(target=lambda: values.append(memo.per_result(result, ("slow",), compute)))
    first.start()
    assert entered.wait(60)
    second = threading.Thread(target=lambda: values.append(memo.per_result(result, ("slow",), compute)))
    second.start()
    second.join(1.0)  # gives the second ask time to reach its wait (with the old memo: its own compute)
    release.set()
    first.join(60)
    second.join(60)
    assert values == ["value", "value"] and computed == [1]
