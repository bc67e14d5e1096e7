"""Saving and loading a trained run as one .npz file.

The file holds plain numeric arrays only (it is read with ``allow_pickle=False``): the weights,
the standardization, the history, the scores, the config as JSON text and a format version.
An ensemble's further networks are stored as ``W1_2``, ``b1_2``, ... up to its size.
"""

import glob
import io
import json
import math
import os
import secrets
import time
import zipfile
import zlib

try:
    import lzma
except ImportError:  # a Python built without lzma: zipfile then refuses such entries itself
    lzma = None

import numpy as np

from .config import BOUNDS, TrainConfig
from .data import Standardizer, digits
from .errors import ConfigError, WeightsFileError, shorten
from .model import MLP, Ensemble
from .training import HISTORY_KEYS, TrainResult

FORMAT_VERSION = 1
MAX_FILE_BYTES = 64 * 2**20
_WEIGHTS = ("W1", "b1", "W2", "b2")
_SCALARS = ("format_version", "best_epoch", "test_accuracy", "diverged_epoch", "seconds")
_KEYS = set(_WEIGHTS) | set(_SCALARS) | set(HISTORY_KEYS) | {"mean", "std", "config"}
_MAX_ENSEMBLE = BOUNDS["ensemble"].high
_MEMBER_KEYS = {f"{name}_{k}": k for k in range(2, _MAX_ENSEMBLE + 1) for name in _WEIGHTS}
_MAX_ENTRIES = len(_KEYS) + len(_MEMBER_KEYS)
# The most bytes each entry may declare: its array at the largest settings BOUNDS allows, in
# float64 (the widest type a saved run uses); the config's JSON text as NumPy's 4-byte characters.
_HIDDEN, _EPOCHS, CONFIG_CHARS = BOUNDS["hidden"].high, BOUNDS["epochs"].high, 4096
_MAX_BYTES = {"W1": 64 * _HIDDEN * 8, "b1": _HIDDEN * 8, "W2": _HIDDEN * 10 * 8, "b2": 10 * 8,
              "mean": 64 * 8, "std": 64 * 8, "config": CONFIG_CHARS * 4,
              **{key: _EPOCHS * 8 for key in HISTORY_KEYS}, **{key: 8 for key in _SCALARS}}
_MAX_BYTES |= {key: _MAX_BYTES[name] for key, name in ((k, k.split("_")[0]) for k in _MEMBER_KEYS)}
# Weights beyond this are refused with a sentence. The largest of 664 runs trained to measure it
# (lr 1.5 to 100, hidden 1 to 2048, batch 8 to 4096, diverging ones keeping their best epoch)
# was 5.4e18; float32 ends at 3.4e38. Whether the values give finite probabilities is then
# checked on Digits rows (see _check_predictions).
WEIGHT_LIMIT = 1e24
MIN_STD = 0.001
MAX_SECONDS = 30 * 24 * 3600  # a run's training time; the largest settings take hours, not a month
STALE_SECONDS = 60  # a temporary file older than this was left by a killed save, not one in progress
_DECOMPRESSION_ERRORS = (zlib.error, EOFError, OSError) + ((lzma.LZMAError,) if lzma else ())  # bz2: OSError


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
    rename, so an interrupted save leaves the old file or the new one, never half of one.

    The temporary file is named after the target (``.best.npz.1a2b3c4d.tmp``), so the next save
    to that target removes those a killed save left behind. The file gets the permissions the
    umask gives any new file."""
    payload = to_bytes(result)
    path = os.path.abspath(path)
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
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def _remove_stale(prefix):
    """Remove the temporary files of saves to the same target that were killed: those older than
    STALE_SECONDS (a save in progress, here or in another process, writes for far less)."""
    for temp in glob.glob(f"{glob.escape(prefix)}{'[0-9a-f]' * 8}.tmp"):
        try:
            if time.time() - os.stat(temp).st_mtime > STALE_SECONDS:
                os.unlink(temp)
        except OSError:  # gone already (another save cleaned it) or not ours to remove: the save goes on
            pass


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
            raise WeightsFileError(f"no such file: {shorten(source)}") from None
        except OSError as exc:
            raise WeightsFileError(f"cannot read {shorten(source)}: {shorten(exc.strerror or exc)}") from None
    if len(payload) > MAX_FILE_BYTES:
        raise WeightsFileError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB; a saved run is far smaller")
    return payload


def _check_directory(payload):
    """Refuse, before zipfile parses it, a list of entries longer than a saved run's (a 19 MB zip
    can list 200,000 entries, 120 MB once parsed): its end record, found as zipfile finds it, must
    declare at most _MAX_ENTRIES entries in at most 1 KB each, and no zip64 records (which only
    archives of over 65,535 entries or 4 GB need)."""
    signature = b"PK\x05\x06"
    end = len(payload) - 22
    if not (payload[end:end + 4] == signature and payload[-2:] == b"\0\0"):  # else after a comment
        end = payload.rfind(signature, max(0, len(payload) - 22 - 65535))
    if end < 0:
        return  # no end record: zipfile says it is not a zip
    entries = int.from_bytes(payload[end + 10:end + 12], "little")
    listing = int.from_bytes(payload[end + 12:end + 16], "little")
    zip64 = end >= 20 and payload[end - 20:end - 16] == b"PK\x06\x07"  # its locator precedes the end record
    if entries > _MAX_ENTRIES or listing > _MAX_ENTRIES * 1024 or zip64:
        raise WeightsFileError(f"the archive's list of entries ({entries:,} entries, {listing:,} bytes) is longer "
                               f"than a saved run's ({_MAX_ENTRIES} entries at most, a few KB)")


def _check_names(names):
    """Refuse entries a saved run never has, and a file missing one it always has."""
    unexpected = names - _KEYS - set(_MEMBER_KEYS)
    if unexpected:
        raise WeightsFileError(f"unexpected entries in the file: {shorten(', '.join(sorted(unexpected)))}")
    if _KEYS - names:
        raise WeightsFileError(f"entries missing from the file: {', '.join(sorted(_KEYS - names))}")


def _check_members(archive):
    """Read each member's .npy header and refuse, before any array is allocated, members that
    are not arrays, hold Python objects, declare more data than they contain (a header can
    claim a terabyte-sized shape in a file of a few bytes) or more than their entry can need."""
    for info in archive.infolist():
        name = shorten(info.filename, 60)
        with archive.open(info) as member:
            try:
                version = np.lib.format.read_magic(member)
            except ValueError:
                raise WeightsFileError(f"entry '{name}' is not a NumPy array") from None
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise WeightsFileError(f"entry '{name}' uses an unsupported array format {version}")
        if dtype.hasobject:
            raise WeightsFileError("the file contains Python objects (pickles), which are refused")
        declared = math.prod(shape) * dtype.itemsize
        limit = _MAX_BYTES[info.filename.removesuffix(".npy")]
        if declared > limit:
            raise WeightsFileError(f"entry '{name}' declares shape {shorten(shape, 60)} of {dtype} ({declared:,} "
                                   f"bytes); a saved run's holds at most {limit:,} bytes")
        if declared > info.file_size:
            raise WeightsFileError(f"entry '{name}' is damaged: it declares {declared:,} bytes of data "
                                   f"but holds {info.file_size:,}")


def _read_arrays(source):
    payload = _read_bytes(source)
    if payload.startswith(b"\x93NUMPY"):
        raise WeightsFileError("this is a single .npy array, not a saved run (.npz)")
    if not payload.startswith(b"PK\x03\x04"):
        raise WeightsFileError("not a saved run (.npz): the file is not a zip archive of arrays")
    _check_directory(payload)
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_FILE_BYTES:
                raise WeightsFileError(f"the archive unpacks to {unpacked:,} bytes; a saved run is far smaller")
            _check_names({name.removesuffix(".npy") for name in archive.namelist()})
            _check_members(archive)
        with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
            _check_names(set(npz.files))
            arrays = {name: npz[name] for name in npz.files}
    except WeightsFileError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise WeightsFileError("the file contains Python objects (pickles), which are refused") from None
        raise WeightsFileError(f"not a saved run (.npz): {shorten(exc)}") from None
    except _DECOMPRESSION_ERRORS as exc:  # a damaged compressed entry (deflate, bzip2 or lzma)
        raise WeightsFileError(f"not a saved run (.npz): an entry cannot be decompressed ({shorten(exc)})") from None
    except (zipfile.BadZipFile, KeyError, RuntimeError, OverflowError) as exc:
        raise WeightsFileError(f"not a saved run (.npz): {shorten(exc)}") from None
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

    Returns a TrainResult that predicts exactly as the saved one, with finite probabilities on
    ``check_rows()``. Raises WeightsFileError, naming the problem, for anything else: not an .npz,
    pickled objects, missing or extra entries, wrong shapes or dtypes, entries larger than a
    saved run's, damaged compressed entries, NaN or inf values, weights or a standardization
    that overflow, a history longer than the run's epochs, scores that are not sane numbers, a
    newer format version. The size of everything is checked before it is read.
    """
    result = _result_of(_read_arrays(source))
    _check_predictions(result)
    return result


def _result_of(arrays):
    """The TrainResult of a saved run's ``arrays``, after checking each is what ``save`` writes."""
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
        raise WeightsFileError(f"'config' is not valid: {shorten(exc)}") from None
    except (ValueError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
        raise WeightsFileError(f"'config' is not a valid settings record: {shorten(exc)}") from None

    members = _member_keys(config.ensemble)
    present = set(arrays) & set(_MEMBER_KEYS)
    if present - members:
        raise WeightsFileError(f"the settings say {config.ensemble} averaged network(s), but the file also holds "
                               f"{shorten(', '.join(sorted(present - members)))}")
    if members - present:
        raise WeightsFileError(f"entries missing from the file: {shorten(', '.join(sorted(members - present)))}")
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
    dtypes = {arrays[name].dtype for name in weights}
    if len(dtypes) != 1 or dtypes.pop() not in (np.float32, np.float64):
        raise WeightsFileError("the weights should all be float32 or all float64")
    _check_ranges(arrays, weights)
    epochs_run = _check_history(arrays, config.epochs)
    best_epoch = _scalar(arrays, "best_epoch", "iu")
    if not 0 <= best_epoch <= epochs_run:
        raise WeightsFileError(f"'best_epoch' {best_epoch} is not between 0 and {epochs_run}")
    diverged_epoch = _scalar(arrays, "diverged_epoch", "iu")
    if not 0 <= diverged_epoch <= epochs_run + 1:
        raise WeightsFileError(f"'diverged_epoch' {diverged_epoch} is not between 0 and {epochs_run + 1}")
    _check_scores(arrays)

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


def _check_ranges(arrays, weights):
    """Refuse values no training gives: pixel means outside 0..16, spreads below MIN_STD (the
    smallest a pixel of whole counts can have over a split: one ink count among 20,000 rows is
    0.007) or above 16 (the range itself), weights beyond WEIGHT_LIMIT."""
    if np.any(arrays["mean"] < 0) or np.any(arrays["mean"] > 16):
        raise WeightsFileError("'mean' should hold per-pixel means of Digits pixels, between 0 and 16")
    if np.any(arrays["std"] < MIN_STD) or np.any(arrays["std"] > 16):
        raise WeightsFileError(f"'std' must be between {MIN_STD} and 16, a spread of Digits pixels (0..16)")
    for name in weights:
        peak = float(np.abs(arrays[name]).max(initial=0.0))
        if peak > WEIGHT_LIMIT:
            raise WeightsFileError(f"'{name}' holds a weight of {peak:.3g}; trained networks stay below "
                                   f"{WEIGHT_LIMIT:g}, even those whose training diverged")


def _check_scores(arrays):
    """Refuse a test accuracy outside 0..1 (NaN is a run never tested) and a training time that
    is negative, infinite or over MAX_SECONDS."""
    test_accuracy = _scalar(arrays, "test_accuracy", "f")
    if not (0.0 <= test_accuracy <= 1.0 or math.isnan(test_accuracy)):
        raise WeightsFileError(f"'test_accuracy' {test_accuracy:g} is not a share between 0 and 1")
    seconds = _scalar(arrays, "seconds", "f")
    if not 0.0 <= seconds <= MAX_SECONDS:
        raise WeightsFileError(f"'seconds' {seconds:g} is not a training time between 0 and {MAX_SECONDS:,} (30 days)")


def _check_history(arrays, epochs):
    """The number of epochs the history records, after checking its entries are 1-d, of one
    length, no longer than the run's ``epochs``, with accuracies in 0..1 and losses >= 0."""
    lengths = {arrays[key].shape for key in HISTORY_KEYS}
    if len(lengths) != 1 or len(lengths.pop()) != 1:
        raise WeightsFileError("the history entries should be 1-d and of equal length")
    epochs_run = len(arrays[HISTORY_KEYS[0]])
    if epochs_run > epochs:
        raise WeightsFileError(f"the history records {epochs_run:,} epochs, but the run's settings train {epochs}")
    for key in HISTORY_KEYS:
        if key.endswith("acc") and (np.any(arrays[key] < 0) or np.any(arrays[key] > 1)):
            raise WeightsFileError(f"'{key}' holds accuracies outside 0..1")
        if key.endswith("loss") and np.any(arrays[key] < 0):
            raise WeightsFileError(f"'{key}' holds negative losses (a cross-entropy is at least 0)")
    return epochs_run


def check_rows():
    """The rows a loaded run is checked to give finite probabilities on: every tenth Digits row,
    the blank row and the all-ink row (the two ends of the pixel range)."""
    return np.vstack([digits()[0][::10], np.zeros(64), np.full(64, 16.0)])


def _check_predictions(result):
    """Refuse a run whose probabilities are not finite on ``check_rows()``: weights or a spread
    that overflow (every tenth row: 7 ms for 5 networks of 2,048 units, against 150 ms for all)."""
    rows = check_rows()
    with np.errstate(all="ignore"):
        probs = result.predict_proba(rows)
    if not np.all(np.isfinite(probs)):
        raise WeightsFileError("the network gives no finite probabilities on ordinary digits: its weights or "
                               "standardization overflow")
