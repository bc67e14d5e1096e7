"""The worst files a visitor can hand the app, for the load test's hostile visitor
(support/sessions.py): images for Probe a digit and saved runs for Compare runs, each one refused
by the app with a sentence. The kinds of file the unit tests feed the library (tests/test_hostile.py,
tests/test_io.py), here at full size where a unit test only fakes a header.
"""

import io
import struct
import zipfile
import zlib
from functools import cache

import numpy as np
from PIL import Image, ImageDraw

import nncore
from nncore.training import HISTORY_KEYS


def _seven(size, mode="RGB"):
    """A black 7 on white, ``size`` = (width, height)."""
    picture = Image.new("RGB", size, "white")
    w, h = size
    ImageDraw.Draw(picture).line([(0.25 * w, 0.2 * h), (0.75 * w, 0.2 * h), (0.45 * w, 0.85 * h)], fill="black",
                                 width=max(2, min(size) // 10))
    return picture.convert(mode)


def _encoded(picture, fmt, **options):
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


@cache
def images():
    """{file name: bytes}: a progressive JPEG with one scan repeated 5,000 times, a real 50-megapixel
    progressive CMYK JPEG, a JPEG of 2,000 comment segments, a 1 KB PNG declaring 10 gigapixels."""
    small = _encoded(_seven((120, 120)), "JPEG", quality=90, progressive=True)
    last_scan = small[small.rindex(b"\xff\xda"):-2]  # Pillow's output: its last FF DA starts the last scan
    bomb = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    return {
        "scan-flood.jpg": small[:-2] + last_scan * 5000 + small[-2:],
        "50mp-cmyk.jpg": _encoded(_seven((8640, 5760), "CMYK"), "JPEG", quality=90, progressive=True),
        "comment-flood.jpg": small[:2] + b"\xff\xfe\x00\x06flood" * 2000 + small[2:],
        "10-gigapixel.png": b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", bomb)
                            + _png_chunk(b"IDAT", zlib.compress(b"\x00" + b"\xff" * 100_000, 9))
                            + _png_chunk(b"IEND", b""),
    }


def _npy(value):
    buffer = io.BytesIO()
    np.save(buffer, value)
    return buffer.getvalue()


def _zip(entries, compression=zipfile.ZIP_DEFLATED):
    """An .npz of ``entries`` (name -> .npy bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, payload in entries.items():
            archive.writestr(f"{name}.npy", payload)
    return buffer.getvalue()


def _flipped(payload, name):
    """The zip ``payload`` with 4 bytes in the middle of entry ``name``'s compressed data flipped."""
    info = zipfile.ZipFile(io.BytesIO(payload)).getinfo(name)
    name_length, extra_length = struct.unpack("<HH", payload[info.header_offset + 26:info.header_offset + 30])
    middle = info.header_offset + 30 + name_length + extra_length + info.compress_size // 2
    return payload[:middle] + bytes(b ^ 0x5A for b in payload[middle:middle + 4]) + payload[middle + 4:]


@cache
def saved_runs():
    """{file name: bytes}: saved runs whose history holds 2,000,000 epochs (68 KB compressed), whose
    LZMA-compressed W1 is corrupt, whose weights are 3e38, and whose W1 declares 10^12 values."""
    with np.load(io.BytesIO(nncore.to_bytes(nncore.train(nncore.TrainConfig(epochs=3, hidden=16, seed=1))))) as npz:
        arrays = {name: npz[name] for name in npz.files}
    entries = {name: _npy(value) for name, value in arrays.items()}
    huge = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }"
    return {
        "history-2M-epochs.npz": _zip(entries | {key: _npy(np.zeros(2_000_000)) for key in HISTORY_KEYS}),
        "corrupt-lzma.npz": _flipped(_zip(entries, zipfile.ZIP_LZMA), "W1.npy"),
        "weights-3e38.npz": _zip(entries | {"W1": _npy(np.full(arrays["W1"].shape, 3e38, np.float32))}),
        "huge-shape.npz": _zip(entries | {"W1": b"\x93NUMPY\x01\x00" + struct.pack("<H", 118)
                                                + huge.ljust(117).encode() + b"\n"}),
    }


def snapshot_bomb(hidden=2048, networks=5, epochs=2, seed=0):
    """A valid saved run whose weights and epoch snapshots are all zeros: ``hidden`` units,
    ``networks`` averaged networks, ``epochs`` epochs and the weights of each of its ``epochs + 1``
    epochs (0 = the initial ones); ``seed`` names a run of its own. Zeros compress to almost
    nothing: the defaults make a 20 KB file that loads as a run of 11.7 MB."""
    import json

    config = nncore.TrainConfig(hidden=hidden, ensemble=networks, epochs=epochs, seed=seed)
    shapes = {"W1": (64, hidden), "b1": (hidden,), "W2": (hidden, 10), "b2": (10,)}
    arrays = {}
    for k in range(1, networks + 1):
        arrays.update({name if k == 1 else f"{name}_{k}": np.zeros(shape, np.float32)
                       for name, shape in shapes.items()})
    arrays.update(mean=np.zeros(64), std=np.ones(64), config=np.array(json.dumps(config.to_dict())),
                  format_version=np.array(nncore.files.runfile.FORMAT_VERSION), best_epoch=np.array(epochs),
                  test_accuracy=np.array(0.1), seconds=np.array(1.0), diverged_epoch=np.array(0),
                  **{key: np.full(epochs, 0.1 if key.endswith("acc") else 2.3) for key in HISTORY_KEYS},
                  ended=np.array("completed"), snapshot_epochs=np.arange(epochs + 1))
    for name, shape in shapes.items():
        arrays[f"snapshot_{name}"] = np.zeros((epochs + 1, networks, *shape), np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()
