"""Saving and loading a trained run as one .npz file.

The file holds plain numeric arrays only (it is read with ``allow_pickle=False``): the weights,
the standardization, the history, the scores, the config as JSON text and a format version.
An ensemble's further networks are stored as ``W1_2``, ``b1_2``, ... up to its size.
"""

import io
import json
import math
import os
import tempfile
import zipfile
import zlib

import numpy as np

from .config import BOUNDS, TrainConfig
from .data import Standardizer
from .errors import ConfigError, WeightsFileError
from .model import MLP, Ensemble
from .training import HISTORY_KEYS, TrainResult

FORMAT_VERSION = 1
MAX_FILE_BYTES = 64 * 2**20
_WEIGHTS = ("W1", "b1", "W2", "b2")
_SCALARS = ("format_version", "best_epoch", "test_accuracy", "diverged_epoch", "seconds")
_KEYS = set(_WEIGHTS) | set(_SCALARS) | set(HISTORY_KEYS) | {"mean", "std", "config"}
_MAX_ENSEMBLE = BOUNDS["ensemble"].high
_MEMBER_KEYS = {f"{name}_{k}": k for k in range(2, _MAX_ENSEMBLE + 1) for name in _WEIGHTS}


def _member_keys(ensemble):
    """The entries holding networks 2..ensemble of an ensemble."""
    return {key for key, k in _MEMBER_KEYS.items() if k <= ensemble}


def to_bytes(result):
    """The .npz file of ``result`` as bytes (what ``save`` writes)."""
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
    )
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def save(result, path):
    """Write ``result`` to ``path`` atomically: a temporary file in the same folder, then a
    rename, so an interrupted save leaves the old file or the new one, never half of one."""
    payload = to_bytes(result)
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def _read_bytes(source):
    """The file's bytes from a path, bytes or binary file object, refusing files over MAX_FILE_BYTES."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        payload = bytes(source)
    elif hasattr(source, "read"):
        payload = source.read(MAX_FILE_BYTES + 1)
    else:
        try:
            with open(source, "rb") as f:
                payload = f.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            raise WeightsFileError(f"no such file: {source}") from None
        except OSError as exc:
            raise WeightsFileError(f"cannot read {source}: {exc.strerror or exc}") from None
    if len(payload) > MAX_FILE_BYTES:
        raise WeightsFileError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB; a saved run is far smaller")
    return payload


def _check_members(archive):
    """Read each member's .npy header and refuse, before any array is allocated, members that
    are not arrays, hold Python objects, or declare more data than they contain (a header can
    claim a terabyte-sized shape in a file of a few bytes)."""
    for info in archive.infolist():
        with archive.open(info) as member:
            try:
                version = np.lib.format.read_magic(member)
            except ValueError:
                raise WeightsFileError(f"entry '{info.filename}' is not a NumPy array") from None
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise WeightsFileError(f"entry '{info.filename}' uses an unsupported array format {version}")
        if dtype.hasobject:
            raise WeightsFileError("the file contains Python objects (pickles), which are refused")
        declared = math.prod(shape) * dtype.itemsize
        if declared > info.file_size:
            raise WeightsFileError(f"entry '{info.filename}' is damaged: it declares {declared:,} bytes of data "
                                   f"but holds {info.file_size:,}")


def _read_arrays(source):
    payload = _read_bytes(source)
    if payload.startswith(b"\x93NUMPY"):
        raise WeightsFileError("this is a single .npy array, not a saved run (.npz)")
    if not payload.startswith(b"PK\x03\x04"):
        raise WeightsFileError("not a saved run (.npz): the file is not a zip archive of arrays")
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_FILE_BYTES:
                raise WeightsFileError(f"the archive unpacks to {unpacked:,} bytes; a saved run is far smaller")
            _check_members(archive)
        with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
            names = set(npz.files)
            unexpected = names - _KEYS - set(_MEMBER_KEYS)
            if unexpected:
                raise WeightsFileError(f"unexpected entries in the file: {', '.join(sorted(unexpected))}")
            if _KEYS - names:
                raise WeightsFileError(f"entries missing from the file: {', '.join(sorted(_KEYS - names))}")
            arrays = {name: npz[name] for name in npz.files}
    except WeightsFileError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise WeightsFileError("the file contains Python objects (pickles), which are refused") from None
        raise WeightsFileError(f"not a saved run (.npz): {exc}") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, RuntimeError, zlib.error, OverflowError) as exc:
        raise WeightsFileError(f"not a saved run (.npz): {exc}") from None
    if not all(isinstance(value, np.ndarray) for value in arrays.values()):
        raise WeightsFileError("not a saved run (.npz): some entries are not NumPy arrays")
    return arrays


def _scalar(arrays, name, kind):
    value = arrays[name]
    if value.shape != () or value.dtype.kind not in kind:
        raise WeightsFileError(f"'{name}' should be a single number, got {value.dtype} {value.shape}")
    return value.item()


def load(source):
    """Read a run written by ``save`` from a path, bytes or binary file object.

    Returns a TrainResult that predicts exactly as the saved one. Raises WeightsFileError,
    naming the problem, for anything else: not an .npz, pickled objects, missing or extra
    entries, wrong shapes or dtypes, NaN or inf values, a newer format version.
    """
    arrays = _read_arrays(source)
    version = _scalar(arrays, "format_version", "iu")
    if version > FORMAT_VERSION:
        raise WeightsFileError(f"the file has format version {version}, newer than this program's "
                               f"{FORMAT_VERSION}: update Digits Playground to read it")
    if version < 1:
        raise WeightsFileError(f"format version {version} is not valid")
    config_text = arrays["config"]
    if config_text.shape != () or config_text.dtype.kind != "U":
        raise WeightsFileError("'config' should be JSON text")
    try:
        config = TrainConfig.from_dict(json.loads(config_text.item()))
    except ConfigError as exc:
        raise WeightsFileError(f"'config' is not valid: {exc}") from None
    except (ValueError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
        raise WeightsFileError(f"'config' is not a valid settings record: {exc}") from None

    members = _member_keys(config.ensemble)
    present = set(arrays) & set(_MEMBER_KEYS)
    if present - members:
        raise WeightsFileError(f"the settings say {config.ensemble} averaged network(s), but the file also holds "
                               f"{', '.join(sorted(present - members))}")
    if members - present:
        raise WeightsFileError(f"entries missing from the file: {', '.join(sorted(members - present))}")
    weights = [*_WEIGHTS, *sorted(members)]
    shapes = {"W1": (64, config.hidden), "b1": (config.hidden,), "W2": (config.hidden, 10), "b2": (10,)}
    expected = {name: shapes[name.split("_")[0]] for name in weights} | {"mean": (64,), "std": (64,)}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise WeightsFileError(f"'{name}' should have shape {shape}, got {arrays[name].shape}")
    for name in (*weights, "mean", "std", *HISTORY_KEYS):
        value = arrays[name]
        if value.dtype.kind != "f":
            raise WeightsFileError(f"'{name}' should hold floating-point numbers, got {value.dtype}")
        if not np.all(np.isfinite(value)):
            raise WeightsFileError(f"'{name}' contains NaN or infinite values")
    if np.any(arrays["std"] <= 0):
        raise WeightsFileError("'std' must be positive")
    dtypes = {arrays[name].dtype for name in weights}
    if len(dtypes) != 1 or dtypes.pop() not in (np.float32, np.float64):
        raise WeightsFileError("the weights should all be float32 or all float64")
    lengths = {arrays[key].shape for key in HISTORY_KEYS}
    if len(lengths) != 1 or len(lengths.pop()) != 1:
        raise WeightsFileError("the history entries should be 1-d and of equal length")
    epochs_run = len(arrays["val_acc"])
    best_epoch = _scalar(arrays, "best_epoch", "iu")
    if not 0 <= best_epoch <= epochs_run:
        raise WeightsFileError(f"'best_epoch' {best_epoch} is not between 0 and {epochs_run}")
    diverged_epoch = _scalar(arrays, "diverged_epoch", "iu")
    if not 0 <= diverged_epoch <= epochs_run + 1:
        raise WeightsFileError(f"'diverged_epoch' {diverged_epoch} is not between 0 and {epochs_run + 1}")

    suffixes = ["", *(f"_{k}" for k in range(2, config.ensemble + 1))]
    return TrainResult(
        config=config,
        ensemble=Ensemble(MLP.from_arrays(*(arrays[name + suffix] for name in _WEIGHTS), activation=config.activation)
                          for suffix in suffixes),
        standardizer=Standardizer(arrays["mean"].astype(np.float64), arrays["std"].astype(np.float64)),
        history={key: [float(v) for v in arrays[key]] for key in HISTORY_KEYS},
        best_epoch=int(best_epoch), test_accuracy=float(_scalar(arrays, "test_accuracy", "f")),
        diverged_epoch=int(diverged_epoch) or None, seconds=float(_scalar(arrays, "seconds", "f")),
    )
