"""Training from the app: a cache shared by all sessions, and live progress while training.

The cache holds one slot per config (``st.cache_resource``, bounded in entries; a run is at most
a few hundred kB, so the cache stays under ~40 MB). Training happens outside the cached function,
so no Streamlit element is recorded into the cache, and a slot's lock keeps two sessions from
training the same config at once. A click anywhere while training (the Stop button, or any
widget) interrupts the script: the run stops after its current epoch and is kept, named by the
epochs it finished (training that config gives the identical run). A session that disconnects
stops the same way, so no training outlives its session.
"""

import dataclasses
import threading
import time

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

import nncore

from . import figures
from .links import config_token

CACHE_ENTRIES = 64
REDRAW_SECONDS = 0.25


class _Slot:
    def __init__(self):
        self.lock = threading.Lock()
        self.result = None


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _slot(token):
    return _Slot()


class _LiveView:
    """Progress bar, figures and live curves of one training, drawn into ``area``."""

    def __init__(self, area, config, label):
        self.config = config
        self.history = {key: [] for key in nncore.training.HISTORY_KEYS}
        self.drawn_at = 0.0
        with area.container(border=True):
            top = st.columns([5, 1], vertical_alignment="center")
            top[0].markdown(f"**{label}** `{config.name}`")
            top[1].button("Stop", key=f"stop-{config_token(config)}", help="Stop after the current epoch "
                          "and keep the run as it is")
            self.bar = st.progress(0.0, text="starting…")
            left, right = st.columns(2)
            self.loss_chart, self.acc_chart = left.empty(), right.empty()

    def update(self, stats):
        for key in self.history:
            self.history[key].append(getattr(stats, key))
        self.bar.progress(stats.epoch / stats.epochs, text=(
            f"epoch {stats.epoch}/{stats.epochs} · loss {stats.train_loss:.3f} · "
            f"validation accuracy {stats.val_acc:.1%}"))
        now = time.perf_counter()
        if now - self.drawn_at >= REDRAW_SECONDS or stats.epoch == stats.epochs:
            runs = [("live", self.history, 0)]
            self.loss_chart.plotly_chart(figures.training_curves(runs, "loss"))
            self.acc_chart.plotly_chart(figures.training_curves(runs, "accuracy"))
            self.drawn_at = time.perf_counter()


def train(config, area, label="Training"):
    """Train ``config`` (or take it from the cache), drawing live progress into ``area``.

    Returns (result, interruption): interruption is Streamlit's rerun/stop request that cut
    training short, or None. After an interruption the caller must make no Streamlit call (they
    would raise again) but store the run with ``runs.add`` and re-raise the interruption.
    """
    slot = _slot(config_token(config))
    if slot.result is not None:
        return slot.result, None
    with slot.lock:
        if slot.result is not None:
            return slot.result, None
        view = _LiveView(area, config, label)
        interruption = None

        def on_epoch(stats):
            nonlocal interruption
            try:
                view.update(stats)
            except (RerunException, StopException) as request:
                interruption = request
                return True
            return False

        result = nncore.train(config, callback=on_epoch)
        if result.stopped_early:  # it is the run of the epochs it finished: name it so
            result = dataclasses.replace(result, config=dataclasses.replace(config, epochs=result.epochs_run))
        else:
            slot.result = result
    if interruption is None:  # after an interruption any Streamlit call would raise it again
        area.empty()
    return result, interruption
