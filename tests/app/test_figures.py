"""app.figures: the figure builders, checked on their traces, axes and values."""

import pathlib
import subprocess
import sys

import numpy as np

from app.figures import run as figures

ROOT = pathlib.Path(__file__).resolve().parents[2]

HISTORY = {"train_loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.6, 0.7], "train_acc": [0.5, 0.8, 0.9],
           "val_acc": [0.4, 0.85, 0.8]}


def curve(name="run", history=HISTORY, best=2, color="#123456"):
    return figures.Curve(name, history, best, color)


def test_training_curves_of_one_run_have_training_validation_and_the_kept_epoch_explained():
    fig = figures.training_curves([curve()], "loss")
    train, val, best = fig.data
    assert list(train.y) == HISTORY["train_loss"] and train.line.dash == "dash"
    assert list(val.y) == HISTORY["val_loss"] and list(val.x) == [1, 2, 3]
    assert list(best.x) == [2] and list(best.y) == [0.6] and "kept epoch 2" in best.name
    assert "highest validation accuracy" in best.hovertemplate
    assert fig.layout.xaxis.title.text == "epoch"


def test_the_loss_axis_is_logarithmic_so_a_blown_up_run_does_not_flatten_the_others():
    exploded = dict(HISTORY, train_loss=[1.0, 1e30, 1e34], val_loss=[1.0, 1e31, 1.5e34])
    fig = figures.training_curves([curve(), curve("b", exploded, 1)], "loss")
    assert fig.layout.yaxis.type == "log"


def test_the_accuracy_axis_always_runs_from_0_to_100_percent():
    fig = figures.training_curves([curve(best=0, history={k: [] for k in HISTORY})], "accuracy")
    assert fig.layout.yaxis.tickformat == ".0%" and tuple(fig.layout.yaxis.range) == (0, 1.02)


def test_epoch_ticks_are_whole_epochs_from_the_first_to_the_last():
    fig = figures.training_curves([curve()], "loss")
    assert list(fig.layout.xaxis.tickvals) == figures.epoch_ticks(len(curve().history["val_loss"]))
    assert figures.epoch_ticks(3) == [1, 2, 3]
    assert figures.epoch_ticks(30) == [1, 5, 10, 15, 20, 25, 30]
    assert figures.epoch_ticks(500) == [1, 100, 200, 300, 400, 500]


def test_training_curves_of_several_runs_keep_each_runs_own_colour():
    fig = figures.training_curves([curve("a", color="#aa0000"), curve("b", best=0, color="#00bb00")], "accuracy")
    assert len(fig.data) == 5  # a: train, val, kept; b: train, val (no kept epoch, no marker)
    assert {t.line.color for t in fig.data if t.legendgroup == "a" and t.mode == "lines"} == {"#aa0000"}
    assert {t.line.color for t in fig.data if t.legendgroup == "b" and t.mode == "lines"} == {"#00bb00"}
    assert [t.name for t in fig.data if t.showlegend is not False] == ["a", "b"]  # one legend entry per run


def test_batch_losses_mark_the_step_that_blew_up():
    fig = figures.batch_losses([2.3, 40.0, 9e30, float("inf")], epoch=1)
    finite, blown = fig.data
    assert list(finite.y) == [2.3, 40.0, 9e30] and list(blown.x) == [4]
    assert fig.layout.yaxis.type == "log"


def test_confusion_heatmap_draws_mistakes_on_their_own_scale():
    counts = np.array([[8, 1, 0], [0, 5, 2], [0, 0, 9]])
    percentages = 100 * counts / counts.sum(axis=1, keepdims=True)
    fig = figures.confusion_heatmap(counts, percentages)
    right, wrong = fig.data
    assert np.array_equal(np.diag(right.z), [8, 5, 9]) and np.isnan(np.array(right.z, float)[0, 1])
    z = np.array(wrong.z, float)
    assert z[0, 1] == 1 and z[1, 2] == 2 and np.isnan(z[0, 0]) and np.isnan(z[0, 2])  # only mistakes
    assert wrong.zmin == 0.5 and wrong.colorscale[0][1] != "rgb(255,255,255)"  # one mistake is coloured, not white
    assert "%{customdata" in wrong.hovertemplate and np.array_equal(wrong.text, counts)
    assert fig.layout.yaxis.autorange == "reversed"


def test_confusion_heatmap_shades_right_answers_from_zero_not_from_the_weakest_digit():
    counts = np.diag([37, 32, 36])
    fig = figures.confusion_heatmap(counts, 100 * np.eye(3))
    right = fig.data[0]
    # Plotly honours zmin only with zmax: without it 32 of 32 right would be drawn as white as nothing
    assert right.zmin == 0 and right.zmax == 37


def contrast(first, second):
    """WCAG's contrast ratio of two '#rrggbb' colours: 1 (the same) to 21 (black on white)."""
    def luminance(colour):
        channels = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
        linear = np.where(channels <= 0.03928, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
        return float(linear @ [0.2126, 0.7152, 0.0722])
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_is_wcag_s_ratio():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0 and contrast("#4292c6", "#4292c6") == 1.0
    # the diagonal's old mid blue: Plotly's automatic white text on it is under WCAG's 4.5, black just over it
    assert contrast("#ffffff", "#4292c6") < 4.5 < contrast("#000000", "#4292c6")


def test_confusion_heatmap_writes_the_right_answers_in_a_colour_readable_on_every_blue():
    counts = np.diag([37, 0, 18])
    right = figures.confusion_heatmap(counts, 100 * np.eye(3)).data[0]
    assert right.textfont.color is not None  # not Plotly's white-or-black guess
    blues = [colour for _, colour in right.colorscale]
    assert len(blues) == 2  # the ends: a blend of two colours lies between their luminances
    assert all(contrast(right.textfont.color, blue) >= 7 for blue in blues)  # WCAG AAA, for small numbers


def test_per_class_bars_are_precision_and_recall_from_zero_with_their_values():
    fig = figures.per_class_bars(np.linspace(0.9, 1, 10), np.linspace(1, 0.875, 10))
    assert [t.name for t in fig.data] == ["precision", "recall"] and len(fig.data[0].y) == 10
    assert tuple(fig.layout.yaxis.range) == (0, 1.0) and fig.data[1].text[-1] == "88%"


def test_softmax_bars_one_group_per_run():
    probs = {"a": np.eye(10)[3], "b": np.full(10, 0.1)}
    fig = figures.softmax_bars(probs)
    assert [t.name for t in fig.data] == ["a", "b"]
    assert list(fig.data[0].y) == list(np.eye(10)[3]) and fig.data[0].text[3] == ">99.9%"
    assert fig.layout.showlegend


def test_softmax_bars_say_what_the_probe_headline_says():
    """The headline said 99.9% while its bar said 100%: both read the same text, on both sides of 99.9%."""
    probs = np.array([0.9995, 0.0005] + [0.0] * 8), np.array([0.999, 0.001] + [0.0] * 8)
    for p in probs:
        assert figures.softmax_bars({"a": p}).data[0].text[0] == figures.probability_text(p[0])
    assert [figures.probability_text(p[0]) for p in probs] == [">99.9%", "99.9%"]
    assert figures.softmax_bars({"a": np.array([0.049, 0.05] + [0.901] + [0.0] * 7)}).data[0].text[:2] == ("", "5.0%")


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


def test_a_montage_keeps_its_grid_of_digits_with_white_between_them():
    samples = np.zeros((13, 64))
    samples[12, 0] = 16  # the 13th digit's first pixel is full ink
    montage = figures.digit_montage(samples, columns=5, scale=2, gap=1)
    assert montage.shape == (3 * 17 - 1, 5 * 17 - 1)  # 3 rows of 16-pixel digits, 1 pixel between
    assert montage[2 * 17, 2 * 17] == 0 and montage[2 * 17 + 1, 2 * 17 + 1] == 0, "digit 13: row 3, column 3"
    assert (montage[:, 16] == 255).all(), "white between the columns"


def test_training_health_draws_both_gradient_sizes_on_a_log_axis_and_dead_units_on_a_share_axis():
    history = {"dead_units": [0.0, 0.25, 0.5], "grad_W1": [1.0, 0.5, 0.2], "grad_W2": [2.0, 1.0, 0.4]}
    fig = figures.training_health(history)
    w1, w2, dead = fig.data
    assert list(w1.y) == [1.0, 0.5, 0.2] and list(w2.y) == [2.0, 1.0, 0.4] and list(dead.y) == [0.0, 0.25, 0.5]
    assert tuple(fig.layout.yaxis2.tickvals) == (0, 0.25, 0.5, 0.75, 1)
    assert list(w1.x) == [1, 2, 3] and dead.yaxis == "y2" and w1.yaxis in (None, "y")
    assert fig.layout.yaxis.type == "log" and tuple(fig.layout.yaxis2.range) == (0, 1.02)
    assert fig.layout.yaxis2.tickformat == ".0%"
    single = figures.training_health({"dead_units": [0.1], "grad_W1": [1.0], "grad_W2": [1.0]})
    assert {trace.mode for trace in single.data} == {"markers"}


def test_training_health_marks_a_gradient_of_exactly_0_at_the_foot_of_its_log_axis():
    history = {"dead_units": [0.5, 1.0, 1.0], "grad_W1": [0.3, 0.0, 0.0], "grad_W2": [0.6, 0.1, 0.0]}
    w1, w2, zero, dead = figures.training_health(history).data
    assert np.isnan(w1.y[1]) and list(w2.y[:2]) == [0.6, 0.1] and np.isnan(w2.y[2])
    assert list(zero.x) == [2, 3] and list(zero.y) == [0.1 / 3] * 2 and dead.yaxis == "y2"
    assert len(figures.training_health({"dead_units": [0], "grad_W1": [1.0], "grad_W2": [1.0]}).data) == 3


def test_a_title_longer_than_a_phone_allows_is_split_into_a_title_and_a_subtitle():
    """Plotly does not wrap titles: a long one ran off a phone's screen. Split at its first ': '."""
    exactly = "A" * 30 + ": " + "b" * 8  # 40 characters: kept on one line
    assert figures.headline(exactly) == {"text": exactly}
    longer = exactly + "c"  # 41
    split = figures.headline(longer)
    assert (split["text"], split["subtitle"]["text"]) == ("A" * 30, "b" * 8 + "c") and split["automargin"]
    assert figures.headline("x" * 80) == {"text": "x" * 80}  # nowhere to split: kept whole
    assert figures.headline("Logits: one score per digit: before the softmax")["subtitle"]["text"] == \
        "one score per digit: before the softmax"  # split at the first ': ' only


def test_the_chart_beside_scikit_learn_has_both_curves_per_epoch():
    fig = figures.peer_curves([1.0, 0.5, 0.25], [1.1, 0.6, 0.3])
    assert [list(trace.x) for trace in fig.data] == [[1, 2, 3], [1, 2, 3]]
    assert list(fig.data[1].y) == [1.1, 0.6, 0.3]


# Another session's thread is importing pandas, held for a moment inside pandas' own imports (where
# pandas.Series does not exist yet); this thread then draws a chart and serializes it as
# st.plotly_chart does. Plotly asks sys.modules whether a value is a pandas Series.
_WHILE_PANDAS_IS_HALF_IMPORTED = """
import sys, threading, time
import plotly.io

halfway = threading.Event()

class Hold:
    def find_spec(self, name, path=None, target=None):
        if name.startswith("pandas.") and not halfway.is_set():
            halfway.set()
            time.sleep(1.0)
        return None

sys.meta_path.insert(0, Hold())
other = threading.Thread(target=__import__, args=("pandas",))
other.start()
halfway.wait()
from app.figures import run as figures
curve = figures.Curve("run", {"train_loss": [1.0, 0.5], "val_loss": [1.1, 0.6], "train_acc": [0.5, 0.8],
                               "val_acc": [0.4, 0.85]}, 2, figures.COLORS[0])
plotly.io.to_json(figures.training_curves([curve], "loss"))
other.join()
print("drawn")
"""


def test_a_chart_drawn_while_another_session_imports_pandas_waits_for_pandas_instead_of_failing():
    done = subprocess.run([sys.executable, "-c", _WHILE_PANDAS_IS_HALF_IMPORTED], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.stdout == "drawn\n", done.stderr[:2000]
