"""app.links: settings and runs in the URL, read leniently."""

from app.links import MAX_LINKED_RUNS, config_from_token, config_token, from_params, to_params
from nncore import TrainConfig


def test_round_trip_of_settings_and_runs():
    settings = TrainConfig(hidden=128, lr=1e-5, seed=2**31 - 1)
    runs = [TrainConfig(), TrainConfig(hidden=16, val_share=0.3)]
    assert from_params(to_params(settings, runs)) == (settings, runs, [])


def test_default_config_token_is_short():
    assert config_token(TrainConfig()) == "default"
    assert config_token(TrainConfig(hidden=16)) == "hidden:16"
    assert config_from_token("hidden:16")[0] == TrainConfig(hidden=16)


def test_bad_values_are_clamped_or_ignored_with_notes():
    settings, runs, notes = from_params({"epochs": "1e9", "hidden": "-5", "lr": "nan", "seed": "x",
                                         "run": ["garbage", "bogus:1", "epochs:0"]})
    assert (settings.epochs, settings.hidden, settings.lr, settings.seed) == (500, 1, 0.1, 0)
    assert runs == [TrainConfig(epochs=1)]
    assert len(notes) == 7


def test_links_restore_a_bounded_number_of_runs():
    tokens = [f"seed:{s}" for s in range(MAX_LINKED_RUNS + 5)]
    _, runs, notes = from_params({"run": tokens})
    assert len(runs) == MAX_LINKED_RUNS and any("only the last" in n for n in notes)
