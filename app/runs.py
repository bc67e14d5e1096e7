"""The session's runs: what one person trained or uploaded, kept in ``st.session_state``.

Runs are named by their settings (one run per config); the newest is selected. At most
MAX_RUNS are kept per session: beyond that the oldest unpinned run is dropped, with a notice.
"""

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import streamlit as st

from . import analysis

MAX_RUNS = 12


@dataclass(eq=False)
class Run:
    """One entry in the session's list: a trained nncore.TrainResult and where it came from."""

    result: object
    source: str = "trained"      # "trained", "uploaded" or "link"
    pinned: bool = False
    _evaluation: object = field(default=None, repr=False)

    @property
    def name(self):
        return self.result.config.name

    @property
    def config(self):
        return self.result.config

    @property
    def status(self):
        r = self.result
        if r.diverged:
            return f"diverged at epoch {r.diverged_epoch}"
        if r.stopped_early:
            return f"stopped at epoch {r.epochs_run}"
        return "uploaded" if self.source == "uploaded" else "finished"

    def evaluation(self):
        """The run's test-split evaluation, computed once."""
        if self._evaluation is None:
            self._evaluation = analysis.evaluate(self.result)
        return self._evaluation


class _Session:
    """The session's runs and pending selection, kept as one object in ``st.session_state``.

    Changes mutate this object in place and never assign to ``st.session_state``: they must also
    work right after Streamlit has interrupted the script (a Stop click), when any Streamlit call,
    an assignment to session state included, raises again.
    """

    def __init__(self):
        self.runs = []
        self.select_next = None
        self.idle = threading.Event()  # cleared while this session trains
        self.idle.set()


def current():
    """This session's store of runs (pass it to ``add`` when Streamlit calls may raise)."""
    return _session()


def _session():
    session = st.session_state.get("session_runs")
    if session is None:
        session = st.session_state["session_runs"] = _Session()
    return session


@contextmanager
def training(session):
    """Mark ``session`` as training for the duration of the block (see ``wait_for_training``)."""
    session.idle.clear()
    try:
        yield
    finally:
        session.idle.set()


def wait_for_training(timeout=60.0):
    """Wait until a training of this session that was interrupted has stored its run.

    With Streamlit's fast reruns, a click during training starts the new script run at once while
    the interrupted one is still finishing its epoch; waiting here lets the new run show that run.
    """
    _session().idle.wait(timeout)


def _store():
    return _session().runs


def all_runs():
    """The session's runs, oldest first."""
    return list(_store())


def get(name):
    return next((run for run in _store() if run.name == name), None)


def add(result, source="trained", session=None):
    """Add a run (or return the existing one with the same settings) and select it.

    ``session`` (from ``current()``) is needed after an interruption, when even reading
    ``st.session_state`` raises. Returns (run, notice): notice says which run was dropped to stay
    within MAX_RUNS, or None.
    """
    session = session or _session()
    store, notice = session.runs, None
    run = next((r for r in store if r.name == result.config.name), None)
    if run is None:
        run = Run(result, source)
        store.append(run)
        while len(store) > MAX_RUNS:
            victim = next((r for r in store if not r.pinned and r is not run), None)
            if victim is None:
                break
            store.remove(victim)
            notice = (f"Dropped the oldest run, {victim.name}: a session keeps at most {MAX_RUNS} runs. "
                      "Pin runs on the Compare page to keep them.")
    session.select_next = run.name
    return run, notice


def remove(names):
    """Delete the runs with these names; the selection moves to the newest remaining run."""
    store = _store()
    store[:] = [run for run in store if run.name not in set(names)]
    if st.session_state.get("selected_run") in set(names):
        select(store[-1].name if store else None)


def select(name):
    """Make ``name`` the selected run (applied before the selector widget is drawn)."""
    _session().select_next = name


def take_pending_selection():
    """The run name ``select`` asked for since the selector was last drawn (once), or None."""
    session = _session()
    name, session.select_next = session.select_next, None
    return name


def selected():
    """The selected Run, or None when the session has no runs."""
    name = st.session_state.get("selected_run")
    run = get(name) if name else None
    store = _store()
    return run or (store[-1] if store else None)
