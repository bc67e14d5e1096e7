"""Pure figure builders: plain data in, a Plotly figure out. Nothing here trains or reads state."""

import numpy as np
import plotly.graph_objects as go

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
          "#bcbd22")
METRICS = {
    "loss": ("train_loss", "val_loss", "cross-entropy loss"),
    "accuracy": ("train_acc", "val_acc", "accuracy"),
}
_LAYOUT = dict(margin=dict(l=50, r=20, t=50, b=40), legend=dict(orientation="h", yanchor="top", y=-0.28), height=360)


def training_curves(runs, metric="loss", title=None):
    """Training (dashed) and validation (solid) curves per epoch of one or more runs.

    runs: list of (name, history, best_epoch), history as in nncore.TrainResult.history.
    The best validation epoch of each run is marked with a star on its validation curve. With
    several runs the legend has one entry per run (its validation curve) to stay short.
    """
    train_key, val_key, label = METRICS[metric]
    several = len(runs) > 1
    fig = go.Figure()
    for i, (name, history, best_epoch) in enumerate(runs):
        color = COLORS[i % len(COLORS)]
        epochs = list(range(1, len(history[val_key]) + 1))
        mode = "lines" if len(epochs) > 1 else "markers"  # a line of one point would not show (live, epoch 1)
        fig.add_trace(go.Scatter(x=epochs, y=history[train_key], name=f"{name} · training" if several else "training",
                                 mode=mode, line=dict(color=color, dash="dash"), legendgroup=name,
                                 showlegend=not several))
        fig.add_trace(go.Scatter(x=epochs, y=history[val_key], name=name if several else "validation", mode=mode,
                                 line=dict(color=color), legendgroup=name))
        if best_epoch:
            fig.add_trace(go.Scatter(
                x=[best_epoch], y=[history[val_key][best_epoch - 1]], mode="markers", legendgroup=name,
                name=f"{name} · best epoch {best_epoch}" if several else f"best epoch {best_epoch}",
                showlegend=not several,
                marker=dict(symbol="star", size=14, color=color, line=dict(color="black", width=1))))
    fig.update_layout(title=title or f"{label.capitalize()} per epoch", xaxis_title="epoch", yaxis_title=label,
                      **_LAYOUT)
    if metric == "accuracy":
        fig.update_yaxes(tickformat=".0%")
    return fig


def confusion_heatmap(counts, percentages, title="Confusion matrix on the test split"):
    """Heatmap of a (10, 10) confusion matrix: counts in the cells, row percentages on hover."""
    labels = [str(d) for d in range(counts.shape[0])]
    fig = go.Figure(go.Heatmap(
        z=counts, x=labels, y=labels, colorscale="Blues", text=counts, texttemplate="%{text}",
        customdata=percentages, showscale=False,
        hovertemplate="true %{y}, predicted %{x}<br>%{z} digits (%{customdata:.1f}% of the true %{y}s)"
                      "<extra></extra>"))
    fig.update_layout(title=title, xaxis_title="predicted digit", yaxis_title="true digit", height=430,
                      margin=dict(l=60, r=20, t=50, b=50))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", side="bottom")
    return fig


def per_class_bars(precision, recall, title="Precision and recall per digit"):
    """Grouped bars of precision and recall (arrays of 10) per digit."""
    digits = [str(d) for d in range(len(precision))]
    fig = go.Figure([
        go.Bar(x=digits, y=precision, name="precision", marker_color=COLORS[0],
               hovertemplate="digit %{x}: precision %{y:.1%}<extra></extra>"),
        go.Bar(x=digits, y=recall, name="recall", marker_color=COLORS[3],
               hovertemplate="digit %{x}: recall %{y:.1%}<extra></extra>"),
    ])
    low = float(min(np.min(precision), np.min(recall)))
    fig.update_layout(title=title, barmode="group", xaxis_title="digit", **_LAYOUT)
    fig.update_yaxes(tickformat=".0%", range=[max(0.0, low - 0.05), 1.0])
    fig.update_xaxes(type="category")
    return fig


def softmax_bars(probs_by_run, title="What the network answers (softmax output)"):
    """Bars of the 10 class probabilities, one group per run: {run name: (10,) probabilities}."""
    digits = [str(d) for d in range(10)]
    fig = go.Figure()
    for i, (name, probs) in enumerate(probs_by_run.items()):
        probs = np.asarray(probs, dtype=float)
        fig.add_trace(go.Bar(x=digits, y=probs, name=name, marker_color=COLORS[i % len(COLORS)],
                             text=[f"{p:.0%}" if p >= 0.05 else "" for p in probs], textposition="outside",
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
    fig.update_layout(title=title, height=330, width=330, margin=dict(l=20, r=20, t=50, b=20))
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
