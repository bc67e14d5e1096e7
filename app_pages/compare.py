"""Compare runs: every run of this session in a table, curves overlaid, pin, delete (with undo),
download, upload."""

import pandas as pd
import streamlit as st

import nncore
from app.figures import run as figures
from app.server import memory
from app.state import links, runs
from app.widgets import views
from app.widgets.text import plain

st.title("Compare runs")
all_runs = list(reversed(runs.all_runs()))  # newest first

def upload_run(result, file_name):
    """Keep an uploaded run (its snapshots within what a trained run keeps, within the server's
    budget for uploads and the session's); returns the (kind, message) to show."""
    result, dropped = memory.thin_snapshots(result)
    if not memory.uploads().admit(result, result.nbytes()):
        return ("error", f"Could not keep **{result.config.name}** from {plain(file_name)}: the runs uploaded on "
                f"this server take {memory.megabytes(memory.UPLOAD_BYTES)} already. Try again later, or train its "
                "settings.")
    run, notice = runs.add(result, "uploaded")
    if run is None:
        return ("error", notice)
    kept = sorted(result.snapshots)
    said = f"Loaded **{result.config.name}** from {plain(file_name)}."
    if dropped:
        said += (f" It carried the weights of {len(kept) + len(dropped)} epochs; a run keeps at most "
                 f"{memory.megabytes(memory.SNAPSHOT_BYTES)} of them here, so the weights of "
                 f"{len(dropped)} epoch{'s' * (len(dropped) > 1)} were dropped"
                 + (f" and *Watch it learn* replays epochs {', '.join(map(str, kept))}." if kept else "."))
    return ("warning" if dropped else "success", said + (f" {notice}" if notice else ""))


with st.expander("Bring back a saved run (.npz)", expanded=not all_runs):
    upload = st.file_uploader("Upload weights saved from this app or by `python main.py`", type=["npz"],
                              key="weights_upload")
handled = st.session_state.setdefault("handled_uploads", set())
if upload is not None and upload.file_id not in handled:
    handled.add(upload.file_id)  # an upload is read once, even if its run is deleted later
    try:
        result = nncore.load(upload.getvalue())
    except nncore.WeightsFileError as exc:
        st.session_state["upload_message"] = ("error", f"Could not load **{plain(upload.name)}**: {plain(exc)}. "
                                              "Your runs are unchanged.")
    else:
        if runs.get(links.result_key(result)) is None:
            st.session_state["upload_message"] = upload_run(result, upload.name)
        else:
            st.session_state["upload_message"] = ("info", f"A run named **{result.config.name}** is already in "
                                                  "your list.")
    st.rerun()
if upload is not None and "upload_message" in st.session_state:  # outside the expander: seen when it closes
    kind, text = st.session_state["upload_message"]
    getattr(st, kind)(text)

session = runs.current()
if session.deleted is not None:
    cells = st.columns([5, 1], vertical_alignment="center")
    cells[0].info(f"Deleted **{session.deleted[0].name}**.", icon=":material/delete:")
    cells[1].button("Undo", icon=":material/undo:", on_click=runs.undo_delete, key="undo_delete")

if not all_runs:
    views.no_runs_yet("train two runs with different settings (say 16 and 128 hidden units) to compare them here.")
    views.dataset_overview()
    st.stop()


def percent(value):
    return "—" if value is None or value != value else f"{value:.1%}"  # NaN != NaN


def header_width(name):
    """Pixels for a setting's column: its values are short, its header sets the width (the grid clips
    a header, "Learning rat", rather than wrap it); about 7 px a character at the header's size."""
    return max(80, 7 * len(nncore.BOUNDS[name].label) + 20)


# the settings that differ between the runs get a column each (epochs have theirs, with the epochs trained)
varying = [name for name in nncore.BOUNDS
           if name != "epochs" and len({getattr(run.config, name) for run in all_runs}) > 1]
rows = []
for run in all_runs:
    r = run.result
    # the results first, then the settings that differ: a narrow window cuts the table at the right
    row = {"run": run.label, "test acc": percent(r.test_accuracy),
           "best val acc (epoch)": f"{percent(r.best_val_accuracy)} ({r.best_epoch})" if r.best_epoch else "—",
           "status": run.status}
    row |= {nncore.BOUNDS[name].label: nncore.BOUNDS[name].text(getattr(run.config, name)) for name in varying}
    row |= {"epochs (e)": f"{r.epochs_run}/{r.config.epochs}", "time (s)": f"{r.seconds:.2f}", "pinned": run.pinned,
            "code": run.name}
    rows.append(row)
st.caption("One row per run, newest first; the settings columns are those that differ between your runs.")
st.dataframe(pd.DataFrame(rows), hide_index=True, column_config={
    "run": st.column_config.TextColumn("run", width=175, help="What the run changed from the default settings"),
    "code": st.column_config.TextColumn("code", width=150, help=links.NAME_HELP),
    "status": st.column_config.TextColumn("status", width=125),
    **{nncore.BOUNDS[name].label: st.column_config.TextColumn(nncore.BOUNDS[name].label, width=header_width(name),
                                                              help=nncore.BOUNDS[name].help.capitalize())
       for name in varying},
    "epochs (e)": st.column_config.TextColumn("epochs (e)", width=75, help="Epochs trained / epochs asked for"),
    "best val acc (epoch)": st.column_config.TextColumn(
        "best val acc (epoch)", width=130, help=f"Validation accuracy of the {figures.KEPT}"),
    "test acc": st.column_config.TextColumn("test acc", width=70,
                                            help="Accuracy on the test split, with the kept weights"),
    "time (s)": st.column_config.TextColumn("time (s)", width=65, help="Seconds of training"),
    "pinned": st.column_config.CheckboxColumn("pinned", width=60,
                                              help=f"Pinned runs are never dropped when the session reaches "
                                                   f"{runs.MAX_RUNS} runs, and cannot be deleted"),
})

names = [run.name for run in all_runs]
# The widget's own state goes when another page is shown: the choice is kept under "overlay" too and
# given back only then. Setting the whole choice on every rerun would undo each × and "Clear all" the
# moment it is made, so the page remembers which runs it has offered ("overlay_offered"): a run not
# offered before (trained since, here or on another page, or uploaded) joins the overlay, one the
# learner removed stays out, and one deleted since leaves it.
offered = st.session_state.get("overlay_offered")  # None: the first time; a link sets it to its runs
before = st.session_state.get("compare_runs", st.session_state.get("overlay", names[:3]))  # the newest
overlay = [n for n in before if n in names] + [n for n in names if offered is not None and n not in offered
                                               and n not in before]
if st.session_state.get("compare_runs") != overlay:
    st.session_state["compare_runs"] = overlay
st.session_state["overlay_offered"] = names
chosen = st.multiselect("Runs to overlay", names, key="compare_runs",
                        help="Pick runs to draw on the same charts. Solid: validation; dashed: training.")
st.session_state["overlay"] = chosen
if chosen:
    shown = [runs.get(name) for name in chosen]
    curves, beyond = views.overlaid_curves(shown)
    left, right = st.columns(2)
    left.plotly_chart(figures.training_curves(curves, "loss", "Loss per epoch (log scale)", beyond=beyond))
    right.plotly_chart(figures.training_curves(curves, "accuracy", "Accuracy per epoch"))
    st.caption(f"Solid: validation; dashed: training; stars: each run's {figures.KEPT}. Each run keeps its "
               "colour on every page. Hover for values.")
    views.diverged_warning(shown, beyond)
    empty = [runs.get(k).name for k in chosen if not runs.get(k).result.epochs_run]
    if empty:
        st.caption(f"Not drawn (no epoch finished): {', '.join(empty)}.")

st.subheader("Manage runs")
target = st.selectbox("Run", names, key="manage_run", format_func={run.name: run.choice() for run in all_runs}.get)
run = runs.get(target)
st.code(run.config.command(), language="bash")
with_epochs = st.checkbox("With the weights of the epochs it kept", key="download_snapshots",
                          help="So that *Watch it learn* can replay it after it is loaded again: a larger file "
                               f"({run.result.snapshot_bytes() / 2**20:.1f} MB more for this run).")
cells = st.columns(3)
cells[0].download_button("Download weights (.npz)", nncore.to_bytes(run.result, snapshots=with_epochs),
                         file_name=f"digits-{run.name.replace(' ', '_').replace('·', '').replace('/', 'of')}.npz",
                         mime="application/octet-stream", icon=":material/download:", on_click="ignore")
if cells[1].button("Unpin" if run.pinned else "Pin", icon=":material/push_pin:",
                   help=f"Pinned runs are never dropped when the session reaches {runs.MAX_RUNS} runs, and cannot "
                        "be deleted."):
    run.pinned = not run.pinned
    st.rerun()
if cells[2].button("Delete", icon=":material/delete:", disabled=run.pinned,
                   help="Unpin it first: pinned runs are protected." if run.pinned else "Delete this run (you can "
                        "undo it)."):
    runs.remove(run.key)
    st.rerun()
