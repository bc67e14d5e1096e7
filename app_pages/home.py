"""Train & overview: what this is, the data, and the selected run at a glance."""

import streamlit as st

from app import figures, runs, views

st.title("Digits Playground")
st.markdown(
    "A two-layer neural network written from scratch in NumPy — **64 pixels → hidden ReLU layer → 10 digits** — "
    "trained with minibatch gradient descent on scikit-learn's 8×8 handwritten digits. Set the knobs in the sidebar, "
    "press **Train**, and watch it learn. Then look at its mistakes (*Curves & confusion*), compare runs "
    "(*Compare runs*) and feed it your own digits (*Probe a digit*).")

run = runs.selected()
if run is None:
    views.no_runs_yet("the default settings train in well under a second.")
else:
    st.subheader(f"Run {run.name}")
    views.run_summary(run)
    history = [(run.name, run.result.history, run.result.best_epoch)]
    left, right = st.columns(2)
    left.plotly_chart(figures.training_curves(history, "loss"))
    right.plotly_chart(figures.training_curves(history, "accuracy"))
    st.caption("Dashed: training split (averaged over the epoch's batches); solid: validation split, after the "
               "epoch. The star marks the epoch whose weights are kept.")

st.divider()
views.dataset_overview()
