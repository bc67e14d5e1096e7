"""What runs may cost the server's memory: a session's runs within a byte budget, an uploaded
run's epoch snapshots within what a trained run keeps, and every session's uploads within one
shared budget.

A trained run is held once, by the shared cache and the sessions that show it, and keeps at most
``nncore.training.SNAPSHOT_BYTES`` of earlier epochs' weights. An uploaded file is another matter:
a 32 KB .npz of all-zero snapshots (hidden 2048, 5 networks, 3 epochs) passes every check of the
file and becomes a 24.7 MB run, held by that session alone. So an upload keeps its snapshots only
within the trained run's limit (the others are dropped, and the page says so), every session's
uploads together stay within ``UPLOAD_BYTES``, and each session's runs within ``SESSION_BYTES``
(app.state.runs drops its oldest unpinned runs beyond it, with a notice).
"""

import dataclasses
import threading
import weakref

import numpy as np
import streamlit as st

from nncore.training import SNAPSHOT_BYTES

SESSION_BYTES = 48 * 2**20  # a session's runs, all counted (a trained run is at most ~8 MB)
UPLOAD_BYTES = 128 * 2**20  # the runs every session uploaded, together


def megabytes(count):
    """'24.7 MB'."""
    return f"{count / 2**20:.1f} MB"


def thin_snapshots(result, limit=SNAPSHOT_BYTES):
    """(result, dropped): ``result`` (an nncore.TrainResult) with as many of its snapshots as fit
    in ``limit`` bytes, spread evenly over its epochs and the last one first; ``dropped`` is the
    list of epochs whose weights were let go (empty: the result is returned as it was)."""
    epochs = sorted(result.snapshots)
    if not epochs or result.snapshot_bytes() <= limit:
        return result, []
    per_epoch = result.snapshot_bytes() / len(epochs)
    fits = int(limit // per_epoch)
    if fits <= 0:
        kept = []
    elif fits == 1:
        kept = [epochs[-1]]
    else:
        kept = sorted({epochs[int(i)] for i in np.round(np.linspace(0, len(epochs) - 1, fits))})
    snapshots = {epoch: result.snapshots[epoch] for epoch in kept}
    return dataclasses.replace(result, snapshots=snapshots), [e for e in epochs if e not in snapshots]


class Ledger:
    """Bytes held by uploaded runs of every session, at most ``limit``: a run's bytes are counted
    from ``admit`` until the run object is gone (deleted, dropped, or its session ended)."""

    def __init__(self, limit):
        self.limit, self.held, self._lock = limit, 0, threading.Lock()

    def admit(self, holder, count):
        """Count ``count`` bytes for ``holder`` (any object that can be weakly referenced) if they
        fit within the limit; True when they did."""
        with self._lock:
            if self.held + count > self.limit:
                return False
            self.held += count
        weakref.finalize(holder, self._release, count)
        return True

    def _release(self, count):
        with self._lock:
            self.held -= count


@st.cache_resource(show_spinner=False)
def uploads():
    """The server's Ledger of uploaded runs."""
    return Ledger(UPLOAD_BYTES)
