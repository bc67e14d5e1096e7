"""app.figures: the figure builders, checked on their traces, axes and values."""

import numpy as np

from app import figures

HISTORY = {"train_loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.6, 0.7], "train_acc": [0.5, 0.8, 0.9],
           "val_acc": [0.4, 0.85, 0.8]}


def test_training_curves_of_one_run_have_training_validation_and_best_marker():
    fig = figures.training_curves([("run", HISTORY, 2)], "loss")
    train, val, best = fig.data
    assert list(train.y) == HISTORY["train_loss"] and train.line.dash == "dash"
    assert list(val.y) == HISTORY["val_loss"] and list(val.x) == [1, 2, 3]
    assert list(best.x) == [2] and list(best.y) == [0.6] and "best epoch 2" in best.name
    assert fig.layout.xaxis.title.text == "epoch"


def test_training_curves_of_several_runs_are_named_and_coloured_per_run():
    fig = figures.training_curves([("a", HISTORY, 2), ("b", HISTORY, 0)], "accuracy")
    assert len(fig.data) == 5  # a: train, val, best; b: train, val (no finished epoch, no marker)
    assert {t.line.color for t in fig.data if t.legendgroup == "a" and t.mode == "lines"} != \
           {t.line.color for t in fig.data if t.legendgroup == "b" and t.mode == "lines"}
    assert [t.name for t in fig.data if t.showlegend is not False] == ["a", "b"]  # one legend entry per run
    assert fig.layout.yaxis.tickformat == ".0%"


def test_confusion_heatmap_shows_counts_and_row_percentages_on_hover():
    counts = np.array([[8, 2], [0, 5]])
    percentages = np.array([[80.0, 20.0], [0.0, 100.0]])
    fig = figures.confusion_heatmap(counts, percentages)
    heat = fig.data[0]
    assert np.array_equal(heat.z, counts) and np.array_equal(heat.customdata, percentages)
    assert "%{customdata" in heat.hovertemplate and heat.texttemplate == "%{text}"
    assert fig.layout.yaxis.autorange == "reversed"


def test_per_class_bars_are_precision_and_recall():
    fig = figures.per_class_bars(np.linspace(0.9, 1, 10), np.linspace(1, 0.9, 10))
    assert [t.name for t in fig.data] == ["precision", "recall"] and len(fig.data[0].y) == 10


def test_softmax_bars_one_group_per_run():
    probs = {"a": np.eye(10)[3], "b": np.full(10, 0.1)}
    fig = figures.softmax_bars(probs)
    assert [t.name for t in fig.data] == ["a", "b"]
    assert list(fig.data[0].y) == list(np.eye(10)[3]) and fig.data[0].text[3] == "100%"
    assert fig.layout.showlegend


def test_digit_heatmap_is_8_by_8_in_0_to_16():
    fig = figures.digit_heatmap(np.arange(64) / 4)
    assert np.array(fig.data[0].z).shape == (8, 8) and (fig.data[0].zmin, fig.data[0].zmax) == (0, 16)


def test_digit_picture_is_dark_ink_on_white_and_scaled():
    pixels = np.zeros(64)
    pixels[0] = 16
    picture = figures.digit_picture(pixels, scale=3)
    assert picture.shape == (24, 24) and picture.dtype == np.uint8
    assert picture[0, 0] == 0 and picture[-1, -1] == 255


def test_class_counts_bars():
    fig = figures.class_counts(np.arange(10))
    assert list(fig.data[0].y) == list(range(10))
