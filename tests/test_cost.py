"""nncore.lab.cost: a run's estimated seconds, and the settings it refuses."""

import pytest

from nncore import ConfigError, TrainConfig, estimate_seconds


def test_an_estimate_takes_a_trainconfig_and_refuses_anything_else_with_the_librarys_error():
    assert estimate_seconds(TrainConfig(epochs=1)) > 0
    with pytest.raises(ConfigError, match="takes a TrainConfig, got dict"):
        estimate_seconds({"epochs": 1})
