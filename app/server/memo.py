"""Values computed from a trained run, kept as long as the run lives: replay frames, projections.

A TrainResult is neither hashable nor cheap to hash, and a run's name does not pin its weights
(an uploaded file may carry any weights under a config's name), so ``st.cache_data`` keyed by
name could show one session another's numbers. Instead each result object gets its own small
least-recently-used store, dropped when the result itself is garbage collected.
"""

import threading
import weakref
from collections import OrderedDict

MAX_VALUES = 256  # per run and kind of value: a 500-epoch replay keeps its last 256 frames

_lock = threading.Lock()
_stores = {}  # id(result) -> OrderedDict(key -> value)
_pending = {}  # (id(result), key) -> threading.Event set once the value being computed is stored


def _forget(ident):
    with _lock:
        _stores.pop(ident, None)


def per_result(result, key, compute, keep=MAX_VALUES):
    """``compute()`` for ``result`` and the hashable ``key``, computed once while ``result`` lives:
    a session asking while another computes the same value waits for it rather than computing it
    again (a t-SNE is seconds of CPU). ``key[0]`` names the kind of value: the last ``keep`` values
    of each kind are kept (pass a small ``keep`` for values of megabytes)."""
    ident = id(result)
    while True:
        with _lock:
            store = _stores.get(ident)
            if store is None:
                store = _stores[ident] = OrderedDict()
                weakref.finalize(result, _forget, ident)
            if key in store:
                store.move_to_end(key)
                return store[key]
            computing = _pending.get((ident, key))
            if computing is None:
                computing = _pending[(ident, key)] = threading.Event()
                break
        computing.wait()  # another session's compute(): then read its value (or compute, if it failed)
    try:
        value = compute()  # outside the lock: sessions computing other values need not wait
        with _lock:
            store[key] = value
            same = [k for k in store if k[0] == key[0]]  # oldest first
            for old in same[:max(0, len(same) - keep)]:
                del store[old]
        return value
    finally:
        with _lock:
            del _pending[(ident, key)]
        computing.set()


def size():
    """(runs with stored values, values stored): for tests and benchmarks."""
    with _lock:
        return len(_stores), sum(len(store) for store in _stores.values())
