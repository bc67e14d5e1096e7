"""The figure of docs/how-it-learns.md: the same network trained on raw 0..16 pixels and on
standardized ones.

    python scripts/standardization_figure.py     # about ten seconds

Writes docs/standardization.svg (validation loss and accuracy per epoch, and the best validation
accuracy against the learning rate) and the tables between this script's markers in
docs/how-it-learns.md, and prints them.

The runs are nncore.train's own: the raw-pixel runs set ``scaling="none"`` (the network sees the
0..16 pixels as they are), the standardized ones keep the default ``scaling="standardize"``. What
the tables add to a run's history is read from it: its initial weights (snapshot 0), its
standardizer, and its ``history["dead_units"]``.
"""

import math
import sys
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nncore  # noqa: E402
from nncore import TrainConfig, data  # noqa: E402

FIGURE = ROOT / "docs" / "standardization.svg"
DOC = ROOT / "docs" / "how-it-learns.md"
BEGIN = "<!-- begin: scripts/standardization_figure.py (replaced on every run) -->"
END = "<!-- end: scripts/standardization_figure.py -->"

# The curves: (standardized?, learning rate, colour, dash) -- the default run, raw pixels at the
# same step, at a tenth of it, and at three times it.
CURVES = [(True, 0.1, "#1f77b4", ""), (False, 0.1, "#d62728", ""), (False, 0.01, "#d62728", "6 4"),
          (False, 0.3, "#d62728", "2 3")]
SWEEP_LRS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
SWEEP_SEEDS = (0, 1, 2)
LR_TICKS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3)


@dataclass
class Run:
    """One training run: its settings, its history (as TrainResult.history, one value per finished
    epoch), the validation (loss, accuracy) of its initial weights, the spread (standard deviation)
    of Z1 over the training rows at the initial weights, the mean squared length |x|^2 of a
    training row as the network sees it, and the share of hidden units dead in its last epoch
    (``history["dead_units"]``: for ReLU, units that output 0 for every validation digit)."""

    config: TrainConfig
    history: dict
    start: tuple
    start_z1_std: float
    row_norm2: float
    dead_units: float

    @property
    def standardized(self):
        return self.config.scaling == "standardize"

    @property
    def label(self):
        return f"{'standardized' if self.standardized else 'raw 0-16'}, lr {self.config.lr:g}"

    @property
    def best_epoch(self):
        """The epoch (from 1) of the highest validation accuracy; on a tie the later, as nncore.train."""
        accuracies = self.history["val_acc"]
        return len(accuracies) - int(np.argmax(accuracies[::-1]))


def train_run(config=None):
    """Train ``config`` (default settings if None) with nncore.train; returns its Run."""
    config = TrainConfig() if config is None else config
    result = nncore.train(config)
    X_all, y_all = data.digits()
    parts = data.split(config.seed, config.val_share)
    initial, _ = result.ensemble_at(0)
    X_val = result.standardizer(X_all[parts.val])
    X_train = result.standardizer(X_all[data.training_indices(config.seed, config.val_share, config.train_share)])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        start = initial.evaluate(X_val, y_all[parts.val])
        initial[0].forward(X_train)
    start_z1_std = float(initial[0].trace["Z1"].std())
    row_norm2 = float(np.mean(np.sum(X_train ** 2, axis=1)))
    dead = result.history["dead_units"][-1] if result.history["dead_units"] else float("nan")
    return Run(config, result.history, start, start_z1_std, row_norm2, dead)


def scaled(standardized, **settings):
    """The TrainConfig of ``settings`` on standardized pixels or on raw ones."""
    return TrainConfig(scaling="standardize" if standardized else "none", **settings)


def curves(epochs=30):
    """The runs of CURVES, default settings otherwise."""
    return [train_run(scaled(standardized, epochs=epochs, lr=lr)) for standardized, lr, _, _ in CURVES]


def sweep(lrs=SWEEP_LRS, seeds=SWEEP_SEEDS, epochs=30):
    """{standardized: [best validation accuracy at each lr, the mean over ``seeds``]}; a run that
    diverges in its first epoch counts as 0."""
    result = {}
    for standardized in (True, False):
        result[standardized] = []
        for lr in lrs:
            runs = [train_run(scaled(standardized, epochs=epochs, lr=lr, seed=seed)) for seed in seeds]
            result[standardized].append(float(np.mean([max(run.history["val_acc"], default=0.0) for run in runs])))
    return result


def curve_table(runs):
    """The Markdown table of the curves' runs: the initial state, the validation accuracy, dead units."""
    rows = ["| pixels, learning rate | mean ‖x‖² of a row | spread of Z1 before training "
            "| loss before training | validation accuracy: final | best (epoch) | hidden units dead at the end |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for run in runs:
        final, best = run.history["val_acc"][-1], run.history["val_acc"][run.best_epoch - 1]
        rows.append(f"| {run.label} | {run.row_norm2:.0f} | {run.start_z1_std:.2f} | {run.start[0]:.2f} "
                    f"| {final:.3f} | {best:.3f} ({run.best_epoch}) | {run.dead_units:.0%} |")
    return "\n".join(rows)


def sweep_table(sweep_result, lrs=SWEEP_LRS, seeds=SWEEP_SEEDS, epochs=30):
    """The Markdown table of the sweep: best validation accuracy per learning rate."""
    rows = [f"Best validation accuracy within {epochs} epochs, the mean of seeds "
            f"{', '.join(str(s) for s in seeds)}:", "",
            "| learning rate | " + " | ".join(f"{lr:g}" for lr in lrs) + " |",
            "| --- |" + " --- |" * len(lrs)]
    for standardized, name in ((True, "standardized"), (False, "raw 0-16")):
        rows.append(f"| {name} | " + " | ".join(f"{a:.3f}" for a in sweep_result[standardized]) + " |")
    return "\n".join(rows)


def _panel(parts, box, title, x_label, y_label, x_range, y_range, x_ticks, y_ticks, log_x=False, log_y=False):
    """Frame, title, ticks and labels of one panel; returns its (x, y) -> pixel function."""
    left, top, right, bottom = box

    def scale(value, low, high, log):
        return (math.log(value / low) / math.log(high / low)) if log else (value - low) / (high - low)

    def at(x, y):
        return (left + scale(x, *x_range, log_x) * (right - left), bottom - scale(y, *y_range, log_y) * (bottom - top))

    parts.append(f'<text x="{(left + right) / 2:.1f}" y="{top - 12}" text-anchor="middle" font-weight="bold">'
                 f'{escape(title)}</text>')
    for tick in y_ticks:
        _, y = at(x_range[0], tick)
        parts.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>')
    for tick in x_ticks:
        x, _ = at(tick, y_range[0])
        parts.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{tick:g}</text>')
    parts.append(f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" '
                 'stroke="#999"/>')
    parts.append(f'<text x="{(left + right) / 2:.1f}" y="{bottom + 34}" text-anchor="middle">{escape(x_label)}</text>')
    parts.append(f'<text transform="translate({left - 42},{(top + bottom) / 2:.1f}) rotate(-90)" '
                 f'text-anchor="middle">{escape(y_label)}</text>')
    return at


def _line(parts, at, xs, ys, colour, dash="", marker=False):
    points = " ".join(f"{px:.1f},{py:.1f}" for px, py in (at(x, y) for x, y in zip(xs, ys, strict=True)))
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dashed}/>')
    if marker:
        parts += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>'
                  for px, py in (at(x, y) for x, y in zip(xs, ys, strict=True))]


def figure_svg(runs, sweep_result, lrs=SWEEP_LRS, seeds=SWEEP_SEEDS, width=1140, height=420):
    """Three panels as an SVG: validation loss per epoch (log scale, epoch 0 = the initial weights),
    validation accuracy per epoch, and the sweep's best validation accuracy against the learning rate."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             'font-family="Helvetica, Arial, sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    panel, top, bottom = width / 3, 40, height - 110
    boxes = [(round(k * panel + 62), top, round((k + 1) * panel - 14), bottom) for k in range(3)]
    epochs = max(len(run.history["val_loss"]) for run in runs)
    x_ticks = [e for e in range(0, epochs + 1, 5)]
    losses = [v for run in runs for v in (run.start[0], *run.history["val_loss"])]
    steps = [m * 10.0 ** e for e in range(-3, 4) for m in (1, 2, 5)]  # 1-2-5 ticks of the log scale
    loss_range = (max(t for t in steps if t <= min(losses)), min(t for t in steps if t >= max(losses)))
    loss_ticks = [t for t in steps if loss_range[0] <= t <= loss_range[1]]
    at_loss = _panel(parts, boxes[0], "validation loss per epoch", "epoch", "cross-entropy (log scale)",
                     (0, epochs), loss_range, x_ticks, loss_ticks, log_y=True)
    at_acc = _panel(parts, boxes[1], "validation accuracy per epoch", "epoch", "accuracy", (0, epochs), (0, 1),
                    x_ticks, [0, 0.2, 0.4, 0.6, 0.8, 1])
    for run, (_, _, colour, dash) in zip(runs, CURVES, strict=True):
        xs = range(len(run.history["val_loss"]) + 1)
        _line(parts, at_loss, xs, [run.start[0], *run.history["val_loss"]], colour, dash)
        _line(parts, at_acc, xs, [run.start[1], *run.history["val_acc"]], colour, dash)
    lr_ticks = [t for t in LR_TICKS if lrs[0] <= t <= lrs[-1]]
    at_sweep = _panel(parts, boxes[2], "best validation accuracy vs learning rate", "learning rate (log scale)",
                      "accuracy", (lrs[0] / 1.5, lrs[-1] * 1.5), (0, 1), lr_ticks, [0, 0.2, 0.4, 0.6, 0.8, 1],
                      log_x=True)
    _line(parts, at_sweep, lrs, sweep_result[True], CURVES[0][2], marker=True)
    _line(parts, at_sweep, lrs, sweep_result[False], CURVES[1][2], marker=True)

    legend = [(run.label, colour, dash) for run, (_, _, colour, dash) in zip(runs, CURVES, strict=True)]
    for k, (label, colour, dash) in enumerate(legend):
        x, y = 70 + (k % 2) * 330, height - 46 + (k // 2) * 20
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{x}" x2="{x + 30}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" stroke-width="2"'
                     f'{dashed}/>')
        parts.append(f'<text x="{x + 36}" y="{y}">{escape(label)}</text>')
    x = boxes[2][0]
    parts.append(f'<text x="{x}" y="{height - 42}">blue: standardized pixels, red: raw 0-16 pixels;</text>')
    parts.append(f'<text x="{x}" y="{height - 24}">curves: seed {runs[0].config.seed}; sweep: the mean of seeds '
                 f'{", ".join(str(s) for s in seeds)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def replace_block(text, body):
    """``text`` with ``body`` between this script's markers (which must be there)."""
    head, rest = text.split(BEGIN, 1)
    return f"{head}{BEGIN}\n{body.strip()}\n{END}{rest.split(END, 1)[1]}"


def main():
    runs, sweep_result = curves(), sweep()
    FIGURE.write_text(figure_svg(runs, sweep_result))
    body = f"{curve_table(runs)}\n\n{sweep_table(sweep_result)}"
    DOC.write_text(replace_block(DOC.read_text(), body))
    print(body)
    print(f"\nwrote {FIGURE.relative_to(ROOT)} and the tables of {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
