"""app.figures.inside: the builders of the views inside a run, checked on their traces and values."""

import numpy as np
import pytest

from app.analysis import inside
from app.figures import inside as fig


def grid(k=10):
    rng = np.random.default_rng(0)
    return inside.UnitGrid(rng.normal(size=(k, 8, 8)), rng.normal(size=(k, 10)), np.arange(100, 100 + k), 7, 1.5)


def test_unit_mosaic_tiles_every_unit_on_one_scale_with_gaps():
    g = grid(10)
    figure = fig.unit_mosaic(g, columns=4)
    heat, points, labels = figure.data
    z = np.asarray(heat.z, dtype=float)
    assert z.shape == (3 * fig.PITCH, 4 * fig.PITCH)
    P, B = fig.PITCH, fig.BAND
    np.testing.assert_array_equal(z[B:P, 0:8], g.images[0])
    np.testing.assert_array_equal(z[P + B:2 * P, P:P + 8], g.images[5])  # the sixth unit: row 1, column 1
    assert np.isnan(z[0:B, 0:8]).all() and np.isnan(z[B, 8])  # label band and gap
    assert (heat.zmin, heat.zmid, heat.zmax) == (-1.5, 0, 1.5) and heat.hoverinfo == "skip"
    assert list(points.customdata) == list(range(100, 110))
    best = int(np.argmax(g.votes[2]))
    assert labels.text[2] == f"102→{best}" and f"{g.votes[2][best]:+.2f}" in points.hovertext[2]
    assert "Hidden units after epoch 7" in figure.layout.title.text


# the pages' grids as drawn at 1400 px, and on a 390 px phone (where the colour bar and margins leave the tiles
# about 260 px)
@pytest.mark.parametrize("columns, width", [(8, 400), (10, 900), (8, 260)])
def test_unit_mosaic_labels_sit_in_their_band_above_the_tiles_and_fit_it(columns, width):
    figure = fig.unit_mosaic(grid(2 * columns), columns=columns, width=width)
    heat, _, labels = figure.data
    z = np.asarray(heat.z, dtype=float)
    size = labels.textfont.size
    assert size >= 12  # 10 px was too small to read
    pixel = width / (columns * fig.PITCH)  # screen px per tile pixel (the tiles are square)
    for x, y in zip(labels.x, labels.y, strict=True):
        top = int(np.floor(y - size / 2 / pixel + 0.5))  # the rows the label's text covers
        bottom = int(np.ceil(y + size / 2 / pixel - 0.5))
        assert top >= int(y) // fig.PITCH * fig.PITCH  # not above its own band (into the tile above)
        assert np.isnan(z[max(top, 0):bottom + 1, int(x - 3.5):int(x - 3.5) + 8]).all()  # over no tile pixel
        assert not np.isnan(z[bottom + 1:bottom + 1 + fig.PITCH, int(x - 3.5)]).all()  # and its tile right below


def test_unit_mosaic_outlines_the_chosen_unit_and_takes_labels():
    figure = fig.unit_mosaic(grid(3), columns=3, labels=["a", "b", "c"], chosen=101)
    assert list(figure.data[2].text) == ["a", "b", "c"]
    (shape,) = figure.layout.shapes
    assert shape.x0 < fig.PITCH + 3.5 < shape.x1
    assert not figure.data[0].showscale  # one row: no room for a colour bar


def test_clickable_confusion_has_a_point_per_cell_and_outlines_the_chosen_one():
    counts = np.arange(100).reshape(10, 10)
    figure = fig.clickable_confusion(counts, counts / 10, chosen=(8, 1))
    right, wrong, cells = figure.data
    assert figure.data[fig.CLICK_TRACE] is cells
    assert len(cells.x) == 100 and (cells.y[81], cells.x[81]) == ("8", "1")
    assert "81 digits" in cells.text[81] and right.hoverinfo == wrong.hoverinfo == "skip"
    (shape,) = figure.layout.shapes
    assert (shape.x0, shape.x1, shape.y0, shape.y1) == (0.5, 1.5, 7.5, 8.5)


def test_difference_heatmap_is_centred_on_zero():
    difference = np.zeros((10, 10), dtype=int)
    difference[3, 5] = -4
    heat = fig.difference_heatmap(difference, "a", "b").data[0]
    assert heat.zmid == 0 and heat.zmin == -4 and heat.zmax == 4


def test_contribution_waterfall_ends_at_the_logit():
    contributions = np.array([0.5, -1.0, 2.0, 0.25])
    figure = fig.contribution_waterfall(contributions, [2, 1], bias=0.1, digit=3)
    bars = figure.data[0]
    assert list(bars.x) == ["bias b2", "unit 2", "unit 1", "other units", "logit of 3"]
    assert list(bars.y[:4]) == [0.1, 2.0, -1.0, 0.75] and bars.measure[-1] == "total"
    assert bars.text[-1] == "1.85"


def test_pixel_map_saturates_at_a_quantile_and_draws_the_ink():
    values = np.zeros(64)
    values[:4] = [100.0, -1.0, 0.5, 0.25]
    figure = fig.pixel_map(values, "saliency", ink=np.full(64, 8.0), saturate=0.95)
    heat, outline = figure.data
    assert heat.zmax == pytest.approx(np.quantile(np.abs(values), 0.95)) and heat.zmid == 0
    assert outline.type == "contour"
    raw = fig.pixel_map(np.full(64, 16.0), "raw", diverging=False).data[0]
    assert (raw.zmin, raw.zmax, raw.colorscale[0][1]) == (0, 16, "rgb(255,255,255)")


def test_class_projection_colours_by_digit_and_rings_mistakes():
    y = np.repeat(np.arange(10), 3)
    predicted = y.copy()
    predicted[4] = 7
    xy = np.random.default_rng(0).normal(size=(30, 2))
    figure = fig.class_projection(xy, y, predicted, "PCA", box=((-1, 1), (-2, 2)))
    assert len(figure.data) == 11 and list(figure.data[1].customdata) == [3, 4, 5]
    assert list(figure.data[10].customdata) == [4] and "a 1 read as 7" in figure.data[10].text[0]
    assert tuple(figure.layout.xaxis.range) == (-1, 1)


def test_reliability_diagram_draws_accuracy_against_the_diagonal_with_counts():
    c = inside.calibration(np.array([[0.9, 0.1], [0.6, 0.4], [0.95, 0.05]]), np.array([0, 1, 0]))
    figure = fig.reliability_diagram(c)
    accuracy, diagonal, _, counts = figure.data
    np.testing.assert_array_equal(accuracy.y, c.accuracy)
    assert list(diagonal.x) == [0, 1] and list(counts.y) == list(c.counts)


def test_curves_until_keep_the_run_s_axes():
    history = inside.history_until({"train_loss": [2.0, 1.0], "val_loss": [2.1, 1.2], "train_acc": [0.5, 0.8],
                                    "val_acc": [0.4, 0.7]}, 1)
    figure = fig.curves_until(history, 30, 1, "loss", (0.1, 10.0))
    assert tuple(figure.layout.xaxis.range) == (0.5, 30.5) and tuple(figure.layout.yaxis.range) == (-1, 1)
    assert figure.layout.yaxis.type == "log" and list(figure.data[1].y) == [2.1]


def test_a_replays_loss_axis_spans_the_whole_run():
    low, high = inside.loss_span({"train_loss": [2.0, 0.01], "val_loss": [2.2, 0.3]})
    assert low < 0.01 and high > 2.2


def test_small_builders_draw_their_values():
    assert list(fig.logit_bars(np.arange(10.0) - 5).data[0].y) == list(np.arange(10.0) - 5)
    bars = fig.activation_bars(np.array([0.0, 2.0, 1.0]), highlighted=[1]).data[0]
    assert list(bars.marker.color) == [0, 1, 0] and (bars.marker.cmin, bars.marker.cmax) == (0, 1)
    assert [stop[1] for stop in bars.marker.colorscale] == [fig.COLORS[0], fig.COLORS[1]]
    assert np.asarray(fig.matrix_heatmap(np.ones((3, 2)), "W").data[0].z).shape == (3, 2)
    assert len(fig.response_bars(np.arange(10.0), 4).data[0].y) == 10
    detail = fig.unit_detail(np.ones((8, 8)), np.arange(10.0), 4, 1.0, 3)
    assert detail.layout.title.text == "Unit 4 after epoch 3" and len(detail.data) == 2


def test_unit_images_grey_out_the_pixels_blank_in_every_training_digit_and_say_which():
    blank = np.zeros(64, dtype=bool)
    blank[[0, 24]] = True
    units = grid(3)
    marked = fig.unit_mosaic(inside.UnitGrid(units.images, units.votes, units.units, units.epoch, units.scale, blank),
                             columns=3)
    layer = np.array(marked.data[-1].z, dtype=float)
    assert marked.data[1].customdata is not None  # the clickable points stay trace 1
    assert np.count_nonzero(~np.isnan(layer)) == 2 * 3 and layer[fig.BAND, 0] == 1 and np.isnan(layer[fig.BAND, 1])
    assert len(fig.unit_mosaic(units, columns=3).data) == len(marked.data) - 1
    detail = fig.unit_detail(units.images[0], units.votes[0], 5, 1.0, 3, blank)
    assert np.count_nonzero(~np.isnan(np.array(detail.data[1].z, dtype=float))) == 2
    assert inside.blank_text(blank).startswith("Grey: pixels 0, 24 (row × 8 + column)")
    assert "keep their random start" in inside.blank_text(blank) and "L2" in inside.blank_text(blank, 0.01)
    assert inside.blank_text(np.zeros(64, dtype=bool)) == ""
