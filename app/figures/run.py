"""Pure figure builders: plain data in, a Plotly figure out. Nothing here trains or reads state."""

from typing import NamedTuple

import numpy as np
import pandas  # noqa: F401  (before Plotly: see app/figures/__init__.py)
import plotly.graph_objects as go

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
          "#bcbd22")
METRICS = {
    "loss": ("train_loss", "val_loss", "cross-entropy loss (log scale)"),
    "accuracy": ("train_acc", "val_acc", "accuracy"),
}
KEPT = "kept epoch: the highest validation accuracy (on a tie, the later)"
# The legend sits at the bottom of the whole figure (yref "container"), where Plotly reserves the
# rows it needs below the axis title: under the plot in paper units, a phone's extra rows fell off.
LEGEND = dict(orientation="h", yref="container", y=0, yanchor="bottom")
_LAYOUT = dict(margin=dict(l=60, r=20, t=50, b=40), legend=LEGEND, height=360)


def headline(text, longest=40):
    """A chart's title for Plotly. Plotly does not wrap titles, so on a phone a long one ran off the
    chart's right edge: one longer than ``longest`` characters is split at its first ': ' into a
    title and a subtitle under it, and pushes the chart down as far as the two lines need."""
    head, colon, rest = text.partition(": ")
    if len(text) <= longest or not colon:
        return dict(text=text)
    return dict(text=head, subtitle=dict(text=rest), automargin=True, yref="paper", pad=dict(b=24))


def probability_text(p):
    """A probability as a person should read it: '96.3%', but '>99.9%' and '<0.1%' rather than a
    rounded '100.0%' or '0.0%' that would claim certainty."""
    if p > 0.999:
        return ">99.9%"
    if p < 0.001:
        return "<0.1%"
    return f"{p:.1%}"


class Curve(NamedTuple):
    """One run's curves: its name, history (as TrainResult.history), kept epoch (0: none) and colour."""

    name: str
    history: dict
    best_epoch: int
    color: str


def epoch_ticks(epochs):
    """Ticks of an epoch axis: epoch 1, then whole multiples of a round step (1, 2, 5, 10, 20, 25,
    50, 100), about eight in all, none past the last epoch: 1, 5, 10, ... 30 for 30 epochs."""
    step = next((s for s in (1, 2, 5, 10, 20, 25, 50) if epochs / s <= 8), 100)
    return sorted({1, *range(step, epochs + 1, step)})


def log_ticks(values):
    """1-2-5 ticks (values, labels) spanning the positive finite ``values``, for a log axis that reads
    '0.05, 0.1, 0.2, ...' rather than Plotly's bare mantissas."""
    values = np.asarray([v for v in values if np.isfinite(v) and v > 0], dtype=float)
    if not len(values):
        return [], []
    low, high = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
    ticks = [m * 10.0 ** e for e in np.arange(low, high + 1) for m in (1, 2, 5)]
    ticks = [t for t in ticks if values.min() / 2 <= t <= values.max() * 2]
    if len(ticks) > 12:  # a run that blew up spans dozens of decades: one tick a decade, then fewer
        ticks = [t for t in ticks if f"{t:e}".startswith("1")]
        ticks = ticks[::-(-len(ticks) // 8)]
    return [float(t) for t in ticks], [f"{t:g}" for t in ticks]


def training_curves(curves, metric="loss", title=None, beyond=()):
    """Training (dashed) and validation (solid) curves per epoch of one or more runs (Curve).

    Loss is on a log axis, so one run that blew up does not flatten the others, and accuracy on a
    fixed 0-100% axis. Each run's kept epoch is starred on its validation curve. With several runs
    the legend has one entry per run (its validation curve) to stay short. The loss axis spans the
    runs not named in ``beyond`` (runs that diverged): those leave the chart at the top, and the
    page says so, rather than stretching the axis to 1e21 for all."""
    train_key, val_key, label = METRICS[metric]
    several = len(curves) > 1
    fig = go.Figure()
    longest = 1
    for name, history, best_epoch, color in curves:
        epochs = list(range(1, len(history[val_key]) + 1))
        longest = max(longest, len(epochs))
        mode = "lines" if len(epochs) > 1 else "markers"  # a line of one point would not show (live, epoch 1)
        fig.add_trace(go.Scatter(x=epochs, y=history[train_key], name=f"{name} · training" if several else "training",
                                 mode=mode, line=dict(color=color, dash="dash"), legendgroup=name,
                                 showlegend=not several))
        fig.add_trace(go.Scatter(x=epochs, y=history[val_key], name=name if several else "validation", mode=mode,
                                 line=dict(color=color), legendgroup=name))
        if best_epoch:
            fig.add_trace(go.Scatter(
                x=[best_epoch], y=[history[val_key][best_epoch - 1]], mode="markers", legendgroup=name,
                name=f"{name} · kept epoch {best_epoch}" if several else f"kept epoch {best_epoch}",
                showlegend=not several, hovertemplate=f"epoch %{{x}}: %{{y:.4g}}<br>{KEPT}<extra></extra>",
                marker=dict(symbol="star", size=14, color=color, line=dict(color="black", width=1))))
    fig.update_layout(title=title or f"{label.split(' (')[0].capitalize()} per epoch", xaxis_title="epoch",
                      yaxis_title=label, **_LAYOUT)
    fig.update_xaxes(tickvals=epoch_ticks(longest), rangemode="tozero" if longest == 1 else "normal")
    if metric == "accuracy":
        fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    else:
        spanned = [c for c in curves if c.name not in beyond] or curves
        values = [v for c in spanned for key in (train_key, val_key) for v in c.history[key]]
        ticks, labels = log_ticks(values)
        fig.update_yaxes(type="log", tickvals=ticks, ticktext=labels)
        finite = [v for v in values if np.isfinite(v) and v > 0]
        if len(spanned) < len(curves) and finite:  # a fixed range: the ones beyond it do not widen it
            fig.update_yaxes(range=[np.log10(min(finite)) - 0.1, np.log10(max(finite)) + 0.1])
    return fig


def training_health(history, color=COLORS[0], title="Training health per epoch"):
    """The health a run recorded each epoch (TrainResult.history's ``dead_units``, ``grad_W1`` and
    ``grad_W2``): the mean size of the gradient reaching W1 (solid) and W2 (dashed) on a log axis
    on the left, and the share of dead hidden units (dotted, grey) on a 0-100% axis on the right.
    A gradient of exactly 0 (every unit dead), which a log axis cannot draw, is a black triangle at
    the foot of the axis."""
    epochs = np.arange(1, len(history["dead_units"]) + 1)
    mode = "lines" if len(epochs) > 1 else "markers"
    sizes = {name: np.asarray(history[f"grad_{name}"], dtype=float) for name in ("W1", "W2")}
    positive = [v for values in sizes.values() for v in values if v > 0]
    floor = min(positive) / 3 if positive else 1e-3
    fig = go.Figure()
    for name, dash, part in (("W1", None, "input → hidden"), ("W2", "dash", "hidden → output")):
        values = sizes[name]
        fig.add_trace(go.Scatter(x=epochs, y=np.where(values > 0, values, np.nan), name=f"|d{name}| ({part})",
                                 mode=mode, line=dict(color=color, dash=dash),
                                 hovertemplate=f"epoch %{{x}}: mean |d{name}| %{{y:.3g}}<extra></extra>"))
    zero = (sizes["W1"] == 0) | (sizes["W2"] == 0)
    if zero.any():
        fig.add_trace(go.Scatter(x=epochs[zero], y=[floor] * int(zero.sum()), mode="markers",
                                 name="a gradient exactly 0", marker=dict(symbol="triangle-down", size=10,
                                                                          color="black"),
                                 hovertemplate="epoch %{x}: a gradient exactly 0 (no unit passes any)<extra></extra>"))
    fig.add_trace(go.Scatter(x=epochs, y=history["dead_units"], name="dead hidden units (right axis)", mode=mode,
                             yaxis="y2", line=dict(color=COLORS[8], dash="dot"),
                             hovertemplate="epoch %{x}: %{y:.0%} of hidden units dead<extra></extra>"))
    ticks, labels = log_ticks([*positive, floor] if zero.any() else positive)
    fig.update_layout(title=title, xaxis_title="epoch", yaxis=dict(title="gradient size (mean over batches, log)",
                      type="log", tickvals=ticks, ticktext=labels),
                      yaxis2=dict(title="dead hidden units", overlaying="y", side="right", range=[0, 1.02],
                                  tickvals=[0, 0.25, 0.5, 0.75, 1], tickformat=".0%", showgrid=False),
                      **(_LAYOUT | {"margin": dict(l=60, r=60, t=50, b=40)}))
    fig.update_xaxes(tickvals=epoch_ticks(max(1, len(epochs))))
    return fig


def batch_losses(losses, epoch, title=None):
    """The loss of each batch of the epoch in which training diverged, up to the first that was
    not a finite number (drawn as a red cross at the top of the axis), on a log axis."""
    losses = np.asarray(losses, dtype=float)
    finite = np.isfinite(losses)
    batches = np.arange(1, len(losses) + 1)
    fig = go.Figure(go.Scatter(x=batches[finite], y=losses[finite], mode="lines+markers", name="batch loss",
                               line=dict(color=COLORS[1]), hovertemplate="batch %{x}: loss %{y:.4g}<extra></extra>"))
    if not finite.all():
        top = float(losses[finite].max()) if finite.any() else 1.0
        fig.add_trace(go.Scatter(x=batches[~finite], y=[top * 10] * int((~finite).sum()), mode="markers",
                                 name="loss became NaN or infinite", marker=dict(symbol="x", size=14, color="black"),
                                 hovertemplate="batch %{x}: loss not a number<extra></extra>"))
    fig.update_layout(title=title or f"Loss of each batch in epoch {epoch}, where training diverged",
                      xaxis_title=f"batch of epoch {epoch}", yaxis_title="loss (log scale)", **_LAYOUT)
    ticks, labels = log_ticks([*losses[finite], top * 10] if not finite.all() else losses)
    fig.update_yaxes(type="log", tickvals=ticks, ticktext=labels)
    fig.update_xaxes(tickvals=epoch_ticks(len(losses)))
    return fig


RIGHT_BLUES = [[0, "#eff3ff"], [1, "#9ecae1"]]  # the confusion matrix's diagonal: light blues...
RIGHT_TEXT = "#08306b"  # ...under dark navy counts (contrast at least 7:1 on every blue of the scale)


def confusion_heatmap(counts, percentages, title="Confusion matrix on the test split"):
    """Heatmap of a (10, 10) confusion matrix, counts in the cells and row percentages on hover:
    correct answers (the diagonal) in blue, mistakes in red on their own scale, so that a cell
    with a single mistake stands out rather than fading into white."""
    counts = np.asarray(counts)
    labels = [str(d) for d in range(counts.shape[0])]
    diagonal = np.eye(len(labels), dtype=bool)
    mistakes = np.where(diagonal | (counts == 0), np.nan, counts)
    right = np.where(diagonal, counts, np.nan)
    hover = "true %{y}, predicted %{x}<br>%{text} digits (%{customdata:.1f}% of the true %{y}s)<extra></extra>"
    top = max(1.0, float(np.nanmax(mistakes)) if np.isfinite(mistakes).any() else 1.0)
    # zmax as well as zmin: Plotly ignores a zmin given alone and stretches the scale over the diagonal's
    # own range, so 32 right of 35 would look as pale as an empty cell beside 37 of 37. The blues stay light
    # and the counts on them dark navy: Plotly's automatic white-or-black text on a mid blue was hard to read.
    most_right = max(1.0, float(np.diag(counts).max()))
    fig = go.Figure([
        go.Heatmap(z=right, x=labels, y=labels, colorscale=RIGHT_BLUES, zmin=0, zmax=most_right,
                   text=counts, texttemplate="%{text}", textfont=dict(color=RIGHT_TEXT), customdata=percentages,
                   showscale=False, hovertemplate=hover, hoverongaps=False),
        go.Heatmap(z=mistakes, x=labels, y=labels, colorscale=[[0, "#fcbba1"], [1, "#a50f15"]], zmin=0.5,
                   zmax=top, text=counts, texttemplate="%{text}", customdata=percentages, showscale=False,
                   hovertemplate=hover, hoverongaps=False),
    ])
    fig.update_layout(title=title, xaxis_title="predicted digit", yaxis_title="true digit", height=430,
                      margin=dict(l=60, r=20, t=50, b=50), plot_bgcolor="white")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", side="bottom")
    return fig


def per_class_bars(precision, recall, title="Precision and recall per digit"):
    """Grouped bars of precision and recall (arrays of 10) per digit, from 0, each labelled with its value."""
    digits = [str(d) for d in range(len(precision))]
    fig = go.Figure([
        go.Bar(x=digits, y=precision, name="precision", marker_color=COLORS[0], text=[f"{p:.0%}" for p in precision],
               textposition="inside", hovertemplate="digit %{x}: precision %{y:.1%}<extra></extra>"),
        go.Bar(x=digits, y=recall, name="recall", marker_color=COLORS[3], text=[f"{r:.0%}" for r in recall],
               textposition="inside", hovertemplate="digit %{x}: recall %{y:.1%}<extra></extra>"),
    ])
    fig.update_layout(title=title, barmode="group", xaxis_title="digit", uniformtext=dict(minsize=8, mode="hide"),
                      **_LAYOUT)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.0])
    fig.update_xaxes(type="category")
    return fig


def softmax_bars(probs_by_run, colors=None, title="What the network answers (softmax output)"):
    """Bars of the 10 class probabilities, one group per run: {run name: (10,) probabilities};
    ``colors`` {run name: colour} keeps each run's colour."""
    digits = [str(d) for d in range(10)]
    fig = go.Figure()
    for i, (name, probs) in enumerate(probs_by_run.items()):
        probs = np.asarray(probs, dtype=float)
        color = (colors or {}).get(name, COLORS[i % len(COLORS)])
        fig.add_trace(go.Bar(x=digits, y=probs, name=name, marker_color=color,
                             text=[probability_text(p) if p >= 0.05 else "" for p in probs], textposition="outside",
                             hovertemplate=f"{name}<br>digit %{{x}}: %{{y:.2%}}<extra></extra>"))
    fig.update_layout(title=title, barmode="group", xaxis_title="digit", yaxis_title="probability",
                      showlegend=len(probs_by_run) > 1, **_LAYOUT)
    fig.update_yaxes(range=[0, 1.1], tickformat=".0%")
    fig.update_xaxes(type="category")
    return fig


def digit_heatmap(pixels, title="What the network sees (8×8, 0–16)"):
    """An 8×8 sample (64 values in 0..16) as dark ink on light paper, values on hover."""
    grid = np.asarray(pixels, dtype=float).reshape(8, 8)
    fig = go.Figure(go.Heatmap(z=grid, zmin=0, zmax=16, colorscale="Greys", showscale=False,
                               hovertemplate="row %{y}, column %{x}: %{z:.1f}<extra></extra>"))
    fig.update_layout(title=title, height=300, width=300, margin=dict(l=20, r=20, t=50, b=20))
    fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x")
    fig.update_xaxes(visible=False)
    return fig


def class_counts(counts, title="Digits per class"):
    """Bar chart of how many examples each digit has (counts: array of 10)."""
    fig = go.Figure(go.Bar(x=[str(d) for d in range(len(counts))], y=counts, marker_color=COLORS[0],
                           text=counts, textposition="outside", hovertemplate="digit %{x}: %{y}<extra></extra>"))
    fig.update_layout(title=title, xaxis_title="digit", yaxis_title="images", **_LAYOUT)
    fig.update_xaxes(type="category")
    return fig


def digit_picture(pixels, scale=12):
    """An 8×8 sample as a greyscale uint8 picture (dark ink on white), each pixel scale×scale."""
    grid = np.asarray(pixels, dtype=float).reshape(8, 8)
    picture = (255 - np.clip(grid, 0, 16) * (255 / 16)).astype(np.uint8)
    return np.kron(picture, np.ones((scale, scale), dtype=np.uint8))


def digit_montage(pixels, columns=10, scale=8, gap=2):
    """Several 8×8 samples as one picture, ``columns`` to a row with ``gap`` pixels of white
    between them: one image keeps its grid on a phone, where Streamlit stacks columns."""
    tile = 8 * scale + gap
    rows = -(-len(pixels) // columns)
    montage = np.full((rows * tile - gap, columns * tile - gap), 255, dtype=np.uint8)
    for i, sample in enumerate(pixels):
        top, left = (i // columns) * tile, (i % columns) * tile
        montage[top:top + 8 * scale, left:left + 8 * scale] = digit_picture(sample, scale)
    return montage


def peer_curves(ours, theirs, title="Training loss per epoch: ours and scikit-learn's",
                label="cross-entropy loss (+ L2)", percent=False):
    """One curve per epoch of ours and one of scikit-learn's on one chart, for app/widgets/peer.py (two
    lists of floats in): by default the training losses (both with their L2 term)."""
    fig = go.Figure()
    for i, (name, values) in enumerate((("ours (NumPy, from scratch)", ours), ("scikit-learn MLPClassifier", theirs))):
        fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)), y=list(values), name=name,
                                 mode="lines" if len(values) > 1 else "markers", line=dict(color=COLORS[i]),
                                 hovertemplate=f"epoch %{{x}}: %{{y:.4f}}<extra>{name}</extra>"))
    fig.update_layout(title=title, xaxis_title="epoch", yaxis_title=label, height=360,
                      margin=dict(l=50, r=20, t=50, b=40), legend=dict(orientation="h", yanchor="top", y=-0.25))
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return fig
