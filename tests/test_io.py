"""nncore.files.runfile: saving and loading a run, and refusing every other kind of file."""

import dataclasses
import io
import json
import os
import stat
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import nncore
from nncore import FORMAT_VERSION, TrainConfig, WeightsFileError, digits, load, save, to_bytes, train
from nncore.training import HISTORY_KEYS
from tests.archives import COMPRESSIONS, damaged, zipped


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


# --- hostile input -------------------------------------------------------------------------------

@pytest.mark.parametrize("compression", sorted(COMPRESSIONS))
def test_a_corrupt_compressed_entry_is_refused(run, compression):
    """A corrupt LZMA entry escaped as _lzma.LZMAError (a traceback on Compare and in main.py)."""
    with pytest.raises(WeightsFileError, match="not a saved run"):
        load(damaged(zipped(arrays_of(run), compression), "W1.npy"))


def test_a_history_of_two_million_epochs_is_refused_before_it_is_read(run):
    """68 KB compressed; read, it took +370 MB. Its size is refused from the array header."""
    long = {key: np.zeros(2_000_000) for key in HISTORY_KEYS}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **(arrays_of(run) | long))
    assert len(buffer.getvalue()) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(WeightsFileError, match=r"declares shape \(2000000,\).*at most 4,000 bytes"):
            load(buffer.getvalue())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20


@pytest.mark.parametrize("changes, message", [
    ({key: np.full(10, 0.5) for key in HISTORY_KEYS}, "history records 10 epochs, but the run's settings train 3"),
    ({"val_acc": np.array([0.5, 1.5, 0.9])}, "val_acc.*accuracies outside 0..1"),
    ({"train_loss": np.array([1.0, -0.5, 0.2])}, "train_loss.*negative"),
    ({"best_epoch": np.array(4)}, "best_epoch.*between 0 and 3"),
    ({"test_accuracy": np.array(1.5)}, "test_accuracy.*between 0 and 1"),
    ({"test_accuracy": np.array(-0.1)}, "test_accuracy.*between 0 and 1"),
    ({"seconds": np.array(-1.0)}, "seconds.*training time"),
    ({"seconds": np.array(np.inf)}, "seconds.*training time"),
    ({"seconds": np.array(1e300)}, "seconds.*training time"),
])
def test_a_history_or_scores_that_no_run_gives_are_refused(run, changes, message):
    with pytest.raises(WeightsFileError, match=message):
        load(mutated(run, **changes))


def test_an_untested_run_with_nan_test_accuracy_round_trips(run):
    untested = dataclasses.replace(run, test_accuracy=float("nan"))
    assert np.isnan(load(to_bytes(untested)).test_accuracy)


@pytest.mark.parametrize("changes, message", [
    ({"W1": np.full((64, 16), 3e38, np.float32)}, "'W1' holds a weight of 3e\\+38"),
    ({"b2": np.full(10, -1e30, np.float32)}, "'b2' holds a weight of -?1e\\+30"),
    ({"mean": np.full(64, 1e300)}, "'mean'.*between 0 and 16"),
    ({"mean": np.full(64, -1.0)}, "'mean'.*between 0 and 16"),
    ({"std": np.full(64, 100.0)}, "'std' must be between"),
    ({"std": np.full(64, 1e-300)}, "'std' must be between"),
])
def test_weights_or_a_standardizer_that_overflow_are_refused(run, changes, message):
    """Such files loaded and predicted NaN: the Probe page showed 'Prediction: 0 (nan%)'."""
    with pytest.raises(WeightsFileError, match=message):
        load(mutated(run, **changes))


def test_a_diverged_run_with_huge_weights_still_round_trips():
    """lr 100 keeps the epoch-2 weights of a run that diverged at epoch 3: weights of 4e18 that
    still give finite probabilities. The weight bound (1e24) leaves such runs loadable."""
    diverged = train(TrainConfig(lr=100, hidden=4, batch=256, epochs=3, seed=1))
    assert diverged.diverged and max(np.abs(w).max() for w in diverged.model.parameters().values()) > 1e17
    loaded = load(to_bytes(diverged))
    X = digits()[0]
    assert np.array_equal(loaded.predict_proba(X), diverged.predict_proba(X))
    assert np.isfinite(loaded.predict_proba(nncore.files.npz.check_rows())).all()


def test_an_archive_of_100000_entries_is_refused_in_a_short_sentence():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for k in range(100_000):
            archive.writestr(f"entry{k}.npy", b"")
    with pytest.raises(WeightsFileError, match=r"list of entries \(65,535 entries, [\d,]+ bytes\)") as refused:
        load(buffer.getvalue())
    assert len(str(refused.value)) < 200


def test_error_messages_quote_long_names_shortened(run):
    arrays = arrays_of(run) | {f"{k:02d}" + "x" * 900: np.zeros(1) for k in range(15)}
    shortened = r"unexpected entries in the file: 00x+\.\.\.x+ \(13,\d+ characters\)"
    with pytest.raises(WeightsFileError, match=shortened) as refused:
        load(npz_bytes(arrays))
    assert len(str(refused.value)) < 300


def test_a_saved_file_gets_the_permissions_of_the_umask(run, tmp_path):
    old = os.umask(0o022)
    try:
        save(run, tmp_path / "a.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "a.npz").st_mode) == 0o644


def test_a_save_removes_the_temporary_files_that_killed_saves_left(run, tmp_path):
    target = tmp_path / "a.npz"
    stale, fresh = tmp_path / ".a.npz.0badf00d.tmp", tmp_path / ".a.npz.12345678.tmp"
    other = tmp_path / ".b.npz.0badf00d.tmp"  # another target's
    for path in (stale, fresh, other):
        path.write_bytes(b"half a file")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    os.utime(other, (an_hour_ago, an_hour_ago))
    save(run, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".a.npz.12345678.tmp", ".b.npz.0badf00d.tmp", "a.npz"])


# --- how a run ended, and the weights it kept of earlier epochs ------------------------------

def test_a_stopped_or_early_stopped_run_comes_back_as_it_ended():
    stopped = train(TrainConfig(epochs=6, hidden=8), callback=lambda stats: stats.epoch == 3)
    early = train(TrainConfig(epochs=200, hidden=8, lr=0.5, patience=2))
    for run in (stopped, early):
        back = load(to_bytes(run))
        assert back.ended == run.ended and back.ending == run.ending


def test_a_diverged_run_keeps_the_batch_losses_of_the_epoch_that_blew_up():
    run = train(TrainConfig(epochs=3, lr=50.0))
    back = load(to_bytes(run))
    assert back.ended == "diverged" and len(back.diverged_losses) == len(run.diverged_losses)
    assert np.isfinite(back.diverged_losses[:-1]).all() and not np.isfinite(back.diverged_losses[-1])


def test_snapshots_are_saved_only_when_asked_and_replay_the_same_weights(run):
    assert "snapshot_W1" not in arrays_of(run) and load(to_bytes(run)).snapshots == {}
    back = load(to_bytes(run, snapshots=True))
    assert sorted(back.snapshots) == sorted(run.snapshots)
    for epoch in run.snapshots:
        for saved, kept in zip(back.snapshots[epoch], run.snapshots[epoch], strict=True):
            assert all(np.array_equal(saved[name], kept[name]) for name in kept)
    X, _ = digits()
    ensemble, _ = back.ensemble_at(1)
    assert np.array_equal(ensemble.predict_proba(run.standardizer(X[:5])), run.ensemble_at(1)[0].predict_proba(
        run.standardizer(X[:5])))


@pytest.mark.parametrize("change, message", [
    ({"snapshot_epochs": np.array([0, 0, 1, 2])}, "distinct epochs"),
    ({"snapshot_epochs": np.array([0, 1, 2, 99])}, "between 0 and 3"),
    ({"snapshot_W1": None}, "incomplete"),
    ({"snapshot_b2": np.zeros((4, 1, 7), np.float32)}, "shape"),
    ({"snapshot_W2": np.full((4, 1, 16, 10), np.inf, np.float32)}, "not finite"),
    ({"ended": np.array("exploded")}, "'ended' should be one of"),
    ({"ended": np.array("diverged")}, "'ended' says 'diverged'"),
])
def test_a_file_with_bad_kept_epochs_or_ending_is_refused(run, change, message):
    arrays = {k: v for k, v in np.load(io.BytesIO(to_bytes(run, snapshots=True))).items()}
    for key, value in change.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    with pytest.raises(WeightsFileError, match=message):
        load(npz_bytes(arrays))


def test_a_file_saved_before_the_new_settings_still_loads(run):
    """Files written before activation, optimizer, l2, schedule and patience existed (and before
    'ended' was saved) hold the eight old settings only."""
    arrays = arrays_of(run)
    old = {k: v for k, v in json.loads(arrays["config"].item()).items()
           if k in ("epochs", "hidden", "lr", "batch", "seed", "val_share", "augment", "ensemble")}
    arrays["config"] = np.array(json.dumps(old))
    del arrays["ended"]
    back = load(npz_bytes(arrays))
    assert back.config == run.config and back.ended == "completed"
    assert np.array_equal(back.predict_proba(digits()[0][:5]), run.predict_proba(digits()[0][:5]))


def test_a_diverged_epoch_may_be_the_epoch_after_the_last_finished_one_and_no_later():
    run = train(TrainConfig(epochs=3, lr=50.0))
    assert run.diverged_epoch == run.epochs_run + 1
    assert load(to_bytes(run)).diverged_epoch == run.diverged_epoch
    too_late = mutated(run, diverged_epoch=np.array(run.epochs_run + 2))
    with pytest.raises(WeightsFileError, match="diverged_epoch"):
        load(too_late)



def test_new_settings_and_training_health_round_trip(tmp_path):
    trained = train(TrainConfig(epochs=3, hidden=16, scaling="divide", train_share=0.5, label_noise=0.2))
    save(trained, tmp_path / "r.npz")
    back = load(tmp_path / "r.npz")
    assert back.config == trained.config and back.history == trained.history
    assert {len(back.history[k]) for k in ("dead_units", "grad_W1", "grad_W2")} == {3}
    assert np.array_equal(back.predict_proba(digits()[0][:5]), trained.predict_proba(digits()[0][:5]))


def test_a_file_saved_before_training_health_loads_with_empty_health(run):
    arrays = arrays_of(run)
    for key in ("dead_units", "grad_W1", "grad_W2"):
        del arrays[key]
    back = load(npz_bytes(arrays))
    assert back.history["dead_units"] == back.history["grad_W1"] == back.history["grad_W2"] == []
    assert back.history["val_loss"] == run.history["val_loss"]


@pytest.mark.parametrize("changes, message", [
    ({"grad_W2": None}, "incomplete"),
    ({"dead_units": np.zeros(2)}, "dead_units.*one floating-point number per epoch"),
    ({"grad_W1": np.array([0.1, np.nan, 0.2])}, "grad_W1.*finite"),
    ({"grad_W1": np.array([0.1, -0.1, 0.2])}, "grad_W1.*at least 0"),
    ({"dead_units": np.array([0.0, 1.01, 0.5])}, "dead_units.*outside 0..1"),
])
def test_training_health_that_no_run_gives_is_refused(run, changes, message):
    assert load(mutated(run, dead_units=np.array([0.0, 1.0, 0.5]))).history["dead_units"] == [0.0, 1.0, 0.5]
    with pytest.raises(WeightsFileError, match=message):
        load(mutated(run, **changes))



def test_save_refuses_to_replace_a_device_node_a_pipe_or_a_folder(run, tmp_path):
    """The final rename must not replace whatever stood at the path, /dev/null included
    (a private node made with mknod here, never the real one)."""
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "folder").mkdir()
    targets = ["pipe", "folder"]
    if os.system(f"mknod -m 666 {tmp_path / 'fakenull'} c 1 3 2>/dev/null") == 0:
        targets.append("fakenull")
    for name in targets:
        before = os.lstat(tmp_path / name)
        with pytest.raises(WeightsFileError, match="not a regular file"):
            save(run, tmp_path / name)
        assert os.lstat(tmp_path / name).st_mode == before.st_mode
    assert sorted(os.listdir(tmp_path)) == sorted(targets)  # no temporary file left behind
    save(run, tmp_path / "new.npz")  # the other side: a new path is saved to
    assert load(tmp_path / "new.npz").config == run.config
