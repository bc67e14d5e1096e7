"""Finished runs shared by every session of the server, by key, with both bounds held.

The cache keeps at most ``entries`` runs and ``limit`` bytes of them (a run's size is
``TrainResult.nbytes()``: weights, snapshots, history), letting go of the least recently used
first; the newest run always stays. A run in training is not in the cache: its key has a
``Training`` record instead (a lock, so that two sessions never train the same run at once, and
its progress, so that a session waiting for it can say how far it is). Records go when their
training ends and nobody waits for them, so nothing grows without bound.
"""

import threading
from collections import OrderedDict


class Training:
    """A run being trained: the lock its trainer holds, its progress, and how many wait for it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.epoch, self.epochs = 0, 0
        self.users = 0


class RunCache:
    """Finished runs by key, at most ``entries`` of them and ``limit`` bytes, least recently used
    out first; and the ``Training`` record of each key being trained."""

    def __init__(self, entries, limit):
        self.entries, self.limit = entries, limit
        self._lock = threading.Lock()
        self._runs = OrderedDict()      # key -> (result, bytes), least recently used first
        self._training = {}             # key -> Training

    def get(self, key):
        """The finished run of ``key`` (marked as just used), or None."""
        with self._lock:
            if key not in self._runs:
                return None
            self._runs.move_to_end(key)
            return self._runs[key][0]

    def put(self, key, result):
        """Keep ``result`` under ``key``; older runs go while either bound is exceeded."""
        with self._lock:
            self._runs[key] = (result, result.nbytes())
            self._runs.move_to_end(key)
            while len(self._runs) > 1 and (len(self._runs) > self.entries or self.bytes > self.limit):
                self._runs.popitem(last=False)

    @property
    def bytes(self):
        return sum(size for _, size in self._runs.values())

    def __len__(self):
        return len(self._runs)

    def training(self, key):
        """The Training record of ``key`` (made when missing); pair with ``release``."""
        with self._lock:
            record = self._training.setdefault(key, Training())
            record.users += 1
            return record

    def release(self, key):
        """One user of ``key``'s Training record is done; the record goes with its last user."""
        with self._lock:
            record = self._training.get(key)
            if record is not None:
                record.users -= 1
                if record.users <= 0:
                    del self._training[key]

    def in_training(self):
        """How many keys have a Training record (trainings running or awaited)."""
        with self._lock:
            return len(self._training)
