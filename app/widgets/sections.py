"""Sections of the Curves & confusion page: the digits behind a confusion-matrix cell, two runs'
confusion matrices compared, and how far the run's confidence can be trusted (with CSV downloads)."""

import pandas as pd
import streamlit as st

from app.analysis import inside
from app.analysis import run as analysis
from app.figures import inside as fig
from app.state import runs
from app.widgets import views
from app.widgets.controls import MEMORY, new_click, remember, remembered
from nncore.lab.glossary import tip

CELL_LIMIT = 40  # digits drawn from one cell; the table lists them all


def _mistake(counts):
    """The most frequent mistake (true, predicted), the first in reading order when several tie, or
    (0, 0) when there is none."""
    return next(iter(inside.most_frequent_mistakes(counts)), (0, 0))


def confusion_explorer(run, area):
    """The run's test confusion matrix, drawn in ``area``, whose cells can be clicked; below: the
    test digits of the chosen cell with their softmax output, and (with two runs or more) the
    difference between two runs' matrices."""
    evaluation = run.evaluation()
    counts = evaluation.confusion()
    click = new_click("confusion_cells", curve=fig.CLICK_TRACE)
    if click:
        remember("cell_true", int(click["y"]))  # y: the true digit, x: the predicted one
        remember("cell_predicted", int(click["x"]))
    true_default, predicted_default = _mistake(counts)
    memory = st.session_state.get(MEMORY, {})
    chosen = memory.get("cell_true", true_default), memory.get("cell_predicted", predicted_default)
    area.plotly_chart(fig.clickable_confusion(counts, analysis.row_percentages(counts), chosen=chosen),
                      key="confusion_cells", on_select="rerun", selection_mode=("points",))
    area.caption("Click a cell to see its digits below (outlined: the cell shown).")
    st.subheader("The digits in a cell")
    cells = st.columns([1, 1, 4], vertical_alignment="bottom")
    true = remembered(cells[0].selectbox, "True digit", "cell_true", true_default, options=range(10))
    predicted = remembered(cells[1].selectbox, "Predicted digit", "cell_predicted", predicted_default,
                           options=range(10))
    members = inside.cell_members(evaluation.y, evaluation.predicted, true, predicted)
    cells[2].markdown(inside.cell_sentence(counts, true, predicted))
    if len(members):
        shown = members[:CELL_LIMIT]
        captions = [" · ".join(f"{d}: {p:.0%}" for d, p in analysis.top_guesses(evaluation.probs[i], 2))
                    for i in shown]
        views.digit_gallery(evaluation.X[shown], [f"#{i} — {c}" for i, c in zip(shown, captions, strict=True)])
        table = pd.DataFrame(evaluation.probs[members], columns=[f"P({d})" for d in range(10)])
        table.insert(0, "test digit", members)
        st.dataframe(table, hide_index=True, height=min(36 * (len(members) + 1) + 2, 300),
                     column_config={f"P({d})": st.column_config.ProgressColumn(format="percent", min_value=0,
                                                                               max_value=1, width="small")
                                    for d in range(10)})
    _difference(run)


def _difference(run):
    others = [r.name for r in reversed(runs.all_runs()) if r.name != run.name]
    if not others:
        return
    with st.expander("Compare this confusion matrix with another run's", icon=":material/compare_arrows:"):
        other = runs.get(remembered(st.selectbox, "Other run", "confusion_other", others[0],
                                    valid=lambda name: name in others, options=others))
        if other.config.seed != run.config.seed or other.config.val_share != run.config.val_share:
            st.warning("The two runs were tested on different digits (different seed or validation share): the "
                       "difference mixes the runs with the test splits.", icon=":material/warning:")
        difference = inside.confusion_difference(run.evaluation().confusion(), other.evaluation().confusion())
        st.plotly_chart(fig.difference_heatmap(difference, run.name, other.name))
        st.caption(f"Red off the diagonal: mistakes **{other.name}** makes more often; red on the diagonal: digits "
                   "it gets right more often. Blue: the other way round.")


def calibration_section(run):
    """Reliability diagram and expected calibration error of the run's test predictions, then the
    histories of the session's runs as CSV."""
    st.subheader("How sure is it, and is it right to be?", help=tip("calibration"))
    evaluation = run.evaluation()
    calibration = inside.calibration(evaluation.probs, evaluation.y)
    left, right = st.columns([3, 2])
    left.plotly_chart(fig.reliability_diagram(calibration))
    with right:
        cells = st.columns(3)
        cells[0].metric("ECE", f"{calibration.ece:.1%}", help=tip("ECE", "calibration") + " 0 = perfectly calibrated.")
        cells[1].metric("Mean confidence", f"{calibration.mean_confidence:.1%}")
        cells[2].metric("Test accuracy", f"{evaluation.accuracy:.1%}")
        st.markdown("A softmax output of 99% is a score, not yet a probability: it is one only if, among all the "
                    "digits read with 99% confidence, 99% are right. The diagram checks that on the test split: "
                    "each bar is the accuracy of the digits whose top probability falls in that bin. Bars below the "
                    "diagonal: over-confident; above: under-confident. Few digits in a bin make its bar noisy. "
                    + inside.calibration_verdict(calibration, evaluation.accuracy))
        st.dataframe(inside.calibration_table(calibration), hide_index=True, column_config={
            name: st.column_config.NumberColumn(format="percent") for name in ("mean confidence", "accuracy")})
    st.markdown("**Download the curves**")
    cells = st.columns(3)
    cells[0].download_button("This run's history (CSV)", inside.csv_bytes(inside.history_table(
        [(run.name, run.result.history)])), file_name=f"history-{run.name.replace(' ', '_')}.csv", mime="text/csv",
        icon=":material/download:", on_click="ignore")
    everything = [(r.name, r.result.history) for r in runs.all_runs()]
    if len(everything) > 1:
        cells[1].download_button(f"The histories of all {len(everything)} runs (CSV)", inside.csv_bytes(
            inside.history_table(everything)), file_name="histories.csv", mime="text/csv",
            icon=":material/download:", on_click="ignore")
    cells[2].download_button("Test predictions (CSV)", inside.csv_bytes(pd.DataFrame(
        {"digit index": evaluation.index, "true": evaluation.y, "predicted": evaluation.predicted,
         **{f"P({d})": evaluation.probs[:, d] for d in range(10)}})),
        file_name=f"predictions-{run.name.replace(' ', '_')}.csv", mime="text/csv", icon=":material/download:",
        on_click="ignore")
