"""Curves & confusion: how the selected run learned, and which digits it confuses."""

import pandas as pd
import streamlit as st

from app import figures, inside_sections, runs, views

st.title("Curves & confusion")
run = runs.selected()
if run is None:
    views.no_runs_yet("this page then shows its loss and accuracy per epoch, its confusion matrix and its mistakes.")
    views.dataset_overview()
    st.stop()

st.subheader(f"Run {run.name}")
views.run_summary(run)
history = [(run.name, run.result.history, run.result.best_epoch)]
left, right = st.columns(2)
left.plotly_chart(figures.training_curves(history, "loss"))
right.plotly_chart(figures.training_curves(history, "accuracy"))

evaluation = run.evaluation()
counts = evaluation.confusion()
per_class = evaluation.per_class()
left, right = st.columns([3, 2])
inside_sections.confusion_explorer(run, left)
with right:
    st.plotly_chart(figures.per_class_bars(per_class["precision"], per_class["recall"]))
    table = pd.DataFrame({"digit": range(10), "precision": per_class["precision"], "recall": per_class["recall"],
                          "test digits": per_class["support"]})
    st.dataframe(table, hide_index=True, column_config={
        "precision": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
        "recall": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)})

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
