"""Small pieces of layout that several pages share (they draw; they compute nothing new)."""

import numpy as np
import streamlit as st

import nncore
from nncore.config import SUGGESTED_LR, lr_advice

from . import analysis, figures

NAME_HELP = ("A run's name lists its settings: h = hidden units, lr = learning rate, b = batch size, e = epochs, "
             "s = seed; then any other setting that differs from the defaults.")


# how a choice is written for people (the value itself stays the key the URL and the CLI use)
CHOICE_NAMES = {"sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam", "relu": "ReLU",
                "leaky_relu": "leaky ReLU"}


def choice_name(choice):
    """A setting's choice as a person reads it: 'adam' -> 'Adam', 'leaky_relu' -> 'leaky ReLU'."""
    return CHOICE_NAMES.get(choice, choice)


def probability_text(p):
    """A probability as a person should read it: '96.3%', but '>99.9%' and '<0.1%' rather than a
    rounded '100.0%' or '0.0%' that would claim certainty."""
    if p > 0.999:
        return ">99.9%"
    if p < 0.001:
        return "<0.1%"
    return f"{p:.1%}"


def settings_text(config):
    """A run's settings in words: '64 hidden units · learning rate 0.1 · batches of 64 · 30 epochs · seed 0'."""
    defaults = nncore.TrainConfig()
    words = [f"{config.hidden} hidden units", f"learning rate {config.lr:g}", f"batches of {config.batch}",
             f"{config.epochs} epochs", f"seed {config.seed}"]
    extras = {"activation": f"{choice_name(config.activation)} units", "optimizer": f"{choice_name(config.optimizer)}",
              "momentum": f"momentum {config.momentum:g}", "l2": f"L2 {config.l2:g}",
              "schedule": f"{config.schedule} schedule", "patience": f"early-stopping patience {config.patience}",
              "val_share": f"{config.val_share:.0%} validation", "augment": f"{config.augment} augmented copies",
              "ensemble": f"{config.ensemble} networks averaged"}
    words += [text for name, text in extras.items() if getattr(config, name) != getattr(defaults, name)
              and (name != "momentum" or config.optimizer == "momentum")]
    return " · ".join(words)


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
        st.subheader(f"The data: {len(nncore.digits()[1]):,} handwritten digits, 8×8 pixels")
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
    """The run's name (its meaning on hover), its settings in words, and the command that trains it."""
    st.subheader(f"Run {run.name}", help=NAME_HELP)
    st.caption(f"{settings_text(run.config)} · {run.status}")
    command = run.config.command()  # inline code, not st.code: its highlighter is 1.5 MB of JavaScript
    st.caption(f":material/terminal: Train it again: `{command}`"
               + (" (the default settings)" if command == "python main.py" else ""))


def command_line(run):
    """One line: the command that trains the run again (the pages that show a run without its header)."""
    st.caption(f":material/terminal: Train it again: `{run.config.command()}`")


def run_summary(run):
    """Headline figures of one run as metrics, and what went wrong if something did."""
    r = run.result
    cells = st.columns(5)
    cells[0].metric("Test accuracy", f"{r.test_accuracy:.1%}")
    cells[1].metric("Best validation accuracy", f"{r.best_val_accuracy:.1%}" if r.best_epoch else "—")
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
                   f"the epoch. The star marks the {figures.KEPT}: its weights are the run's.")
    else:
        st.warning(f"**No epoch finished**: the loss became NaN or infinite during epoch {r.diverged_epoch}, so "
                   "there are no per-epoch curves. Below: the loss of each batch until it blew up.",
                   icon=":material/warning:")
    if r.diverged and r.diverged_losses:
        st.plotly_chart(figures.batch_losses(r.diverged_losses, r.diverged_epoch))
    since = analysis.overfitting(r.history)
    if since is not None and run.config.lr > SUGGESTED_LR[run.config.optimizer][1]:
        st.warning(f"Validation loss rising since epoch {since + 1}, but not because the network memorises: "
                   f"{lr_advice(run.config.optimizer, run.config.lr)} Steps this large make the network "
                   "over-confident, so the few digits it gets wrong cost more and more loss while its accuracy "
                   "barely moves. Try a smaller learning rate.", icon=":material/speed:")
    elif since is not None:
        st.warning(f"Validation loss rising since epoch {since + 1} while the training loss keeps falling: the "
                   "network is memorising the training digits (overfitting). The kept epoch is chosen by "
                   "validation accuracy; fewer epochs, L2 or early stopping would help.", icon=":material/trending_up:")
