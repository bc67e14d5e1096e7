"""Sweep: a grid of runs over one or two settings, trained in parallel, and what it shows."""

import re

import streamlit as st

import nncore
import nncore.lab.sweep
from app.figures import sweep as sweep_figures
from app.server import sweeps
from app.state import runs
from app.widgets import peer as peer_view
from app.widgets.controls import MEMORY
from nncore.config import BOUNDS
from nncore.lab.cost import duration

# What a list starts as, per setting (the others start from their default and twice it)
LISTS = {"epochs": "10, 30, 100", "hidden": "16, 64, 256", "lr": "0.01, 0.1, 0.5", "batch": "16, 64, 256",
         "seed": "0, 1, 2", "val_share": "0.1, 0.2, 0.3", "augment": "0, 2", "ensemble": "1, 3",
         "momentum": "0, 0.5, 0.9", "l2": "0, 0.0001, 0.001", "patience": "0, 5"}
NONE = "none"

st.title("Sweep settings")
st.markdown(
    "Pick one or two settings and their values: every combination is one run, trained in parallel, and each "
    "joins your runs (open it on every page). The other settings are the sidebar's. Pick **Seed** as the second "
    "setting to repeat each value over several seeds and see how much of a difference is luck.")


def values_of(name, where):
    """The values of setting ``name`` from widgets drawn in ``where``; raises NNCoreError."""
    setting, key = BOUNDS[name], f"sweep_{name}"
    if setting.choices:
        return tuple(where.multiselect(f"{BOUNDS[name].label}: values", setting.choices, default=setting.choices,
                                       key=f"{key}_choices"))
    if where.radio("Values as", ["a list", "a range"], horizontal=True, key=f"{key}_mode") == "a list":
        default = getattr(nncore.TrainConfig(), name)
        text = where.text_input(f"{BOUNDS[name].label}: values", LISTS.get(name, f"{default}, {default * 2}"),
                                key=f"{key}_list", help=f"Separated by commas; allowed: {setting.allowed()}.")
        return nncore.lab.sweep.parse_values(name, text)
    kind, cells = setting.kind, where.columns(4, vertical_alignment="bottom")
    listed = nncore.lab.sweep.parse_values(name, LISTS.get(name, "1, 2"))
    bounds, fmt = (kind(setting.low), kind(setting.high)), None if kind is int else "%g"
    low = cells[0].number_input("from", *bounds, min(listed), key=f"{key}_low", format=fmt)
    high = cells[1].number_input("to", *bounds, max(listed), key=f"{key}_high", format=fmt)
    count = cells[2].number_input("values", 1, nncore.lab.sweep.MAX_VALUES, 3, key=f"{key}_count")
    log = cells[3].checkbox("log", value=name == "lr", key=f"{key}_log", help="Spaced evenly in log (steps of ×10 "
                            "look even): right for learning rates and weight decay")
    return nncore.lab.sweep.value_range(name, low, high, count, log)


def preset(sweep):
    """Set the boxes to ``sweep``'s grid, before they are drawn (once: later changes are the learner's).
    Values as a list, each written exactly (``str``), so the boxes describe the very same grid."""
    st.session_state["sweep_first"] = sweep.names[0]
    st.session_state["sweep_second"] = sweep.names[1] if len(sweep.names) > 1 else NONE
    for axis in sweep.axes:
        if BOUNDS[axis.name].choices:
            st.session_state[f"sweep_{axis.name}_choices"] = list(axis.values)
        else:
            st.session_state[f"sweep_{axis.name}_mode"] = "a list"
            st.session_state[f"sweep_{axis.name}_list"] = ", ".join(str(value) for value in axis.values)


# The boxes' values, kept across page switches (Streamlit forgets a widget a script run does not draw).
BOXES = re.compile(r"sweep_(first|second|[a-z_]+_(choices|mode|list|low|high|count|log))")
memory = st.session_state.setdefault(MEMORY, {})
for key, value in memory.items():
    if BOXES.fullmatch(key):
        st.session_state.setdefault(key, value)
linked = sweeps.from_link()  # a reload: the last sweep comes back from the runs that did
if linked is not None:
    preset(linked.sweep)
locked = sweeps.locked()
names = [name for name in BOUNDS if name not in locked]  # a sweep changes what it sweeps: never a locked one
if locked:
    fixed = ", ".join(BOUNDS[name].label for name in sorted(locked))
    st.caption(f":material/lock: Fixed for this class, so not swept: {fixed}.")
for key in ("sweep_first", "sweep_second"):
    if st.session_state.get(key) in locked:  # chosen before the lock came (a link opened in this session)
        del st.session_state[key]
left, right = st.columns(2)
first = left.selectbox("First setting", names, index=names.index("hidden") if "hidden" in names else 0,
                       format_func=lambda name: BOUNDS[name].label, key="sweep_first")
others = [NONE, *(name for name in names if name != first)]
second = right.selectbox("Second setting", others, index=others.index("lr") if "lr" in others else 0,
                         format_func=lambda name: "(none)" if name == NONE else BOUNDS[name].label, key="sweep_second")
axes, sweep, pool = [], None, None
for name, where in ((first, left), (second, right)):
    if name != NONE:
        try:
            axes.append(nncore.lab.sweep.Axis(name, values_of(name, where)))
        except nncore.NNCoreError as exc:
            where.error(str(exc), icon=":material/error:")
memory.update((key, value) for key, value in st.session_state.items() if BOXES.fullmatch(key))
if len(axes) == (1 if second == NONE else 2):
    base = sweeps.sidebar_settings()
    if base is None:
        st.error("A setting in the sidebar holds a value that is not allowed (marked in red): fix it first, "
                 "the sweep's other settings are the sidebar's.", icon=":material/error:")
        st.stop()
    try:
        sweep = nncore.lab.sweep.Sweep(base, tuple(axes))
        pool = sweeps.pool()
    except nncore.NNCoreError as exc:
        st.error(str(exc), icon=":material/error:")

cluster_note = sweeps.cluster_status()[1]
if cluster_note:
    st.warning(cluster_note, icon=":material/cloud_off:")
too_many = sweep is not None and sweep.cells > sweeps.MAX_CELLS
refused = None
if too_many:  # said before anything is estimated: measuring the steps of a grid the app will not run costs minutes
    st.warning(f"These settings make {sweep.cells} runs; the app runs sweeps of at most {sweeps.MAX_CELLS} runs. The "
               "command line (`python main.py sweep`) has no such limit.", icon=":material/warning:")
elif sweep is not None and pool is not None:
    slots, where = sweeps.placed(sweep, pool)
    estimate = sweep.estimate(slots)
    shape = (" × ".join(str(len(axis.values)) for axis in sweep.axes) + ": "
             + " × ".join(BOUNDS[axis.name].label.lower() for axis in sweep.axes))
    st.markdown(f"**{sweep.cells} runs** ({shape}) · about **{duration(estimate.wall)}** on {where} if they are "
                f"idle ({duration(estimate.training)} of training in all, estimated from steps measured on this "
                "server, on an idle core; other people's trainings on this server add their time)")
    st.caption(f"Fixed settings, from the sidebar: `{base.name}` (the swept settings replace theirs).")
    with st.expander("Estimated seconds of each run", icon=":material/timer:"):
        labels = {name: BOUNDS[name].label for name in sweep.names}
        st.plotly_chart(sweep_figures.estimate_chart(sweep, estimate.per_cell, labels))
    refused = sweeps.refusal(estimate)
    if refused:
        st.error(refused, icon=":material/timer_off:")

record = sweeps.last()
resume = record is not None and record.state == "stopped" and record.sweep == sweep
label = f"Run the remaining {len(record.missing)} runs" if resume else "Run sweep"
clicked = st.button(label, type="primary", icon=":material/grid_view:", key="sweep_run", help="Any click while it "
                    "runs stops it: the runs finished are kept.",
                    disabled=sweep is None or pool is None or too_many or bool(refused))
area = st.empty()
if clicked:
    sweeps.run(sweep, area, sweeps.placed(sweep, pool)[1])
    st.rerun()  # the sidebar and the link then list the new runs, the best one selected

if record is None:
    st.info("No sweep yet: pick the settings above and press **Run sweep** (for a single run, press **Train** in "
            "the sidebar).", icon=":material/grid_view:")
    st.stop()

done, axes_text = record.finished, " × ".join(BOUNDS[n].label.lower() for n in record.sweep.names)
st.subheader(f"Results: {axes_text}")
partial = record.state == "stopped" and bool(record.missing)
how = f" in {duration(record.seconds)} on {record.where}" if record.where else ", back with the link"
rest = "; press the button above to train the rest" if partial and record.where else ""
st.caption(f"{record.state.capitalize()}: {len(done)} of {record.sweep.cells} runs{how}{rest}. "
           f"Fixed settings: `{record.sweep.base.name}`.")
if partial and not record.where:  # rebuilt from a link, nothing trained since
    came = (f"{record.came_back} of {record.sweep.cells} runs of this sweep came back" if record.came_back
            else f"None of the {record.sweep.cells} runs of this sweep came back")
    then = (f"press **{label}** above to train the rest" if resume else "set the boxes above and the sidebar to "
            "its grid and fixed settings to train the rest")
    st.info(f"{came} with the link (this server no longer holds the others); {then}.", icon=":material/restore:")
if record.error:
    st.error(record.error, icon=":material/error:")
if record.dropped:
    st.info(f"Your session keeps its newest {runs.MAX_RUNS} runs, so "
            f"{'1 older one was' if record.dropped == 1 else f'{record.dropped} older ones were'} let go. "
            "Every run of the sweep stays in the table below; **Open on every page** brings one back.",
            icon=":material/info:")
if not done:
    st.stop()

labels = {name: BOUNDS[name].label for name in record.sweep.names}
charts = sweep_figures.accuracy_charts(record.sweep, done, labels)
for column, figure in zip(st.columns(len(charts)), charts, strict=True):
    column.plotly_chart(figure)
st.caption("The best run is chosen by validation accuracy (with seeds: the best on average); the test split only "
           "reports how well that choice does on digits nobody chose with.")
st.plotly_chart(sweep_figures.every_run(record.sweep, done, labels))
st.caption("Each line is a run; drag along an axis to pick the runs through a range.")

st.dataframe(sweeps.table(record), hide_index=True, column_config={
    "validation accuracy": st.column_config.NumberColumn(format="percent"),
    "test accuracy": st.column_config.NumberColumn(format="percent"),
    "seconds": st.column_config.NumberColumn(format="%.2f"),
})
st.download_button("Download the table (CSV)", sweeps.csv_text(record), file_name="sweep.csv", mime="text/csv",
                   icon=":material/download:", on_click="ignore")

options = {record.sweep.label(cell.config): cell.config for cell in done}
best = sweeps.best_cell(record).index
choice = st.selectbox("Open a run of the sweep on every page", list(options), key="sweep_open",
                      index=[cell.index for cell in done].index(best))
if st.button("Open on every page", icon=":material/open_in_new:", key="sweep_open_button",
             help="Select this run in the sidebar, so every page shows it"):
    sweeps.open_cell(options[choice])
    st.rerun()

best_run = runs.get(record.sweep.configs()[best].name)
if best_run is not None:
    st.subheader("The library beside us")
    st.caption(f"The best run, `{best_run.name}`, against scikit-learn's MLPClassifier trained the same way.")
    peer_view.sklearn_beside(best_run)
