"""Train & overview: what this is, the data, and the shown run at a glance."""

import streamlit as st

from app.widgets import notebook, views
from app.widgets import peer as peer_view
from app.widgets.controls import selected_run

st.title("Digits Playground")
st.markdown(
    "A two-layer neural network written from scratch in NumPy — **64 pixels → hidden layer → 10 digits** — "
    "trained with minibatch gradient descent on scikit-learn's 8×8 handwritten digits. Set the knobs in the sidebar, "
    "press **Train**, and watch it learn. Then look at its mistakes (*Curves & confusion*), compare runs "
    "(*Compare runs*) and feed it your own digits (*Probe a digit*).")

run = selected_run("the default settings train in well under a second.", stop=False)
if run is not None:
    views.run_header(run)
    notebook.download(run, "overview")
    views.run_summary(run)
    views.run_curves(run)
    peer_view.sklearn_beside(run)

st.divider()
views.dataset_overview()
