"""Values computed from a trained run, kept as long as the run lives: replay frames, projections.

A TrainResult is neither hashable nor cheap to hash, and a run's name does not pin its weights
(an uploaded file may carry any weights under a config's name), so ``st.cache_data`` keyed by
name could show one session another's numbers. Instead each result object gets its own small
least-recently-used store, dropped when the result itself is garbage collected.
"""

import threading
import weakref
from collections import OrderedDict

MAX_VALUES = 256  # per run: a 500-epoch replay keeps its last 256 frames of each kind

_lock = threading.Lock()
_stores = {}  # id(result) -> OrderedDict(key -> value)


def _forget(ident):
    with _lock:
        _stores.pop(ident, None)


def per_result(result, key, compute):
    """``compute()`` for ``result`` and the hashable ``key``, computed once while ``result`` lives
    (the last MAX_VALUES keys per result are kept)."""
    ident = id(result)
    with _lock:
        store = _stores.get(ident)
        if store is None:
            store = _stores[ident] = OrderedDict()
            weakref.finalize(result, _forget, ident)
        if key in store:
            store.move_to_end(key)
            return store[key]
    value = compute()  # outside the lock: sessions computing other values need not wait
    with _lock:
        store[key] = value
        while len(store) > MAX_VALUES:
            store.popitem(last=False)
    return value


def size():
    """(runs with stored values, values stored): for tests and benchmarks."""
    with _lock:
        return len(_stores), sum(len(store) for store in _stores.values())
