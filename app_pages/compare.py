"""Compare runs: every run of this session in a table, curves overlaid, delete, download, upload."""

import pandas as pd
import streamlit as st

import nncore
from app import figures, runs, views

st.title("Compare runs")
all_runs = list(reversed(runs.all_runs()))  # newest first

with st.expander("Bring back a saved run (.npz)", expanded=not all_runs):
    upload = st.file_uploader("Upload weights saved from this app or by `python main.py`", type=["npz"],
                              key="weights_upload")
    handled = st.session_state.setdefault("handled_uploads", set())
    if upload is not None and upload.file_id not in handled:
        handled.add(upload.file_id)  # an upload is read once, even if its run is deleted later
        try:
            result = nncore.load(upload.getvalue())
        except nncore.WeightsFileError as exc:
            st.session_state["upload_message"] = ("error", f"Could not load **{upload.name}**: {exc}. "
                                                  "Your runs are unchanged.")
        else:
            if runs.get(result.config.name) is None:
                runs.add(result, "uploaded")
                st.session_state["upload_message"] = ("success", f"Loaded **{result.config.name}** from "
                                                      f"{upload.name}.")
            else:
                st.session_state["upload_message"] = ("info", f"A run named **{result.config.name}** is "
                                                      "already in your list.")
        st.rerun()
    if upload is not None and "upload_message" in st.session_state:
        kind, text = st.session_state["upload_message"]
        getattr(st, kind)(text)

if not all_runs:
    views.no_runs_yet("train two runs with different settings (say 16 and 128 hidden units) to compare them here.")
    views.dataset_overview()
    st.stop()

table = pd.DataFrame([{
    "run": run.name, "hidden": run.config.hidden, "lr": run.config.lr, "batch": run.config.batch,
    "epochs": run.result.epochs_run, "seed": run.config.seed, "val share": run.config.val_share,
    "augment": run.config.augment, "networks": run.config.ensemble,
    "best val acc": run.result.best_val_accuracy if run.result.best_epoch else None,
    "test acc": run.result.test_accuracy, "best epoch": run.result.best_epoch,
    "time (s)": run.result.seconds, "status": run.status, "pinned": run.pinned,
} for run in all_runs])
st.dataframe(table, hide_index=True, column_config={
    "best val acc": st.column_config.NumberColumn(format="percent"),
    "test acc": st.column_config.NumberColumn(format="percent"),
    "lr": st.column_config.NumberColumn(format="%g"),
    "time (s)": st.column_config.NumberColumn(format="%.2f"),
})

names = [run.name for run in all_runs]
chosen = st.multiselect("Runs to overlay", names, default=names[:min(3, len(names))], key="compare_runs",
                        help="Pick runs to draw on the same charts. Solid: validation; dashed: training.")
if chosen:
    curves = [(name, runs.get(name).result.history, runs.get(name).result.best_epoch) for name in chosen]
    left, right = st.columns(2)
    left.plotly_chart(figures.training_curves(curves, "loss", "Loss per epoch"))
    right.plotly_chart(figures.training_curves(curves, "accuracy", "Accuracy per epoch"))
    st.caption("Solid: validation; dashed: training; stars: the epoch each run keeps. Hover for values.")

st.subheader("Manage runs")
target = st.selectbox("Run", names, key="manage_run")
run = runs.get(target)
cells = st.columns(3)
cells[0].download_button("Download weights (.npz)", nncore.to_bytes(run.result),
                         file_name=f"digits-{run.name.replace(' ', '_')}.npz", mime="application/octet-stream",
                         icon=":material/download:", on_click="ignore")
if cells[1].button("Unpin" if run.pinned else "Pin", icon=":material/push_pin:",
                   help=f"Pinned runs are never dropped when the session reaches {runs.MAX_RUNS} runs."):
    run.pinned = not run.pinned
    st.rerun()
if cells[2].button("Delete", icon=":material/delete:"):
    runs.remove([target])
    st.rerun()
