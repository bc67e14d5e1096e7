"""Pure figure builders for the views inside a run: plain arrays in, a Plotly figure out.

Weights and gradients are drawn on a diverging scale centred on zero (blue negative, red
positive), so a pale pixel is a number near zero whatever its sign.
"""

import numpy as np
import pandas  # noqa: F401  (before Plotly: see app/figures/__init__.py)
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.figures.run import COLORS, Curve, confusion_heatmap, headline, log_ticks, training_curves

DIVERGING = "RdBu_r"
PITCH = 13  # a tile of the unit grid: 8 pixels and, above them, a BAND for its label (and gaps between tiles)
BAND = 5  # pixel rows: a label of LABEL_SIZE px fits in it down to a phone's width (2 rows overlapped the tiles)
LABEL_SIZE = 12  # px; 10 was hard to read
_MARGIN = dict(l=20, r=20, t=50, b=20)
_DIGITS = [str(d) for d in range(10)]


def _votes(votes, digits):
    return " · ".join(f"{d}: {votes[d]:+.2f}" for d in digits)


def _square(fig):
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return fig


def unit_mosaic(grid, columns=8, title=None, labels=None, width=400, chosen=None):
    """The hidden units of a UnitGrid as 8×8 weight images in a grid, one colour scale for all.

    Each tile is labelled 'unit→digit' (the digit it votes for most); hovering a tile names the
    unit and lists its weight to each digit (its W2 row). The tiles' centres are the points of a
    transparent scatter (trace 1) whose customdata is the unit number: a click selects a unit.
    ``labels`` replace the tiles' labels; ``width``: the plot's expected width in pixels, which
    sets its height (the tiles are square). A single row has no colour bar (no room for one).
    The tile of unit ``chosen`` is outlined.
    """
    k = len(grid.units)
    columns = max(1, min(columns, k))
    rows = -(-k // columns)
    z = np.full((rows * PITCH, columns * PITCH), np.nan)
    xs, ys, names, hovers = [], [], [], []
    for position, (image, votes, unit) in enumerate(zip(grid.images, grid.votes, grid.units, strict=True)):
        r, c = divmod(position, columns)
        z[r * PITCH + BAND:(r + 1) * PITCH, c * PITCH:c * PITCH + 8] = image
        xs.append(c * PITCH + 3.5)
        ys.append(r * PITCH + BAND + 3.5)
        best, worst = int(np.argmax(votes)), int(np.argmin(votes))
        names.append(f"{unit}→{best}")
        hovers.append(f"<b>unit {unit}</b>: its weights to the digits (W2 row)<br>{_votes(votes, range(5))}<br>"
                      f"{_votes(votes, range(5, 10))}<br>votes most for {best}, most against {worst}")
    fig = go.Figure(go.Heatmap(z=z, zmin=-grid.scale, zmid=0, zmax=grid.scale, colorscale=DIVERGING,
                               hoverinfo="skip", showscale=rows > 1,
                               colorbar=dict(title="weight", thickness=12, len=min(1.0, 0.3 * rows))))
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", customdata=[int(u) for u in grid.units], hovertext=hovers,
                             hoverinfo="text", marker=dict(size=30, opacity=0), showlegend=False))
    label_ys = [y - 3.5 - BAND + (BAND - 1) / 2 for y in ys]  # the middle of the band above each tile
    fig.add_trace(go.Scatter(x=xs, y=label_ys, mode="text", text=labels or names, textfont=dict(size=LABEL_SIZE),
                             hoverinfo="skip", showlegend=False))
    if grid.blank is not None and grid.blank.any():  # last: the click handler counts on the points being trace 1
        fig.add_trace(_blank_layer(z, grid.blank, rows, columns))
    fig.update_layout(title=headline(title or f"Hidden units after epoch {grid.epoch}: each unit's input weights "
                                       "(a column of W1)"),
                      height=int(75 + width * rows / columns), margin=_MARGIN, hovermode="closest",
                      hoverdistance=-1, dragmode=False)
    if chosen in list(grid.units):
        r, c = divmod(list(grid.units).index(chosen), columns)
        _outline(fig, c * PITCH + 3.5, r * PITCH + BAND + 3.5, 4.3)
    _square(fig).update_xaxes(range=[-1, columns * PITCH - 1])
    return fig


BLANK_GREY = "#b0b0b0"


def _blank_layer(z, blank, rows, columns):
    """A grey heatmap over the pixels ``blank`` (64,) of every tile of a rows × columns mosaic laid
    out as ``z`` (drawn over the weights: those pixels never learn)."""
    marks = np.full(z.shape, np.nan)
    tile = np.where(blank.reshape(8, 8), 1.0, np.nan)
    for r in range(rows):
        for c in range(columns):
            if not np.all(np.isnan(z[r * PITCH + BAND:(r + 1) * PITCH, c * PITCH:c * PITCH + 8])):
                marks[r * PITCH + BAND:(r + 1) * PITCH, c * PITCH:c * PITCH + 8] = tile
    return go.Heatmap(z=marks, colorscale=[[0, BLANK_GREY], [1, BLANK_GREY]], showscale=False, hoverinfo="skip",
                      name="blank in every training digit")


def unit_detail(image, votes, unit, scale, epoch, blank=None):
    """One hidden unit: its 8×8 input weights, large, beside its weights to the 10 digits; the
    pixels ``blank`` (64,) of bool) in every training digit drawn grey."""
    fig = make_subplots(1, 2, column_widths=[0.45, 0.55], horizontal_spacing=0.12,
                        subplot_titles=("input weights (W1)", "votes (W2 row)"))
    fig.add_trace(go.Heatmap(z=image, zmin=-scale, zmid=0, zmax=scale, colorscale=DIVERGING, showscale=False,
                             hovertemplate="row %{y}, column %{x}: %{z:+.3f}<extra></extra>"), 1, 1)
    if blank is not None and blank.any():
        fig.add_trace(go.Heatmap(z=np.where(blank.reshape(8, 8), 1.0, np.nan), showscale=False,
                                 colorscale=[[0, BLANK_GREY], [1, BLANK_GREY]], name="blank in every training digit",
                                 hovertemplate="row %{y}, column %{x}: blank in every training digit, so this weight "
                                               "never learned<extra></extra>"), 1, 1)
    fig.add_trace(go.Bar(x=_DIGITS, y=votes, marker_color=[COLORS[1] if v > 0 else COLORS[0] for v in votes],
                         hovertemplate="digit %{x}: %{y:+.3f}<extra></extra>", showlegend=False), 1, 2)
    fig.update_layout(title=f"Unit {unit} after epoch {epoch}", height=330, margin=dict(l=20, r=20, t=70, b=30))
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", row=1, col=1)
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_xaxes(type="category", title_text="digit", row=1, col=2)
    return fig


def response_bars(response, unit):
    """Bars of one unit's mean activation on the test digits of each class (10,)."""
    fig = go.Figure(go.Bar(x=_DIGITS, y=response, marker_color=COLORS[2],
                           hovertemplate="true %{x}s: mean activation %{y:.3f}<extra></extra>"))
    fig.update_layout(title=f"What unit {unit} fires for: mean activation per true digit", xaxis_title="test digits",
                      yaxis_title="mean H", height=260, margin=dict(l=50, r=20, t=50, b=40))
    return fig.update_xaxes(type="category")


def curves_until(history, epochs, epoch, metric, span=(0.01, 3.0), color=COLORS[0]):
    """Training curves of one run up to ``epoch``, on axes fixed for the whole run (epochs 1 to
    ``epochs``; the loss's log axis over ``span``, see inside.loss_span), so a replay moves the
    curves and not the axes."""
    fig = training_curves([Curve("replay", history, 0, color)], metric, f"{metric.capitalize()} up to epoch {epoch}")
    fig.update_xaxes(range=[0.5, epochs + 0.5])
    if metric == "accuracy":
        fig.update_yaxes(range=[0, 1.02])
    else:
        ticks, labels = log_ticks(span)
        fig.update_yaxes(range=[np.log10(span[0]), np.log10(span[1])], tickvals=ticks, ticktext=labels)
    return fig.update_layout(height=300)


def _outline(fig, x, y, half, **where):
    """A black square of half-width ``half`` around (x, y): the item a click chose."""
    fig.add_shape(type="rect", x0=x - half, x1=x + half, y0=y - half, y1=y + half, line=dict(color="black", width=3),
                  **where)


CLICK_TRACE = 2  # after confusion_heatmap's two heatmaps


def clickable_confusion(counts, percentages, title="Confusion matrix on the test split", chosen=None):
    """A confusion-matrix heatmap whose cells can be clicked: a transparent scatter (the last trace,
    CLICK_TRACE) has a point at each cell's centre (x: the predicted digit, y: the true one).
    ``chosen`` (true, predicted) is outlined."""
    fig = confusion_heatmap(counts, percentages, title)
    if chosen is not None:
        _outline(fig, chosen[1], chosen[0], 0.5)
    for heatmap in fig.data:  # right answers and mistakes: the scatter above them answers the hover
        heatmap.hoverinfo = "skip"
    true, predicted = np.divmod(np.arange(counts.size), counts.shape[1])
    fig.add_trace(go.Scatter(
        x=[str(p) for p in predicted], y=[str(t) for t in true], mode="markers", showlegend=False,
        marker=dict(size=28, opacity=0, symbol="square"),
        text=[f"{c} digits ({p:.1f}% of the true {t}s)" for c, p, t in
              zip(counts.ravel(), np.asarray(percentages).ravel(), true, strict=True)],
        hovertemplate="true %{y}, predicted %{x}<br>%{text}<br>click to see them<extra></extra>"))
    fig.update_xaxes(range=[-0.5, counts.shape[1] - 0.5], showgrid=False)
    fig.update_yaxes(range=[counts.shape[0] - 0.5, -0.5], autorange=False, showgrid=False)
    return fig.update_layout(hovermode="closest", dragmode=False)


def difference_heatmap(difference, first, second):
    """Heatmap of ``second`` minus ``first``'s confusion counts: red where the second run has more."""
    top = max(1, int(np.abs(difference).max()))
    fig = go.Figure(go.Heatmap(
        z=difference, x=_DIGITS, y=_DIGITS, zmin=-top, zmid=0, zmax=top, colorscale=DIVERGING, showscale=False,
        text=difference, texttemplate="%{text:+d}",
        hovertemplate="true %{y}, predicted %{x}: %{z:+d} digits<extra></extra>"))
    fig.update_layout(title=f"{second} minus {first}", xaxis_title="predicted digit", yaxis_title="true digit",
                      height=430, margin=dict(l=60, r=20, t=50, b=50))
    fig.update_yaxes(autorange="reversed", type="category")
    return fig.update_xaxes(type="category")


def activation_bars(H, highlighted=(), title="Hidden activations H: which units fire"):
    """Bars of one digit's hidden activations (hidden,), by unit number; ``highlighted`` units
    (the top contributors) in red."""
    marked = np.zeros(len(H))
    marked[[int(u) for u in highlighted]] = 1.0
    # 0 or 1 per bar on a two-colour scale: Plotly checks a list of colour names one by one (0.25 s
    # for 2,048 units), numbers at once
    fig = go.Figure(go.Bar(x=np.arange(len(H)), y=H, marker=dict(color=marked, cmin=0, cmax=1,
                                                                 colorscale=[[0, COLORS[0]], [1, COLORS[1]]]),
                           hovertemplate="unit %{x}: H = %{y:.3f}<extra></extra>"))
    fig.update_layout(title=headline(title), xaxis_title="hidden unit", yaxis_title="activation", height=300,
                      margin=dict(l=50, r=20, t=50, b=40), bargap=0.1)
    return fig


def contribution_waterfall(contributions, units, bias, digit):
    """How the logit of ``digit`` is built: its bias b2, then the listed ``units``' contributions
    (H_j × W2[j, digit]), then all other units together, ending at the logit (a waterfall)."""
    shown = [float(contributions[u]) for u in units]
    rest = float(np.sum(contributions)) - sum(shown)
    fig = go.Figure(go.Waterfall(
        orientation="v", measure=["absolute", *["relative"] * (len(units) + 1), "total"],
        x=["bias b2", *[f"unit {u}" for u in units], "other units", f"logit of {digit}"],
        y=[float(bias), *shown, rest, 0.0], textposition="outside",
        text=[f"{v:+.2f}" for v in (float(bias), *shown, rest)] + [f"{float(bias) + float(np.sum(contributions)):.2f}"],
        increasing=dict(marker_color=COLORS[1]), decreasing=dict(marker_color=COLORS[0]),
        totals=dict(marker_color=COLORS[8]), hovertemplate="%{x}: %{y:+.3f}<extra></extra>"))
    fig.update_layout(title=headline(f"What built the logit of {digit}: activation × weight, biggest pushes first"),
                      yaxis_title="contribution to the logit", height=360, margin=dict(l=50, r=20, t=50, b=40),
                      showlegend=False)
    return fig


def logit_bars(logits, title="Logits: one score per digit (before the softmax)"):
    fig = go.Figure(go.Bar(x=_DIGITS, y=logits, marker_color=[COLORS[1] if v > 0 else COLORS[0] for v in logits],
                           text=[f"{v:.1f}" for v in logits], textposition="outside",
                           hovertemplate="digit %{x}: %{y:.3f}<extra></extra>"))
    fig.update_layout(title=headline(title), xaxis_title="digit", yaxis_title="logit", height=300,
                      margin=dict(l=50, r=20, t=50, b=40))
    return fig.update_xaxes(type="category")


def pixel_map(values, title, diverging=True, ink=None, height=330, saturate=1.0):
    """An 8×8 map of 64 values (standardized input, a saliency, a gradient), diverging around 0
    up to the ``saturate`` quantile of |value| (beyond it the colour saturates; hover gives the
    value), or greys for raw pixels; ``ink`` (64 raw pixels) adds the digit's outline."""
    grid = np.asarray(values, dtype=float).reshape(8, 8)
    if diverging:
        top = float(np.quantile(np.abs(grid), saturate)) or float(np.abs(grid).max()) or 1.0
        colours = dict(zmin=-top, zmid=0, zmax=top, colorscale=DIVERGING)
    else:
        colours = dict(zmin=0, zmax=16, colorscale="Greys")
    fig = go.Figure(go.Heatmap(z=grid, showscale=diverging, colorbar=dict(thickness=10, tickformat=".2~g"),
                               hovertemplate="row %{y}, column %{x}: %{z:.3g}<extra></extra>", **colours))
    if ink is not None:
        fig.add_trace(go.Contour(z=np.asarray(ink, dtype=float).reshape(8, 8), showscale=False, hoverinfo="skip",
                                 contours=dict(coloring="none", start=6, end=6), line=dict(color="black", width=2)))
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=50, b=10))
    return _square(fig)


def matrix_heatmap(values, title, x_title="", y_title="", height=300):
    """Any small 2-D array (a weight or gradient matrix, or one row), diverging around 0."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    top = float(np.abs(values).max()) or 1.0
    fig = go.Figure(go.Heatmap(z=values, zmin=-top, zmid=0, zmax=top, colorscale=DIVERGING,
                               colorbar=dict(thickness=10, tickformat=".2~g"),
                               hovertemplate=f"{y_title} %{{y}}, {x_title} %{{x}}: %{{z:.4g}}<extra></extra>"))
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, height=height,
                      margin=dict(l=50, r=10, t=50, b=40))
    return fig.update_yaxes(autorange="reversed")


def class_projection(xy, y, predicted, title, box=None, positions=None):
    """2-D points (n, 2) coloured by true digit, misclassified ones circled in black; hover gives the
    test position, the truth and the prediction; customdata is the position (for clicks): the
    point's row, or ``positions[row]`` when the points are some of the test digits. ``box``
    ((x0, x1), (y0, y1)) limits the view (far outliers would squeeze the rest into a corner)."""
    fig = go.Figure()
    rows = np.arange(len(y))
    named = rows if positions is None else np.asarray(positions)
    for d in range(10):
        mine = rows[y == d]
        fig.add_trace(go.Scatter(x=xy[mine, 0], y=xy[mine, 1], mode="markers", name=str(d), customdata=named[mine],
                                 marker=dict(color=COLORS[d], size=7, opacity=0.8),
                                 text=[f"predicted {predicted[i]}" for i in mine],
                                 hovertemplate=f"test digit #%{{customdata}}: a {d}, %{{text}}<extra></extra>"))
    wrong = rows[y != predicted]
    fig.add_trace(go.Scatter(x=xy[wrong, 0], y=xy[wrong, 1], mode="markers", name="misclassified",
                             customdata=named[wrong],
                             marker=dict(symbol="circle-open", size=14, color="black", line=dict(width=2)),
                             text=[f"a {y[i]} read as {predicted[i]}" for i in wrong],
                             hovertemplate="test digit #%{customdata}: %{text}<extra></extra>"))
    fig.update_layout(title=title, height=460, margin=dict(l=30, r=10, t=50, b=30), legend_title_text="true digit",
                      xaxis_title="component 1", yaxis_title="component 2", dragmode=False)
    if box is not None:
        fig.update_xaxes(range=list(box[0]))
        fig.update_yaxes(range=list(box[1]))
    return fig


def reliability_diagram(calibration, title="Reliability: confidence against accuracy"):
    """Accuracy per confidence bin (bars) against the diagonal of perfect calibration, with the
    number of test digits in each bin below."""
    c = calibration
    centres, width = (c.edges[:-1] + c.edges[1:]) / 2, float(c.edges[1] - c.edges[0])
    fig = make_subplots(2, 1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.06)
    fig.add_trace(go.Bar(x=centres, y=c.accuracy, width=width * 0.95, name="accuracy in the bin",
                         marker_color=COLORS[0], customdata=np.column_stack([c.confidence, c.counts]),
                         hovertemplate="confidence %{customdata[0]:.1%} (mean of %{customdata[1]} digits)<br>"
                                       "accuracy %{y:.1%}<extra></extra>"), 1, 1)
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                             line=dict(color="black", dash="dash")), 1, 1)
    fig.add_trace(go.Scatter(x=c.confidence, y=c.confidence, mode="markers", name="mean confidence in the bin",
                             marker=dict(color=COLORS[1], symbol="line-ew-open", size=18, line=dict(width=3)),
                             hovertemplate="mean confidence %{y:.1%}<extra></extra>"), 1, 1)
    fig.add_trace(go.Bar(x=centres, y=c.counts, width=width * 0.95, name="test digits", marker_color=COLORS[8],
                         text=c.counts, textposition="outside", showlegend=False,
                         hovertemplate="%{y} test digits<extra></extra>"), 2, 1)
    fig.update_layout(title=dict(text=title, y=0.98, yanchor="top", yref="container"), height=510,
                      margin=dict(l=60, r=20, t=100, b=40),  # the legend between the title and the bars
                      legend=dict(orientation="h", x=0, y=1.0, xanchor="left", yanchor="bottom"))
    fig.update_yaxes(title_text="accuracy", tickformat=".0%", range=[0, 1.05], row=1, col=1)
    fig.update_yaxes(title_text="digits", range=[0, 1.35 * max(1, int(c.counts.max()))], row=2, col=1)
    fig.update_xaxes(title_text="confidence (top softmax probability)", tickformat=".0%", range=[0, 1], row=2, col=1)
    return fig
