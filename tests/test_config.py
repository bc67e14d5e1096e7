"""nncore.config: TrainConfig validation and its lenient form for URLs."""

import math
from dataclasses import fields

import pytest

from nncore import BOUNDS, ConfigError, TrainConfig


@pytest.mark.parametrize("setting, value", [
    ("epochs", 0), ("epochs", -1), ("epochs", 10**9), ("epochs", 2.5), ("hidden", 0), ("hidden", 10**7),
    ("lr", 0.0), ("lr", -0.1), ("lr", math.nan), ("lr", math.inf), ("batch", 0), ("seed", -1),
    ("val_share", 0.0), ("val_share", 0.9), ("epochs", "30"), ("hidden", True), ("lr", None),
])
def test_out_of_range_or_wrong_type_is_refused_naming_the_setting(setting, value):
    with pytest.raises(ConfigError, match=setting):
        TrainConfig(**{setting: value})


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
        TrainConfig.from_dict({"epochs": 3, "dropout": 0.5})


def test_clamped_parses_text_clamps_and_says_what_it_changed():
    config, notes = TrainConfig.clamped({"epochs": "1000000000", "hidden": "abc", "lr": "nan", "batch": "-5"})
    assert config.epochs == 500 and config.hidden == 64 and config.lr == 0.1 and config.batch == 1
    assert len(notes) == 4 and any("hidden" in n for n in notes)


@pytest.mark.parametrize("setting, value", [("activation", "softplus"), ("optimizer", "rmsprop"),
                                            ("schedule", "linear"), ("activation", 3), ("momentum", 1.0),
                                            ("l2", -0.1), ("patience", -1)])
def test_choices_and_new_ranges_are_checked_naming_the_setting(setting, value):
    with pytest.raises(ConfigError, match=setting):
        TrainConfig(**{setting: value})


def test_every_setting_has_bounds_and_help_and_a_name_part_when_it_differs():
    from nncore import BOUNDS

    assert set(BOUNDS) == set(TrainConfig().to_dict())
    assert all(setting.help for setting in BOUNDS.values())
    changed = TrainConfig(activation="tanh", optimizer="adam", l2=0.001, schedule="cosine", patience=5)
    assert changed.name == "h64 lr0.1 b64 e30 s0 tanh adam l2=0.001 cosine patience5"
    assert TrainConfig(optimizer="momentum", momentum=0.5).name.endswith("momentum0.5")


def test_allowed_values_are_written_as_people_write_numbers():
    from nncore import BOUNDS

    assert BOUNDS["lr"].allowed() == "0.00001 to 100"
    assert BOUNDS["activation"].allowed() == "relu, leaky_relu, tanh, sigmoid"


def test_a_long_bad_value_is_cut_short_in_the_message():
    with pytest.raises(ConfigError) as caught:
        TrainConfig(epochs=10**308)
    assert len(str(caught.value)) < 200


def test_clamped_takes_known_choices_and_ignores_others_with_a_note():
    config, notes = TrainConfig.clamped({"activation": "tanh", "optimizer": "bogus"})
    assert config.activation == "tanh" and config.optimizer == "sgd"
    assert notes == ["ignored optimizer='bogus': not one of sgd, momentum, adam"]


def test_lr_advice_names_a_learning_rate_too_large_for_the_optimizer_and_its_usual_range():
    from nncore.config import lr_advice
    advice = lr_advice("adam", 0.1)
    assert "10× the top" in advice and "Adam" in advice and "0.001-0.01" in advice
    assert lr_advice("sgd", 0.1) is None and lr_advice("adam", 0.003) is None
    assert "slow" in lr_advice("sgd", 0.001)


@pytest.mark.parametrize("setting, low, high, below, above", [
    ("train_share", 0.05, 1.0, 0.049, 1.001), ("label_noise", 0.0, 0.5, -0.001, 0.501)])
def test_train_share_and_label_noise_take_their_range_and_nothing_beyond(setting, low, high, below, above):
    assert getattr(TrainConfig(**{setting: low}), setting) == low
    assert getattr(TrainConfig(**{setting: high}), setting) == high
    for value in (below, above):
        with pytest.raises(ConfigError, match=setting):
            TrainConfig(**{setting: value})


def test_scaling_is_one_of_its_three_choices_and_standardize_by_default():
    assert TrainConfig().scaling == "standardize"
    assert {TrainConfig(scaling=s).scaling for s in ("standardize", "divide", "none")} == {"standardize", "divide",
                                                                                         "none"}
    with pytest.raises(ConfigError, match="scaling"):
        TrainConfig(scaling="minmax")


def test_the_new_settings_are_in_the_name_and_the_command_only_when_they_differ():
    changed = TrainConfig(scaling="none", train_share=0.25, label_noise=0.3)
    assert changed.name == "h64 lr0.1 b64 e30 s0 scaling=none train0.25 noise0.3"
    assert changed.command() == "python main.py --scaling none --train-share 0.25 --label-noise 0.3"
    assert TrainConfig().name == "h64 lr0.1 b64 e30 s0"
    assert TrainConfig.from_dict({"epochs": 30}) == TrainConfig()  # a record from before they existed


@pytest.mark.parametrize("optimizer, low, high", [("sgd", 0.05, 1.0), ("momentum", 0.005, 0.1),
                                                  ("adam", 0.001, 0.01)])
def test_lr_advice_is_silent_on_the_measured_range_and_speaks_just_outside_it(optimizer, low, high):
    from nncore.config import lr_advice
    assert lr_advice(optimizer, low) is None and lr_advice(optimizer, high) is None
    assert "slow" in lr_advice(optimizer, low * 0.99)
    assert "usually learns well" in lr_advice(optimizer, high * 1.01)


def test_every_setting_has_its_label_help_words_and_a_name_for_each_choice():
    for f in fields(TrainConfig):
        setting = BOUNDS[f.name]
        assert setting.label and setting.label[0].isupper(), f.name
        assert setting.help, f.name
        assert setting.describe(getattr(TrainConfig(), f.name)), f.name
        assert set(setting.choice_names) == set(setting.choices), f.name
        assert all(setting.choice_names[choice] for choice in setting.choices), f.name
    assert len({setting.label for setting in BOUNDS.values()}) == len(BOUNDS), "two settings share a label"
    from nncore.lab.glossary import GLOSSARY
    assert all(setting.term in GLOSSARY for setting in BOUNDS.values() if setting.term)


def test_a_runs_label_says_in_words_what_differs_from_the_defaults():
    assert TrainConfig().describe() == "default settings"
    assert TrainConfig(lr=1, optimizer="adam").describe() == "learning rate 1, Adam"
    assert TrainConfig(hidden=128, lr=0.00001).describe() == "128 hidden units, learning rate 0.00001"
    assert TrainConfig(val_share=0.125, label_noise=0.1).describe() == "12.5% validation, 10% of training labels wrong"
    assert TrainConfig(scaling="none", activation="leaky_relu").describe() == "leaky ReLU units, raw pixels (0-16)"
    # a setting back at its default says nothing; one just off it says its value
    assert TrainConfig(seed=0, epochs=30).describe() == "default settings"
    assert TrainConfig(seed=1, epochs=31).describe() == "31 epochs, seed 1"


def test_momentum_the_optimizer_does_not_use_is_said_so_and_two_configs_never_share_a_label():
    assert TrainConfig(optimizer="momentum", momentum=0.5).describe() == "SGD with momentum, momentum 0.5"
    assert TrainConfig(momentum=0.5).describe() == "momentum 0.5 (unused by SGD)"
    configs = [TrainConfig(**{name: value}) for name, values in (
        ("lr", (0.1, 0.05, 1)), ("momentum", (0.9, 0.5)), ("val_share", (0.2, 0.125, 0.13)),
        ("optimizer", ("sgd", "momentum", "adam")), ("scaling", ("standardize", "divide", "none")),
        ("schedule", ("constant", "step", "cosine")), ("seed", (0, 1, 10))) for value in values]
    assert len({c.describe() for c in configs}) == len(set(configs))


def test_the_short_code_stays_the_name():
    assert TrainConfig(lr=1, optimizer="adam").name == "h64 lr1 b64 e30 s0 adam"


@pytest.mark.parametrize("text, hidden", [("128", 128), (" 128 ", 128), ("1.28e2", 128), ("+128.", 128),
                                          (".5e3", 500)])
def test_clamped_reads_a_number_written_in_ascii(text, hidden):
    assert TrainConfig.clamped({"hidden": text}) == (TrainConfig(hidden=hidden), [])


@pytest.mark.parametrize("text", ["１２８", "١٢٨", "1_28", "128abc", "0x80", "", "e5", "inf", "nan"])
def test_clamped_ignores_what_is_not_an_ascii_number_and_says_so(text):
    config, notes = TrainConfig.clamped({"hidden": text})
    assert config == TrainConfig() and len(notes) == 1 and notes[0].startswith("ignored hidden=")
