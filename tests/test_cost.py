"""nncore/lab/cost.py: a run's seconds known before it starts, from a model of one step fitted to a
few measured steps; a non-TrainConfig refused with the library's error."""

import math

import pytest

import nncore
import nncore.model
from nncore import ConfigError, TrainConfig, estimate_seconds
from nncore.lab import cost
from nncore.lab.sweep import Axis, Sweep


def power_law(hidden, batch, activation, optimizer):
    """A step whose seconds grow in proportion to its rows and units, as a large one's do."""
    return 1e-9 * hidden * batch


class Counted:
    """A measure that counts its calls, and a clock the test moves."""

    def __init__(self, measure=power_law):
        self.measure, self.calls, self.now = measure, 0, 0.0

    def __call__(self, hidden, batch, activation, optimizer):
        self.calls += 1
        return self.measure(hidden, batch, activation, optimizer)

    def clock(self):
        return self.now


def test_typing_a_grid_of_huge_sizes_measures_no_step_of_those_sizes(monkeypatch):
    """The Sweep page's estimate must not time a step of every new size typed: only the model's few
    sizes are ever measured, once."""
    forwarded = set()
    forward = nncore.model.MLP.forward

    def counted_forward(self, X, *args, **kwargs):
        forwarded.add(len(X))
        return forward(self, X, *args, **kwargs)

    monkeypatch.setattr(nncore.model.MLP, "forward", counted_forward)
    base = nncore.TrainConfig(epochs=1, augment=20)
    grid = Sweep(base, (Axis("hidden", (1900, 1930, 1960, 1990, 2020, 2048)),
                        Axis("batch", (3000, 3200, 3400, 3600, 3800, 4096))))
    estimate = grid.estimate(2)
    assert forwarded <= {16, 128, 1024}  # the model's grid at most (nothing if it was fitted before)
    assert all(seconds > 0 for seconds in estimate.per_cell)


def test_a_grid_of_huge_sizes_is_estimated_from_the_model_in_order_of_size(monkeypatch):
    """Fewer units and rows: fewer seconds. Timed by a measure that is the same on a busy machine
    (real steps under load can take any time; the ordering is the model's, not the CPU's)."""
    model = cost.StepModel(measure=Counted())
    monkeypatch.setitem(cost._models, ("relu", "sgd", cost.measured_step), model)
    base = nncore.TrainConfig(epochs=1, augment=20)
    grid = Sweep(base, (Axis("hidden", (1900, 1930, 1960, 1990, 2020, 2048)),
                        Axis("batch", (3000, 3200, 3400, 3600, 3800, 4096))))
    estimate = grid.estimate(2)
    assert model.measure.calls == len(cost.GRID) ** 2  # the grid once, no size typed
    # the same rows in both: seconds in proportion to the units, plus the same distortion seconds
    assert 1900 / 2048 <= estimate.per_cell[0] / estimate.per_cell[-1] < 1


def test_a_model_measures_its_grid_once_and_reads_any_size_off_it():
    measure = Counted()
    model = cost.StepModel(measure=measure, clock=measure.clock)
    for hidden, batch in ((64, 64), (50, 300), (2048, 4096), (1024, 16)):
        assert model(hidden, batch) == pytest.approx(power_law(hidden, batch, "relu", "sgd"), rel=1e-9)
    assert measure.calls == len(cost.GRID) ** 2


def test_beyond_its_grid_a_step_grows_at_most_in_proportion_and_never_shrinks():
    """Both sides of the slope kept within [0, 1] (log-log) outside the measured sizes."""
    steep = cost.StepModel(measure=lambda h, b, a, o: 1e-12 * (h * b) ** 1.5)
    top = max(cost.GRID)
    assert steep(2 * top, top) == pytest.approx(2 * steep(top, top), rel=1e-9)  # slope 1.5 kept at 1
    assert steep(top, top) == pytest.approx(1e-12 * (top * top) ** 1.5, rel=1e-9)  # inside: as measured
    falling = cost.StepModel(measure=lambda h, b, a, o: 1.0 / h)
    assert falling(4 * top, 64) == pytest.approx(falling(top, 64), rel=1e-9)  # slope -1 kept at 0
    gentle = cost.StepModel(measure=lambda h, b, a, o: 1e-6 * math.sqrt(h))
    assert gentle(4 * top, 64) == pytest.approx(2 * gentle(top, 64), rel=1e-9)  # slope 0.5 kept as it is


@pytest.mark.parametrize("age, measured_again", [(cost.MAX_AGE, False), (cost.MAX_AGE + 0.001, True)])
def test_a_fit_is_used_until_max_age_then_measured_again(age, measured_again):
    """Steps timed in a busy moment are not the server's timings for good: a fit is measured again
    once it is MAX_AGE old."""
    measure = Counted()
    model = cost.StepModel(measure=measure, clock=measure.clock)
    model(64, 64)
    measure.now = age
    model(100, 100)
    assert measure.calls == len(cost.GRID) ** 2 * (2 if measured_again else 1)


def test_steps_are_timed_in_the_threads_cpu_seconds(monkeypatch):
    """A wall clock counts the time other processes held the core; the thread's CPU
    clock does not. A wall clock that jumps a second mid-step changes nothing."""
    wall = iter(range(0, 1000))
    monkeypatch.setattr(cost.time, "perf_counter", lambda: float(next(wall)))
    assert cost.measured_step(16, 16) < 0.5


def test_the_server_keeps_one_model_per_activation_optimizer_and_measure():
    assert cost.step_model("tanh", "adam") is cost.step_model("tanh", "adam")
    assert cost.step_model("tanh", "adam") is not cost.step_model("relu", "adam")
    assert cost.step_model("tanh", "adam", power_law) is not cost.step_model("tanh", "adam")


def test_an_estimate_grows_with_epochs_networks_and_rows():
    one = nncore.estimate_seconds(nncore.TrainConfig(epochs=1, hidden=64))
    assert nncore.estimate_seconds(nncore.TrainConfig(epochs=3, hidden=64)) == pytest.approx(3 * one)
    assert nncore.estimate_seconds(nncore.TrainConfig(epochs=1, hidden=64, ensemble=2)) == pytest.approx(2 * one)
    assert nncore.estimate_seconds(nncore.TrainConfig(epochs=1, hidden=64, augment=2)) > 2 * one


def test_an_estimate_takes_a_trainconfig_and_refuses_anything_else_with_the_librarys_error():
    assert estimate_seconds(TrainConfig(epochs=1)) > 0
    with pytest.raises(ConfigError, match="takes a TrainConfig, got dict"):
        estimate_seconds({"epochs": 1})



def test_a_step_smaller_than_the_grid_costs_what_the_smallest_measured_step_does():
    """Below the grid a step's fixed cost dominates: a batch of 1 is not 16 times cheaper than a
    batch of 16 (an estimate that said so let an hour-long run of batch 1 start without asking)."""
    model = cost.StepModel(measure=power_law, grid=(16, 128, 1024))
    smallest = model(16, 16)
    assert model(16, 1) == pytest.approx(smallest) and model(1, 1) == pytest.approx(smallest)
    assert model(16, 17) > smallest  # just above the grid's start it grows again



@pytest.mark.parametrize("seconds, text", [(0.04, "0.04 s"), (0.4, "0.4 s"), (1, "1.0 s"), (9.94, "9.9 s"),
                                           (10, "10 s"), (59.4, "59 s"), (60, "1 min 0 s"), (569, "9 min 29 s"),
                                           (571, "10 min"), (3569, "59 min"), (3571, "1 h 0 min"),
                                           (7500, "2 h 5 min")])
def test_a_duration_is_written_as_a_person_reads_it_on_both_sides_of_each_step(seconds, text):
    assert cost.duration(seconds) == text
