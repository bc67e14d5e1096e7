"""The "Download as a notebook" button beside a run: a Jupyter notebook that trains the run again
from nncore's own source (nncore.lab.notebook), with an exercise checkbox beside it."""

import streamlit as st

from nncore.lab import notebook

EXERCISE_HELP = ("Blank the gradient lines of backward() for you to write, each with its formula in a comment; a "
                 "finite-difference check in the notebook says which are right before it trains.")


def download(run, key):
    """The button and the checkbox for ``run`` (an app Run), side by side. The file is built only
    when the button is clicked (the download's data is a function), so a rerun costs nothing;
    ``key`` tells apart the places a page shows them."""
    result = run.result
    button, box = st.columns([1, 2], vertical_alignment="center")
    exercise = box.checkbox("Exercise: leave backward() for me to write", key=f"{key}_exercise", help=EXERCISE_HELP)
    button.download_button(
        "Download as a notebook", data=lambda: notebook.to_bytes(result.config, result, exercise),
        file_name=notebook.file_name(result.config, exercise), mime="application/x-ipynb+json",
        icon=":material/download:", key=f"{key}_notebook", on_click="ignore",
        help=download_help(result))


def download_help(result):
    """What the notebook of ``result`` (a TrainResult) will do, in a sentence: a run stopped by hand
    cannot be trained again to the same numbers, since the notebook trains every epoch."""
    text = ("A Jupyter notebook (for Jupyter or Colab; needs only NumPy and scikit-learn) that trains this run again "
            "with the network's own code, cell by cell, and ends with ")
    if result.stopped_early:
        return text + (f"all {result.config.epochs} epochs: this run was stopped at epoch {result.epochs_run}, so its "
                       f"numbers can differ (set epochs to {result.epochs_run} in its first cell to train what this "
                       "run trained).")
    return text + f"the same best epoch ({result.best_epoch}) and test accuracy ({result.test_accuracy:.1%})."
