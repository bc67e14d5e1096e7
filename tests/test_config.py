"""nncore.config: TrainConfig validation and its lenient form for URLs."""

import math

import pytest

from nncore import ConfigError, TrainConfig


def test_defaults_are_the_original_projects():
    c = TrainConfig()
    assert (c.epochs, c.hidden, c.lr, c.batch, c.seed, c.val_share) == (30, 64, 0.1, 64, 0, 0.2)


@pytest.mark.parametrize("setting, value", [
    ("epochs", 0), ("epochs", -1), ("epochs", 10**9), ("epochs", 2.5), ("hidden", 0), ("hidden", 10**7),
    ("lr", 0.0), ("lr", -0.1), ("lr", math.nan), ("lr", math.inf), ("batch", 0), ("seed", -1),
    ("val_share", 0.0), ("val_share", 0.9), ("epochs", "30"), ("hidden", True), ("lr", None),
])
def test_out_of_range_or_wrong_type_is_refused_naming_the_setting(setting, value):
    with pytest.raises(ConfigError, match=setting):
        TrainConfig(**{setting: value})


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_config_is_frozen_hashable_and_named_by_its_settings():
    a, b = TrainConfig(hidden=32), TrainConfig(hidden=32)
    assert a == b and hash(a) == hash(b)
    assert "h32" in a.name and "lr0.1" in a.name
    with pytest.raises(AttributeError):
        a.hidden = 5


def test_round_trip_through_a_dict():
    c = TrainConfig(epochs=5, hidden=16, lr=0.5, batch=8, seed=3, val_share=0.25)
    assert TrainConfig.from_dict(c.to_dict()) == c


def test_unknown_keys_are_refused():
    with pytest.raises(ConfigError, match="unknown"):
        TrainConfig.from_dict({"epochs": 3, "momentum": 0.9})


def test_clamped_parses_text_clamps_and_says_what_it_changed():
    config, notes = TrainConfig.clamped({"epochs": "1000000000", "hidden": "abc", "lr": "nan", "batch": "-5"})
    assert config.epochs == 500 and config.hidden == 64 and config.lr == 0.1 and config.batch == 1
    assert len(notes) == 4 and any("hidden" in n for n in notes)
