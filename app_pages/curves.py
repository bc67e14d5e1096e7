"""Curves & confusion: how the shown run learned, and which digits it confuses."""

import pandas as pd
import streamlit as st

from app.figures import run as figures
from app.widgets import sections as inside_sections
from app.widgets import views
from app.widgets.controls import selected_run

st.title("Curves & confusion")
run = selected_run("this page then shows its loss and accuracy per epoch, its confusion matrix and its mistakes.")

views.run_header(run)
views.run_summary(run)
views.run_curves(run)
views.training_health(run)

evaluation = run.evaluation()
counts = evaluation.confusion()
per_class = evaluation.per_class()
left, right = st.columns([3, 2])
inside_sections.confusion_explorer(run, left)
left.caption("Rows: the true digit; columns: the network's answer. Blue: right; red: mistakes (darker: more).")
with right:
    st.plotly_chart(figures.per_class_bars(per_class["precision"], per_class["recall"]))
    table = pd.DataFrame({"digit": range(10), "precision": 100 * per_class["precision"],
                          "recall": 100 * per_class["recall"], "test digits": per_class["support"]})
    st.dataframe(table, hide_index=True, column_config={
        "digit": st.column_config.NumberColumn("digit", width="small"),
        "precision": st.column_config.NumberColumn(
            "precision", format="%.1f%%", width="small",
            help="Of the test digits the network called this digit, the share that really are"),
        "recall": st.column_config.NumberColumn(
            "recall", format="%.1f%%", width="small",
            help="Of the test digits that really are this digit, the share the network found"),
        "test digits": st.column_config.NumberColumn("test digits", width="small",
                                                     help="How many of this digit the test split holds")})

wrong = evaluation.misclassified()
st.subheader(f"Misclassified test digits: {len(wrong)} of {len(evaluation.y)}")
if len(wrong) == 0:
    st.success("Every test digit is classified correctly.")
else:
    st.caption("Most confident mistakes first. Open *Probe a digit* to see the full softmax output of any of them.")
    shown = wrong[:30]
    captions = [f"true {evaluation.y[i]} → {evaluation.predicted[i]} ({evaluation.probs[i].max():.0%})"
                for i in shown]
    views.digit_gallery(evaluation.X[shown], captions, columns=10)

inside_sections.calibration_section(run)
