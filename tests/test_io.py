"""nncore.io: saving and loading a run, and refusing every other kind of file."""

import io
import json

import numpy as np
import pytest

from nncore import FORMAT_VERSION, TrainConfig, WeightsFileError, digits, load, save, to_bytes, train


@pytest.fixture(scope="module")
def run():
    return train(TrainConfig(epochs=3, hidden=16, seed=1))


def arrays_of(run):
    with np.load(io.BytesIO(to_bytes(run))) as npz:
        return {k: npz[k] for k in npz.files}


def npz_bytes(arrays, **kwargs):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **kwargs)
    return buffer.getvalue()


def test_round_trip_predicts_exactly_like_the_saved_run(run, tmp_path):
    path = tmp_path / "run.npz"
    save(run, path)
    back = load(path)
    X, _ = digits()
    assert np.array_equal(back.predict_proba(X), run.predict_proba(X))
    assert back.config == run.config and back.history == run.history
    assert back.best_epoch == run.best_epoch and back.test_accuracy == run.test_accuracy


def test_load_accepts_bytes_and_file_objects(run):
    payload = to_bytes(run)
    assert load(payload).config == run.config
    assert load(io.BytesIO(payload)).config == run.config


def test_save_leaves_no_temporary_file(run, tmp_path):
    save(run, tmp_path / "a.npz")
    save(run, tmp_path / "a.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["a.npz"]


def mutated(run, **changes):
    arrays = arrays_of(run)
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    return npz_bytes(arrays)


@pytest.mark.parametrize("make, message", [
    (lambda r: b"", "not a saved run"),
    (lambda r: b"hello, this is text", "not a saved run"),
    (lambda r: to_bytes(r)[:300], "not a saved run"),
    (lambda r: mutated(r, W1=None), "missing.*W1"),
    (lambda r: mutated(r, extra=np.zeros(3)), "unexpected.*extra"),
    (lambda r: mutated(r, W1=np.zeros((64, 17))), "W1.*shape"),
    (lambda r: mutated(r, b2=np.zeros(11)), "b2.*shape"),
    (lambda r: mutated(r, W2=np.zeros((16, 10), dtype=np.int64)), "W2.*floating"),
    (lambda r: mutated(r, W1=np.full((64, 16), np.nan)), "W1.*NaN"),
    (lambda r: mutated(r, b1=np.full(16, np.inf)), "b1.*NaN or infinite"),
    (lambda r: mutated(r, format_version=np.array(FORMAT_VERSION + 1)), "newer"),
    (lambda r: mutated(r, config=np.array(json.dumps({"hidden": -4}))), "config"),
    (lambda r: mutated(r, config=np.array("{not json")), "config"),
    (lambda r: mutated(r, W1=np.array([object()], dtype=object)), "pickle"),
])
def test_every_other_file_is_refused_naming_the_problem(run, make, message):
    with pytest.raises(WeightsFileError, match=message):
        load(make(run))


def test_a_plain_npy_array_is_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))
    with pytest.raises(WeightsFileError, match="not a saved run"):
        load(buffer.getvalue())


def test_missing_path_is_refused(tmp_path):
    with pytest.raises(WeightsFileError, match="no such file"):
        load(tmp_path / "nope.npz")


def test_weights_file_error_is_a_value_error():
    assert issubclass(WeightsFileError, ValueError)


@pytest.fixture(scope="module")
def ensemble_run():
    return train(TrainConfig(epochs=3, hidden=16, seed=1, ensemble=3))


def test_an_ensemble_round_trips_with_all_its_networks(ensemble_run):
    loaded = load(to_bytes(ensemble_run))
    X = digits()[0]
    assert len(loaded.models) == 3 and loaded.config == ensemble_run.config
    assert np.array_equal(loaded.predict_proba(X), ensemble_run.predict_proba(X))


@pytest.mark.parametrize("make, message", [
    (lambda r: mutated(r, W2_3=None), "missing.*W2_3"),
    (lambda r: mutated(r, W1_4=np.zeros((64, 16), np.float32)), "3 averaged network.*W1_4"),
    (lambda r: mutated(r, W1_9=np.zeros((64, 16), np.float32)), "unexpected.*W1_9"),
    (lambda r: mutated(r, b1_2=np.zeros(3, np.float32)), "b1_2.*shape"),
    (lambda r: mutated(r, W2_2=np.full((16, 10), np.nan, np.float32)), "W2_2.*NaN"),
    (lambda r: mutated(r, W1_3=np.zeros((64, 16), np.float64)), "all be float32 or all float64"),
])
def test_an_ensemble_file_with_wrong_networks_is_refused(ensemble_run, make, message):
    with pytest.raises(WeightsFileError, match=message):
        load(make(ensemble_run))
