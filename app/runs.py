"""The session's runs: what one person trained or uploaded, kept in ``st.session_state``.

Runs are named by their settings (one run per config); the newest is selected. At most
MAX_RUNS are kept per session: beyond that the oldest unpinned run is dropped, with a notice.
"""

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


def _store():
    return st.session_state.setdefault("runs", [])


def all_runs():
    """The session's runs, oldest first."""
    return list(_store())


def get(name):
    return next((run for run in _store() if run.name == name), None)


def add(result, source="trained"):
    """Add a run (or return the existing one with the same settings) and select it.

    Returns (run, notice): notice says which run was dropped to stay within MAX_RUNS, or None.
    """
    store, notice = _store(), None
    run = get(result.config.name)
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
    select(run.name)
    return run, notice


def remove(names):
    """Delete the runs with these names; the selection moves to the newest remaining run."""
    store = _store()
    store[:] = [run for run in store if run.name not in set(names)]
    if st.session_state.get("selected_run") in set(names):
        select(store[-1].name if store else None)


def select(name):
    """Make ``name`` the selected run (applied before the selector widget is drawn)."""
    st.session_state["select_next"] = name


def selected():
    """The selected Run, or None when the session has no runs."""
    name = st.session_state.get("selected_run")
    run = get(name) if name else None
    store = _store()
    return run or (store[-1] if store else None)
