"""The app's training cache: bounded in bytes as well as entries (app/trainer.py)."""

from app.trainer import ByteBudget, _Slot
from nncore import TrainConfig, train


def test_the_cache_lets_go_of_the_least_recently_used_runs_beyond_its_bytes():
    small = train(TrainConfig(epochs=1, hidden=16))
    size = ByteBudget.size(small)
    assert size == (64 * 16 + 16 + 16 * 10 + 10) * 4  # float32 weights
    budget = ByteBudget(limit=3 * size)
    slots = [_Slot() for _ in range(4)]
    for slot in slots[:3]:
        budget.keep(slot, small)
    budget.used(slots[0])            # the first is used again: the second is now the oldest
    budget.keep(slots[3], small)
    assert [slot.result is not None for slot in slots] == [True, False, True, True]
    assert budget.total == 3 * size


def test_an_ensemble_counts_all_its_networks_and_the_newest_run_always_stays():
    ensemble = train(TrainConfig(epochs=1, hidden=16, ensemble=3))
    assert ByteBudget.size(ensemble) == 3 * ByteBudget.size(train(TrainConfig(epochs=1, hidden=16)))
    budget = ByteBudget(limit=1)     # smaller than any run
    first, second = _Slot(), _Slot()
    budget.keep(first, ensemble)
    budget.keep(second, ensemble)
    assert first.result is None and second.result is ensemble
