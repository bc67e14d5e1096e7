"""app.server.cache: the shared cache holds both its bounds, and its memory levels off."""

import gc
import tracemalloc

import numpy as np

import nncore
from app.server.cache import RunCache
from nncore import TrainConfig, train


def test_the_cache_lets_go_of_the_least_recently_used_runs_beyond_its_bytes():
    small = train(TrainConfig(epochs=1, hidden=16))
    size = small.nbytes()
    cache = RunCache(entries=64, limit=3 * size)
    for key in "abc":
        cache.put(key, small)
    cache.get("a")                  # used again: "b" is now the oldest
    cache.put("d", small)
    assert [cache.get(k) is not None for k in "abcd"] == [True, False, True, True]
    assert cache.bytes == 3 * size


def test_the_cache_keeps_at_most_its_entries_and_the_newest_run_always_stays():
    run = train(TrainConfig(epochs=1, hidden=16, ensemble=3))
    cache = RunCache(entries=2, limit=1)   # smaller than any run
    cache.put("first", run)
    cache.put("second", run)
    assert cache.get("first") is None and cache.get("second") is run and len(cache) == 1
    cache = RunCache(entries=2, limit=10**9)
    for key in ("a", "b", "c"):
        cache.put(key, run)
    assert len(cache) == 2 and cache.get("a") is None


def test_a_runs_size_counts_its_snapshots_and_history_not_only_its_weights():
    run = train(TrainConfig(epochs=5, hidden=16))
    weights = sum(p.nbytes for p in run.model.parameters().values())
    assert run.nbytes() >= weights * (1 + len(run.snapshots))


def test_training_records_go_when_their_last_user_is_done():
    cache = RunCache(entries=4, limit=10**9)
    first, second = cache.training("k"), cache.training("k")
    assert first is second and cache.in_training() == 1
    cache.release("k")
    assert cache.in_training() == 1
    cache.release("k")
    assert cache.in_training() == 0


def test_memory_levels_off_over_hundreds_of_distinct_trainings():
    """The cache's memory stays within its limit however many distinct trainings pass through it."""
    cache = RunCache(entries=64, limit=2 * 2**20)
    nncore.train(TrainConfig(epochs=1, hidden=4))  # first-use allocations (data, splits) before measuring
    tracemalloc.start()
    sizes = []
    for i in range(300):
        config = TrainConfig(epochs=2, hidden=8 + i % 50, seed=i)
        cache.put(str(config), nncore.train(config))
        if i % 100 == 99:
            gc.collect()
            sizes.append(tracemalloc.get_traced_memory()[0])
    tracemalloc.stop()
    assert cache.bytes <= 2 * 2**20 and len(cache) <= 64
    growth = np.diff(sizes)
    assert growth[-1] < 0.25 * sizes[0] + 2**20, sizes  # the last hundred trainings added (almost) nothing
