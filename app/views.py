"""Small pieces of layout that several pages share (they draw; they compute nothing new)."""

import numpy as np
import streamlit as st

import nncore

from . import figures


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
    """What the data looks like: a grid of examples and the class counts."""
    X, y, counts = _examples()
    left, right = st.columns([3, 2])
    with left:
        st.subheader("The data: 1,797 handwritten digits, 8×8 pixels")
        st.caption("Each image is 64 numbers from 0 (paper) to 16 (ink): counts of ink in 4×4 blocks of a "
                   "32×32 scan. The network sees exactly these 64 numbers.")
        digit_gallery(X, [str(label) for label in y], columns=10)
    with right:
        st.plotly_chart(figures.class_counts(counts))


def no_runs_yet(what):
    """The message a page shows before anything is trained."""
    st.info(f"Nothing trained yet. Choose settings in the sidebar and press **Train** — {what}", icon="👈")


def run_summary(run):
    """Headline figures of one run as metrics."""
    r = run.result
    cells = st.columns(5)
    cells[0].metric("Test accuracy", f"{r.test_accuracy:.1%}")
    cells[1].metric("Best validation accuracy", f"{r.best_val_accuracy:.1%}" if r.best_epoch else "—")
    cells[2].metric("Best epoch", f"{r.best_epoch} of {r.epochs_run}" if r.best_epoch else "none")
    cells[3].metric("Training time", f"{r.seconds:.2f} s")
    cells[4].metric("Status", run.status.split(" at ")[0], help=run.status)
    if len(r.models) > 1:
        st.caption(f"{len(r.models)} networks of {r.config.hidden} hidden units, trained side by side and averaged: "
                   "the figures and curves are those of their averaged softmax output (training curves: their mean).")
    if r.diverged:
        st.error(f"**Diverged at epoch {r.diverged_epoch}**: the loss became NaN or infinite, so training stopped "
                 f"there. The run keeps the weights of its best epoch before that"
                 f"{'' if r.best_epoch else ' (none finished: the initial, untrained weights)'}. "
                 "Try a smaller learning rate.", icon=":material/warning:")
