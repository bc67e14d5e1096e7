"""Saving and loading a trained run as one .npz file.

The file holds plain numeric arrays only (it is read with ``allow_pickle=False``): the weights,
the standardization, the history, the scores, how training ended, the config as JSON text and a
format version. An ensemble's further networks are stored as ``W1_2``, ``b1_2``, ... up to its
size; the weights kept of earlier epochs only when asked for (``snapshots=True``). What a file
must be to load is checked by nncore.files.npz.
"""

import glob
import io
import json
import os
import secrets
import time

import numpy as np

from ..data import Standardizer
from ..errors import WeightsFileError, shorten
from ..model import MLP, Ensemble
from ..training import HEALTH_KEYS, HISTORY_KEYS, TrainResult
from .npz import FORMAT_VERSION, STALE_SECONDS, WEIGHTS, check_predictions, check_run, read_arrays, scalar


def to_bytes(result, snapshots=False):
    """The .npz file of ``result`` as bytes (what ``save`` writes); with ``snapshots``, also the
    weights it kept of earlier epochs (what "Watch it learn" replays)."""
    arrays = dict(result.ensemble[0].parameters())
    for k, model in enumerate(result.ensemble[1:], 2):
        arrays.update({f"{name}_{k}": value for name, value in model.parameters().items()})
    arrays.update(
        mean=result.standardizer.mean, std=result.standardizer.std,
        config=np.array(json.dumps(result.config.to_dict())),
        format_version=np.array(FORMAT_VERSION), best_epoch=np.array(result.best_epoch),
        test_accuracy=np.array(result.test_accuracy), seconds=np.array(result.seconds),
        diverged_epoch=np.array(result.diverged_epoch or 0),
        **{key: np.asarray(result.history[key], dtype=np.float64) for key in HISTORY_KEYS},
        **{key: np.asarray(result.history[key], dtype=np.float64) for key in HEALTH_KEYS
           if len(result.history.get(key, ())) == len(result.history[HISTORY_KEYS[0]])},
        ended=np.array(result.ended),
    )
    if result.diverged_losses:
        arrays["diverged_losses"] = np.asarray(result.diverged_losses, dtype=np.float64)
    if snapshots and result.snapshots:
        epochs = sorted(result.snapshots)
        arrays["snapshot_epochs"] = np.array(epochs)
        for name in ("W1", "b1", "W2", "b2"):
            arrays[f"snapshot_{name}"] = np.stack([[net[name] for net in result.snapshots[e]] for e in epochs])
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def save(result, path, snapshots=False):
    """Write ``result`` to ``path`` atomically: a temporary file in the same folder, then a
    rename, so an interrupted save leaves the old file or the new one, never half of one.

    The temporary file is named after the target (``.best.npz.1a2b3c4d.tmp``), so the next save
    to that target removes those a killed save left behind. The file gets the permissions the
    umask gives any new file."""
    path = os.path.abspath(path)
    _check_target(path)
    payload = to_bytes(result, snapshots)
    prefix = os.path.join(os.path.dirname(path), f".{os.path.basename(path)[:100]}.")
    _remove_stale(prefix)
    while True:
        temp = f"{prefix}{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as to open()
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        _check_target(path)  # again: it may have become something else while the bytes were written
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def _check_target(path):
    """Raise WeightsFileError unless ``path`` is a new path or a regular file (a link to one counts):
    the rename that ends a save replaces whatever is there, so a device (/dev/null), a pipe or a
    socket would be lost and a regular file left in its place."""
    if os.path.lexists(path) and not os.path.isfile(path):
        raise WeightsFileError(f"cannot save to {shorten(path)}: it is not a regular file (a folder, device, pipe or "
                               "socket); give a new path or a file")


def _remove_stale(prefix):
    """Remove the temporary files of saves to the same target that were killed: those older than
    STALE_SECONDS (a save in progress, here or in another process, writes for far less)."""
    for temp in glob.glob(f"{glob.escape(prefix)}{'[0-9a-f]' * 8}.tmp"):
        try:
            if time.time() - os.stat(temp).st_mtime > STALE_SECONDS:
                os.unlink(temp)
        except OSError:  # gone already (another save cleaned it) or not ours to remove: the save goes on
            pass


def load(source):
    """Read a run written by ``save`` from a path, bytes or binary file object.

    Returns a TrainResult that predicts exactly as the saved one, with finite probabilities on
    ``nncore.files.npz.check_rows()``. Raises WeightsFileError, naming the problem, for anything else: not an .npz,
    pickled objects, missing or extra entries, wrong shapes or dtypes, entries larger than a
    saved run's, damaged compressed entries, NaN or inf values, weights or a standardization
    that overflow, a history longer than the run's epochs, scores that are not sane numbers, a
    newer format version. The size of everything is checked before it is read.
    """
    result = _result_of(read_arrays(source))
    check_predictions(result)
    return result


def _result_of(arrays):
    """The TrainResult of a saved run's ``arrays``, once ``npz.check_run`` has found each of them
    to be what ``save`` writes."""
    run = check_run(arrays)
    config = run.config
    suffixes = ["", *(f"_{k}" for k in range(2, config.ensemble + 1))]
    return TrainResult(
        config=config,
        ensemble=Ensemble(MLP.from_arrays(*(arrays[name + suffix] for name in WEIGHTS), activation=config.activation)
                          for suffix in suffixes),
        standardizer=Standardizer(arrays["mean"].astype(np.float64), arrays["std"].astype(np.float64)),
        history={key: [float(v) for v in arrays[key]] for key in HISTORY_KEYS} | run.health,
        best_epoch=run.best_epoch, test_accuracy=float(scalar(arrays, "test_accuracy", "f")),
        diverged_epoch=run.diverged_epoch or None, seconds=float(scalar(arrays, "seconds", "f")),
        ended=run.ended, diverged_losses=run.diverged_losses, snapshots=run.snapshots,
    )
