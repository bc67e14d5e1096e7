"""Training from the app: a cache shared by all sessions, and live progress while training.

The cache holds one slot per config (``st.cache_resource``, bounded in entries) and the runs in
the slots are bounded in bytes too (``CACHE_BYTES``: a run of 5 averaged 2048-unit networks is
~3 MB, so entries alone would allow ~200 MB): beyond it the least recently used runs are let go
and would be trained again (identically) when asked for. Training happens outside the cached function,
so no Streamlit element is recorded into the cache, and a slot's lock keeps two sessions from
training the same config at once. A click anywhere while training (the Stop button, or any
widget) interrupts the script: the run stops after its current epoch and is kept, named by the
epochs it finished (training that config gives the identical run). A session that disconnects
stops the same way, so no training outlives its session.
"""

import dataclasses
import threading
import time
from collections import OrderedDict

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

import nncore

from . import figures
from .links import config_token

CACHE_ENTRIES = 64
CACHE_BYTES = 48 * 2**20
REDRAW_SECONDS = 0.25


class _Slot:
    def __init__(self):
        self.lock = threading.Lock()
        self.result = None


class ByteBudget:
    """The slots holding a run, least recently used first, with the bytes of their weights;
    keeps the total under ``limit`` by emptying the oldest slots (the newest always stays)."""

    def __init__(self, limit):
        self.limit = limit
        self.lock = threading.Lock()
        self.slots = OrderedDict()  # slot -> bytes

    @staticmethod
    def size(result):
        return sum(array.nbytes for model in result.models for array in model.parameters().values())

    def keep(self, slot, result):
        with self.lock:
            slot.result = result
            self.slots[slot] = self.size(result)
            self.slots.move_to_end(slot)
            while sum(self.slots.values()) > self.limit and len(self.slots) > 1:
                oldest, _ = self.slots.popitem(last=False)
                oldest.result = None

    def used(self, slot):
        with self.lock:
            if slot in self.slots:
                self.slots.move_to_end(slot)

    @property
    def total(self):
        return sum(self.slots.values())


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _slot(token):
    return _Slot()


@st.cache_resource(show_spinner=False)
def _budget():
    return ByteBudget(CACHE_BYTES)


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
    slot, budget = _slot(config_token(config)), _budget()
    result = slot.result
    if result is not None:
        budget.used(slot)
        return result, None
    with slot.lock:
        result = slot.result  # read once: the budget may empty the slot meanwhile
        if result is not None:
            return result, None
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
            budget.keep(slot, result)
    if interruption is None:  # after an interruption any Streamlit call would raise it again
        area.empty()
    return result, interruption


def store(config, result):
    """Put ``result``, the run of ``config`` trained elsewhere (a sweep's cell), into the shared
    cache as ``train`` would have; returns the cached run of ``config`` (an earlier, identical one
    when it was there already). Draws nothing, so it may be called after an interruption."""
    slot, budget = _slot(config_token(config)), _budget()
    with slot.lock:
        cached = slot.result  # read once: the budget may empty the slot meanwhile
        if cached is None:
            budget.keep(slot, result)
            return result
        budget.used(slot)
        return cached
