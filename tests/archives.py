"""Zip archives for the weights-file tests: a saved run's arrays written with any of zip's
compressions, and the damage of one entry's compressed bytes."""

import io
import struct
import zipfile

import numpy as np

COMPRESSIONS = {"stored": zipfile.ZIP_STORED, "deflate": zipfile.ZIP_DEFLATED, "bzip2": zipfile.ZIP_BZIP2,
                "lzma": zipfile.ZIP_LZMA}


def npy(value):
    """``value`` as the bytes of an .npy file."""
    buffer = io.BytesIO()
    np.save(buffer, value)
    return buffer.getvalue()


def zipped(arrays, compression):
    """``arrays`` (name -> array) as an .npz whose entries use ``compression`` (a key of COMPRESSIONS)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=COMPRESSIONS[compression]) as archive:
        for name, value in arrays.items():
            archive.writestr(f"{name}.npy", npy(value))
    return buffer.getvalue()


def entry_data(payload, name):
    """(start, size) of the compressed bytes of entry ``name`` in the zip ``payload``."""
    info = zipfile.ZipFile(io.BytesIO(payload)).getinfo(name)
    name_and_extra = struct.unpack("<HH", payload[info.header_offset + 26:info.header_offset + 30])
    return info.header_offset + 30 + sum(name_and_extra), info.compress_size


def damaged(payload, name):
    """The zip ``payload`` with 4 bytes in the middle of entry ``name``'s compressed data flipped."""
    start, size = entry_data(payload, name)
    middle = start + size // 2
    return payload[:middle] + bytes(b ^ 0x5A for b in payload[middle:middle + 4]) + payload[middle + 4:]
