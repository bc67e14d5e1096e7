"""Pure figure builders of the sweep page: plain data in, a Plotly figure out. Nothing here trains
or reads state. ``accuracy_charts`` and ``every_run`` take a sweep (nncore.lab.sweep.Sweep), its
finished cells and the settings' labels, and pick and fill the builders above them."""

import numpy as np
import pandas  # noqa: F401  (before Plotly: see app/figures/__init__.py)
import plotly.graph_objects as go

from app.figures.run import COLORS
from nncore.lab import sweep as sweeps

_MARGIN = dict(l=60, r=20, t=50, b=50)
BEST = "#d62728"


def accuracy_heatmap(z, x_values, y_values, x_label, y_label, title, best=None, zrange=None):
    """Accuracies z (len(y_values), len(x_values)) as a heatmap over two settings, each cell's
    value written in it (NaN: not finished, left blank). ``best`` = (column, row) is outlined;
    ``zrange`` = (low, high) fixes the colours, so two heatmaps side by side compare."""
    z = np.asarray(z, dtype=float)
    text = [[f"{v:.1%}" if np.isfinite(v) else "" for v in row] for row in z]
    if zrange is None:
        zrange = (np.nanmin(z), np.nanmax(z)) if np.isfinite(z).any() else (0.0, 1.0)
    low, high = zrange
    fig = go.Figure(go.Heatmap(
        z=z, x=list(x_values), y=list(y_values), text=text, texttemplate="%{text}", colorscale="Viridis",
        zmin=low, zmax=high, colorbar=dict(tickformat=".1%", thickness=12),
        hovertemplate=f"{x_label} %{{x}}, {y_label} %{{y}}<br>%{{z:.2%}}<extra></extra>"))
    if best is not None:
        column, row = best
        fig.add_shape(type="rect", x0=column - 0.5, x1=column + 0.5, y0=row - 0.5, y1=row + 0.5,
                      line=dict(color=BEST, width=4))
        fig.add_annotation(x=column, y=row + 0.5, text="best validation", showarrow=False, yshift=-10,
                           font=dict(color="white", size=11), bgcolor=BEST)
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title=y_label, height=400, margin=_MARGIN)
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    return fig


def accuracy_lines(x_values, x_label, series, title, best=None):
    """Accuracy against one setting: ``series`` maps a name ('validation', 'test') to (means,
    standard deviations or None), one per value in ``x_values``; the deviations are error bars.
    ``best`` (a position in x_values) is starred on the first series."""
    fig = go.Figure()
    for i, (name, (means, stds)) in enumerate(series.items()):
        fig.add_trace(go.Scatter(
            x=list(x_values), y=list(means), name=name, mode="lines+markers", line=dict(color=COLORS[i]),
            error_y=None if stds is None else dict(type="data", array=list(stds), visible=True),
            hovertemplate=f"{x_label} %{{x}}: %{{y:.2%}}<extra>{name}</extra>"))
    if best is not None:
        first = next(iter(series.values()))[0]
        fig.add_trace(go.Scatter(x=[x_values[best]], y=[first[best]], mode="markers", name="best validation",
                                 marker=dict(symbol="star", size=18, color=BEST, line=dict(color="black", width=1)),
                                 hoverinfo="skip"))
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title="accuracy", height=400, margin=_MARGIN,
                      legend=dict(orientation="h", yanchor="top", y=-0.2))
    fig.update_xaxes(type="category")
    fig.update_yaxes(tickformat=".0%")
    return fig


def parallel_coordinates(columns, color, title="Every run of the sweep", formats=None):
    """One line per run across ``columns`` (label -> (values, tick texts or None): with tick texts,
    the values are positions 0..k-1 that those texts name), coloured by ``color`` (label -> values),
    brightest highest. ``formats``: label -> a d3 tick format (".1%" for accuracies)."""
    dimensions = []
    for label, (values, ticks) in columns.items():
        dimension = dict(label=label, values=list(values))
        if formats and label in formats:
            dimension["tickformat"] = formats[label]
        if ticks is not None:
            dimension.update(tickvals=list(range(len(ticks))), ticktext=list(ticks), range=[-0.25, len(ticks) - 0.75])
        dimensions.append(dimension)
    (color_label, color_values), = color.items()
    # On a phone the axes stand 50 px apart: their labels ran into each other and a colour bar at the
    # side took a third of the width. The labels lean, and the bar lies under the axes.
    fig = go.Figure(go.Parcoords(
        dimensions=dimensions, labelangle=-30,
        line=dict(color=list(color_values), colorscale="Viridis", showscale=True,
                  colorbar=dict(title=dict(text=color_label, side="top"), tickformat=".1%", thickness=12,
                                orientation="h", x=0.5, xanchor="center", len=0.8, y=-0.1, yanchor="top"))))
    fig.update_layout(title=title, height=480, margin=dict(l=70, r=70, t=120, b=110))
    return fig


def accuracy_charts(sweep, cells, labels):
    """The accuracy figures of a sweep's finished ``cells``: heatmaps of validation and test accuracy
    over two settings; with the seed as the other axis, a line with the spread over the seeds; over
    one setting, a line. ``labels``: setting name -> its label."""
    texts = lambda axis: [sweeps.value_text(v) for v in axis.values]  # noqa: E731
    if len(sweep.axes) == 2 and "seed" not in sweep.names:
        first, second = sweep.axes
        spot = divmod(sweeps.best(cells).index, len(second.values))  # (column: first axis, row: second axis)
        grids = [sweeps.grid(sweep, cells, metric) for metric in ("val_accuracy", "test_accuracy")]
        values = np.concatenate([g[np.isfinite(g)] for g in grids])
        zrange = (values.min(), values.max()) if len(values) else None
        return [accuracy_heatmap(g, texts(first), texts(second), labels[first.name], labels[second.name], title,
                                 spot, zrange)
                for g, title in zip(grids, ("Validation accuracy", "Test accuracy"), strict=True)]
    if len(sweep.axes) == 2:
        (other,) = [axis for axis in sweep.axes if axis.name != "seed"]
        seeds = len(next(axis for axis in sweep.axes if axis.name == "seed").values)
        points = sweeps.over_seeds(sweep, cells)
        series = {"validation": ([p.val_mean for p in points], [p.val_std for p in points]),
                  "test": ([p.test_mean for p in points], [p.test_std for p in points])}
        x = [sweeps.value_text(dict(p.settings)[other.name]) for p in points]
        return [accuracy_lines(x, labels[other.name], series, f"Accuracy over {seeds} seeds (mean ± standard "
                               "deviation)", points.index(sweeps.best_point(points)))]
    (axis,) = sweep.axes
    series = {"validation": ([c.val_accuracy for c in cells], None), "test": ([c.test_accuracy for c in cells], None)}
    x = [sweeps.value_text(getattr(c.config, axis.name)) for c in cells]
    return [accuracy_lines(x, labels[axis.name], series, "Accuracy", cells.index(sweeps.best(cells)))]


def every_run(sweep, cells, labels):
    """Parallel coordinates of the finished ``cells``: each a line across its swept settings, its
    accuracies and its seconds, coloured by validation accuracy."""
    columns = {labels[axis.name]: ([axis.values.index(getattr(c.config, axis.name)) for c in cells],
                                   [sweeps.value_text(v) for v in axis.values]) for axis in sweep.axes}
    accuracy = {name: np.nan_to_num([getattr(c, key) for c in cells]).tolist()  # no finished epoch: 0
                for name, key in (("validation accuracy", "val_accuracy"), ("test accuracy", "test_accuracy"))}
    columns |= {name: (values, None) for name, values in accuracy.items()}
    columns["seconds"] = ([round(c.seconds, 2) for c in cells], None)
    return parallel_coordinates(columns, {"validation accuracy": accuracy["validation accuracy"]},
                                formats={name: ".1%" for name in accuracy})


def estimate_chart(sweep, seconds, labels):
    """The estimated seconds of each cell (``seconds``, grid order) before the sweep runs: a
    heatmap over two settings, bars over one."""
    texts = [[sweeps.value_text(v) for v in axis.values] for axis in sweep.axes]
    if len(sweep.axes) == 2:
        z = np.reshape(seconds, (len(texts[0]), len(texts[1]))).T  # (second axis, first axis)
        fig = go.Figure(go.Heatmap(
            z=z, x=texts[0], y=texts[1], text=[[f"{v:.2f} s" for v in row] for row in z], texttemplate="%{text}",
            colorscale="Oranges", showscale=False,
            hovertemplate=f"{labels[sweep.names[0]]} %{{x}}, {labels[sweep.names[1]]} %{{y}}: %{{z:.2f}} s"
                          "<extra></extra>"))
        fig.update_yaxes(type="category", title=labels[sweep.names[1]])
    else:
        fig = go.Figure(go.Bar(x=texts[0], y=list(seconds), marker_color=COLORS[3],
                               text=[f"{v:.2f} s" for v in seconds], textposition="outside",
                               hovertemplate="%{x}: %{y:.2f} s<extra></extra>"))
        fig.update_yaxes(title="seconds")
    fig.update_xaxes(type="category", title=labels[sweep.names[0]])
    fig.update_layout(title="Estimated seconds of each run", height=320, margin=_MARGIN)
    return fig
