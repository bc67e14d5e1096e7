"""NumPy's BLAS on one thread while a run trains: process-wide machinery, kept apart from the
training loop. Our matrices are small: a second BLAS thread only waits for a core, and on a busy
2-core machine that made training several times slower (bench/RESULTS.md). The command line,
the app's trainer and a sweep's cells train inside ``single_threaded_blas()``; ``nncore.train``
itself leaves the threads as it finds them.
"""

import sys
import threading
from contextlib import contextmanager
from functools import lru_cache

from threadpoolctl import ThreadpoolController

_limit_lock = threading.Lock()
_limit = {"users": 0, "limiter": None}


@lru_cache(maxsize=1)
def _loaded_blas(modules):
    return ThreadpoolController()


def _blas():
    """The BLAS libraries loaded now, found again only once more modules are imported: SciPy
    brings a BLAS of its own, and one found before it was loaded left t-SNE on every core."""
    return _loaded_blas(len(sys.modules))


@contextmanager
def single_threaded_blas():
    """NumPy's BLAS on one thread for the duration (see the module's docstring). The limit is
    process-wide, so overlapping trainings (app sessions) are counted and the threads
    come back when the last one ends."""
    with _limit_lock:
        if _limit["users"] == 0:
            _limit["limiter"] = _blas().limit(limits=1, user_api="blas")
        _limit["users"] += 1
    try:
        yield
    finally:
        with _limit_lock:
            _limit["users"] -= 1
            if _limit["users"] == 0:
                _limit["limiter"].restore_original_limits()
