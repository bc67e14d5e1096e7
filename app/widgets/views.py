"""Small pieces of layout that several pages share (they draw; they compute nothing new)."""

import numpy as np
import streamlit as st

import nncore
from app.analysis import run as analysis
from app.figures import run as figures
from app.state.links import NAME_HELP, settings_text
from nncore.lab.glossary import tip

probability_text = figures.probability_text  # the headline and the bars say the same


def digit_gallery(pixels, captions, columns=10, scale=8):
    """A grid of 8×8 digits (rows of 64 values in 0..16) with a caption under each."""
    for start in range(0, len(pixels), columns):
        cells = st.columns(columns)
        for cell, row, caption in zip(cells, pixels[start:start + columns], captions[start:start + columns],
                                      strict=False):
            cell.image(figures.digit_picture(row, scale), caption=caption)


@st.cache_data(show_spinner=False)
def _examples(per_class=3):
    X, y = nncore.digits()
    picks = np.concatenate([np.flatnonzero(y == d)[:per_class] for d in range(10)])
    picks = picks.reshape(10, per_class).T.ravel()  # one row per example number, digits 0..9 across
    return X[picks], y[picks], np.bincount(y, minlength=10)


def dataset_overview():
    """What the data looks like: a grid of examples and the class counts (in words; their chart
    is drawn when asked for: Plotly's 4.7 MB of JavaScript is not worth it for ten numbers on
    the first page)."""
    X, y, counts = _examples()
    left, right = st.columns([3, 2])
    with left:
        st.subheader(f"The data: {len(nncore.digits()[1]):,} handwritten digits, 8×8 pixels",
                     help=tip("pixel", "standardization"))
        st.caption("Each image is 64 numbers from 0 (paper) to 16 (ink): counts of ink in 4×4 blocks of a "
                   "32×32 scan. The network sees exactly these 64 numbers.")
        st.image(figures.digit_montage(X, columns=10, scale=6, gap=6), width="stretch",
                 caption="Three examples of each digit: 0 to 9 across, in each row.")
    with right:
        st.markdown(counts_text(counts))
        with st.expander("Digits per class, as a chart", icon=":material/bar_chart:", key="class_counts_open",
                         on_change="rerun") as box:
            if box.open:
                st.plotly_chart(figures.class_counts(counts))


def counts_text(counts):
    """The class counts in a sentence: how many of each digit, the fewest and the most."""
    fewest, most = int(np.argmin(counts)), int(np.argmax(counts))
    each = ", ".join(f"{digit}: {count}" for digit, count in enumerate(counts))
    spread = (counts.max() - counts.min()) / counts.mean()
    verdict = ("about as many of each digit, so accuracy treats every digit alike" if spread < 0.1 else
               "some digits much rarer than others, so accuracy says little about the rare ones")
    return (f"**Examples per digit**: {each}. From {counts[fewest]} (digit {fewest}) to {counts[most]} "
            f"(digit {most}): {verdict}.")


def no_runs_yet(what):
    """The message a page shows before anything is trained."""
    st.info(f"Nothing trained yet. Choose settings in the sidebar and press **Train** — {what}",
            icon=":material/arrow_back:")


def run_header(run):
    """The run in words (its short code and the code's meaning on hover), its settings in words, and the
    command that trains it."""
    st.subheader(f"{run.label[0].upper()}{run.label[1:]} :gray[({run.name})]", help=NAME_HELP)
    st.caption(f"{settings_text(run.config)} · {run.status}")
    command = run.config.command()  # inline code, not st.code: its highlighter is 1.5 MB of JavaScript
    st.caption(f":material/terminal: Train it again: `{command}`"
               + (" (the default settings)" if command == "python main.py" else ""))


def run_summary(run):
    """Headline figures of one run as metrics, and what went wrong if something did."""
    r = run.result
    cells = st.columns(5)
    cells[0].metric("Test accuracy", f"{r.test_accuracy:.1%}", help=tip("accuracy", "test split"))
    cells[1].metric("Best validation accuracy", f"{r.best_val_accuracy:.1%}" if r.best_epoch else "—",
                    help=tip("validation split"))
    cells[2].metric("Kept epoch", f"{r.best_epoch} of {r.epochs_run}" if r.best_epoch else "none",
                    help=figures.KEPT.capitalize())
    cells[3].metric("Training time", f"{r.seconds:.2f} s")
    cells[4].metric("Status", run.status.split(" at ")[0], help=r.ending)
    if len(r.models) > 1:
        st.caption(f"{len(r.models)} networks of {r.config.hidden} hidden units, trained side by side and averaged: "
                   "the figures and curves are those of their averaged softmax output (training curves: their mean).")
    if r.diverged:
        st.error(f"**Diverged at epoch {r.diverged_epoch}**: the loss became NaN or infinite, so training stopped "
                 f"there. The run keeps the weights of its best epoch before that"
                 f"{'' if r.best_epoch else ' (none finished: the initial, untrained weights)'}. "
                 "Try a smaller learning rate.", icon=":material/warning:")
    elif r.ended == "early stopping":
        st.info(f"**Early stopping**: {r.ending}.", icon=":material/front_hand:")


def health_text(result):
    """What the run's training-health history says, in sentences computed from it, or None when the
    run recorded none (a file saved before it was recorded)."""
    history = result.history
    dead = history.get("dead_units") or []
    if not dead:
        return None
    last = len(dead)
    unit = "unit" if result.config.hidden == 1 else "units"
    words = [f"In the last epoch ({last}), {dead[-1]:.0%} of the {result.config.hidden} hidden {unit} were dead "
             f"(most during training: {max(dead):.0%})."]
    if result.config.activation == "leaky_relu":
        words.append("Leaky ReLU units always pass some gradient, so none counts as dead.")
    elif max(dead) > 0:
        words.append("A dead unit's gradient factor f′(Z1) stays below 1% of its peak on every validation digit "
                     "(a ReLU unit that never fires, a tanh or sigmoid unit stuck in its flat part): no blame "
                     "reaches its weights, so they stop learning.")
    ratio = float(np.mean(history["grad_W1"]) / np.mean(history["grad_W2"])) if np.mean(history["grad_W2"]) else None
    if ratio is not None and np.isfinite(ratio):
        words.append(f"Over the run, the gradient reaching W1 was on average {ratio:.2f}× the size of W2's.")
    return " ".join(words)


def training_health(run):
    """The run's training-health chart and what it says (or why a loaded run has none)."""
    r = run.result
    if not r.epochs_run:
        return
    text = health_text(r)
    if text is None:
        st.caption("This run's file was saved before training health (dead units, gradient sizes) was recorded: "
                   "train it again to see it.")
        return
    st.plotly_chart(figures.training_health(r.history, run.color))
    st.caption(text, help=tip("dead unit", "gradient"))


def penalty_text(result):
    """For a run trained with L2: that both loss curves are the cross-entropy alone, and the size of the
    penalty training also minimised, at the kept weights (the mean over an ensemble's networks)."""
    l2 = result.config.l2
    if not l2:
        return ""
    penalty = np.mean([l2 / 2 * (np.sum(m.W1.astype(np.float64) ** 2) + np.sum(m.W2.astype(np.float64) ** 2))
                       for m in result.models])
    return (f" Both loss curves are the cross-entropy alone: training also minimised the L2 penalty "
            f"l2/2 (|W1|² + |W2|²), {penalty:.3g} at the kept weights, which is drawn in neither.")


def run_curves(run):
    """The run's loss and accuracy curves with the kept epoch explained, the overfitting warning,
    and, when it diverged, the loss of each batch of the epoch that blew up."""
    r = run.result
    curves = [figures.Curve(run.name, r.history, r.best_epoch, run.color)]
    if r.epochs_run:
        left, right = st.columns(2)
        left.plotly_chart(figures.training_curves(curves, "loss"))
        right.plotly_chart(figures.training_curves(curves, "accuracy"))
        st.caption(f"Dashed: training split (averaged over the epoch's batches); solid: validation split, after "
                   f"the epoch. The star marks the {figures.KEPT}: its weights are the run's."
                   + penalty_text(r))
    else:
        st.warning(f"**No epoch finished**: the loss became NaN or infinite during epoch {r.diverged_epoch}, so "
                   "there are no per-epoch curves. Below: the loss of each batch until it blew up.",
                   icon=":material/warning:")
    if r.diverged and r.diverged_losses:
        st.plotly_chart(figures.batch_losses(r.diverged_losses, r.diverged_epoch))
    note = analysis.validation_loss_note(r)
    if note is not None:
        st.warning(note["text"], icon=":material/trending_up:")


def max_loss(run):
    """The largest finite loss in a run's history (training or validation)."""
    values = [v for key in ("train_loss", "val_loss") for v in run.result.history[key] if v == v and v != float("inf")]
    return max(values, default=float("nan"))


def overlaid_curves(shown):
    """(Curves of the ``shown`` runs that finished an epoch, the names of those that diverged): the
    loss axis spans the others (figures.training_curves' ``beyond``)."""
    drawn = [run for run in shown if run.result.epochs_run]
    curves = [figures.Curve(run.name, run.result.history, run.result.best_epoch, run.color) for run in drawn]
    return curves, {run.name for run in drawn if run.result.diverged}


def diverged_warning(shown, beyond):
    """Under an overlay of ``shown`` runs: the ones named in ``beyond`` diverged and left the loss
    chart at the top, each with its largest loss (nothing when all or none did)."""
    blown = [run for run in shown if run.name in beyond]
    if blown and len(blown) < len([run for run in shown if run.result.epochs_run]):
        st.warning("Diverged, so their loss leaves the loss chart at the top (the axis spans the other runs): "
                   + "; ".join(f"**{run.name}** (loss up to {max_loss(run):.3g}, diverged at epoch "
                               f"{run.result.diverged_epoch})" for run in blown) + ".", icon=":material/warning:")
