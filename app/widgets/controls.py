"""The controls the views inside a run share: which digit, which network, which epoch.

Their values outlive page switches (Streamlit forgets the state of a widget its page did not
draw): each is remembered in ``st.session_state["inside_memory"]`` and given back to the widget
when a page draws it again, so the digit, the epoch and the options follow the learner around.
"""

from dataclasses import dataclass

import numpy as np
import streamlit as st

from app.state import runs

MEMORY = "inside_memory"
PROBED = "probe_sample"  # set by probed(): {"pixels": [64 values], "truth": digit or None, "source": str}


def selected_run(what, stop=True):
    """The selected run; before anything is trained, says what the page will show (``what``) and,
    with ``stop``, shows the data instead and stops the page (else returns None: the page goes on)."""
    run = runs.selected()
    if run is None:
        from app.widgets import views  # here: views draws charts, which Start here imports only when it needs them

        views.no_runs_yet(what)
        if stop:
            views.dataset_overview()
            st.stop()
    return run  # the command that trains it again is on the run's own panel (Train & overview), not here


def probed(pixels, truth, source):
    """Remember the digit Probe a digit shows (raw pixels, 64 values in 0..16; the true digit or None;
    where it came from), for the views inside a run to follow."""
    st.session_state[PROBED] = {"pixels": np.asarray(pixels).tolist(), "truth": truth, "source": source}


def remembered(widget, label, key, default, valid=lambda value: True, **kwargs):
    """Draw ``widget(label, key=key, **kwargs)`` starting from its remembered value (or ``default``
    when there is none, or it is no longer ``valid``); returns the widget's value and remembers it."""
    memory = st.session_state.setdefault(MEMORY, {})
    value = st.session_state.get(key, memory.get(key, default))
    st.session_state[key] = value if valid(value) else default
    memory[key] = widget(label, key=key, **kwargs)
    return memory[key]


def remember(key, value):
    """Set a remembered control's value (before its widget is drawn in this script run)."""
    st.session_state.setdefault(MEMORY, {})[key] = value
    st.session_state[key] = value


def new_click(key, curve):
    """The point of trace ``curve`` last clicked in the chart with ``key`` (its selection, as
    Streamlit keeps it in session state before the chart is drawn again), if it was not handled
    yet; else None. Read before drawing, so the chart can already show what was clicked."""
    state = st.session_state.get(key)
    points = [p for p in (state["selection"]["points"] if state else []) if p.get("curve_number") == curve]
    seen = st.session_state.setdefault(MEMORY, {}).get(f"{key} seen")
    if not points or points[-1] == seen:
        return None
    st.session_state[MEMORY][f"{key} seen"] = points[-1]
    return points[-1]


@dataclass(frozen=True)
class Digit:
    """The digit a view follows: raw pixels (64,) in 0..16, the true digit (None if unknown), and
    a phrase saying where it comes from."""

    pixels: np.ndarray
    truth: int | None
    description: str


def digit_choice(run, where=st):
    """Let the learner pick the digit to follow: the one last probed on *Probe a digit* (when there
    is one) or any test digit of ``run``. Returns a Digit."""
    probed = st.session_state.get(PROBED)
    options = (["probed"] if probed else []) + ["test"]
    names = {"probed": "the digit from Probe a digit", "test": "a test digit"}
    cells = where.columns([3, 2], vertical_alignment="bottom")
    source = remembered(cells[0].segmented_control, "Digit to follow", "inside_digit_source", options[0],
                        valid=lambda value: value in options, options=options, format_func=names.get,
                        required=True)
    evaluation = run.evaluation()
    if source == "probed":
        truth = probed.get("truth")
        cells[1].caption(f"From *Probe a digit* ({str(probed.get('source', '')).lower()})"
                         + (f", true digit {truth}" if truth is not None else ", true digit unknown"))
        return Digit(np.asarray(probed["pixels"], dtype=float), truth, "the digit from Probe a digit")
    last = len(evaluation.y) - 1
    position = remembered(cells[1].number_input, f"Test digit (0–{last})", "inside_test_digit", 0,
                          valid=lambda value: isinstance(value, int) and 0 <= value <= last, min_value=0,
                          max_value=last, step=1)
    truth = int(evaluation.y[position])
    return Digit(evaluation.X[position], truth, f"test digit #{position} (a {truth})")


def network_choice(run, where=st):
    """For a run of several averaged networks: which one to look inside (0-based); else 0."""
    count = len(run.result.models)
    if count == 1:
        return 0
    return remembered(where.selectbox, "Network", "inside_network", 0, valid=lambda value: value in range(count),
                      options=range(count), format_func=lambda k: f"network {k + 1} of {count}",
                      help="This run averages several networks' softmax outputs; each has its own hidden units.")


def epoch_choice(run, key, label="Epoch", where=st, **kwargs):
    """A slider over the epochs whose weights the run kept (0: before training), remembered per run;
    starts at the run's kept (best-validation) epoch. Returns the epoch."""
    from app.analysis import inside  # here: Start here remembers its guesses without loading pandas

    epochs = inside.kept_epochs(run.result)
    memory = st.session_state.setdefault(MEMORY, {})
    if memory.get(f"{key} run") != run.name:  # another run: its own epochs, from its best one
        memory[f"{key} run"] = run.name
        remember(key, min(epochs, key=lambda e: abs(e - run.result.best_epoch)))
    return remembered(where.select_slider, label, key, epochs[-1], valid=lambda value: value in epochs,
                      options=epochs, **kwargs)
