"""The session's runs: what one person trained, restored or uploaded, kept in ``st.session_state``.

A run is known by its key: its settings, plus where it was stopped (a run stopped at epoch 37
of 500 is not the 500-epoch run). Each run keeps one colour for as long as it lives, so it
looks the same on every chart. At most MAX_RUNS are kept per session: beyond that the oldest
unpinned run is dropped, with a notice. Training requests wait here until the trainer takes them.
"""

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import streamlit as st

from app.analysis import run as analysis
from app.server.memory import SESSION_BYTES, megabytes
from app.state.links import MAX_LINKED_RUNS, result_key, run_label, run_name

MAX_RUNS = MAX_LINKED_RUNS  # whatever a session holds, its link brings back
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
          "#bcbd22", "#393b79", "#ad494a")  # one per run a session holds: a link names a run's colour by its place


@dataclass(eq=False)
class Run:
    """One entry in the session's list: a trained nncore.TrainResult and where it came from."""

    result: object
    source: str = "trained"      # "trained", "uploaded", "link" or "sweep"
    pinned: bool = False
    color: str = COLORS[0]
    _evaluation: object = field(default=None, repr=False)

    @property
    def config(self):
        return self.result.config

    @property
    def key(self):
        """The run's identity: its settings' URL text, and where it was stopped if it was."""
        return result_key(self.result)

    @property
    def name(self):
        """The settings' short name, with the stop when there was one: 'h64 lr0.1 b64 e500 s0 · stopped at 37/500'."""
        return run_name(self.result.config, self.result.epochs_run if self.result.stopped_early else None)

    @property
    def label(self):
        """The run in words, by what differs from the defaults: 'learning rate 1, Adam'."""
        return run_label(self.result.config, self.result.epochs_run if self.result.stopped_early else None)

    def choice(self):
        """How a list of runs offers this one: its label, then its short code ('default settings (h64 lr0.1
        b64 e30 s0)'), so runs told apart by the code read in words too."""
        return f"{self.label} ({self.name})"

    @property
    def status(self):
        r = self.result
        if r.diverged:
            return f"diverged at epoch {r.diverged_epoch}"
        if r.stopped_early:
            return f"stopped at {r.epochs_run}/{r.config.epochs}"
        if r.ended == "early stopping":
            return f"early stopping at {r.epochs_run}/{r.config.epochs}"
        return "uploaded" if self.source == "uploaded" else "finished"

    def evaluation(self):
        """The run's test-split evaluation, computed once."""
        if self._evaluation is None:
            self._evaluation = analysis.evaluate(self.result)
        return self._evaluation


@dataclass(frozen=True)
class Request:
    """A training this session asked for: the settings, where to stop (None: the whole run), why
    ("trained", "link"), whether the person confirmed it after seeing its cost, and the colour a
    link gave it (a place in COLORS, or None)."""

    config: object
    stop_at: int = None
    source: str = "trained"
    confirmed: bool = False
    color: int = None


class _Session:
    """The session's runs, pending requests and selection, kept as one object in session state.

    Changes mutate this object in place and never assign to ``st.session_state``: they must also
    work right after Streamlit has interrupted the script (a Stop click), when any Streamlit call,
    an assignment to session state included, raises again.
    """

    def __init__(self):
        self.runs = []
        self.requests = []
        self.select_next = None
        self.deleted = None            # (run, position) of the last deletion, for Undo
        self.cancel = False            # Stop was pressed: drop the pending requests
        self.idle = threading.Event()  # cleared while this session trains
        self.idle.set()

    def get(self, key):
        return next((run for run in self.runs if run.key == key), None)

    def bytes(self):
        """Memory the session's runs hold (``TrainResult.nbytes``), each counted once."""
        return sum(run.result.nbytes() for run in self.runs)

    def add(self, result, source="trained", color=None):
        """Add a run (or return the one with the same key) and select it; ``color`` (a place in
        COLORS) is the colour it had before a reload, kept when no other run has it. Returns (run,
        notice): notice says which runs were dropped to stay within MAX_RUNS runs and SESSION_BYTES
        of them, or why the run itself was not kept (the pinned runs fill the budget: run is None)."""
        run, notice = self.get(result_key(result)), None
        if run is None:
            run = Run(result, source)
            self.runs.append(run)
            dropped = []
            while len(self.runs) > MAX_RUNS or self.bytes() > SESSION_BYTES:
                victim = next((r for r in self.runs if not r.pinned and r is not run), None)
                if victim is None:
                    break
                self.runs.remove(victim)
                dropped.append(victim.name)
            # its colour once the dropped runs have freed theirs: no two runs share one
            free = [c for c in COLORS if c not in {r.color for r in self.runs if r is not run}]
            wanted = COLORS[color] if color is not None and 0 <= color < len(COLORS) else None
            run.color = wanted if wanted in free else (free or [COLORS[len(self.runs) % len(COLORS)]])[0]
            if dropped:
                notice = (f"Dropped the oldest run{'s' * (len(dropped) > 1)}, {', '.join(dropped)}: a session keeps "
                          f"at most {MAX_RUNS} runs and {megabytes(SESSION_BYTES)} of them. Pin runs on the "
                          "Compare page to keep them.")
            if self.bytes() > SESSION_BYTES and len(self.runs) > 1:  # the pinned runs fill the budget
                self.runs.remove(run)
                return None, (f"Not kept: {run.name} ({megabytes(result.nbytes())}): your pinned runs hold "
                              f"{megabytes(self.bytes())} of a session's {megabytes(SESSION_BYTES)}. Unpin some "
                              "on the Compare page.")
        self.select_next = run.key
        return run, notice

    def renew(self, key):
        """Make the run with ``key`` the newest, so that it is the last one dropped to stay within
        MAX_RUNS (a lesson keeps the runs it reads this way). Returns the run or None."""
        run = self.get(key)
        if run is not None:
            self.runs.remove(run)
            self.runs.append(run)
        return run

    def request(self, config, stop_at=None, source="trained", confirmed=False, color=None):
        """Ask for a training (once per settings and stop)."""
        wanted = Request(config, stop_at, source, confirmed, color)
        self.requests = [r for r in self.requests if (r.config, r.stop_at) != (config, stop_at)] + [wanted]


def current():
    """This session's store of runs (keep it at hand where Streamlit calls may raise)."""
    session = st.session_state.get("session_runs")
    if session is None:
        session = st.session_state["session_runs"] = _Session()
    return session


@contextmanager
def training(session):
    """Mark ``session`` as training for the block: a script run started by a click meanwhile waits
    (``_Session.idle``) until the interrupted one has stored what it trained."""
    session.idle.clear()
    try:
        yield
    finally:
        session.idle.set()


def all_runs():
    """The session's runs, oldest first."""
    return list(current().runs)


def get(key):
    """The run with this key (or this name), or None."""
    session = current()
    return session.get(key) or next((run for run in session.runs if run.name == key), None)


def add(result, source="trained"):
    """Add a run to this session and select it; see _Session.add."""
    return current().add(result, source)


def remove(key):
    """Delete a run (pinned runs are kept: unpin first); Undo brings it back. Returns the run or None."""
    session = current()
    run = session.get(key)
    if run is None or run.pinned:
        return None
    session.deleted = (run, session.runs.index(run))
    session.runs.remove(run)
    if st.session_state.get("selected_run") in (key, run.name):
        select(session.runs[-1].key if session.runs else None)
    return run


def undo_delete():
    """Put the last deleted run back where it was."""
    session = current()
    if session.deleted is not None:
        run, position = session.deleted
        session.deleted = None
        if session.get(run.key) is None:
            session.runs.insert(min(position, len(session.runs)), run)
        select(run.key)


def select(key):
    """Make the run with ``key`` the selected one (applied before the selector is drawn)."""
    current().select_next = key


def take_pending_selection():
    """The key ``select`` asked for since the selector was last drawn (once), or None."""
    session = current()
    key, session.select_next = session.select_next, None
    return key


def selected():
    """The selected Run, or None when the session has no runs."""
    run = get(st.session_state.get("selected_run"))
    return run or (current().runs[-1] if current().runs else None)
